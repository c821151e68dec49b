"""The deadlines the supervisor watches: a case's current assignment, and the list of open ones.

Qt-free, read-only, computed from the step log like every figure (:mod:`app.storage.reports`
and :mod:`app.domain.indicators` define an assignment, its deadline and its traffic light; this
module only shapes their results for display):

- :func:`deadline_state` — the current assignment of one case as its history tells it (the
  history of :func:`app.storage.supervision.timeline`, decisions not yet confirmed included);
- :func:`deadline_rows` — every open assignment with what the deadlines list shows of its case
  and department, read in one joined query however many cases there are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, text

from app.domain.deadlines import TrafficLight, elapsed_fraction, traffic_light
from app.domain.indicators import assignments
from app.domain.lifecycle import CaseStatus
from app.storage.models import UTCDateTime
from app.storage.reports import (
    OPEN_CANDIDATES,
    CaseTuple,
    StepTuple,
    assignments_of,
)
from app.storage.states import OutboxState
from app.storage.store import LocalStore
from app.storage.supervision import TimelineEntry

# -- one case ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeadlineState:
    """The case's current assignment as its history tells it: deadline, light, limit used."""

    department: str
    start: datetime
    deadline: datetime
    light: TrafficLight
    #: The fraction of the time limit used (1.0 = 100 %).
    used: float
    handled: bool


def deadline_state(entries: Sequence[TimelineEntry], now: datetime) -> DeadlineState | None:
    """The latest assignment (dispatch or rework, …, handle) of a case's history, or None.

    Decisions refused by the server do not count; those not confirmed yet do (they are the
    case's state on this laptop). Suspension stops the clock (app.domain.indicators).
    """
    steps = [
        (e.action, e.at, e.department or None, e.deadline)
        for e in entries
        if e.state != OutboxState.FAILED
    ]
    if not steps:
        return None
    spells = assignments(steps, max(now, steps[-1][1]) + timedelta(microseconds=1))
    if not spells or spells[-1].deadline is None:
        return None
    spell = spells[-1]
    deadline = spell.deadline
    assert deadline is not None
    department = spell.department_id or ""
    at = spell.handled_at or now
    return DeadlineState(
        department,
        spell.start,
        deadline,
        traffic_light(spell.start, deadline, at, spell.credited_seconds),
        elapsed_fraction(spell.start, deadline, at, spell.credited_seconds),
        spell.handled_at is not None,
    )


# -- the open assignments ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    """An open assignment as the deadlines panel lists it (names resolved, limit used)."""

    case_id: str
    status: CaseStatus
    department_id: str | None
    department: str
    category_code: str | None
    description: str
    address: str
    deadline: datetime | None
    #: The fraction of the time limit used (None: the log has no dispatch to measure from).
    used: float | None
    light: TrafficLight
    overdue: bool
    due_soon: bool


# Each candidate case with each of its steps (a case without steps once, with NULL step columns)
# and the department the step — or, for a case whose log lacks it, the case — names: the cases,
# their logs and the department names in one read, so the list costs the same few statements
# for ten cases or ten thousand.
_ROWS = text(
    f"""
    SELECT c.id, c.status, c.department_id, c.deadline, c.category_code, c.grid_code,
           c.author_id, c.urgency, c.description, c.address,
           s.action, s.at, s.department_id, s.deadline,
           d.id, d.name, d.name_en
    FROM cases AS c
    LEFT JOIN case_steps AS s ON s.case_id = c.id
    LEFT JOIN departments AS d ON d.id = COALESCE(s.department_id, c.department_id)
    WHERE c.id IN ({OPEN_CANDIDATES})
    ORDER BY c.id, s.at, s.id
    """
).bindparams(bindparam("now", type_=UTCDateTime()))


def deadline_rows(store: LocalStore, now: datetime, language: str) -> list[DeadlineRow]:
    """The open assignments as of ``now`` (:func:`app.storage.reports.open_assignments`: by
    deadline, none last) with their cases' text and their departments' names in ``language``."""
    with store.read() as session:
        result = session.execute(_ROWS, {"now": now}).all()
    cases: list[CaseTuple] = []
    steps: list[StepTuple] = []
    texts: dict[str, tuple[str, str]] = {}
    names: dict[str, str] = {}
    chinese = language.lower().startswith("zh")
    for row in result:
        case_id = row[0]
        if case_id not in texts:
            cases.append(tuple(row[:8]))
            texts[case_id] = (row[8] or "", row[9] or "")
        if row[10] is not None:
            steps.append((case_id, row[10], row[11], row[12], row[13]))
        if row[14] is not None:
            names[row[14]] = row[15] if chinese or not row[16] else row[16]
    out = []
    now = now.astimezone(UTC)
    for assignment in assignments_of(cases, steps, now):
        used = None
        if assignment.started_at is not None and assignment.recorded_deadline is not None:
            deadline = assignment.deadline or assignment.recorded_deadline
            credit = deadline - assignment.recorded_deadline
            used = elapsed_fraction(
                assignment.started_at, assignment.recorded_deadline, now, credit.total_seconds()
            )
            used = used if math.isfinite(used) else None
        department_id = assignment.department_id
        description, address = texts[assignment.case_id]
        out.append(
            DeadlineRow(
                assignment.case_id,
                assignment.status,
                department_id,
                names.get(department_id, "") if department_id else "",
                assignment.category_code,
                description,
                address,
                assignment.deadline,
                used,
                assignment.light,
                assignment.overdue,
                assignment.due_soon,
            )
        )
    return out


__all__ = ["DeadlineRow", "DeadlineState", "deadline_rows", "deadline_state"]
