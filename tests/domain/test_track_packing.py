"""A patrol track in the change feed, packed (version 2: zigzag varints of the columns'
differences, deflated, base64) and read back exactly; entries written before it (version 1,
the JSON columns) still read; damaged or foreign forms refused clearly; the laptop applies both
kinds of entry. Sizes printed (``-s``): bytes a point before and after."""

from __future__ import annotations

import base64
import json
import math
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.domain.contract import FeedKind
from app.domain.ids import new_id
from app.domain.tracks import (
    PACKED_VERSION,
    WirePoint,
    encode_points,
    feed_points,
    pack_points,
    wire_point,
)
from app.storage import LocalStore
from app.storage.ledger import SyncLedger
from app.storage.tracks import track_points

START = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)


def walk(n: int) -> list[WirePoint]:
    """A walk at 1.3 m/s, a fix every 5 s (jittered), accuracy 3–6.5 m, a pause (segment)."""
    points = []
    lat, lon = 28.30, 117.21
    for i in range(n):
        heading = math.sin(i / 40) * 2
        lat += 6.5 * math.cos(heading) / 111_320
        lon += 6.5 * math.sin(heading) / 111_320 / math.cos(math.radians(lat))
        at = START + timedelta(seconds=5 * i + (i * 37 % 10) / 50)
        points.append(wire_point(lat, lon, at, (3.0, 4.0, 5.0, 6.5)[i % 4], i // (n // 3 or 1)))
    return points


def size(payload: Any) -> int:
    return len(json.dumps(payload, separators=(",", ":")))


def test_packed_points_read_back_exactly_and_are_a_few_bytes_each() -> None:
    points = walk(5760)  # 8 hours at a fix every 5 s
    packed = pack_points(points)
    assert packed["v"] == PACKED_VERSION == 2 and packed["n"] == len(points)
    assert feed_points(packed) == points
    before, after = size(encode_points(points)) / len(points), size(packed) / len(points)
    print(
        f"\ntrack feed entry: {before:.2f} B a point (v1 JSON columns) -> {after:.2f} (v2 packed)"
    )
    assert after < before / 2.5
    # Extremes survive: both hemispheres, no accuracy, a first point far from zero, none at all.
    odd = [
        WirePoint(-89_999_999, 179_999_999, 2**52, None, 0),
        WirePoint(89_999_999, -179_999_999, 0, 0, 999_999),
        WirePoint(0, 0, 1, 12_345, 3),
    ]
    assert feed_points(pack_points(odd)) == odd
    assert feed_points(pack_points([])) == []


def test_entries_already_in_feeds_read_as_before() -> None:
    points = walk(300)
    assert feed_points(encode_points(points)) == points


def packed_with(raw: bytes, n: int) -> dict[str, Any]:
    return {"v": 2, "n": n, "data": base64.b64encode(zlib.compress(raw)).decode()}


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ([1, 2, 3], "an object"),
        ({"v": 3, "n": 1, "data": ""}, "unknown version 3"),
        ({"v": 2, "data": ""}, "point count"),
        ({"v": 2, "n": -1, "data": ""}, "point count"),
        ({"v": 2, "n": 1}, "their data"),
        ({"v": 2, "n": 1, "data": "!!!"}, "do not decode"),
        ({"v": 2, "n": 1, "data": base64.b64encode(b"not zlib").decode()}, "do not decode"),
        (packed_with(bytes([2, 2, 2, 2]), 1), "do not match their count"),  # 4 values of 5
        (packed_with(bytes([2] * 6), 1), "do not match their count"),  # 6 values of 5
        (packed_with(bytes([0x80] * 5), 1), "do not match their count"),  # a cut varint
        (packed_with(bytes([0xFF] * 12 + [1]), 1), "too long"),
        (packed_with(bytes(1_000_000), 1), "longer than their count"),  # a bomb stays small
        ({"lat": [1], "lon": [1]}, "columns"),
    ],
)
def test_damaged_or_foreign_forms_are_refused_clearly(value: Any, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        feed_points(value)


def test_the_laptop_applies_tracks_of_both_versions(store: LocalStore) -> None:
    points = walk(240)
    user_id = new_id()
    entries = []
    for seq, encoded in enumerate((encode_points(points), pack_points(points)), start=1):
        track_id = new_id()
        entries.append(
            {
                "seq": seq,
                "kind": FeedKind.TRACK.value,
                "entity_id": track_id,
                "at": START.isoformat(),
                "payload": {
                    "id": track_id,
                    "author_id": user_id,
                    "author_name": "张三",
                    "started_at": START.isoformat(),
                    "ended_at": points[-1].time.isoformat(),
                    "distance_m": 1500.0,
                    "point_count": len(points),
                    "points": encoded,
                },
            }
        )
    result = SyncLedger(store).apply_feed(entries, 2, "office")
    assert result.applied == 2 and not result.skipped
    for entry in entries:
        kept = track_points(store, entry["entity_id"])
        assert [wire_point(p.lat, p.lon, p.time, p.accuracy_m, p.segment) for p in kept] == points
