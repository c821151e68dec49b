"""Reading the polygons an office hands over: a GeoJSON file or a GeoPackage layer, in WGS84.

GeoJSON is read with :mod:`json` (RFC 7946 is WGS84; an older file may name another CRS in its
``crs`` member). A GeoPackage is an SQLite database whose geometry blobs are a small header
followed by standard WKB (OGC 12-128r18 §2.1.3): read with :mod:`sqlite3`, the WKB parsed by
shapely, the CRS taken from ``gpkg_spatial_ref_sys``. That is all GDAL would do here, without
its 25 MB wheel on the server. A file in another CRS is transformed to WGS84 with pyproj;
CGCS2000 (EPSG:4490) is taken as WGS84 (they differ by centimetres); a CRS pyproj does not
know, or a file whose coordinates are not in degrees once read, is refused with the reason.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

#: CRSs taken as WGS84 longitude/latitude as they are (CGCS2000 differs by centimetres).
_GEOGRAPHIC_AS_IS = {4326, 4490}  # WGS84, CGCS2000


class GeoFileError(ValueError):
    """A file that cannot be read as polygons in a known CRS (the message says why)."""


@dataclass(frozen=True, slots=True)
class RawFeature:
    """One feature as read: its position in the file (1-based), properties and geometry."""

    number: int
    properties: dict[str, Any]
    geometry: BaseGeometry | None
    #: Why the geometry could not be read (then ``geometry`` is None).
    problem: str = ""


@dataclass(frozen=True, slots=True)
class GeoFile:
    features: list[RawFeature]
    #: The CRS the file was in, as an administrator knows it ("EPSG:4326", "EPSG:4547" …).
    crs: str
    transformed: bool


def read_features(path: Path, layer: str | None = None) -> GeoFile:
    """The features of ``path`` (GeoJSON, or GeoPackage ``layer`` / its only feature layer)
    with their geometries in WGS84. GeoFileError when the file cannot be used at all."""
    if not path.is_file():
        raise GeoFileError(f"{path}: no such file")
    with path.open("rb") as f:
        head = f.read(16)
    if head.startswith(b"SQLite format 3"):
        features, crs = _read_gpkg(path, layer)
    else:
        features, crs = _read_geojson(path)
    return _to_wgs84(path, features, crs)


def _read_geojson(path: Path) -> tuple[list[RawFeature], CRS]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GeoFileError(f"{path.name} is neither GeoJSON nor a GeoPackage ({exc})") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise GeoFileError(f"{path.name} is not a GeoJSON FeatureCollection")
    crs = CRS.from_epsg(4326)
    name = ((data.get("crs") or {}).get("properties") or {}).get("name")
    if isinstance(name, str) and name:
        crs = _crs(path, name)
    features = []
    for number, feature in enumerate(data.get("features") or [], start=1):
        if not isinstance(feature, dict):
            features.append(RawFeature(number, {}, None, "not a GeoJSON feature"))
            continue
        props = feature.get("properties") or {}
        try:
            geometry = shapely.geometry.shape(feature.get("geometry") or {})
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            features.append(RawFeature(number, props, None, f"unreadable geometry ({exc})"))
            continue
        features.append(RawFeature(number, props, geometry))
    return features, crs


def _crs(path: Path, definition: str | int) -> CRS:
    try:
        if isinstance(definition, int):
            return CRS.from_epsg(definition)
        return CRS.from_user_input(definition)
    except CRSError as exc:
        raise GeoFileError(
            f"{path.name}: unknown coordinate reference system {definition!r}"
        ) from exc


def _gpkg_layer(db: sqlite3.Connection, path: Path, layer: str | None) -> tuple[str, str, int]:
    rows = db.execute(
        "SELECT c.table_name, g.column_name, g.srs_id FROM gpkg_contents c "
        "JOIN gpkg_geometry_columns g ON g.table_name = c.table_name "
        "WHERE c.data_type = 'features' ORDER BY c.table_name"
    ).fetchall()
    if layer is not None:
        rows = [r for r in rows if r[0] == layer]
        if not rows:
            raise GeoFileError(f"{path.name} has no feature layer {layer!r}")
    if len(rows) != 1:
        names = ", ".join(r[0] for r in rows) or "none"
        raise GeoFileError(f"{path.name} has several feature layers ({names}); name one")
    return str(rows[0][0]), str(rows[0][1]), int(rows[0][2])


def _read_gpkg(path: Path, layer: str | None) -> tuple[list[RawFeature], CRS]:
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            table, column, srs_id = _gpkg_layer(db, path, layer)
            srs = db.execute(
                "SELECT organization, organization_coordsys_id, definition "
                "FROM gpkg_spatial_ref_sys WHERE srs_id = ?",
                (srs_id,),
            ).fetchone()
            cursor = db.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise GeoFileError(f"{path.name} is not a readable GeoPackage ({exc})") from exc
    if srs is None:
        raise GeoFileError(f"{path.name}: layer {table} names no known spatial reference")
    organization, number, definition = srs
    if str(organization).upper() == "EPSG":
        crs = _crs(path, int(number))
    elif definition and definition != "undefined":
        crs = _crs(path, str(definition))
    else:
        raise GeoFileError(f"{path.name}: layer {table} has an undefined spatial reference")
    features = []
    for number_, row in enumerate(rows, start=1):
        values = dict(zip(names, row, strict=True))
        blob = values.pop(column)
        geometry, problem = _gpkg_geometry(blob)
        features.append(RawFeature(number_, values, geometry, problem))
    return features, crs


def _gpkg_geometry(blob: Any) -> tuple[BaseGeometry | None, str]:
    if not isinstance(blob, bytes) or len(blob) < 8 or blob[:2] != b"GP":
        return None, "no GeoPackage geometry"
    flags = blob[3]
    envelope = (0, 32, 48, 48, 64)[(flags >> 1) & 0x07] if ((flags >> 1) & 0x07) < 5 else -1
    if envelope < 0:
        return None, "a GeoPackage geometry with an invalid envelope code"
    try:
        return shapely.from_wkb(blob[8 + envelope :]), ""
    except (shapely.errors.GEOSException, ValueError) as exc:
        return None, f"unreadable geometry ({exc})"


def _to_wgs84(path: Path, features: list[RawFeature], crs: CRS) -> GeoFile:
    epsg = crs.to_epsg()
    name = f"EPSG:{epsg}" if epsg else crs.name
    if epsg in _GEOGRAPHIC_AS_IS or crs == CRS.from_user_input("OGC:CRS84"):
        name = name if epsg else "OGC:CRS84"
        result = GeoFile(features, name, transformed=False)
    elif crs.is_geographic and crs.datum is not None and "2000" in crs.datum.name:
        result = GeoFile(features, name, transformed=False)  # a CGCS2000 variant
    else:
        try:
            transformer = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
        except CRSError as exc:
            raise GeoFileError(f"{path.name}: cannot transform {name} to WGS84 ({exc})") from exc
        moved = []
        for f in features:
            if f.geometry is None:
                moved.append(f)
                continue
            geometry = shapely.transform(
                f.geometry, lambda xy: _stack(transformer.transform(xy[:, 0], xy[:, 1]))
            )
            moved.append(RawFeature(f.number, f.properties, geometry, f.problem))
        result = GeoFile(moved, name, transformed=True)
    _require_degrees(path, result)
    return result


def _stack(xy: tuple[Any, Any]) -> Any:
    import numpy as np

    return np.column_stack(xy)


def _require_degrees(path: Path, data: GeoFile) -> None:
    """Coordinates outside longitude/latitude ranges: a projected file that says it is not."""
    geometries = [f.geometry for f in data.features if f.geometry is not None]
    if not geometries:
        return
    west, south, east, north = shapely.total_bounds(geometries)
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise GeoFileError(
            f"{path.name}: coordinates ({west:.0f}, {south:.0f}) are not longitude/latitude "
            f"degrees although the file says {data.crs}; give it its real CRS"
        )
