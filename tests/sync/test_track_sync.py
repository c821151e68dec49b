"""Patrol tracks through the sync: a real server, real stores, and a proxy that cuts the
track uploads on purpose. Whatever is cut, the server ends with exactly each track's points —
none lost, none twice — and a supervisor's laptop gets every track through its feed."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from faultproxy import Fault, FaultProxy
from helpers import ServerProcess
from sync_helpers import signed_in

from app.capture.positions import Fix, FixQuality, PositionSource
from app.domain.tracks import WirePoint
from app.storage import LocalStore
from app.storage.ledger import SyncLedger
from app.storage.track_sync import wire_points
from app.sync.backoff import Backoff
from app.sync.engine import SyncEngine, SyncOptions
from app.sync.session import sign_in

TRACKS = 16
POINTS = 800  # per track: 12,800 points, about 570 KB on the wire in batches of 50
T0 = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


def walk(index: int, n: int = POINTS) -> list[Fix]:
    """A walk through the centre of 贵溪 at 1.4 m/s, a fix every 5 s (each kept: 7 m apart)."""
    rng = random.Random(index)
    lat, lon = 28.295 + index * 1e-3, 117.205
    fixes = []
    start = T0 + timedelta(days=index)
    for i in range(n):
        lat += 4.5e-5 + rng.uniform(-1e-5, 1e-5)
        lon += 4.0e-5 + rng.uniform(-1e-5, 1e-5)
        fixes.append(
            Fix(lat, lon, 4.0, None, start + timedelta(seconds=5 * i), FixQuality.GPS,
                PositionSource.GPS, 3)
        )  # fmt: skip
    return fixes


def options(attempts: int = 3) -> SyncOptions:
    return SyncOptions(
        attempts=attempts,
        backoff=Backoff(base_s=0.01, cap_s=0.05),
        timeout=httpx.Timeout(2.0, connect=2.0),
        track_batch=50,
    )


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server", "--demo")
    yield process
    process.stop()


def server_points(server: ServerProcess, track_id: str) -> list[WirePoint]:
    db = sqlite3.connect(server.data_dir / "server.db")
    try:
        rows = db.execute(
            "SELECT lat_e6, lon_e6, t_ms, accuracy_dm, segment FROM track_points "
            "WHERE track_id = ? ORDER BY idx",
            (track_id,),
        ).fetchall()
        received = db.execute(
            "SELECT received, point_count FROM tracks WHERE id = ?", (track_id,)
        ).fetchone()
    finally:
        db.close()
    assert received is not None and received[0] == received[1] == len(rows)
    return [WirePoint(*row) for row in rows]


def random_fault(rng: random.Random) -> Fault:
    kind = rng.choices(["cut", "reset", "stall"], weights=[12, 6, 1])[0]
    if rng.random() < 0.25:
        return Fault(kind, rng.randrange(0, 1500), "down")  # the answer is lost
    return Fault(kind, rng.randrange(0, 8000), "up")


def test_track_uploads_cut_a_hundred_times_lose_and_duplicate_no_point(
    own_server: ServerProcess, tmp_path: Path
) -> None:
    with FaultProxy(own_server.port) as proxy:
        store = LocalStore(tmp_path / "laptop")
        sign_in(store, proxy.url, "demo", "demo")
        ids = [store.import_track(walk(i)).id for i in range(TRACKS)]
        rng = random.Random(20261206)
        deadline = time.monotonic() + 300
        while len(proxy.fired) < 100:
            assert time.monotonic() < deadline, f"only {len(proxy.fired)} faults fired"
            if proxy.queued < 5:
                proxy.add_faults(*(random_fault(rng) for _ in range(20)))
            SyncEngine(store, options()).run()
        # Every fault hit the track uploads: tracks were still on their way after the 100th.
        left = SyncLedger(store).summary().pending_tracks
        print(f"{len(proxy.fired)} faults fired; {left} of {TRACKS} tracks still on their way")
        assert left > 0
        proxy.clear_faults()
        fired = list(proxy.fired)
        assert {f.kind for f in fired} == {"cut", "reset", "stall"}
        assert {f.direction for f in fired} == {"up", "down"}
        for _ in range(5):
            if SyncEngine(store, options()).run().ok:
                break
        summary = SyncLedger(store).summary()
        assert summary.idle and summary.failed_tracks == 0
        for track_id in ids:
            assert store.track(track_id).delivery == "confirmed"
            local = wire_points(store, track_id, 0, POINTS + 1)
            assert len(local) == POINTS
            assert server_points(own_server, track_id) == local  # none lost, none twice
        store.close()


def test_a_supervisors_laptop_gets_the_tracks_through_its_feed(
    server: ServerProcess, tmp_path: Path
) -> None:
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    track_id = inspector.import_track(walk(3, 120)).id
    assert SyncEngine(inspector, options()).run().ok
    chief = signed_in(tmp_path / "chief", server, "supervisor")
    for _ in range(2):  # applying the feed again changes nothing
        report = SyncEngine(chief, options()).run()
        assert report.ok, report.lines("en")
        row = chief.track(track_id)
        assert row.delivery == "remote" and row.point_count == 120
        # The same points, to the wire's precision (0.1 m, 1 ms, 0.1 m of accuracy).
        assert wire_points(chief, track_id, 0, 500) == wire_points(inspector, track_id, 0, 500)
        SyncLedger(chief).reset_cursor()
    assert track_id in report.changes.tracks
    inspector.close()
    chief.close()
