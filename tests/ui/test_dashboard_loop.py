"""The dashboard's "Departments in the loop" section (app.ui.dashboard_loop) fed hand-built
figures through the dashboard's loader: what it names, cuts short and says in Chinese. (The
figures computed from a store, against the CLI's: tests/ui/test_figures_agree.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.domain.indicators import Indicators, Period
from app.domain.lifecycle import RequestKind
from app.domain.loop_indicators import LoopCounts, LoopIndicators
from app.storage import LocalStore
from app.ui.dashboard import CITY_TZ, DashboardData, DashboardWidget
from app.ui.i18n import install_translators
from app.ui.tasks import TaskRunner

NOW = datetime(2026, 5, 20, 10, 0, tzinfo=CITY_TZ)
#: Seven departments that signed late: 7, 6, … 1 windows (d1 the most).
LATE = {f"d{n}": 8 - n for n in range(1, 8)}
NAMES: dict[str | None, str] = {f"d{n}": f"Dept {n}" for n in range(1, 8)}


def given(period: Period, _now: datetime) -> DashboardData:
    """Ten windows due per department, on time but for its late ones; 4 handlings of 5 by the
    departments; two extensions asked (one approved), one return refused."""
    loop = LoopIndicators(period, timedelta(hours=3))
    for department, late in LATE.items():
        loop.by_department[department] = LoopCounts(due_to_sign=10, signed_on_time=10 - late)
    loop.total = LoopCounts(
        due_to_sign=70,
        signed_on_time=70 - sum(LATE.values()),
        handled=5,
        handled_by_department=4,
        requests={RequestKind.EXTENSION: 2, RequestKind.RETURN: 1},
        approved={RequestKind.EXTENSION: 1},
        refused=1,
    )
    return DashboardData(period, Indicators(period), [], NAMES, loop=loop)


def open_dashboard(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, language: str
) -> DashboardWidget:
    widget = DashboardWidget(store, tasks, language, clock=lambda: NOW, loader=given)
    qtbot.addWidget(widget)
    with qtbot.waitSignal(widget.loaded, timeout=30000):
        widget.show()
    return widget


def test_the_loop_section_names_the_five_latest_and_counts_the_rest(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    section = open_dashboard(qtbot, store, tasks, "en").loop_section
    assert section.sign_for.value.text() == "60.0%"  # 42 of 70
    assert section.sign_for_detail.text() == "42 of 70 signed for within 3 h"
    assert section.late_label.text() == (
        "Late: Dept 1 7, Dept 2 6, Dept 3 5, Dept 4 4, Dept 5 3, 2 more"
    )
    assert section.handled.value.text() == "80.0%"
    assert section.handled_detail.text() == "4 of 5 handlings reported by the department"
    assert section.requests.value.text() == "3"
    shown = {k: (a.text(), b.text()) for k, (a, b) in section.request_labels.items()}
    assert shown == {
        RequestKind.EXTENSION: ("2", "1"),
        RequestKind.RETURN: ("1", "0"),
        RequestKind.SUSPENSION: ("0", "0"),
    }
    assert section.refused_label.text() == "Refused: 1 · approval rate 50.0%"
    assert section.requests.accessibleDescription() == "3. Refused: 1 · approval rate 50.0%"


def test_the_loop_section_in_chinese(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, qapp: QApplication
) -> None:
    install_translators(qapp, "zh_CN")
    try:
        section = open_dashboard(qtbot, store, tasks, "zh_CN").loop_section
        assert section.title.text() == "部门闭环"
        assert section.sign_for.caption.text() == "签收及时率"
        assert section.handled.caption.text() == "部门自主处置率"
        assert section.sign_for_detail.text() == "应签收 70 件，3 小时内签收 42 件"
        assert section.late_label.text().startswith("超时签收：Dept 1 7, ")
        assert section.late_label.text().endswith("另 2 个")
        assert section.refused_label.text() == "驳回 1 件 · 批准率 50.0%"
        assert [section.request_labels[k][0].text() for k in RequestKind] == ["2", "1", "0"]
    finally:
        install_translators(qapp, "en")
