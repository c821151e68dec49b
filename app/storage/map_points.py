"""The cases' positions for the map: a few columns of every matching case, in one read.

The map draws up to a hundred thousand cases, clustered; it needs only where each case is, its
status (the marker's colour) and its id (a click opens it) — not whole rows — so this reads
four columns in one query, in plain lists the renderer projects once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Select, select

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
