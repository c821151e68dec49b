"""Comments on cases: anyone who may see a case may read and add them; they reach the others
through the change feed."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.ids import new_id
from app.domain.lifecycle import Role
from server.cases import CaseId, _visible_case
from server.deps import CurrentUser, SessionDep
from server.feed import append_feed, lock_feed
from server.models import CaseComment, User
from server.schemas import CommentIn, CommentOut

router = APIRouter(prefix="/api/v1", tags=["cases"])


def _name(user: User) -> str:
    return user.display_name or user.username


def comments_of(session: Session, case_id: str) -> list[CommentOut]:
    """The comments on a case, oldest first (ids are UUIDv7: they break ties in time order)."""
    rows = session.execute(
        select(CaseComment, User)
        .join(User, User.id == CaseComment.author_id)
        .where(CaseComment.case_id == case_id)
        .order_by(CaseComment.at, CaseComment.id)
    )
    return [_out(comment, author) for comment, author in rows.tuples()]


def _out(comment: CaseComment, author: User) -> CommentOut:
    return CommentOut(
        id=comment.id,
        case_id=comment.case_id,
        author_id=comment.author_id,
        author_name=_name(author),
        role=comment.role,
        text=comment.text,
        at=comment.at,
    )


@router.get("/cases/{case_id}/comments")
def list_comments(case_id: CaseId, session: SessionDep, user: CurrentUser) -> list[CommentOut]:
    """The comments on a case, oldest first."""
    _visible_case(session, user, case_id)
    return comments_of(session, case_id)


@router.post("/cases/{case_id}/comments", status_code=status.HTTP_201_CREATED)
def add_comment(
    case_id: CaseId, body: CommentIn, session: SessionDep, user: CurrentUser
) -> CommentOut:
    """Comment on a case. Its inspector (author and re-inspection assignee) and the supervisors
    learn of it through the change feed."""
    # The feed lock first, as a mutex (see server.feed's lock order): a comment only reads its
    # case and inserts a row referring to it, which no lock on the case row blocks.
    lock_feed(session)
    case = _visible_case(session, user, case_id)
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
    out = _out(comment, user)
    payload = {
        "comment_id": out.id,
        "author_id": out.author_id,
        "author_name": out.author_name,
        "role": out.role,
        "text": out.text,
        "at": out.at.isoformat(),
    }
    for recipient in dict.fromkeys((case.author_id, case.assignee_id)):
        if recipient is not None and recipient != user.id:
            append_feed(session, "comment", case.id, payload, user_id=recipient)
    append_feed(session, "comment", case.id, payload, role=Role.SUPERVISOR.value)
    return out
