"""Patrol track thinning and geotagging photos from a track (pure logic, no store)."""

from __future__ import annotations

import itertools
import math
from datetime import UTC, datetime, timedelta

import pytest

from app.capture.positions import Fix, FixQuality, PositionSource, haversine_m
from app.capture.tracks import (
    TrackPoint,
    TrackRecorder,
    TrackState,
    camera_time_to_utc,
    geotag_from_track,
    track_length_m,
)

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
LAT0, LON0 = 32.0600, 118.7900
M_PER_DEG_LAT = 111_195.0


def fix(seconds: float, north_m: float, accuracy: float | None = 5.0) -> Fix:
    return Fix(
        lat=LAT0 + north_m / M_PER_DEG_LAT,
        lon=LON0,
        accuracy_m=accuracy,
        altitude_m=10.0,
        time=T0 + timedelta(seconds=seconds),
        quality=FixQuality.GPS,
        source=PositionSource.GPS,
        mode=3,
    )


def record(recorder: TrackRecorder, fixes: list[Fix]) -> list[TrackPoint]:
    return [p for f in fixes if (p := recorder.offer(f)) is not None]


def test_walking_keeps_about_one_point_per_five_metres() -> None:
    recorder = TrackRecorder()
    recorder.start()
    walk = [fix(s, 1.4 * s) for s in range(0, 301)]  # 5 minutes at 1.4 m/s, a fix a second
    points = record(recorder, walk)
    assert 75 <= len(points) <= 105  # 420 m / 5 m ≈ 84
    gaps = [haversine_m(a.lat, a.lon, b.lat, b.lon) for a, b in itertools.pairwise(points)]
    assert min(gaps) >= 5.0 - 1e-6
    assert recorder.distance_m == pytest.approx(1.4 * 300, rel=0.03)


def test_standing_still_keeps_one_point_per_five_seconds() -> None:
    recorder = TrackRecorder()
    recorder.start()
    points = record(recorder, [fix(s, 0.5 * math.sin(s)) for s in range(0, 61)])  # GPS jitter < 1 m
    assert len(points) == 13  # t = 0, 5, …, 60
    assert recorder.distance_m < 10


def test_poor_fixes_and_jumps_are_dropped_as_noise() -> None:
    recorder = TrackRecorder()
    recorder.start()
    fixes = [fix(0, 0), fix(10, 14), fix(20, 5000), fix(30, 28, accuracy=120.0), fix(40, 40)]
    points = record(recorder, fixes)
    assert [round((p.time - T0).total_seconds()) for p in points] == [0, 10, 40]
    assert recorder.points_dropped == 2


def test_nothing_is_recorded_unless_recording_and_pauses_start_a_new_segment() -> None:
    recorder = TrackRecorder()
    assert recorder.offer(fix(0, 0)) is None  # not started
    recorder.start()
    assert recorder.offer(fix(0, 0)) is not None
    recorder.pause()
    assert recorder.offer(fix(10, 20)) is None
    recorder.resume()
    after = recorder.offer(fix(600, 800))  # far away after a long pause: not a jump, a new segment
    assert after is not None and after.segment == 1
    assert recorder.distance_m == 0  # the pause is not bridged
    recorder.stop()
    assert recorder.state is TrackState.STOPPED
    with pytest.raises(ValueError, match="stopped"):
        recorder.start()


def test_track_length_does_not_bridge_pauses() -> None:
    points = [
        TrackPoint(LAT0, LON0, T0, 5, None, 0),
        TrackPoint(LAT0 + 100 / M_PER_DEG_LAT, LON0, T0 + timedelta(seconds=60), 5, None, 0),
        TrackPoint(LAT0 + 900 / M_PER_DEG_LAT, LON0, T0 + timedelta(seconds=900), 5, None, 1),
    ]
    assert track_length_m(points) == pytest.approx(100, rel=1e-3)


def track(*pairs: tuple[float, float], segment: int = 0, accuracy: float = 4.0) -> list[TrackPoint]:
    return [
        TrackPoint(
            LAT0 + north / M_PER_DEG_LAT, LON0, T0 + timedelta(seconds=s), accuracy, 20.0, segment
        )
        for s, north in pairs
    ]


def test_photo_between_two_points_is_interpolated_with_a_widened_accuracy() -> None:
    points = track((0, 0), (20, 30))
    placed = geotag_from_track(points, T0 + timedelta(seconds=5))
    assert placed is not None
    assert placed.source is PositionSource.TRACK and placed.quality is FixQuality.ESTIMATED
    assert haversine_m(LAT0, LON0, placed.lat, placed.lon) == pytest.approx(7.5, abs=0.05)
    assert placed.accuracy_m == pytest.approx(4.0 + 15.0, abs=0.1)  # worse point + half the leg
    assert placed.time == T0 + timedelta(seconds=5)


def test_photo_at_a_point_takes_that_point() -> None:
    points = track((0, 0), (20, 30))
    placed = geotag_from_track(points, T0 + timedelta(seconds=20))
    assert placed is not None and placed.accuracy_m == 4.0
    assert haversine_m(LAT0, LON0, placed.lat, placed.lon) == pytest.approx(30, abs=0.05)


def test_photo_near_the_ends_takes_the_end_point_with_walking_uncertainty() -> None:
    points = track((0, 0), (20, 30))
    before = geotag_from_track(points, T0 - timedelta(seconds=10))
    assert before is not None and before.accuracy_m == pytest.approx(4.0 + 15.0)
    assert geotag_from_track(points, T0 - timedelta(seconds=31)) is None
    assert geotag_from_track(points, T0 + timedelta(seconds=60)) is None


def test_photo_is_not_placed_across_a_gap_or_a_pause() -> None:
    gap = track((0, 0), (600, 50))  # ten minutes without a point: nobody knows where they went
    assert geotag_from_track(gap, T0 + timedelta(seconds=300)) is None
    paused = track((0, 0)) + track((20, 30), segment=1)
    near_start = geotag_from_track(paused, T0 + timedelta(seconds=2))
    assert near_start is not None and near_start.lat == pytest.approx(
        LAT0
    )  # the nearer end, not a line
    assert geotag_from_track([], T0) is None


def test_geotagging_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        geotag_from_track(track((0, 0)), datetime(2026, 11, 20, 10, 0))


def test_camera_clock_is_converted_with_its_zone_and_offset() -> None:
    # Camera set to Beijing time and running 90 s fast: 10:01:30 on the camera is 02:00:00 UTC.
    local = datetime(2026, 11, 20, 10, 1, 30)
    assert camera_time_to_utc(local, timedelta(hours=8), timedelta(seconds=90)) == T0
    aware = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert camera_time_to_utc(aware, timedelta(hours=8), timedelta(0)) == aware
