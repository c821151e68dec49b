"""When the app syncs by itself: back online, after saving, on a timer, and how it backs off."""

from __future__ import annotations

import random
from pathlib import Path

from helpers import ServerProcess

from app.sync.backoff import Backoff
from app.sync.errors import ErrorKind
from app.sync.scheduler import AutoSync, probe


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def auto(clock: Clock) -> AutoSync:
    return AutoSync(
        interval_s=300,
        debounce_s=10,
        backoff=Backoff(base_s=5, cap_s=600, rng=random.Random(3)),
        clock=clock,
    )


def test_coming_back_online_syncs_at_once_and_then_on_the_interval() -> None:
    clock = Clock()
    rules = auto(clock)
    assert not rules.due()  # offline
    assert rules.reachable(True)  # back online: go
    rules.started()
    assert not rules.due() and not rules.sync_now()  # never two at once
    rules.finished(ok=True, error_kind=None)
    assert not rules.reachable(True)  # still online: nothing new
    clock.now += 299
    assert not rules.due()
    clock.now += 1
    assert rules.due()


def test_a_local_change_syncs_soon_and_a_burst_goes_together() -> None:
    clock = Clock()
    rules = auto(clock)
    rules.reachable(True)
    rules.started()
    rules.finished(ok=True, error_kind=None)
    rules.changed_locally()
    clock.now += 5
    rules.changed_locally()  # does not push the sync further away
    assert not rules.due()
    clock.now += 5
    assert rules.due()


def test_retryable_failures_back_off_with_jitter_and_offline_waits_for_the_probe() -> None:
    clock = Clock()
    rules = auto(clock)
    rules.reachable(True)
    waits = []
    for _ in range(8):
        rules.started()
        rules.finished(ok=False, error_kind=ErrorKind.RETRYABLE)
        waits.append(rules.next_at - clock.now)
        rules.online = True
        clock.now = rules.next_at
    ceilings = [min(600, 5 * 2**n) for n in range(1, 9)]
    assert all(0 <= w <= c for w, c in zip(waits, ceilings, strict=True))
    assert len(set(waits)) == len(waits)  # jittered, not in lockstep with other laptops
    assert max(waits[-3:]) > 60  # it really backs off
    rules.started()
    rules.finished(ok=False, error_kind=ErrorKind.RETRYABLE)
    assert not rules.online and not rules.due()  # until a probe says the server is back
    assert rules.reachable(True)
    rules.started()
    rules.finished(ok=True, error_kind=None)
    assert rules.failures == 0


def test_an_expired_session_waits_for_sign_in() -> None:
    clock = Clock()
    rules = auto(clock)
    rules.reachable(True)
    rules.started()
    rules.finished(ok=False, error_kind=ErrorKind.AUTH)
    clock.now += 10_000
    assert not rules.due()
    assert rules.sync_now()  # the user may still try
    rules.signed_in()
    assert rules.due()


def test_the_probe_tells_a_live_server_from_a_dead_one(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "server")
    try:
        assert probe(server.url)
    finally:
        server.stop()
    assert not probe(server.url)
    assert not probe("http://127.0.0.1:9")
