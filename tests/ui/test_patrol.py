"""The patrol track in the GUI: a real NMEA log replayed as a live receiver, a real store."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from app.capture.nmea import decode_file
from app.capture.positions import Fix
from app.capture.tracks import TrackRecorder, TrackState
from app.storage import LocalStore
from app.ui.patrol import GpsFeed, GpsSource, PatrolController, PatrolLabel
from app.ui.tasks import TaskRunner

LOG = "nmea/haicom-305N.log"  # 248 fixes over 70 s of a walk


def test_a_patrol_records_the_receivers_track_with_distance_and_time(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, samples: Path
) -> None:
    feed = GpsFeed(tasks)
    patrol = PatrolController(store, tasks, feed)
    label = PatrolLabel(patrol)
    qtbot.addWidget(label)
    fixes: list[Fix] = []
    feed.fix.connect(fixes.append)
    patrol.start()
    qtbot.waitUntil(lambda: patrol.track_id is not None)
    with qtbot.waitSignal(feed.stopped, timeout=30_000):
        feed.start(GpsSource(replay_file=samples / LOG, replay_speed=60.0))
    patrol.stop()
    tasks.wait()

    expected = TrackRecorder()
    expected.start()
    kept = [p for f in decode_file(samples / LOG).fixes if (p := expected.offer(f))]
    assert len(fixes) == 248 and feed.last_fix == fixes[-1]
    assert patrol.state is TrackState.STOPPED
    assert patrol.track_id is not None
    row = store.track(patrol.track_id)
    assert row.point_count == len(kept) == 17
    assert abs(row.distance_m - expected.distance_m) < 0.01 and row.distance_m > 90
    assert row.state == "stopped"
    assert "0.10 km" in label.text()


def test_pause_splits_the_track_and_a_missing_receiver_is_reported(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    feed = GpsFeed(tasks)
    patrol = PatrolController(store, tasks, feed)
    patrol.start()
    patrol.pause()
    assert patrol.state is TrackState.PAUSED
    patrol.resume()
    assert patrol.recorder.segment == 1
    with qtbot.waitSignal(feed.failed, timeout=10_000) as failure:
        feed.start(GpsSource(port="/dev/ttyCITYPATROL-none"))
    assert "/dev/ttyCITYPATROL-none" in str(failure.args[0])
    patrol.stop()
    tasks.wait()
