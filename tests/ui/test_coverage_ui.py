"""The supervisor's view of patrol tracks: tracks that came through the feed on the office map
(per inspector and day) and the Coverage tab's figures."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.domain.contract import FeedKind
from app.domain.ids import new_id
from app.domain.tracks import encode_points, wire_point
from app.storage import LocalStore
from app.storage.ledger import SyncLedger
from app.storage.store import Changes
from app.ui.events import StoreEvents
from app.ui.supervisor import SupervisorMapPanel
from app.ui.supervisor.coverage import CoveragePanel
from app.ui.tasks import TaskRunner

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
DAY1 = datetime(2026, 12, 2, 0, 30, tzinfo=UTC)  # 08:30 in 贵溪, the day before NOW


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    tasks = TaskRunner()
    yield tasks
    tasks.wait()


def feed_track(store: LocalStore, name: str, user_id: str, start: datetime, n: int) -> str:
    """A track of ``n`` points 7 m apart, 5 s apart, as the server's feed sends it."""
    track_id = new_id()
    points = [
        wire_point(28.300 + i * 6.3e-5, 117.215, start + timedelta(seconds=5 * i), 4.0, 0)
        for i in range(n)
    ]
    entry = {
        "seq": 1,
        "kind": FeedKind.TRACK.value,
        "entity_id": track_id,
        "at": start.isoformat(),
        "payload": {
            "id": track_id,
            "author_id": user_id,
            "author_name": name,
            "started_at": start.isoformat(),
            "ended_at": (start + timedelta(seconds=5 * n)).isoformat(),
            "distance_m": 7.0 * (n - 1),
            "point_count": n,
            "points": encode_points(points),
        },
    }
    result = SyncLedger(store).apply_feed([entry], 1, "office")
    assert result.applied == 1 and not result.skipped
    return track_id


def test_the_office_map_draws_an_inspectors_tracks_of_a_day(
    qtbot: QtBot, tmp_path: Path, runner: TaskRunner
) -> None:
    store = LocalStore(tmp_path / "office")
    wang, li = new_id(), new_id()
    feed_track(store, "王巡查", wang, DAY1, 50)
    feed_track(store, "李巡查", li, DAY1, 30)
    feed_track(store, "王巡查", wang, DAY1 + timedelta(days=1), 20)
    panel = SupervisorMapPanel(store, runner, "en", clock=lambda: NOW)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.track_filter.count() == 4)  # none, all, 王, 李
    assert panel.map.layers.track == []  # no tracks until asked
    panel.track_day.setDate(panel.track_day.date().addDays(-1))
    panel.track_filter.setCurrentIndex(panel.track_filter.findData(wang))
    qtbot.waitUntil(lambda: len(panel.map.layers.track) == 1)
    assert len(panel.map.layers.track[0]) == 50  # only 王's track of that day
    panel.track_filter.setCurrentIndex(panel.track_filter.findData(""))
    qtbot.waitUntil(lambda: sorted(len(s) for s in panel.map.layers.track) == [30, 50])
    assert "80" in panel.track_label.text()
    panel.track_filter.setCurrentIndex(0)
    assert panel.map.layers.track == []
    store.close()


def test_the_coverage_tab_gives_distance_and_time_per_inspector(
    qtbot: QtBot, tmp_path: Path, runner: TaskRunner
) -> None:
    store = LocalStore(tmp_path / "office")
    wang, li = new_id(), new_id()
    feed_track(store, "王巡查", wang, DAY1, 101)  # 100 steps of 7 m, 5 s each
    panel = CoveragePanel(store, runner, "en", clock=lambda: NOW)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.inspectors.topLevelItemCount() == 1)
    row = panel.inspectors.topLevelItem(0)
    assert row.text(0) == "王巡查"
    assert float(row.text(1)) == pytest.approx(0.70, abs=0.01)  # km
    assert row.text(2) == "0.1"  # 500 s
    assert row.text(3) == "1"
    assert "no grid cells yet" in panel.summary_label.text()
    # A new track arriving (a sync) refreshes the visible tab.
    feed_track(store, "李巡查", li, DAY1, 11)
    StoreEvents.of(store).changed.emit(Changes(tracks=frozenset({"x"})))
    qtbot.waitUntil(lambda: panel.inspectors.topLevelItemCount() == 2)
    # A period with the last day before the first is refused inline.
    panel.first_day.setDate(panel.last_day.date().addDays(1))
    assert panel.error_label.isVisibleTo(panel)
    store.close()


def test_the_bulletin_has_a_patrol_coverage_section(
    qtbot: QtBot, tmp_path: Path, samples: Path
) -> None:
    from test_documents import pdf_text, squeeze

    from app.documents.pdf import write_bulletin_pdf
    from app.domain.indicators import Period
    from app.storage.bulletin import bulletin_data

    store = LocalStore(tmp_path / "office")
    feed_track(store, "王巡查", new_id(), DAY1, 1001)  # 7 km, 5000 s
    week = Period(DAY1 - timedelta(days=3), DAY1 + timedelta(days=4))
    data = bulletin_data(store, week, now=NOW)
    (row,) = data.coverage
    assert (
        row.name == "王巡查" and row.tracks == 1 and row.distance_km == pytest.approx(7.0, rel=0.01)
    )
    assert data.covered_share is None  # no grid on this laptop
    flat = squeeze("\n".join(pdf_text(write_bulletin_pdf(data, tmp_path / "b.pdf"))))
    assert "五、巡查覆盖" in flat and "王巡查" in flat and "巡查里程（公里）" in flat
    assert "7.0" in flat[flat.index("五、巡查覆盖") :]
    quiet = bulletin_data(
        store, Period(NOW + timedelta(days=30), NOW + timedelta(days=37)), now=NOW
    )
    assert quiet.coverage == []
    store.close()
