"""The case API: push (idempotent ingest), reading cases, and workflow actions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from sqlalchemy import or_, select

from app.domain.lifecycle import CaseStatus, Role
from server.cases import access
from server.cases.access import CaseId
from server.cases.decisions import applied_before, apply_decision
from server.cases.detail import case_detail, case_out
from server.cases.ingest import BatchContendedError, ingest
from server.deps import CurrentUser, SessionDep
from server.errors import RetryAfter, documented, retry_later
from server.models import Case
from server.reference.taxonomy import current_taxonomy
from server.schemas import (
    UUID_PATTERN,
    ActionRequest,
    CaseDetail,
    CaseOut,
    PushRequest,
    PushResponse,
)
from server.settings import Settings

router = APIRouter(prefix="/api/v1", tags=["cases"])
_REFUSALS = documented(
    {
        400: "a missing requirement (opinion, department, deadline …), in Chinese and English",
        409: "not allowed from the case's current status, or the case changed meanwhile",
    }
)


@router.post(
    "/cases/push",
    responses=documented(
        {
            503: "the database is busy, or other requests kept writing the same cases: "
            "nothing was stored; send the batch again after Retry-After seconds"
        }
    ),
)
def push(body: PushRequest, session: SessionDep, user: CurrentUser) -> PushResponse:
    """Apply a batch of client changes; one result per change, in order.

    Resending a batch changes nothing (results come back as ``duplicate``); a change id reused
    with different content is a ``conflict``, never a second case.
    """
    access.require_pusher(user)
    taxonomy = current_taxonomy(session)
    try:
        # The case rows are locked first and the feed last (see server.feed's lock order).
        results = ingest(session, user, body.changes, taxonomy)
    except BatchContendedError as exc:
        raise retry_later(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "batch_contended",
            "其他请求正在写入同样的案件，请重新发送",
            "other requests are writing the same cases; send the batch again",
            RetryAfter.CONTENDED,
        ) from exc
    # Commit now rather than when the endpoint returns: the feed lock (and SQLite's write lock)
    # is released at once, not after the event loop has come round to closing the session.
    session.commit()
    return PushResponse(results=results)


@router.get("/cases/{case_id}", responses=documented({404: "no such case (of yours)"}))
def get_case(case_id: CaseId, session: SessionDep, user: CurrentUser) -> CaseDetail:
    """A case with its whole step log."""
    return case_detail(session, access.visible_case(session, user, case_id))


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
    all_but_drafts, only_user = access.listing_scope(user)
    if only_user is not None:
        stmt = stmt.where(or_(Case.author_id == only_user, Case.assignee_id == only_user))
    if user.role == Role.HANDLER.value:
        # Only the cases dispatched to the handler's department (none without a department).
        stmt = stmt.where(Case.department_id == (user.department_id or "-"))
    if all_but_drafts:
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
def act(
    case_id: CaseId, body: ActionRequest, session: SessionDep, user: CurrentUser, request: Request
) -> CaseDetail:
    """A workflow action (accept, reject, register, dispatch, close …), checked by the shared state machine.

    Inspectors' own actions (submit, re-inspection results) travel through ``/cases/push``.
    """
    access.require_decider(user, body.action)
    # Lock order (server.feed): the case row now, FOR NO KEY UPDATE as push does; the feed
    # lock only when the feed entries are appended, at the end.
    case = access.locked_visible_case(session, user, case_id)
    if not applied_before(session, user, body):
        settings: Settings = request.app.state.settings
        apply_decision(session, user, case, body, photos_required=settings.handler_after_photos)
    return case_detail(session, case)
