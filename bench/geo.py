"""Benchmark of the point-in-cell lookup (``app.geo.cells.CellIndex.locate``).

Run from the project root::

    .venv/bin/python bench/geo.py [--cells 10000] [--points 20000] [--naive-points 300] [--json]

A city's grid of ``--cells`` cells (a square lattice of about 200 m cells whose inner corners
are jittered by up to 40 m, so the cells are irregular quadrilaterals that still tile the area
without gaps or overlaps) and ``--points`` random positions over it (about 9 % outside) are made with
a fixed seed. Measured in the same run, on the same cells:

1. **CellIndex** — the laptop's index (buckets about one cell wide, then the even-odd rule):
   lookups per second over all the points. Target: at least 50 × the naive loop.
2. **Naive loop** — what a first attempt looks like: the even-odd test against every polygon
   in turn until one holds the point, over the first ``--naive-points`` points (it is slow).
3. **shapely STRtree** — for reference (the server's library; the laptop does without it):
   ``STRtree.query(point, predicate="within")`` one point at a time.

Every answer of the index is checked against the naive loop on the points both ran; a
disagreement is printed as a WARNING. A missed target is reported as MISS, never as an error.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.geo.cells import CellHit, CellIndex, point_in_rings, ring_pairs  # noqa: E402

TARGET_RATIO = 50.0
WEST, SOUTH = 117.15, 28.25
CELL_DEG = 0.0018  # about 200 m of latitude (and 175 m of longitude here)


def make_grid(cells: int, seed: int = 7) -> list[tuple[CellHit, list[list[float]]]]:
    """``cells`` quadrilaterals (rounded up to a square number) tiling a square area."""
    side = math.ceil(math.sqrt(cells))
    rng = random.Random(seed)
    jitter = CELL_DEG * 0.2
    corners = [
        [
            (
                WEST + i * CELL_DEG + (rng.uniform(-jitter, jitter) if 0 < i < side else 0.0),
                SOUTH + j * CELL_DEG + (rng.uniform(-jitter, jitter) if 0 < j < side else 0.0),
            )
            for j in range(side + 1)
        ]
        for i in range(side + 1)
    ]
    grid = []
    for i in range(side):
        for j in range(side):
            ring = [corners[i][j], corners[i + 1][j], corners[i + 1][j + 1], corners[i][j + 1]]
            ring.append(ring[0])
            code = f"360681{1 + i // 40:03d}{1 + j // 40:03d}{1 + (i % 40) * 40 + j % 40:03d}"
            grid.append((CellHit(code, "", ""), [[v for xy in ring for v in xy]]))
    return grid


def make_points(cells: int, count: int, seed: int = 11) -> list[tuple[float, float]]:
    side = math.ceil(math.sqrt(cells)) * CELL_DEG
    rng = random.Random(seed)
    margin = side * 0.025  # about 9 % of the points fall outside the grid
    return [
        (
            rng.uniform(WEST - margin, WEST + side + margin),
            rng.uniform(SOUTH - margin, SOUTH + side + margin),
        )
        for _ in range(count)
    ]


def naive(
    polygons: list[tuple[str, list[list[tuple[float, float]]]]], lon: float, lat: float
) -> str | None:
    for code, rings in polygons:
        if point_in_rings(lon, lat, rings):
            return code
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=20_000)
    parser.add_argument("--naive-points", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    grid = make_grid(args.cells)
    points = make_points(args.cells, args.points)

    started = time.perf_counter()
    index = CellIndex(grid)
    build_s = time.perf_counter() - started
    locate = index.locate
    started = time.perf_counter()
    found = [locate(lon, lat) for lon, lat in points]
    index_s = time.perf_counter() - started
    index_rate = len(points) / index_s

    polygons = [(hit.code, [ring_pairs(r) for r in rings]) for hit, rings in grid]
    sample = points[: max(1, min(args.naive_points, len(points)))]
    started = time.perf_counter()
    naive_found = [naive(polygons, lon, lat) for lon, lat in sample]
    naive_s = time.perf_counter() - started
    naive_rate = len(sample) / naive_s
    disagree = sum(
        1
        for hit, code in zip(found, naive_found, strict=False)
        if (hit.code if hit else None) != code
    )

    import shapely

    geometries = [shapely.Polygon(list(zip(r[0][0::2], r[0][1::2], strict=True))) for _, r in grid]
    tree = shapely.STRtree(geometries)
    started = time.perf_counter()
    for lon, lat in points:
        tree.query(shapely.Point(lon, lat), predicate="within")
    shapely_rate = len(points) / (time.perf_counter() - started)

    ratio = index_rate / naive_rate
    outside = sum(1 for hit in found if hit is None)
    result = {
        "cells": len(grid),
        "points": len(points),
        "outside": outside,
        "index_build_s": round(build_s, 3),
        "index_lookups_per_s": round(index_rate),
        "naive_lookups_per_s": round(naive_rate, 1),
        "naive_points": len(sample),
        "shapely_strtree_lookups_per_s": round(shapely_rate),
        "ratio": round(ratio, 1),
        "target_ratio": TARGET_RATIO,
        "verdict": "PASS" if ratio >= TARGET_RATIO else "MISS",
        "disagreements": disagree,
        "python": platform.python_version(),
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"point-in-cell lookup, {len(grid):,} cells, {len(points):,} points ({outside:,} outside)"
    )
    print(f"  CellIndex          {index_rate:>12,.0f} lookups/s   (built in {build_s:.2f} s)")
    print(f"  naive loop         {naive_rate:>12,.1f} lookups/s   ({len(sample)} points)")
    print(f"  shapely STRtree    {shapely_rate:>12,.0f} lookups/s   (reference)")
    print(
        f"  CellIndex / naive  {ratio:>12,.0f} ×          target ≥ {TARGET_RATIO:.0f} × "
        f"{result['verdict']}"
    )
    if disagree:
        print(f"WARNING: the index and the naive loop disagree on {disagree} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
