"""A department's side of the local store (issue 15): its task list, its steps, its requests;
and the supervisors' queue of requests to answer.

A handler works offline-first like everyone else. Its sync pulls the cases dispatched to its
department (the feed's ``case`` entries addressed to the department carry the whole case and
the step, ``photo`` entries the report's photos). Signing for a task (签收), reporting it
handled with "after" photos, and asking for an extension (延期申请), a return (退回申请) or a
suspension (挂账申请) are steps checked by the shared state machine, applied locally at once and
queued in the outbox like a supervisor's decision (:func:`app.storage.supervision.record_decision`,
sent one by one, idempotent by change id, the server wins). The supervisor's answer comes back
through the feed as the case's next step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from app.domain.deadlines import TrafficLight
from app.domain.indicators import Period
from app.domain.lifecycle import (
    APPROVAL_OF_REQUEST,
    Action,
    CaseStatus,
    RequestKind,
)
from app.domain.loop_indicators import (
    DEFAULT_SIGN_LIMIT,
    LoopIndicators,
    LoopStep,
    compute_loop,
)
from app.storage.case_photos import attach_photos
from app.storage.deadlines import deadline_rows
from app.storage.models import (
    Case,
    CaseStep,
    Department,
    OutboxEntry,
    Photo,
    SyncState,
    User,
)
from app.storage.states import HANDLED_PHOTO_ROLE, OPEN_STATES, OutboxEntity
from app.storage.store import Changes, LocalStore
from app.storage.supervision import record_decision

#: "After" photos a department's report of handling needs unless configured otherwise (the
#: server's ``CITYPATROL_SERVER_HANDLER_AFTER_PHOTOS`` has the last word).
AFTER_PHOTOS_REQUIRED = 1
#: The photo role of a department's evidence (the server's tus ``role`` metadata).
HANDLED = HANDLED_PHOTO_ROLE
#: Lights from the most urgent.
_URGENCY = {TrafficLight.RED: 0, TrafficLight.YELLOW: 1, TrafficLight.GREEN: 2}


@dataclass(frozen=True, slots=True)
class HandlerTask:
    """One open assignment of the department, as its task list shows it."""

    case_id: str
    category_code: str | None
    description: str
    address: str
    deadline: datetime | None
    light: TrafficLight
    #: The fraction of the time limit used (None: nothing to measure from).
    used: float | None
    signed: bool
    #: The request waiting for a supervisor, if any.
    request: RequestKind | None
    #: A step taken here and not yet confirmed by the server.
    waiting: bool


@dataclass(frozen=True, slots=True)
class RequestItem:
    """A handler's request waiting for a supervisor's answer (the requests queue)."""

    case_id: str
    kind: RequestKind
    department_id: str | None
    description: str
    reason: str
    asked_at: datetime | None
    deadline: datetime | None
    proposed_deadline: datetime | None


_PHOTOS_KEY = "after_photos_required"


def photos_needed(store: LocalStore) -> int:
    """How many photos a report of handling needs: the server's setting, as it said at the
    last sign-in (:data:`AFTER_PHOTOS_REQUIRED` before any)."""
    with store.read() as s:
        state = s.get(SyncState, _PHOTOS_KEY)
        return (
            int(state.value)
            if state is not None and state.value.isdigit()
            else (AFTER_PHOTOS_REQUIRED)
        )


def set_photos_needed(store: LocalStore, count: int) -> None:
    with store.write() as s:
        s.merge(SyncState(key=_PHOTOS_KEY, value=str(max(0, count))))


def pending_request(store: LocalStore, case_id: str) -> RequestKind | None:
    """The department's request on the case waiting for an answer, if any."""
    with store.read() as s:
        return _kind(s.scalar(select(Case.request).where(Case.id == case_id)))


def my_department(store: LocalStore) -> str | None:
    """The signed-in handler's department (None for every other account)."""
    with store.read() as s:
        user = s.get(User, store.actor.id)
        return user.department_id if user is not None else None


def task_list(store: LocalStore, now: datetime, language: str = "zh_CN") -> list[HandlerTask]:
    """The department's open assignments (dispatched to it, not yet reported handled): the most
    urgent first (red, yellow, green), then the earliest deadline, then the newest."""
    department = my_department(store)
    rows = [
        r
        for r in deadline_rows(store, now, language)
        if r.status is CaseStatus.DISPATCHED
        and (department is None or r.department_id == department)
    ]
    ids = [r.case_id for r in rows]
    with store.read() as s:
        state = {
            c.id: (c.signed_at is not None, c.request, c.updated_at)
            for c in s.scalars(select(Case).where(Case.id.in_(ids)))
        }
        waiting = set(
            s.scalars(
                select(OutboxEntry.entity_id).where(
                    OutboxEntry.entity == OutboxEntity.DECISION,
                    OutboxEntry.entity_id.in_(ids),
                    OutboxEntry.state.in_(OPEN_STATES),
                )
            )
        )
    tasks = [
        HandlerTask(
            r.case_id,
            r.category_code,
            r.description,
            r.address,
            r.deadline,
            r.light,
            r.used,
            state[r.case_id][0],
            _kind(state[r.case_id][1]),
            r.case_id in waiting,
        )
        for r in rows
        if r.case_id in state
    ]
    # Newest first, then (stable sorts) the earliest deadline, then the most urgent light.
    tasks.sort(key=lambda t: state[t.case_id][2], reverse=True)
    tasks.sort(key=lambda t: (t.deadline is None, t.deadline or now))
    tasks.sort(key=lambda t: _URGENCY[t.light])
    return tasks


def _kind(value: str | None) -> RequestKind | None:
    return RequestKind(value) if value else None


def sign_for(store: LocalStore, case_id: str) -> Changes:
    """签收: the department takes the task on."""
    return record_decision(store, case_id, Action.SIGN_FOR)


def report_handled(
    store: LocalStore,
    case_id: str,
    opinion: str,
    photos: Sequence[Path],
    *,
    photos_required: int | None = None,
) -> Changes:
    """处置反馈: the department reports the case handled with its opinion and "after" photos.

    The photos are imported first (a refused file is reported, nothing else is kept of it);
    the step carries the ids of those imported, and the state machine refuses too few. The
    photos upload after the step, as every photo does.
    """
    required = photos_needed(store) if photos_required is None else photos_required
    batch = attach_photos(store, case_id, photos, role=HANDLED)
    if batch.refused and not batch.attached:
        raise batch.refused[0]
    changes = batch.changes
    return changes | record_decision(
        store,
        case_id,
        Action.HANDLE,
        opinion=opinion,
        attachments=batch.attached,
        photos_required=required,
    )


def ask(
    store: LocalStore,
    case_id: str,
    kind: RequestKind,
    reason: str,
    proposed_deadline: datetime | None = None,
) -> Changes:
    """A request to the supervisors: an extension (with the proposed deadline), a return as
    not the department's, or a suspension; each with its reason."""
    action = {
        RequestKind.EXTENSION: Action.REQUEST_EXTENSION,
        RequestKind.RETURN: Action.REQUEST_RETURN,
        RequestKind.SUSPENSION: Action.REQUEST_SUSPENSION,
    }[kind]
    return record_decision(store, case_id, action, opinion=reason, deadline=proposed_deadline)


def answer(store: LocalStore, case_id: str, approve: bool, opinion: str = "") -> Changes:
    """A supervisor's answer to the case's waiting request: approve it (the action that fits
    the request's kind) or refuse it with a reason."""
    with store.read() as s:
        kind = s.scalar(select(Case.request).where(Case.id == case_id))
    approval = APPROVAL_OF_REQUEST[RequestKind(kind)] if kind else Action.REFUSE_REQUEST
    action = approval if approve else Action.REFUSE_REQUEST
    return record_decision(store, case_id, action, opinion=opinion)


def requests_queue(store: LocalStore) -> list[RequestItem]:
    """The requests waiting for a supervisor's answer, the oldest first."""
    with store.read() as s:
        cases = list(s.scalars(select(Case).where(Case.request.is_not(None))))
        latest = {
            case_id: (at, opinion)
            for case_id, at, opinion in s.execute(
                select(CaseStep.case_id, CaseStep.at, CaseStep.opinion)
                .where(
                    CaseStep.case_id.in_([c.id for c in cases]),
                    CaseStep.action.in_(
                        [
                            Action.REQUEST_EXTENSION.value,
                            Action.REQUEST_RETURN.value,
                            Action.REQUEST_SUSPENSION.value,
                        ]
                    ),
                )
                .order_by(CaseStep.at, CaseStep.id)
            )
        }
    items = [
        RequestItem(
            c.id,
            RequestKind(c.request),
            c.department_id,
            c.description,
            latest.get(c.id, (None, ""))[1],
            latest.get(c.id, (None, ""))[0],
            c.deadline,
            c.requested_deadline,
        )
        for c in cases
        if c.request
    ]
    items.sort(key=lambda i: (i.asked_at is None, i.asked_at.timestamp() if i.asked_at else 0.0))
    return items


@dataclass(frozen=True, slots=True)
class HandlingReport:
    """A department's report of handling as the re-inspector sees it: its opinion, who, when."""

    opinion: str
    #: The handler's name (display name, else user name; "" when the account is unknown here).
    handler: str
    at: datetime
    #: The department's names (Chinese, English) when known.
    department: tuple[str, str] | None
    #: The photos the report names.
    photos: tuple[str, ...]


def handling_report(store: LocalStore, case_id: str) -> HandlingReport | None:
    """The department's latest report of handling of a case (its ``handle`` step), if this
    laptop has it (a re-inspection task carries it)."""
    with store.read() as s:
        step = s.scalars(
            select(CaseStep)
            .where(CaseStep.case_id == case_id, CaseStep.action == Action.HANDLE.value)
            .order_by(CaseStep.at.desc(), CaseStep.id.desc())
            .limit(1)
        ).first()
        if step is None:
            return None
        user = s.get(User, step.actor_id) if step.actor_id else None
        department = s.get(Department, step.department_id) if step.department_id else None
        return HandlingReport(
            opinion=step.opinion or "",
            handler=(user.display_name or user.username) if user is not None else "",
            at=step.at,
            department=(
                (department.name, department.name_en or department.name)
                if department is not None
                else None
            ),
            photos=tuple(step.attachments or ()),
        )


def after_photos(store: LocalStore, case_id: str) -> list[str]:
    """The ids of the department's photos of a case (its evidence of handling, for the
    re-inspector to see what was claimed), oldest first."""
    with store.read() as s:
        return list(
            s.scalars(
                select(Photo.id)
                .where(Photo.case_id == case_id, Photo.role == HANDLED)
                .order_by(Photo.created_at, Photo.id)
            )
        )


def loop_indicators(
    store: LocalStore,
    period: Period,
    *,
    now: datetime | None = None,
    limit: timedelta = DEFAULT_SIGN_LIMIT,
) -> LoopIndicators:
    """The departments' loop figures of ``period`` (:mod:`app.domain.loop_indicators`) from
    this laptop's step log, as of ``now`` (default: the store's clock)."""
    moment = store.clock() if now is None else now
    with store.read() as s:
        rows = s.execute(
            select(
                CaseStep.case_id,
                CaseStep.action,
                CaseStep.at,
                CaseStep.department_id,
                CaseStep.role,
            )
            .where(CaseStep.at < period.end)
            .order_by(CaseStep.case_id, CaseStep.at, CaseStep.id)
        )
        steps = [LoopStep(c, a, at, d, r or "") for c, a, at, d, r in rows]
    return compute_loop(steps, period, now=moment, limit=limit)
