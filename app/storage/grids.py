"""Place in the local store: grid cells, responsibilities and 门前三包 units from the feed, and
offline geocoding of cases.

The server distributes cells (feed kind ``grid_cell``), responsibilities (``responsibility``)
and units (``unit``); the handlers here keep them in their tables. A case's position then gives
its grid code, street and community (:func:`place_case`, called by every write that sets a
position) and the unit whose frontage holds it, with where the code came from
(:class:`~app.domain.grids.GridSource`): looked up, typed in, or outside every cell. A code the
inspector typed that differs from the position's cell is kept as typed.

The lookup indexes (:class:`~app.geo.cells.CellIndex`, :class:`~app.geo.cells.FrontageIndex`)
are built once per database and rebuilt only when the feed changed cells or units (a stamp in
``sync_state``).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.grids import ANY_CLASS, GridSource, category_class
from app.geo.cells import CellHit, CellIndex, Frontage, FrontageIndex, ring_pairs
from app.geo.vector import Feature, VectorLayer
from app.storage.models import (
    Case,
    Department,
    GridCell,
    GridResponsibility,
    ResponsibilityUnit,
    SyncState,
    User,
)

if TYPE_CHECKING:
    from app.storage.store import LocalStore

#: sync_state key whose value changes whenever cells or units change (the indexes' stamp).
PLACES_STAMP_KEY = "places_stamp"
#: sync_state key whose value changes whenever a cell changes (the stamp of tracks' cells).
GRID_STAMP_KEY = "grid_stamp"


@dataclass(frozen=True, slots=True)
class Places:
    """The lookup indexes of one database at one stamp."""

    stamp: str
    cells: CellIndex
    units: FrontageIndex
    names: dict[str, CellHit]  # every cell by code (a typed code's street and community)


@dataclass(frozen=True, slots=True)
class Place:
    """What a position (or a typed code) says about a case's place."""

    #: The cell of the position (None: outside every cell, or no position).
    cell: CellHit | None
    #: The 门前三包 unit whose frontage holds the position.
    unit: Frontage | None
    #: Whether this laptop has any grid at all (without one, "outside" means nothing).
    grid_known: bool
    #: The cell of a typed code, when it is one of the grid (its street and community).
    typed: CellHit | None = None


@dataclass(frozen=True, slots=True)
class ResponsibleDepartment:
    """The department responsible for a case's category class in its cell, and why."""

    department_id: str
    grid_code: str
    category_class: str  # the class matched, or ``*``


_lock = threading.Lock()
_cache: dict[str, Places] = {}


def _stamp(s: Session) -> str:
    row = s.get(SyncState, PLACES_STAMP_KEY)
    return row.value if row is not None else ""


def _bump(s: Session) -> None:
    s.merge(SyncState(key=PLACES_STAMP_KEY, value=str(uuid.uuid4())))


def grid_stamp(s: Session) -> str:
    """The grid's version on this laptop ("" before any cell came)."""
    row = s.get(SyncState, GRID_STAMP_KEY)
    return row.value if row is not None else ""


def places(s: Session) -> Places:
    """The indexes of the database ``s`` is bound to, rebuilt when cells or units changed."""
    key = str(s.get_bind().engine.url)
    stamp = _stamp(s)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached.stamp == stamp:
            return cached
    hits: list[tuple[CellHit, list[list[float]]]] = [
        (CellHit(code, street, community), rings)
        for code, street, community, rings in s.execute(
            select(GridCell.code, GridCell.street, GridCell.community, GridCell.rings)
        )
    ]
    units = [
        (
            Frontage(u.id, u.name, u.contact, u.letter_no),
            u.rings,
            (u.lon, u.lat) if u.lon is not None and u.lat is not None else None,
            u.radius_m or 0.0,
        )
        for u in s.scalars(select(ResponsibilityUnit))
    ]
    built = Places(stamp, CellIndex(hits), FrontageIndex(units), {h.code: h for h, _ in hits})
    with _lock:
        _cache[key] = built
    return built


def locate(s: Session, lat: float | None, lon: float | None, typed: str | None = None) -> Place:
    found = places(s)
    typed_hit = found.names.get(typed) if typed else None
    if lat is None or lon is None:
        return Place(None, None, len(found.cells) > 0, typed_hit)
    return Place(
        found.cells.locate(lon, lat), found.units.locate(lon, lat), len(found.cells) > 0, typed_hit
    )


def place_case(s: Session, case: Case, entered: str | None, before: str | None) -> None:
    """Set ``case``'s grid code, its source and its unit from its position and ``entered`` (the
    code in the editor's field, or the one typed on the command line); ``before``: the case's
    code before this edit."""
    place = locate(s, case.lat, case.lon)
    case.unit_id = place.unit.unit_id if place.unit is not None else None
    entered = (entered or "").strip() or None
    auto = place.cell.code if place.cell is not None else None
    if entered is not None and entered != auto:
        # The field still showing the code looked up for an earlier position is no typing.
        looked_up_before = entered == before and case.grid_source == GridSource.AUTO
        if not looked_up_before:
            case.grid_code, case.grid_source = entered, GridSource.TYPED.value
            return
    if auto is not None:
        case.grid_code, case.grid_source = auto, GridSource.AUTO.value
    elif case.lat is not None and case.lon is not None and place.grid_known:
        case.grid_code, case.grid_source = None, GridSource.OUTSIDE.value
    else:
        case.grid_code, case.grid_source = None, None


def place_server_case(s: Session, case: Case) -> None:
    """A case from the server keeps its grid code; its unit is found here (for the bulletin)."""
    place = locate(s, case.lat, case.lon)
    case.unit_id = place.unit.unit_id if place.unit is not None else None


def responsible_department(
    s: Session, grid_code: str | None, category_code: str | None
) -> ResponsibleDepartment | None:
    """The department responsible for ``category_code``'s class in ``grid_code`` (the class's
    own department first, else the cell's department for any class)."""
    if not grid_code:
        return None
    row = s.get(GridResponsibility, grid_code)
    if row is None:
        return None
    klass = category_class(category_code)
    for key in (klass, ANY_CLASS):
        department_id = row.departments.get(key) if key else None
        if department_id and s.get(Department, department_id) is not None:
            return ResponsibleDepartment(department_id, grid_code, str(key))
    return None


# -- feed handlers (app.storage.feed dispatches to them) ---------------------------------------


def apply_cell(s: Session, payload: dict[str, Any]) -> int:
    code = str(payload.get("code") or "")
    if not code:
        return 0
    row = s.get(GridCell, code)
    if payload.get("removed"):
        if row is not None:
            s.delete(row)
    else:
        row = row or GridCell(code=code)
        row.street = str(payload.get("street") or "")
        row.community = str(payload.get("community") or "")
        row.rings = [list(map(float, r)) for r in payload.get("rings") or []]
        row.version = int(payload.get("version") or 0)
        s.add(row)
    _bump(s)
    s.merge(SyncState(key=GRID_STAMP_KEY, value=str(uuid.uuid4())))
    return 1


def apply_responsibility(s: Session, payload: dict[str, Any]) -> int:
    code = str(payload.get("grid_code") or "")
    if not code:
        return 0
    inspectors = [str(i) for i in payload.get("inspectors") or []]
    departments = {str(k): str(v) for k, v in (payload.get("departments") or {}).items()}
    row = s.get(GridResponsibility, code)
    if not inspectors and not departments:
        if row is not None:
            s.delete(row)
        return 1
    row = row or GridResponsibility(grid_code=code)
    row.inspectors, row.departments = inspectors, departments
    s.add(row)
    return 1


def apply_unit(s: Session, payload: dict[str, Any]) -> int:
    unit_id = str(payload.get("id") or "")
    if not unit_id:
        return 0
    row = s.get(ResponsibilityUnit, unit_id)
    if payload.get("removed"):
        if row is not None:
            s.delete(row)
    else:
        row = row or ResponsibilityUnit(id=unit_id)
        row.name = str(payload.get("name") or "")
        row.contact = str(payload.get("contact") or "")
        row.letter_no = str(payload.get("letter_no") or "")
        row.rings = [list(map(float, r)) for r in payload.get("rings") or []]
        row.lon, row.lat = payload.get("lon"), payload.get("lat")
        row.radius_m = payload.get("radius_m")
        s.add(row)
    _bump(s)
    return 1


# -- what the store offers (bound as LocalStore methods) ----------------------------------------


@dataclass(frozen=True, slots=True)
class CellResponsibility:
    """A cell's 定人定责 as the laptop knows it: inspectors' names, department per class."""

    grid_code: str
    inspectors: list[str]
    departments: dict[str, str]  # class → department id


def locate_place(
    store: LocalStore, lat: float | None, lon: float | None, typed: str | None = None
) -> Place:
    """The cell and the 门前三包 unit of a position (and the cell of a typed code)."""
    with store.read() as s:
        return locate(s, lat, lon, typed)


def cell_count(store: LocalStore) -> int:
    with store.read() as s:
        return len(places(s).cells)


def responsibility_of(store: LocalStore, grid_code: str) -> CellResponsibility | None:
    with store.read() as s:
        row = s.get(GridResponsibility, grid_code)
        if row is None:
            return None
        names = {
            r[0]: r[1]
            for r in s.execute(
                select(User.id, User.display_name).where(User.id.in_(row.inspectors))
            )
        }
        return CellResponsibility(
            grid_code,
            [names.get(i) or i for i in row.inspectors],
            dict(row.departments),
        )


def propose_department(
    store: LocalStore, grid_code: str | None, category_code: str | None
) -> ResponsibleDepartment | None:
    """The department 定人定责 names for a case (the dispatch dialog preselects it)."""
    with store.read() as s:
        return responsible_department(s, grid_code, category_code)


#: The name of the map layer of the server's cells.
GRID_LAYER = "grid"


def grid_layer(store: LocalStore) -> VectorLayer | None:
    """The cells the server distributes as a map layer (None: no grid on this laptop)."""
    with store.read() as s:
        rows = s.execute(
            select(GridCell.code, GridCell.street, GridCell.community, GridCell.rings)
        ).all()
    features = []
    for code, street, community, rings in rows:
        parts = [ring_pairs(r) for r in rings if len(r) >= 6]
        if parts:
            xs = [p[0] for p in parts[0]]
            ys = [p[1] for p in parts[0]]
            props = {"code": code, "street": street, "community": community}
            features.append(Feature("polygon", parts, (min(xs), min(ys), max(xs), max(ys)), props))
    return VectorLayer(GRID_LAYER, features) if features else None


def unit_of(store: LocalStore, unit_id: str | None) -> Frontage | None:
    if not unit_id:
        return None
    with store.read() as s:
        u = s.get(ResponsibilityUnit, unit_id)
        return Frontage(u.id, u.name, u.contact, u.letter_no) if u is not None else None
