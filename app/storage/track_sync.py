"""The sync side of patrol tracks in the local store: what to send, how far the server got,
and the tracks that come back to supervisors through the change feed.

A stopped track waits in the outbox (:func:`app.storage.tracks.set_track_state`). The sync
(:mod:`app.sync.tracks`) sends its header and then its points from ``uploaded_points`` — the
count the server last confirmed, written here after every batch — so an interrupted upload
resumes where the server is, and the server's answer, not ours, says what arrived. A track is
``confirmed`` when the server holds every point; a refused one is ``failed`` with the reason
and kept. Tracks of other inspectors arrive whole through the feed as ``remote``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from app.capture.positions import FixQuality, PositionSource
from app.capture.tracks import TrackState
from app.domain.ids import new_id
from app.domain.tracks import WirePoint, feed_points, wire_point
from app.storage.models import OutboxEntry, Position, Track, User
from app.storage.rows import Changes
from app.storage.states import OPEN_DELIVERIES, DeliveryState, OutboxEntity, OutboxState
from app.storage.track_cells import index_track

if TYPE_CHECKING:
    from app.storage.store import LocalStore


@dataclass(frozen=True, slots=True)
class OutgoingTrack:
    """A stopped track still to deliver, and how many of its points the server holds."""

    id: str
    started_at: datetime
    ended_at: datetime | None
    distance_m: float
    point_count: int
    uploaded_points: int


def outgoing_tracks(store: LocalStore) -> list[OutgoingTrack]:
    """Stopped local tracks the server has not confirmed, oldest first."""
    with store.read() as s:
        rows = s.scalars(
            select(Track)
            .where(Track.state == TrackState.STOPPED.value, Track.delivery.in_(OPEN_DELIVERIES))
            .order_by(Track.started_at)
        )
        return [
            OutgoingTrack(
                t.id, t.started_at, t.ended_at, t.distance_m, t.point_count, t.uploaded_points
            )
            for t in rows
        ]


def wire_points(store: LocalStore, track_id: str, first: int, limit: int) -> list[WirePoint]:
    """Points ``first`` … ``first + limit - 1`` of a track in its (time, id) order."""
    with store.read() as s:
        rows = s.execute(
            select(Position.lat, Position.lon, Position.at, Position.accuracy_m, Position.segment)
            .where(Position.track_id == track_id)
            .order_by(Position.at, Position.id)
            .offset(first)
            .limit(limit)
        )
        return [wire_point(*row) for row in rows]


def track_progress(store: LocalStore, track_id: str, received: int) -> Changes:
    """The server holds the first ``received`` points (it said so)."""
    with store.write() as s:
        s.execute(
            update(Track)
            .where(Track.id == track_id)
            .values(uploaded_points=received, delivery=DeliveryState.SENDING)
        )
    return Changes(tracks=frozenset({track_id}))


def track_confirmed(store: LocalStore, track_id: str, now: datetime) -> Changes:
    """The server holds every point: the track and its outbox entry are settled."""
    with store.write() as s:
        track = s.get(Track, track_id)
        if track is None:
            return Changes()
        track.uploaded_points = track.point_count
        track.delivery, track.confirmed_at, track.delivery_error = (
            DeliveryState.CONFIRMED,
            now,
            None,
        )
        _settle_outbox(s, track_id, OutboxState.SENT, now)
    return Changes(tracks=frozenset({track_id}), outbox=True)


def track_failed(store: LocalStore, track_id: str, reason: dict[str, str]) -> Changes:
    """The server refused the track: kept, with the reason, out of the queue."""
    text = json.dumps(
        {k: reason.get(k, "") for k in ("code", "zh", "en")}, ensure_ascii=False, sort_keys=True
    )
    with store.write() as s:
        s.execute(
            update(Track)
            .where(Track.id == track_id)
            .values(delivery=DeliveryState.FAILED, delivery_error=text)
        )
        s.execute(
            update(OutboxEntry)
            .where(OutboxEntry.entity == OutboxEntity.TRACK, OutboxEntry.entity_id == track_id)
            .values(state=OutboxState.FAILED, last_error=text)
        )
    return Changes(tracks=frozenset({track_id}), outbox=True)


def track_counts(s: Session) -> tuple[int, int]:
    """(tracks still to deliver, tracks refused) — the delivery summary's figures."""
    rows = dict(
        s.execute(
            select(Track.delivery, func.count())
            .where(Track.state == TrackState.STOPPED.value)
            .group_by(Track.delivery)
        ).all()
    )
    pending = sum(rows.get(state, 0) for state in OPEN_DELIVERIES)
    return pending, rows.get(DeliveryState.FAILED, 0)


def _settle_outbox(s: Session, track_id: str, state: OutboxState, now: datetime) -> None:
    s.execute(
        update(OutboxEntry)
        .where(
            OutboxEntry.entity == OutboxEntity.TRACK,
            OutboxEntry.entity_id == track_id,
            OutboxEntry.state.in_((OutboxState.PENDING, OutboxState.SENDING)),
        )
        .values(state=state, sent_at=now, last_error=None)
    )


# -- tracks of others, from the change feed ----------------------------------------------------


def apply_track_entry(s: Session, track_id: str, payload: dict[str, Any]) -> int:
    """A complete track from the feed (a supervisor's laptop): the header and every point,
    replacing what an earlier copy of the entry wrote (applying it twice changes nothing)."""
    own = s.get(Track, track_id)
    if own is not None and own.delivery != DeliveryState.REMOTE:
        return 0  # this laptop recorded it: its own copy is the original
    points = feed_points(payload["points"])  # packed, or the JSON columns of older entries
    author_id = str(payload["author_id"])
    if s.get(User, author_id) is None:
        name = str(payload.get("author_name") or "")
        s.add(
            User(
                id=author_id,
                username=f"user-{author_id[-12:]}",
                display_name=name,
                role="inspector",
            )
        )
        s.flush()
    started = datetime.fromisoformat(str(payload["started_at"]))
    ended = payload.get("ended_at")
    track = own or Track(id=track_id)
    track.author_id = author_id
    track.state = TrackState.STOPPED.value
    track.started_at = started
    track.ended_at = datetime.fromisoformat(ended) if isinstance(ended, str) else None
    track.distance_m = float(payload.get("distance_m") or 0.0)
    track.point_count = len(points)
    track.uploaded_points = len(points)
    track.delivery = DeliveryState.REMOTE
    s.add(track)
    s.flush()
    s.execute(delete(Position).where(Position.track_id == track_id))
    if points:
        s.execute(
            insert(cast(Table, Position.__table__)),
            [
                {
                    "id": new_id(),
                    "case_id": None,
                    "track_id": track_id,
                    "lat": p.lat,
                    "lon": p.lon,
                    "accuracy_m": p.accuracy_m,
                    "altitude_m": None,
                    "at": p.time,
                    "fix_quality": FixQuality.UNKNOWN.value,
                    "source": PositionSource.GPS.value,
                    "segment": p.segment,
                }
                for p in points
            ],
        )
    index_track(s, track_id)
    return 1
