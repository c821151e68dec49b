"""Comments on cases: anyone who may see a case may read and add them; they reach the others
through the change feed."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, status

from app.domain.contract import CommentPayload, FeedKind
from app.domain.ids import new_id
from app.domain.lifecycle import Role
from server.cases.access import CaseId, visible_case
from server.cases.detail import comment_out, comments_of
from server.deps import CurrentUser, SessionDep
from server.errors import documented
from server.feed import append_feed, lock_feed
from server.models import CaseComment
from server.schemas import CommentIn, CommentOut

router = APIRouter(prefix="/api/v1", tags=["cases"])
_NOT_FOUND = documented({404: "no such case (of yours)"})


@router.get("/cases/{case_id}/comments", responses=_NOT_FOUND)
def list_comments(case_id: CaseId, session: SessionDep, user: CurrentUser) -> list[CommentOut]:
    """The comments on a case, oldest first."""
    visible_case(session, user, case_id)
    return comments_of(session, case_id)


@router.post("/cases/{case_id}/comments", status_code=status.HTTP_201_CREATED, responses=_NOT_FOUND)
def add_comment(
    case_id: CaseId, body: CommentIn, session: SessionDep, user: CurrentUser
) -> CommentOut:
    """Comment on a case. Its inspector (author and re-inspection assignee), the supervisors and
    the department it is dispatched to learn of it through the change feed."""
    # The feed lock first, as a mutex (see server.feed's lock order): a comment only reads its
    # case and inserts a row referring to it, which no lock on the case row blocks.
    lock_feed(session)
    case = visible_case(session, user, case_id)
    comment = CaseComment(
        id=new_id(),
        case_id=case.id,
        author_id=user.id,
        role=user.role,
        text=body.text,
        at=datetime.now(UTC),
    )
    session.add(comment)
    session.flush()
    out = comment_out(comment, user)
    payload: CommentPayload = {
        "comment_id": out.id,
        "author_id": out.author_id,
        "author_name": out.author_name,
        "role": out.role,
        "text": out.text,
        "at": out.at.isoformat(),
    }
    for recipient in dict.fromkeys((case.author_id, case.assignee_id)):
        if recipient is not None and recipient != user.id:
            append_feed(session, FeedKind.COMMENT, case.id, payload, user_id=recipient)
    append_feed(session, FeedKind.COMMENT, case.id, payload, role=Role.SUPERVISOR.value)
    if case.department_id is not None:
        # The department the case is dispatched to follows its comments too (issue 15).
        append_feed(session, FeedKind.COMMENT, case.id, payload, department_id=case.department_id)
    return out
