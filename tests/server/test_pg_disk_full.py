"""PostgreSQL out of disk (issue 12's leftover): the server answers 507 ``server_disk_full``
— an administrator must act — not 503 "busy, try again", loses nothing already stored, and
works again once space is freed. The database lives in a tablespace on a small tmpfs (root
only, as for the SQLite full-disk test in test_disk.py)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from helpers import ApiClient, ServerProcess, change, snapshot
from pg import PostgresServer
from test_disk import fill, new_case

from app.domain.ids import new_id


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 48 MiB tmpfs the ``postgres`` account can reach (pytest's own folders are private)."""
    mount = Path(tempfile.mkdtemp(prefix="citypatrol-pgdisk-"))
    mount.chmod(0o755)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48m,mode=755", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
        mount.rmdir()


@pytest.fixture
def full_database(postgres: PostgresServer, small_disk: Path) -> Iterator[str]:
    """A database whose files (catalogs included) all live on ``small_disk``."""
    place = small_disk / "pg"
    place.mkdir()
    shutil.chown(place, "postgres", "postgres")
    name = f"disk_{new_id()[:8]}"
    dsn = f"host=127.0.0.1 port={postgres.port} user={postgres.superuser} dbname=postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLESPACE {name} LOCATION '{place}'")
        conn.execute(f'CREATE DATABASE "{name}" TABLESPACE {name}')
    try:
        yield postgres.url(name)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f"DROP TABLESPACE IF EXISTS {name}")


def test_a_full_postgresql_disk_is_507_and_recovers(
    full_database: str, small_disk: Path, tmp_path: Path
) -> None:
    server = ServerProcess(tmp_path / "data", "--demo", "--database-url", full_database)
    try:
        demo = ApiClient(server, "demo")
        kept = new_case(demo)
        filler = fill(small_disk, leave=0)
        # Enough new rows that PostgreSQL must extend a table file onto the full disk.
        changes = [change("create", snapshot(new_id())) for _ in range(200)]
        response = demo.http.post("/api/v1/cases/push", json={"changes": changes})
        assert response.status_code == 507, response.text
        detail = response.json()["detail"]
        assert detail["code"] == "server_disk_full"
        assert detail["zh"] and "administrator" in detail["en"]
        filler.unlink()  # an administrator frees space
        results = demo.push(*changes)
        assert {r["outcome"] for r in results} == {"applied"}
        assert demo.http.get(f"/api/v1/cases/{kept}").status_code == 200
    finally:
        server.stop()
