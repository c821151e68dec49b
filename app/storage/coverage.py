"""Patrol coverage from the local store: the tracks of a period (this laptop's own, and on a
supervisor's laptop every inspector's, from the feed) read into arrays and handed to
:func:`app.domain.coverage.compute_coverage`, with the inspectors' names.

The grid comes in through :func:`coverage_grid`: the cell index the feed's cells built, every
cell's code and the 定人定责 table (inspector → cells). Each track's visited cells are computed
once against that same index and stored (:mod:`app.storage.track_cells`), so a period's report
is a query and some additions (:func:`app.domain.coverage.combine`). Without a grid the report
still gives distances and times, and no cells.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.capture.tracks import TrackState
from app.domain.coverage import (
    DEFAULT_BLIND_DAYS,
    CoverageReport,
    InspectorCoverage,
    Locate,
    combine,
)
from app.domain.deadlines import WorkingCalendar
from app.domain.sites import RoundCounts
from app.storage.grids import places
from app.storage.models import GridResponsibility, Position, Track, User
from app.storage.sites import round_counts
from app.storage.track_cells import code_locator, track_summaries

if TYPE_CHECKING:
    from app.storage.store import LocalStore

_UNIX_EPOCH_JD = 2440587.5


def _nowhere(lon: float, lat: float) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class CoverageGrid:
    """What coverage needs of the grid: a locator, every cell's code, and per inspector (id)
    the codes of the cells they answer for."""

    locate: Locate = _nowhere
    cells: Collection[str] = ()
    responsibilities: Mapping[str, Collection[str]] = field(default_factory=dict)


def coverage_grid(store: LocalStore) -> CoverageGrid | None:
    """The grid of this laptop, for coverage: the cell index the feed's cells built
    (:func:`app.storage.grids.places`), every cell's code, and per inspector the cells the
    定人定责 table gives them. None while the laptop holds no cell."""
    with store.read() as s:
        found = places(s)
        if not len(found.cells):
            return None
        responsibilities: dict[str, set[str]] = {}
        for code, inspectors in s.execute(
            select(GridResponsibility.grid_code, GridResponsibility.inspectors)
        ):
            for inspector in inspectors or ():
                responsibilities.setdefault(str(inspector), set()).add(str(code))
    return CoverageGrid(code_locator(found.cells), frozenset(found.names), responsibilities)


@dataclass(frozen=True, slots=True)
class Coverage:
    """A coverage report, the key-site rounds of the period, and the inspectors' names."""

    report: CoverageReport
    names: dict[str, str]
    has_grid: bool
    #: Per inspector: key-site rounds due in the period (as of now), done and missed.
    rounds: dict[str, RoundCounts] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, InspectorCoverage, RoundCounts]]:
        """Every inspector with tracks, responsibilities or rounds, by name."""
        by_id = {i.inspector_id: i for i in self.report.inspectors}
        for inspector in self.rounds:
            by_id.setdefault(inspector, InspectorCoverage(inspector, 0, 0.0, 0.0, frozenset()))
        return sorted(
            (
                (self.names.get(i, i), row, self.rounds.get(i, RoundCounts()))
                for i, row in by_id.items()
            ),
            key=lambda r: (r[0], r[1].inspector_id),
        )


def coverage(
    store: LocalStore,
    start: datetime,
    end: datetime,
    *,
    blind_days: int = DEFAULT_BLIND_DAYS,
) -> Coverage:
    """Coverage of ``[start, end)`` from the tracks' stored cells (:mod:`app.storage.track_cells`);
    tracks of the ``blind_days`` before ``end`` also count for the blind spots."""
    grid = coverage_grid(store)
    since = min(start, end - timedelta(days=blind_days))
    used = grid or CoverageGrid()
    report = combine(
        track_summaries(store, since, end),
        start=start,
        end=end,
        cells=used.cells,
        responsibilities=used.responsibilities,
        blind_days=blind_days,
    )
    tz = WorkingCalendar().tz
    last_day = (end - timedelta(microseconds=1)).astimezone(tz).date()
    rounds = round_counts(store, start.astimezone(tz).date(), last_day, store.clock())
    people = {i.inspector_id for i in report.inspectors} | set(rounds)
    with store.read() as s:
        names = {
            u.id: u.display_name or u.username
            for u in s.scalars(select(User).where(User.id.in_(people)))
        }
    return Coverage(report, names, grid is not None, rounds)


@dataclass(frozen=True, slots=True)
class TrackOwner:
    """An inspector with tracks on this laptop."""

    id: str
    name: str


def track_inspectors(store: LocalStore) -> list[TrackOwner]:
    """Inspectors whose tracks this laptop holds (a supervisor's: every inspector's), by name."""
    with store.read() as s:
        rows = s.execute(
            select(User.id, User.display_name, User.username).where(
                User.id.in_(select(Track.author_id).where(Track.state == TrackState.STOPPED.value))
            )
        ).all()
    return sorted(
        (TrackOwner(str(i), str(d or u)) for i, d, u in rows), key=lambda o: (o.name, o.id)
    )


def day_tracks(
    store: LocalStore, start: datetime, end: datetime, inspector_id: str | None = None
) -> list[list[tuple[float, float]]]:
    """The ``(lat, lon)`` segments of the stopped tracks started in ``[start, end)`` (of one
    inspector, or everyone's): what the map draws, a pause never bridged."""
    query = (
        select(Position.track_id, Position.segment, Position.lat, Position.lon)
        .join(Track, Track.id == Position.track_id)
        .where(
            Track.state == TrackState.STOPPED.value,
            Track.started_at >= start,
            Track.started_at < end,
        )
        .order_by(Position.track_id, Position.at)
    )
    if inspector_id is not None:
        query = query.where(Track.author_id == inspector_id)
    with store.read() as s:
        rows = s.execute(query).all()
    return [
        [(lat, lon) for _, _, lat, lon in points]
        for _, points in groupby(rows, key=lambda r: (r[0], r[1]))
    ]
