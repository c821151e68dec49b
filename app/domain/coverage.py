"""Patrol coverage (巡查覆盖): who patrolled how far and how long, which cells were visited and
when, and which cells of each inspector's responsibility nobody visited (盲区).

Pure computation over track points; no database, no Qt. Where numpy is installed (the office's
tools, the benchmarks) the points go through :mod:`app.domain.coverage_numpy` a chunk at a time
— a month of a city's tracks is millions of points; the desktop bundle leaves numpy out (about
45 MB) and computes the same figures track by track in Python. The grid enters only as a locator — ``locate(lon, lat)`` giving a
cell's 15-digit code or None — so any cell index can serve (the grid cells of the server, a
test's own polygons). A locator that also offers ``cell_indices(lons, lats)`` (vectorised:
an index into a code list per point, -1 outside every cell) is used for speed; otherwise each
distinct position (to the micro-degree) is located once.

The rules:

* a cell is **visited** when a track point lies in it; its **last visit** is the latest such
  point (and whose track it was);
* **patrol distance** (巡查里程) is the length along each track, never bridging a pause (a new
  segment), nor a jump faster than a car in town;
* **time on patrol** (在岗时长) adds the time between consecutive points of a segment when
  they are at most ``max_gap_s`` apart (a receiver that lost the sky for longer, or a laptop
  closed, is not patrol time);
* a track counts for the period it started in; tracks before the period still give cells a
  last visit (so the blind spots of a period's first days see the days before it);
* a **blind spot** is a cell of an inspector's responsibility with no visit by anyone in the
  ``blind_days`` days up to the end of the period.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from app.domain.geodesy import EARTH_RADIUS_M, MAX_PLAUSIBLE_SPEED_MPS

#: Consecutive points further apart in time are not patrol time (a gap, not a walk).
DEFAULT_MAX_GAP_S = 120.0
#: Cells not visited for this many days are blind spots, by default.
DEFAULT_BLIND_DAYS = 7

#: ``locate(lon, lat)`` → the cell's code, or None outside every cell.
Locate = Callable[[float, float], "str | None"]
#: A column of numbers: a list, or a numpy array.
Floats = Sequence[float]
Ints = Sequence[int]


@runtime_checkable
class VectorLocator(Protocol):
    """A locator that also places many points at once (optional, for speed)."""

    def __call__(self, lon: float, lat: float) -> str | None: ...

    def cell_indices(self, lons: Any, lats: Any) -> tuple[Any, Sequence[str]]:
        """Per point an index into the returned codes, or -1 outside every cell."""
        ...


@dataclass(frozen=True, slots=True)
class TrackPoints:
    """One track's points in time order: degrees, Unix seconds, segment numbers."""

    track_id: str
    inspector_id: str
    started_at: datetime
    lat: Floats
    lon: Floats
    t: Floats
    segment: Ints


@dataclass(frozen=True, slots=True)
class InspectorCoverage:
    inspector_id: str
    tracks: int
    distance_m: float
    patrol_s: float
    cells_visited: frozenset[str]
    #: Responsible cells with no visit by anyone in the blind-spot window (code → last visit).
    blind_spots: dict[str, datetime | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CellVisit:
    code: str
    last_visit: datetime
    inspector_id: str


@dataclass(frozen=True, slots=True)
class CoverageReport:
    start: datetime
    end: datetime
    blind_days: int
    inspectors: list[InspectorCoverage]
    #: Every visited cell's last visit (by anyone, up to the end of the period).
    cells: dict[str, CellVisit]
    #: Cells of the grid not visited in the period.
    unvisited: list[str]
    total_cells: int

    @property
    def covered_share(self) -> float:
        """Share of the grid's cells visited in the period (0 … 1)."""
        if not self.total_cells:
            return 0.0
        return 1 - len(self.unvisited) / self.total_cells

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "blind_days": self.blind_days,
            "total_cells": self.total_cells,
            "covered_share": round(self.covered_share, 4),
            "inspectors": [
                {
                    "inspector_id": i.inspector_id,
                    "tracks": i.tracks,
                    "distance_m": round(i.distance_m, 1),
                    "patrol_s": round(i.patrol_s),
                    "cells_visited": sorted(i.cells_visited),
                    "blind_spots": {
                        code: at.isoformat() if at else None
                        for code, at in sorted(i.blind_spots.items())
                    },
                }
                for i in self.inspectors
            ],
            "cells": {
                code: {"last_visit": v.last_visit.isoformat(), "inspector_id": v.inspector_id}
                for code, v in sorted(self.cells.items())
            },
            "unvisited": self.unvisited,
        }


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


#: Tracks are computed a chunk of about this many points at a time (bounded memory).
CHUNK_POINTS = 2_000_000


@dataclass
class _Totals:
    """What the chunks add up to."""

    distance: list[float]
    patrol: list[float]
    visited: list[set[str]]
    last: dict[str, tuple[float, int]] = field(default_factory=dict)  # code → (t, inspector)


def compute_coverage(
    tracks: Sequence[TrackPoints],
    locate: Locate,
    *,
    start: datetime,
    end: datetime,
    cells: Collection[str] = (),
    responsibilities: Mapping[str, Collection[str]] | None = None,
    blind_days: int = DEFAULT_BLIND_DAYS,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
    vectorised: bool = True,
) -> CoverageReport:
    """Coverage of ``[start, end)`` from ``tracks`` (those started before ``start`` only give
    last visits). ``cells``: the grid's codes (for the unvisited list); ``responsibilities``:
    inspector id → the codes of the cells they answer for (for blind spots). With numpy
    installed (and ``vectorised``) the points are computed a chunk at a time in numpy; without
    it (the desktop bundle), track by track in Python — the same rules, the same figures."""
    fast = _numpy_path() if vectorised else None
    responsibilities = responsibilities or {}
    t_start = start.timestamp()
    blind_from = (end - timedelta(days=blind_days)).timestamp()
    tracks = [t for t in tracks if t.started_at < end and len(t.lat)]
    inspectors = sorted({t.inspector_id for t in tracks} | set(responsibilities))
    who = {name: i for i, name in enumerate(inspectors)}
    n = len(inspectors)
    totals = _Totals([0.0] * n, [0.0] * n, [set() for _ in inspectors])
    chunk: list[TrackPoints] = []
    size = 0
    for track in [*tracks, None]:
        if track is not None:
            chunk.append(track)
            size += len(track.lat)
        if chunk and (track is None or size >= CHUNK_POINTS):
            if fast is not None:
                fast.add_chunk(
                    totals, chunk, who, locate, start=start, end=end, max_gap_s=max_gap_s
                )
            else:
                for one in chunk:
                    _add_track(totals, one, who[one.inspector_id], locate, start=start, end=end,
                               max_gap_s=max_gap_s)  # fmt: skip
            chunk, size = [], 0
    track_counts = [0] * n
    for x in tracks:
        if x.started_at.timestamp() >= t_start:
            track_counts[who[x.inspector_id]] += 1
    last = {code: CellVisit(code, _at(t), inspectors[i]) for code, (t, i) in totals.last.items()}
    report_inspectors = []
    for i, name in enumerate(inspectors):
        blind = {
            code: (last[code].last_visit if code in last else None)
            for code in responsibilities.get(name, ())
            if code not in last or last[code].last_visit.timestamp() < blind_from
        }
        report_inspectors.append(
            InspectorCoverage(
                name,
                int(track_counts[i]),
                float(totals.distance[i]),
                float(totals.patrol[i]),
                frozenset(totals.visited[i]),
                blind,
            )
        )
    visited_in_period = set().union(*totals.visited) if totals.visited else set()
    unvisited = sorted(set(cells) - visited_in_period)
    return CoverageReport(
        start, end, blind_days, report_inspectors, last, unvisited, len(set(cells))
    )


def _numpy_path() -> Any:
    """:mod:`app.domain.coverage_numpy`, or None where numpy is not installed."""
    try:
        from app.domain import coverage_numpy
    except ImportError:  # the desktop bundle leaves numpy out (build.spec)
        return None
    return coverage_numpy


def _add_track(
    totals: _Totals,
    track: TrackPoints,
    owner: int,
    locate: Locate,
    *,
    start: datetime,
    end: datetime,
    max_gap_s: float,
) -> None:
    """One track's share of the totals, in plain Python (the rules of the numpy path)."""
    t_start, t_end = start.timestamp(), end.timestamp()
    lat, lon = [float(v) for v in track.lat], [float(v) for v in track.lon]
    t, seg = [float(v) for v in track.t], [int(v) for v in track.segment]
    in_period = track.started_at.timestamp() >= t_start
    if in_period:
        distance = patrol = 0.0
        radians, sin, cos, asin, sqrt = math.radians, math.sin, math.cos, math.asin, math.sqrt
        for i in range(1, len(t)):
            dt = t[i] - t[i - 1]
            if seg[i] != seg[i - 1] or dt <= 0:
                continue
            p1, p2 = radians(lat[i - 1]), radians(lat[i])
            dl = radians(lon[i] - lon[i - 1])
            a = sin((p2 - p1) / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2
            step = 2 * EARTH_RADIUS_M * asin(sqrt(min(a, 1.0)))
            if step <= MAX_PLAUSIBLE_SPEED_MPS * dt:
                distance += step
            if dt <= max_gap_s:
                patrol += dt
        totals.distance[owner] += distance
        totals.patrol[owner] += patrol
    visited = totals.visited[owner]
    last = totals.last
    previous: str | None = None
    for la, lo, ti in zip(lat, lon, t, strict=True):
        if ti >= t_end:
            break
        code = locate(lo, la)
        if code is None:
            continue
        if code != previous:
            if in_period and ti >= t_start:
                visited.add(code)
            previous = code
        if code not in last or last[code][0] < ti:
            last[code] = (ti, owner)
