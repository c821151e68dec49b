"""Repeated failed sign-ins are slowed down per account, across requests and workers (state in the DB)."""

from __future__ import annotations

import time

import httpx
from helpers import ServerProcess


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
