"""Proposing an address from the office's road layer: "建设路, 近贵溪大道".

Where the office provides roads — a vector overlay added on this computer (a GeoPackage's
``roads`` layer, a GeoJSON of streets: :class:`~app.geo.basemaps.Overlay`) — the named road
nearest to a position, and the next nearest other named road (a crossing or a parallel street
to find the place by), make an address to propose. Roads are line features with a ``name``
(and, in a layer that has them, a ``highway`` tag: rivers and railways have names too).

Segments are bucketed on a regular grid about 100 m wide, so a lookup measures the few dozen
segments around the position, not the whole town. Distances are metres on an equirectangular
projection around the position (exact enough within a few hundred metres).
"""

from __future__ import annotations

import itertools
import math
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.geo.basemaps import BasemapRegistry
from app.geo.cells import M_PER_DEG
from app.geo.errors import MapError
from app.geo.vector import VectorLayer

#: Roads farther than this from the position are not proposed (metres).
NEAREST_MAX_M = 150.0
#: The second road ("近 …") may be this far (metres).
NEAR_MAX_M = 400.0
_BUCKET_DEG = 0.001  # about 100 m
_ROAD_WORDS = ("road", "street", "路", "街", "道")


@dataclass(frozen=True, slots=True)
class NearRoad:
    name: str
    distance_m: float


Segment = tuple[str, float, float, float, float]  # name, lon1, lat1, lon2, lat2


def _distance_m(lon: float, lat: float, seg: Segment) -> float:
    """Metres from (lon, lat) to a segment."""
    k = math.cos(math.radians(lat))
    _, x1, y1, x2, y2 = seg
    ax, ay = (x1 - lon) * k, y1 - lat
    bx, by = (x2 - lon) * k, y2 - lat
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    t = 0.0 if length2 == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length2))
    return math.hypot(ax + t * dx, ay + t * dy) * M_PER_DEG


def is_road_layer(layer: VectorLayer, overlay_name: str = "") -> bool:
    """Whether a layer holds roads: named lines, tagged ``highway`` or in a layer so named."""
    lines = [f for f in layer.features if f.kind == "line" and f.properties.get("name")]
    if not lines:
        return False
    if any("highway" in f.properties for f in lines):
        return True
    name = f"{overlay_name} {layer.name}".lower()
    return any(word in name for word in _ROAD_WORDS)


class RoadIndex:
    """Named road segments bucketed for :meth:`nearest` and :meth:`address`."""

    def __init__(self, layers: Iterable[VectorLayer]) -> None:
        self._buckets: dict[tuple[int, int], list[Segment]] = defaultdict(list)
        self.segments = 0
        for layer in layers:
            with_tags = any("highway" in f.properties for f in layer.features)
            for feature in layer.features:
                name = str(feature.properties.get("name") or "").strip()
                if feature.kind != "line" or not name:
                    continue
                if with_tags and not feature.properties.get("highway"):
                    continue  # a river or a railway in a layer of roads
                for part in feature.parts:
                    for (x1, y1), (x2, y2) in itertools.pairwise(part):
                        self._add((name, x1, y1, x2, y2))

    def _add(self, seg: Segment) -> None:
        _, x1, y1, x2, y2 = seg
        self.segments += 1
        for i in range(self._key(min(x1, x2)), self._key(max(x1, x2)) + 1):
            for j in range(self._key(min(y1, y2)), self._key(max(y1, y2)) + 1):
                self._buckets[(i, j)].append(seg)

    @staticmethod
    def _key(value: float) -> int:
        return math.floor(value / _BUCKET_DEG)

    def __len__(self) -> int:
        return self.segments

    def nearest(self, lon: float, lat: float, max_m: float = NEAR_MAX_M) -> list[NearRoad]:
        """Distinct named roads within ``max_m`` of the position, nearest first."""
        reach = max_m / M_PER_DEG
        reach_lon = reach / max(math.cos(math.radians(lat)), 1e-6)
        best: dict[str, float] = {}
        seen: set[int] = set()
        for i in range(self._key(lon - reach_lon), self._key(lon + reach_lon) + 1):
            for j in range(self._key(lat - reach), self._key(lat + reach) + 1):
                for seg in self._buckets.get((i, j), ()):
                    if id(seg) in seen:
                        continue
                    seen.add(id(seg))
                    d = _distance_m(lon, lat, seg)
                    if d <= max_m and d < best.get(seg[0], math.inf):
                        best[seg[0]] = d
        return [NearRoad(n, d) for n, d in sorted(best.items(), key=lambda item: item[1])]

    def address(self, lon: float, lat: float, language: str = "zh_CN") -> str | None:
        """ "建设路, 近贵溪大道" (the nearest road, near the next one), or None far from roads."""
        roads = self.nearest(lon, lat)
        if not roads or roads[0].distance_m > NEAREST_MAX_M:
            return None
        if len(roads) == 1:
            return roads[0].name
        return f"{roads[0].name}, 近{roads[1].name}"


_lock = threading.Lock()
_cache: dict[str, tuple[tuple[object, ...], RoadIndex]] = {}


def road_index(data_dir: Path) -> RoadIndex | None:
    """The road index of the overlays added on this computer (None: no road layer), read
    again only when the registry or one of the files changed."""
    registry = BasemapRegistry(data_dir)
    overlays = registry.overlays()
    stamp: list[object] = []
    for overlay in overlays:
        try:
            stamp.append((overlay.path, overlay.layer, Path(overlay.path).stat().st_mtime_ns))
        except OSError:
            stamp.append((overlay.path, overlay.layer, None))
    key = str(Path(data_dir).resolve())
    with _lock:
        cached = _cache.get(key)
    if cached is not None and cached[0] == tuple(stamp):
        return cached[1] if len(cached[1]) else None
    layers = []
    for overlay in overlays:
        try:
            layer = overlay.read()
        except MapError:
            continue  # a file gone: no proposal from it, never an error while typing
        if is_road_layer(layer, overlay.name):
            layers.append(layer)
    index = RoadIndex(layers)
    with _lock:
        _cache[key] = (tuple(stamp), index)
    return index if len(index) else None
