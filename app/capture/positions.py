"""The position model: where a piece of evidence was taken, how well that is known, and from where.

A :class:`Fix` is one WGS84 position with its accuracy, time and source. The rules here decide
what the app does with a new position: whether it is too poor to trust without a warning
(:func:`is_poor`) and whether it may replace the position a case already has
(:func:`should_replace`). Pure Python: no Qt, no database.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: Horizontal accuracy (metres) worse than this makes a position "poor": the inspector is
#: warned and may pick the spot on the map instead. 20 m is about the width of a city street
#: plus its pavements, the scale at which a wrong position sends a department to the wrong
#: manhole cover or street light.
DEFAULT_POOR_ACCURACY_M = 20.0

#: Mean radius of the WGS84 ellipsoid, (2a + b) / 3, in metres (the IUGG mean Earth radius).
EARTH_MEAN_RADIUS_M = 6371008.8


class PositionSource(enum.StrEnum):
    """Where a position came from."""

    GPS = "gps"  # a GNSS receiver (USB puck, serial module) read through NMEA
    OS = "os"  # the operating system's location service
    PHOTO = "photo"  # the GPS tags of a photo (EXIF)
    MANUAL = "manual"  # typed in by the user or picked on the map
    TRACK = "track"  # interpolated from a recorded patrol track


class FixQuality(enum.StrEnum):
    """What kind of solution the position is, as far as the source tells."""

    NONE = "none"  # no fix
    GPS = "gps"  # autonomous GNSS fix
    DGPS = "dgps"  # differentially corrected (SBAS, beacon, NMEA mode D or P)
    RTK_FIXED = "rtk_fixed"  # real-time kinematic, integer ambiguities fixed (cm level)
    RTK_FLOAT = "rtk_float"  # real-time kinematic, float solution (dm level)
    ESTIMATED = "estimated"  # dead reckoning or interpolation
    MANUAL = "manual"  # entered by a person (or a receiver in manual/surveyed mode)
    UNKNOWN = "unknown"  # the source did not say


@dataclass(frozen=True, slots=True)
class Fix:
    """One WGS84 position.

    ``accuracy_m`` is the horizontal accuracy in metres (about one standard deviation of the
    position error), None when unknown. ``altitude_m`` is above mean sea level. ``time`` is a
    timezone-aware UTC datetime, None when the source gave no date (a receiver reports a fix
    before it has seen a date). ``mode`` is 2 for a 2D fix, 3 for a 3D fix.
    """

    lat: float
    lon: float
    accuracy_m: float | None
    altitude_m: float | None
    time: datetime | None
    quality: FixQuality
    source: PositionSource
    mode: int
    hdop: float | None = None
    satellites: int | None = None
    speed_mps: float | None = None
    course_deg: float | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: enums as their values, ``time`` as ISO 8601 with its UTC offset."""
        return {
            "lat": self.lat,
            "lon": self.lon,
            "accuracy_m": self.accuracy_m,
            "altitude_m": self.altitude_m,
            "time": self.time.isoformat() if self.time is not None else None,
            "quality": self.quality.value,
            "source": self.source.value,
            "mode": self.mode,
            "hdop": self.hdop,
            "satellites": self.satellites,
            "speed_mps": self.speed_mps,
            "course_deg": self.course_deg,
        }


def is_poor(
    fix_or_accuracy: Fix | float | None, threshold_m: float = DEFAULT_POOR_ACCURACY_M
) -> bool:
    """True when the horizontal accuracy is worse than ``threshold_m`` metres.

    Takes a :class:`Fix` or an accuracy in metres. An unknown accuracy (None, NaN) counts as
    poor: a position nobody vouches for must not pass as a good one.
    """
    accuracy = fix_or_accuracy.accuracy_m if isinstance(fix_or_accuracy, Fix) else fix_or_accuracy
    if accuracy is None or not math.isfinite(accuracy):
        return True
    return accuracy > threshold_m


def should_replace(
    current: Fix | None, candidate: Fix, threshold_m: float = DEFAULT_POOR_ACCURACY_M
) -> bool:
    """Whether ``candidate`` may take the place of the ``current`` position of a case.

    - A manual candidate always replaces: the user chose it, on purpose.
    - An automatic candidate (receiver, OS, photo, track) never silently replaces a MANUAL
      position, nor a position whose accuracy is better than its own. An unknown accuracy is
      the worst of all; on equal accuracy the newer reading wins.
    - An automatic candidate fills an empty position even when it is poor (better than none;
      the UI flags it with :func:`is_poor` against ``threshold_m``).
    - A candidate without finite coordinates never replaces anything.

    So a poor candidate (worse than ``threshold_m``) can never displace a position that is not
    poor, and a candidate within ``threshold_m`` always displaces an automatic poor one.
    """
    if not (math.isfinite(candidate.lat) and math.isfinite(candidate.lon)):
        return False
    if candidate.source is PositionSource.MANUAL:
        return True
    if current is None:
        return True
    if current.source is PositionSource.MANUAL:
        return False
    if is_poor(current, threshold_m) and not is_poor(candidate, threshold_m):
        return True
    return _accuracy_rank(candidate) <= _accuracy_rank(current)


def _accuracy_rank(fix: Fix) -> float:
    """Smaller is better; an unknown accuracy ranks after every known one."""
    accuracy = fix.accuracy_m
    if accuracy is None or not math.isfinite(accuracy):
        return math.inf
    return accuracy


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points, on the mean-radius sphere.

    Good to about 0.5 % (the ellipsoid's flattening), far below GNSS accuracy at city scale.
    """
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    # min() guards asin against 1.0000000000000002 from rounding at antipodes
    return 2 * EARTH_MEAN_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
