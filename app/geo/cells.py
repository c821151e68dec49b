"""Which grid cell (or frontage) holds a position, offline: :class:`CellIndex`.

The laptop answers "which cell is this?" for every case it saves, and the coverage counts every
track point, so the lookup must be fast with a city's 10,000 cells: shapes are bucketed on a
regular lon/lat grid about one typical shape wide (a position's bucket holds the two or three
shapes that come near it), and only those are tested — bounding box first, then the even-odd
rule over every ring (holes included). bench/geo.py measures it against a loop over every
polygon. Pure Python on purpose, like :mod:`app.geo.vector`: shapely's STRtree would do the
same, but would bring shapely and numpy (about 30 MB) into the installer for a few lines.

A point exactly on the edge two cells share falls in one of them (the even-odd rule's half-open
edges), never in both and never in none.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
BBox = tuple[float, float, float, float]
#: Metres per degree of latitude (and of longitude at the equator).
M_PER_DEG = 111_320.0


@dataclass(frozen=True, slots=True)
class CellHit:
    """The cell a position is in: its code and the names of its street and community."""

    code: str
    street: str
    community: str


def ring_pairs(flat: Sequence[float]) -> list[tuple[float, float]]:
    """``[lon, lat, lon, lat …]`` as ``(lon, lat)`` pairs."""
    return list(zip(flat[0::2], flat[1::2], strict=True))


def point_in_rings(lon: float, lat: float, rings: Sequence[Sequence[tuple[float, float]]]) -> bool:
    """The even-odd rule over every ring: inside the outer ring and in no hole."""
    inside = False
    for ring in rings:
        n = len(ring)
        if n < 3:
            continue
        x1, y1 = ring[n - 1]
        for x2, y2 in ring:
            if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
                inside = not inside
            x1, y1 = x2, y2
    return inside


class _Shape(Generic[T]):
    """A polygon (rings) or a circle (centre and radius in metres) with a value."""

    __slots__ = ("bbox", "center", "radius_m", "rings", "value")

    def __init__(
        self,
        value: T,
        rings: list[list[tuple[float, float]]],
        center: tuple[float, float] | None = None,
        radius_m: float = 0.0,
    ) -> None:
        self.value, self.rings, self.center, self.radius_m = value, rings, center, radius_m
        if center is not None:
            dlat = radius_m / M_PER_DEG
            dlon = dlat / max(math.cos(math.radians(center[1])), 1e-6)
            self.bbox = (center[0] - dlon, center[1] - dlat, center[0] + dlon, center[1] + dlat)
        else:
            xs = [p[0] for p in rings[0]]
            ys = [p[1] for p in rings[0]]
            self.bbox = (min(xs), min(ys), max(xs), max(ys))

    def contains(self, lon: float, lat: float) -> bool:
        west, south, east, north = self.bbox
        if not (west <= lon <= east and south <= lat <= north):
            return False
        if self.center is not None:
            return distance_m(lon, lat, *self.center) <= self.radius_m
        return point_in_rings(lon, lat, self.rings)


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Metres between two nearby positions (equirectangular: exact enough below 10 km)."""
    k = math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot((lon2 - lon1) * k, lat2 - lat1) * M_PER_DEG


class ShapeIndex(Generic[T]):
    """Polygons and circles bucketed on a regular grid; :meth:`find` the first holding a point."""

    def __init__(self, shapes: Iterable[_Shape[T]]) -> None:
        self._shapes = list(shapes)
        widths = sorted(
            max(s.bbox[2] - s.bbox[0], s.bbox[3] - s.bbox[1]) for s in self._shapes
        ) or [0.01]
        # About one typical shape per bucket (the median resists a few huge shapes).
        self._size = max(widths[len(widths) // 2], 1e-5)
        self._buckets: dict[tuple[int, int], list[_Shape[T]]] = defaultdict(list)
        for shape in self._shapes:
            west, south, east, north = shape.bbox
            for i in range(self._key(west), self._key(east) + 1):
                for j in range(self._key(south), self._key(north) + 1):
                    self._buckets[(i, j)].append(shape)

    def _key(self, value: float) -> int:
        return math.floor(value / self._size)

    def __len__(self) -> int:
        return len(self._shapes)

    def find(self, lon: float, lat: float) -> T | None:
        for shape in self._buckets.get((self._key(lon), self._key(lat)), ()):
            if shape.contains(lon, lat):
                return shape.value
        return None


class CellIndex:
    """The grid's cells, for :meth:`locate` (a position's cell, or None outside every one)."""

    def __init__(self, cells: Iterable[tuple[CellHit, Sequence[Sequence[float]]]]) -> None:
        """``cells``: each cell's hit (code, street, community) and its rings as flat
        ``[lon, lat, …]`` lists, outer ring first (the feed's and the database's form)."""
        self._index = ShapeIndex(
            _Shape(hit, [ring_pairs(r) for r in rings]) for hit, rings in cells if rings
        )

    def __len__(self) -> int:
        return len(self._index)

    def locate(self, lon: float, lat: float) -> CellHit | None:
        """The cell holding (``lon``, ``lat``) in WGS84, or None when it is in none."""
        return self._index.find(lon, lat)


@dataclass(frozen=True, slots=True)
class Frontage:
    """A 门前三包 unit whose frontage holds a position."""

    unit_id: str
    name: str
    contact: str
    letter_no: str


class FrontageIndex:
    """The 门前三包 frontages (polygons, or points with a radius), for :meth:`locate`."""

    def __init__(
        self,
        units: Iterable[
            tuple[Frontage, Sequence[Sequence[float]], tuple[float, float] | None, float]
        ],
    ) -> None:
        """``units``: (unit, rings, centre or None, radius in metres) each."""
        shapes: list[_Shape[Frontage]] = []
        for unit, rings, center, radius in units:
            if center is not None and radius > 0:
                shapes.append(_Shape(unit, [], center, radius))
            elif rings:
                shapes.append(_Shape(unit, [ring_pairs(r) for r in rings]))
        self._index = ShapeIndex(shapes)

    def __len__(self) -> int:
        return len(self._index)

    def locate(self, lon: float, lat: float) -> Frontage | None:
        return self._index.find(lon, lat)
