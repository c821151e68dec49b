"""The change feed: entries appended in commit order, read by cursor.

A client pulls ``seq > cursor`` and stores the last ``seq`` it saw. That is only correct if no
entry with a smaller ``seq`` can become visible after a larger one — with several workers on
PostgreSQL, two transactions could take sequence numbers in one order and commit in the other.
So every transaction that appends to the feed first takes one transaction-scoped advisory lock:
feed writers commit one after another, and ``seq`` order is commit order. (SQLite has a single
writer anyway.)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from server.models import FeedEntry

_FEED_LOCK = 4_707_001  # an arbitrary, fixed advisory-lock key for the feed


def lock_feed(session: Session) -> None:
    """Serialise feed writers until this transaction ends (no-op on SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FEED_LOCK})


def append_feed(
    session: Session,
    kind: str,
    entity_id: str,
    payload: dict[str, Any],
    *,
    user_id: str | None = None,
    role: str | None = None,
) -> None:
    """Add an entry for one user (``user_id``), one role, or everyone (neither)."""
    lock_feed(session)
    session.add(
        FeedEntry(
            kind=kind,
            entity_id=entity_id,
            user_id=user_id,
            role=role,
            payload=payload,
            at=datetime.now(UTC),
        )
    )
