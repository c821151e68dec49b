"""Where photo bytes live: upload parts while they arrive, finished photos once verified.

:class:`PhotoStore` is the interface the upload state machine and the routes use; nothing else
touches the bytes. :class:`LocalPhotoStore` keeps them in the server's photo folder:
``partial/<storage_name>`` while uploading, ``complete/<storage_name>`` once verified.
A photo that arrives whole in one request (a scored inspection's deduction photo) is spooled
to :attr:`PhotoStore.spool_dir`, verified, and stored with :meth:`PhotoStore.keep`; it is read
back with :meth:`PhotoStore.finished` like any other.
:class:`server.photos.s3.S3PhotoStore` provides the same interface on S3-compatible object
storage, for several server nodes: its parts live in the bucket and their lock in PostgreSQL
(:mod:`server.photos.locks`) instead of a ``flock``.

Durability rule of the upload: the offset in the database never runs ahead of the bytes in the
store. A PATCH writes, calls :meth:`Part.sync`, and only then commits the new offset; if the
process dies between the two, the part is longer than the offset and the next PATCH cuts it
back (:meth:`Part.truncate`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from server.photos.hashing import Hash

_BINARY = getattr(os, "O_BINARY", 0)  # Windows would otherwise translate newlines


class Part(Protocol):
    """An upload's part, open and locked by one PATCH until :meth:`close`."""

    def size(self) -> int:
        """The bytes stored so far."""
        ...

    def truncate(self, length: int) -> None:
        """Cut the part back to ``length`` bytes, durably."""
        ...

    def seek(self, offset: int) -> None:
        """Where the next :meth:`write` goes."""
        ...

    def write(self, data: bytes) -> int:
        """Write all of ``data`` at the position (from a worker thread); its length."""
        ...

    def sync(self) -> None:
        """Make every byte written durable (before an offset that promises them is committed)."""
        ...

    def head(self, size: int = 4096) -> bytes:
        """The first bytes (to check the declared type)."""
        ...

    def sha256(self) -> Hash:
        """The SHA-256 state of the bytes stored (after a restart, or another worker's PATCH)."""
        ...

    def close(self) -> None:
        """Release the lock and the part."""
        ...


@dataclass(frozen=True, slots=True)
class Finished:
    """A finished photo to send: a local file (sent as it is), or a stream of its bytes."""

    size: int
    path: Path | None = None
    chunks: Callable[[], Iterator[bytes]] | None = None


class PhotoStore(Protocol):
    """Upload parts and finished photos, by storage name."""

    def open_part(self, storage_name: str) -> Part | None:
        """The part, created if missing and locked for this caller; None if another request
        holds it (one PATCH at a time per upload)."""
        ...

    def sync_part_names(self) -> None:
        """Make the names of parts created since durable (run while a first PATCH receives)."""
        ...

    def part_in_use(self, storage_name: str) -> bool:
        """Whether a PATCH holds the part right now (then it must not be expired or swept)."""
        ...

    def remove_part(self, storage_name: str) -> None:
        """Delete a part (missing is fine)."""
        ...

    def parts(self) -> Iterator[tuple[str, float | None]]:
        """Every part's storage name and age in seconds (None: gone meanwhile)."""
        ...

    def publish(self, storage_name: str, sha256: str) -> None:
        """Turn a verified part into a finished photo whose SHA-256 is ``sha256`` (idempotent:
        done already is fine)."""
        ...

    def finished(self, storage_name: str, sha256: str) -> Finished | None:
        """The finished photo, finishing an interrupted :meth:`publish`; None if missing."""
        ...

    def free_bytes(self) -> int | None:
        """Bytes free where the photos are written (None: unknown, e.g. object storage)."""
        ...

    @property
    def spool_dir(self) -> Path:
        """This node's folder for a whole photo on its way in (then :meth:`keep`)."""
        ...

    def keep(self, storage_name: str, source: Path, sha256: str) -> None:
        """Store the file ``source`` (in :attr:`spool_dir`, its bytes verified to have the
        SHA-256 ``sha256``) as the finished photo ``storage_name``; kept already is fine. The
        caller removes ``source`` afterwards if it is still there."""
        ...


def fsync_dir(path: Path) -> None:
    """Make a created or renamed entry in ``path`` durable (POSIX; Windows cannot open dirs)."""
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


if sys.platform != "win32":
    import fcntl

    def try_flock(fd: int, _key: str) -> bool:
        # flock conflicts between open file descriptions, so it also separates two requests
        # of one process, and it is released by the kernel if the process dies.
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def unflock(fd: int, _key: str) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

else:  # pragma: no cover - Windows runs the server as one process: an in-process set suffices
    _held: set[str] = set()
    _held_guard = threading.Lock()

    def try_flock(_fd: int, key: str) -> bool:
        with _held_guard:
            if key in _held:
                return False
            _held.add(key)
            return True

    def unflock(_fd: int, key: str) -> None:
        with _held_guard:
            _held.discard(key)


def write_all(fd: int, data: bytes) -> int:
    """Write ``data`` at the descriptor's position (``os.write`` releases the GIL)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    return len(data)


def clear_dead_spools(root: Path) -> None:
    """Spooled bytes of processes that died (``root/<pid>/``) were never committed: removed. A
    folder of a process still running (another worker) is left alone."""
    if not root.is_dir():
        return
    for folder in root.iterdir():
        pid = int(folder.name) if folder.name.isdigit() else 0
        try:
            if pid and pid != os.getpid():
                os.kill(pid, 0)
                continue  # alive
        except ProcessLookupError:
            pass
        except PermissionError:
            continue  # someone else's process: alive
        shutil.rmtree(folder, ignore_errors=True)


class LocalPart:
    """A part in the photo folder: an open descriptor holding the part's ``flock``."""

    def __init__(self, fd: int, key: str) -> None:
        self.fd = fd
        self._key = key

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def truncate(self, length: int) -> None:
        os.ftruncate(self.fd, length)
        os.fsync(self.fd)

    def seek(self, offset: int) -> None:
        os.lseek(self.fd, offset, os.SEEK_SET)

    def write(self, data: bytes) -> int:
        return write_all(self.fd, data)

    def sync(self) -> None:
        os.fsync(self.fd)

    def head(self, size: int = 4096) -> bytes:
        os.lseek(self.fd, 0, os.SEEK_SET)
        return os.read(self.fd, size)

    def sha256(self) -> Hash:
        # Read through the locked descriptor, which stays valid even if a termination unlinks
        # the file meanwhile. A duplicate shares the open file description, so closing it
        # keeps the flock.
        os.lseek(self.fd, 0, os.SEEK_SET)
        with open(os.dup(self.fd), "rb", buffering=0) as stream:
            return hashlib.file_digest(stream, "sha256")

    def close(self) -> None:
        try:
            unflock(self.fd, self._key)
        finally:
            os.close(self.fd)


class LocalPhotoStore:
    """The photo folder: ``partial/`` while uploading, ``complete/`` once verified."""

    def __init__(self, root: Path) -> None:
        self.root = root
        clear_dead_spools(root / "incoming")

    @property
    def partial_dir(self) -> Path:
        return self.root / "partial"

    @property
    def complete_dir(self) -> Path:
        return self.root / "complete"

    def partial(self, storage_name: str) -> Path:
        return self.partial_dir / storage_name

    def free_bytes(self) -> int | None:
        # The folder may not exist yet: its nearest existing parent is on the same disk.
        path = self.root
        while not path.exists() and path != path.parent:
            path = path.parent
        try:
            return shutil.disk_usage(path).free
        except OSError:
            return None

    def complete(self, storage_name: str) -> Path:
        return self.complete_dir / storage_name

    @property
    def spool_dir(self) -> Path:
        # The same disk as complete/ (keep() is a rename); one folder per process, as workers
        # (--workers N) share the photo folder and a dead one's are cleared at the next start.
        return self.root / "incoming" / str(os.getpid())

    def keep(self, storage_name: str, source: Path, sha256: str = "") -> None:
        final = self.complete(storage_name)
        if final.exists():
            return
        with source.open("rb") as written:
            os.fsync(written.fileno())
        self.complete_dir.mkdir(parents=True, exist_ok=True)
        os.replace(source, final)
        fsync_dir(self.complete_dir)  # the database will say it is there: the name must hold

    def open_part(self, storage_name: str) -> LocalPart | None:
        self.partial_dir.mkdir(parents=True, exist_ok=True)
        # O_CREAT: a part lost in a crash is started again (the caller cuts the offset back).
        fd = os.open(self.partial(storage_name), os.O_RDWR | os.O_CREAT | _BINARY, 0o640)
        try:
            if not try_flock(fd, storage_name):
                os.close(fd)
                return None
        except BaseException:
            os.close(fd)
            raise
        return LocalPart(fd, storage_name)

    def sync_part_names(self) -> None:
        fsync_dir(self.partial_dir)

    def part_in_use(self, storage_name: str) -> bool:
        try:
            fd = os.open(self.partial(storage_name), os.O_RDONLY | _BINARY)
        except FileNotFoundError:
            return False
        try:
            if try_flock(fd, storage_name):
                unflock(fd, storage_name)
                return False
            return True
        finally:
            os.close(fd)

    def remove_part(self, storage_name: str) -> None:
        self.partial(storage_name).unlink(missing_ok=True)

    def parts(self) -> Iterator[tuple[str, float | None]]:
        if not self.partial_dir.is_dir():
            return
        for path in self.partial_dir.iterdir():
            try:
                age: float | None = time.time() - path.stat().st_mtime
            except FileNotFoundError:
                age = None
            yield path.name, age

    def publish(self, storage_name: str, sha256: str = "") -> None:
        # The bytes were verified as they arrived (server.photos.uploads); no directory fsync: the bytes were fsynced in partial/, a rename is atomic, and if a
        # crash undoes it the file is found in partial/ again (finished, the cleanup sweep).
        self.complete_dir.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(self.partial(storage_name), self.complete(storage_name))
        except FileNotFoundError:
            if not self.complete(storage_name).exists():
                raise

    def finished(self, storage_name: str, sha256: str = "") -> Finished | None:
        path = self.complete(storage_name)
        if not path.exists():
            if not self.partial(storage_name).exists():
                return None
            self.publish(storage_name, sha256)
        return Finished(path.stat().st_size, path=path)
