"""Signing out (``citypatrol logout``) and switching accounts revoke tokens on the server and
forget them here; offline, the token is forgotten here and the user is told the server was not.
And the client waits as long as a throttling or overloaded server asks (``Retry-After``)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from helpers import ServerProcess, free_port, run_cli
from sync_helpers import submitted_case

from app.domain.lifecycle import Role
from app.storage import LocalStore
from app.storage.store import Account
from app.sync.backoff import Backoff, parse_retry_after
from app.sync.client import ServerClient
from app.sync.credentials import CredentialStore
from app.sync.engine import SyncEngine, SyncOptions
from app.sync.errors import ErrorKind, SyncError
from app.sync.scheduler import AutoSync
from app.sync.session import sign_in, sign_out


def _works(server: ServerProcess, token: str) -> bool:
    me = httpx.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    return me.status_code == 200


def test_logout_revokes_the_token_on_the_server_and_forgets_it_here(
    tmp_path: Path, server: ServerProcess
) -> None:
    data = tmp_path / "client"
    assert run_cli("login", "--server", server.url, "--user", "demo", data_dir=data,
                   input="demo\n").returncode == 0  # fmt: skip
    token = CredentialStore(data).load(server.url, "demo")
    assert token and _works(server, token)
    out = run_cli("--lang", "en", "logout", data_dir=data)
    assert out.returncode == 0 and "server revoked" in out.stdout, out.stderr
    assert not _works(server, token)  # revoked on the server, not just forgotten
    assert CredentialStore(data).load(server.url, "demo") is None
    with LocalStore(data) as store:
        assert store.account() is None
    sync = run_cli("sync", data_dir=data)
    assert sync.returncode == 1 and "sign in" in sync.stderr.lower() + sync.stdout.lower()
    again = run_cli("--lang", "en", "logout", data_dir=data)
    assert again.returncode == 0 and "Nobody is signed in" in again.stdout


def test_logout_offline_forgets_the_token_and_says_the_server_was_not_told(
    tmp_path: Path,
) -> None:
    data = tmp_path / "client"
    down = f"http://127.0.0.1:{free_port()}"
    with LocalStore(data) as store:
        store.set_account(
            Account(down, "0190a000-0000-7000-8000-000000000001", "demo", "", Role.INSPECTOR)
        )
        CredentialStore(data).save(down, "demo", "some-token")
        case_id = submitted_case(store, "离线退出前记录的案件")
        result = sign_out(store)
        assert result.was_signed_in and not result.server_told
        assert result.reason is not None and result.reason.kind is ErrorKind.RETRYABLE
        assert CredentialStore(data).load(down, "demo") is None and store.account() is None
        assert store.get_case(case_id) is not None  # unsent work stays for the next sign-in
    with LocalStore(data) as store:
        store.set_account(
            Account(down, "0190a000-0000-7000-8000-000000000001", "demo", "", Role.INSPECTOR)
        )
        CredentialStore(data).save(down, "demo", "some-token")
    out = run_cli("--lang", "en", "logout", data_dir=data)
    assert out.returncode == 0 and "server was not told" in out.stderr


def test_signing_in_as_another_account_revokes_the_previous_token(
    tmp_path: Path, server: ServerProcess
) -> None:
    with LocalStore(tmp_path / "client") as store:
        sign_in(store, server.url, "demo", "demo")
        first = CredentialStore(store.data_dir).load(server.url, "demo")
        assert first and _works(server, first)
        sign_in(store, server.url, "inspector2", "inspector2")
        assert not _works(server, first)
        assert CredentialStore(store.data_dir).load(server.url, "demo") is None
        second = CredentialStore(store.data_dir).load(server.url, "inspector2")
        assert second and _works(server, second)


def test_retry_after_is_parsed_and_is_a_floor_for_the_backoff() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: now
    assert parse_retry_after("99999999") == 3600.0  # a wrong header cannot park us for days
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    backoff = Backoff(base_s=0.01, cap_s=0.02)
    assert backoff.wait(3, 5.0) == 5.0 and backoff.wait(3) <= 0.02
    clock = [100.0]
    auto = AutoSync(backoff=backoff, clock=lambda: clock[0])
    auto.finished(False, ErrorKind.RETRYABLE, retry_after=120.0)
    assert auto.next_at >= 220.0


def test_a_429_with_retry_after_is_waited_out_before_the_retry(
    tmp_path: Path, server: ServerProcess
) -> None:
    pushes: list[float] = []
    real = httpx.HTTPTransport()

    class Throttling(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/cases/push"):
                pushes.append(time.monotonic())
                if len(pushes) == 1:
                    return httpx.Response(429, headers={"Retry-After": "1"}, json={})
            return real.handle_request(request)

    with ServerClient(server.url, transport=Throttling()) as client:
        try:
            client.push([])
        except SyncError as exc:
            assert exc.retryable and exc.retry_after == 1.0
    pushes.clear()
    with LocalStore(tmp_path / "client") as store:
        sign_in(store, server.url, "demo", "demo")
        submitted_case(store, "限流后重试的案件")
        options = SyncOptions(attempts=3, backoff=Backoff(base_s=0.001, cap_s=0.002))
        report = SyncEngine(store, options, transport=Throttling()).run()
        assert report.ok, report.lines("en")
    assert len(pushes) == 2 and pushes[1] - pushes[0] >= 1.0


def test_signing_in_again_as_the_same_account_revokes_the_older_token(
    tmp_path: Path, server: ServerProcess
) -> None:
    with LocalStore(tmp_path / "client") as store:
        sign_in(store, server.url, "demo", "demo")
        first = CredentialStore(store.data_dir).load(server.url, "demo")
        sign_in(store, server.url, "demo", "demo")
        second = CredentialStore(store.data_dir).load(server.url, "demo")
        assert first and second and first != second
        assert not _works(server, first) and _works(server, second)


def test_after_a_sign_out_the_next_account_reads_its_feed_from_the_start(
    tmp_path: Path, server: ServerProcess
) -> None:
    from app.storage.ledger import SyncLedger

    with LocalStore(tmp_path / "client") as store:
        sign_in(store, server.url, "demo", "demo")
        submitted_case(store, "退出前同步的案件")
        assert SyncEngine(store).run().ok
        assert SyncLedger(store).feed_cursor() > 0
        sign_out(store)
        # inspector2 never saw demo's feed: starting at demo's cursor would skip its own.
        assert SyncLedger(store).feed_cursor() == 0
