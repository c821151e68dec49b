"""The per-request machinery: the catch-all ASGI middleware, the request's session, sign-in.

In-process tests (the app driven through Starlette's TestClient, on both databases) pin what
that machinery does; tests against a real server process pin that sign-in caches nothing: a
token revoked, expired or whose user was disabled — by this process or any other — is refused
on the very next request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import anyio
import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from helpers import ServerProcess
from sqlalchemy import Engine, event, func, inspect, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool
from starlette.middleware.base import BaseHTTPMiddleware

from app.domain.lifecycle import Role
from server.accounts import auth, users
from server.api import create_app
from server.db import create_db_engine, migrate, session_factory
from server.deps import SessionDep, get_session
from server.errors import UnexpectedErrors
from server.limits import BodyLimit
from server.models import ApiToken, Department, User
from server.observability import RequestMiddleware
from server.photos.protocol import MethodOverride
from server.reference import departments
from server.settings import Settings

with warnings.catch_warnings():
    # Starlette 1.x would have its TestClient run on "httpx2"; httpx (installed) still works.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SECRET = "s3cret-internal-detail"


def _engine(app: FastAPI) -> Engine:
    sessions: sessionmaker[Session] = app.state.sessions
    engine = sessions.kw["bind"]
    assert isinstance(engine, Engine)
    return engine


def _checked_out(engine: Engine) -> int:
    pool = engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedout()


def _departments(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(Department.code)))


@pytest.fixture
def app(tmp_path: Path, database_url: str) -> FastAPI:
    app = create_app(Settings(data_dir=tmp_path / "data", database_url=database_url, demo=True))

    @app.get("/test/boom")
    def boom() -> None:
        raise RuntimeError(SECRET)

    @app.get("/test/database-down")
    def database_down() -> None:
        raise OperationalError("SELECT 1", {}, Exception(SECRET))

    @app.get("/test/boom-mid-stream")
    def boom_mid_stream() -> StreamingResponse:
        def body() -> Iterator[bytes]:
            yield b"first part"
            raise RuntimeError("mid-stream " + SECRET)

        return StreamingResponse(body())

    @app.post("/test/departments/{code}")
    def write(code: str, session: SessionDep, fail: bool = False) -> None:
        departments.add_department(session, code, code)
        if fail:
            raise RuntimeError(SECRET)

    @app.get("/test/no-database")
    def no_database(session: SessionDep) -> dict[str, bool]:
        return {"in_transaction": session.in_transaction()}

    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _sign_in(client: TestClient, username: str = "demo") -> dict[str, str]:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": username})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


# --- the catch-all middleware -----------------------------------------------------------------


def test_the_catch_all_is_a_plain_asgi_middleware(app: FastAPI) -> None:
    classes: list[object] = [m.cls for m in app.user_middleware]
    # Outermost first: request ids and metrics, the tus method override, the body limit
    # (issue 12), the catch-all.
    assert classes == [RequestMiddleware, MethodOverride, BodyLimit, UnexpectedErrors]
    assert not any(isinstance(c, type) and issubclass(c, BaseHTTPMiddleware) for c in classes)


def test_an_unexpected_error_is_500_without_internals_and_logged(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="citypatrol.server"):
        response = client.get("/test/boom")
    assert response.status_code == 500
    assert response.json() == {
        "detail": {"code": "internal_error", "zh": "服务器内部错误", "en": "Internal error"}
    }
    assert SECRET not in response.text and "Traceback" not in response.text
    [record] = [r for r in caplog.records if r.name == "citypatrol.server"]
    assert record.getMessage() == "unexpected error in GET /test/boom"
    assert record.exc_info is not None and SECRET in str(record.exc_info[1])
    # The same client (and app) goes on answering.
    assert client.get("/healthz").status_code == 200


def test_a_database_error_is_503_with_retry_after(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="citypatrol.server"):
        response = client.get("/test/database-down")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "2"
    assert response.json()["detail"]["code"] == "database_busy"
    assert response.json()["detail"]["en"] == "The database is busy; try again"
    assert SECRET not in response.text
    assert any(r.getMessage().startswith("database unavailable for GET") for r in caplog.records)


def test_expected_errors_keep_their_own_answers(client: TestClient) -> None:
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/no/such/path").status_code == 404
    response = client.post("/api/v1/auth/login", json={"username": 5})
    assert response.status_code == 422
    assert response.json()["detail"]["code"] == "invalid_request"
    assert response.json()["detail"]["errors"][0]["loc"] == ["body", "username"]


def test_every_refusal_has_the_one_body_shape(client: TestClient) -> None:
    """{"detail": {"code", "zh", "en"}} for the app's own refusals and for FastAPI's (an
    unknown route, a wrong method, a body that does not validate)."""
    headers = _sign_in(client, "demo")
    for response in (
        client.get("/api/v1/me"),
        client.get("/no/such/path"),
        client.delete("/healthz"),
        client.post("/api/v1/auth/login", json={"username": 5}),
        client.post("/api/v1/auth/login", json={"username": "demo", "password": "wrong"}),
        client.get("/api/v1/time-limits", headers=headers),  # an inspector: 403
        client.get(f"/api/v1/cases/{'0' * 8}-0000-0000-0000-{'0' * 12}", headers=headers),
    ):
        assert 400 <= response.status_code < 500, response.text
        detail = response.json()["detail"]
        assert {"code", "zh", "en"} <= detail.keys(), response.text
        assert all(isinstance(detail[k], str) and detail[k] for k in ("code", "zh", "en"))


def test_an_error_after_the_response_started_is_not_answered_twice(app: FastAPI) -> None:
    # Too late for a 500: the error goes on to the server (which logs it and drops the
    # connection) as it is — not a second http.response.start ("Unexpected ASGI message").
    with (
        TestClient(app, raise_server_exceptions=True) as client,
        pytest.raises(RuntimeError, match=r"^mid-stream "),
    ):
        client.get("/test/boom-mid-stream")


# --- the request's session --------------------------------------------------------------------


def test_the_session_commits_before_the_response_and_rolls_back_on_error(
    app: FastAPI, client: TestClient
) -> None:
    engine = _engine(app)
    assert client.post("/test/departments/D-FAIL", params={"fail": True}).status_code == 500
    assert "D-FAIL" not in _departments(engine)
    # The failed request gave its connection (and SQLite's write lock) back: the next writer
    # gets in at once.
    assert client.post("/test/departments/D-OK").status_code == 200
    assert "D-OK" in _departments(engine)
    assert _checked_out(engine) == 0


def test_a_session_nothing_used_opens_no_transaction(app: FastAPI, client: TestClient) -> None:
    assert client.get("/test/no-database").json() == {"in_transaction": False}
    assert _checked_out(_engine(app)) == 0


def test_a_cancelled_request_still_gives_its_connection_back(app: FastAPI) -> None:
    """Ending the session is shielded: a client that went away leaves nothing held."""
    engine = _engine(app)
    with TestClient(app):  # migrations
        pass
    request = cast(Request, SimpleNamespace(app=app))

    async def scenario() -> None:
        sessions = get_session(request)
        session = await anext(sessions)
        await anyio.to_thread.run_sync(lambda: session.execute(select(func.count(User.id))))
        assert _checked_out(engine) == 1  # on SQLite: the write lock is held too
        with anyio.CancelScope() as scope:
            scope.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sessions.athrow(asyncio.CancelledError())
        assert _checked_out(engine) == 0

    asyncio.run(scenario())
    with session_factory(engine).begin() as session:  # not blocked by a leftover lock
        departments.add_department(session, "AFTER", "after")


# --- sign-in ----------------------------------------------------------------------------------


def test_sign_in_is_one_query(app: FastAPI, client: TestClient) -> None:
    headers = _sign_in(client)
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]).lstrip().split(None, 1)[0].upper())

    event.listen(_engine(app), "before_cursor_execute", record)
    try:
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    finally:
        event.remove(_engine(app), "before_cursor_execute", record)
    assert statements.count("SELECT") == 1, statements


def test_user_for_token_checks_every_condition_on_every_call(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'server.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    try:
        with sessions.begin() as session:
            user = users.add_user(session, "ann", "pass", Role.SUPERVISOR, "Ann 安", policy=False)
            session.flush()
            live, _ = auth.issue_token(session, user, timedelta(hours=1))
            expired, _ = auth.issue_token(session, user, timedelta(seconds=-1))
            revoked, _ = auth.issue_token(session, user, timedelta(hours=1))
            auth.revoke_token(session, revoked)
        with sessions.begin() as session:
            found = auth.user_for_token(session, live)
            assert found is not None
            assert inspect(found).detached  # not in the session: nothing of it is flushed
            stored = session.get(User, found.id)
            assert stored is not None and stored is not found
            for column in inspect(User).column_attrs:
                assert getattr(found, column.key) == getattr(stored, column.key), column.key
            assert found.role == Role.SUPERVISOR.value and found.display_name == "Ann 安"
            assert auth.user_for_token(session, expired) is None
            assert auth.user_for_token(session, revoked) is None
            assert auth.user_for_token(session, "not-a-token") is None
            stored.disabled = True
            session.flush()
            assert auth.user_for_token(session, live) is None
            stored.disabled = False
            session.flush()
            assert auth.user_for_token(session, live) is not None
    finally:
        engine.dispose()


# --- against a real server: nothing about a token is remembered between requests --------------


def _login(server: ServerProcess, username: str) -> str:
    response = httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": username, "password": username}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def test_a_revoked_token_is_refused_on_the_very_next_request(server: ServerProcess) -> None:
    gone, kept = _login(server, "demo"), _login(server, "demo")
    with httpx.Client(base_url=server.url) as http:  # one keep-alive connection
        for _ in range(20):
            assert http.get("/api/v1/me", headers={"Authorization": f"Bearer {gone}"}).is_success
        logout = http.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {gone}"})
        assert logout.status_code == 204
        me = http.get("/api/v1/me", headers={"Authorization": f"Bearer {gone}"})
        assert me.status_code == 401
        assert http.get("/api/v1/me", headers={"Authorization": f"Bearer {kept}"}).is_success


def test_changes_made_by_another_process_take_effect_at_once(server: ServerProcess) -> None:
    """A revocation, an expiry or a disabled account written by another process (another
    worker, the administration command) is seen by the next request: no cache in between."""
    tokens = {name: _login(server, "inspector2") for name in ("revoked", "expired", "disabled")}
    engine = create_db_engine(server.database_url)
    now = datetime.now(UTC)

    def status(http: httpx.Client, token: str) -> int:
        return http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code

    def change(statement: Any) -> None:
        with engine.begin() as conn:
            conn.execute(statement)

    def digest(name: str) -> str:
        return auth.token_digest(tokens[name])

    try:
        with httpx.Client(base_url=server.url) as http:
            for token in tokens.values():
                assert [status(http, token) for _ in range(5)] == [200] * 5
            change(
                update(ApiToken)
                .where(ApiToken.token_hash == digest("revoked"))
                .values(revoked_at=now)
            )
            assert status(http, tokens["revoked"]) == 401
            change(
                update(ApiToken)
                .where(ApiToken.token_hash == digest("expired"))
                .values(expires_at=now - timedelta(seconds=1))
            )
            assert status(http, tokens["expired"]) == 401
            change(update(User).where(User.username == "inspector2").values(disabled=True))
            assert status(http, tokens["disabled"]) == 401
            change(update(User).where(User.username == "inspector2").values(disabled=False))
            assert status(http, tokens["disabled"]) == 200
    finally:
        change(update(User).where(User.username == "inspector2").values(disabled=False))
        engine.dispose()
