"""``citypatrol-server backup`` of a running server and ``restore`` into an empty one: the same
cases and byte-identical photos, on SQLite and on PostgreSQL (pg_dump/pg_restore)."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
from helpers import ROOT, ServerProcess, change, snapshot

from app.domain.ids import new_id

PHOTOS = ("photos/jpg/gps/DSCN0010.jpg", "photos/heic/IMG_5195.HEIC")
TUS = {"Tus-Resumable": "1.0.0"}


def server_cli(
    data_dir: Path, *args: str, database_url: str | None = None
) -> subprocess.CompletedProcess[str]:
    db = ["--database-url", database_url] if database_url else []
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(data_dir), *db, *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip


def login(server: ServerProcess) -> httpx.Client:
    token = httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": "demo", "password": "demo"}
    ).json()["token"]
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})


def upload(
    http: httpx.Client, case_id: str, data: bytes, mime: str, send: int | None = None
) -> str:
    """A tus upload of ``data`` (only its first ``send`` bytes when given); the photo id."""
    photo_id = new_id()
    meta = {"case_id": case_id, "photo_id": photo_id, "sha256": hashlib.sha256(data).hexdigest(),
            "mime": mime, "role": "before", "filename": "p"}  # fmt: skip
    created = http.post(
        "/api/v1/uploads",
        headers={**TUS, "Upload-Length": str(len(data)), "Upload-Metadata": ",".join(
            f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items())},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    body = data if send is None else data[:send]
    patched = http.patch(
        created.headers["Location"],
        content=body,
        headers={**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    )
    assert patched.status_code == 204, patched.text
    return photo_id


def fill(server: ServerProcess, samples: Path) -> tuple[list[str], dict[str, bytes], str]:
    """Cases with photos, and one upload half done: (case ids, photo bytes by id, partial id)."""
    with login(server) as http:
        cases = [new_id() for _ in range(6)]
        pushed = http.post(
            "/api/v1/cases/push",
            json={"changes": [change("create", snapshot(c, description=f"备份案件 {i}"))
                              for i, c in enumerate(cases)]},
        )  # fmt: skip
        assert pushed.status_code == 200
        photos = {}
        for case_id, name in zip(cases, PHOTOS, strict=False):
            data = (samples / name).read_bytes()
            mime = "image/jpeg" if name.endswith(".jpg") else "image/heic"
            photos[upload(http, case_id, data, mime)] = data
        partial = upload(http, cases[3], (samples / PHOTOS[0]).read_bytes(), "image/jpeg", 5000)
    return cases, photos, partial


def state(server: ServerProcess, cases: list[str], photos: dict[str, bytes]) -> dict[str, Any]:
    with login(server) as http:
        seen: dict[str, Any] = {}
        for case_id in cases:
            detail = http.get(f"/api/v1/cases/{case_id}")
            assert detail.status_code == 200
            seen[case_id] = detail.json()
        for photo_id in photos:
            got = http.get(f"/api/v1/photos/{photo_id}")
            assert got.status_code == 200
            seen[photo_id] = got.content
    return seen


def check_backup_and_restore(
    tmp_path: Path, samples: Path, source_url: str | None, target_url: str | None
) -> None:
    extra = ["--database-url", source_url] if source_url else []
    server = ServerProcess(tmp_path / "live", "--demo", *extra)
    try:
        cases, photos, partial = fill(server, samples)
        before = state(server, cases, photos)
        # Writers go on while the backup runs: it must neither block them nor be torn by them.
        stop = threading.Event()

        def keep_writing() -> None:
            with login(server) as http:
                while not stop.is_set():
                    http.post("/api/v1/cases/push",
                              json={"changes": [change("create", snapshot(new_id()))]})  # fmt: skip

        writer = threading.Thread(target=keep_writing)
        writer.start()
        try:
            out = tmp_path / "backups" / "citypatrol.tar"
            made = server_cli(server.data_dir, "backup", str(out), database_url=source_url)
        finally:
            stop.set()
            writer.join()
        assert made.returncode == 0, made.stderr
        assert out.stat().st_mode & 0o077 == 0  # it holds password hashes: the owner's only
    finally:
        server.stop()

    fresh = tmp_path / "restored"
    restored = server_cli(fresh, "restore", str(out), database_url=target_url)
    assert restored.returncode == 0, restored.stderr
    again = server_cli(fresh, "restore", str(out), database_url=target_url)
    assert again.returncode == 1 and "restore into a new" in again.stderr  # never mixed
    extra = ["--database-url", target_url] if target_url else []
    copy = ServerProcess(fresh, *extra)
    try:
        assert state(copy, cases, photos) == before
        with login(copy) as http:
            # The unfinished upload resumes from the offset the backup kept.
            head = http.head(f"/api/v1/uploads/{partial}", headers=TUS)
            assert head.status_code == 200 and head.headers["Upload-Offset"] == "5000"
    finally:
        copy.stop()


def test_backup_of_a_running_sqlite_server_restores_the_same_cases_and_photo_bytes(
    tmp_path: Path, samples: Path
) -> None:
    check_backup_and_restore(tmp_path, samples, None, None)


def test_backup_and_restore_on_postgresql_with_pg_dump(
    tmp_path: Path, samples: Path, postgres: Any
) -> None:
    check_backup_and_restore(
        tmp_path, samples, postgres.create_database(), postgres.create_database()
    )


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    import tarfile

    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as tar:
        (tmp_path / "x").write_text("x")
        tar.add(tmp_path / "x", "../../etc/cron.d/x")
    refused = server_cli(tmp_path / "data", "restore", str(evil))
    assert refused.returncode == 1 and "not a CityPatrol backup" in refused.stderr
    assert not (tmp_path / "data" / "server.db").exists()
