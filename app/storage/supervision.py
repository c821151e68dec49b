"""The supervisor's side of the local store: the review queue, decisions, the case timeline.

Supervisors work offline-first like inspectors. Their sync pulls every submitted case (the
feed's ``case`` entries carry the whole case and its step, ``photo`` entries its photos, which
the sync downloads), so the review queue, the case history and the indicators work without a
network. A decision (accept, register, dispatch …) is checked here by the shared state machine
(:mod:`app.domain.lifecycle`), applied to the local case at once, and queued in the outbox
(entity ``decision``) in the same transaction; the sync sends decisions one by one, in the order
they were taken, to the server, which is the authority: its answer (the case with its whole log)
replaces the local state, and a refused decision is kept as ``failed`` with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.decisions import (
    Assignment,
    DecisionError,  # noqa: F401 - the UI catches it from here
    check_parties,
    decide,
)
from app.domain.errors import DomainError, Message
from app.domain.lifecycle import Action, CaseStatus, RequestKind, Role, TransitionRequest
from app.storage.changelog import enqueue, touch_revision
from app.storage.models import Case, CaseStep, Department, OutboxEntry, Photo, User
from app.storage.states import OPEN_STATES, DeliveryState, OutboxEntity, OutboxState
from app.storage.store import Changes, LocalStore, require_case

#: What is in the review queue: newly submitted cases.
REVIEW_STATUSES = frozenset({CaseStatus.SUBMITTED})


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class DepartmentRow:
    id: str
    code: str
    name: str
    name_en: str

    def display(self, language: str) -> str:
        return self.name if language.startswith("zh") or not self.name_en else self.name_en


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One case of the review queue."""

    case_id: str
    status: CaseStatus
    category_code: str | None
    description: str
    address: str
    urgency: str
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    submitted_at: datetime | None
    author: str
    photo_count: int
    #: A decision taken here and not yet confirmed by the server.
    waiting: bool


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One line of a case's history: a step of the log, or a decision still on its way."""

    at: datetime
    action: str
    from_status: str
    to_status: str
    who: str
    role: str
    opinion: str
    department: str
    deadline: datetime | None
    assignee: str
    #: confirmed (a step of the server's log) | pending | sending | failed (refused: ``error``)
    state: str
    error: str | None = None


def _names(s: Session) -> dict[str, str]:
    return {u.id: u.display_name or u.username for u in s.scalars(select(User))}


def _department_names(s: Session, language: str) -> dict[str, str]:
    return {
        d.id: d.name if language.startswith("zh") or not d.name_en else d.name_en
        for d in s.scalars(select(Department))
    }


def review_queue(store: LocalStore, *, limit: int = 500) -> list[ReviewItem]:
    """Newly submitted cases, the most recently submitted first."""
    photo_count = (
        select(func.count())
        .where(Photo.case_id == Case.id)
        .correlate(Case)
        .scalar_subquery()
        .label("photo_count")
    )
    waiting = (
        select(func.count())
        .where(
            OutboxEntry.entity == OutboxEntity.DECISION,
            OutboxEntry.entity_id == Case.id,
            OutboxEntry.state.in_(OPEN_STATES),
        )
        .correlate(Case)
        .scalar_subquery()
        .label("waiting")
    )
    with store.read() as s:
        names = _names(s)
        rows = s.execute(
            select(Case, photo_count, waiting)
            .where(Case.status.in_([st.value for st in REVIEW_STATUSES]))
            .order_by(Case.submitted_at.desc(), Case.id.desc())
            .limit(limit)
        ).all()
        return [
            ReviewItem(
                c.id,
                CaseStatus(c.status),
                c.category_code,
                c.description,
                c.address,
                c.urgency,
                c.lat,
                c.lon,
                c.accuracy_m,
                c.submitted_at,
                names.get(c.author_id or "", ""),
                int(count),
                bool(w),
            )
            for c, count, w in rows
        ]


def inspectors(store: LocalStore) -> list[Person]:
    """Active inspectors (for re-inspection tasks), by name."""
    with store.read() as s:
        users = s.scalars(
            select(User).where(User.role == Role.INSPECTOR.value, User.active.is_(True))
        )
        people = [Person(u.id, u.display_name or u.username, u.role) for u in users]
    return sorted(people, key=lambda p: p.name)


def departments(store: LocalStore) -> list[DepartmentRow]:
    """Active departments, by code."""
    with store.read() as s:
        return [
            DepartmentRow(d.id, d.code, d.name, d.name_en)
            for d in s.scalars(
                select(Department).where(Department.active.is_(True)).order_by(Department.code)
            )
        ]


def record_decision(
    store: LocalStore,
    case_id: str,
    action: Action,
    *,
    opinion: str = "",
    department_id: str | None = None,
    deadline: datetime | None = None,
    assignee_id: str | None = None,
    attachments: Sequence[str] = (),
    photos_required: int = 1,
) -> Changes:
    """Take a decision on a case: checked, applied locally and queued for the server at once.

    A department's handler takes its own steps the same way (app.storage.handling): the
    signed-in account's role and department are the state machine's to check."""
    with store.write() as s:
        _decide(
            s,
            store,
            case_id,
            action,
            opinion=opinion,
            department_id=department_id,
            deadline=deadline,
            assignee_id=assignee_id,
            attachments=tuple(attachments),
            photos_required=photos_required,
        )
    return Changes(cases=frozenset({case_id}), steps=True, outbox=True)


@dataclass(frozen=True, slots=True)
class BulkAcceptance:
    """The outcome of a bulk accept: the cases accepted, why the others were not, what changed."""

    accepted: list[str]
    refused: dict[str, Message]
    changes: Changes


def accept_all(store: LocalStore, case_ids: Iterable[str]) -> BulkAcceptance:
    """Bulk accept (受理): every case that may be accepted is, in one transaction; the others
    are returned with the reason (a case already decided meanwhile, say)."""
    accepted: list[str] = []
    refused: dict[str, Message] = {}
    with store.write() as s:
        for case_id in case_ids:
            try:
                with s.begin_nested():
                    _decide(
                        s,
                        store,
                        case_id,
                        Action.ACCEPT,
                        opinion="",
                        department_id=None,
                        deadline=None,
                        assignee_id=None,
                    )
                accepted.append(case_id)
            except DomainError as exc:
                refused[case_id] = exc.message
    changes = Changes()
    if accepted:  # as record_decision, for each case accepted
        changes = Changes(cases=frozenset(accepted), steps=True, outbox=True)
    return BulkAcceptance(accepted, refused, changes)


def _decide(
    s: Session,
    store: LocalStore,
    case_id: str,
    action: Action,
    *,
    opinion: str,
    department_id: str | None,
    deadline: datetime | None,
    assignee_id: str | None,
    attachments: tuple[str, ...] = (),
    photos_required: int = 1,
) -> None:
    case = require_case(s, case_id)
    role = store.actor.role
    if role is not Role.HANDLER:
        role = Role.SUPERVISOR  # as before: the office's decisions
    me = s.get(User, store.actor.id)
    request = TransitionRequest(
        action,
        role,
        opinion=opinion.strip(),
        department_id=department_id,
        deadline=deadline,
        assignee_id=assignee_id,
        actor_department_id=me.department_id if me is not None else None,
        photo_ids=attachments,
        photos_required=photos_required,
    )
    department = s.get(Department, department_id) if department_id is not None else None
    assignee = s.get(User, assignee_id) if assignee_id is not None else None
    check_parties(
        request,
        department_active=department is not None and department.active,
        assignee_active_inspector=assignee is not None
        and assignee.role == Role.INSPECTOR.value
        and assignee.active,
    )
    # The effects (status, deadline, department, assignee) as the server computes them.
    after = decide(
        Assignment(
            CaseStatus(case.status),
            case.department_id,
            case.deadline,
            case.assignee_id,
            RequestKind(case.request) if case.request else None,
            case.requested_deadline,
            case.signed_at is not None,
        ),
        request,
    )
    now = store.clock()
    case.request = after.request.value if after.request else None
    case.requested_deadline = after.requested_deadline
    if not after.signed:
        case.signed_at = None
    elif case.signed_at is None:
        case.signed_at = now
    case.status = after.status.value
    case.department_id, case.deadline, case.assignee_id = (
        after.department_id,
        after.deadline,
        after.assignee_id,
    )
    touch_revision(case, now)
    payload: dict[str, Any] = {
        "action": action.value,
        "opinion": opinion.strip(),
        "department_id": department_id,
        "deadline": deadline.isoformat() if deadline is not None else None,
        "assignee_id": assignee_id,
    }
    if attachments:
        payload["attachments"] = list(attachments)
    enqueue(
        s,
        OutboxEntity.DECISION,
        case.id,
        action.value,
        payload,
        now=now,
        base_revision=case.server_revision,
    )


def timeline(store: LocalStore, case_id: str, language: str = "zh_CN") -> list[TimelineEntry]:
    """The case's history, oldest first: the server's steps, then decisions not yet confirmed."""
    # The steps on their way are this laptop's: a supervisor's decisions, or a department's
    # own steps (issue 15).
    mine = Role.HANDLER if store.actor.role is Role.HANDLER else Role.SUPERVISOR
    with store.read() as s:
        names = _names(s)
        departments_ = _department_names(s, language)
        entries = [
            TimelineEntry(
                st.at,
                st.action,
                st.from_status,
                st.to_status,
                names.get(st.actor_id or "", ""),
                st.role,
                st.opinion,
                departments_.get(st.department_id or "", ""),
                st.deadline,
                names.get(st.assignee_id or "", ""),
                DeliveryState.CONFIRMED,
            )
            for st in s.scalars(
                select(CaseStep)
                .where(CaseStep.case_id == case_id)
                .order_by(CaseStep.at, CaseStep.id)
            )
        ]
        for e in s.scalars(
            select(OutboxEntry)
            .where(
                OutboxEntry.entity == OutboxEntity.DECISION,
                OutboxEntry.entity_id == case_id,
                OutboxEntry.state.in_((*OPEN_STATES, OutboxState.FAILED)),
            )
            .order_by(OutboxEntry.seq)
        ):
            p = e.payload
            deadline = p.get("deadline")
            entries.append(
                TimelineEntry(
                    e.created_at,
                    e.op,
                    "",
                    "",
                    "",
                    mine.value,
                    str(p.get("opinion") or ""),
                    departments_.get(p.get("department_id") or "", ""),
                    datetime.fromisoformat(deadline) if deadline else None,
                    names.get(p.get("assignee_id") or "", ""),
                    e.state,
                    e.last_error,
                )
            )
        return entries


def cases_by_status(
    store: LocalStore, statuses: Sequence[CaseStatus], *, limit: int = 2000
) -> list[str]:
    """Ids of cases in ``statuses``, the most recently changed first."""
    with store.read() as s:
        return list(
            s.scalars(
                select(Case.id)
                .where(Case.status.in_([st.value for st in statuses]))
                .order_by(Case.updated_at.desc())
                .limit(limit)
            )
        )
