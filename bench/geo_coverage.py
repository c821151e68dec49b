"""Benchmark of patrol coverage (``app.domain.coverage``): a month of a city's tracks.

Run from the project root::

    .venv/bin/python bench/geo_coverage.py [--inspectors 100] [--days 30] [--hours 8]
        [--every 5] [--baseline-points 200000] [--grid FILE] [--json]

The grid is the 736 cells of 贵溪 (``../shared/samples/map/grids.geojson``), located by the
test locator (``bench/support/cell_locator.py``: exact, vectorised). Each inspector walks a
day of ``--hours`` hours at 1.4 m/s, a point every ``--every`` seconds, along a random walk
through the grid with a pause at noon; a month is 100 × 30 × 8 h / 5 s = 17.3 million points.
Every inspector answers for 10 cells (for the blind spots).

1. **Coverage** — ``compute_coverage`` over every point: distance and time on patrol per
   inspector, visited cells, last visit per cell, blind spots. Target: ≤ 10 s.
2. **Python path** — the same computation without numpy (as the desktop bundle runs it, which
   leaves numpy out), timed on the first ``--python-days`` days and extrapolated to the month.
3. **Naive baseline** — measured in the same run: a plain Python loop over
   ``--baseline-points`` of the same points (haversine per step, ``locate`` per point, a dict of
   last visits), its rate extrapolated to the month.

A missed target is reported as MISS, never as an error (exit 0; 2 when the grid is missing).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench" / "support"))

from cell_locator import PolygonCells  # noqa: E402

from app.capture.positions import haversine_m  # noqa: E402
from app.domain.coverage import TrackPoints, compute_coverage  # noqa: E402

TARGET_S = 10.0
START = datetime(2026, 11, 1, tzinfo=UTC)


def make_tracks(
    cells: PolygonCells, inspectors: int, days: int, *, hours: float, every: float, seed: int = 1
) -> list[TrackPoints]:
    rng = np.random.default_rng(seed)
    west, south = cells.west, cells.south
    east = west + (cells.nx - 1) * cells.step
    north = south + (cells.ny - 1) * cells.step
    n = int(hours * 3600 / every)
    step_deg = 1.4 * every / 111_195.0
    tracks = []
    for day in range(days):
        for who in range(inspectors):
            # A random walk with a slowly turning heading, kept inside the grid.
            heading = np.cumsum(rng.normal(0, 0.15, n)) + rng.uniform(0, 2 * math.pi)
            lat0 = rng.uniform(south + 0.005, north - 0.005)
            lon0 = rng.uniform(west + 0.005, east - 0.005)
            dlat = np.sin(heading) * step_deg
            dlon = np.cos(heading) * step_deg / math.cos(math.radians(lat0))
            lat = lat0 + np.cumsum(dlat)
            lon = lon0 + np.cumsum(dlon)
            lat = south + np.abs((lat - south) % (2 * (north - south)) - (north - south))
            lon = west + np.abs((lon - west) % (2 * (east - west)) - (east - west))
            start = START + timedelta(days=day, hours=0.5)
            t = start.timestamp() + np.arange(n) * every
            segment = (np.arange(n) >= n // 2).astype(np.int64)  # the lunch break
            tracks.append(TrackPoints(f"t{day}-{who}", f"i{who}", start, lat, lon, t, segment))
    return tracks


def naive(tracks: list[TrackPoints], cells: PolygonCells, limit: int) -> tuple[int, float]:
    """A plain loop over the first ``limit`` points: (points, seconds)."""
    began = time.perf_counter()
    done = 0
    distance: dict[str, float] = {}
    last: dict[str, float] = {}
    for track in tracks:
        lats, lons, ts = track.lat.tolist(), track.lon.tolist(), track.t.tolist()
        for i in range(len(lats)):
            if i:
                d = haversine_m(lats[i - 1], lons[i - 1], lats[i], lons[i])
                distance[track.inspector_id] = distance.get(track.inspector_id, 0.0) + d
            code = cells(lons[i], lats[i])
            if code is not None:
                last[code] = max(last.get(code, 0.0), ts[i])
            done += 1
            if done >= limit:
                return done, time.perf_counter() - began
    return done, time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inspectors", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--every", type=float, default=5.0)
    parser.add_argument("--baseline-points", type=int, default=200_000)
    parser.add_argument("--python-days", type=int, default=2, help="days timed on the Python path")
    parser.add_argument(
        "--grid", type=Path, default=ROOT.parent / "shared" / "samples" / "map" / "grids.geojson"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.grid.is_file():
        print(f"grid not found: {args.grid}", file=sys.stderr)
        return 2
    cells = PolygonCells.from_geojson(args.grid)
    tracks = make_tracks(cells, args.inspectors, args.days, hours=args.hours, every=args.every)
    points = sum(len(t.lat) for t in tracks)
    codes = cells.codes
    rng = np.random.default_rng(2)
    responsibilities = {
        f"i{w}": [codes[int(i)] for i in rng.choice(len(codes), 10, replace=False)]
        for w in range(args.inspectors)
    }
    end = START + timedelta(days=args.days)
    began = time.perf_counter()
    report = compute_coverage(
        tracks, cells, start=START, end=end, cells=codes, responsibilities=responsibilities
    )
    seconds = time.perf_counter() - began
    # The Python path (the desktop bundle, without numpy) on the first days, extrapolated.
    subset = tracks[: args.inspectors * min(args.python_days, args.days)]
    sub_points = sum(len(t.lat) for t in subset)
    began = time.perf_counter()
    compute_coverage(
        subset, cells.__call__, start=START, end=end, cells=codes,
        responsibilities=responsibilities, vectorised=False,
    )  # fmt: skip
    python_s = (time.perf_counter() - began) * points / sub_points
    base_points, base_s = naive(tracks, cells, args.baseline_points)
    base_rate = base_points / base_s
    base_month_s = points / base_rate
    blind = sum(len(i.blind_spots) for i in report.inspectors)
    result = {
        "python": platform.python_version(),
        "inspectors": args.inspectors,
        "days": args.days,
        "points": points,
        "coverage_s": round(seconds, 2),
        "points_per_s": round(points / seconds),
        "naive_points_per_s": round(base_rate),
        "naive_month_s_extrapolated": round(base_month_s, 1),
        "speedup": round(base_month_s / seconds, 1),
        "python_path_month_s_extrapolated": round(python_s, 1),
        "cells_visited": len(report.cells),
        "covered_share": round(report.covered_share, 3),
        "blind_spots": blind,
        "target_s": TARGET_S,
        "met": seconds <= TARGET_S,
    }
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(
        f"patrol coverage — Python {result['python']}, grid {len(codes)} cells ({args.grid.name})"
    )
    print(
        f"  month: {args.inspectors} inspectors × {args.days} days × {args.hours:g} h, "
        f"a point every {args.every:g} s = {points:,} points"
    )
    print(
        f"  coverage          {seconds:8.2f} s   {points / seconds:12,.0f} points/s   "
        f"{'OK' if seconds <= TARGET_S else 'MISS'} (target ≤ {TARGET_S:g} s)"
    )
    print(
        f"  naive loop        {base_month_s:8.1f} s   {base_rate:12,.0f} points/s   "
        f"(measured on {base_points:,} points, extrapolated)"
    )
    print(
        f"  Python path       {python_s:8.1f} s   {points / python_s:12,.0f} points/s   "
        f"(no numpy, as in the desktop bundle; {sub_points:,} points measured, extrapolated)"
    )
    print(f"  ratio             {base_month_s / seconds:8.1f} × faster than the naive loop")
    print(
        f"  result: {len(report.cells)} cells visited ({report.covered_share:.1%}), "
        f"{blind} blind spots"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
