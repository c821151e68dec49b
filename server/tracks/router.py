"""Patrol tracks on the server: inspectors send their tracks, supervisors see everyone's.

The protocol is :mod:`app.domain.tracks`: a header (``PUT /tracks/{id}``), then points in
batches numbered by their first index (``POST /tracks/{id}/points``), each answered with how
many consecutive points the server holds. Points are stored once by ``(track, index)``, so a
batch sent again after a cut — whole, or overlapping what arrived — adds nothing twice. When
the last point arrives, the track goes to the supervisors through the change feed (packed,
:func:`app.domain.tracks.pack_points`; ``GET /tracks/{id}`` keeps the JSON columns of
:func:`app.domain.tracks.encode_points`).

Who may do what: an inspector sends and reads only their own tracks (someone else's is "not
found"); supervisors and administrators read every track and send none.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.contract import FeedKind, TrackPayload
from app.domain.lifecycle import Role
from app.domain.tracks import (
    BATCH_POINTS,
    WirePoint,
    batch_digest,
    encode_points,
    pack_points,
    parse_point,
)
from server.deps import CurrentUser, SessionDep, require_role
from server.errors import ApiError, documented, refuse
from server.feed import append_feed
from server.models import PatrolTrack, TrackBatch, TrackPoint, User
from server.schemas import UUID_PATTERN, Strict, UtcTime, Uuid

router = APIRouter(prefix="/api/v1", tags=["tracks"])
TrackId = Annotated[str, Path(min_length=36, max_length=36, pattern=UUID_PATTERN)]
#: At most this many points in one track (a day at one point a second).
MAX_TRACK_POINTS = 86_400
_NOT_FOUND = documented({404: "no such track (of yours)"})
_CONFLICT = documented({404: "no such track (of yours)", 409: "the batch does not fit"})


class TrackIn(Strict):
    """A stopped track's header."""

    started_at: UtcTime
    ended_at: UtcTime | None = None
    distance_m: float = Field(ge=0, le=10_000_000)
    point_count: int = Field(ge=0, le=MAX_TRACK_POINTS)


class PointsIn(Strict):
    """A batch: ``points[i]`` is the track's point ``first + i`` (``[lat_e6, lon_e6, t_ms,
    accuracy_dm, segment]``)."""

    batch_id: Uuid
    first: int = Field(ge=0, le=MAX_TRACK_POINTS)
    points: list[list[int | None]] = Field(min_length=1, max_length=BATCH_POINTS)

    @field_validator("points")
    @classmethod
    def _valid(cls, value: list[list[int | None]]) -> list[list[int | None]]:
        for point in value:
            parse_point(point)
        return value


class TrackOut(BaseModel):
    id: str
    author_id: str
    author_name: str
    started_at: datetime
    ended_at: datetime | None
    distance_m: float
    point_count: int
    #: Points 0 … received-1 are on the server; the client sends from here.
    received: int
    complete: bool


class TrackDetail(TrackOut):
    #: :func:`app.domain.tracks.encode_points` of the points received, in order.
    points: dict[str, list[int]]


def _no_such_track() -> ApiError:
    return refuse(status.HTTP_404_NOT_FOUND, "no_such_track", "没有这条巡查轨迹", "no such track")


def _out(track: PatrolTrack, author: User | None) -> TrackOut:
    return TrackOut(
        id=track.id,
        author_id=track.author_id,
        author_name=(author.display_name or author.username) if author else "",
        started_at=track.started_at,
        ended_at=track.ended_at,
        distance_m=track.distance_m,
        point_count=track.point_count,
        received=track.received,
        complete=track.completed_at is not None,
    )


def _visible(session: Session, user: User, track_id: str, *, lock: bool = False) -> PatrolTrack:
    query = select(PatrolTrack).where(PatrolTrack.id == track_id)
    if lock:
        query = query.with_for_update(key_share=True)
    track = session.scalar(query)
    if track is None:
        raise _no_such_track()
    if user.role == Role.INSPECTOR.value and track.author_id != user.id:
        raise _no_such_track()  # someone else's track is not revealed
    return track


def _points(session: Session, track_id: str) -> list[WirePoint]:
    rows = session.execute(
        select(
            TrackPoint.lat_e6,
            TrackPoint.lon_e6,
            TrackPoint.t_ms,
            TrackPoint.accuracy_dm,
            TrackPoint.segment,
        )
        .where(TrackPoint.track_id == track_id)
        .order_by(TrackPoint.idx)
    )
    return [WirePoint(*row) for row in rows]


@router.put("/tracks/{track_id}", responses=documented({404: "another's track", 409: "changed"}))
def put_track(track_id: TrackId, body: TrackIn, session: SessionDep, user: CurrentUser) -> TrackOut:
    """Create a track (or find it again: sending the same header twice is harmless). The answer
    says how many points the server already holds."""
    require_role(user, Role.INSPECTOR)
    track = session.scalar(
        select(PatrolTrack).where(PatrolTrack.id == track_id).with_for_update(key_share=True)
    )
    if track is None:
        track = PatrolTrack(
            id=track_id,
            author_id=user.id,
            started_at=body.started_at,
            ended_at=body.ended_at,
            distance_m=body.distance_m,
            point_count=body.point_count,
            received=0,
            created_at=datetime.now(UTC),
        )
        session.add(track)
        session.flush()
        if body.point_count == 0:
            _complete(session, track, user)
        return _out(track, user)
    if track.author_id != user.id:
        raise _no_such_track()
    if track.point_count != body.point_count or track.started_at != body.started_at:
        raise refuse(
            status.HTTP_409_CONFLICT,
            "track_changed",
            "服务器上的这条轨迹与发送的不同（起始时间或点数）",
            "the server holds this track with another start time or point count",
        )
    return _out(track, user)


@router.post("/tracks/{track_id}/points", responses=_CONFLICT)
def add_points(
    track_id: TrackId, body: PointsIn, session: SessionDep, user: CurrentUser
) -> TrackOut:
    """Add a batch of points. Points the server holds already are skipped (a resend after a
    cut); a batch that starts after the server's count is refused (409 ``track_gap``: the
    answer's ``received`` — read it with GET — says where to resume)."""
    require_role(user, Role.INSPECTOR)
    track = _visible(session, user, track_id, lock=True)
    points = [parse_point(p) for p in body.points]
    digest = batch_digest(points)
    seen = session.get(TrackBatch, body.batch_id)
    if seen is not None:
        if seen.track_id != track.id or seen.sha256 != digest or seen.first != body.first:
            raise refuse(
                status.HTTP_409_CONFLICT,
                "batch_changed",
                "这批轨迹点此前已以不同内容发送过",
                "a batch with this id was sent before with other points",
            )
        return _out(track, user)  # a resend: nothing to add
    if body.first + len(points) > track.point_count:
        raise refuse(
            status.HTTP_409_CONFLICT,
            "too_many_points",
            f"轨迹只有 {track.point_count} 个点",
            f"the track has only {track.point_count} points",
        )
    if body.first > track.received:
        raise refuse(
            status.HTTP_409_CONFLICT,
            "track_gap",
            f"服务器只收到前 {track.received} 个点，请从那里继续",
            f"the server holds the first {track.received} points; continue from there",
        )
    new = points[track.received - body.first :]
    if new:
        session.add_all(
            TrackPoint(
                track_id=track.id,
                idx=track.received + i,
                lat_e6=p.lat_e6,
                lon_e6=p.lon_e6,
                t_ms=p.t_ms,
                accuracy_dm=p.accuracy_dm,
                segment=p.segment,
            )
            for i, p in enumerate(new)
        )
        track.received += len(new)
    session.add(
        TrackBatch(
            id=body.batch_id,
            track_id=track.id,
            first=body.first,
            count=len(points),
            sha256=digest,
            received_at=datetime.now(UTC),
        )
    )
    session.flush()
    if track.received == track.point_count and track.completed_at is None:
        _complete(session, track, user)
    return _out(track, user)


def _complete(session: Session, track: PatrolTrack, author: User) -> None:
    """The last point arrived: the supervisors' feed gets the whole track (last write)."""
    track.completed_at = datetime.now(UTC)
    payload: TrackPayload = {
        "id": track.id,
        "author_id": author.id,
        "author_name": author.display_name or author.username,
        "started_at": track.started_at.isoformat(),
        "ended_at": track.ended_at.isoformat() if track.ended_at else None,
        "distance_m": round(track.distance_m, 1),
        "point_count": track.point_count,
        "points": pack_points(_points(session, track.id)),
    }
    append_feed(session, FeedKind.TRACK, track.id, payload, role=Role.SUPERVISOR.value)


@router.get("/tracks")
def list_tracks(
    session: SessionDep,
    user: CurrentUser,
    *,
    start: Annotated[datetime | None, Query(description="tracks started at or after")] = None,
    end: Annotated[datetime | None, Query(description="tracks started before")] = None,
    author_id: Annotated[str | None, Query(pattern=UUID_PATTERN)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[TrackOut]:
    """Tracks, newest first: an inspector's own; every inspector's for supervisors and admins.
    A department's handler sees none (403): patrols are the command centre's business."""
    require_role(user, Role.INSPECTOR, Role.SUPERVISOR, Role.ADMIN)
    query = select(PatrolTrack, User).join(User, User.id == PatrolTrack.author_id)
    if user.role == Role.INSPECTOR.value:
        query = query.where(PatrolTrack.author_id == user.id)
    elif author_id is not None:
        query = query.where(PatrolTrack.author_id == author_id)
    if start is not None:
        query = query.where(PatrolTrack.started_at >= _aware(start))
    if end is not None:
        query = query.where(PatrolTrack.started_at < _aware(end))
    rows = session.execute(query.order_by(PatrolTrack.started_at.desc()).limit(limit))
    return [_out(track, author) for track, author in rows]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@router.get("/tracks/{track_id}", responses=_NOT_FOUND)
def get_track(track_id: TrackId, session: SessionDep, user: CurrentUser) -> TrackDetail:
    """A track with the points received so far (``received`` is where a client resumes)."""
    require_role(user, Role.INSPECTOR, Role.SUPERVISOR, Role.ADMIN)
    track = _visible(session, user, track_id)
    author = session.get(User, track.author_id)
    out = _out(track, author)
    return TrackDetail(**out.model_dump(), points=encode_points(_points(session, track.id)))
