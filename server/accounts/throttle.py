"""Slowing down password guessing, per account and per client address.

Every sign-in attempt is counted *before* its password is checked (:func:`count_attempt`, in a
transaction of its own that commits before the Argon2 verification starts): parallel guesses
queue on the counter rows (``INSERT … ON CONFLICT DO NOTHING`` makes them exist without a
unique violation, then ``SELECT … FOR UPDATE`` takes them in key order), so each one sees the
ones before it, and no more than ``FREE_FAILURES`` + 1 passwords are ever checked before the
block starts, however many guesses arrive at once. (Read, verify, then record let 60 parallel
guesses on PostgreSQL through to 20 real checks, and the first row's INSERT raced into a 500.)

After a few wrong passwords (``FREE_FAILURES``), each further attempt blocks the account (and,
separately, the address) for twice as long as the previous one, up to ``MAX_BLOCK``. A blocked
attempt is refused before the password is checked, so guessing gains nothing, and the answer
is the same whether the account exists or not. Counts are forgotten after ``QUIET`` without an
attempt. The state is in the database, so every worker sees it.

A successful sign-in takes back its own count (:func:`record_success`): the account's counter
is cleared, the address's is only decremented by the one attempt — clearing it let an attacker
holding one valid account reset the address limit every few guesses and spray passwords over
many accounts for ever.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.models import LoginThrottle

#: Wrong passwords allowed before blocking starts: per account, and per address (higher, since
#: a whole office may sign in from behind one address).
FREE_FAILURES = {"user": 5, "addr": 20}
MAX_BLOCK = timedelta(minutes=15)
#: A counter with no attempt for this long starts again from zero.
QUIET = timedelta(hours=1)


def _keys(username: str, address: str) -> list[str]:
    # Sorted: every transaction locks the rows in the same order, so two never deadlock.
    return sorted([f"user:{username.casefold()}"[:200], f"addr:{address}"[:200]])


def _ensure_rows(session: Session, keys: list[str], now: datetime) -> None:
    """The counter rows exist afterwards; a concurrent first attempt is no unique violation."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = [{"key": k, "failures": 0, "last_failure_at": now, "blocked_until": None} for k in keys]
    session.execute(
        insert(LoginThrottle).values(rows).on_conflict_do_nothing(index_elements=["key"])
    )


def count_attempt(
    session: Session, username: str, address: str, now: datetime | None = None
) -> timedelta | None:
    """Count a sign-in attempt as a failure (until :func:`record_success` takes it back), or
    answer how long sign-in stays blocked for this account or address (then nothing is
    counted). The caller commits at once, before checking the password."""
    now = now or datetime.now(UTC)
    keys = _keys(username, address)
    _ensure_rows(session, keys, now)
    rows = list(
        session.scalars(
            select(LoginThrottle)
            .where(LoginThrottle.key.in_(keys))
            .order_by(LoginThrottle.key)
            .with_for_update()
        )
    )
    waits = [r.blocked_until - now for r in rows if r.blocked_until and r.blocked_until > now]
    if waits:
        return max(waits)
    for row in rows:
        if row.last_failure_at <= now - QUIET:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        free = FREE_FAILURES[row.key.split(":", 1)[0]]
        if row.failures > free:
            row.blocked_until = now + min(
                timedelta(seconds=2 ** min(row.failures - free - 1, 20)), MAX_BLOCK
            )
    return None


def record_success(session: Session, username: str, address: str) -> None:
    """The password was right: the account starts afresh; the address only gets this attempt
    back (never cleared: see the module's docstring)."""
    addr_key, user_key = _keys(username, address)  # sorted: "addr:…" < "user:…"
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == user_key)
        .values(failures=0, blocked_until=None)
    )
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == addr_key, LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1)
    )
