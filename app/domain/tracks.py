"""Patrol tracks on the wire, shared by the client and the server.

A stopped track travels as a header (``PUT /api/v1/tracks/{id}``: times, length, how many
points) and then its points in batches (``POST /api/v1/tracks/{id}/points``), each batch
numbered by the index of its first point in the track's time order. The server keeps each
point once by ``(track, index)`` and answers how many consecutive points it holds
(``received``), so a cut anywhere is resumed from the server's count and no point is ever
stored twice. A batch has a deterministic id (:func:`batch_id`): a resend of the same batch is
a harmless duplicate, the same id with other points a conflict.

Points are compact: ``[lat_e6, lon_e6, t_ms, accuracy_dm, segment]`` — micro-degrees
(about 0.1 m), Unix milliseconds, decimetres (or None), and the segment (pauses are never
bridged). The change feed carries a whole track to supervisors packed (:func:`pack_points`,
version 2: the columns' differences as zigzag varints, deflated, in base64 — about 3 bytes a
point of a walked track); entries already in feeds hold version 1, the delta-encoded JSON
columns of :func:`encode_points` (about 12 bytes a point), and :func:`feed_points` reads both.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import uuid
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: Points per upload batch (about 40 KB of JSON).
BATCH_POINTS = 1000
#: The namespace of batch ids (uuid5 of the track id and the batch's first index and size).
_BATCH_NAMESPACE = uuid.UUID("5d6b0c0e-4a43-4f0b-9d55-2a7d1c1b7e14")


@dataclass(frozen=True, slots=True)
class WirePoint:
    """One track point as it travels: integers only, so it survives JSON exactly."""

    lat_e6: int
    lon_e6: int
    t_ms: int
    accuracy_dm: int | None
    segment: int

    @property
    def lat(self) -> float:
        return self.lat_e6 / 1e6

    @property
    def lon(self) -> float:
        return self.lon_e6 / 1e6

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(self.t_ms / 1000, UTC)

    @property
    def accuracy_m(self) -> float | None:
        return None if self.accuracy_dm is None else self.accuracy_dm / 10

    def to_json(self) -> list[int | None]:
        return [self.lat_e6, self.lon_e6, self.t_ms, self.accuracy_dm, self.segment]


def wire_point(
    lat: float, lon: float, at: datetime, accuracy_m: float | None, segment: int
) -> WirePoint:
    return WirePoint(
        round(lat * 1e6),
        round(lon * 1e6),
        round(at.timestamp() * 1000),
        None if accuracy_m is None else round(accuracy_m * 10),
        segment,
    )


def parse_point(value: Any) -> WirePoint:
    """A point from its JSON list; ValueError when it is not one."""
    if not isinstance(value, list) or len(value) != 5:
        raise ValueError("a track point is [lat_e6, lon_e6, t_ms, accuracy_dm, segment]")
    lat, lon, t, acc, seg = value
    for v in (lat, lon, t, seg):
        if not isinstance(v, int) or isinstance(v, bool):
            raise ValueError("track point values are integers")
    if acc is not None and (not isinstance(acc, int) or isinstance(acc, bool) or acc < 0):
        raise ValueError("a track point's accuracy is a non-negative integer or null")
    if not (-90_000_000 <= lat <= 90_000_000 and -180_000_000 <= lon <= 180_000_000):
        raise ValueError("a track point lies outside latitude ±90°, longitude ±180°")
    if not (0 <= seg < 1_000_000) or not (0 <= t < 2**53):
        raise ValueError("a track point's time or segment is out of range")
    return WirePoint(lat, lon, t, acc, seg)


def batch_id(track_id: str, first: int, count: int) -> str:
    """The id of the batch of ``count`` points starting at index ``first`` of a track."""
    return str(uuid.uuid5(_BATCH_NAMESPACE, f"{track_id}:{first}:{count}"))


def batch_digest(points: Sequence[WirePoint]) -> str:
    """SHA-256 of a batch's points: the same id with other points is a conflict."""
    text = json.dumps([p.to_json() for p in points], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def encode_points(points: Sequence[WirePoint]) -> dict[str, list[int]]:
    """Delta-encode points (the feed's compact form): each column holds the first value and
    then differences, which are small numbers along a track. Accuracy -1 stands for None."""
    columns: dict[str, list[int]] = {"lat": [], "lon": [], "t": [], "acc": [], "seg": []}
    prev = (0, 0, 0, 0, 0)
    for p in points:
        row = (
            p.lat_e6,
            p.lon_e6,
            p.t_ms,
            -1 if p.accuracy_dm is None else p.accuracy_dm,
            p.segment,
        )
        for key, value, before in zip(columns, row, prev, strict=True):
            columns[key].append(value - before)
        prev = row
    return columns


def decode_points(columns: dict[str, list[int]]) -> list[WirePoint]:
    """The inverse of :func:`encode_points`; ValueError when the columns do not fit."""
    keys = ("lat", "lon", "t", "acc", "seg")
    lists = [columns.get(k) for k in keys]
    if any(not isinstance(c, list) for c in lists):
        raise ValueError("encoded track points need lat, lon, t, acc and seg columns")
    cols: list[list[int]] = [c for c in lists if isinstance(c, list)]
    if len({len(c) for c in cols}) != 1:
        raise ValueError("encoded track columns differ in length")
    out: list[WirePoint] = []
    lat = lon = t = acc = seg = 0
    for dlat, dlon, dt, dacc, dseg in zip(*cols, strict=True):
        lat, lon, t, acc, seg = lat + dlat, lon + dlon, t + dt, acc + dacc, seg + dseg
        out.append(WirePoint(lat, lon, t, None if acc < 0 else acc, seg))
    return out


#: The version of :func:`pack_points`' form (version 1: :func:`encode_points`' JSON columns).
PACKED_VERSION = 2
_COLUMNS = 5
#: A varint of a 64-bit value takes at most 10 bytes (a bound for inflating, against bombs).
_VARINT_MAX = 10


def _zigzag(n: int) -> int:
    return n << 1 if n >= 0 else ((-n) << 1) - 1


def _unzigzag(z: int) -> int:
    return z >> 1 if not z & 1 else -((z + 1) >> 1)


def _varints(values: Sequence[int], out: bytearray) -> None:
    for value in values:
        z = _zigzag(value)
        while z >= 0x80:
            out.append((z & 0x7F) | 0x80)
            z >>= 7
        out.append(z)


def pack_points(points: Sequence[WirePoint]) -> dict[str, Any]:
    """The feed's compact form of a track's points (version 2):
    ``{"v": 2, "n": count, "data": base64}`` where ``data`` is deflate (zlib) of the five
    columns of :func:`encode_points` one after the other (every latitude difference, then every
    longitude difference, time, accuracy, segment), each value a zigzag LEB128 varint. Along a
    track the differences are small and regular (a fix every few seconds), so a point takes a
    few bytes instead of the ~12 of the JSON columns."""
    columns = encode_points(points)
    raw = bytearray()
    for values in columns.values():
        _varints(values, raw)
    data = base64.b64encode(zlib.compress(bytes(raw), 9)).decode("ascii")
    return {"v": PACKED_VERSION, "n": len(points), "data": data}


def unpack_points(packed: dict[str, Any]) -> list[WirePoint]:
    """The inverse of :func:`pack_points`; ValueError when it is not such a form."""
    count = packed.get("n")
    data = packed.get("data")
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise ValueError("packed track points need a point count n")
    if not isinstance(data, str):
        raise ValueError("packed track points need their data")
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.b64decode(data, validate=True), count * _COLUMNS * 10 + 1)
    except (binascii.Error, zlib.error) as exc:
        raise ValueError(f"packed track points do not decode: {exc}") from exc
    if inflater.unconsumed_tail or not inflater.eof:
        raise ValueError("packed track points are longer than their count")
    values: list[int] = []
    z = shift = 0
    for byte in raw:
        z |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
            if shift > 7 * (_VARINT_MAX - 1):
                raise ValueError("a packed track value is too long")
            continue
        values.append(_unzigzag(z))
        z = shift = 0
    if shift or len(values) != count * _COLUMNS:
        raise ValueError("packed track points do not match their count")
    keys = ("lat", "lon", "t", "acc", "seg")
    return decode_points({k: values[i * count : (i + 1) * count] for i, k in enumerate(keys)})


def feed_points(value: Any) -> list[WirePoint]:
    """A track's points as a feed entry carries them: packed (version 2, :func:`pack_points`)
    or, in entries written before it, the JSON columns of :func:`encode_points`."""
    if not isinstance(value, dict):
        raise ValueError("a track's points are an object")
    if "v" in value:
        if value["v"] != PACKED_VERSION:
            raise ValueError(f"track points of an unknown version {value['v']!r}")
        return unpack_points(value)
    return decode_points(value)
