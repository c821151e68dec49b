"""When to sync: the rules, without any timer or thread of their own.

The GUI drives an :class:`AutoSync` from its timer and its network-change signal and runs the
cycle itself (in its network lane); the rules here decide *whether now*:

* the server just became reachable (the health probe, or the OS saying the network is back)
  → sync now;
* a local change was saved → sync soon (after ``debounce_s``, so a burst of edits goes together);
* otherwise every ``interval_s`` while online;
* after a retryable failure, wait with exponential backoff and full jitter before trying again;
* after an authentication failure, wait for the user to sign in again (no hammering);
* "sync now" always syncs (unless one is running).
"""

from __future__ import annotations

import math
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from app.sync.backoff import Backoff
from app.sync.errors import ErrorKind

PROBE_TIMEOUT_S = 3.0


def probe(
    server_url: str, timeout: float = PROBE_TIMEOUT_S, verify: ssl.SSLContext | bool = True
) -> bool:
    """Whether the server answers its health check (quickly: never blocks for long);
    ``verify``: the certificates to trust (a city's CA, app.sync.connection)."""
    import httpx  # here, not at the top: the window's first screen does not need it (start-up)

    try:
        response = httpx.get(f"{server_url.rstrip('/')}/healthz", timeout=timeout, verify=verify)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


@dataclass
class AutoSync:
    interval_s: float = 300.0
    debounce_s: float = 10.0
    backoff: Backoff = field(default_factory=lambda: Backoff(base_s=5.0, cap_s=600.0))
    clock: Callable[[], float] = time.monotonic
    online: bool = False
    running: bool = False
    failures: int = 0
    waiting_for_sign_in: bool = False
    next_at: float = math.inf

    def reachable(self, up: bool) -> bool:
        """A probe or the OS reported the network; True when a sync should start now."""
        was = self.online
        self.online = up
        if not up:
            return False
        if not was:
            self.next_at = self.clock()  # back online: whatever waited goes now
        return self.due()

    def changed_locally(self) -> None:
        """Something was saved: sync soon, unless a sync is due sooner anyway."""
        self.next_at = min(self.next_at, self.clock() + self.debounce_s)

    def signed_in(self) -> None:
        self.waiting_for_sign_in = False
        self.failures = 0
        self.next_at = self.clock()

    def due(self) -> bool:
        """Whether a timer tick should start a sync now."""
        return (
            self.online
            and not self.running
            and not self.waiting_for_sign_in
            and self.clock() >= self.next_at
        )

    def sync_now(self) -> bool:
        """The user asked: always, unless a sync is already running."""
        return not self.running

    def started(self) -> None:
        self.running = True

    def finished(
        self, ok: bool, error_kind: ErrorKind | None, retry_after: float | None = None
    ) -> None:
        """A cycle ended; plan the next one (no sooner than the server's ``Retry-After``)."""
        self.running = False
        now = self.clock()
        if ok or error_kind is None:
            self.failures = 0
            self.next_at = now + self.interval_s
        elif error_kind is ErrorKind.AUTH:
            self.waiting_for_sign_in = True
            self.next_at = math.inf
        elif error_kind is ErrorKind.RETRYABLE:
            self.failures += 1
            self.next_at = now + self.backoff.wait(self.failures, retry_after)
            if self.failures >= 2:
                self.online = False  # let the next probe say when it is back
        else:
            self.failures = 0
            self.next_at = now + self.interval_s
