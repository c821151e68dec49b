"""Exponential backoff with full jitter (the AWS architecture blog's "full jitter").

``delay(n)`` for the n-th consecutive failure is uniform in ``[0, min(cap, base * 2**n)]``: many
laptops coming back online at once spread out instead of hitting the server together.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    base_s: float = 1.0
    cap_s: float = 300.0
    rng: random.Random = field(default_factory=random.Random)

    def ceiling(self, failures: int) -> float:
        return min(self.cap_s, self.base_s * 2.0 ** min(failures, 30))

    def delay(self, failures: int) -> float:
        return float(self.rng.uniform(0.0, self.ceiling(failures)))
