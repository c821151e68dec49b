"""The data of the documents a supervisor prints: the periodic bulletin (定期通报) and a case report.

Everything here is read from the local store and resolved to plain values in one language
(category, department, action and user names), so that a renderer (:mod:`app.documents.pdf`) only
lays text out and never touches the store. No Qt here.

**Bulletin.** For a period ``[start, end)`` it holds the city's totals (from
:func:`app.storage.reports.indicators`), the departments as
:func:`app.domain.indicators.rank_departments` ranks them (the dashboard's ranking too) — by
on-time rate (high first), then closure rate (high first), then rework rate (low first), equal
departments sharing a rank, a department with nothing due to handle listed last, unnumbered —
the best and the worst of the ranked departments (up to three each, never the same department
in both), the overdue cases as of the cutoff (:func:`app.domain.indicators.cutoff`,
``min(end, now)``), and a few typical cases: cases closed in the period that have photos, the
ones with the longest history first, each with its timeline and its before/after photos.

**Case report.** One case with all its fields, its whole step log (when, who, which action,
the opinion, the department and deadline a step set), its comments and its photos.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.errors import DomainError, Message
from app.domain.indicators import Counts, Period, RankedDepartment, cutoff, rank_departments
from app.domain.lifecycle import ACTION_NAMES, STATUS_NAMES, Action
from app.domain.loop_indicators import DEFAULT_SIGN_LIMIT, LoopCounts
from app.domain.validation import Urgency
from app.geo.basemaps import BasemapRegistry
from app.geo.errors import MapError
from app.storage.coverage import coverage
from app.storage.handling import loop_indicators
from app.storage.inspection_scores import InspectionSection, bulletin_section
from app.storage.models import Case, CaseStep, Comment, Photo
from app.storage.reports import (
    as_of,
    department_names,
    indicators,
    open_assignments,
    user_names,
)
from app.storage.states import HANDLED_PHOTO_ROLE
from app.storage.store import LocalStore, PhotoRow
from app.storage.units import UnitCount, unit_counts

AFTER = "after"
#: At most this many departments are named as the best, and as many as the worst.
PODIUM = 3

URGENCY_NAMES: dict[Urgency, Message] = {
    Urgency.NORMAL: Message("一般", "Normal"),
    Urgency.URGENT: Message("紧急", "Urgent"),
    Urgency.EMERGENCY: Message("特急", "Emergency"),
}
_UNKNOWN = Message("未知", "unknown")
_NO_CATEGORY = Message("未分类", "Uncategorised")
_NO_DEPARTMENT = Message("未派遣", "Not dispatched")


def short_id(case_id: str) -> str:
    """A case id short enough for a table: its last 8 hex digits.

    The ids are UUIDv7, whose *first* digits are the creation time (cases made the same week
    share them); the last 8 are random, so they tell cases apart.
    """
    return case_id.replace("-", "")[-8:]


@dataclass(frozen=True, slots=True)
class PhotoRef:
    """A photo file of a case; ``thumbnail`` is the small cached copy (a fallback to show)."""

    path: Path
    thumbnail: Path
    role: str
    taken_at: datetime | None
    original_name: str


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One step of a case's log, with names resolved."""

    at: datetime
    action: str
    action_name: str
    actor: str
    opinion: str
    #: The department the step dispatched to (dispatch, rework), "" otherwise.
    department: str
    #: The deadline the step set (dispatch, extend, rework), if any.
    deadline: datetime | None


@dataclass(frozen=True, slots=True)
class OverdueCase:
    case_id: str
    short_id: str
    category: str
    address: str
    department: str
    deadline: datetime
    #: Whole days past the deadline at the cutoff, rounded up (a few hours late is 1 day).
    days_overdue: int


@dataclass(frozen=True, slots=True)
class TypicalCase:
    case_id: str
    short_id: str
    category: str
    description: str
    address: str
    status: str
    department: str
    closed_at: datetime
    timeline: list[TimelineEntry]
    before: list[PhotoRef]
    after: list[PhotoRef]


@dataclass(frozen=True, slots=True)
class BulletinData:
    """Everything a bulletin shows, already in ``language``."""

    period: Period
    #: The moment the figures are "as of": ``min(period.end, now)``.
    cutoff: datetime
    generated_at: datetime
    language: str
    totals: Counts
    #: Every department with figures in the period, ranked first, then those with nothing due.
    ranking: list[RankedDepartment]
    #: The best and the worst ranked departments (never the same department in both).
    top: list[RankedDepartment]
    bottom: list[RankedDepartment]
    overdue: list[OverdueCase]
    typical: list[TypicalCase]
    #: The period's cases with a position, for the bulletin's map: ``(lat, lon, overdue)``.
    map_points: list[tuple[float, float, bool]] = field(default_factory=list)
    #: The basemap the maps are drawn on, ``(file, datum)``; None: a plain background.
    basemap: tuple[str, str] | None = None
    #: Departments in the loop (issue 15): the city's sign-for figures (None: nothing was due
    #: to be signed for) and the departments that signed for tasks late, ``(name, how many)``,
    #: the most first.
    sign_for: LoopCounts | None = None
    late_sign_for: list[tuple[str, int]] = field(default_factory=list)
    sign_for_limit: timedelta = DEFAULT_SIGN_LIMIT
    #: Cases per 门前三包 unit reported in the period (app.storage.units), most first.
    units: list[UnitCount] = field(default_factory=list)
    #: Patrol coverage of the period per inspector (巡查覆盖); empty: no track in the period.
    coverage: list[CoverageRow] = field(default_factory=list)
    #: Share of the grid's cells visited and how many were not; None: no grid on this laptop.
    covered_share: float | None = None
    unvisited_cells: int = 0
    #: The period's published inspections: scores, best and worst objects, typical problems.
    inspections: InspectionSection | None = None


@dataclass(frozen=True, slots=True)
class CoverageRow:
    """One inspector's line of the bulletin's coverage section."""

    name: str
    distance_km: float
    patrol_h: float
    tracks: int
    cells_visited: int
    blind_spots: int
    #: Key-site rounds due in the period, and missed.
    rounds_due: int = 0
    rounds_missed: int = 0


def _coverage(store: LocalStore, period: Period) -> tuple[list[CoverageRow], float | None, int]:
    result = coverage(store, period.start, period.end)
    report = result.report
    rows = [
        CoverageRow(
            name,
            i.distance_m / 1000,
            i.patrol_s / 3600,
            i.tracks,
            len(i.cells_visited),
            len(i.blind_spots),
            rounds.due,
            rounds.missed,
        )
        for name, i, rounds in result.rows()
        if i.tracks or i.blind_spots or rounds.due
    ]
    if not result.has_grid:
        return rows, None, 0
    return rows, report.covered_share, len(report.unvisited)


@dataclass(frozen=True, slots=True)
class CommentEntry:
    at: datetime
    author: str
    role: str
    text: str


@dataclass(frozen=True, slots=True)
class CaseReportData:
    """One case for its report, already in ``language``."""

    case_id: str
    short_id: str
    language: str
    generated_at: datetime
    status: str
    category_code: str | None
    category: str
    description: str
    address: str
    urgency: str
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    grid_code: str | None
    observed_at: datetime | None
    submitted_at: datetime | None
    author: str
    department: str
    deadline: datetime | None
    timeline: list[TimelineEntry]
    comments: list[CommentEntry]
    before: list[PhotoRef]
    after: list[PhotoRef]
    #: The basemap the location map is drawn on, ``(file, datum)``; None: a plain background.
    basemap: tuple[str, str] | None = None
    #: The grid cell's street and community ("东门街道 · 雄石社区"), when this laptop knows it.
    place: str = ""
    #: The 门前三包 unit whose frontage holds the position: its name and letter number.
    unit: str = ""


def document_basemap(store: LocalStore) -> tuple[str, str] | None:
    """The basemap chosen on this computer for the documents' maps (None when there is none or
    the list cannot be read: a document is then drawn on a plain background, never refused)."""
    try:
        entry = BasemapRegistry(Path(store.data_dir)).current()
    except MapError:
        return None
    return (entry.path, entry.datum) if entry is not None else None


def _map_points(
    store: LocalStore, period: Period, overdue: Sequence[OverdueCase]
) -> list[tuple[float, float, bool]]:
    """The period's reported cases with a position, and each open overdue case wherever it
    was reported (a late case from an earlier period is still late now)."""
    late = {o.case_id for o in overdue}
    reported = (Case.submitted_at >= period.start) & (Case.submitted_at < period.end)
    with store.read() as s:
        rows = s.execute(
            select(Case.id, Case.lat, Case.lon).where(
                Case.lat.is_not(None), Case.lon.is_not(None), reported | Case.id.in_(late)
            )
        ).all()
    return [(float(r.lat), float(r.lon), r.id in late) for r in rows if r.lat is not None]


# -- bulletin ----------------------------------------------------------------------------------


def bulletin_data(
    store: LocalStore,
    period: Period,
    *,
    now: datetime | None = None,
    language: str = "zh_CN",
    typical: int = 3,
    sign_for_limit: timedelta = DEFAULT_SIGN_LIMIT,
) -> BulletinData:
    """The bulletin of ``period`` as of ``now`` (default: the store's clock)."""
    if period.end <= period.start:
        raise DomainError(
            "bad_period",
            Message("统计周期的结束时间必须晚于开始时间", "The period must end after it starts"),
        )
    moment = as_of(store, now)
    taken_at = cutoff(period, moment)
    figures = indicators(store, period, now=moment)
    departments = department_names(store, language)
    users = user_names(store, language)
    ranking = rank_departments(figures.by_department, departments)
    top, bottom = podium(ranking)
    overdue = _overdue(store, taken_at, departments, language)
    cases = _typical_cases(
        store,
        period,
        cutoff=taken_at,
        limit=typical,
        departments=departments,
        users=users,
        language=language,
    )
    loop = loop_indicators(store, period, now=moment, limit=sign_for_limit)
    patrols, covered_share, unvisited = _coverage(store, period)
    return BulletinData(
        sign_for=loop.total if loop.total.due_to_sign else None,
        late_sign_for=[(departments.get(d, d or "—"), late) for d, late in loop.late_sign_for()],
        sign_for_limit=sign_for_limit,
        coverage=patrols,
        covered_share=covered_share,
        unvisited_cells=unvisited,
        period=period,
        cutoff=taken_at,
        generated_at=moment,
        language=language,
        totals=figures.total,
        ranking=ranking,
        top=top,
        bottom=bottom,
        overdue=overdue,
        typical=cases,
        map_points=_map_points(store, period, overdue),
        basemap=document_basemap(store),
        units=unit_counts(store, period),
        inspections=bulletin_section(store, period),
    )


def podium(
    ranking: Sequence[RankedDepartment],
) -> tuple[list[RankedDepartment], list[RankedDepartment]]:
    """The best and the worst ranked departments: up to :data:`PODIUM` each, and with fewer than
    twice that many ranked, half each (rounded down), so no department is both; a department
    ranked alone is at the top."""
    ranked = [r for r in ranking if r.rank is not None]
    if len(ranked) == 1:
        return ranked, []  # the only department ranked is named at the top, not at the bottom
    n = min(PODIUM, len(ranked) // 2)
    if n == 0:
        return [], []
    return ranked[:n], ranked[-n:]


def _overdue(
    store: LocalStore, cutoff: datetime, departments: dict[str | None, str], language: str
) -> list[OverdueCase]:
    rows = [a for a in open_assignments(store, cutoff) if a.overdue and a.deadline is not None]
    if not rows:
        return []
    ids = sorted({a.case_id for a in rows})
    with store.read() as s:
        addresses = {
            case_id: address
            for case_id, address in s.execute(select(Case.id, Case.address).where(Case.id.in_(ids)))
        }
    out = []
    for a in rows:
        assert a.deadline is not None
        late = (cutoff - a.deadline).total_seconds() / 86400
        out.append(
            OverdueCase(
                case_id=a.case_id,
                short_id=short_id(a.case_id),
                category=_category_name(store, a.category_code, language),
                address=addresses.get(a.case_id, ""),
                department=_department_name(departments, a.department_id, language),
                deadline=a.deadline,
                days_overdue=max(1, math.ceil(late)),
            )
        )
    out.sort(key=lambda o: (o.deadline, o.case_id))  # the longest overdue first
    return out


def _typical_cases(
    store: LocalStore,
    period: Period,
    *,
    cutoff: datetime,
    limit: int,
    departments: dict[str | None, str],
    users: dict[str | None, str],
    language: str,
) -> list[TypicalCase]:
    if limit <= 0:
        return []
    with store.read() as s:
        closed_at = func.max(CaseStep.at).label("closed_at")
        closed = (
            select(CaseStep.case_id, closed_at)
            .where(
                CaseStep.action == Action.CLOSE.value,
                CaseStep.at >= period.start,
                CaseStep.at < cutoff,
            )
            .group_by(CaseStep.case_id)
            .subquery()
        )
        steps = (
            select(func.count())
            .where(CaseStep.case_id == closed.c.case_id)
            .correlate(closed)
            .scalar_subquery()
        )
        has_photo = select(Photo.id).where(Photo.case_id == closed.c.case_id).exists()
        chosen = s.execute(
            select(closed.c.case_id, closed.c.closed_at)
            .where(has_photo)
            .order_by(steps.desc(), closed.c.closed_at.desc(), closed.c.case_id)
            .limit(limit)
        ).all()
        picked = [(str(case_id), at) for case_id, at in chosen]
    out = []
    for case_id, when in picked:
        row = store.get_case(case_id)
        with store.read() as s:
            timeline = _timeline(s, case_id, departments, users, language)
            department_id = s.scalar(select(Case.department_id).where(Case.id == case_id))
        before, after = _photos(store.photos(case_id))
        out.append(
            TypicalCase(
                case_id=case_id,
                short_id=short_id(case_id),
                category=_category_name(store, row.category_code, language),
                description=row.description,
                address=row.address,
                status=STATUS_NAMES[row.status].text(language),
                department=_department_name(departments, department_id, language),
                closed_at=when,
                timeline=timeline,
                before=before,
                after=after,
            )
        )
    return out


# -- case report -------------------------------------------------------------------------------


def case_report_data(
    store: LocalStore, case_id: str, language: str = "zh_CN", *, now: datetime | None = None
) -> CaseReportData:
    """Everything the report of one case shows (raises ``DomainError("not_found")``)."""
    row = store.get_case(case_id)
    departments = department_names(store, language)
    users = user_names(store, language)
    with store.read() as s:
        case = s.execute(
            select(Case.grid_code, Case.department_id, Case.deadline).where(Case.id == case_id)
        ).one()
        timeline = _timeline(s, case_id, departments, users, language)
        comments = [
            CommentEntry(c.at, c.author_name, c.role, c.text)
            for c in s.scalars(
                select(Comment).where(Comment.case_id == case_id).order_by(Comment.at, Comment.id)
            )
        ]
    before, after = _photos(store.photos(case_id))
    cell = store.locate(None, None, case.grid_code).typed if case.grid_code else None
    unit = store.unit(row.unit_id)
    return CaseReportData(
        case_id=case_id,
        short_id=short_id(case_id),
        language=language,
        generated_at=now if now is not None else store.clock(),
        status=STATUS_NAMES[row.status].text(language),
        category_code=row.category_code,
        category=_category_name(store, row.category_code, language),
        description=row.description,
        address=row.address,
        urgency=URGENCY_NAMES[row.urgency].text(language),
        lat=row.lat,
        lon=row.lon,
        accuracy_m=row.accuracy_m,
        grid_code=case.grid_code,
        observed_at=row.observed_at,
        submitted_at=row.submitted_at,
        author=_user_name(users, row.author_id, language),
        department=(
            _department_name(departments, case.department_id, language)
            if case.department_id
            else ""
        ),
        deadline=case.deadline,
        timeline=timeline,
        comments=comments,
        before=before,
        after=after,
        basemap=document_basemap(store),
        place=" · ".join(n for n in (cell.street, cell.community) if n) if cell else "",
        unit=f"{unit.name} ({unit.letter_no})"
        if unit and unit.letter_no
        else (unit.name if unit else ""),
    )


# -- shared ------------------------------------------------------------------------------------


def _timeline(
    s: Session,
    case_id: str,
    departments: dict[str | None, str],
    users: dict[str | None, str],
    language: str,
) -> list[TimelineEntry]:
    steps = s.scalars(
        select(CaseStep).where(CaseStep.case_id == case_id).order_by(CaseStep.at, CaseStep.id)
    )
    return [
        TimelineEntry(
            at=st.at,
            action=st.action,
            action_name=_action_name(st.action, language),
            actor=_user_name(users, st.actor_id, language),
            opinion=st.opinion or "",
            department=(
                _department_name(departments, st.department_id, language)
                if st.department_id
                else ""
            ),
            deadline=st.deadline,
        )
        for st in steps
    ]


def _photos(rows: Sequence[PhotoRow]) -> tuple[list[PhotoRef], list[PhotoRef]]:
    refs = [PhotoRef(r.path, r.thumbnail, r.role, r.taken_at, r.original_name) for r in rows]
    # A department's photos of its handling (issue 15) show the result, as "after" ones do.
    later = (AFTER, HANDLED_PHOTO_ROLE)
    return [p for p in refs if p.role not in later], [p for p in refs if p.role in later]


def _action_name(action: str, language: str) -> str:
    try:
        name = ACTION_NAMES[Action(action)].text(language)
    except ValueError:
        return action
    return name[:1].upper() + name[1:]


def _category_name(store: LocalStore, code: str | None, language: str) -> str:
    if not code:
        return _NO_CATEGORY.text(language)
    category = store.taxonomy.matter(code)
    return f"{code} {category.display_name(language)}" if category is not None else code


def _department_name(
    departments: dict[str | None, str], department_id: str | None, language: str
) -> str:
    if department_id is None:
        return departments.get(None) or _NO_DEPARTMENT.text(language)
    return departments.get(department_id) or department_id


def _user_name(users: dict[str | None, str], user_id: str | None, language: str) -> str:
    if user_id is None:
        return _UNKNOWN.text(language)
    return users.get(user_id) or user_id


__all__ = [
    "BulletinData",
    "CaseReportData",
    "CommentEntry",
    "OverdueCase",
    "PhotoRef",
    "RankedDepartment",
    "TimelineEntry",
    "TypicalCase",
    "bulletin_data",
    "case_report_data",
    "podium",
    "short_id",
]
