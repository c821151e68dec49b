"""Quotas and a full disk (issue 12): uploads get 507 and a clear message, sign-in and records
go on, /healthz says the disk is low. The full disk is a small tmpfs (root only; else skipped)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from helpers import ApiClient, ServerProcess, change, snapshot
from test_leaks import upload

from app.domain.ids import new_id

KIB = 1024
MIB = 1024 * KIB


def jpeg(size: int) -> bytes:
    return b"\xff\xd8\xff\xe0" + os.urandom(size - 4)


def new_case(client: ApiClient) -> str:
    case_id = new_id()
    (result,) = client.push(change("create", snapshot(case_id)))
    assert result["outcome"] == "applied", result
    return case_id


def try_upload(client: ApiClient, case_id: str, size: int) -> httpx.Response:
    import base64
    import hashlib

    data = jpeg(size)
    values = {
        "case_id": case_id,
        "photo_id": new_id(),
        "sha256": hashlib.sha256(data).hexdigest(),
        "mime": "image/jpeg",
    }
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())
    return client.http.post(
        "/api/v1/uploads",
        headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(size), "Upload-Metadata": meta},
    )


@pytest.fixture
def quota_server(tmp_path: Path) -> Iterator[ServerProcess]:
    env = {"CITYPATROL_SERVER_USER_QUOTA_MB": "2", "CITYPATROL_SERVER_CASE_QUOTA_MB": "1"}
    process = ServerProcess(tmp_path / "data", "--demo", env=env)
    yield process
    process.stop()


def test_uploads_past_the_inspectors_or_the_cases_quota_get_507(
    quota_server: ServerProcess,
) -> None:
    demo = ApiClient(quota_server, "demo")
    first = new_case(demo)
    upload(demo, first, jpeg(600 * KIB))
    refused = try_upload(demo, first, 600 * KIB)
    assert refused.status_code == 507, refused.text
    assert refused.json()["detail"]["code"] == "case_quota_exceeded"
    upload(demo, new_case(demo), jpeg(600 * KIB))
    upload(demo, new_case(demo), jpeg(600 * KIB))  # 1.8 MiB in all: within 2 MiB
    refused = try_upload(demo, new_case(demo), 600 * KIB)
    assert refused.status_code == 507
    assert refused.json()["detail"]["code"] == "user_quota_exceeded"
    assert "quota" in refused.json()["detail"]["en"] and refused.json()["detail"]["zh"]
    other = ApiClient(quota_server, "inspector2")  # another inspector has a quota of their own
    upload(other, new_case(other), jpeg(600 * KIB))


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """A file taking all but about ``leave`` bytes of ``disk``."""
    filler = disk / "filler"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with filler.open("ab") as handle:
        handle.write(b"\0" * max(0, free - leave))
    return filler


def test_a_full_disk_refuses_photos_with_507_and_keeps_sign_in_and_records(
    small_disk: Path,
) -> None:
    server = ServerProcess(
        small_disk / "data", "--demo", env={"CITYPATROL_SERVER_DISK_RESERVE_MB": "4"}
    )
    try:
        demo = ApiClient(server, "demo")
        case_id = new_case(demo)
        upload(demo, case_id, jpeg(100 * KIB))  # room enough
        filler = fill(small_disk, leave=3 * MIB)  # below the 4 MiB reserve
        refused = try_upload(demo, case_id, 100 * KIB)
        assert refused.status_code == 507, refused.text
        assert refused.json()["detail"]["code"] == "disk_full"
        assert "records still sync" in refused.json()["detail"]["en"]
        health = httpx.get(f"{server.url}/healthz").json()
        assert health["status"] == "ok" and health["disk"] == "low"
        # Sign-in and records use the reserve.
        assert ApiClient(server, "supervisor").user["username"] == "supervisor"
        new_case(demo)
        # Truly full: the database cannot write either — 507 saying so, not 503 "busy".
        fill(small_disk, leave=0)
        response = demo.http.post(
            "/api/v1/cases/push", json={"changes": [change("create", snapshot(new_id()))]}
        )
        assert response.status_code == 507, response.text
        assert response.json()["detail"]["code"] in {"server_disk_full", "disk_full"}
        filler.unlink()  # an administrator frees space: everything works again
        upload(demo, case_id, jpeg(100 * KIB))
        assert httpx.get(f"{server.url}/healthz").json()["disk"] == "ok"
    finally:
        server.stop()


def test_parallel_creations_cannot_outrun_the_quota(tmp_path: Path, database_url: str) -> None:
    """Each creation counts the ones before it (rows locked), on SQLite and PostgreSQL."""
    env = {"CITYPATROL_SERVER_USER_QUOTA_MB": "2", "CITYPATROL_SERVER_CASE_QUOTA_MB": "0"}
    server = ServerProcess(tmp_path / "data", "--demo", "--database-url", database_url, env=env)
    try:
        demo = ApiClient(server, "demo")
        case_id = new_case(demo)
        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = list(
                pool.map(lambda _: try_upload(demo, case_id, 600 * KIB).status_code, range(10))
            )
        assert statuses.count(201) == 3 and statuses.count(507) == 7, statuses
    finally:
        server.stop()


def test_a_write_the_full_disk_refuses_keeps_nothing_of_the_patch(small_disk: Path) -> None:
    """The body's last bytes are written by finish_patch (in its own worker thread): when the
    disk is full there, the part is cut back to the PATCH's start, the hash state at the start
    is kept for the resend, and nothing is committed (a real part on a real full tmpfs)."""
    import hashlib
    from datetime import UTC, datetime
    from typing import cast

    from server.photos import uploads
    from server.photos.hashing import hash_states
    from server.photos.state import UploadContext
    from server.photos.store import LocalPhotoStore

    store = LocalPhotoStore(small_disk / "photos")
    name = f"{new_id()}.jpg"
    part = store.open_part(name)
    assert part is not None
    first = jpeg(64 * KIB)
    part.write(first)
    part.sync()
    start_hash = hashlib.sha256(first)
    expires = datetime.now(UTC)
    lease = uploads.Lease(
        new_id(), name, 64 * MIB, "0" * 64, "image/jpeg", new_id(), "before", new_id(),
        len(first), expires, part, start_hash.copy(), start_hash.copy(),
    )  # fmt: skip
    fill(small_disk, leave=256 * KIB)
    received = uploads.Received(last=os.urandom(1 * MIB))  # past the free space
    with pytest.raises(OSError):
        # Never reaches the database: the context is not needed.
        uploads.finish_patch(cast(UploadContext, None), lease, received, None)
    assert store.partial(name).stat().st_size == len(first)
    assert store.partial(name).read_bytes() == first
    kept = hash_states.take(name, len(first), expires)
    assert kept is not None and kept.hexdigest() == start_hash.hexdigest()
    assert not store.part_in_use(name)  # the lock was released
