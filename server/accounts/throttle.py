"""Slowing down password guessing, per account and per client address.

After a few wrong passwords (``FREE_FAILURES``), each further failure blocks the account (and,
separately, the address) for twice as long as the previous one, up to ``MAX_BLOCK``. A blocked
attempt is refused before the password is checked, so guessing gains nothing, and the answer
is the same whether the account exists or not. The state is in the database, so every worker
sees it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from server.models import LoginThrottle

#: Wrong passwords allowed before blocking starts: per account, and per address (higher, since
#: a whole office may sign in from behind one address).
FREE_FAILURES = {"user": 5, "addr": 20}
MAX_BLOCK = timedelta(minutes=15)


def _keys(username: str, address: str) -> list[str]:
    return [f"user:{username.casefold()}"[:200], f"addr:{address}"[:200]]


def blocked_for(
    session: Session, username: str, address: str, now: datetime | None = None
) -> timedelta | None:
    """How long sign-in stays blocked for this account or address, or None."""
    now = now or datetime.now(UTC)
    waits = [
        row.blocked_until - now
        for key in _keys(username, address)
        if (row := session.get(LoginThrottle, key)) is not None
        and row.blocked_until
        and row.blocked_until > now
    ]
    return max(waits) if waits else None


def record_failure(
    session: Session, username: str, address: str, now: datetime | None = None
) -> None:
    now = now or datetime.now(UTC)
    for key in _keys(username, address):
        row = session.get(LoginThrottle, key, with_for_update=True)
        if row is None:
            row = LoginThrottle(key=key, failures=0, last_failure_at=now)
            session.add(row)
        row.failures += 1
        row.last_failure_at = now
        free = FREE_FAILURES[key.split(":", 1)[0]]
        if row.failures > free:
            row.blocked_until = now + min(
                timedelta(seconds=2 ** min(row.failures - free - 1, 20)), MAX_BLOCK
            )


def record_success(session: Session, username: str, address: str) -> None:
    for key in _keys(username, address):
        row = session.get(LoginThrottle, key)
        if row is not None:
            session.delete(row)
