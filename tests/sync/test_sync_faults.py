"""Sync proven under faults: a real server, a real store, and things going wrong on purpose.

Every test ends the same way (``assert_delivered``): once the faults stop, syncing until idle
leaves the server with exactly the client's 50 cases (no duplicates: one case row and one
submit step each) and its 20 photos (one upload each, every SHA-256 equal), and every local
item confirmed. The photos are real files from ``../shared/samples`` (JPEG and HEIC, 2 KB to
3 MB).
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from faultproxy import Fault, FaultProxy
from helpers import ROOT, ServerProcess
from sync_helpers import sha256, submitted_case

from app.storage import LocalStore
from app.storage.ledger import SyncLedger
from app.sync.backoff import Backoff
from app.sync.credentials import CredentialStore
from app.sync.engine import Progress, SyncEngine, SyncOptions
from app.sync.errors import ErrorKind
from app.sync.session import sign_in

CASES = 50
PHOTOS = (
    *(f"jpg/gps/{name}" for name in ("DSCN0010.jpg", "DSCN0012.jpg", "DSCN0021.jpg", "DSCN0025.jpg", "DSCN0027.jpg", "DSCN0029.jpg", "DSCN0038.jpg", "DSCN0040.jpg", "DSCN0042.jpg")),
    "jpg/mobile/HMD_Nokia_8.3_5G.jpg",
    "jpg/mobile/jolla.jpg",
    "heic/mobile/HMD_Nokia_8.3_5G.heif",
    "heic/mobile/iphone_13_pro_max.HEIC",
    "heic/mobile/HMD_Nokia_8.3_5G_hdr.heif",
    "heic/IMG_5195.HEIC",
    "heic/samplefilehub.heif",
    "jpg/Reconyx_HC500_Hyperfire.jpg",
    "jpg/Samsung_Digimax_i50_MP3.jpg",
    "jpg/Konica_Minolta_DiMAGE_Z3.jpg",
    "jpg/Canon_PowerShot_S40.jpg",
)  # fmt: skip
TIMEOUT = httpx.Timeout(3.0, connect=2.0)
CLIENT_CHUNK = 256 * 1024


def options(chunk: int, attempts: int = 3) -> SyncOptions:
    return SyncOptions(
        chunk_size=chunk,
        attempts=attempts,
        backoff=Backoff(base_s=0.01, cap_s=0.1),
        timeout=TIMEOUT,
        batch_size=20,
    )


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server", "--demo")
    yield process
    process.stop()


@pytest.fixture
def proxy(server: ServerProcess) -> Iterator[FaultProxy]:
    with FaultProxy(server.port) as p:
        yield p


def fill(store: LocalStore, samples: Path) -> None:
    """50 submitted cases; the first 20 with one photo each."""
    assert len(PHOTOS) == 20
    for i in range(CASES):
        case_id = submitted_case(store, f"故障测试案件 {i:02d}：暴露垃圾")
        if i < len(PHOTOS):
            store.attach_photo(case_id, samples / "photos" / PHOTOS[i])


def sync_until_idle(store: LocalStore, opts: SyncOptions, cycles: int = 6) -> None:
    for _ in range(cycles):
        report = SyncEngine(store, opts).run()
        if report.ok:
            return
    raise AssertionError("\n".join(report.lines("en")))


def assert_delivered(server: ServerProcess, store: LocalStore) -> None:
    local_cases = {row.id for row in store.list_cases(limit=1000).rows}
    assert len(local_cases) == CASES
    for row in store.list_cases(limit=1000).rows:
        assert row.delivery == "confirmed" and row.server_revision == 2, row
    db = sqlite3.connect(server.data_dir / "server.db")
    try:
        server_cases = [r[0] for r in db.execute("SELECT id FROM cases")]
        assert sorted(server_cases) == sorted(local_cases)  # exactly these, each once
        submits = db.execute(
            "SELECT case_id, count(*) FROM case_steps WHERE action = 'submit' GROUP BY case_id"
        ).fetchall()
        assert len(submits) == CASES and {n for _, n in submits} == {1}
        photos = dict(
            db.execute("SELECT id, sha256 FROM photos WHERE state = 'complete'").fetchall()
        )
        assert db.execute("SELECT count(*) FROM photos").fetchone()[0] == len(PHOTOS)
    finally:
        db.close()
    token = httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": "demo", "password": "demo"}
    ).json()["token"]
    local_photos = [p for case_id in local_cases for p in store.photos(case_id)]
    assert len(local_photos) == len(PHOTOS)
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as http:
        for photo in local_photos:
            assert photos[photo.id] == photo.sha256
            body = http.get(f"/api/v1/photos/{photo.id}").content
            assert sha256(body) == photo.sha256  # the bytes themselves, not just the record
            assert photo.delivery == "confirmed"
    summary = SyncLedger(store).summary()
    assert (
        summary.idle and summary.failed_changes == summary.failed_photos == summary.conflicts == 0
    )


def random_fault(rng: random.Random) -> Fault:
    kind = rng.choices(["cut", "reset", "stall"], weights=[6, 3, 1])[0]
    if rng.random() < 0.25:
        return Fault(kind, rng.randrange(0, 3000), "down")  # the answer is lost
    # Half in the first bytes (headers, pushed records), half anywhere in a stretch of photo.
    limit = 4000 if rng.random() < 0.5 else 400_000
    return Fault(kind, rng.randrange(0, limit), "up")


def test_a_hundred_faults_at_random_byte_offsets_lose_nothing_and_duplicate_nothing(
    server: ServerProcess, proxy: FaultProxy, tmp_path: Path, samples: Path
) -> None:
    store = LocalStore(tmp_path / "laptop")
    sign_in(store, proxy.url, "demo", "demo")
    fill(store, samples)
    rng = random.Random(20261128)
    opts = options(chunk=64 * 1024)
    deadline = time.monotonic() + 420
    cycles = 0
    while len(proxy.fired) < 100:
        assert time.monotonic() < deadline, f"only {len(proxy.fired)} faults fired"
        if proxy.queued < 5:
            proxy.add_faults(*(random_fault(rng) for _ in range(20)))
        SyncEngine(store, opts).run()
        cycles += 1
    proxy.clear_faults()
    fired = list(proxy.fired)
    assert len(fired) >= 100 and {f.kind for f in fired} == {"cut", "reset", "stall"}
    assert {f.direction for f in fired} == {"up", "down"}

    sync_until_idle(store, opts)
    assert_delivered(server, store)


def test_the_server_killed_at_random_moments_during_sync(
    server: ServerProcess, tmp_path: Path, samples: Path
) -> None:
    store = LocalStore(tmp_path / "laptop")
    sign_in(store, server.url, "demo", "demo")
    fill(store, samples)
    rng = random.Random(7)
    opts = options(chunk=16 * 1024, attempts=2)
    kills_mid_sync = 0
    for _ in range(40):
        if kills_mid_sync >= 10:
            break
        done = threading.Event()

        def cycle(done: threading.Event = done) -> None:
            SyncEngine(store, opts).run()
            done.set()

        worker = threading.Thread(target=cycle)
        worker.start()
        time.sleep(rng.uniform(0.05, 0.8))
        if not done.is_set():
            kills_mid_sync += 1
        server.kill()
        worker.join(60)
        assert not worker.is_alive()
        server.start()
    assert kills_mid_sync >= 10

    sync_until_idle(store, opts)
    assert_delivered(server, store)


def run_client_sync(data_dir: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), "sync", "--json",
         "--chunk-size", str(CLIENT_CHUNK)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip


def baseline_upload_bytes(tmp_path: Path, samples: Path) -> int:
    """Bytes a fault-free sync of the same content sends, through a counting proxy."""
    other = ServerProcess(tmp_path / "baseline-server", "--demo")
    try:
        with FaultProxy(other.port) as counter:
            data = tmp_path / "baseline"
            with LocalStore(data) as store:
                sign_in(store, counter.url, "demo", "demo")
                fill(store, samples)
            start = counter.bytes["up"]
            finished = run_client_sync(data)
            out, err = finished.communicate(timeout=300)
            assert finished.returncode == 0, err.decode() + out.decode()
            return counter.bytes["up"] - start
    finally:
        other.stop()


def test_the_client_killed_mid_sync_resumes_and_sends_only_the_missing_bytes(
    server: ServerProcess, proxy: FaultProxy, tmp_path: Path, samples: Path
) -> None:
    data = tmp_path / "laptop"
    with LocalStore(data) as store:
        sign_in(store, proxy.url, "demo", "demo")
        fill(store, samples)
    total_photo_bytes = sum((samples / "photos" / p).stat().st_size for p in PHOTOS)
    start = proxy.bytes["up"]
    rng = random.Random(11)
    kills = mid_upload = 0
    for _ in range(40):
        if kills >= 10:
            break
        before = proxy.bytes["up"]
        process = run_client_sync(data)
        # Kill it once it has sent a random number of bytes (starting Python takes a while, so
        # a moment in time would mostly hit the start-up): mid-push, mid-photo, or mid-pull.
        kill_at = before + rng.randrange(1000, 1_500_000)
        while process.poll() is None and proxy.bytes["up"] < kill_at:
            time.sleep(0.002)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
            process.communicate(timeout=120)
            with LocalStore(data) as store:
                photos = [
                    p for row in store.list_cases(limit=1000).rows for p in store.photos(row.id)
                ]
            mid_upload += any(0 < p.upload_offset < p.size_bytes for p in photos)
        process.communicate(timeout=120)
    assert kills >= 10
    assert mid_upload >= 3, f"only {mid_upload} kills interrupted a photo upload"

    final = run_client_sync(data)
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode() + out.decode()
    assert json.loads(out)["ok"]
    sent = proxy.bytes["up"] - start

    with LocalStore(data) as store:
        assert_delivered(server, store)
    baseline = baseline_upload_bytes(tmp_path, samples)
    assert baseline > total_photo_bytes
    # Each kill may lose the chunk in flight and a resent batch of records — never a whole
    # photo again: the uploads resumed from the server's offsets.
    resent = sent - baseline
    print(
        f"client killed {kills}x ({mid_upload} mid-upload): {sent} bytes sent vs {baseline} without kills (+{resent})"
    )
    assert resent <= kills * (CLIENT_CHUNK + 64 * 1024)


def test_a_session_revoked_mid_sync_stops_it_and_loses_nothing(
    server: ServerProcess, tmp_path: Path, samples: Path
) -> None:
    store = LocalStore(tmp_path / "laptop")
    sign_in(store, server.url, "demo", "demo")
    fill(store, samples)
    token = CredentialStore(store.data_dir).load(server.url, "demo")
    revoked = threading.Event()

    def revoke_once_photos_flow(p: Progress) -> None:
        if p.phase == "photos" and p.bytes_done > 0 and not revoked.is_set():
            revoked.set()
            answer = httpx.post(
                f"{server.url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}
            )
            assert answer.status_code == 204

    report = SyncEngine(store, options(chunk=64 * 1024), progress=revoke_once_photos_flow).run()

    assert revoked.is_set()
    assert report.error is not None and report.error.kind is ErrorKind.AUTH, report.lines("en")
    assert report.confirmed == 2 * CASES  # the records went before the session ended
    left = SyncLedger(store).summary()
    assert 0 < left.pending_photos < len(PHOTOS) + 1
    assert any("sign" in line.lower() for line in report.lines("en"))

    sign_in(store, server.url, "demo", "demo")
    sync_until_idle(store, options(chunk=64 * 1024))
    assert_delivered(server, store)
