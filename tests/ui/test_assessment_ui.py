"""The Assessment tab's panel on a real store: units ranked with how each figure was made,
通报批评 named, the objects of the year ranked; another year shows its own figures."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from inspection_builders import add_templates, city, inspect
from pytestqt.qtbot import QtBot

from app.storage import LocalStore
from app.ui.inspections.scores import AssessmentPanel
from app.ui.tasks import TaskRunner


def test_units_ranked_with_their_arithmetic_and_criticism(
    qtbot: QtBot, tasks: TaskRunner, tmp_path: Path
) -> None:
    store = LocalStore(tmp_path / "laptop")
    add_templates(store)
    city(store)
    inspect(store, datetime(2026, 3, 10, tzinfo=UTC), "S1", ["A1"], department="HW")  # 98
    inspect(store, datetime(2026, 3, 11, tzinfo=UTC), "S2", ["C1"], department="SZ")  # veto
    panel = AssessmentPanel(store, tasks, "en", clock=lambda: datetime(2026, 12, 31, tzinfo=UTC))
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        pass
    rows = [
        [panel.units.topLevelItem(i).text(c) for c in range(5)]
        for i in range(panel.units.topLevelItemCount())
    ]
    assert [r[1] for r in rows] == ["环卫所", "市政处", "园林局"]
    assert rows[0][0] == "1" and rows[2][0] == "—" and rows[2][4] == "no figure at all: not ranked"
    assert "Mean inspection score 98.00 × 30/" in rows[0][4]
    assert panel.criticised_label.text() == "Named for criticism (通报批评): 市政处"
    assert "Mean inspection score 30%" in panel.weights_label.text()
    assert "Sign-for rate 100.00 × 10/" in rows[0][4]  # HW signed for within the hour
    objects = [
        panel.objects.topLevelItem(i).text(1) for i in range(panel.objects.topLevelItemCount())
    ]
    assert objects[:2] == ["对象S1", "对象S2"]
    with qtbot.waitSignal(panel.loaded, timeout=10_000):
        panel.year.setValue(2025)
    assert all(
        panel.units.topLevelItem(i).text(0) == "—" for i in range(panel.units.topLevelItemCount())
    )
    assert panel.criticised_label.text() == "Named for criticism (通报批评): none"

    # 市场化保洁: the chosen month's contractors' scores as CSV.
    inspect(store, datetime(2025, 5, 6, 3, tzinfo=UTC), "C9", ["B2"] * 4, kind="contractor_area")
    panel.month.setCurrentIndex(panel.month.findData(5))
    out = tmp_path / "may.csv"
    panel.export_contractors(out)
    qtbot.waitUntil(lambda: panel.export_label.text() == f"Written: {out}", timeout=10_000)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    # 100 − 4 × 5 = 80: (90 − 80) × 1 % = 10 % of the payment withheld.
    assert lines[1] == "C9,对象C9,1,80.00,80.00,10.00"
