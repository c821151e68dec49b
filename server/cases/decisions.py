"""Supervisors' decisions on a case: checked, applied, logged and announced.

What a decision changes on the case is computed by :mod:`app.domain.decisions`, the very
function the supervisor's app applies offline, so the two never disagree; this module adds
what only the server does: idempotence by change id, the revision check, the step log and the
feed entries (to the case's inspectors, to a re-inspection's assignee, to the supervisors).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from fastapi import status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.contract import (
    CasePayload,
    DecisionPayload,
    FeedKind,
    PhotoPayload,
    PhotoRef,
    TaskPayload,
)
from app.domain.decisions import NEW_DISPATCH, Assignment, check_parties, decide
from app.domain.ids import new_id
from app.domain.lifecycle import Action, CaseStatus, RequestKind, Role, TransitionRequest
from server.cases.detail import case_out
from server.errors import ApiError, refuse
from server.feed import append_feed
from server.models import Case, CaseStep, ChangeReceipt, Department, Photo, User
from server.schemas import ActionRequest, StepOut


def action_hash(body: ActionRequest) -> str:
    """The content of a decision, for telling a resend from another use of its change id."""
    # Without attachments the content is what it was before they existed (stable receipts).
    excluded = {"expected_revision"} | (set() if body.attachments else {"attachments"})
    content = body.model_dump(mode="json", exclude=excluded)
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def applied_before(session: Session, user: User, body: ActionRequest) -> bool:
    """Whether this decision's change id was applied already (then nothing changes), or 409
    when the id was used for another decision. Call it under the case's row lock: a resend
    racing the first send waits for it."""
    if body.change_id is None:
        return False
    receipt = session.get(ChangeReceipt, body.change_id)
    if receipt is None:
        # The step takes the change id: one that is already a step's (a decision sent without
        # a change id, an inspector's step) is taken too — it was a 500 from the primary key.
        if session.get(CaseStep, body.change_id) is not None:
            raise change_id_reused()
        return False
    if receipt.content_hash != action_hash(body) or receipt.user_id != user.id:
        raise change_id_reused()
    return True


def change_id_reused() -> ApiError:
    return refuse(
        status.HTTP_409_CONFLICT,
        "change_id_reused",
        "该变更编号已用于另一项操作",
        "This change id was used for another action",
    )


def apply_decision(
    session: Session, user: User, case: Case, body: ActionRequest, *, photos_required: int = 1
) -> None:
    """Apply ``body`` to ``case`` (locked), log the step, keep the receipt, tell who must know.

    Raises ApiError (revision), DecisionError (unknown party) or TransitionError (lifecycle).
    """
    if body.expected_revision is not None and body.expected_revision != case.revision:
        raise refuse(
            status.HTTP_409_CONFLICT,
            "case_changed",
            f"案件已被修改（当前版本 {case.revision}）",
            f"the case changed meanwhile (now revision {case.revision})",
        )
    request = TransitionRequest(
        body.action,
        Role(user.role),
        opinion=body.opinion,
        department_id=body.department_id,
        deadline=body.deadline,
        assignee_id=body.assignee_id,
        actor_department_id=user.department_id,
        photo_ids=tuple(body.attachments),
        photos_required=photos_required,
    )
    department = session.get(Department, body.department_id) if body.department_id else None
    assignee = session.get(User, body.assignee_id) if body.assignee_id else None
    check_parties(
        request,
        department_active=department is not None and department.active,
        assignee_active_inspector=assignee is not None
        and assignee.role == Role.INSPECTOR.value
        and not assignee.disabled,
    )
    source = CaseStatus(case.status)
    before = Assignment(
        source,
        case.department_id,
        case.deadline,
        case.assignee_id,
        RequestKind(case.request) if case.request else None,
        case.requested_deadline,
        case.signed_at is not None,
    )
    after = decide(before, request)
    now = datetime.now(UTC)
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
    case.revision += 1
    case.updated_at = now
    step = CaseStep(
        id=body.change_id or new_id(),
        case_id=case.id,
        action=body.action.value,
        from_status=source.value,
        to_status=after.status.value,
        actor_id=user.id,
        role=user.role,
        at=now,
        opinion=body.opinion,
        department_id=body.department_id,
        # An approved extension records the deadline it set.
        deadline=after.deadline if body.action is Action.APPROVE_EXTENSION else body.deadline,
        assignee_id=body.assignee_id,
        attachments=list(body.attachments),
    )
    session.add(step)
    if body.change_id is not None:
        session.add(
            ChangeReceipt(
                change_id=body.change_id,
                user_id=user.id,
                case_id=case.id,
                content_hash=action_hash(body),
                outcome="applied",
                receipt={"step_id": step.id, "revision": case.revision},
                received_at=now,
            )
        )
    try:
        # In a savepoint: the same id sent at once for two cases (no receipt yet for either)
        # loses here, and only the savepoint is undone.
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise change_id_reused() from None
    _announce(session, case, step, body)
    # The department's handlers hear of their cases: the one it had (the answer to a return
    # request leaves the case with none) and the one it has now (issue 15).
    _tell_department(session, case, step, body, before.department_id)


def _tell_department(
    session: Session, case: Case, step: CaseStep, body: ActionRequest, previous: str | None
) -> None:
    department = case.department_id or previous
    if department is None:
        return
    entry: CasePayload = {
        "event": body.action.value,
        "status": case.status,
        "revision": case.revision,
        "opinion": body.opinion,
        "step_id": step.id,
        "case": case_out(case).model_dump(mode="json"),
        "step": StepOut.model_validate(step, from_attributes=True).model_dump(mode="json"),
    }
    append_feed(session, FeedKind.CASE, case.id, entry, department_id=department)
    if body.action in NEW_DISPATCH:
        # The report's photos travel with the task: the department sees what was reported.
        for p in session.scalars(
            select(Photo)
            .where(Photo.case_id == case.id, Photo.state == "complete")
            .order_by(Photo.created_at, Photo.id)
        ):
            photo: PhotoPayload = {
                "photo_id": p.id,
                "case_id": case.id,
                "role": p.role,
                "mime": p.mime,
                "size_bytes": p.size_bytes,
                "sha256": p.sha256,
                "uploader_id": p.uploader_id,
                "completed_at": (p.completed_at or p.created_at).isoformat(),
            }
            append_feed(session, FeedKind.PHOTO, p.id, photo, department_id=department)


def _handled_step(session: Session, step: CaseStep, case: Case) -> dict[str, object]:
    """The department's report of handling as a task carries it: the step, the department it
    was dispatched to, and the name of who reported it (an inspector's laptop gets no list of
    accounts, only the name of the one who handled the task it checks)."""
    out = StepOut.model_validate(step, from_attributes=True).model_dump(mode="json")
    out["department_id"] = out["department_id"] or case.department_id
    actor = session.get(User, step.actor_id) if step.actor_id else None
    out["actor_name"] = (actor.display_name or actor.username) if actor is not None else ""
    return out


def _announce(session: Session, case: Case, step: CaseStep, body: ActionRequest) -> None:
    decision: DecisionPayload = {
        "event": body.action.value,
        "status": case.status,
        "revision": case.revision,
        "opinion": body.opinion,
        "step_id": step.id,
    }
    append_feed(session, FeedKind.DECISION, case.id, decision, user_id=case.author_id)
    if (
        case.assignee_id
        and case.assignee_id != case.author_id
        and body.action is not Action.REQUEST_REINSPECTION  # the assignee gets a task for it
    ):
        # The inspector who re-inspected keeps a copy of the case: it follows it to closure.
        append_feed(session, FeedKind.DECISION, case.id, decision, user_id=case.assignee_id)
    if body.action is Action.REQUEST_REINSPECTION and body.assignee_id:
        # The photos of the report travel with the task: the inspector who re-inspects must see
        # what was reported, and downloads them (GET /api/v1/photos/{id}) at the next sync.
        photos: list[PhotoRef] = [
            {
                "photo_id": p.id,
                "sha256": p.sha256,
                "mime": p.mime,
                "size_bytes": p.size_bytes,
                "role": p.role,
            }
            for p in session.scalars(
                select(Photo)
                .where(Photo.case_id == case.id, Photo.state == "complete")
                .order_by(Photo.created_at, Photo.id)
            )
        ]
        # The department's report of handling travels too: what it claims beside its photos.
        handled = session.scalars(
            select(CaseStep)
            .where(CaseStep.case_id == case.id, CaseStep.action == Action.HANDLE.value)
            .order_by(CaseStep.at.desc(), CaseStep.id.desc())
            .limit(1)
        ).all()
        task: TaskPayload = {
            **decision,
            "case": case_out(case).model_dump(mode="json"),
            "photos": photos,
            "steps": [_handled_step(session, h, case) for h in handled],
        }
        append_feed(session, FeedKind.TASK, case.id, task, user_id=body.assignee_id)
    # Supervisors' apps keep their queue offline: the whole case and step travel with the entry.
    entry: CasePayload = {
        **decision,
        "case": case_out(case).model_dump(mode="json"),
        "step": StepOut.model_validate(step, from_attributes=True).model_dump(mode="json"),
    }
    append_feed(session, FeedKind.CASE, case.id, entry, role=Role.SUPERVISOR.value)
