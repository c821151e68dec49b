"""Patrol tracks: recording with sensible thinning, and geotagging photos from a track.

A track is recorded from the live position source (start, pause, resume, stop). Points are
thinned as they arrive: a point is kept when the inspector has moved at least
``min_distance_m`` (5 m) from the last kept point, or when ``min_interval_s`` (5 s) have
passed — so walking gives about one point per 5 m, standing still one per 5 s. The time
coverage matters: photos from a camera without GPS are placed on the track by their capture
time, so a track with holes in time would leave photos unplaced. Fixes with poor accuracy
and implausible jumps (faster than a car in town) are dropped as receiver noise.
"""

from __future__ import annotations

import bisect
import enum
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from app.capture.positions import Fix, FixQuality, PositionSource, haversine_m

DEFAULT_MIN_DISTANCE_M = 5.0
DEFAULT_MIN_INTERVAL_S = 5.0
#: Fixes worse than this are not recorded at all (the poor-position threshold is 20 m; a
#: track tolerates more, since a rough line still places photos better than none).
DEFAULT_MAX_ACCURACY_M = 50.0
#: Faster than this between two fixes is a receiver jump, not an inspector (m/s ≈ 144 km/h).
MAX_PLAUSIBLE_SPEED_MPS = 40.0
#: A photo is placed between two track points only if they are at most this far apart in time.
DEFAULT_MAX_GAP = timedelta(minutes=2)
#: A photo taken just before the first or after the last point still takes that point.
DEFAULT_EDGE_TOLERANCE = timedelta(seconds=30)
#: Walking pace used to widen the accuracy of a photo placed near, not on, a track point.
WALKING_SPEED_MPS = 1.5


class TrackState(enum.StrEnum):
    IDLE = "idle"
    RECORDING = "recording"
    PAUSED = "paused"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class TrackPoint:
    """One kept point; ``segment`` increases after every pause, so pauses are not bridged."""

    lat: float
    lon: float
    time: datetime
    accuracy_m: float | None
    altitude_m: float | None
    segment: int


@dataclass
class TrackRecorder:
    """Thins a stream of fixes into track points. Pure logic: the caller persists the points."""

    min_distance_m: float = DEFAULT_MIN_DISTANCE_M
    min_interval_s: float = DEFAULT_MIN_INTERVAL_S
    max_accuracy_m: float = DEFAULT_MAX_ACCURACY_M
    state: TrackState = TrackState.IDLE
    segment: int = 0
    distance_m: float = 0.0
    moving_time: timedelta = field(default_factory=timedelta)
    points_kept: int = 0
    points_dropped: int = 0
    _last: TrackPoint | None = None

    def start(self) -> None:
        if self.state is not TrackState.IDLE:
            raise ValueError(f"cannot start a track that is {self.state.value}")
        self.state = TrackState.RECORDING

    def pause(self) -> None:
        if self.state is TrackState.RECORDING:
            self.state = TrackState.PAUSED

    def resume(self) -> None:
        if self.state is TrackState.PAUSED:
            self.state = TrackState.RECORDING
            self.segment += 1
            self._last = None  # never draw a line across a pause

    def stop(self) -> None:
        self.state = TrackState.STOPPED

    def offer(self, fix: Fix) -> TrackPoint | None:
        """The point to keep for ``fix``, or None when it is thinned out or dropped as noise."""
        if self.state is not TrackState.RECORDING or fix.time is None:
            return None
        if fix.accuracy_m is not None and fix.accuracy_m > self.max_accuracy_m:
            self.points_dropped += 1
            return None
        last = self._last
        if last is not None:
            elapsed = (fix.time - last.time).total_seconds()
            if elapsed <= 0:
                self.points_dropped += 1  # a repeated or out-of-order timestamp
                return None
            moved = haversine_m(last.lat, last.lon, fix.lat, fix.lon)
            if moved / elapsed > MAX_PLAUSIBLE_SPEED_MPS:
                self.points_dropped += 1
                return None
            if moved < self.min_distance_m and elapsed < self.min_interval_s:
                return None
            self.distance_m += moved
            self.moving_time += timedelta(seconds=elapsed)
        point = TrackPoint(fix.lat, fix.lon, fix.time, fix.accuracy_m, fix.altitude_m, self.segment)
        self._last = point
        self.points_kept += 1
        return point


def track_length_m(points: Sequence[TrackPoint]) -> float:
    """Length along the points, not bridging pauses (segment changes)."""
    return sum(
        haversine_m(a.lat, a.lon, b.lat, b.lon)
        for a, b in itertools.pairwise(points)
        if a.segment == b.segment
    )


def geotag_from_track(
    points: Sequence[TrackPoint],
    taken_at: datetime,
    *,
    max_gap: timedelta = DEFAULT_MAX_GAP,
    edge_tolerance: timedelta = DEFAULT_EDGE_TOLERANCE,
) -> Fix | None:
    """Where the inspector was at ``taken_at`` (aware), interpolated along the track.

    ``points`` must be in time order. The accuracy is that of the worse of the two points
    around the moment, widened by how far the inspector could have strayed from the straight
    line between them (half the distance between the points, or walking pace times the time
    to the nearest point at the ends of a segment). None when the track does not cover it.
    """
    if taken_at.tzinfo is None:
        raise ValueError("taken_at must be timezone-aware (apply the camera's clock offset first)")
    if not points:
        return None
    times = [p.time for p in points]
    i = bisect.bisect_left(times, taken_at)
    before = points[i - 1] if i > 0 else None
    after = points[i] if i < len(points) else None
    if after is not None and after.time == taken_at:
        return _fix(after.lat, after.lon, after.altitude_m, taken_at, after.accuracy_m or 0.0)
    if before is not None and after is not None and before.segment == after.segment:
        gap = (after.time - before.time).total_seconds()
        if gap <= max_gap.total_seconds():
            t = (taken_at - before.time).total_seconds() / gap
            lat = before.lat + (after.lat - before.lat) * t
            lon = before.lon + (after.lon - before.lon) * t
            altitude = (
                before.altitude_m + (after.altitude_m - before.altitude_m) * t
                if before.altitude_m is not None and after.altitude_m is not None
                else None
            )
            base = max(before.accuracy_m or 0.0, after.accuracy_m or 0.0)
            spread = haversine_m(before.lat, before.lon, after.lat, after.lon) / 2
            return _fix(lat, lon, altitude, taken_at, base + spread)
    nearest = min(
        (p for p in (before, after) if p is not None),
        key=lambda p: abs((p.time - taken_at).total_seconds()),
    )
    offset = abs((nearest.time - taken_at).total_seconds())
    if offset > edge_tolerance.total_seconds():
        return None
    accuracy = (nearest.accuracy_m or 0.0) + WALKING_SPEED_MPS * offset
    return _fix(nearest.lat, nearest.lon, nearest.altitude_m, taken_at, accuracy)


def _fix(lat: float, lon: float, altitude: float | None, at: datetime, accuracy: float) -> Fix:
    return Fix(
        lat=lat,
        lon=lon,
        accuracy_m=round(accuracy, 1) if math.isfinite(accuracy) else None,
        altitude_m=altitude,
        time=at,
        quality=FixQuality.ESTIMATED,
        source=PositionSource.TRACK,
        mode=2,
    )


@dataclass(frozen=True, slots=True)
class CameraClock:
    """How a camera's clock relates to true time (a setting the inspector measures once).

    ``utc_offset`` is the zone the camera is set to (None: the laptop's local zone at that
    moment); ``ahead`` is how far the camera clock runs ahead of true time.
    """

    utc_offset: timedelta | None = None
    ahead: timedelta = timedelta(0)

    def to_utc(self, local: datetime) -> datetime:
        if local.tzinfo is not None:
            return camera_time_to_utc(local, timedelta(0), self.ahead)
        offset = self.utc_offset
        if offset is None:
            offset = local.astimezone().utcoffset() or timedelta(0)
        return camera_time_to_utc(local, offset, self.ahead)


#: A camera set to the laptop's time zone with an accurate clock (phones, most setups).
SAME_AS_LAPTOP = CameraClock()


def camera_time_to_utc(
    local: datetime, camera_utc_offset: timedelta, camera_clock_offset: timedelta
) -> datetime:
    """True UTC time of a photo from its camera's naive local time.

    ``camera_utc_offset`` is the time zone the camera's clock was set to (e.g. +8 h in China);
    ``camera_clock_offset`` is how far the camera clock runs ahead of true time (negative if
    behind), measured by the inspector once, e.g. by photographing the laptop clock.
    """
    if local.tzinfo is not None:
        return (local - camera_clock_offset).astimezone(UTC)
    aware = local.replace(tzinfo=timezone(camera_utc_offset))
    return (aware - camera_clock_offset).astimezone(UTC)
