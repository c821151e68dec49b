"""门前三包 responsibility units: ``citypatrol-server unit load FILE`` and ``unit list``.

A unit (a shop, a school, an office) answers for the frontage in front of it: a polygon, or a
point with a radius (``radius_m``, 1–500 m). The file is GeoJSON or a GeoPackage layer (read
like the grid: :mod:`server.grids.files`) with the properties ``name`` (required), ``contact``
and ``letter_no`` (the number of its 责任书, the responsibility letter; a unit is known by it,
else by its name). A load replaces every unit; bad features refuse the file with every reason.
Units added, changed or removed are announced to the laptops (kind ``unit``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely.geometry import MultiPolygon, Point, Polygon
from shapely.validation import explain_validity
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.contract import FeedKind
from app.domain.grids import UnitPayload
from server.feed import FeedItem, append_feed_entries
from server.grids.cells import FileRefusedError, polygon_rings
from server.grids.files import RawFeature, read_features
from server.grids.models import ResponsibilityUnit

MAX_RADIUS_M = 500.0


@dataclass(frozen=True, slots=True)
class UnitLoad:
    units: int
    added: int
    changed: int
    removed: int


def unit_payload(row: ResponsibilityUnit, *, removed: bool = False) -> UnitPayload:
    return {
        "id": row.id,
        "name": row.name,
        "contact": row.contact,
        "letter_no": row.letter_no,
        "rings": row.rings,
        "lon": row.lon,
        "lat": row.lat,
        "radius_m": row.radius_m,
        "removed": removed,
    }


def _text(props: dict[str, Any], name: str) -> str:
    value = props.get(name)
    return "" if value is None else str(value).strip()


def _check(raw: RawFeature) -> tuple[dict[str, Any] | None, str | None]:
    props = raw.properties
    name = _text(props, "name")
    label = f"feature {raw.number}" + (f" ({name})" if name else "")
    if not name:
        return None, f"{label}: no name property"
    geometry = raw.geometry
    if geometry is None:
        return None, f"{label}: {raw.problem or 'no geometry'}"
    values: dict[str, Any] = {
        "name": name[:200],
        "contact": _text(props, "contact")[:200],
        "letter_no": _text(props, "letter_no")[:100],
        "rings": [],
        "lon": None,
        "lat": None,
        "radius_m": None,
    }
    if isinstance(geometry, MultiPolygon) and len(geometry.geoms) == 1:
        geometry = geometry.geoms[0]
    if isinstance(geometry, Point):
        try:
            radius = float(props.get("radius_m") or 0)
        except (TypeError, ValueError):
            radius = 0.0
        if not 0 < radius <= MAX_RADIUS_M:
            return None, f"{label}: a point needs a radius_m of 1 to {MAX_RADIUS_M:g} m"
        values.update(lon=round(geometry.x, 7), lat=round(geometry.y, 7), radius_m=radius)
    elif isinstance(geometry, Polygon):
        if geometry.is_empty or not geometry.is_valid:
            return None, f"{label}: invalid polygon: {explain_validity(geometry)}"
        values["rings"] = polygon_rings(geometry)
    else:
        return None, f"{label}: a frontage is a polygon or a point, not a {geometry.geom_type}"
    return values, None


def load_units(session: Session, path: Path, *, layer: str | None = None) -> UnitLoad:
    data = read_features(path, layer)
    errors: list[str] = []
    wanted: dict[str, dict[str, Any]] = {}
    for raw in data.features:
        values, error = _check(raw)
        if error is not None or values is None:
            errors.append(error or "")
            continue
        key = values["letter_no"] or values["name"]
        if key in wanted:
            errors.append(f"feature {raw.number}: unit {key!r} appears twice")
            continue
        wanted[key] = values
    if errors:
        raise FileRefusedError(path.name, errors)
    current = {u.key: u for u in session.scalars(select(ResponsibilityUnit))}
    items: list[FeedItem] = []
    added = changed = 0
    for key, values in wanted.items():
        row = current.pop(key, None)
        if row is not None and all(getattr(row, k) == v for k, v in values.items()):
            continue
        if row is None:
            row = ResponsibilityUnit(
                id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"citypatrol:unit:{key}")), key=key
            )
            session.add(row)
            added += 1
        else:
            changed += 1
        for k, v in values.items():
            setattr(row, k, v)
        items.append(FeedItem(FeedKind.UNIT, row.id, unit_payload(row)))
    for row in current.values():
        items.append(FeedItem(FeedKind.UNIT, row.id, unit_payload(row, removed=True)))
        session.delete(row)
    session.flush()
    append_feed_entries(session, items)
    return UnitLoad(len(wanted), added, changed, len(current))


def list_units(session: Session) -> list[ResponsibilityUnit]:
    return list(session.scalars(select(ResponsibilityUnit).order_by(ResponsibilityUnit.key)))
