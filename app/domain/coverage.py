"""Patrol coverage (巡查覆盖): who patrolled how far and how long, which cells were visited and
when, and which cells of each inspector's responsibility nobody visited (盲区).

Pure computation over track points (numpy arrays: a month of a city's tracks is millions of
points); no database, no Qt. The grid enters only as a locator — ``locate(lon, lat)`` giving a
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

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

#: Consecutive points further apart in time are not patrol time (a gap, not a walk).
DEFAULT_MAX_GAP_S = 120.0
#: Faster than this between two points is a receiver jump (as app.capture.tracks).
MAX_PLAUSIBLE_SPEED_MPS = 40.0
#: Cells not visited for this many days are blind spots, by default.
DEFAULT_BLIND_DAYS = 7
_EARTH_RADIUS_M = 6_371_008.8

#: ``locate(lon, lat)`` → the cell's code, or None outside every cell.
Locate = Callable[[float, float], "str | None"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@runtime_checkable
class VectorLocator(Protocol):
    """A locator that also places many points at once (optional, for speed)."""

    def __call__(self, lon: float, lat: float) -> str | None: ...

    def cell_indices(
        self, lons: FloatArray, lats: FloatArray
    ) -> tuple[npt.NDArray[np.int64], Sequence[str]]:
        """Per point an index into the returned codes, or -1 outside every cell."""
        ...


@dataclass(frozen=True, slots=True)
class TrackPoints:
    """One track's points in time order: degrees, Unix seconds, segment numbers."""

    track_id: str
    inspector_id: str
    started_at: datetime
    lat: FloatArray
    lon: FloatArray
    t: FloatArray
    segment: IntArray


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


def _cell_indices(
    locate: Locate, lons: FloatArray, lats: FloatArray
) -> tuple[npt.NDArray[np.int64], list[str]]:
    if isinstance(locate, VectorLocator):
        index, found = locate.cell_indices(lons, lats)
        return np.asarray(index, dtype=np.int64), list(found)
    # Each distinct position (to the micro-degree, the wire's precision) is located once.
    keys = np.round(lons * 1e6).astype(np.int64) * 1_000_000_000 + np.round(lats * 1e6).astype(
        np.int64
    )
    unique, inverse = np.unique(keys, return_inverse=True)
    codes: list[str] = []
    known: dict[str, int] = {}
    per_unique = np.empty(len(unique), dtype=np.int64)
    for i, key in enumerate(unique.tolist()):
        lon, lat = (key // 1_000_000_000) / 1e6, (key % 1_000_000_000) / 1e6
        code = locate(lon, lat)
        if code is None:
            per_unique[i] = -1
            continue
        if code not in known:
            known[code] = len(codes)
            codes.append(code)
        per_unique[i] = known[code]
    return per_unique[inverse], codes


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


#: Tracks are computed a chunk of about this many points at a time (bounded memory).
CHUNK_POINTS = 2_000_000


@dataclass
class _Totals:
    """What the chunks add up to."""

    distance: FloatArray
    patrol: FloatArray
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
) -> CoverageReport:
    """Coverage of ``[start, end)`` from ``tracks`` (those started before ``start`` only give
    last visits). ``cells``: the grid's codes (for the unvisited list); ``responsibilities``:
    inspector id → the codes of the cells they answer for (for blind spots)."""
    responsibilities = responsibilities or {}
    t_start = start.timestamp()
    blind_from = (end - timedelta(days=blind_days)).timestamp()
    tracks = [t for t in tracks if t.started_at < end and len(t.lat)]
    inspectors = sorted({t.inspector_id for t in tracks} | set(responsibilities))
    who = {name: i for i, name in enumerate(inspectors)}
    n = len(inspectors)
    totals = _Totals(np.zeros(n), np.zeros(n), [set() for _ in inspectors])
    chunk: list[TrackPoints] = []
    size = 0
    for track in [*tracks, None]:
        if track is not None:
            chunk.append(track)
            size += len(track.lat)
        if chunk and (track is None or size >= CHUNK_POINTS):
            _add_chunk(totals, chunk, who, locate, start=start, end=end, max_gap_s=max_gap_s)
            chunk, size = [], 0
    counted = [who[x.inspector_id] for x in tracks if x.started_at.timestamp() >= t_start]
    track_counts = np.bincount(np.array(counted, dtype=np.int64), minlength=n)
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


def _add_chunk(
    totals: _Totals,
    tracks: list[TrackPoints],
    who: dict[str, int],
    locate: Locate,
    *,
    start: datetime,
    end: datetime,
    max_gap_s: float,
) -> None:
    t_start, t_end = start.timestamp(), end.timestamp()
    n = len(who)
    lat = np.concatenate([x.lat for x in tracks]).astype(np.float64)
    lon = np.concatenate([x.lon for x in tracks]).astype(np.float64)
    t = np.concatenate([x.t for x in tracks]).astype(np.float64)
    seg = np.concatenate([x.segment for x in tracks]).astype(np.int64)
    sizes = np.array([len(x.lat) for x in tracks])
    track_no = np.repeat(np.arange(len(tracks)), sizes)
    owner = np.repeat(np.array([who[x.inspector_id] for x in tracks]), sizes)
    in_period = np.repeat(np.array([x.started_at.timestamp() >= t_start for x in tracks]), sizes)

    # Steps between consecutive points of one segment of one track, counted in the period.
    same = (track_no[1:] == track_no[:-1]) & (seg[1:] == seg[:-1]) & in_period[1:]
    dt = np.diff(t)
    step = _haversine(lat[:-1], lon[:-1], lat[1:], lon[1:])
    plausible = step <= MAX_PLAUSIBLE_SPEED_MPS * np.maximum(dt, 1e-9)
    walked = same & plausible & (dt > 0)
    timed = same & (dt > 0) & (dt <= max_gap_s)
    totals.distance += np.bincount(owner[1:][walked], weights=step[walked], minlength=n)
    totals.patrol += np.bincount(owner[1:][timed], weights=dt[timed], minlength=n)
    del same, step, plausible, walked, timed, seg

    # Cells: runs of consecutive points in one cell of one track, reduced to their last point.
    cell, codes = _cell_indices(locate, lon, lat)
    run_end = np.ones(len(cell), dtype=bool)
    if len(cell) > 1:
        run_end[:-1] = (cell[1:] != cell[:-1]) | (track_no[1:] != track_no[:-1])
    keep = run_end & (cell >= 0) & (t < t_end)
    r_cell, r_owner, r_t = cell[keep], owner[keep], t[keep]
    r_period = in_period[keep] & (r_t >= t_start)
    width = max(len(codes), 1)
    for key in np.unique(r_owner[r_period] * width + r_cell[r_period]).tolist():
        totals.visited[key // width].add(codes[key % width])
    if len(r_cell):
        order = np.lexsort((r_t, r_cell))
        ends = np.ones(len(order), dtype=bool)
        ends[:-1] = r_cell[order][1:] != r_cell[order][:-1]
        for i in order[ends].tolist():
            code, at = codes[int(r_cell[i])], float(r_t[i])
            if code not in totals.last or totals.last[code][0] < at:
                totals.last[code] = (at, int(r_owner[i]))


def _haversine(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    distance: FloatArray = 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    return distance
