"""A grid-cell locator for the tests and benchmarks of coverage (not shipped).

The application gets its cell index from the grid module (the cells the server distributes);
coverage (:mod:`app.domain.coverage`) only needs ``locate(lon, lat) -> code | None``. This one
reads a GeoJSON grid (``../shared/samples/map/grids.geojson``) and answers exactly (ray
casting against each candidate polygon), one point at a time or many at once with numpy
(``cell_indices``): points fall into ~10 m buckets; a bucket wholly inside one convex cell
answers at once, the few on a cell's edge are tested against their candidate polygons.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

Ring = list[tuple[float, float]]


def _inside(lon: float, lat: float, ring: Ring) -> bool:
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > lat) != (yj > lat) and lon < (xj - xi) * (lat - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _convex(ring: Ring) -> bool:
    signs = set()
    n = len(ring)
    for i in range(n):
        (x1, y1), (x2, y2), (x3, y3) = ring[i], ring[(i + 1) % n], ring[(i + 2) % n]
        cross = (x2 - x1) * (y3 - y2) - (y2 - y1) * (x3 - x2)
        if cross:
            signs.add(cross > 0)
    return len(signs) <= 1


class PolygonCells:
    """Exact point-in-cell lookup over polygons (outer rings), bucketed for speed."""

    def __init__(self, cells: Sequence[tuple[str, Ring]], bucket_deg: float = 1e-4) -> None:
        self.codes = [code for code, _ in cells]
        self.rings = [ring[:-1] if ring[0] == ring[-1] else ring for _, ring in cells]
        xs = [x for r in self.rings for x, _ in r]
        ys = [y for r in self.rings for _, y in r]
        self.west, self.south = min(xs), min(ys)
        self.step = bucket_deg
        self.nx = math.ceil((max(xs) - self.west) / bucket_deg) + 1
        self.ny = math.ceil((max(ys) - self.south) / bucket_deg) + 1
        nb = self.nx * self.ny
        lists: list[list[int]] = [[] for _ in range(nb)]
        for p, ring in enumerate(self.rings):
            x0, x1, y0, y1 = self._range(ring)
            for by in range(y0, y1 + 1):
                row = by * self.nx
                for bx in range(x0, x1 + 1):
                    lists[row + bx].append(p)
        self.lists = lists
        k = max(len(c) for c in lists)
        self.cand = np.full((nb, k), -1, dtype=np.int64)
        for b, c in enumerate(lists):
            self.cand[b, : len(c)] = c
        v = max(len(r) for r in self.rings)
        self.vx = np.array([[x for x, _ in r] + [r[-1][0]] * (v - len(r)) for r in self.rings])
        self.vy = np.array([[y for _, y in r] + [r[-1][1]] * (v - len(r)) for r in self.rings])
        self.pure = self._pure_buckets()

    @classmethod
    def from_geojson(cls, path: Path) -> PolygonCells:
        data = json.loads(path.read_text(encoding="utf-8"))
        cells = []
        for feature in data["features"]:
            geometry = feature["geometry"]
            polygons = (
                [geometry["coordinates"]]
                if geometry["type"] == "Polygon"
                else geometry["coordinates"]
            )
            for polygon in polygons:
                cells.append(
                    (str(feature["properties"]["code"]), [(x, y) for x, y, *_ in polygon[0]])
                )
        return cls(cells)

    def _range(self, ring: Ring) -> tuple[int, int, int, int]:
        xs, ys = [x for x, _ in ring], [y for _, y in ring]
        return (
            int((min(xs) - self.west) // self.step),
            int((max(xs) - self.west) // self.step),
            int((min(ys) - self.south) // self.step),
            int((max(ys) - self.south) // self.step),
        )

    def _pure_buckets(self) -> npt.NDArray[np.int64]:
        """Per bucket: the convex cell holding all of it, -1 when points need testing."""
        pure = np.full(self.nx * self.ny, -1, dtype=np.int64)
        for p, ring in enumerate(self.rings):
            if not _convex(ring):
                continue
            x0, x1, y0, y1 = self._range(ring)
            bx, by = np.meshgrid(np.arange(x0, x1 + 1), np.arange(y0, y1 + 1))
            bx, by = bx.ravel(), by.ravel()
            full = np.ones(len(bx), dtype=bool)
            for dx in (0, 1):
                for dy in (0, 1):
                    cx = self.west + (bx + dx) * self.step
                    cy = self.south + (by + dy) * self.step
                    full &= self._ray(np.full(len(bx), p), cx, cy)
            pure[by[full] * self.nx + bx[full]] = p
        return pure

    def _ray(
        self, poly: npt.NDArray[np.int64], x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.bool_]:
        vx, vy = self.vx[poly], self.vy[poly]
        inside = np.zeros(len(poly), dtype=bool)
        v = vx.shape[1]
        for i in range(v):
            j = (i - 1) % v
            xi, yi, xj, yj = vx[:, i], vy[:, i], vx[:, j], vy[:, j]
            crosses = (yi > y) != (yj > y)
            with np.errstate(divide="ignore", invalid="ignore"):
                at = (xj - xi) * (y - yi) / (yj - yi) + xi
            inside ^= crosses & (x < at)
        return inside

    def __call__(self, lon: float, lat: float) -> str | None:
        bx = int((lon - self.west) // self.step)
        by = int((lat - self.south) // self.step)
        if not (0 <= bx < self.nx and 0 <= by < self.ny):
            return None
        for p in self.lists[by * self.nx + bx]:
            if _inside(lon, lat, self.rings[p]):
                return self.codes[p]
        return None

    def cell_indices(
        self, lons: npt.NDArray[np.float64], lats: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.int64], list[str]]:
        bx = np.floor((lons - self.west) / self.step).astype(np.int64)
        by = np.floor((lats - self.south) / self.step).astype(np.int64)
        ok = (bx >= 0) & (bx < self.nx) & (by >= 0) & (by < self.ny)
        bucket = np.where(ok, by * self.nx + bx, 0)
        result = np.where(ok, self.pure[bucket], -1)
        todo = np.flatnonzero(ok & (result < 0))
        for k in range(self.cand.shape[1]):
            if not len(todo):
                break
            poly = self.cand[bucket[todo], k]
            has = poly >= 0
            todo, poly = todo[has], poly[has]
            hit = self._ray(poly, lons[todo], lats[todo])
            result[todo[hit]] = poly[hit]
            todo = todo[~hit]
        return result, self.codes
