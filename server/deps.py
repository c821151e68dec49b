"""Typed FastAPI dependencies shared by every router: the request's session and the current user."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import Annotated

import anyio
import anyio.to_thread
from fastapi import Depends, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from app.domain.lifecycle import ROLE_NAMES, Role
from server.accounts import auth
from server.errors import not_signed_in, refuse
from server.models import User


def _finish(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
    finally:
        session.close()  # rolls back whatever is left and gives the connection back


async def _end(session: Session, commit: bool) -> None:
    if session.get_transaction() is None:
        session.close()  # nothing read or written since the last commit: no I/O to do
        return
    # Not counted against the shared thread limit (as FastAPI's own exit of a sync dependency):
    # a request holding SQLite's write lock must be able to let go of it even while every
    # other worker thread waits for that lock. Shielded: a dropped client must not leave a
    # connection, or the lock, held.
    with anyio.CancelScope(shield=True):
        await anyio.to_thread.run_sync(_finish, session, commit, limiter=anyio.CapacityLimiter(1))


async def get_session(request: Request) -> AsyncGenerator[Session, None]:
    """One transaction per request: committed when the endpoint returns, rolled back if it raises.

    Async on purpose: opening a session does no I/O (it connects at its first statement, in
    the worker thread of whichever dependency or endpoint runs that), so it needs no trip to a
    worker thread and back — a sync generator dependency costs one such trip on entry and one
    on exit, about 0.1 ms of CPU each. The end (COMMIT, or ROLLBACK) runs in a worker thread,
    and only when there is a transaction to end: not when the endpoint committed itself last.
    """
    sessions: sessionmaker[Session] = request.app.state.sessions
    session = sessions()
    try:
        yield session
    except BaseException:
        await _end(session, commit=False)
        raise
    await _end(session, commit=True)


# Scope "function": the transaction commits when the endpoint returns, before the response is
# sent — a client never sees a token (or a receipt) that is not committed yet, and SQLite's
# write lock is not held while a response streams out.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
_bearer = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def current_user(session: SessionDep, credentials: Credentials, request: Request) -> User:
    idle = timedelta(days=request.app.state.settings.token_idle_days)
    user = auth.user_for_token(session, credentials.credentials, idle) if credentials else None
    if user is None:
        raise not_signed_in()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(user: User, *roles: Role) -> None:
    """403 unless ``user`` has one of ``roles``."""
    if user.role not in {r.value for r in roles}:
        raise refuse(
            status.HTTP_403_FORBIDDEN,
            "role_not_allowed",
            f"此操作需要{'或'.join(ROLE_NAMES[r].zh for r in roles)}角色",
            f"this needs the {' or '.join(r.value for r in roles)} role",
        )
