"""Typed FastAPI dependencies shared by every router: the request's session and the current user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from app.domain.lifecycle import Role
from server import auth
from server.models import User


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the endpoint returns, rolled back if it raises."""
    sessions: sessionmaker[Session] = request.app.state.sessions
    with sessions.begin() as session:
        yield session


# Scope "function": the transaction commits when the endpoint returns, before the response is
# sent — a client never sees a token (or a receipt) that is not committed yet, and SQLite's
# write lock is not held while a response streams out.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
_bearer = HTTPBearer(auto_error=False)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def current_user(session: SessionDep, credentials: Credentials) -> User:
    user = auth.user_for_token(session, credentials.credentials) if credentials else None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "not signed in or the session has expired",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(user: User, *roles: Role) -> None:
    """403 unless ``user`` has one of ``roles``."""
    if user.role not in {r.value for r in roles}:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"this needs the {' or '.join(r.value for r in roles)} role"
        )
