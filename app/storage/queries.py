"""Reading cases: one case, pages of a filtered list, the ids behind a lazy view, the user's
most used categories, and the open cases near a point (the duplicate check at capture).

A case row is read as plain columns (:data:`_ROW_COLUMNS`), never as an ORM object: faster, and
no caller holds a session. :class:`~app.storage.store.LocalStore` offers each of these as a
method; the functions take the store.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    column,
    func,
    literal_column,
    select,
    table,
)

from app.capture.positions import EARTH_MEAN_RADIUS_M, haversine_m
from app.domain.lifecycle import CaseStatus
from app.domain.validation import Urgency
from app.storage.cases import case_not_found
from app.storage.models import Case, Photo
from app.storage.rows import CaseQuery, CaseRow, Page
from app.storage.search import match_expression

if TYPE_CHECKING:
    from app.storage.store import LocalStore

DEFAULT_PAGE = 50
#: The default query, every case: a frozen value, so one shared instance is a safe default.
EVERY_CASE = CaseQuery()

_NEWEST_FIRST = (Case.created_at.desc(), Case.pk.desc())
_ORDERS = {
    "newest": _NEWEST_FIRST,
    "oldest": (Case.created_at.asc(), Case.pk.asc()),
    "updated": (Case.updated_at.desc(), Case.pk.desc()),
}
#: Statuses in which a case is no longer open (for the duplicate check at capture).
_NOT_OPEN = frozenset(
    {CaseStatus.CLOSED, CaseStatus.EVALUATED, CaseStatus.VOID, CaseStatus.REJECTED}
)
#: The FTS5 table of migration 0002 (not an ORM model: its rows are derived data).
_SEARCH = table("case_search", column("rowid", Integer), column("grams"))
#: Above this many text matches, a page is found by walking the creation-time index (bench/store.py).
WALK_INDEX_ABOVE = 2000
#: A case's number of photos, as a column of a query over cases (the list and the exports).
PHOTO_COUNT = (
    select(func.count())
    .where(Photo.case_id == Case.id)
    .correlate(Case)
    .scalar_subquery()
    .label("photo_count")
)
#: The columns of a :class:`CaseRow`, read without ORM objects (see :func:`_case_row`).
_ROW_COLUMNS = (
    Case.pk,
    Case.id,
    Case.status,
    Case.category_code,
    Case.description,
    Case.address,
    Case.urgency,
    Case.lat,
    Case.lon,
    Case.accuracy_m,
    Case.observed_at,
    Case.created_at,
    Case.updated_at,
    Case.submitted_at,
    Case.author_id,
    Case.grid_code,
    Case.revision,
    Case.server_revision,
    Case.delivery,
    Case.delivery_error,
    Case.confirmed_at,
    PHOTO_COUNT,
    Case.grid_source,
    Case.unit_id,
)


def _match(expression: str) -> ColumnElement[bool]:
    return literal_column("case_search").op("MATCH")(expression)


def filter_cases(stmt: Select[Any], q: CaseQuery, *, walk_index: bool = False) -> Select[Any]:
    """``stmt`` narrowed to the cases ``q`` matches (text, status, category, dates, delivery);
    shared by the case list and the map so both show the same cases."""
    if q.text.strip():
        expression = match_expression(q.text)
        if expression is not None:
            # SQLite's unary "+" makes a term unusable for lookups; the planner then satisfies
            # ORDER BY from the creation-time index and tests each row against the match set.
            pk = literal_column("+cases.pk") if walk_index else Case.pk
            stmt = stmt.where(pk.in_(select(_SEARCH.c.rowid).where(_match(expression))))
    if q.statuses:
        stmt = stmt.where(Case.status.in_(sorted(s.value for s in q.statuses)))
    if q.categories:
        stmt = stmt.where(Case.category_code.in_(sorted(q.categories)))
    if q.created_from is not None:
        stmt = stmt.where(Case.created_at >= q.created_from)
    if q.created_to is not None:
        stmt = stmt.where(Case.created_at < q.created_to)
    if q.deliveries:
        stmt = stmt.where(Case.delivery.in_(sorted(q.deliveries)))
    return stmt


def _case_row(r: Row[Any]) -> CaseRow:
    """A :class:`CaseRow` from a result row of :data:`_ROW_COLUMNS` (no ORM objects: faster)."""
    values = r._asdict()
    values["status"] = CaseStatus(values["status"])
    values["urgency"] = Urgency(values["urgency"])
    return CaseRow(**values)


def get_case(store: LocalStore, case_id: str) -> CaseRow:
    """One case; a :class:`DomainError` ``not_found`` if there is none."""
    with store.read() as s:
        row = s.execute(select(*_ROW_COLUMNS).where(Case.id == case_id)).first()
        if row is None:
            raise case_not_found(case_id)
        return _case_row(row)


def category_usage(store: LocalStore, limit: int = 8) -> list[tuple[str, int]]:
    """``(category_code, cases)`` of the signed-in user's own cases, most used first.

    Ties go to the category used most recently, then to the lower code.
    """
    count = func.count().label("n")
    with store.read() as s:
        rows = s.execute(
            select(Case.category_code, count)
            .where(Case.author_id == store.actor.id, Case.category_code.is_not(None))
            .group_by(Case.category_code)
            .order_by(count.desc(), func.max(Case.created_at).desc(), Case.category_code)
            .limit(limit)
        )
        return [(str(code), int(n)) for code, n in rows]


def nearby_open_cases(
    store: LocalStore,
    category_code: str,
    lat: float,
    lon: float,
    *,
    radius_m: float = 30.0,
    days: float = 7,
    exclude_id: str | None = None,
) -> list[CaseRow]:
    """Open cases of a category within ``radius_m``, made in the last ``days``, nearest first.

    The duplicate check at capture: "possibly already reported". Open means not closed,
    evaluated, void or rejected. A bounding box narrows the rows in SQL (on the category,
    status and creation-time index); the great-circle distance decides.
    """
    if not (math.isfinite(lat) and math.isfinite(lon)) or radius_m < 0:
        return []
    since = store.clock() - timedelta(days=days)
    angle = radius_m / EARTH_MEAN_RADIUS_M
    dlat = math.degrees(angle) * 1.001 + 1e-9
    stmt = select(*_ROW_COLUMNS).where(
        Case.category_code == category_code,
        Case.status.notin_(sorted(s.value for s in _NOT_OPEN)),
        Case.created_at >= since,
        Case.lat.between(lat - dlat, lat + dlat),
        Case.lon.is_not(None),
    )
    cos_lat = math.cos(math.radians(lat))
    if angle < math.pi / 2 and math.sin(angle) < cos_lat:
        # The widest longitude span of a circle of this radius around this latitude.
        dlon = math.degrees(math.asin(math.sin(angle) / cos_lat)) * 1.001 + 1e-9
        if lon - dlon >= -180.0 and lon + dlon <= 180.0:  # no antimeridian: one range
            stmt = stmt.where(Case.lon.between(lon - dlon, lon + dlon))
    if exclude_id is not None:
        stmt = stmt.where(Case.id != exclude_id)
    with store.read() as s:
        candidates = [_case_row(r) for r in s.execute(stmt)]
    near = [
        (haversine_m(lat, lon, c.lat, c.lon), c)
        for c in candidates
        if c.lat is not None and c.lon is not None
    ]
    return [c for d, c in sorted(near, key=lambda dc: (dc[0], dc[1].pk)) if d <= radius_m]


def case_ids(store: LocalStore, query: CaseQuery = EVERY_CASE) -> list[int]:
    """The ``pk`` of every matching case, newest first — cheap, for lazy views."""
    with store.read() as s:
        stmt = filter_cases(select(Case.pk), query)
        return list(s.scalars(stmt.order_by(*_ORDERS.get(query.order, _NEWEST_FIRST))))


def case_rows(store: LocalStore, pks: Sequence[int]) -> list[CaseRow]:
    """The cases with these ``pk`` values, in the order given (missing ones are skipped)."""
    if not pks:
        return []
    with store.read() as s:
        by_pk = {
            r.pk: _case_row(r) for r in s.execute(select(*_ROW_COLUMNS).where(Case.pk.in_(pks)))
        }
        return [by_pk[pk] for pk in pks if pk in by_pk]


def list_cases(
    store: LocalStore, query: CaseQuery = EVERY_CASE, *, offset: int = 0, limit: int = DEFAULT_PAGE
) -> Page:
    """One page of matching cases, newest first, with the total count."""
    with store.read() as s:
        expression = match_expression(query.text) if query.text.strip() else None
        matches = None
        if expression is not None:
            matches = (
                s.scalar(select(func.count()).select_from(_SEARCH).where(_match(expression))) or 0
            )
        if matches is not None and query in (
            CaseQuery(text=query.text),
            CaseQuery(text=query.text, order=query.order),
        ):
            total = matches  # text alone: the index counts it without touching the cases
        else:
            total = s.scalar(filter_cases(select(func.count()).select_from(Case), query)) or 0
        # Many matches: walking the creation-time index newest first and stopping after one
        # page beats fetching and sorting every match (SQLite's plan, best for few matches).
        order = _ORDERS.get(query.order, _NEWEST_FIRST)
        walk = matches is not None and matches > WALK_INDEX_ABOVE and order is _NEWEST_FIRST
        stmt = filter_cases(select(*_ROW_COLUMNS), query, walk_index=walk)
        stmt = stmt.order_by(*order).offset(offset).limit(limit)
        rows = [_case_row(r) for r in s.execute(stmt)]
        return Page(rows, total, offset, limit)
