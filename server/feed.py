"""The change feed: entries appended in commit order, read by cursor.

A client pulls ``seq > cursor`` and stores the last ``seq`` it saw. That is only correct if no
entry with a smaller ``seq`` can become visible after a larger one — with several workers on
PostgreSQL, two transactions could take sequence numbers in one order and commit in the other.
So every transaction that appends to the feed first takes one transaction-scoped advisory lock
(:func:`lock_feed`, which :func:`append_feed` and :func:`append_feed_entries` call) and holds it
until it ends: ``seq`` values are only drawn under the lock, feed writers commit one after
another, and ``seq`` order is commit order. (SQLite has a single writer anyway.)

Lock order, so that no two transactions wait for each other: **rows first, the feed last.**

1. Row locks on what the transaction changes: cases ``FOR NO KEY UPDATE`` in id order (several
   at once only in a push, which then inserts its new cases in id order and its receipts in
   change id order), photos, and so on.
2. The feed lock, taken just before the feed rows are inserted, as the last step before the
   commit: it is held only for that insert and the commit, so feed writers queue only briefly.

A transaction holding the feed lock must not then wait for a row lock that a feed writer may
hold. Those that take the feed lock early, as a mutex (time-limit rules, comments, the demo
accounts), never lock or update a case: at most they insert a row that refers to one, and the
foreign-key check behind it (``FOR KEY SHARE``) is never blocked by ``FOR NO KEY UPDATE`` or by
an update of a case's other columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, insert, text
from sqlalchemy.orm import Session

from app.domain.contract import FeedKind
from server.models import FeedEntry

_FEED_LOCK = 4_707_001  # an arbitrary, fixed advisory-lock key for the feed


def lock_feed(session: Session) -> None:
    """Serialise feed writers until this transaction ends (no-op on SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FEED_LOCK})


def append_feed(
    session: Session,
    kind: FeedKind,
    entity_id: str,
    payload: Mapping[str, Any],
    *,
    user_id: str | None = None,
    role: str | None = None,
    department_id: str | None = None,
) -> None:
    """Add an entry for one user (``user_id``), one role, one department's handlers
    (``department_id``), or everyone (none of them).

    Takes the feed lock (see the module's lock order: lock the rows you change before this).
    ``kind`` is a FeedKind and ``payload`` its TypedDict (app.domain.contract), the contract
    the client's dispatch table is checked against.
    """
    lock_feed(session)
    session.add(
        FeedEntry(
            kind=kind.value,
            entity_id=entity_id,
            user_id=user_id,
            role=role,
            department_id=department_id,
            payload=dict(payload),
            at=datetime.now(UTC),
        )
    )


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry to append; the audience as in :func:`append_feed`."""

    kind: FeedKind
    entity_id: str
    payload: Mapping[str, Any]
    user_id: str | None = None
    role: str | None = None
    department_id: str | None = None


def append_feed_entries(session: Session, items: Sequence[FeedItem]) -> None:
    """Append ``items`` in order with one INSERT; the feed lock is taken just before it.

    Call it as the last write of the transaction: the lock is then held only until the commit.
    """
    if not items:
        return
    lock_feed(session)
    at = datetime.now(UTC)
    session.execute(
        insert(cast(Table, FeedEntry.__table__)),  # Core: no unit of work needed here
        [
            {
                "kind": item.kind.value,
                "entity_id": item.entity_id,
                "user_id": item.user_id,
                "role": item.role,
                "department_id": item.department_id,
                "payload": dict(item.payload),
                "at": at,
            }
            for item in items
        ],
    )
