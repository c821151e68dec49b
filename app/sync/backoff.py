"""Exponential backoff with full jitter (the AWS architecture blog's "full jitter").

``delay(n)`` for the n-th consecutive failure is uniform in ``[0, min(cap, base * 2**n)]``: many
laptops coming back online at once spread out instead of hitting the server together.

A server that is throttling (429) or overloaded (503) may say how long to wait with
``Retry-After``: :meth:`Backoff.wait` never waits less than that (capped at :data:`MAX_RETRY_AFTER_S`
so a wrong header cannot park the laptop for days) — trying earlier only earns another refusal.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

#: The longest ``Retry-After`` honoured, in seconds.
MAX_RETRY_AFTER_S = 3600.0


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(value), MAX_RETRY_AFTER_S)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


@dataclass
class Backoff:
    base_s: float = 1.0
    cap_s: float = 300.0
    rng: random.Random = field(default_factory=random.Random)

    def ceiling(self, failures: int) -> float:
        return min(self.cap_s, self.base_s * 2.0 ** min(failures, 30))

    def delay(self, failures: int) -> float:
        return float(self.rng.uniform(0.0, self.ceiling(failures)))

    def wait(self, failures: int, retry_after: float | None = None) -> float:
        """The jittered delay, but never less than the server's ``Retry-After``."""
        jittered = self.delay(failures)
        return jittered if retry_after is None else max(jittered, retry_after)
