"""Distances on the earth and the speed above which a fix is a receiver's jump, shared by the
domain's coverage and key sites (the domain does not import app.capture)."""

from __future__ import annotations

import math

#: The mean earth radius (IUGG), as app.capture.positions uses.
EARTH_RADIUS_M = 6_371_008.8
#: Faster than this between two points is a receiver jump, not an inspector (≈ 144 km/h).
MAX_PLAUSIBLE_SPEED_MPS = 40.0


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(a, 1.0)))
