"""Two server nodes behave as one server: separate data folders, one PostgreSQL, one bucket.

Both nodes are real ``citypatrol-server`` processes sharing a PostgreSQL database (tests/pg.py)
and an S3 bucket (moto's server mode on 127.0.0.1, tests/objectstore.py), behind a small
round-robin TCP proxy (tests/faultproxy.py) as a load balancer would put them. Checked: an upload
begun on node A resumes on node B; a session, the sign-in throttle and the feeds are the same on
both; and laptops syncing through the proxy with connections cut at random (each reconnect
lands on the other node) deliver everything exactly once. A scored inspection's deduction photo
sent to one node is read from the other.
"""

from __future__ import annotations

import hashlib
import random
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from faultproxy import Fault, FaultProxy
from helpers import ApiClient, ServerProcess, change, snapshot
from inspection_http import http, inspection, load_street
from objectstore import MotoS3
from sqlalchemy import func, select, text
from sync_helpers import sha256, submitted_case

from app.storage import LocalStore
from app.sync.backoff import Backoff
from app.sync.engine import SyncEngine, SyncOptions
from app.sync.session import sign_in
from server.db import create_db_engine, session_factory
from server.models import Case, Photo

TUS = {"Tus-Resumable": "1.0.0"}
PHOTOS = ("DSCN0010.jpg", "DSCN0012.jpg", "DSCN0021.jpg", "DSCN0025.jpg", "DSCN0027.jpg")


@dataclass
class Cluster:
    a: ServerProcess
    b: ServerProcess
    proxy: FaultProxy
    s3: MotoS3
    bucket: str
    database_url: str


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Cluster]:
    s3 = MotoS3()
    bucket = s3.bucket()
    url = str(request.getfixturevalue("postgres").create_database())
    extra = ("--demo", "--database-url", url, "--photo-store", f"s3://{bucket}/city")
    root = tmp_path_factory.mktemp("nodes")
    a = ServerProcess(root / "a", *extra, env=s3.env())  # migrates the database first
    b = ServerProcess(root / "b", *extra, env=s3.env())
    proxy = FaultProxy(a.port)
    proxy.round_robin(a.port, b.port)
    yield Cluster(a, b, proxy, s3, bucket, url)
    proxy.close()
    a.stop()
    b.stop()
    s3.stop()


def pushed_case(client: ApiClient) -> str:
    case_id = str(uuid.uuid4())
    results = client.push(
        change("create", snapshot(case_id)), change("submit", snapshot(case_id), 1)
    )
    assert [r["outcome"] for r in results] == ["applied", "applied"], results
    return case_id


def test_an_upload_begun_on_one_node_resumes_on_the_other(cluster: Cluster, samples: Path) -> None:
    demo_a = ApiClient(cluster.a, "demo")
    case_id = pushed_case(demo_a)
    data = (samples / "photos" / "jpg" / "gps" / PHOTOS[0]).read_bytes()
    token = demo_a.http.headers["Authorization"]
    # The session made on A is good on B: tokens live in the shared database.
    on_a = httpx.Client(base_url=cluster.a.url, headers={"Authorization": token, **TUS})
    on_b = httpx.Client(base_url=cluster.b.url, headers={"Authorization": token, **TUS})
    meta = {"case_id": case_id, "photo_id": str(uuid.uuid4()), "sha256": sha256(data)}
    meta["mime"] = "image/jpeg"
    import base64

    encoded = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())
    created = on_a.post(
        "/api/v1/uploads", headers={"Upload-Length": str(len(data)), "Upload-Metadata": encoded}
    )
    assert created.status_code == 201, created.text
    url = created.headers["Location"]
    half = len(data) // 2
    octets = {"Content-Type": "application/offset+octet-stream"}
    first = on_a.patch(url, content=data[:half], headers={"Upload-Offset": "0", **octets})
    assert first.status_code == 204, first.text
    assert on_b.head(url).headers["Upload-Offset"] == str(half)
    # While a PATCH streams on A, B refuses a second one: the lock is PostgreSQL's, not a file's.
    with socket.create_connection(("127.0.0.1", cluster.a.port), timeout=10) as held:
        held.sendall(
            (
                f"PATCH {url} HTTP/1.1\r\nHost: a\r\nAuthorization: {token}\r\n"
                "Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n"
                f"Upload-Offset: {half}\r\nContent-Length: {len(data) - half}\r\n\r\n"
            ).encode()
            + data[half : half + 1000]
        )
        # Until A holds the upload's advisory lock (PostgreSQL shows it), then B is refused.
        engine = create_db_engine(cluster.database_url)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                with engine.connect() as conn:
                    locks = conn.execute(
                        text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
                    ).scalar()
                if locks:
                    break
                time.sleep(0.05)
        finally:
            engine.dispose()
        busy = on_b.patch(url, content=b"", headers={"Upload-Offset": str(half), **octets})
        assert busy.status_code == 423, busy.text
    # A saw the connection drop and kept the 1000 bytes that arrived (no checksum).
    deadline = time.monotonic() + 10
    while int(on_b.head(url).headers["Upload-Offset"]) == half and time.monotonic() < deadline:
        time.sleep(0.05)
    half = int(on_b.head(url).headers["Upload-Offset"])
    rest = on_b.patch(url, content=data[half:], headers={"Upload-Offset": str(half), **octets})
    assert rest.status_code == 204, rest.text
    for node in (on_a, on_b):
        got = node.get(f"/api/v1/photos/{meta['photo_id']}")
        assert got.status_code == 200
        assert hashlib.sha256(got.content).hexdigest() == meta["sha256"]
    # Supervisors see the same feed on both nodes.
    feeds = [ApiClient(node, "supervisor").everything() for node in (cluster.a, cluster.b)]
    assert feeds[0] == feeds[1]
    assert any(e["kind"] == "photo" and e["entity_id"] == meta["photo_id"] for e in feeds[0])


def test_an_inspection_photo_sent_to_one_node_is_read_from_the_other(
    cluster: Cluster, samples: Path
) -> None:
    load_street(cluster.a)
    photo = (samples / "photos" / "jpg" / "gps" / PHOTOS[1]).read_bytes()
    body = inspection("open", photo)
    deduction = body["deductions"][0]["id"]
    url = f"/api/v1/inspections/{body['id']}/photos/{deduction}"
    with http(cluster.a, "demo") as author_a, http(cluster.b, "demo") as author_b:
        assert author_a.post("/api/v1/inspections", json=body).status_code == 201
        sent = author_a.put(url, content=photo)
        assert sent.status_code == 200 and sent.json()["outcome"] == "applied", sent.text
        # B knows it has it (a resend there is a duplicate) and serves it.
        assert author_b.put(url, content=photo).json()["outcome"] == "duplicate"
    for node in (cluster.b, cluster.a):
        with http(node, "supervisor") as chief:
            got = chief.get(url)
            assert got.status_code == 200, got.text
            assert got.content == photo


def test_the_sign_in_throttle_counts_on_both_nodes(cluster: Cluster) -> None:
    for i in range(6):  # the account's free failures, spread over both nodes
        node = (cluster.a, cluster.b)[i % 2]
        response = httpx.post(
            f"{node.url}/api/v1/auth/login", json={"username": "inspector2", "password": "wrong"}
        )
        assert response.status_code in (401, 429), response.text
    for node in (cluster.a, cluster.b):
        blocked = httpx.post(
            f"{node.url}/api/v1/auth/login",
            json={"username": "inspector2", "password": "inspector2"},
        )
        assert blocked.status_code == 429, blocked.text


def test_laptops_sync_through_both_nodes_with_cuts(
    cluster: Cluster, tmp_path: Path, samples: Path
) -> None:
    rng = random.Random(16)
    stores: list[LocalStore] = []
    for n in range(2):
        store = LocalStore(tmp_path / f"laptop{n}")
        sign_in(store, cluster.proxy.url, "demo", "demo")
        for i in range(10):
            case_id = submitted_case(store, f"两个节点 {n}-{i}：暴露垃圾")
            if i < len(PHOTOS):
                store.attach_photo(case_id, samples / "photos" / "jpg" / "gps" / PHOTOS[i])
        stores.append(store)
    opts = SyncOptions(
        chunk_size=64 * 1024,
        attempts=3,
        backoff=Backoff(base_s=0.01, cap_s=0.1),
        timeout=httpx.Timeout(5.0, connect=2.0),
        batch_size=4,
    )
    cluster.proxy.add_faults(
        *(Fault(rng.choice(["cut", "reset"]), rng.randrange(200, 300_000)) for _ in range(12))
    )
    for _ in range(12):
        reports = [SyncEngine(store, opts).run() for store in stores]
        if all(r.ok for r in reports) and not cluster.proxy.queued:
            break
    else:
        raise AssertionError([r.lines("en") for r in reports])
    assert len(cluster.proxy.fired) >= 6
    # Uploads did move between nodes: a node resumed one from the bucket's segments.
    logs = cluster.a.log.read_text() + cluster.b.log.read_text()
    assert "bytes received before from the store" in logs
    engine = create_db_engine(cluster.database_url)
    try:
        with session_factory(engine)() as session:
            for store in stores:
                ids = {row.id for row in store.list_cases(limit=100).rows}
                assert len(ids) == 10
                assert session.scalar(select(func.count()).where(Case.id.in_(ids))) == 10
                for case_id in ids:
                    for photo in store.photos(case_id):
                        row = session.get(Photo, photo.id)
                        assert row is not None and row.state == "complete", photo.id
                        assert row.sha256 == photo.sha256
                        assert photo.delivery == "confirmed"
    finally:
        engine.dispose()
    # Every photo is in the bucket once, finished; no part is left over.
    keys = cluster.s3.keys(cluster.bucket, "city/")
    assert not [k for k in keys if k.startswith("city/partial/")]
    for store in stores:
        store.close()
