"""Patrol coverage (巡查覆盖): who patrolled how far and how long, which cells were visited and
when, and which cells of each inspector's responsibility nobody visited (盲区).

Pure computation over track points; no database, no Qt, no numpy (the desktop bundle leaves
numpy out). The work is split so that a period's coverage never walks points:
:func:`summarise_track` reduces one track, once, to its distance, its time on patrol and its
**visits** — each cell it entered, with the first and last time it was there;
:func:`combine` turns the summaries of a period into the report with a little arithmetic. The
local store keeps every track's summary (computed when the track stops or arrives, and again
when the grid changes), so a month of a city's tracks is a query of a few hundred thousand rows.
:func:`compute_coverage` does both steps at once (tests, the benchmarks' baseline). The grid
enters only as a locator — ``locate(lon, lat)`` giving a cell's 15-digit code or None — so any
cell index can serve (the grid cells of the server, a test's own polygons).

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
  ``blind_days`` days up to the end of the period;
* a track that runs past the end of the period keeps the visits it began before the end; a
  cell it was still in at the end counts from its first time there (the summary holds no
  point-by-point times).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from app.domain.geodesy import EARTH_RADIUS_M, MAX_PLAUSIBLE_SPEED_MPS

#: Consecutive points further apart in time are not patrol time (a gap, not a walk).
DEFAULT_MAX_GAP_S = 120.0
#: Cells not visited for this many days are blind spots, by default.
DEFAULT_BLIND_DAYS = 7

#: ``locate(lon, lat)`` → the cell's code, or None outside every cell.
Locate = Callable[[float, float], "str | None"]
#: A column of numbers (a list; any sequence of floats).
Floats = Sequence[float]
Ints = Sequence[int]


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


@dataclass(frozen=True, slots=True)
class TrackSummary:
    """What coverage needs of one track: its distance and time on patrol, and per cell it
    entered the first and last time (Unix seconds) a point of it lay there."""

    track_id: str
    inspector_id: str
    started_at: datetime
    distance_m: float
    patrol_s: float
    visits: dict[str, tuple[float, float]]


def summarise_track(
    track: TrackPoints, locate: Locate, *, max_gap_s: float = DEFAULT_MAX_GAP_S
) -> TrackSummary:
    """One track reduced to its coverage figures, in plain Python (each distinct position, to
    the micro-degree, is located once)."""
    lat, lon = [float(v) for v in track.lat], [float(v) for v in track.lon]
    t, seg = [float(v) for v in track.t], [int(v) for v in track.segment]
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
    visits: dict[str, tuple[float, float]] = {}
    seen: dict[tuple[int, int], str | None] = {}
    for la, lo, ti in zip(lat, lon, t, strict=True):
        key = (round(lo * 1e6), round(la * 1e6))
        if key in seen:
            code = seen[key]
        else:
            code = seen[key] = locate(lo, la)
        if code is None:
            continue
        was = visits.get(code)
        if was is None:
            visits[code] = (ti, ti)
        else:
            visits[code] = (min(was[0], ti), max(was[1], ti))
    return TrackSummary(
        track.track_id, track.inspector_id, track.started_at, distance, patrol, visits
    )


def combine(
    summaries: Iterable[TrackSummary],
    *,
    start: datetime,
    end: datetime,
    cells: Collection[str] = (),
    responsibilities: Mapping[str, Collection[str]] | None = None,
    blind_days: int = DEFAULT_BLIND_DAYS,
) -> CoverageReport:
    """Coverage of ``[start, end)`` from track summaries (those of tracks started before
    ``start`` only give last visits). ``cells``: the grid's codes (for the unvisited list);
    ``responsibilities``: inspector id → the codes of the cells they answer for (blind spots)."""
    responsibilities = responsibilities or {}
    t_start, t_end = start.timestamp(), end.timestamp()
    blind_from = (end - timedelta(days=blind_days)).timestamp()
    tracks = [x for x in summaries if x.started_at < end]
    inspectors = sorted({x.inspector_id for x in tracks} | set(responsibilities))
    track_counts = dict.fromkeys(inspectors, 0)
    distance = dict.fromkeys(inspectors, 0.0)
    patrol = dict.fromkeys(inspectors, 0.0)
    visited: dict[str, set[str]] = {i: set() for i in inspectors}
    last: dict[str, tuple[float, str]] = {}
    for x in tracks:
        who = x.inspector_id
        in_period = x.started_at.timestamp() >= t_start
        if in_period:
            track_counts[who] += 1
            distance[who] += x.distance_m
            patrol[who] += x.patrol_s
        mine = visited[who]
        for code, (first, final) in x.visits.items():
            if first >= t_end:
                continue
            if in_period and first >= t_start:
                mine.add(code)
            at = final if final < t_end else first
            was = last.get(code)
            if was is None or was[0] < at:
                last[code] = (at, who)
    visits = {code: CellVisit(code, _at(t), who) for code, (t, who) in last.items()}
    rows = []
    for name in inspectors:
        blind = {
            code: (visits[code].last_visit if code in visits else None)
            for code in responsibilities.get(name, ())
            if code not in last or last[code][0] < blind_from
        }
        rows.append(
            InspectorCoverage(
                name,
                track_counts[name],
                distance[name],
                patrol[name],
                frozenset(visited[name]),
                blind,
            )
        )
    seen = set().union(*visited.values()) if visited else set()
    unvisited = sorted(set(cells) - seen)
    return CoverageReport(start, end, blind_days, rows, visits, unvisited, len(set(cells)))


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
    """Coverage straight from track points: :func:`summarise_track` each track, then
    :func:`combine` (what the store does in two steps, at different times)."""
    summaries = (
        summarise_track(x, locate, max_gap_s=max_gap_s)
        for x in tracks
        if x.started_at < end and len(x.lat)
    )
    return combine(
        summaries,
        start=start,
        end=end,
        cells=cells,
        responsibilities=responsibilities,
        blind_days=blind_days,
    )
