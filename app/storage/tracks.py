"""Patrol tracks in the store: start one, append the points a recorder kept, pause, resume or
stop it (a stopped track is queued for sync like a case), and read tracks and points back.

Recording itself (which points to keep, segments, geotagging) is :mod:`app.capture.tracks`.
:class:`~app.storage.store.LocalStore` offers each of these as a method; the functions take the
store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.capture.positions import Fix, FixQuality, PositionSource
from app.capture.tracks import TrackPoint, TrackRecorder, TrackState, track_length_m
from app.domain.errors import DomainError, Message
from app.domain.ids import new_id
from app.storage.changelog import enqueue
from app.storage.models import Position, Track
from app.storage.rows import Changes, Created, TrackRow
from app.storage.states import OutboxEntity
from app.storage.track_cells import index_track

if TYPE_CHECKING:
    from app.storage.store import LocalStore


def start_track(store: LocalStore) -> Created:
    """Begin recording a new patrol track, as the acting user."""
    now = store.clock()
    track_id = new_id()
    with store.write() as s:
        s.add(
            Track(
                id=track_id,
                author_id=store.actor.id,
                state=TrackState.RECORDING.value,
                started_at=now,
            )
        )
    return Created(track_id, Changes(tracks=frozenset({track_id})))


def import_track(store: LocalStore, fixes: Sequence[Fix]) -> Created:
    """Record a whole patrol track from a receiver's fixes (a log), thinned as a live track is
    (:class:`~app.capture.tracks.TrackRecorder`), stopped and queued for sync, in one
    transaction. Its times are the fixes' times, not the moment of the import."""
    recorder = TrackRecorder()
    recorder.start()
    points = [p for fix in fixes if (p := recorder.offer(fix)) is not None]
    if not points:
        raise DomainError(
            "track_empty",
            Message(
                "日志中没有可记录的轨迹点（没有定位或定位太差）",
                "The log holds no point to record (no fix, or only poor ones)",
            ),
        )
    track_id = new_id()
    with store.write() as s:
        s.add(
            Track(
                id=track_id,
                author_id=store.actor.id,
                state=TrackState.STOPPED.value,
                started_at=points[0].time,
                ended_at=points[-1].time,
                distance_m=track_length_m(points),
                point_count=len(points),
            )
        )
        s.add_all(_position(track_id, point) for point in points)
        s.flush()
        index_track(s, track_id)
        enqueue(
            s,
            OutboxEntity.TRACK,
            track_id,
            "upload",
            {"id": track_id, "points": len(points), "distance_m": round(track_length_m(points), 1)},
            now=store.clock(),
        )
    return Created(track_id, Changes(tracks=frozenset({track_id}), outbox=True))


def _position(track_id: str, point: TrackPoint) -> Position:
    return Position(
        id=new_id(),
        track_id=track_id,
        lat=point.lat,
        lon=point.lon,
        accuracy_m=point.accuracy_m,
        altitude_m=point.altitude_m,
        at=point.time,
        fix_quality=FixQuality.UNKNOWN.value,
        source=PositionSource.GPS.value,
        segment=point.segment,
    )


def add_track_points(
    store: LocalStore,
    track_id: str,
    points: Sequence[TrackPoint],
    *,
    distance_m: float | None = None,
) -> Changes:
    """Append kept points (see :class:`app.capture.tracks.TrackRecorder`) in one transaction."""
    with store.write() as s:
        track = _get_track(s, track_id)
        s.add_all(_position(track_id, point) for point in points)
        track.point_count += len(points)
        if distance_m is not None:
            track.distance_m = distance_m
    return Changes(tracks=frozenset({track_id}))


def set_track_state(store: LocalStore, track_id: str, state: TrackState) -> Changes:
    """Pause, resume or stop a track; a stopped track is queued for sync like a case."""
    now = store.clock()
    with store.write() as s:
        track = _get_track(s, track_id)
        if track.state == TrackState.STOPPED.value:
            raise DomainError(
                "track_stopped", Message("巡查轨迹已结束", "The patrol track has already ended")
            )
        track.state = state.value
        if state is TrackState.STOPPED:
            track.ended_at = now
            points = _track_points(s, track_id)
            track.distance_m = track_length_m(points)
            index_track(s, track_id)
            enqueue(
                s,
                OutboxEntity.TRACK,
                track_id,
                "upload",
                {
                    "id": track_id,
                    "points": len(points),
                    "distance_m": round(track.distance_m, 1),
                },
                now=now,
            )
    return Changes(tracks=frozenset({track_id}), outbox=state is TrackState.STOPPED)


def track_row(store: LocalStore, track_id: str) -> TrackRow:
    """The track's state, times, length and delivery."""
    with store.read() as s:
        t = _get_track(s, track_id)
        return TrackRow(
            t.id,
            TrackState(t.state),
            t.started_at,
            t.ended_at,
            t.distance_m,
            t.point_count,
            t.delivery,
        )


def track_points(store: LocalStore, track_id: str) -> list[TrackPoint]:
    """The track's points, in time order."""
    with store.read() as s:
        return _track_points(s, track_id)


def track_points_around(
    store: LocalStore, moment: datetime, window: timedelta = timedelta(minutes=10)
) -> list[TrackPoint]:
    """Points of every local track within ``window`` of ``moment``, in time order."""
    with store.read() as s:
        rows = s.scalars(
            select(Position)
            .where(
                Position.track_id.is_not(None),
                Position.at >= moment - window,
                Position.at <= moment + window,
            )
            .order_by(Position.at)
        )
        # Segments are per track; make them distinct across tracks so no line joins two tracks.
        seen: dict[tuple[str | None, int], int] = {}
        return [
            TrackPoint(
                p.lat,
                p.lon,
                p.at,
                p.accuracy_m,
                p.altitude_m,
                seen.setdefault((p.track_id, p.segment), len(seen)),
            )
            for p in rows
        ]


def _get_track(s: Session, track_id: str) -> Track:
    track = s.get(Track, track_id)
    if track is None:
        raise DomainError(
            "not_found", Message(f"找不到巡查轨迹 {track_id}", f"No patrol track {track_id}")
        )
    return track


def _track_points(s: Session, track_id: str) -> list[TrackPoint]:
    rows = s.scalars(select(Position).where(Position.track_id == track_id).order_by(Position.at))
    return [TrackPoint(p.lat, p.lon, p.at, p.accuracy_m, p.altitude_m, p.segment) for p in rows]
