"""``citypatrol-server backup OUT`` and ``restore IN``: the database and the photos, in one file.

A backup is taken while the server runs and is consistent: the database is copied first, as
one snapshot — SQLite's online backup API (readers and writers go on meanwhile), or for
PostgreSQL ``pg_dump`` run on a snapshot exported by a repeatable-read transaction that also
lists the photos — and then exactly the photo bytes that snapshot refers to are copied: every
finished photo, and each unfinished upload up to the offset the snapshot promises (the part
may have grown since; the client resumes from the restored offset). Photos finished after the
snapshot are not in it, as their rows are not; nothing finished is ever rewritten, so what is
copied is what the snapshot meant.

The file is a plain tar (photos are already compressed): ``manifest.json``, the database
(``database/server.db`` or ``database/server.pgdump``, pg_dump's custom format) and
``photos/complete/…``, ``photos/partial/…``. It is written to a temporary name and renamed,
so a failed backup never leaves a file that looks complete.

``restore`` goes into an empty server — a new data folder, and for PostgreSQL an empty
database — and refuses anything else rather than mixing two servers' data. Start the server
on it afterwards: migrations bring an older backup up to this version.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sqlalchemy.engine import make_url

from server.settings import Settings

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/server.db"
PG_MEMBER = "database/server.pgdump"
COMPLETE = "complete"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for the administrator."""


@dataclass(frozen=True, slots=True)
class PhotoFile:
    storage_name: str
    complete: bool
    length: int  # bytes to copy: the whole file when complete, else the committed offset


@dataclass(frozen=True, slots=True)
class Summary:
    database: str
    photos: int
    bytes: int


def _backend(settings: Settings) -> str:
    return make_url(settings.database_url).get_backend_name()


def _sqlite_path(settings: Settings) -> Path:
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _pg_conninfo(settings: Settings) -> str:
    """libpq's URL for pg_dump/pg_restore/psycopg (without SQLAlchemy's ``+driver``)."""
    url = make_url(settings.database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _photos_query() -> str:
    # Case photos, and the deduction photos of scored inspections (stored whole, by SHA-256,
    # as ``inspection-<sha256>``: server.inspections.records.storage_name).
    return (
        "SELECT storage_name, state, upload_offset, size_bytes FROM photos "
        "UNION SELECT DISTINCT 'inspection-' || sha256, 'complete', size_bytes, size_bytes "
        "FROM inspection_photos"
    )


def _photo_files(rows: list[tuple[str, str, int, int]]) -> list[PhotoFile]:
    return [
        PhotoFile(name, state == COMPLETE, int(size if state == COMPLETE else offset))
        for name, state, offset, size in rows
    ]


def _add_file(tar: tarfile.TarFile, name: str, path: Path, length: int | None = None) -> int:
    """Add ``length`` bytes of ``path`` (all of it by default) as ``name``; the bytes added."""
    with path.open("rb") as source:
        size = os.fstat(source.fileno()).st_size
        length = size if length is None else min(length, size)
        info = tarfile.TarInfo(name)
        info.size = length
        info.mtime = int(datetime.now(UTC).timestamp())
        info.mode = 0o600
        tar.addfile(info, _Limited(source, length))
    return length


class _Limited(io.RawIOBase):
    """The first ``length`` bytes of a file (a part may grow while it is copied)."""

    def __init__(self, source: IO[bytes], length: int) -> None:
        self.source, self.left = source, length

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.left <= 0:
            return 0
        data = self.source.read(min(len(buffer), self.left))
        buffer[: len(data)] = data
        self.left -= len(data)
        return len(data)


def _copy_photos(tar: tarfile.TarFile, settings: Settings, photos: list[PhotoFile]) -> int:
    total = 0
    for photo in photos:
        finished = settings.photos_dir / "complete" / photo.storage_name
        partial = settings.photos_dir / "partial" / photo.storage_name
        # A photo the database calls complete may still be in partial/ if the server died
        # between the commit and the move (the store repairs that on its next read).
        source = finished if finished.exists() or not photo.complete else partial
        folder = "complete" if photo.complete else "partial"
        if not source.exists():
            if photo.complete:
                raise BackupError(f"photo file missing: {finished}")
            continue  # an upload whose first PATCH has not arrived: nothing to keep yet
        total += _add_file(tar, f"photos/{folder}/{photo.storage_name}", source, photo.length)
    return total


@contextmanager
def _archive(out: Path) -> Iterator[tarfile.TarFile]:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
                yield tar
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(tmp, 0o600)  # the database holds password hashes and everyone's cases
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _manifest(tar: tarfile.TarFile, database: str, photos: int, size: int) -> None:
    data = json.dumps(
        {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(),
            "database": database,
            "photos": photos,
            "photo_bytes": size,
        },
        indent=2,
    ).encode()
    info = tarfile.TarInfo(MANIFEST)
    info.size, info.mode = len(data), 0o600
    tar.addfile(info, io.BytesIO(data))


def _refuse_object_storage(settings: Settings) -> None:
    if settings.photo_store.startswith("s3:"):
        raise BackupError(
            f"the photos are in object storage ({settings.photo_store}): back up the bucket with "
            "the store's own tools (versioning, replication, rclone) and the database with "
            "pg_dump; this command copies a photo folder"
        )


def backup(settings: Settings, out: Path) -> Summary:
    """Write a consistent backup of a (possibly running) server to ``out``."""
    _refuse_object_storage(settings)
    backend = _backend(settings)
    with _archive(out) as tar:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(dir=out.parent) as folder:
                copy = Path(folder) / "server.db"
                source = sqlite3.connect(f"file:{_sqlite_path(settings)}?mode=ro", uri=True)
                target = sqlite3.connect(copy)
                try:
                    source.backup(target)  # the online backup API: one consistent snapshot
                    rows = target.execute(_photos_query()).fetchall()
                finally:
                    target.close()
                    source.close()
                tar.add(copy, SQLITE_MEMBER)
                photos = _photo_files(rows)
                size = _copy_photos(tar, settings, photos)
        elif backend == "postgresql":
            photos, size = _pg_backup(tar, settings, out.parent)
        else:
            raise BackupError(f"cannot back up a {backend} database")
        _manifest(tar, backend, len(photos), size)
    return Summary(backend, len(photos), size)


def _pg_backup(
    tar: tarfile.TarFile, settings: Settings, scratch: Path
) -> tuple[list[PhotoFile], int]:
    import psycopg

    conninfo = _pg_conninfo(settings)
    with psycopg.connect(conninfo) as conn:
        # One snapshot for both: pg_dump dumps exactly what this transaction sees.
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()
        assert snapshot is not None
        rows = conn.execute(_photos_query()).fetchall()
        with tempfile.TemporaryDirectory(dir=scratch) as folder:
            dump = Path(folder) / "server.pgdump"
            _run(
                ["pg_dump", "--format=custom", f"--snapshot={snapshot[0]}", f"--file={dump}",
                 "--no-owner", "--no-privileges", f"--dbname={conninfo}"]
            )  # fmt: skip
            conn.rollback()
            tar.add(dump, PG_MEMBER)
    photos = _photo_files([(r[0], r[1], r[2], r[3]) for r in rows])
    return photos, _copy_photos(tar, settings, photos)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for version in (17, 16, 15):
        candidate = Path(f"/usr/lib/postgresql/{version}/bin/{name}")
        if candidate.exists():
            return str(candidate)
    raise BackupError(f"{name} not found: install the PostgreSQL client (postgresql-client)")


def _run(cmd: list[str]) -> None:
    result = subprocess.run(
        [_pg_tool(cmd[0]), *cmd[1:]], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {result.stderr.strip()[-2000:]}")


# --- restore ----------------------------------------------------------------------------------


def _members(tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    """Every member, checked: regular files under the names a backup writes, nothing else."""
    members = {}
    for info in tar.getmembers():
        name = info.name
        parts = Path(name).parts
        safe = (
            info.isfile()
            and not name.startswith("/")
            and ".." not in parts
            and (
                name in (MANIFEST, SQLITE_MEMBER, PG_MEMBER)
                or (
                    len(parts) == 3 and parts[0] == "photos" and parts[1] in ("complete", "partial")
                )
            )
        )
        if not safe:
            raise BackupError(f"not a CityPatrol backup: unexpected member {name!r}")
        members[name] = info
    if MANIFEST not in members:
        raise BackupError("not a CityPatrol backup: no manifest.json")
    return members


def _extract(tar: tarfile.TarFile, info: tarfile.TarInfo, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    source = tar.extractfile(info)
    assert source is not None
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)
        out.flush()
        os.fsync(out.fileno())


def _pg_is_empty(conninfo: str) -> bool:
    import psycopg

    with psycopg.connect(conninfo) as conn:
        row = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    return row is not None and row[0] == 0


def restore(settings: Settings, archive: Path) -> Summary:
    """Restore ``archive`` into this (empty) server's database and photo folder."""
    _refuse_object_storage(settings)
    backend = _backend(settings)
    if settings.photos_dir.exists() and any(settings.photos_dir.rglob("*")):
        raise BackupError(f"{settings.photos_dir} is not empty: restore into a new data folder")
    with tarfile.open(archive, mode="r:") as tar:
        members = _members(tar)
        manifest_file = tar.extractfile(members[MANIFEST])
        assert manifest_file is not None
        manifest = json.loads(manifest_file.read())
        if manifest.get("format") != FORMAT:
            raise BackupError(f"backup format {manifest.get('format')} is not supported")
        if manifest.get("database") != backend:
            raise BackupError(
                f"this backup holds a {manifest.get('database')} database; the server is "
                f"configured for {backend} (--database-url)"
            )
        if backend == "sqlite":
            path = _sqlite_path(settings)
            if path.exists():
                raise BackupError(f"{path} exists: restore into a new data folder")
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".restoring")
            tmp.unlink(missing_ok=True)
            _extract(tar, members[SQLITE_MEMBER], tmp)
            os.replace(tmp, path)
        else:
            conninfo = _pg_conninfo(settings)
            if not _pg_is_empty(conninfo):
                raise BackupError("the database is not empty: restore into a new, empty database")
            with tempfile.TemporaryDirectory() as folder:
                dump = Path(folder) / "server.pgdump"
                _extract(tar, members[PG_MEMBER], dump)
                _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                      f"--dbname={conninfo}", str(dump)])  # fmt: skip
        photos = size = 0
        for name, info in members.items():
            if name.startswith("photos/"):
                _extract(tar, info, settings.photos_dir / Path(name).relative_to("photos"))
                photos += 1
                size += info.size
    return Summary(backend, photos, size)
