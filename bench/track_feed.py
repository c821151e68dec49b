"""Bytes a point of a patrol track in the change feed: the packed form (version 2,
``app.domain.tracks.pack_points``) against the delta-encoded JSON columns entries held before
(version 1, ``encode_points``), measured in the same run.

Run from the project root::

    .venv/bin/python bench/track_feed.py [--hours 8] [--every 5] [--samples ../shared/samples/nmea]

Tracks measured: an inspector's day on foot (``--hours`` of walking at 1.3 m/s with a fix every
``--every`` seconds, accuracy 3–6.5 m, times with receiver jitter — the coverage benchmark's
scenario), and every real receiver log of the shared samples with at least 50 fixes (decoded
with ``app.capture.nmea``). Printed per track: points, bytes a point of the JSON payload in
each form, the ratio, and the time to pack and to read it back (``feed_points``, which also
reads version 1). Every packed track is checked to read back to exactly its points.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.capture.nmea import decode_file  # noqa: E402
from app.domain.tracks import (  # noqa: E402
    WirePoint,
    encode_points,
    feed_points,
    pack_points,
    wire_point,
)

SAMPLES = ROOT.parent / "shared" / "samples" / "nmea"


def walk(hours: float, every_s: float, seed: int = 7) -> list[WirePoint]:
    rng = random.Random(seed)
    lat, lon, heading = 28.30, 117.21, 0.0
    start = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
    points = []
    for i in range(int(hours * 3600 / every_s)):
        heading += rng.gauss(0, 0.3)
        step = 1.3 * every_s
        lat += step * math.cos(heading) / 111_320
        lon += step * math.sin(heading) / 111_320 / math.cos(math.radians(lat))
        at = start + timedelta(seconds=i * every_s + rng.random() * 0.2)
        points.append(wire_point(lat, lon, at, rng.choice((3.0, 4.0, 5.0, 6.5)), 0))
    return points


def from_log(path: Path) -> list[WirePoint]:
    fixes = [f for f in decode_file(path).fixes if f.time is not None]
    return [wire_point(f.lat, f.lon, f.time, f.accuracy_m, 0) for f in fixes if f.time]


def size(payload: object) -> int:
    return len(json.dumps(payload, separators=(",", ":")).encode())


def measure(name: str, points: Sequence[WirePoint]) -> tuple[int, int, int]:
    v1 = size(encode_points(points))
    begun = time.perf_counter()
    packed = pack_points(points)
    pack_ms = (time.perf_counter() - begun) * 1000
    v2 = size(packed)
    begun = time.perf_counter()
    back = feed_points(packed)
    read_ms = (time.perf_counter() - begun) * 1000
    if back != list(points) or feed_points(encode_points(points)) != list(points):
        raise SystemExit(f"{name}: the packed points do not read back exactly")
    n = len(points)
    print(
        f"{name:<36} {n:>7,} {v1 / n:>8.2f} {v2 / n:>8.2f} {v1 / v2:>6.2f}x "
        f"{pack_ms:>8.1f} {read_ms:>8.1f}"
    )
    return n, v1, v2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--every", type=float, default=5.0, help="seconds between fixes")
    parser.add_argument("--samples", type=Path, default=SAMPLES)
    args = parser.parse_args(argv)
    print("Patrol tracks in the change feed: bytes a point, JSON columns (v1) vs packed (v2)")
    print(
        f"{'track':<36} {'points':>7} {'v1 B/pt':>8} {'v2 B/pt':>8} {'ratio':>7} "
        f"{'pack ms':>8} {'read ms':>8}"
    )
    totals = [measure(f"walk {args.hours:g} h, a fix every {args.every:g} s",
                      walk(args.hours, args.every))]  # fmt: skip
    for log in sorted(args.samples.glob("*.log")) if args.samples.is_dir() else []:
        points = from_log(log)
        if len(points) >= 50:
            totals.append(measure(log.name, points))
    n = sum(t[0] for t in totals)
    v1 = sum(t[1] for t in totals)
    v2 = sum(t[2] for t in totals)
    print(f"{'all':<36} {n:>7,} {v1 / n:>8.2f} {v2 / n:>8.2f} {v1 / v2:>6.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
