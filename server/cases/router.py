"""The case API: push (idempotent ingest), the change feed, reading cases, and workflow actions."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from sqlalchemy import and_, or_, select

from app.domain.errors import TransitionError
from app.domain.ids import new_id
from app.domain.lifecycle import (
    STATE_ERRORS,
    Action,
    CaseStatus,
    Role,
    TransitionRequest,
    apply_transition,
)
from server.deps import CurrentUser, SessionDep, require_role
from server.feed import append_feed
from server.ingest import BatchContendedError, case_out, ingest
from server.models import Case, CaseStep, ChangeReceipt, Department, FeedEntry, Photo, User
from server.refdata import current_taxonomy
from server.schemas import (
    UUID_PATTERN,
    ActionRequest,
    CaseDetail,
    CaseOut,
    FeedEntryOut,
    FeedPage,
    PushRequest,
    PushResponse,
    StepOut,
)

router = APIRouter(prefix="/api/v1", tags=["cases"])
#: Case ids are UUIDs; anything else is refused before it reaches the database.
CaseId = Annotated[str, Path(min_length=36, max_length=36, pattern=UUID_PATTERN)]
_REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "a missing requirement (opinion, department, deadline …), in Chinese and English"
    },
    409: {
        "description": "not allowed from the case's current status, or the case changed meanwhile"
    },
}
FEED_PAGE_MAX = 1000


@router.post(
    "/cases/push",
    responses={
        503: {
            "description": "the database is busy, or other requests kept writing the same cases: "
            "nothing was stored; send the batch again after Retry-After seconds"
        }
    },
)
def push(body: PushRequest, session: SessionDep, user: CurrentUser) -> PushResponse:
    """Apply a batch of client changes; one result per change, in order.

    Resending a batch changes nothing (results come back as ``duplicate``); a change id reused
    with different content is a ``conflict``, never a second case.
    """
    require_role(user, Role.INSPECTOR)
    taxonomy = current_taxonomy(session)
    try:
        # The case rows are locked first and the feed last (see server.feed's lock order).
        results = ingest(session, user, body.changes, taxonomy)
    except BatchContendedError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "other requests are writing the same cases; send the batch again",
            headers={"Retry-After": "1"},
        ) from exc
    # Commit now rather than when the endpoint returns: the feed lock (and SQLite's write lock)
    # is released at once, not after the event loop has come round to closing the session.
    session.commit()
    return PushResponse(results=results)


@router.get("/feed")
def feed(
    session: SessionDep,
    user: CurrentUser,
    cursor: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=FEED_PAGE_MAX)] = 200,
) -> FeedPage:
    """What concerns the signed-in user since ``cursor``, oldest first, a page at a time."""
    audience = or_(
        FeedEntry.user_id == user.id,
        FeedEntry.role == user.role,
        and_(FeedEntry.user_id.is_(None), FeedEntry.role.is_(None)),
    )
    rows = list(
        session.scalars(
            select(FeedEntry)
            .where(FeedEntry.seq > cursor, audience)
            .order_by(FeedEntry.seq)
            .limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    entries = [
        FeedEntryOut(seq=r.seq, kind=r.kind, entity_id=r.entity_id, at=r.at, payload=r.payload)
        for r in rows
    ]
    return FeedPage(entries=entries, cursor=rows[-1].seq if rows else cursor, more=more)


def _visible_case(session: SessionDep, user: User, case_id: str) -> Case:
    case = session.get(Case, case_id)
    if case is None or not _may_see(user, case):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such case")
    return case


def _may_see(user: User, case: Case) -> bool:
    if user.role in (Role.SUPERVISOR.value, Role.ADMIN.value):
        return case.status != CaseStatus.DRAFT.value  # drafts stay private to their inspector
    return user.id in (case.author_id, case.assignee_id)


@router.get("/cases/{case_id}")
def get_case(case_id: CaseId, session: SessionDep, user: CurrentUser) -> CaseDetail:
    """A case with its whole step log."""
    case = _visible_case(session, user, case_id)
    steps = session.scalars(
        select(CaseStep).where(CaseStep.case_id == case_id).order_by(CaseStep.at, CaseStep.id)
    )
    from server.comments import comments_of  # server.comments builds on this module

    return CaseDetail(
        case=case_out(case),
        steps=[StepOut.model_validate(s, from_attributes=True) for s in steps],
        comments=comments_of(session, case_id),
    )


@router.get("/cases")
def list_cases(  # noqa: PLR0917 - FastAPI query parameters
    session: SessionDep,
    user: CurrentUser,
    status_: Annotated[list[CaseStatus] | None, Query(alias="status")] = None,
    category: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
    department_id: Annotated[
        str | None, Query(min_length=36, max_length=36, pattern=UUID_PATTERN)
    ] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[CaseOut]:
    """Cases for review (supervisors: all submitted cases; inspectors: their own), oldest submitted first."""
    stmt = select(Case)
    if user.role == Role.INSPECTOR.value:
        stmt = stmt.where(or_(Case.author_id == user.id, Case.assignee_id == user.id))
    else:
        stmt = stmt.where(Case.status != CaseStatus.DRAFT.value)
    if status_:
        stmt = stmt.where(Case.status.in_([s.value for s in status_]))
    if category:
        stmt = stmt.where(Case.category_code == category)
    if department_id:
        stmt = stmt.where(Case.department_id == department_id)
    stmt = stmt.order_by(Case.submitted_at, Case.id).offset(offset).limit(limit)
    return [case_out(c) for c in session.scalars(stmt)]


@router.post("/cases/{case_id}/actions", responses=_REFUSALS)
def act(case_id: CaseId, body: ActionRequest, session: SessionDep, user: CurrentUser) -> CaseDetail:
    """A workflow action (accept, reject, register, dispatch, close …), checked by the shared state machine.

    Inspectors' own actions (submit, re-inspection results) travel through ``/cases/push``.
    """
    if body.action in (Action.SUBMIT, Action.REINSPECT_PASS, Action.REINSPECT_FAIL):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "inspectors send this action through /api/v1/cases/push"
        )
    require_role(user, Role.SUPERVISOR)
    # Lock order (server.feed): the case row now, FOR NO KEY UPDATE as push does; the feed
    # lock only when the feed entries are appended, at the end.
    case = session.scalar(select(Case).where(Case.id == case_id).with_for_update(key_share=True))
    if case is None or not _may_see(user, case):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such case")
    digest = _action_hash(body)
    if body.change_id is not None:
        # Looked up under the case's row lock: a resend racing the first send waits for it.
        receipt = session.get(ChangeReceipt, body.change_id)
        if receipt is not None:
            if receipt.content_hash != digest or receipt.user_id != user.id:
                raise HTTPException(
                    status.HTTP_409_CONFLICT,
                    {
                        "code": "change_id_reused",
                        "zh": "该变更编号已用于另一项操作",
                        "en": "This change id was used for another action",
                    },
                )
            return get_case(case_id, session, user)  # applied before: nothing changes
    if body.expected_revision is not None and body.expected_revision != case.revision:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"the case changed meanwhile (now revision {case.revision})"
        )
    if body.department_id is not None and session.get(Department, body.department_id) is None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "unknown department")
    if body.assignee_id is not None:
        assignee = session.get(User, body.assignee_id)
        if assignee is None or assignee.role != Role.INSPECTOR.value or assignee.disabled:
            raise HTTPException(
                status.HTTP_400_BAD_REQUEST, "the assignee must be an active inspector"
            )
    source = CaseStatus(case.status)
    request = TransitionRequest(
        body.action,
        Role(user.role),
        opinion=body.opinion,
        department_id=body.department_id,
        deadline=body.deadline,
        assignee_id=body.assignee_id,
        current_deadline=case.deadline,
        current_department_id=case.department_id,
    )
    try:
        target = apply_transition(source, request)
    except TransitionError as exc:
        code = status.HTTP_409_CONFLICT if exc.code in STATE_ERRORS else status.HTTP_400_BAD_REQUEST
        raise HTTPException(
            code, {"code": exc.code, "zh": exc.message.zh, "en": exc.message.en}
        ) from exc
    now = datetime.now(UTC)
    case.status = target.value
    if body.action in (Action.DISPATCH, Action.EXTEND, Action.REWORK) and body.deadline is not None:
        case.deadline = body.deadline
    if body.action is Action.DISPATCH:
        case.department_id = body.department_id
    if body.action is Action.REQUEST_REINSPECTION:
        case.assignee_id = body.assignee_id
    case.revision += 1
    case.updated_at = now
    step = CaseStep(
        id=body.change_id or new_id(),
        case_id=case.id,
        action=body.action.value,
        from_status=source.value,
        to_status=target.value,
        actor_id=user.id,
        role=user.role,
        at=now,
        opinion=body.opinion,
        department_id=body.department_id,
        deadline=body.deadline,
        assignee_id=body.assignee_id,
        attachments=[],
    )
    session.add(step)
    if body.change_id is not None:
        session.add(
            ChangeReceipt(
                change_id=body.change_id,
                user_id=user.id,
                case_id=case.id,
                content_hash=digest,
                outcome="applied",
                receipt={"step_id": step.id, "revision": case.revision},
                received_at=now,
            )
        )
    session.flush()
    decision = {
        "event": body.action.value,
        "status": target.value,
        "revision": case.revision,
        "opinion": body.opinion,
        "step_id": step.id,
    }
    append_feed(session, "decision", case.id, decision, user_id=case.author_id)
    if (
        case.assignee_id
        and case.assignee_id != case.author_id
        and body.action is not Action.REQUEST_REINSPECTION  # the assignee gets a task for it
    ):
        # The inspector who re-inspected keeps a copy of the case: it follows it to closure.
        append_feed(session, "decision", case.id, decision, user_id=case.assignee_id)
    if body.action is Action.REQUEST_REINSPECTION and body.assignee_id:
        # The photos of the report travel with the task: the inspector who re-inspects must see
        # what was reported, and downloads them (GET /api/v1/photos/{id}) at the next sync.
        photos = [
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
        append_feed(
            session,
            "task",
            case.id,
            {**decision, "case": case_out(case).model_dump(mode="json"), "photos": photos},
            user_id=body.assignee_id,
        )
    # Supervisors' apps keep their queue offline: the whole case and step travel with the entry.
    append_feed(
        session,
        "case",
        case.id,
        {
            **decision,
            "case": case_out(case).model_dump(mode="json"),
            "step": StepOut.model_validate(step, from_attributes=True).model_dump(mode="json"),
        },
        role=Role.SUPERVISOR.value,
    )
    return get_case(case_id, session, user)


def _action_hash(body: ActionRequest) -> str:
    """The content of a decision, for telling a resend from another use of its change id."""
    content = body.model_dump(mode="json", exclude={"expected_revision"})
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()
