"""Key-site rounds in the inspector's Tasks tab: what is due today, and a check recorded at the
receiver's position — refused away from the site, done at it — with no server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.capture.positions import Fix, FixQuality, PositionSource
from app.domain import CaseFields
from app.domain.contract import FeedKind
from app.domain.deadlines import WorkingCalendar
from app.domain.ids import new_id
from app.domain.validation import Urgency
from app.storage import LocalStore
from app.storage.ledger import SyncLedger
from app.ui.rounds import RoundsPanel
from app.ui.tasks import TaskRunner

TZ = WorkingCalendar().tz
DAY = datetime(2026, 12, 3).date()
NOW = datetime.combine(DAY, time(9, 0), TZ).astimezone(UTC)
SCHOOL = (28.3005, 117.2150)


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.wait()


def fix(lat: float, lon: float) -> Fix:
    return Fix(lat, lon, 4.0, None, NOW, FixQuality.GPS, PositionSource.GPS, 3)


def add_site(store: LocalStore, name: str, inspector_id: str, due: str = "10:00") -> str:
    site_id = new_id()
    entry = {
        "seq": 1,
        "kind": FeedKind.KEY_SITE.value,
        "entity_id": site_id,
        "payload": {
            "id": site_id, "name": name, "kind": "学校", "frequency": "daily", "due": due,
            "weekday": None, "inspector_id": inspector_id, "since": "2026-12-01", "removed": False,
            "area": {"type": "circle", "lat": SCHOOL[0], "lon": SCHOOL[1], "radius_m": 100},
        },
    }  # fmt: skip
    assert SyncLedger(store).apply_feed([entry], 1, inspector_id).applied == 1
    return site_id


def test_rounds_are_listed_and_checked_at_the_site(
    qtbot: QtBot, tmp_path: Path, runner: TaskRunner
) -> None:
    store = LocalStore(tmp_path / "laptop", clock=lambda: NOW)
    me = store.actor.id
    add_site(store, "第一小学", me)
    add_site(store, "早班市场", me, due="08:00")  # already missed at 09:00
    add_site(store, "别人的医院", new_id())
    position: list[Fix | None] = [None]
    panel = RoundsPanel(store, runner, "en", lambda: position[0], clock=lambda: NOW)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 2)
    rows = {
        panel.tree.topLevelItem(i).text(0): panel.tree.topLevelItem(i).text(3) for i in range(2)
    }
    assert rows == {"第一小学": "Due", "早班市场": "Missed"}
    school = next(i for i in range(2) if panel.tree.topLevelItem(i).text(0) == "第一小学")
    panel.tree.setCurrentItem(panel.tree.topLevelItem(school))
    assert panel.tree.topLevelItem(school).text(2) == "10:00"  # the city's time, not the laptop's

    panel.ok_button.click()  # no position yet
    assert "No position" in panel.error_label.text()
    position[0] = fix(SCHOOL[0] + 0.01, SCHOOL[1])  # 1.1 km away
    panel.ok_button.click()
    qtbot.waitUntil(lambda: "not at" in panel.error_label.text())
    position[0] = fix(SCHOOL[0], SCHOOL[1])
    panel.problem_button.click()  # no case reported there yet
    qtbot.waitUntil(lambda: "case first" in panel.error_label.text())
    assert SyncLedger(store).summary().pending_checks == 0  # nothing recorded by the refusals

    store.create_case(
        CaseFields(
            "06010", "校门口暴露垃圾", "第一小学门口", Urgency.NORMAL, SCHOOL[0], SCHOOL[1], 5.0
        )
    )
    panel.problem_button.click()
    qtbot.waitUntil(lambda: SyncLedger(store).summary().pending_checks == 1)
    qtbot.waitUntil(
        lambda: {panel.tree.topLevelItem(i).text(3) for i in range(2)} == {"Done", "Missed"}
    )
    assert "1 done" in panel.summary_label.text()
    store.close()
