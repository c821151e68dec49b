"""WGS84 ⇄ GCJ-02, the obfuscated datum of Chinese commercial basemaps (AMap, Tencent).

Positions stay WGS84 in the store and on the wire; a GCJ-02 basemap only shifts what is drawn,
and a position picked on one is converted back before it is stored.

Why our own code and not a PyPI package: the candidates (``eviltransform`` 2018,
``coord-convert`` 2019, ``prcoords`` 2019, CC0) are unmaintained, untyped, Python-2-era single
files, ``prcoords`` ships as an sdist only. The forward transform is the widely published
formula (identical in all of them; tests check the published reference pairs of eviltransform);
the inverse has no closed form, so it is solved by fixed-point iteration (as prcoords'
"bored" inverse does) until the forward image of the answer is within 1e-9° (~0.1 mm) of the
input — far inside the 0.5 m the product asks for.
"""

from __future__ import annotations

import math
from enum import StrEnum

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the formula uses it
_EE = 0.00669342162296594323  # its first eccentricity squared


class Datum(StrEnum):
    """The datum a basemap's tiles are drawn in."""

    WGS84 = "wgs84"  # also CGCS2000 (天地图, government GIS): the same to within centimetres
    GCJ02 = "gcj02"  # AMap, Tencent (国测局坐标)


def out_of_china(lat: float, lon: float) -> bool:
    """Outside the rough box where GCJ-02 applies (the published formula does not shift there)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def _delta(lat: float, lon: float) -> tuple[float, float]:
    d_lat = _transform_lat(lon - 105.0, lat - 35.0)
    d_lon = _transform_lon(lon - 105.0, lat - 35.0)
    rad_lat = math.radians(lat)
    magic = 1 - _EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return d_lat, d_lon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """The GCJ-02 ``(lat, lon)`` of a WGS84 position (unchanged outside China)."""
    if out_of_china(lat, lon):
        return lat, lon
    d_lat, d_lon = _delta(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float, *, tolerance_deg: float = 1e-9) -> tuple[float, float]:
    """The WGS84 ``(lat, lon)`` whose GCJ-02 image is the given position.

    Fixed-point iteration from the one-step estimate: the offset varies slowly (a few metres
    per kilometre), so each round gains about three orders of magnitude; 2–4 rounds suffice.
    """
    if out_of_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(30):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        e_lat, e_lon = g_lat - lat, g_lon - lon
        if abs(e_lat) < tolerance_deg and abs(e_lon) < tolerance_deg:
            break
        w_lat -= e_lat
        w_lon -= e_lon
    return w_lat, w_lon


def to_display(datum: Datum, lat: float, lon: float) -> tuple[float, float]:
    """Where a WGS84 position is drawn on a basemap of ``datum``."""
    return wgs84_to_gcj02(lat, lon) if datum is Datum.GCJ02 else (lat, lon)


def from_display(datum: Datum, lat: float, lon: float) -> tuple[float, float]:
    """The WGS84 position of a point picked on a basemap of ``datum``."""
    return gcj02_to_wgs84(lat, lon) if datum is Datum.GCJ02 else (lat, lon)
