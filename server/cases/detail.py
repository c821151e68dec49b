"""A case as the API shows it: the case, its whole step log and its comments.

The comments are part of a case's detail, so reading them is here; the comments package adds
the routes that list and write them and imports this module (never the other way round).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import Case, CaseComment, CaseStep, User
from server.schemas import CaseDetail, CaseOut, CommentOut, StepOut


def case_out(case: Case) -> CaseOut:
    return CaseOut.model_validate(case, from_attributes=True)


def comment_out(comment: CaseComment, author: User) -> CommentOut:
    return CommentOut(
        id=comment.id,
        case_id=comment.case_id,
        author_id=comment.author_id,
        author_name=author.display_name or author.username,
        role=comment.role,
        text=comment.text,
        at=comment.at,
    )


def comments_of(session: Session, case_id: str) -> list[CommentOut]:
    """The comments on a case, oldest first (ids are UUIDv7: they break ties in time order)."""
    rows = session.execute(
        select(CaseComment, User)
        .join(User, User.id == CaseComment.author_id)
        .where(CaseComment.case_id == case_id)
        .order_by(CaseComment.at, CaseComment.id)
    )
    return [comment_out(comment, author) for comment, author in rows.tuples()]


def case_detail(session: Session, case: Case) -> CaseDetail:
    """A case with its whole step log and its comments."""
    steps = session.scalars(
        select(CaseStep).where(CaseStep.case_id == case.id).order_by(CaseStep.at, CaseStep.id)
    )
    return CaseDetail(
        case=case_out(case),
        steps=[StepOut.model_validate(s, from_attributes=True) for s in steps],
        comments=comments_of(session, case.id),
    )
