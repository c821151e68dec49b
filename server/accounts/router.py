"""Signing in and out, and who is signed in."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, Field

from app.domain.lifecycle import Role
from server.accounts import auth, throttle
from server.deps import Credentials, CurrentUser, SessionDep
from server.errors import documented, refuse
from server.models import User
from server.schemas import Strict
from server.settings import Settings

log = logging.getLogger("citypatrol.server")

router = APIRouter()


class LoginRequest(Strict):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class UserPublic(BaseModel):
    id: str
    username: str
    display_name: str
    role: Role
    #: A handler's department (issue 15); None for every other role.
    department_id: str | None = None
    #: How many photos a handler's report of handling needs (the server's setting); None for
    #: every other role.
    after_photos_required: int | None = None
    #: A member of the inspection team (督导检查组): may record scored inspections.
    inspection_team: bool = False


class LoginResponse(BaseModel):
    token: str
    expires_at: datetime
    user: UserPublic


def _public(user: User, settings: Settings) -> UserPublic:
    handler = user.role == Role.HANDLER.value
    return UserPublic(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        department_id=user.department_id,
        after_photos_required=settings.handler_after_photos if handler else None,
        inspection_team=user.inspection_team,
    )


@router.post(
    "/api/v1/auth/login",
    responses=documented(
        {401: "wrong user name or password", 429: "too many failed sign-ins (Retry-After)"}
    ),
)
def login(body: LoginRequest, session: SessionDep, request: Request) -> LoginResponse:
    """Sign in; repeated failures slow down further attempts (429 with Retry-After)."""
    # The client's address: the peer's, or (only from a --trusted-proxy) the one it forwarded,
    # set by uvicorn's proxy-headers middleware (server.cli).
    address = request.client.host if request.client else "?"
    # Counted before the password is checked, and committed at once: parallel guesses see each
    # other's counts, and a failure is remembered whatever happens next (server.accounts.throttle).
    wait = throttle.count_attempt(session, body.username, address)
    session.commit()
    if wait is not None:
        # Not a RetryAfter constant: the wait is exactly how long the throttle blocks.
        seconds = max(1, math.ceil(wait.total_seconds()))
        raise refuse(
            status.HTTP_429_TOO_MANY_REQUESTS,
            "too_many_sign_ins",
            f"登录失败次数过多，请 {seconds} 秒后再试",
            f"too many failed sign-ins; try again in {seconds} s",
            {"Retry-After": str(seconds)},
        )
    user = auth.authenticate(session, body.username, body.password)
    if user is None:
        log.warning("failed login for %r from %s", body.username, address)
        raise refuse(
            status.HTTP_401_UNAUTHORIZED,
            "wrong_password",
            "用户名或密码错误",
            "wrong user name or password",
        )
    throttle.record_success(session, body.username, address)
    settings: Settings = request.app.state.settings
    token, expires = auth.issue_token(session, user, timedelta(hours=settings.token_lifetime_hours))
    return LoginResponse(token=token, expires_at=expires, user=_public(user, settings))


@router.post("/api/v1/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: SessionDep, credentials: Credentials, _user: CurrentUser) -> None:
    if credentials is not None:
        auth.revoke_token(session, credentials.credentials)


@router.get("/api/v1/me")
def me(user: CurrentUser, request: Request) -> UserPublic:
    return _public(user, request.app.state.settings)
