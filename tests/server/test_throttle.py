"""Repeated failed sign-ins are slowed down per account, across requests and workers (state in the DB)."""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from helpers import ServerProcess, run_server_cli
from sqlalchemy import text

from server.db import create_db_engine


def login(server: ServerProcess, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": username, "password": password}
    )


def test_guessing_a_password_gets_slowed_down_then_recovers(server: ServerProcess) -> None:
    for _ in range(5):
        assert login(server, "inspector2", "guess").status_code == 401
    assert login(server, "inspector2", "guess").status_code == 401  # the 6th failure starts a block
    blocked = login(server, "inspector2", "inspector2")  # even the right password waits
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1
    assert "too many failed sign-ins" in blocked.json()["detail"]["en"]
    assert blocked.json()["detail"]["code"] == "too_many_sign_ins"
    assert login(server, "demo", "demo").status_code == 200  # other accounts are not affected
    time.sleep(int(blocked.headers["Retry-After"]) + 0.2)
    assert login(server, "inspector2", "inspector2").status_code == 200
    assert login(server, "inspector2", "guess").status_code == 401  # success reset the count


def test_unknown_accounts_are_throttled_alike(server: ServerProcess) -> None:
    statuses = [login(server, "nobody-here", "x").status_code for _ in range(7)]
    assert statuses[:6] == [401] * 6 and statuses[6] == 429


# --- spraying, racing, forwarded addresses, timing (issue 12) -------------------------------------

PASSWORD = "a-long-enough-test-password"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def proxied(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A server that believes X-Forwarded-For from 127.0.0.1: each test signs in from an
    address of its own, so the address counters of one test do not block the next."""
    data_dir = tmp_path_factory.mktemp("proxied") / "data"
    extra = ["--demo", "--trusted-proxy", "127.0.0.1"]
    if request.param == "postgresql":
        extra += ["--database-url", request.getfixturevalue("postgres").create_database()]
    process = ServerProcess(data_dir, *extra)
    run_server_cli(process, "--database-url", process.database_url, "user", "add", "gone",
                   "--role", "inspector", stdin=PASSWORD + "\n")  # fmt: skip
    run_server_cli(process, "--database-url", process.database_url, "user", "disable", "gone")
    yield process
    process.stop()


def login_from(server: ServerProcess, address: str, username: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": address},
        timeout=60,
    )


def throttle_keys(server: ServerProcess) -> set[str]:
    engine = create_db_engine(server.database_url)
    try:
        with engine.connect() as conn:
            return {r[0] for r in conn.execute(text("SELECT key FROM login_throttle"))}
    finally:
        engine.dispose()


def test_spraying_with_one_valid_account_still_reaches_the_address_limit(
    proxied: ServerProcess,
) -> None:
    """40 guesses over 8 accounts (5 each: under the account limit), a valid sign-in in between:
    the success no longer clears the address's count, so the address gets 429."""
    address = "198.51.100.7"
    statuses = []
    for i in range(40):
        if i == 15:
            assert login_from(proxied, address, "demo", "demo").status_code == 200
        statuses.append(login_from(proxied, address, f"victim{i % 8}", f"guess{i}").status_code)
    assert 429 in statuses, statuses
    assert statuses.index(429) <= 21, statuses  # 20 free failures, the 21st starts the block
    assert set(statuses) == {401, 429}


def test_forwarded_addresses_count_only_from_a_trusted_proxy(
    server: ServerProcess, proxied: ServerProcess
) -> None:
    spoofed = "203.0.113.99"
    assert login_from(server, spoofed, "nobody-spoofed", "x").status_code == 401
    assert f"addr:{spoofed}" not in throttle_keys(server)  # the peer's address was counted
    assert "addr:127.0.0.1" in throttle_keys(server)
    assert login_from(proxied, spoofed, "nobody-spoofed", "x").status_code == 401
    assert f"addr:{spoofed}" in throttle_keys(proxied)


def test_parallel_guesses_get_no_more_real_checks_than_allowed(proxied: ServerProcess) -> None:
    """60 wrong guesses at once against a fresh account: 6 passwords are checked (5 free
    failures and the one that starts the block), the rest get 429, none a 500 — plus one per
    block that runs out while the burst lasts (1 s, then 2 s, 4 s …)."""
    checked_before = proxied.log.read_text().count("failed login for 'racer'")
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=60) as pool:
        statuses = list(
            pool.map(
                lambda i: login_from(proxied, f"192.0.2.{i}", "racer", f"guess{i}").status_code,
                range(60),
            )
        )
    lasted = time.monotonic() - started
    assert set(statuses) <= {401, 429}, statuses
    checked = proxied.log.read_text().count("failed login for 'racer'") - checked_before
    expired_blocks = math.floor(math.log2(lasted + 1))
    assert checked == statuses.count(401) <= 6 + expired_blocks, (checked, lasted, statuses)


def test_a_disabled_account_answers_as_slowly_as_a_missing_one(proxied: ServerProcess) -> None:
    def median_time(username: str, address: str) -> float:
        times = []
        for _ in range(5):  # the account limit: every attempt is a real check
            start = time.perf_counter()
            assert login_from(proxied, address, username, PASSWORD).status_code == 401
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    missing = median_time("no-such-account", "192.0.2.201")
    disabled = median_time("gone", "192.0.2.202")
    # Both verify an Argon2 hash (tens of ms); without it a disabled account took a fifth.
    assert disabled > 0.6 * missing, (disabled, missing)
