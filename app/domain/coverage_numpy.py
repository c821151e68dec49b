"""The vectorised path of :mod:`app.domain.coverage` (numpy): the same rules, a chunk of
tracks at a time. Imported only where numpy is installed (not in the desktop bundle)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from app.domain.geodesy import EARTH_RADIUS_M, MAX_PLAUSIBLE_SPEED_MPS

if TYPE_CHECKING:
    from app.domain.coverage import Locate, TrackPoints, _Totals

FloatArray = npt.NDArray[np.float64]


def cell_indices(
    locate: Locate, lons: FloatArray, lats: FloatArray
) -> tuple[npt.NDArray[np.int64], list[str]]:
    if hasattr(locate, "cell_indices"):
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


def add_chunk(
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
    distance = np.bincount(owner[1:][walked], weights=step[walked], minlength=n)
    patrol = np.bincount(owner[1:][timed], weights=dt[timed], minlength=n)
    for i in range(n):
        totals.distance[i] += float(distance[i])
        totals.patrol[i] += float(patrol[i])
    del same, step, plausible, walked, timed, seg

    # Cells: runs of consecutive points in one cell of one track, reduced to their last point.
    cell, codes = cell_indices(locate, lon, lat)
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
    distance: FloatArray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(a, 1.0)))
    return distance
