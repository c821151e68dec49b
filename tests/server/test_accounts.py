"""Accounts, sign-in and tokens against a real server process on 127.0.0.1."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import ROOT, ServerProcess
from sqlalchemy import text

from server.db import create_db_engine


def login(server: ServerProcess, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": username, "password": password}
    )


def test_health_and_openapi(server: ServerProcess) -> None:
    health = httpx.get(f"{server.url}/healthz").json()
    assert health["status"] == "ok" and health["database"] == server.backend
    assert health["disk"] == "ok" and health["disk_free_bytes"] > 0
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    assert {"/healthz", "/api/v1/auth/login", "/api/v1/me", "/api/v1/auth/logout"} <= set(paths)


def test_demo_account_signs_in_and_token_identifies_it(server: ServerProcess) -> None:
    response = login(server, "demo", "demo")
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["username"] == "demo" and body["user"]["role"] == "inspector"
    me = httpx.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.json()["id"] == body["user"]["id"]


def test_token_is_stored_only_as_a_hash_and_password_with_argon2id(server: ServerProcess) -> None:
    token = login(server, "supervisor", "supervisor").json()["token"]
    engine = create_db_engine(server.database_url)
    try:
        with engine.connect() as conn:
            stored = [r[0] for r in conn.execute(text("SELECT token_hash FROM api_tokens"))]
            hashes = [r[0] for r in conn.execute(text("SELECT password_hash FROM users"))]
    finally:
        engine.dispose()
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert token not in stored
    assert all(h.startswith("$argon2id$v=19$m=19456,t=2,p=1$") for h in hashes)


@pytest.mark.parametrize(
    ("username", "password"), [("demo", "wrong"), ("nobody", "demo"), ("", "x"), ("demo", "")]
)
def test_wrong_credentials_are_refused(server: ServerProcess, username: str, password: str) -> None:
    response = login(server, username, password)
    assert response.status_code in (401, 422)
    assert "token" not in response.text


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic ZGVtbzpkZW1v"},
        {"Authorization": "Bearer a b c"},
    ],
)
def test_requests_without_a_valid_token_get_401(
    server: ServerProcess, headers: dict[str, str]
) -> None:
    response = httpx.get(f"{server.url}/api/v1/me", headers=headers)
    assert response.status_code == 401


def test_logout_revokes_the_token(server: ServerProcess) -> None:
    token = login(server, "demo", "demo").json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert httpx.post(f"{server.url}/api/v1/auth/logout", headers=auth).status_code == 204
    assert httpx.get(f"{server.url}/api/v1/me", headers=auth).status_code == 401


@pytest.mark.parametrize("body", [b"{", b'{"username": 5}', b"[]", b'{"username": "x"}'])
def test_malformed_login_requests_get_422_not_500(server: ServerProcess, body: bytes) -> None:
    response = httpx.post(
        f"{server.url}/api/v1/auth/login",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422


def test_user_add_reads_the_password_from_stdin(tmp_path: Path) -> None:
    data = tmp_path / "srv"

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "server.cli", "--data-dir", str(data), *args],
            input=stdin, capture_output=True, text=True, cwd=ROOT, check=False,
        )  # fmt: skip

    added = cli(
        "user",
        "add",
        "wang",
        "--role",
        "supervisor",
        "--display-name",
        "王值班",
        stdin="s3cret-pass-2026\n",
    )
    assert added.returncode == 0, added.stderr
    again = cli("user", "add", "wang", "--role", "inspector", stdin="another-long-password\n")
    assert again.returncode == 1 and "already exists" in again.stderr
    assert "wang\tsupervisor\tactive\t王值班" in cli("user", "list").stdout
    server = ServerProcess(data)
    try:
        assert login(server, "wang", "s3cret-pass-2026").status_code == 200
        assert login(server, "wang", "s3cret-pass-2026\n").status_code == 401
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("abcd", "too short"),
        ("short-pw1", "too short"),
        ("chen-admin-2026", "user name"),
        ("CHEN-ADMIN", "user name"),
        ("1q2w3e4r5t", "well-known"),
        ("QwertyUiop", "well-known"),
    ],
)
def test_weak_passwords_are_refused_by_user_add_and_reset(
    tmp_path: Path, password: str, why: str
) -> None:
    data = tmp_path / "srv"

    def cli(*args: str, stdin: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "server.cli", "--data-dir", str(data), *args],
            input=stdin, capture_output=True, text=True, cwd=ROOT, check=False,
        )  # fmt: skip

    refused = cli("user", "add", "chen-admin", "--role", "admin", stdin=password + "\n")
    assert refused.returncode == 1 and why in refused.stderr, refused.stderr
    assert (
        cli("user", "add", "chen-admin", "--role", "admin", stdin="a fine pass 2026\n").returncode
        == 0
    )
    reset = cli("user", "reset", "chen-admin", stdin=password + "\n")
    assert reset.returncode == 1 and why in reset.stderr, reset.stderr


def test_demo_accounts_only_on_loopback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(tmp_path / "srv"),
         "--host", "0.0.0.0", "--demo"],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "loopback" in result.stderr, result.stderr
    assert not (tmp_path / "srv" / "server.db").exists()  # refused before anything was made


def token_row(server: ServerProcess, token: str) -> tuple[Any, Any]:
    engine = create_db_engine(server.database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT created_at, last_used_at FROM api_tokens WHERE token_hash = :h"),
                {"h": hashlib.sha256(token.encode()).hexdigest()},
            ).one()
            return row[0], row[1]
    finally:
        engine.dispose()


def age_token(server: ServerProcess, token: str, days: int) -> None:
    """Make the token's last use (and creation) ``days`` ago, as if left unused."""
    then = datetime.now(UTC) - timedelta(days=days)
    engine = create_db_engine(server.database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE api_tokens SET created_at = :t, last_used_at = :t WHERE token_hash = :h"
                ),
                {"t": then, "h": hashlib.sha256(token.encode()).hexdigest()},
            )
    finally:
        engine.dispose()


def test_a_token_unused_for_the_idle_period_stops_working(server: ServerProcess) -> None:
    token = login(server, "inspector2", "inspector2").json()["token"]
    me = f"{server.url}/api/v1/me"
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(me, headers=bearer).status_code == 200
    _created, first_use = token_row(server, token)
    assert first_use is None  # used within the hour it was issued: nothing written
    age_token(server, token, days=2)
    assert httpx.get(me, headers=bearer).status_code == 200
    _created, recorded = token_row(server, token)
    assert recorded is not None  # an hour or more since the last record: recorded now
    assert httpx.get(me, headers=bearer).status_code == 200
    assert token_row(server, token)[1] == recorded  # at most one write per hour
    age_token(server, token, days=15)  # the default idle period is 14 days
    response = httpx.get(me, headers=bearer)
    assert response.status_code == 401 and response.json()["detail"]["code"] == "not_signed_in"


def test_logout_revokes_only_the_token_it_is_sent_with(server: ServerProcess) -> None:
    first = login(server, "supervisor", "supervisor").json()["token"]
    second = login(server, "supervisor", "supervisor").json()["token"]
    out = httpx.post(
        f"{server.url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {first}"}
    )
    assert out.status_code == 204
    assert (
        httpx.get(
            f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {first}"}
        ).status_code
        == 401
    )
    assert (
        httpx.get(
            f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {second}"}
        ).status_code
        == 200
    )
