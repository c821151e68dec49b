"""The cases' positions for the map: a few columns of every matching case, in one read.

The map draws up to a hundred thousand cases, clustered; it needs only where each case is, its
status (the marker's colour) and its id (a click opens it) — not whole rows — so this reads
four columns in one query, in plain lists the renderer projects once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, select

from app.domain.lifecycle import CaseStatus
from app.storage.deadlines import deadline_rows
from app.storage.models import Case
from app.storage.queries import filter_cases
from app.storage.store import CaseQuery, LocalStore


@dataclass(frozen=True, slots=True)
class CasePoints:
    """Parallel lists: the i-th case has ``ids[i]`` at ``(lats[i], lons[i])`` (WGS84)."""

    ids: list[str] = field(default_factory=list)
    lats: list[float] = field(default_factory=list)
    lons: list[float] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


def case_points(store: LocalStore, query: CaseQuery | None = None) -> CasePoints:
    """Every case matching ``query`` that has a position (the list's filters, without paging)."""
    columns = cast("Select[Any]", select(Case.id, Case.lat, Case.lon, Case.status))
    stmt = filter_cases(columns, query or CaseQuery()).where(
        Case.lat.is_not(None), Case.lon.is_not(None)
    )
    points = CasePoints()
    with store.read() as s:
        for case_id, lat, lon, status in s.execute(stmt.order_by(Case.pk)):
            points.ids.append(case_id)
            points.lats.append(float(lat))
            points.lons.append(float(lon))
            points.statuses.append(str(status))
    return points


# -- the supervisor's map ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SupervisorFilter:
    """The supervisor map's filters (as the review and deadlines screens filter): all AND."""

    statuses: frozenset[CaseStatus] = frozenset()
    category: str | None = None
    department_id: str | None = None
    overdue_only: bool = False
    created_from: datetime | None = None
    created_to: datetime | None = None


#: Colour keys of the supervisor's markers: an open assignment is drawn by its traffic light
#: (``light_green`` …, app.maprender.render.LIGHT_MARKER_COLOURS); any other case by its status.
LIGHT_KEY = "light_"


def supervisor_points(store: LocalStore, now: datetime, f: SupervisorFilter) -> CasePoints:
    """The cases matching ``f`` with a position; ``statuses[i]`` is the marker's colour key:
    ``light_<green|yellow|red>`` for a dispatched case (its deadline's traffic light, from the
    same joined read as the deadlines screen), else the case's status."""
    lights = {r.case_id: r for r in deadline_rows(store, now, "en")}
    query = CaseQuery(statuses=f.statuses, created_from=f.created_from, created_to=f.created_to)
    columns = cast("Select[Any]", select(Case.id, Case.lat, Case.lon, Case.status))
    stmt = filter_cases(columns, query).where(Case.lat.is_not(None), Case.lon.is_not(None))
    if f.category:
        stmt = stmt.where(Case.category_code == f.category)
    if f.department_id:
        stmt = stmt.where(Case.department_id == f.department_id)
    if f.overdue_only:
        overdue = sorted(case_id for case_id, r in lights.items() if r.overdue)
        stmt = stmt.where(Case.id.in_(overdue))
    points = CasePoints()
    with store.read() as s:
        for case_id, lat, lon, status in s.execute(stmt.order_by(Case.pk)):
            row = lights.get(case_id)
            points.ids.append(case_id)
            points.lats.append(float(lat))
            points.lons.append(float(lon))
            points.statuses.append(f"{LIGHT_KEY}{row.light}" if row else str(status))
    return points


def mapped_categories(store: LocalStore) -> list[str]:
    """The category codes of the cases that have a position (the map's category filter)."""
    stmt = (
        select(Case.category_code)
        .where(Case.lat.is_not(None), Case.category_code.is_not(None))
        .distinct()
        .order_by(Case.category_code)
    )
    with store.read() as s:
        return [str(code) for code in s.scalars(stmt)]
