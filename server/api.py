"""The HTTP API (FastAPI). Typed dependencies give each endpoint its session and current user."""

from __future__ import annotations

import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from fastapi import APIRouter, FastAPI, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.domain.lifecycle import Role
from server import auth, cases, comments, refdata, reference, throttle, timelimits, tus
from server.db import create_db_engine, migrate, session_factory
from server.deps import Credentials, CurrentUser, SessionDep
from server.feed import lock_feed
from server.models import Department, User
from server.schemas import Strict
from server.settings import Settings

log = logging.getLogger("citypatrol.server")

DEMO_ACCOUNTS = (
    ("demo", "demo", Role.INSPECTOR, "演示监督员"),
    ("inspector2", "inspector2", Role.INSPECTOR, "演示监督员二"),
    ("supervisor", "supervisor", Role.SUPERVISOR, "演示值班长"),
    ("admin", "admin", Role.ADMIN, "演示管理员"),
)


class LoginRequest(Strict):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class UserPublic(BaseModel):
    id: str
    username: str
    display_name: str
    role: Role


class LoginResponse(BaseModel):
    token: str
    expires_at: datetime
    user: UserPublic


class Health(BaseModel):
    status: str
    database: str


def _public(user: User) -> UserPublic:
    return UserPublic(
        id=user.id, username=user.username, display_name=user.display_name, role=Role(user.role)
    )


def seed_demo_accounts(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        # Workers starting together would all see the accounts missing; one seeds at a time.
        lock_feed(session)
        for username, password, role, name in DEMO_ACCOUNTS:
            if session.scalar(select(User).where(User.username == username)) is None:
                auth.add_user(session, username, password, role, name)
                log.info("demo account %s (%s) created", username, role.value)
        for code, name, name_en in refdata.DEMO_DEPARTMENTS:
            if session.scalar(select(Department).where(Department.code == code)) is None:
                refdata.add_department(session, code, name, name_en)


router = APIRouter()


@router.get("/healthz")
def healthz(session: SessionDep) -> Health:
    session.execute(text("SELECT 1"))
    return Health(status="ok", database=session.get_bind().dialect.name)


@router.post("/api/v1/auth/login")
def login(body: LoginRequest, session: SessionDep, request: Request) -> LoginResponse:
    """Sign in; repeated failures slow down further attempts (429 with Retry-After)."""
    address = request.client.host if request.client else "?"
    wait = throttle.blocked_for(session, body.username, address)
    if wait is not None:
        seconds = max(1, math.ceil(wait.total_seconds()))
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed sign-ins; try again in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )
    user = auth.authenticate(session, body.username, body.password)
    if user is None:
        log.warning("failed login for %r from %s", body.username, address)
        throttle.record_failure(session, body.username, address)
        # The failure must be remembered even though this request ends in an error.
        session.commit()
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong user name or password")
    throttle.record_success(session, body.username, address)
    settings: Settings = request.app.state.settings
    token, expires = auth.issue_token(session, user, timedelta(hours=settings.token_lifetime_hours))
    return LoginResponse(token=token, expires_at=expires, user=_public(user))


@router.post("/api/v1/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(session: SessionDep, credentials: Credentials, _user: CurrentUser) -> None:
    if credentials is not None:
        auth.revoke_token(session, credentials.credentials)


@router.get("/api/v1/me")
def me(user: CurrentUser) -> UserPublic:
    return _public(user)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """422 naming each field and rule, without echoing the input (it may be megabytes, or hostile)."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e["loc"]), "msg": str(e["msg"]), "type": str(e["type"])}
        for e in exc.errors()[:50]
    ]
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, content={"detail": errors}
    )


class UnexpectedErrors:
    """A clean JSON answer for anything unexpected, so the connection stays usable.

    A busy or unreachable database is 503 with Retry-After (the client retries); anything else
    is logged with its traceback and answered 500 ``{"detail": "internal error"}`` (nothing of
    the exception reaches the client). An error after the response has started cannot be
    answered any more: it goes on to the server, which logs it and closes the connection.

    A plain ASGI middleware: unlike ``@app.middleware("http")`` (Starlette's
    ``BaseHTTPMiddleware``) it runs the endpoint in the request's own task, and passes request
    and response messages straight through instead of relaying each one through a memory
    stream and an extra task: a fixed cost on every request and a per-chunk one on uploads.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_watching(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_watching)
            return
        except OperationalError:
            if started:
                raise
            log.exception("database unavailable for %s %s", scope["method"], scope["path"])
            response = JSONResponse(
                {"detail": "the database is busy; try again"},
                status_code=503,
                headers={"Retry-After": "2"},
            )
        except Exception:
            if started:
                raise
            log.exception("unexpected error in %s %s", scope["method"], scope["path"])
            response = JSONResponse({"detail": "internal error"}, status_code=500)
        await response(scope, receive, send)


def create_app(settings: Settings) -> FastAPI:
    """The application for ``settings``: migrations run and demo accounts are seeded on start."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.database_url)
    sessions = session_factory(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        migrate(engine)
        tus.cleanup_uploads(sessions, settings.photos_dir)
        if settings.demo:
            seed_demo_accounts(sessions)
        yield
        engine.dispose()

    app = FastAPI(title="CityPatrol server", version="0.1.0", lifespan=lifespan)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_middleware(UnexpectedErrors)
    app.state.settings = settings
    app.state.sessions = sessions
    app.include_router(router)
    app.include_router(cases.router)
    app.include_router(comments.router)
    app.include_router(timelimits.router)
    app.include_router(reference.router)
    app.include_router(tus.router)
    return app
