"""The dashboard driven with pytest-qt: real widgets, work in the database lane.

Part of the tests feed the widget hand-built indicators through its ``loader`` (what it shows
of given figures); the rest compute them from a real store filled with ``report_builders``.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from report_builders import add_case_with_steps, add_department, bulk_generate

from app.domain.indicators import Counts, Indicators, Period
from app.storage import LocalStore
from app.storage.store import Changes
from app.ui.dashboard import (
    CITY_TZ,
    TREND_WEEKS,
    DashboardData,
    DashboardWidget,
    PeriodKind,
    day_range,
    preset_period,
    trend_period,
)
from app.ui.events import StoreEvents
from app.ui.i18n import install_translators
from app.ui.tasks import TaskRunner

#: "Now" in the tests: Wednesday 20 May 2026, 10:00 in the city.
NOW = datetime(2026, 5, 20, 10, 0, tzinfo=CITY_TZ)


def at(day: int, month: int = 5, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=CITY_TZ)


def open_dashboard(
    qtbot: QtBot,
    store: LocalStore,
    tasks: TaskRunner,
    language: str = "en",
    **kwargs: object,
) -> DashboardWidget:
    widget = DashboardWidget(store, tasks, language, clock=lambda: NOW, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(widget)
    widget.resize(1366, 860)
    return widget


def show_and_wait(qtbot: QtBot, widget: DashboardWidget) -> DashboardData:
    with qtbot.waitSignal(widget.loaded, timeout=30000) as blocker:
        widget.show()
    assert isinstance(blocker.args[0], DashboardData)
    return blocker.args[0]


def tile(widget: DashboardWidget, key: str) -> str:
    return widget.tiles[key].value.text()


# -- periods ---------------------------------------------------------------------------------


def test_preset_periods_are_city_weeks_months_and_quarters() -> None:
    week = preset_period(PeriodKind.THIS_WEEK, NOW)
    assert (week.start, week.end) == (at(18, hour=0), at(25, hour=0))
    month = preset_period(PeriodKind.THIS_MONTH, NOW)
    assert (month.start, month.end) == (at(1, hour=0), at(1, 6, hour=0))
    this_q = preset_period(PeriodKind.THIS_QUARTER, NOW)
    assert (this_q.start, this_q.end) == (at(1, 4, hour=0), at(1, 7, hour=0))
    last_q = preset_period(PeriodKind.LAST_QUARTER, NOW)
    assert (last_q.start, last_q.end) == (at(1, 1, hour=0), at(1, 4, hour=0))
    # In January the last quarter is the fourth of the year before.
    january = preset_period(PeriodKind.LAST_QUARTER, datetime(2026, 1, 5, tzinfo=CITY_TZ))
    assert january.start == datetime(2025, 10, 1, tzinfo=CITY_TZ)
    assert january.end == datetime(2026, 1, 1, tzinfo=CITY_TZ)
    # 16:30 UTC on 31 May is already 1 June in the city.
    june = preset_period(PeriodKind.THIS_MONTH, datetime(2026, 5, 31, 16, 30, tzinfo=UTC))
    assert (june.start, june.end) == (at(1, 6, hour=0), at(1, 7, hour=0))


def test_a_custom_range_includes_both_days() -> None:
    period = day_range(date(2026, 5, 3), date(2026, 5, 9))
    assert (period.start, period.end) == (at(3, hour=0), at(10, hour=0))
    assert day_range(date(2026, 5, 9), date(2026, 5, 3)) == period


def test_the_trend_covers_at_least_thirteen_whole_weeks() -> None:
    week = trend_period(preset_period(PeriodKind.THIS_WEEK, NOW))
    assert week.end == at(25, hour=0)
    assert week.start == at(25, hour=0) - timedelta(weeks=TREND_WEEKS)
    assert week.start.weekday() == 0
    year = trend_period(day_range(date(2025, 6, 1), date(2026, 5, 20)))
    assert year.start <= datetime(2025, 6, 1, tzinfo=CITY_TZ)
    assert year.start.astimezone(CITY_TZ).weekday() == 0
    assert year.end == at(25, hour=0)
    # Weeks after "now" are left out.
    this_quarter = preset_period(PeriodKind.THIS_QUARTER, NOW)
    assert trend_period(this_quarter).end == at(6, 7, hour=0)
    assert trend_period(this_quarter, NOW) == Period(
        at(25, hour=0) - timedelta(weeks=TREND_WEEKS), at(25, hour=0)
    )


# -- what the widget shows of given figures ----------------------------------------------------


NAMES: dict[str | None, str] = {
    "d-light": "城市照明管理所",
    "d-env": "市容环境卫生管理处",
    "d-water": "供水公司",
    "d-park": "园林局",
}


def counts(**values: float) -> Counts:
    return Counts(**values)  # type: ignore[arg-type]


def given(period: Period, now: datetime) -> DashboardData:
    """Hand-built indicators: every figure below is what the tiles and charts must show."""
    total = counts(
        reports=120,
        accepted=90,
        rejected=10,
        registered=80,
        closed=45,
        due_to_close=80,
        closed_of_due=36,
        due_to_handle=60,
        handled_on_time=51,
        handled=64,
        reworked=8,
        overdue=3,
        handling_hours_total=64 * 26.4,
    )
    by_department: dict[str | None, Counts] = {
        "d-light": counts(due_to_handle=20, handled_on_time=18, handled=22, reworked=2, closed=15),
        "d-env": counts(due_to_handle=30, handled_on_time=24, handled=30, reworked=6, overdue=3),
        # The same rate as d-env (80 %), no closure rate either, less rework: ranked before it
        # (the bulletin's ranking: on-time, then closure, then rework rate).
        "d-water": counts(due_to_handle=10, handled_on_time=8, handled=12),
        # Nothing due: no rate, so no bar.
        "d-park": counts(reports=4),
        None: counts(reports=7),
    }
    by_category: dict[str | None, Counts] = {
        code: counts(reports=n)
        for code, n in (
            ("06010", 40),
            ("09009", 25),
            ("01037", 14),
            ("09006", 9),
            ("01001", 8),
            ("06001", 7),
            ("06002", 6),
            ("09001", 5),
            ("09002", 4),
            ("01002", 3),
            ("01003", 2),
            ("01004", 1),
        )
    }
    by_category[None] = counts(reports=50)
    weeks = []
    start = trend_period(period, now).start
    while start < trend_period(period, now).end:
        weeks.append((Period(start, start + timedelta(days=7)), counts(reports=5, closed=3)))
        start += timedelta(days=7)
    indicators = Indicators(
        period, total=total, by_department=by_department, by_category=by_category
    )
    return DashboardData(period, indicators, weeks, NAMES)


def test_tiles_show_the_figures_with_rates_in_percent(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    widget = open_dashboard(qtbot, store, tasks, loader=given)
    show_and_wait(qtbot, widget)
    assert tile(widget, "reports") == "120"
    assert tile(widget, "accepted") == "90"
    assert tile(widget, "registered") == "80"
    assert tile(widget, "closed") == "45"
    assert tile(widget, "closure_rate") == "45.0%"
    assert tile(widget, "on_time_rate") == "85.0%"
    assert tile(widget, "rework_rate") == "12.5%"
    assert tile(widget, "valid_report_rate") == "90.0%"
    assert tile(widget, "overdue") == "3"
    assert tile(widget, "mean_handling") == "26.4 h"
    assert widget.tiles["on_time_rate"].caption.text() == "On-time rate"
    assert "2026-05-01 to 2026-05-31" in widget.status_label.text()


def test_rates_without_a_denominator_show_a_dash(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    def empty(period: Period, now: datetime) -> DashboardData:
        return DashboardData(period, Indicators(period), [])

    widget = open_dashboard(qtbot, store, tasks, loader=empty)
    show_and_wait(qtbot, widget)
    assert tile(widget, "reports") == "0"
    for key in (
        "closure_rate",
        "on_time_rate",
        "rework_rate",
        "valid_report_rate",
        "mean_handling",
    ):
        assert tile(widget, key) == "—", key
    assert widget.department_bars() == []
    assert widget.category_bars() == []


def test_departments_are_ranked_by_on_time_rate_best_first(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    widget = open_dashboard(qtbot, store, tasks, loader=given)
    show_and_wait(qtbot, widget)
    assert widget.department_bars() == [
        ("城市照明管理所", 90.0),
        ("供水公司", 80.0),
        ("市容环境卫生管理处", 80.0),
    ]
    # The chart itself: a horizontal bar chart draws its first bar at the bottom.
    assert widget.department_set is not None and widget.department_axis is not None
    assert widget.department_axis.categories() == [
        "市容环境卫生管理处",
        "供水公司",
        "城市照明管理所",
    ]
    assert [widget.department_set.at(i) for i in range(3)] == [80.0, 80.0, 90.0]


def test_the_category_chart_shows_the_ten_most_reported_with_names(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    widget = open_dashboard(qtbot, store, tasks, loader=given)
    show_and_wait(qtbot, widget)
    bars = widget.category_bars()
    assert len(bars) == 10
    assert widget.category_set is not None and widget.category_set.count() == 10
    assert bars[0] == ("06010 Exposed garbage", 40.0)
    assert [label.split()[0] for label, _ in bars] == [
        "06010", "09009", "01037", "09006", "01001", "06001", "06002", "09001", "09002", "01002",
    ]  # fmt: skip


def test_the_trend_has_a_point_per_week(qtbot: QtBot, store: LocalStore, tasks: TaskRunner) -> None:
    widget = open_dashboard(qtbot, store, tasks, loader=given)
    data = show_and_wait(qtbot, widget)
    assert len(data.trend) >= TREND_WEEKS
    received = widget.trend_series["reports"]
    assert received.count() == len(data.trend)
    assert {received.at(i).y() for i in range(received.count())} == {5.0}
    assert {widget.trend_series["closed"].at(i).y() for i in range(received.count())} == {3.0}


def test_the_department_table_lists_and_sorts(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    widget = open_dashboard(qtbot, store, tasks, loader=given)
    show_and_wait(qtbot, widget)
    proxy = widget.department_proxy
    # Sorted by on-time rate, best first; the department with nothing due ("—") last.
    names = [proxy.index(r, 0).data() for r in range(proxy.rowCount())]
    assert names[0] == "城市照明管理所" and names[-1] == "园林局"
    assert set(names) == set(NAMES.values())  # cases never dispatched have nothing here
    first = [proxy.index(0, c).data() for c in range(9)]
    assert first == ["城市照明管理所", "20", "18", "90.0%", "22", "2", "9.1%", "15", "0"]
    assert proxy.index(proxy.rowCount() - 1, 3).data() == "—"
    widget.department_table.sortByColumn(8, Qt.SortOrder.DescendingOrder)  # overdue
    assert proxy.index(0, 0).data() == "市容环境卫生管理处"
    assert proxy.headerData(1, Qt.Orientation.Horizontal) == "Due"


def test_choosing_a_period_loads_it(qtbot: QtBot, store: LocalStore, tasks: TaskRunner) -> None:
    asked: list[Period] = []

    def recording(period: Period, now: datetime) -> DashboardData:
        asked.append(period)
        assert now == NOW
        return given(period, now)

    widget = open_dashboard(qtbot, store, tasks, loader=recording)
    show_and_wait(qtbot, widget)
    assert asked == [preset_period(PeriodKind.THIS_MONTH, NOW)]
    with qtbot.waitSignal(widget.loaded) as blocker:
        widget.period_combo.setCurrentIndex(widget.period_combo.findData(PeriodKind.LAST_QUARTER))
    assert blocker.args[0].period == Period(at(1, 1, hour=0), at(1, 4, hour=0))
    # The date fields show the chosen range, read-only unless the range is custom.
    assert widget.from_edit.date().toString("yyyy-MM-dd") == "2026-01-01"
    assert widget.to_edit.date().toString("yyyy-MM-dd") == "2026-03-31"
    assert not widget.from_edit.isEnabled()
    with qtbot.waitSignal(widget.loaded) as blocker:
        widget.set_custom_range(date(2026, 5, 4), date(2026, 5, 10))
    assert blocker.args[0].period == Period(at(4, hour=0), at(11, hour=0))
    assert widget.from_edit.isEnabled() and widget.to_edit.isEnabled()
    # Editing a date of the custom range loads again (once the typing has paused).
    with qtbot.waitSignal(widget.loaded, timeout=5000) as blocker:
        widget.to_edit.setDate(widget.to_edit.date().addDays(7))
    assert blocker.args[0].period == Period(at(4, hour=0), at(18, hour=0))


def test_the_bulletin_button_emits_the_chosen_period(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    widget = open_dashboard(qtbot, store, tasks, loader=given)
    show_and_wait(qtbot, widget)
    widget.set_period_kind(PeriodKind.THIS_QUARTER)
    with qtbot.waitSignal(widget.bulletin_requested) as blocker:
        QTest.mouseClick(widget.bulletin_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [Period(at(1, 4, hour=0), at(1, 7, hour=0))]
    with qtbot.waitSignal(widget.export_requested):
        QTest.mouseClick(widget.export_button, Qt.MouseButton.LeftButton)


def test_busy_while_computing_off_the_main_thread(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    release = threading.Event()
    threads: list[threading.Thread] = []

    def slow(period: Period, now: datetime) -> DashboardData:
        threads.append(threading.current_thread())
        release.wait(30)
        return given(period, now)

    widget = open_dashboard(qtbot, store, tasks, loader=slow)
    widget.show()
    qtbot.waitUntil(lambda: bool(threads))
    assert widget.is_busy()
    assert widget.status_label.text() == "Computing…"
    assert not widget.refresh_button.isEnabled()
    assert tile(widget, "reports") == "—"
    assert threads[0] is not threading.main_thread()
    with qtbot.waitSignal(widget.loaded):
        release.set()
    assert not widget.is_busy()
    assert widget.refresh_button.isEnabled()
    assert tile(widget, "reports") == "120"


def test_a_failure_shows_a_message_in_the_widget(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    calls = 0

    def failing_once(period: Period, now: datetime) -> DashboardData:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("database is locked")
        return given(period, now)

    widget = open_dashboard(qtbot, store, tasks, loader=failing_once)
    widget.show()
    qtbot.waitUntil(lambda: not widget.error_label.isHidden())
    assert widget.error_label.text() == "The indicators could not be computed: database is locked"
    assert not widget.is_busy() and widget.refresh_button.isEnabled()
    with qtbot.waitSignal(widget.loaded):
        QTest.mouseClick(widget.refresh_button, Qt.MouseButton.LeftButton)
    assert widget.error_label.isHidden()
    assert tile(widget, "reports") == "120"


def test_chinese_labels_with_the_apps_translator(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    install_translators(app, "zh_CN")
    try:
        widget = open_dashboard(qtbot, store, tasks, "zh_CN", loader=given)
        show_and_wait(qtbot, widget)
        assert widget.title.text() == "考核看板"
        assert [widget.period_combo.itemText(i) for i in range(5)] == [
            "本周",
            "本月",
            "本季度",
            "上季度",
            "自定义范围",
        ]
        captions = [t.caption.text() for t in widget.tiles.values()]
        assert captions == [
            "上报数",
            "受理数",
            "立案数",
            "结案数",
            "结案率",
            "按期处置率",
            "返工率",
            "有效上报率",
            "超期未处置",
            "平均处置时长",
            "重点部位漏检",
        ]
        assert tile(widget, "mean_handling") == "26.4 小时"
        assert widget.bulletin_button.text() == "通报 PDF(&B)…"
        assert widget.department_chart.title() == "各部门按期处置率"
        assert widget.trend_chart.title() == "每周趋势"
        assert widget.trend_series["reports"].name() == "上报数"
        assert widget.category_bars()[0] == ("06010 暴露垃圾", 40.0)
        header = widget.department_proxy.headerData
        assert [header(c, Qt.Orientation.Horizontal) for c in (0, 1, 3)] == [
            "部门",
            "应处置数",
            "按期处置率",
        ]
        assert widget.status_label.text().startswith("2026-05-01 至 2026-05-31，截至")
    finally:
        install_translators(app, "en")  # back to what the session fixture installed
    assert QCoreApplication.translate("DashboardWidget", "This week") == "This week"


# -- figures computed from a real store --------------------------------------------------------


def case_log(
    store: LocalStore,
    category: str,
    day: int,
    department: str | None = None,
    *,
    month: int = 5,
    deadline: datetime | None = None,
    tail: list[tuple[str, datetime] | tuple[str, datetime, dict[str, object]]] | None = None,
) -> str:
    """Submitted at 09:00 on ``day``, accepted, registered and (with a department) dispatched
    at 12:00 with ``deadline``; then the steps of ``tail``."""
    steps: list[tuple[str, datetime] | tuple[str, datetime, dict[str, object]]] = [
        ("submit", at(day, month, 9)),
        ("accept", at(day, month, 10)),
        ("register", at(day, month, 11)),
    ]
    if department is not None:
        steps.append(
            ("dispatch", at(day, month, 12), {"department_id": department, "deadline": deadline})
        )
    case_id: str = add_case_with_steps(store, [*steps, *(tail or [])], category_code=category)
    return case_id


@pytest.fixture
def city(store: LocalStore) -> dict[str, str]:
    """A hand-built May 2026 (and one April case); every figure in the tests is counted here.

    May, as of NOW (20 May 10:00): 7 reports, 6 accepted, 1 rejected, 6 registered (1 voided),
    3 closed of 5 due to close; 6 assignments due, 4 on time; 5 handled (one late), 1 rework;
    1 overdue; handling hours 24 + 72 + 24 + 24 + 48 = 192 over 5.
    """
    lights = add_department(store, "路灯所", name_en="Street lighting")
    sanitation = add_department(store, "环卫所", name_en="Sanitation")
    water = add_department(store, "水务集团", name_en="Water")

    def done(day: int, hour: int = 12) -> list[tuple[str, datetime]]:
        return [
            ("request_reinspection", at(day, hour=hour + 1)),
            ("reinspect_pass", at(day, hour=hour + 3)),
        ]

    # 1: Street lighting, handled on time (24 h), closed 6 May.
    case_log(store, "06010", 4, lights, deadline=at(6, hour=12),
             tail=[("handle", at(5, hour=12)), *done(5), ("close", at(6))])  # fmt: skip
    # 2: Street lighting, handled late (72 h), re-inspection failed, reworked, then on time.
    case_log(store, "06010", 5, lights, deadline=at(7, hour=12),
             tail=[("handle", at(8, hour=12)), ("request_reinspection", at(8, hour=13)),
                   ("reinspect_fail", at(9, hour=10)),
                   ("rework", at(9, hour=12), {"department_id": lights,
                                                "deadline": at(11, hour=12)}),
                   ("handle", at(10, hour=12)), *done(10), ("close", at(11))])  # fmt: skip
    # 3: Sanitation, on time (24 h), closed 8 May.
    case_log(store, "09009", 6, sanitation, deadline=at(8, hour=12),
             tail=[("handle", at(7, hour=12)), *done(7), ("close", at(8))])  # fmt: skip
    # 4: Sanitation, never handled: overdue since 13 May.
    case_log(store, "09009", 11, sanitation, deadline=at(13, hour=12))
    # 5: Water, handled on time (48 h), awaiting re-inspection.
    case_log(store, "01037", 12, water, deadline=at(15, hour=12),
             tail=[("handle", at(14, hour=12)), ("request_reinspection", at(14, hour=13))])  # fmt: skip
    # 6: rejected.
    add_case_with_steps(
        store, [("submit", at(13, hour=9)), ("reject", at(13, hour=10))], category_code="01037"
    )
    # 7: registered, then voided.
    case_log(store, "06010", 14, tail=[("void", at(14, hour=15))])
    # 8: April: Street lighting, on time, closed 13 April.
    case_log(store, "06010", 10, lights, month=4, deadline=at(12, 4, 12),
             tail=[("handle", at(11, 4, 12)), ("close", at(13, 4))])  # fmt: skip
    return {"lights": lights, "sanitation": sanitation, "water": water}


def test_tiles_show_the_figures_of_the_store(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, city: dict[str, str]
) -> None:
    widget = open_dashboard(qtbot, store, tasks)
    show_and_wait(qtbot, widget)
    assert widget.period_kind() == PeriodKind.THIS_MONTH
    shown = {key: tile(widget, key) for key in widget.tiles}
    assert shown == {
        "reports": "7",
        "accepted": "6",
        "registered": "6",
        "closed": "3",
        "closure_rate": "60.0%",
        "on_time_rate": "66.7%",
        "rework_rate": "20.0%",
        "valid_report_rate": "85.7%",
        "overdue": "1",
        "mean_handling": "38.4 h",
        "missed_rounds": "0 of 0",  # no key site on this laptop
    }


def test_department_chart_and_table_from_the_store(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, city: dict[str, str]
) -> None:
    widget = open_dashboard(qtbot, store, tasks)
    show_and_wait(qtbot, widget)
    # Water 1/1, Street lighting 2/3, Sanitation 1/2 — English names in an English interface.
    assert widget.department_bars() == [
        ("Water", 100.0),
        ("Street lighting", 66.7),
        ("Sanitation", 50.0),
    ]
    proxy = widget.department_proxy
    rows = {
        proxy.index(r, 0).data(): [proxy.index(r, c).data() for c in range(1, 9)]
        for r in range(proxy.rowCount())
    }
    assert rows["Street lighting"] == ["3", "2", "66.7%", "3", "1", "33.3%", "2", "0"]
    assert rows["Sanitation"] == ["2", "1", "50.0%", "1", "0", "0.0%", "1", "1"]
    assert rows["Water"] == ["1", "1", "100.0%", "1", "0", "0.0%", "0", "0"]


def test_category_chart_and_trend_from_the_store(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, city: dict[str, str]
) -> None:
    widget = open_dashboard(qtbot, store, tasks)
    data = show_and_wait(qtbot, widget)
    assert widget.category_bars() == [
        ("06010 Exposed garbage", 3.0),
        ("01037 Street light fault", 2.0),
        ("09009 Illegal parking of motor vehicles", 2.0),
    ]
    weeks = {week.start.date(): counts for week, counts in data.trend}
    assert len(weeks) >= TREND_WEEKS
    assert (weeks[date(2026, 5, 4)].reports, weeks[date(2026, 5, 4)].closed) == (3, 2)
    assert (weeks[date(2026, 5, 11)].reports, weeks[date(2026, 5, 11)].closed) == (4, 1)
    assert weeks[date(2026, 4, 6)].reports == 1
    received = widget.trend_series["reports"]
    assert [received.at(i).y() for i in range(received.count())] == [
        float(c.reports) for _, c in data.trend
    ]


def test_the_period_chooser_changes_the_figures(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, city: dict[str, str]
) -> None:
    widget = open_dashboard(qtbot, store, tasks)
    show_and_wait(qtbot, widget)
    assert tile(widget, "reports") == "7"
    with qtbot.waitSignal(widget.loaded):
        widget.set_period_kind(PeriodKind.THIS_QUARTER)  # April's case too
    assert (tile(widget, "reports"), tile(widget, "closed")) == ("8", "4")
    assert tile(widget, "on_time_rate") == "71.4%"  # 5 of 7
    with qtbot.waitSignal(widget.loaded):
        widget.set_period_kind(PeriodKind.THIS_WEEK)  # nothing happened since Monday
    assert tile(widget, "reports") == "0"
    assert tile(widget, "on_time_rate") == "—"
    assert tile(widget, "overdue") == "1"  # still overdue
    with qtbot.waitSignal(widget.loaded):
        widget.set_custom_range(date(2026, 5, 4), date(2026, 5, 6))
    assert (tile(widget, "reports"), tile(widget, "closed")) == ("3", "1")
    with qtbot.waitSignal(widget.loaded):
        widget.set_period_kind(PeriodKind.LAST_QUARTER)
    assert tile(widget, "reports") == "0"
    assert widget.department_bars() == []


def test_chinese_department_and_category_names_from_the_store(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, city: dict[str, str]
) -> None:
    widget = open_dashboard(qtbot, store, tasks, "zh_CN")
    show_and_wait(qtbot, widget)
    assert [name for name, _ in widget.department_bars()] == ["水务集团", "路灯所", "环卫所"]
    assert widget.category_bars()[0] == ("06010 暴露垃圾", 3.0)


def test_realistic_data_renders(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, tmp_path: Path
) -> None:
    summary = bulk_generate(store, 2000, seed=7, start=NOW - timedelta(days=150), end=NOW)
    widget = open_dashboard(qtbot, store, tasks)
    widget.set_period_kind(PeriodKind.THIS_QUARTER)
    data = show_and_wait(qtbot, widget)
    assert data.indicators.total.reports > 500
    ranked = widget.department_bars()
    assert len(ranked) == len(summary.departments)
    assert [rate for _, rate in ranked] == sorted((rate for _, rate in ranked), reverse=True)
    assert len(widget.category_bars()) == 10
    assert widget.department_proxy.rowCount() >= len(summary.departments)
    shot = tmp_path / "dashboard-en.png"
    assert widget.grab().save(str(shot))
    assert shot.stat().st_size > 20000


def test_a_stale_result_of_an_earlier_refresh_is_dropped(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    """Two refreshes in a row (a period chosen while the first computes): only the second
    one's figures are shown, and ``loaded`` comes once."""
    release = threading.Event()
    calls: list[Period] = []

    def first_slow(period: Period, now: datetime) -> DashboardData:
        calls.append(period)
        if len(calls) == 1:
            release.wait(30)
            data = given(period, now)
            total = dataclasses.replace(data.indicators.total, reports=1)
            return dataclasses.replace(
                data, indicators=dataclasses.replace(data.indicators, total=total)
            )
        return given(period, now)

    widget = open_dashboard(qtbot, store, tasks, loader=first_slow)
    shown: list[DashboardData] = []
    widget.loaded.connect(shown.append)
    widget.show()
    qtbot.waitUntil(lambda: len(calls) == 1)
    widget.refresh()
    release.set()
    qtbot.waitUntil(lambda: bool(shown))
    qtbot.wait(100)  # nothing more arrives
    assert len(calls) == 2 and len(shown) == 1
    assert tile(widget, "reports") == "120"
    assert not widget.is_busy()


def test_a_workflow_write_refreshes_the_figures_when_shown_else_at_the_next_show(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    calls: list[Period] = []

    def counted(period: Period, now: datetime) -> DashboardData:
        calls.append(period)
        return given(period, now)

    widget = open_dashboard(qtbot, store, tasks, loader=counted)
    show_and_wait(qtbot, widget)
    events = StoreEvents.of(store)
    events.announce(
        Changes(cases=frozenset({"c1"}), photos=frozenset({"p1"}))
    )  # no steps: left alone
    qtbot.wait(100)
    assert len(calls) == 1
    with qtbot.waitSignal(widget.loaded):
        events.announce(Changes(cases=frozenset({"c1"}), steps=True))
    assert len(calls) == 2
    widget.hide()
    events.announce(Changes(reference=True))
    qtbot.wait(100)
    assert len(calls) == 2  # computed when looked at, not at every write
    with qtbot.waitSignal(widget.loaded):
        widget.show()
    assert len(calls) == 3
