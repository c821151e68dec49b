"""Grid cells (单元网格): ``citypatrol-server grid load FILE`` and ``grid list``.

A load reads every polygon of the file (:mod:`server.grids.files`), checks each one and then
the set, and either refuses the whole file with every reason, or replaces the current cells as
a new version. Refused: a code that is not 15 digits (county 6 + street 3 + community 3 +
cell 3, :func:`app.domain.grids.grid_code_problem`), a code twice, a feature that is no single
polygon, an invalid polygon (self-intersecting, a ring not closed … — GEOS says which and
where), and cells overlapping each other (a position in two cells has no one grid code).
Reported without refusing: gaps inside the grid (holes in the union of the cells: no code
there, a 盲区 of the grid itself).

Only what changed is announced to the laptops (kind ``grid_cell``, one entry per cell added,
changed or removed), so a reload that moves three cells sends three entries.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.contract import FeedKind
from app.domain.grids import GridCellPayload, grid_code_problem, grid_entity_id
from server.feed import FeedItem, append_feed_entries
from server.grids.files import RawFeature, read_features
from server.grids.models import GridCell, GridDepartment, GridInspector, GridVersion

#: Overlaps and gaps smaller than this are rounding, not mistakes (square metres).
AREA_TOLERANCE_M2 = 1.0
#: At most this many reasons are printed (the count of the others follows).
MAX_REASONS = 50
_M_PER_DEG = 111_320.0


class FileRefusedError(ValueError):
    """A grid file with problems: nothing was loaded. ``reasons``: one line per problem."""

    def __init__(self, source: str, reasons: list[str]) -> None:
        shown = reasons[:MAX_REASONS]
        more = len(reasons) - len(shown)
        lines = [f"{source}: {len(reasons)} problem(s), nothing loaded", *shown]
        if more:
            lines.append(f"… and {more} more")
        super().__init__("\n  ".join(lines))
        self.reasons = reasons


@dataclass(frozen=True, slots=True)
class Cell:
    code: str
    street: str
    community: str
    geometry: Polygon

    def rings(self) -> list[list[float]]:
        return polygon_rings(self.geometry)


@dataclass(slots=True)
class GridLoad:
    """What a load did: its version, counts and the warnings (gaps) it reported."""

    version: int
    cells: int
    added: int
    changed: int
    removed: int
    crs: str
    transformed: bool
    warnings: list[str] = field(default_factory=list)


def polygon_rings(polygon: Polygon) -> list[list[float]]:
    """A polygon's rings (outer first) as flat ``[lon, lat, …]`` lists rounded to 1e-7°."""
    rings = [polygon.exterior, *polygon.interiors]
    return [[round(v, 7) for xy in ring.coords for v in xy[:2]] for ring in rings]


def _area_m2(geometry: BaseGeometry) -> float:
    lat = geometry.centroid.y if not geometry.is_empty else 0.0
    return float(geometry.area) * _M_PER_DEG * _M_PER_DEG * math.cos(math.radians(lat))


def _where(geometry: BaseGeometry) -> str:
    point = geometry.representative_point()
    return f"near {point.y:.6f}, {point.x:.6f}"


def _text(props: dict[str, Any], *names: str) -> str:
    for name in names:
        value = props.get(name)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _check_feature(raw: RawFeature) -> tuple[Cell | None, str | None]:
    code = _text(raw.properties, "code", "grid_code", "CODE")
    label = f"feature {raw.number}" + (f" ({code})" if code else "")
    problem = grid_code_problem(code) if code else None
    if not code:
        return None, f"{label}: no code property"
    if problem is not None:
        return None, f"{label}: {problem.en}"
    geometry = raw.geometry
    if geometry is None:
        return None, f"{label}: {raw.problem or 'no geometry'}"
    if isinstance(geometry, MultiPolygon) and len(geometry.geoms) == 1:
        geometry = geometry.geoms[0]
    if not isinstance(geometry, Polygon):
        return None, f"{label}: a cell is one polygon, not a {geometry.geom_type}"
    if geometry.is_empty:
        return None, f"{label}: an empty polygon"
    if not geometry.is_valid:
        return None, f"{label}: invalid polygon: {explain_validity(geometry)}"
    street = _text(raw.properties, "street_name", "street")
    community = _text(raw.properties, "community_name", "community")
    return Cell(code, street, community, geometry), None


def check_cells(features: list[RawFeature]) -> tuple[list[Cell], list[str], list[str]]:
    """The cells of ``features``, the errors that refuse them and the warnings (gaps)."""
    cells: list[Cell] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for raw in features:
        cell, error = _check_feature(raw)
        if error is not None:
            errors.append(error)
            continue
        assert cell is not None
        if cell.code in seen:
            errors.append(
                f"feature {raw.number} ({cell.code}): the code of feature {seen[cell.code]} again"
            )
            continue
        seen[cell.code] = raw.number
        cells.append(cell)
    if not cells and not errors:
        errors.append("the file holds no cells")
    errors.extend(_overlaps(cells))
    return cells, errors, _gaps(cells)


def _overlaps(cells: list[Cell]) -> list[str]:
    geometries = [c.geometry for c in cells]
    tree = shapely.STRtree(geometries)
    left, right = tree.query(geometries, predicate="intersects")
    found = []
    for i, j in zip(left.tolist(), right.tolist(), strict=True):
        if i >= j:
            continue
        shared = geometries[i].intersection(geometries[j])
        area = _area_m2(shared)
        if area > AREA_TOLERANCE_M2:
            found.append(
                f"cells {cells[i].code} and {cells[j].code} overlap by {area:.0f} m² "
                f"({_where(shared)})"
            )
    return found


def _gaps(cells: list[Cell]) -> list[str]:
    if not cells:
        return []
    union = shapely.union_all([c.geometry for c in cells], grid_size=1e-7)
    parts = union.geoms if isinstance(union, MultiPolygon) else [union]
    gaps = []
    for part in parts:
        if not isinstance(part, Polygon):
            continue
        for hole in part.interiors:
            gap = Polygon(hole)
            area = _area_m2(gap)
            if area > AREA_TOLERANCE_M2:
                gaps.append(f"gap of {area:.0f} m² between cells ({_where(gap)})")
    if isinstance(union, MultiPolygon) and len(union.geoms) > 1:
        gaps.append(f"the cells form {len(union.geoms)} separate areas, not one")
    return gaps


def cell_payload(row: GridCell, *, removed: bool = False) -> GridCellPayload:
    return {
        "code": row.code,
        "street": row.street,
        "community": row.community,
        "rings": [] if removed else row.rings,
        "version": row.version,
        "removed": removed,
    }


def load_grid(session: Session, path: Path, *, layer: str | None = None) -> GridLoad:
    """Replace the grid with the cells of ``path`` as a new version (FileRefusedError: nothing
    loaded, every reason given; GeoFileError: the file is unusable)."""
    data = read_features(path, layer)
    cells, errors, warnings = check_cells(data.features)
    if errors:
        raise FileRefusedError(path.name, errors)
    version = int(session.scalar(select(func.max(GridVersion.version))) or 0) + 1
    current = {c.code: c for c in session.scalars(select(GridCell))}
    items: list[FeedItem] = []
    added = changed = 0
    for cell in cells:
        rings = cell.rings()
        row = current.pop(cell.code, None)
        if row is not None and (row.street, row.community, row.rings) == (
            cell.street,
            cell.community,
            rings,
        ):
            continue
        if row is None:
            row = GridCell(code=cell.code)
            session.add(row)
            added += 1
        else:
            changed += 1
        row.street, row.community, row.rings, row.version = (
            cell.street,
            cell.community,
            rings,
            version,
        )
        items.append(FeedItem(FeedKind.GRID_CELL, grid_entity_id(cell.code), cell_payload(row)))
    orphans = _responsible_for(session, set(current))
    if orphans:
        warnings.append(
            f"{len(orphans)} removed cell(s) still have responsibilities (定人定责): "
            f"{', '.join(sorted(orphans)[:10])}; load the responsibilities again"
        )
    for row in current.values():  # cells the new file no longer has
        row.version = version
        items.append(
            FeedItem(FeedKind.GRID_CELL, grid_entity_id(row.code), cell_payload(row, removed=True))
        )
        session.delete(row)
    session.add(
        GridVersion(
            version=version,
            source=path.name[:500],
            crs=data.crs[:100],
            cells=len(cells),
            added=added,
            changed=changed,
            removed=len(current),
            report="\n".join(warnings),
            loaded_at=datetime.now(UTC),
        )
    )
    session.flush()
    append_feed_entries(session, items)
    return GridLoad(
        version, len(cells), added, changed, len(current), data.crs, data.transformed, warnings
    )


def _responsible_for(session: Session, codes: set[str]) -> set[str]:
    """Which of ``codes`` have responsibilities (a reload that drops them leaves them behind)."""
    if not codes:
        return set()
    found = set(
        session.scalars(select(GridInspector.grid_code).where(GridInspector.grid_code.in_(codes)))
    )
    found |= set(
        session.scalars(select(GridDepartment.grid_code).where(GridDepartment.grid_code.in_(codes)))
    )
    return found


def list_cells(session: Session) -> list[GridCell]:
    return list(session.scalars(select(GridCell).order_by(GridCell.code)))


def list_versions(session: Session) -> list[GridVersion]:
    return list(session.scalars(select(GridVersion).order_by(GridVersion.version)))
