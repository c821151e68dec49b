"""The client signs in to a real server; the token is kept out of settings and the database."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import ServerProcess, run_cli

from app.domain import CaseFields, Role
from app.storage import LocalStore
from app.sync.credentials import CredentialStore
from app.sync.errors import ErrorKind, SyncError
from app.sync.session import sign_in


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("server") / "data", "--demo")
    yield process
    process.stop()


def test_sign_in_records_the_account_and_keeps_the_token_private(
    server: ServerProcess, store: LocalStore
) -> None:
    assert store.account() is None
    account, where = sign_in(store, server.url, "demo", "demo")
    assert account.role is Role.INSPECTOR and account.username == "demo"
    assert store.account() == account
    credentials = CredentialStore(store.data_dir)
    token = credentials.load(server.url, "demo")
    assert token
    if where.startswith("file:"):  # no keyring on this machine: a private file, never the database
        path = Path(where.removeprefix("file:"))
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with sqlite3.connect(store.data_dir / "citypatrol.db") as conn:
        assert token not in "\n".join(conn.iterdump())
    created = store.create_case(CaseFields(description="登录后创建"))
    assert store.get_case(created.id).author_id == account.user_id


def test_wrong_password_is_an_auth_error(server: ServerProcess, store: LocalStore) -> None:
    with pytest.raises(SyncError) as info:
        sign_in(store, server.url, "demo", "nope")
    assert info.value.kind is ErrorKind.AUTH
    assert store.account() is None


def test_unreachable_server_is_a_retryable_error(store: LocalStore) -> None:
    with pytest.raises(SyncError) as info:
        sign_in(store, "http://127.0.0.1:9", "demo", "demo")
    assert info.value.kind is ErrorKind.RETRYABLE
    assert "127.0.0.1:9" in info.value.text("en")


def test_cli_login_reads_the_password_from_stdin(server: ServerProcess, tmp_path: Path) -> None:
    data = tmp_path / "client"
    ok = run_cli("login", "--server", server.url, "--user", "demo", data_dir=data, input="demo\n")
    assert ok.returncode == 0, ok.stderr
    assert "Signed in to" in ok.stdout and "demo" in ok.stdout
    bad = run_cli(
        "--lang",
        "zh_CN",
        "login",
        "--server",
        server.url,
        "--user",
        "demo",
        data_dir=data,
        input="x\n",
    )
    assert bad.returncode == 1 and "登录失败" in bad.stderr and "Traceback" not in bad.stderr
