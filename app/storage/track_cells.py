"""Each track's grid cells, stored: what makes coverage of a month a query.

When a track stops, is imported from a receiver's log, or arrives through the feed, its points
are walked once (:func:`app.domain.coverage.summarise_track`): the cells it entered with the
first and last time it was in each (table ``track_cells``), its distance by the coverage rules
and its time on patrol (``tracks.cover_m``, ``tracks.patrol_s``). The rows carry the grid's
stamp (``tracks.cells_stamp``, a ``sync_state`` value the feed changes whenever a cell
changes); coverage recomputes the tracks of its period whose stamp is not the current one
(lazily: a new grid costs one walk of each track the first time a report needs it), then adds
up the rows (:func:`app.domain.coverage.combine`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_, delete, insert, or_, select
from sqlalchemy.orm import Session

from app.capture.tracks import TrackState
from app.domain.coverage import Locate, TrackPoints, TrackSummary, summarise_track
from app.geo.cells import CellIndex
from app.storage.grids import grid_stamp, places
from app.storage.models import Position, Track, TrackCell

if TYPE_CHECKING:
    from app.storage.store import LocalStore

#: Tracks re-walked per write transaction when the grid changed (a short lock each).
REFRESH_BATCH = 50


def code_locator(index: CellIndex) -> Locate:
    """``locate(lon, lat)`` → the code of the cell of ``index`` holding the position."""

    def locate(lon: float, lat: float) -> str | None:
        hit = index.locate(lon, lat)
        return hit.code if hit is not None else None

    return locate


def index_track(s: Session, track_id: str) -> None:
    """Walk ``track_id``'s points once: store its cells, distance and time on patrol."""
    track = s.get(Track, track_id)
    if track is None:
        return
    stamp = grid_stamp(s)
    rows = s.execute(
        select(Position.lat, Position.lon, Position.at, Position.segment)
        .where(Position.track_id == track_id)
        .order_by(Position.at)
    ).all()
    points = TrackPoints(
        track.id,
        track.author_id or "",
        track.started_at,
        [float(r[0]) for r in rows],
        [float(r[1]) for r in rows],
        [r[2].timestamp() for r in rows],
        [int(r[3]) for r in rows],
    )
    summary = summarise_track(points, code_locator(places(s).cells))
    s.execute(delete(TrackCell).where(TrackCell.track_id == track_id))
    if summary.visits:
        s.execute(
            insert(TrackCell),
            [
                {"track_id": track_id, "code": code, "first_s": first, "last_s": last}
                for code, (first, last) in summary.visits.items()
            ],
        )
    track.cover_m, track.patrol_s, track.cells_stamp = (
        summary.distance_m,
        summary.patrol_s,
        stamp,
    )


def _in_range(since: datetime, until: datetime) -> ColumnElement[bool]:
    return and_(
        Track.state == TrackState.STOPPED.value,
        Track.started_at >= since,
        Track.started_at < until,
    )


def refresh_track_cells(store: LocalStore, since: datetime, until: datetime) -> int:
    """Re-walk the stopped tracks started in ``[since, until)`` whose cells were computed
    against another grid (or never): how many were."""
    with store.read() as s:
        stamp = grid_stamp(s)
        stale = list(
            s.scalars(
                select(Track.id).where(
                    _in_range(since, until),
                    or_(Track.cells_stamp.is_(None), Track.cells_stamp != stamp),
                )
            )
        )
    for i in range(0, len(stale), REFRESH_BATCH):
        with store.write() as s:
            for track_id in stale[i : i + REFRESH_BATCH]:
                index_track(s, track_id)
    return len(stale)


def track_summaries(store: LocalStore, since: datetime, until: datetime) -> list[TrackSummary]:
    """The stored summaries of the stopped tracks started in ``[since, until)`` (refreshed
    first where the grid changed since they were computed)."""
    refresh_track_cells(store, since, until)
    with store.read() as s:
        tracks = s.execute(
            select(Track.id, Track.author_id, Track.started_at, Track.cover_m, Track.patrol_s)
            .where(_in_range(since, until))
            .order_by(Track.started_at, Track.id)
        ).all()
        visits: dict[str, dict[str, tuple[float, float]]] = {t[0]: {} for t in tracks}
        rows = s.execute(
            select(TrackCell.track_id, TrackCell.code, TrackCell.first_s, TrackCell.last_s)
            .join(Track, Track.id == TrackCell.track_id)
            .where(_in_range(since, until))
        )
        for track_id, code, first, last in rows:
            visits[track_id][code] = (first, last)
    return [
        TrackSummary(
            str(i),
            str(author or ""),
            started,
            float(cover or 0.0),
            float(patrol or 0.0),
            visits[i],
        )
        for i, author, started, cover, patrol in tracks
    ]
