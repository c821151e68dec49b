"""The change feed's route: what concerns the signed-in user since a cursor (see server.feed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import and_, or_, select

from app.domain.contract import FeedKind
from app.domain.lifecycle import Role
from server.deps import CurrentUser, SessionDep
from server.models import FeedEntry
from server.schemas import FeedEntryOut, FeedPage

router = APIRouter(prefix="/api/v1", tags=["cases"])
FEED_PAGE_MAX = 1000
#: The roles whose feed carries the ``user`` entries (every account's name and role).
ACCOUNT_READERS = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})


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
        and_(
            FeedEntry.user_id.is_(None),
            FeedEntry.role.is_(None),
            FeedEntry.department_id.is_(None),
        ),
    )
    if user.role == Role.HANDLER.value and user.department_id:
        # A handler hears what concerns its department: the cases dispatched to it, their
        # photos and comments, the answers to its requests (issue 15).
        audience = or_(audience, FeedEntry.department_id == user.department_id)
    query = select(FeedEntry).where(FeedEntry.seq > cursor, audience)
    if user.role not in ACCOUNT_READERS:
        # Accounts (names, roles, enabled) are the office's business: an inspector's laptop,
        # which may be lost in the street, does not get the list of every account. Filtered
        # here rather than by the entries' audience, so entries written before are hidden too.
        query = query.where(FeedEntry.kind != FeedKind.USER.value)
    rows = list(session.scalars(query.order_by(FeedEntry.seq).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    entries = [
        FeedEntryOut(seq=r.seq, kind=r.kind, entity_id=r.entity_id, at=r.at, payload=r.payload)
        for r in rows
    ]
    return FeedPage(entries=entries, cursor=rows[-1].seq if rows else cursor, more=more)
