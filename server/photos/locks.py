"""The lock on an upload's part when the part is not a local file (object storage).

One PATCH at a time per upload, across every worker and every server node:

* :class:`AdvisoryLocks` — PostgreSQL session-level advisory locks
  (``pg_try_advisory_lock``), on a connection of their own held while the PATCH runs. Every node
  sharing the database sees them, and PostgreSQL drops them when the connection goes — a node
  that dies (power cut, OOM killer) leaves no lock behind, as a ``flock`` would not.
* :class:`FileLocks` — a ``flock`` on a lock file in the data folder: one machine, SQLite
  (several workers, one node).

No database transaction is held while a body streams in: the lock is not a row lock.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from server.photos.store import try_flock, unflock

log = logging.getLogger("citypatrol.server.tus")

Release = Callable[[], None]


class PartLocks(Protocol):
    def acquire(self, storage_name: str) -> Release | None:
        """The lock for this caller (call the result to release it), or None if held."""
        ...

    def held(self, storage_name: str) -> bool:
        """Whether someone holds the lock right now."""
        ...

    def forget(self, storage_name: str) -> None:
        """The upload is gone: its lock's leftovers (a lock file) may go too."""
        ...


def advisory_key(storage_name: str) -> int:
    """A signed 64-bit key for ``pg_try_advisory_lock``, from the storage name (random: a
    collision of two uploads in flight only makes one of them wait)."""
    digest = hashlib.blake2b(b"citypatrol-upload:" + storage_name.encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


class AdvisoryLocks:
    """PostgreSQL advisory locks, each on its own pooled connection while held."""

    def __init__(self, engine: Engine, *, max_held: int = 64) -> None:
        # A pool of its own: held locks never take the connections requests need. A PATCH
        # waiting more than a few seconds for one answers 423 (retry), like a lock held.
        self.engine = create_engine(
            engine.url,
            pool_size=4,
            max_overflow=max_held,
            pool_timeout=5,
            pool_pre_ping=True,
            isolation_level="AUTOCOMMIT",
        )

    def _connect(self) -> Connection | None:
        try:
            return self.engine.connect()
        except PoolTimeout:
            log.warning("every upload lock connection is in use; answering 423")
            return None

    def acquire(self, storage_name: str) -> Release | None:
        conn = self._connect()
        if conn is None:
            return None
        key = advisory_key(storage_name)
        try:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        except BaseException:
            conn.invalidate()
            conn.close()
            raise
        if not got:
            conn.close()
            return None

        def release() -> None:
            try:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            except SQLAlchemyError:
                # The connection broke: PostgreSQL released the lock with it.
                conn.invalidate()
            finally:
                conn.close()

        return release

    def held(self, storage_name: str) -> bool:
        release = self.acquire(storage_name)
        if release is None:
            return True
        release()
        return False

    def forget(self, storage_name: str) -> None:
        pass

    def dispose(self) -> None:
        self.engine.dispose()


class FileLocks:
    """``flock`` on ``<folder>/<storage_name>``: several workers of one machine."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._guard = threading.Lock()

    def acquire(self, storage_name: str) -> Release | None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / storage_name, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            if not try_flock(fd, storage_name):
                os.close(fd)
                return None
        except BaseException:
            os.close(fd)
            raise

        def release() -> None:
            try:
                unflock(fd, storage_name)
            finally:
                os.close(fd)

        return release

    def held(self, storage_name: str) -> bool:
        if not (self.folder / storage_name).exists():
            return False
        release = self.acquire(storage_name)
        if release is None:
            return True
        release()
        return False

    def forget(self, storage_name: str) -> None:
        # Only once the upload is finished or removed (no PATCH can want it any more).
        (self.folder / storage_name).unlink(missing_ok=True)


def locks_for(engine: Engine, folder: Path) -> PartLocks:
    """Advisory locks on PostgreSQL (every node sees them); lock files on SQLite (one node)."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLocks(engine)
    return FileLocks(folder)
