"""Vector overlays (grid cells, areas, roads) read from GeoJSON or a GeoPackage layer.

A geometry is kept as lists of ``(lon, lat)`` sequences — lines, polygon rings — plus its kind
and bounding box, so a layer can be culled by the visible extent before anything is drawn.
GeoPackage geometry blobs are the GeoPackage header followed by standard WKB (OGC 1.3 §2.1.3);
the small reader here covers the simple-feature types (2D, with Z/M ordinates dropped), which
spares the app shapely and numpy (about 30 MB in the installer) for a few hundred lines.
Both sources must be WGS84 (EPSG:4326, or CRS84 for GeoJSON per RFC 7946).
"""

from __future__ import annotations

import json
import sqlite3
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.geo.errors import map_error

Ring = list[tuple[float, float]]  # (lon, lat) pairs
BBox = tuple[float, float, float, float]  # west, south, east, north


@dataclass(frozen=True, slots=True)
class Feature:
    """One feature: ``kind`` is point, line or polygon; ``parts`` its lines or rings."""

    kind: str
    parts: list[Ring]
    bbox: BBox
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class VectorLayer:
    """A named layer of features, culled by bounding box."""

    name: str
    features: list[Feature]

    def visible(self, bbox: BBox) -> Iterator[Feature]:
        """Features whose bounding box meets ``bbox`` (west, south, east, north)."""
        west, south, east, north = bbox
        for f in self.features:
            fw, fs, fe, fn = f.bbox
            if fe >= west and fw <= east and fn >= south and fs <= north:
                yield f

    @property
    def bbox(self) -> BBox | None:
        if not self.features:
            return None
        return (
            min(f.bbox[0] for f in self.features),
            min(f.bbox[1] for f in self.features),
            max(f.bbox[2] for f in self.features),
            max(f.bbox[3] for f in self.features),
        )


def _bbox(parts: list[Ring]) -> BBox:
    xs = [p[0] for ring in parts for p in ring]
    ys = [p[1] for ring in parts for p in ring]
    return (min(xs), min(ys), max(xs), max(ys))


def _features(kind: str, parts: list[Ring], props: dict[str, Any]) -> list[Feature]:
    parts = [p for p in parts if p]
    return [Feature(kind, parts, _bbox(parts), props)] if parts else []


# -- WKB -------------------------------------------------------------------------------------

_KINDS = {1: "point", 2: "line", 3: "polygon", 4: "point", 5: "line", 6: "polygon"}


class _Wkb:
    def __init__(self, data: bytes, offset: int = 0) -> None:
        self.data = data
        self.pos = offset

    def read(self) -> list[tuple[str, list[Ring]]]:
        """``[(kind, parts)]``: one entry per simple geometry (a collection gives several)."""
        order = "<" if self.data[self.pos] == 1 else ">"
        (code,) = struct.unpack_from(order + "I", self.data, self.pos + 1)
        self.pos += 5
        dims = 2
        if code & 0x80000000:  # EWKB flags: Z, M, SRID
            dims += 1
        if code & 0x40000000:
            dims += 1
        if code & 0x20000000:
            self.pos += 4
        code &= 0x0FFFFFFF
        if code >= 1000:  # ISO: 1000s Z, 2000s M, 3000s ZM
            dims = 2 + {1: 1, 2: 1, 3: 2}[code // 1000]
            code %= 1000
        if code == 1:
            return [("point", [self._points(order, dims, 1)])]
        if code == 2:
            return [("line", [self._points(order, dims, self._count(order))])]
        if code == 3:
            rings = [
                self._points(order, dims, self._count(order)) for _ in range(self._count(order))
            ]
            return [("polygon", rings)]
        if code in (4, 5, 6, 7):
            out: list[tuple[str, list[Ring]]] = []
            for _ in range(self._count(order)):
                out.extend(self.read())
            if code == 7:
                return out
            return [(_KINDS[code], [ring for _, parts in out for ring in parts])]
        raise ValueError(f"WKB geometry type {code} is not supported")

    def _count(self, order: str) -> int:
        (n,) = struct.unpack_from(order + "I", self.data, self.pos)
        self.pos += 4
        return int(n)

    def _points(self, order: str, dims: int, n: int) -> Ring:
        values = struct.unpack_from(f"{order}{n * dims}d", self.data, self.pos)
        self.pos += 8 * n * dims
        return [(values[i], values[i + 1]) for i in range(0, n * dims, dims)]


def parse_wkb(data: bytes, offset: int = 0) -> list[tuple[str, list[Ring]]]:
    """The simple geometries of a WKB (or EWKB) blob as ``[(kind, parts)]``."""
    return _Wkb(data, offset).read()


_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def parse_gpkg_geometry(blob: bytes) -> tuple[int, list[tuple[str, list[Ring]]]]:
    """``(srs_id, geometries)`` of a GeoPackage geometry blob (empty for an empty geometry)."""
    if len(blob) < 8 or blob[:2] != b"GP":
        raise ValueError("not a GeoPackage geometry")
    flags = blob[3]
    order = "<" if flags & 1 else ">"
    (srs_id,) = struct.unpack_from(order + "i", blob, 4)
    if flags & 0x10:
        return srs_id, []
    envelope = _ENVELOPE_BYTES[(flags >> 1) & 7]
    return srs_id, parse_wkb(blob, 8 + envelope)


# -- sources --------------------------------------------------------------------------------


def read_gpkg_layer(path: Path, layer: str) -> VectorLayer:
    """One feature table of a GeoPackage (EPSG:4326), every column but the geometry as
    properties."""
    try:
        db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise _unreadable(path, str(exc)) from exc
    try:
        found = db.execute(
            "SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?", (layer,)
        ).fetchone()
        if found is None:
            raise map_error(
                "layer_missing",
                f"{Path(path).name} 中没有图层“{layer}”",
                f"{Path(path).name} has no layer “{layer}”",
            )
        column, srs = str(found[0]), int(found[1])
        if srs != 4326:
            raise map_error(
                "layer_projection",
                f"图层“{layer}”的坐标系是 EPSG:{srs}，只能使用 WGS84（EPSG:4326）",
                f"Layer “{layer}” is in EPSG:{srs}; only WGS84 (EPSG:4326) can be used",
            )
        cursor = db.execute(f'SELECT * FROM "{layer}"')
        names = [d[0] for d in cursor.description]
        features: list[Feature] = []
        for row in cursor:
            props = {n: v for n, v in zip(names, row, strict=True) if n != column}
            blob = row[names.index(column)]
            if not blob:
                continue
            for kind, parts in parse_gpkg_geometry(bytes(blob))[1]:
                features.extend(_features(kind, parts, props))
        return VectorLayer(layer, features)
    except (sqlite3.Error, ValueError, struct.error) as exc:
        raise _unreadable(path, str(exc)) from exc
    finally:
        db.close()


def gpkg_layers(path: Path) -> list[str]:
    """The feature layers of a GeoPackage."""
    db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [
            str(r[0])
            for r in db.execute(
                "SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY rowid"
            )
        ]
    except sqlite3.Error as exc:
        raise _unreadable(path, str(exc)) from exc
    finally:
        db.close()


def read_geojson(path: Path, name: str | None = None) -> VectorLayer:
    """A GeoJSON FeatureCollection (RFC 7946: WGS84 longitude, latitude)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise _unreadable(path, str(exc)) from exc
    items = data.get("features", []) if data.get("type") == "FeatureCollection" else [data]
    features: list[Feature] = []
    for item in items:
        geometry = item.get("geometry") if item.get("type") == "Feature" else item
        props = dict(item.get("properties") or {}) if item.get("type") == "Feature" else {}
        for kind, parts in _geojson_parts(geometry):
            features.extend(_features(kind, parts, props))
    return VectorLayer(name or Path(path).stem, features)


def _geojson_parts(g: dict[str, Any] | None) -> list[tuple[str, list[Ring]]]:
    if not g:
        return []
    kind = g.get("type")
    coords: Any = g.get("coordinates")

    def ring(points: list[list[float]]) -> Ring:
        return [(float(p[0]), float(p[1])) for p in points]

    if kind == "Point":
        return [("point", [ring([coords])])]
    if kind == "MultiPoint":
        return [("point", [ring(coords)])]
    if kind == "LineString":
        return [("line", [ring(coords)])]
    if kind == "MultiLineString":
        return [("line", [ring(c) for c in coords])]
    if kind == "Polygon":
        return [("polygon", [ring(c) for c in coords])]
    if kind == "MultiPolygon":
        return [("polygon", [ring(r) for poly in coords for r in poly])]
    if kind == "GeometryCollection":
        return [p for sub in g.get("geometries", []) for p in _geojson_parts(sub)]
    return []


def _unreadable(path: Path, detail: str) -> Exception:
    return map_error(
        "layer_unreadable",
        f"无法读取图层文件 {Path(path).name}（{detail}）",
        f"Cannot read the layer file {Path(path).name} ({detail})",
    )
