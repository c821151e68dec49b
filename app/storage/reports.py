"""Reports from the local store: indicators, the weekly trend, open assignments, deadlines.

Qt-free, read-only. The figures are those of :mod:`app.domain.indicators`, computed from the
step log as the sync brought it down; nothing is stored as a counter. For speed the log is read
with plain SQL on the store's connection (one read transaction, so cases and steps are one
snapshot) and handed to the computation as rows of ISO-8601 UTC text, which sort and compare
like the instants they stand for.

All the steps before the latest cutoff are read in one pass, sorted by (case, time, id). With
an index that covers the read — :data:`COVERING_INDEX`, columns ``(case_id, at, id, action,
department_id, deadline)`` — SQLite walks it in order and never touches the table; without one
the table is scanned and sorted (``NOT INDEXED``: walking the plain ``case_id`` index instead
visits the table in random order once steps are stored as they happened, interleaved across
cases, which measured slower than the sort; bench/reports.py prints both). A case whose last
step is before every period and leaves no assignment open is skipped before its times are even
parsed (:func:`app.domain.indicators.compute_rows`), so a long history costs little more than
the time to read it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import groupby
from operator import itemgetter

from app.domain.deadlines import (
    RuleFact,
    TrafficLight,
    WorkingCalendar,
    traffic_light,
)
from app.domain.deadlines import propose_deadline as _propose
from app.domain.errors import DomainError, Message
from app.domain.indicators import (
    Counts,
    Indicators,
    Period,
    assignments,
    compute_rows,
    cutoff,
    weekly_periods,
)
from app.domain.lifecycle import Action, CaseStatus
from app.domain.sites import RoundCounts
from app.storage.db import translate_errors
from app.storage.sites import round_counts
from app.storage.store import LocalStore

#: An assignment is "due soon" when its deadline is this close (or its light is yellow).
DUE_SOON = timedelta(hours=24)
#: Statuses of a case with an open assignment.
OPEN_STATUSES = (CaseStatus.DISPATCHED.value, CaseStatus.SUSPENDED.value)

# Every action, so that ``action IN (...) AND at >= ?`` walks ix_case_steps_action_at (one
# range per action) instead of scanning the whole step table.
_ACTIONS = ", ".join(f"'{a.value}'" for a in Action)
_OPEN = ", ".join(f"'{s}'" for s in OPEN_STATUSES)
#: The index that makes reading the step log a sequential, index-only scan (in the schema since
#: migration 0005; the read checks for it, so a store without it still works, more slowly).
COVERING_INDEX = (
    "CREATE INDEX IF NOT EXISTS ix_case_steps_log ON case_steps "
    "(case_id, at, id, action, department_id, deadline)"
)
_STEP_COLUMNS = "case_id, action, at, department_id, deadline"
_STEPS_COVERED = f"""
    SELECT {_STEP_COLUMNS} FROM case_steps WHERE at < :cutoff ORDER BY case_id, at, id
"""
_STEPS_SORTED = f"""
    SELECT {_STEP_COLUMNS} FROM case_steps NOT INDEXED WHERE at < :cutoff
    ORDER BY case_id, at, id
"""
_CASES = "SELECT id, author_id, category_code, grid_code FROM cases"


def _iso(value: datetime) -> str:
    """``value`` as the store writes times (``UTCDateTime``), so text comparison is exact."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _steps_query(raw: sqlite3.Connection) -> str:
    """The step-log read: through a covering index if the store has one, else a sorted scan."""
    wanted = {"action", "department_id", "deadline"}
    for row in raw.execute("PRAGMA index_list(case_steps)").fetchall():
        name = str(row[1]).replace('"', '""')
        columns = [r[2] for r in raw.execute(f'PRAGMA index_info("{name}")').fetchall()]
        if columns[:3] == ["case_id", "at", "id"] and wanted <= set(columns):
            return _STEPS_COVERED
    return _STEPS_SORTED


@contextmanager
def _sort_threads(raw: sqlite3.Connection) -> Iterator[None]:
    """Let SQLite sort with helper threads (measured ~10 % faster on 2 cores, bench/reports.py)
    for this read, then put the connection's setting back."""
    (before,) = raw.execute("PRAGMA threads").fetchone()
    raw.execute(f"PRAGMA threads = {min(4, os.cpu_count() or 1)}")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA threads = {int(before)}")


@contextmanager
def _reading(store: LocalStore) -> Iterator[sqlite3.Connection]:
    """The store's raw SQLite connection inside one read transaction."""
    with translate_errors(store.data_dir), store.engine.connect() as conn, conn.begin():
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        yield raw


# -- indicators ------------------------------------------------------------------------------


def as_of(store: LocalStore, now: datetime | None = None) -> datetime:
    """The moment reports are taken at: ``now`` if given, else the store's clock.

    Reports of the current period are "as of now" (their cutoff is
    :func:`app.domain.indicators.cutoff`), so a caller that names no moment gets the present,
    never the period's end: the CLI used to, and counted an assignment due later today as
    already due and overdue.
    """
    return store.clock() if now is None else now


def indicators_many(
    store: LocalStore,
    periods: Sequence[Period],
    now: datetime | None = None,
    *,
    totals_only: bool = False,
) -> list[Indicators]:
    """The indicators of each of ``periods`` (same order) as of ``now`` (default: the store's
    clock), from one read of the step log."""
    if not periods:
        return []
    moment = as_of(store, now)
    latest = max(cutoff(p, moment) for p in periods)
    since = min(p.start for p in periods)
    if latest <= since:
        return compute_rows([], [], periods, moment, totals_only=totals_only)
    with _reading(store) as raw, _sort_threads(raw):
        cases = raw.execute(_CASES)
        rows = raw.execute(_steps_query(raw), {"cutoff": _iso(latest)})
        return compute_rows(cases, rows, periods, moment, totals_only=totals_only)


def indicators(store: LocalStore, period: Period, now: datetime | None = None) -> Indicators:
    """The indicators of ``period`` as of ``now`` (default: the store's clock)."""
    return indicators_many(store, [period], now)[0]


def weekly_trend(
    store: LocalStore, period: Period, now: datetime | None = None, tz: tzinfo | None = None
) -> list[tuple[Period, Counts]]:
    """City totals per week (Monday 00:00 local time) of ``period``, the first and last clipped,
    as of ``now`` (default: the store's clock).

    ``tz`` defaults to the time zone of ``period.start``.
    """
    zone = tz or period.start.tzinfo or UTC
    weeks = weekly_periods(period.start, period.end, zone)
    return [(r.period, r.total) for r in indicators_many(store, weeks, now, totals_only=True)]


# -- names -----------------------------------------------------------------------------------

NOT_DISPATCHED = Message("未派遣", "Not dispatched")
UNKNOWN_USER = Message("未知", "Unknown")


def department_names(store: LocalStore, language: str) -> dict[str | None, str]:
    """Every department's name in ``language`` (``zh…`` or other: English when it has one),
    inactive ones included (old cases still name them); ``None``: "not dispatched"."""
    chinese = language.lower().startswith("zh")
    with _reading(store) as raw:
        rows = raw.execute("SELECT id, name, name_en FROM departments").fetchall()
    names: dict[str | None, str] = {
        dep_id: name if chinese or not name_en else name_en for dep_id, name, name_en in rows
    }
    names[None] = NOT_DISPATCHED.text(language)
    return names


def user_names(store: LocalStore, language: str = "zh_CN") -> dict[str | None, str]:
    """Every user's display name (their user name when it is empty), disabled accounts included;
    ``None``: "unknown"."""
    with _reading(store) as raw:
        rows = raw.execute("SELECT id, username, display_name FROM users").fetchall()
    names: dict[str | None, str] = {uid: display or username for uid, username, display in rows}
    names[None] = UNKNOWN_USER.text(language)
    return names


def round_figures(store: LocalStore, period: Period, now: datetime) -> dict[str, RoundCounts]:
    """Per inspector: the key-site rounds (重点部位) of ``period``'s days due as of ``now``,
    done and missed — the indicators' rounds figures."""
    tz = WorkingCalendar().tz
    first = period.start.astimezone(tz).date()
    last = (period.end - timedelta(microseconds=1)).astimezone(tz).date()
    return round_counts(store, first, last, now)


def total_rounds(store: LocalStore, period: Period, now: datetime) -> RoundCounts:
    """Every inspector's key-site rounds of ``period`` added up (the dashboard's tile)."""
    return sum(round_figures(store, period, now).values(), RoundCounts())


# -- deadlines -------------------------------------------------------------------------------


def working_calendar(store: LocalStore) -> WorkingCalendar:
    """The default working calendar with the exceptions (holidays, 调休 days) pulled from the
    server."""
    with _reading(store) as raw:
        rows = raw.execute("SELECT day, working FROM calendar_days").fetchall()
    return WorkingCalendar(exceptions={date.fromisoformat(day): bool(w) for day, w in rows})


def time_limit_rules(store: LocalStore) -> list[RuleFact]:
    with _reading(store) as raw:
        rows = raw.execute(
            "SELECT category_code, urgency, amount, unit FROM time_limits "
            "ORDER BY category_code, urgency, id"
        ).fetchall()
    return [RuleFact(category, urgency, amount, unit) for category, urgency, amount, unit in rows]


def propose_deadline(store: LocalStore, case_id: str, start: datetime) -> datetime | None:
    """The deadline the time-limit rules give the case if dispatched at ``start``
    (None: no rule applies). Raises :class:`DomainError` (``not_found``) for an unknown case."""
    with _reading(store) as raw:
        row = raw.execute(
            "SELECT category_code, urgency FROM cases WHERE id = ?", (case_id,)
        ).fetchone()
    if row is None:
        raise DomainError("not_found", Message(f"找不到案件 {case_id}", f"No case {case_id}"))
    return _propose(time_limit_rules(store), working_calendar(store), row[0], row[1], start)


# -- open assignments ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssignmentRow:
    """A case with an open assignment (dispatched or suspended) as of ``now``."""

    case_id: str
    #: ``dispatched`` or ``suspended`` as of ``now``.
    status: CaseStatus
    department_id: str | None
    category_code: str | None
    grid_code: str | None
    author_id: str | None
    urgency: str | None
    #: The last ``dispatch``/``rework`` step (None when the log lacks it).
    started_at: datetime | None
    #: The effective deadline: the deadline as last set, moved on by the suspension since
    #: (while suspended, as if resumed now); the one that is or will be missed.
    deadline: datetime | None
    #: The deadline as last set by dispatch, rework or extend.
    recorded_deadline: datetime | None
    #: Seconds suspended in this assignment (the open suspension up to ``now`` included).
    suspended_seconds: float
    light: TrafficLight
    overdue: bool
    #: Not overdue, not suspended, and due within :data:`DUE_SOON` or yellow.
    due_soon: bool


#: A case as :func:`assignments_of` reads it: id, status, department_id, deadline (ISO text),
#: category_code, grid_code, author_id, urgency.
CaseTuple = tuple[str, str, str | None, str | None, str | None, str | None, str | None, str | None]
#: A step as :func:`assignments_of` reads it: case_id, action, at, department_id, deadline (times
#: as ISO text), grouped by case and in time order within a case.
StepTuple = tuple[str, str, str, str | None, str | None]


def _row_from_log(
    case: CaseTuple,
    steps: list[tuple[str, datetime, str | None, datetime | None]],
    now: datetime,
) -> AssignmentRow | None:
    case_id, status, department_id, deadline, category, grid, author, urgency = case
    spells = assignments(steps, now)
    if spells:
        spell = spells[-1]
        if not spell.open:
            return None
        suspended = spell.suspended_since is not None
        overdue = spell.late_at is not None
        if spell.deadline is None:
            light = TrafficLight.GREEN
        else:
            light = traffic_light(spell.start, spell.deadline, now, spell.credited_seconds)
        effective = spell.effective_deadline
        return AssignmentRow(
            case_id=case_id,
            status=CaseStatus.SUSPENDED if suspended else CaseStatus.DISPATCHED,
            department_id=spell.department_id,
            category_code=category,
            grid_code=grid,
            author_id=author,
            urgency=urgency,
            started_at=spell.start,
            deadline=effective,
            recorded_deadline=spell.deadline,
            suspended_seconds=spell.suspended_seconds,
            light=light,
            overdue=overdue,
            due_soon=_due_soon(effective, now, light, overdue=overdue, suspended=suspended),
        )
    if status not in OPEN_STATUSES or any(at >= now for _, at, _, _ in steps):
        return None
    # Dispatched by its status but without a dispatch step in the log (a partial history):
    # what the case row says, with no start to measure the limit from.
    due = _parse(deadline)
    overdue = due is not None and now > due
    if overdue:
        light = TrafficLight.RED
    elif due is not None and due - now <= DUE_SOON:
        light = TrafficLight.YELLOW
    else:
        light = TrafficLight.GREEN
    suspended = status == CaseStatus.SUSPENDED
    return AssignmentRow(
        case_id=case_id,
        status=CaseStatus(status),
        department_id=department_id,
        category_code=category,
        grid_code=grid,
        author_id=author,
        urgency=urgency,
        started_at=None,
        deadline=due,
        recorded_deadline=due,
        suspended_seconds=0.0,
        light=light,
        overdue=overdue,
        due_soon=_due_soon(due, now, light, overdue=overdue, suspended=suspended),
    )


def _due_soon(
    deadline: datetime | None,
    now: datetime,
    light: TrafficLight,
    *,
    overdue: bool,
    suspended: bool,
) -> bool:
    if overdue or suspended or deadline is None:
        return False
    return deadline - now <= DUE_SOON or light is TrafficLight.YELLOW


#: The cases that may have an assignment open as of ``:now`` (ISO-8601 UTC text): open by their
#: status, or with a step at or after ``now`` (a past ``now`` reads the log as it was then).
OPEN_CANDIDATES = f"""
    SELECT id FROM cases WHERE status IN ({_OPEN})
    UNION
    SELECT case_id FROM case_steps WHERE action IN ({_ACTIONS}) AND at >= :now
"""


def open_assignments(store: LocalStore, now: datetime) -> list[AssignmentRow]:
    """Every case with an open assignment as of ``now`` (dispatched or suspended, read from the
    step log as of ``now``, so a past ``now`` works too), by deadline (none last), then id."""
    now_iso = _iso(now)
    with _reading(store) as raw:
        cases = raw.execute(
            "SELECT id, status, department_id, deadline, category_code, grid_code, author_id, "
            f"urgency FROM cases WHERE id IN ({OPEN_CANDIDATES}) ORDER BY id",
            {"now": now_iso},
        ).fetchall()
        steps = raw.execute(
            "SELECT case_id, action, at, department_id, deadline FROM case_steps "
            f"WHERE case_id IN ({OPEN_CANDIDATES}) ORDER BY case_id, at, id",
            {"now": now_iso},
        ).fetchall()
    return assignments_of(cases, steps, now)


def assignments_of(
    cases: Iterable[CaseTuple], steps: Iterable[StepTuple], now: datetime
) -> list[AssignmentRow]:
    """The open assignments of ``cases`` as of ``now`` from their ``steps``, by deadline (none
    last), then id: what :func:`open_assignments` computes from what it read."""
    by_case = {
        case_id: [(a, datetime.fromisoformat(at), d, _parse(dl)) for _, a, at, d, dl in group]
        for case_id, group in groupby(steps, key=itemgetter(0))
    }
    now = now.astimezone(UTC)
    out = []
    for case in cases:
        row = _row_from_log(case, by_case.get(case[0], []), now)
        if row is not None:
            out.append(row)
    far = datetime.max.replace(tzinfo=UTC)
    out.sort(key=lambda r: (r.deadline or far, r.case_id))
    return out
