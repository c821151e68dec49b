"""Photo uploads with the tus 1.0 resumable upload protocol, and photo downloads.

Protocol: https://tus.io/protocols/resumable-upload (core, plus the creation, checksum,
termination and expiration extensions). Records are pushed before photos, so an upload is
always attached to a case the server already has.

Durability rule: the offset in the database never runs ahead of the bytes on disk. A PATCH
appends to ``photos/partial/<storage_name>``, fsyncs it (once), and only then commits the new
offset; if the process dies between the two, the file is longer than the offset and the next
PATCH cuts it back. The first PATCH creates the file, and fsyncs the folder while the body
arrives, so the file's name is durable before any offset is (a creation touches no disk). A
complete photo is only announced (``state="complete"``, a feed entry for supervisors) once its
whole-file SHA-256 matched the declared one and its first bytes are the declared image type;
then it moves to ``photos/complete/<storage_name>``.

Hashing: the whole-file SHA-256 is computed while the bytes arrive, in the worker thread that
writes them (while the event loop receives the next buffer), so completing an upload does not
read the file again. Between PATCHes the hash state waits in an in-process cache keyed by the
upload's committed state — offset and ``expires_at``, which every commit changes — so a state
is only reused when no other request changed the upload since. After a restart, or when another
worker served the previous PATCH, the bytes received so far are hashed from disk once.

Concurrency: one PATCH at a time per upload. The partial file is locked with ``flock`` for the
whole PATCH (a second PATCH gets 423 and retries), which serialises the workers sharing this
photo folder without holding a database lock while a slow client trickles its body in — on
SQLite that would block every other writer of the server. The offset is read and written in
short transactions that take the row with ``SELECT … FOR UPDATE`` (PostgreSQL; on SQLite every
transaction holds the write lock from BEGIN).

Housekeeping: :func:`cleanup_uploads` removes expired uploads and orphan files and finishes
interrupted moves; it runs on a process's first creation request and then every few minutes,
and may also be called at startup.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import errno
import hashlib
import logging
import math
import os
import re
import secrets
import sys
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Annotated, Any, Final, Protocol, cast

import anyio
from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from app.domain.lifecycle import Role
from server import auth
from server.deps import Credentials
from server.feed import append_feed
from server.models import Case, Photo
from server.settings import ENV_PREFIX, Settings

log = logging.getLogger("citypatrol.server.tus")

TUS_VERSION: Final = "1.0.0"
TUS_EXTENSIONS: Final = "creation,checksum,termination,expiration"
#: The largest photo accepted (Tus-Max-Size); a phone or camera JPEG/HEIC is far below.
MAX_UPLOAD_BYTES: Final = 50 * 1024 * 1024
#: How long an unfinished upload is kept after its last PATCH (sliding).
DEFAULT_EXPIRY: Final = timedelta(hours=24)
EXPIRY_ENV: Final = ENV_PREFIX + "UPLOAD_EXPIRY_S"
#: A PATCH whose body stalls this long is treated as a dropped connection: the bytes received
#: are kept and the lock is released, so a client that reconnected (while its old TCP
#: connection is still half-open) can resume instead of getting 423 for hours.
DEFAULT_IDLE_TIMEOUT_S: Final = 60.0
IDLE_ENV: Final = ENV_PREFIX + "UPLOAD_IDLE_S"
#: ``PUT /api/v1/bench/blob`` (bench/server_photos.py's baseline) exists only with this set to 1.
BENCH_ENV: Final = ENV_PREFIX + "BENCH"
_BENCH_ENABLED: Final = os.environ.get(BENCH_ENV) == "1"  # read once, at server start

UPLOADS_PATH: Final = "/api/v1/uploads"
HTTP_423_LOCKED: Final = 423
#: tus: "460 Checksum Mismatch" (not an IANA status; clients know it from the protocol).
HTTP_460_CHECKSUM_MISMATCH: Final = 460

MIME_EXTENSIONS: Final = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/heic": "heic",
    "image/heif": "heif",
}
_HEIF_BRANDS: Final = frozenset({b"heic", b"heix", b"mif1", b"msf1", b"hevc"})
_CHECKSUM_ALGORITHMS: Final[dict[str, Callable[[], Any]]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
}
_PHOTO_ROLES: Final = frozenset({"before", "after"})
#: Bytes gathered before one write (and hash) in a worker thread. A PATCH holds at most two
#: such buffers (one being written, one being received): memory per PATCH is bounded.
_WRITE_BUFFER = 256 * 1024
_MAX_FILENAME_CHARS = 255
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")
_UPLOADING, _COMPLETE = "uploading", "complete"


class _Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...
    def copy(self) -> _Hash: ...


# --- configuration read per call, so tests can start servers with short periods --------------


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw:
        try:
            value = float(raw)
        except ValueError:
            log.warning("ignoring %s=%r: not a number of seconds", name, raw)
        else:
            if value > 0 and math.isfinite(value):
                return value
            log.warning("ignoring %s=%r: must be a positive number", name, raw)
    return default


def upload_expiry() -> timedelta:
    """The expiry period: ``CITYPATROL_SERVER_UPLOAD_EXPIRY_S`` or 24 hours."""
    return timedelta(seconds=_env_seconds(EXPIRY_ENV, DEFAULT_EXPIRY.total_seconds()))


def _idle_timeout() -> float:
    return _env_seconds(IDLE_ENV, DEFAULT_IDLE_TIMEOUT_S)


# --- files ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PhotoStore:
    """Where upload bytes live: ``partial/`` while uploading, ``complete/`` once verified."""

    root: Path

    @property
    def partial_dir(self) -> Path:
        return self.root / "partial"

    @property
    def complete_dir(self) -> Path:
        return self.root / "complete"

    def partial(self, storage_name: str) -> Path:
        return self.partial_dir / storage_name

    def complete(self, storage_name: str) -> Path:
        return self.complete_dir / storage_name


def _fsync_dir(path: Path) -> None:
    """Make a created or renamed entry in ``path`` durable (POSIX; Windows cannot open dirs)."""
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_BINARY = getattr(os, "O_BINARY", 0)  # Windows would otherwise translate newlines

if sys.platform != "win32":
    import fcntl

    def _try_lock(fd: int, _key: str) -> bool:
        # flock conflicts between open file descriptions, so it also separates two requests
        # of one process, and it is released by the kernel if the process dies.
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int, _key: str) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)

else:  # pragma: no cover - Windows runs the server as one process: an in-process set suffices
    _held: set[str] = set()
    _held_guard = threading.Lock()

    def _try_lock(_fd: int, key: str) -> bool:
        with _held_guard:
            if key in _held:
                return False
            _held.add(key)
            return True

    def _unlock(_fd: int, key: str) -> None:
        with _held_guard:
            _held.discard(key)


def _in_use(path: Path, key: str) -> bool:
    """Whether a PATCH holds ``path`` right now (then it must not be expired or swept)."""
    try:
        fd = os.open(path, os.O_RDONLY | _BINARY)
    except FileNotFoundError:
        return False
    try:
        if _try_lock(fd, key):
            _unlock(fd, key)
            return False
        return True
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes, hashers: Sequence[_Hash] = ()) -> int:
    """Write ``data`` at the descriptor's position and feed it to ``hashers`` (hashlib releases
    the GIL for large buffers, as does ``os.write``); the number of bytes written."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]
    for hasher in hashers:
        hasher.update(data)
    return len(data)


def _fd_sha256(fd: int) -> _Hash:
    """The SHA-256 state of what is on disk, read through the locked descriptor (which stays
    valid even if a termination unlinks the file meanwhile)."""
    os.lseek(fd, 0, os.SEEK_SET)
    # A duplicate shares the open file description, so closing it keeps the flock.
    with open(os.dup(fd), "rb", buffering=0) as stream:
        return hashlib.file_digest(stream, "sha256")


@dataclass(frozen=True, slots=True)
class _HashState:
    offset: int
    expires_at: datetime | None
    sha256: _Hash


class _HashStates:
    """SHA-256 states of unfinished uploads between their PATCHes, in this process.

    A state is filed under the upload's storage name with the committed state it belongs to —
    the offset and ``expires_at`` — and is only handed out if the row still has both: any
    commit by another worker (or a reset to offset 0 and a new start) changes ``expires_at``.
    Taking a state removes it, so one PATCH at a time owns it. Bounded: the least recently
    filed states make way (their uploads fall back to hashing from disk).
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._states: OrderedDict[str, _HashState] = OrderedDict()
        self._guard = threading.Lock()

    def take(self, storage_name: str, offset: int, expires_at: datetime | None) -> _Hash | None:
        with self._guard:
            state = self._states.pop(storage_name, None)
        if state is None or (state.offset, state.expires_at) != (offset, expires_at):
            return None
        return state.sha256

    def put(
        self, storage_name: str, offset: int, expires_at: datetime | None, sha256: _Hash
    ) -> None:
        with self._guard:
            self._states[storage_name] = _HashState(offset, expires_at, sha256)
            self._states.move_to_end(storage_name)
            while len(self._states) > self._capacity:
                self._states.popitem(last=False)

    def __len__(self) -> int:
        return len(self._states)


#: A few hundred bytes each; the capacity is far above the uploads one process has in flight.
_hash_states: Final = _HashStates(4096)


def _fd_head(fd: int, size: int = 4096) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    return os.read(fd, size)


def _magic_matches(head: bytes, mime: str) -> bool:
    """Whether the first bytes are the declared type (the file name and client say nothing)."""
    if mime == "image/jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if mime == "image/png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    # HEIF/HEIC: an ISO-BMFF file opening with an ``ftyp`` box whose major or one of whose
    # compatible brands is a HEIF brand.
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(head[0:4], "big")
    if box_size < 16:
        return False
    box = head[: min(box_size, len(head))]
    brands = [box[8:12]] + [box[i : i + 4] for i in range(16, len(box) - 3, 4)]
    return any(brand in _HEIF_BRANDS for brand in brands)


# --- request context --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Ctx:
    sessions: sessionmaker[Session]
    store: PhotoStore


def _ctx(request: Request) -> _Ctx:
    settings: Settings = request.app.state.settings
    return _Ctx(request.app.state.sessions, PhotoStore(settings.photos_dir))


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in user of a request (plain values: no database session outlives a request)."""

    id: str
    username: str
    role: str


def _sign_in(session: Session, credentials: HTTPAuthorizationCredentials | None) -> Actor:
    """The bearer token's user, or 401 (as ``server.deps.current_user``), checked inside the
    endpoint's own short transaction.

    Not the ``CurrentUser`` dependency: its request-wide session lives until the response has
    been sent, and on SQLite every transaction holds the write lock from BEGIN — a PATCH
    streaming for minutes would block every other writer of the server. Sharing the endpoint's
    first transaction also saves a thread hop and a transaction per request.
    """
    user = auth.user_for_token(session, credentials.credentials) if credentials else None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "not signed in or the session has expired",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Actor(user.id, user.username, user.role)


async def _require_tus(tus_resumable: Annotated[str | None, Header()] = None) -> None:
    if tus_resumable != TUS_VERSION:
        raise HTTPException(
            status.HTTP_412_PRECONDITION_FAILED,
            f"this server speaks tus {TUS_VERSION}: send the header Tus-Resumable: {TUS_VERSION}"
            f" (got {tus_resumable!r})",
            headers={"Tus-Version": TUS_VERSION},
        )


class _TusRoute(APIRoute):
    """Every tus response carries ``Tus-Resumable``, errors included, with a JSON ``detail``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def tus_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except HTTPException as exc:
                response = JSONResponse(
                    {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
                )
            except RequestValidationError as exc:
                response = JSONResponse(
                    {"detail": jsonable_encoder(exc.errors())},
                    status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
                )
            except OperationalError:
                # The database is busy or away: the client's request was fine, so tell it to
                # retry rather than answer 500.
                log.exception("database error during %s %s", request.method, request.url.path)
                response = JSONResponse(
                    {"detail": "the database is busy; retry shortly"},
                    status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
                    headers={"Retry-After": "5"},
                )
            except OSError as exc:
                if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                    raise
                # Disk full: the chunk was discarded (offset unchanged); retry later.
                log.error("photo folder full during %s %s", request.method, request.url.path)
                response = JSONResponse(
                    {"detail": "the server's photo storage is full; retry later"},
                    status_code=status.HTTP_507_INSUFFICIENT_STORAGE,
                    headers={"Retry-After": "600"},
                )
            response.headers["Tus-Resumable"] = TUS_VERSION
            return response

        return tus_handler


def _err(code: int, detail: str, headers: dict[str, str] | None = None) -> HTTPException:
    return HTTPException(code, detail, headers=headers)


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _canonical_uuid(value: str | None) -> str | None:
    """``value`` as a lower-case canonical UUID, or None: ids end up in URLs and file names."""
    if not value or len(value) != 36:
        return None
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None
    canonical = str(parsed)
    return canonical if canonical == value.lower() else None


def _expired(photo: Photo, now: datetime) -> bool:
    return photo.state == _UPLOADING and photo.expires_at is not None and photo.expires_at <= now


def _location(photo_id: str) -> str:
    return f"{UPLOADS_PATH}/{photo_id}"


def _offset_headers(photo: Photo) -> dict[str, str]:
    headers = {"Upload-Offset": str(photo.upload_offset)}
    if photo.state == _UPLOADING and photo.expires_at is not None:
        headers["Upload-Expires"] = _http_date(photo.expires_at)
    return headers


# --- creation ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Creation:
    photo_id: str
    case_id: str
    length: int
    sha256: str
    mime: str
    role: str
    filename: str
    raw_metadata: str


def _parse_metadata(header: str) -> dict[str, bytes]:
    values: dict[str, bytes] = {}
    for pair in header.split(","):
        parts = pair.strip().split(" ")
        if not parts[0] or len(parts) > 2:
            raise _err(400, f"Upload-Metadata: {pair.strip()!r} is not 'key base64value'")
        key = parts[0]
        if key in values:
            raise _err(400, f"Upload-Metadata: key {key!r} appears twice")
        try:
            values[key] = base64.b64decode(parts[1], validate=True) if len(parts) == 2 else b""
        except (binascii.Error, ValueError):
            raise _err(400, f"Upload-Metadata: the value of {key!r} is not base64") from None
    return values


def _text(values: dict[str, bytes], key: str) -> str | None:
    if key not in values:
        return None
    try:
        return values[key].decode("utf-8")
    except UnicodeDecodeError:
        raise _err(400, f"Upload-Metadata: {key!r} is not UTF-8 text") from None


def _parse_creation(
    upload_length: str | None, upload_metadata: str | None, upload_defer_length: str | None
) -> _Creation:
    if upload_defer_length is not None:
        raise _err(400, "Upload-Defer-Length is not supported: send Upload-Length")
    if upload_length is None or not upload_length.isascii() or not upload_length.isdigit():
        raise _err(400, "Upload-Length (the file size in bytes) is required")
    length = int(upload_length)
    if length == 0:
        raise _err(400, "Upload-Length is 0: an empty file is not a photo")
    if length > MAX_UPLOAD_BYTES:
        raise _err(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"the file is {length} bytes; the limit (Tus-Max-Size) is {MAX_UPLOAD_BYTES}",
        )
    if not upload_metadata:
        raise _err(400, "Upload-Metadata with case_id, photo_id, sha256 and mime is required")
    values = _parse_metadata(upload_metadata)
    missing = [k for k in ("case_id", "photo_id", "sha256", "mime") if not values.get(k)]
    if missing:
        raise _err(400, f"Upload-Metadata: missing {', '.join(missing)}")
    photo_id = _canonical_uuid(_text(values, "photo_id"))
    if photo_id is None:
        raise _err(400, "Upload-Metadata: photo_id must be a UUID (the client's photo id)")
    case_id = _text(values, "case_id") or ""
    if len(case_id) > 36:
        raise _err(400, "Upload-Metadata: case_id is not a case id")
    sha256 = (_text(values, "sha256") or "").lower()
    if not _SHA256_HEX.fullmatch(sha256):
        raise _err(400, "Upload-Metadata: sha256 must be the file's SHA-256 in 64 hex digits")
    mime = (_text(values, "mime") or "").lower()
    if mime not in MIME_EXTENSIONS:
        raise _err(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            f"Upload-Metadata: mime {mime!r} is not accepted; use one of "
            + ", ".join(MIME_EXTENSIONS),
        )
    role = _text(values, "role") or "before"
    if role not in _PHOTO_ROLES:
        raise _err(400, "Upload-Metadata: role must be 'before' or 'after'")
    filename = _text(values, "filename") or ""
    if len(filename) > _MAX_FILENAME_CHARS or _CONTROL_CHARS.search(filename):
        raise _err(400, "Upload-Metadata: filename is too long or contains control characters")
    return _Creation(photo_id, case_id, length, sha256, mime, role, filename, upload_metadata)


def _same_content(photo: Photo, spec: _Creation) -> bool:
    return (photo.case_id, photo.sha256, photo.size_bytes, photo.mime, photo.role) == (
        spec.case_id,
        spec.sha256,
        spec.length,
        spec.mime,
        spec.role,
    )


def _delete_upload(ctx: _Ctx, photo_id: str) -> bool:
    """Delete an unfinished upload (row, then file) unless a PATCH is writing to it."""
    with ctx.sessions.begin() as session:
        photo = session.scalar(select(Photo).where(Photo.id == photo_id).with_for_update())
        if photo is None or photo.state != _UPLOADING:
            return False
        path = ctx.store.partial(photo.storage_name)
        if _in_use(path, photo.storage_name):
            return False
        session.delete(photo)
    # After the commit: a crash in between leaves an orphan file, which the sweep removes.
    path.unlink(missing_ok=True)
    return True


def _creation_response(photo: Photo, code: int) -> Response:
    headers = {"Location": _location(photo.id), **_offset_headers(photo)}
    return Response(status_code=code, headers=headers)


def _answer_existing(ctx: _Ctx, actor: Actor, spec: _Creation, photo: Photo) -> Response | None:
    """The answer for a photo id seen before, or None to create it (again)."""
    if photo.uploader_id != actor.id:
        raise _err(409, f"photo id {spec.photo_id} is already used by another upload")
    if not _same_content(photo, spec):
        raise _err(
            409,
            f"photo {spec.photo_id} was already created with other content (case, sha256, "
            "size, mime or role differ); a changed photo needs a new photo id",
        )
    if _expired(photo, datetime.now(UTC)) and _delete_upload(ctx, photo.id):
        return None  # start over: the old upload is gone
    return _creation_response(photo, status.HTTP_200_OK)


@dataclass(frozen=True, slots=True)
class _CreationHeaders:
    upload_length: str | None
    upload_metadata: str | None
    upload_defer_length: str | None
    content_length: str | None


def _check_creation(
    session: Session, credentials: HTTPAuthorizationCredentials | None, headers: _CreationHeaders
) -> tuple[Actor, _Creation]:
    actor = _sign_in(session, credentials)
    if headers.content_length not in (None, "0"):
        raise _err(400, "creation-with-upload is not supported: send the bytes with PATCH")
    spec = _parse_creation(
        headers.upload_length, headers.upload_metadata, headers.upload_defer_length
    )
    if actor.role != Role.INSPECTOR:
        raise _err(403, "only inspectors upload photos; supervisors and administrators do not")
    case = session.get(Case, spec.case_id)
    if case is None:
        raise _err(
            404,
            f"case {spec.case_id!r} is not on the server; push the case record before its photos",
        )
    if actor.id not in (case.author_id, case.assignee_id):
        raise _err(403, "only the case's author or its re-inspection assignee may add photos")
    return actor, spec


def _new_upload(actor: Actor, spec: _Creation) -> Photo:
    now = datetime.now(UTC)
    # No file yet: the first PATCH creates it (and makes its name durable before it commits an
    # offset), so a creation costs no disk flush and leaves no empty file behind.
    return Photo(
        id=spec.photo_id,
        case_id=spec.case_id,
        uploader_id=actor.id,
        sha256=spec.sha256,
        mime=spec.mime,
        size_bytes=spec.length,
        upload_offset=0,
        state=_UPLOADING,
        role=spec.role,
        storage_name=f"{secrets.token_hex(16)}.{MIME_EXTENSIONS[spec.mime]}",
        metadata_json={"filename": spec.filename, "upload_metadata": spec.raw_metadata},
        created_at=now,
        expires_at=now + upload_expiry(),
    )


def _create(
    ctx: _Ctx, credentials: HTTPAuthorizationCredentials | None, headers: _CreationHeaders
) -> Response:
    """Sign in, check and add the upload, in one transaction; a photo id seen before is answered
    by _answer_existing (or created again if its upload expired)."""
    for _attempt in range(3):
        photo: Photo | None = None
        with ctx.sessions() as session:
            try:
                with session.begin():
                    actor, spec = _check_creation(session, credentials, headers)
                    existing = session.get(Photo, spec.photo_id)
                    if existing is None:
                        photo = _new_upload(actor, spec)
                        session.add(photo)
            except IntegrityError:
                # The same photo id was created concurrently (a resend racing the first send).
                photo = None
                existing = session.get(Photo, spec.photo_id)
                if existing is None:
                    raise
        _maybe_sweep(ctx)  # signed-in requests only, and outside any transaction (SQLite)
        if photo is not None:
            log.info("upload %s created for case %s by %s", photo.id, spec.case_id, actor.username)
            return _creation_response(photo, status.HTTP_201_CREATED)
        assert existing is not None  # a photo is added exactly when none existed
        answer = _answer_existing(ctx, actor, spec, existing)
        if answer is not None:
            return answer
        # The expired upload was removed: create it again.
    raise _err(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "this upload is being created and removed concurrently; retry shortly",
        headers={"Retry-After": "1"},
    )


# --- PATCH ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Lease:
    """An upload locked by one PATCH: the open partial file, the offset it starts at, and the
    SHA-256 state of the bytes before that offset (then of every byte written)."""

    photo_id: str
    storage_name: str
    length: int
    sha256: str
    mime: str
    case_id: str
    role: str
    uploader_id: str
    start: int
    #: The row's ``expires_at`` at the start: with ``start``, names the committed state.
    expires_at: datetime | None
    path: Path
    fd: int
    file_hash: _Hash
    #: A copy of ``file_hash`` at ``start``: filed again if this PATCH keeps nothing.
    start_hash: _Hash


@dataclass(slots=True)
class _Received:
    written: int = 0
    dropped: bool = False  # the client went away or stalled
    too_large: bool = False
    chunk_hash: _Hash | None = None


def _owned_photo(session: Session, photo_id: str, actor: Actor, *, lock: bool) -> Photo:
    query = select(Photo).where(Photo.id == photo_id)
    photo = session.scalar(query.with_for_update() if lock else query)
    # Someone else's upload is "not found": its existence is not revealed.
    if photo is None or photo.uploader_id != actor.id:
        raise _err(404, "upload not found")
    return photo


def _gone() -> HTTPException:
    return _err(410, "the upload expired and was removed; create it again")


def _hash_at_start(fd: int, photo: Photo) -> _Hash:
    """The SHA-256 state of the ``photo.upload_offset`` bytes before this PATCH: kept from the
    previous PATCH in this process, or read from disk (after a restart, or when another worker
    served the previous PATCH). The file was cut back to the offset before this is called."""
    if photo.upload_offset == 0:
        return hashlib.sha256()
    kept = _hash_states.take(photo.storage_name, photo.upload_offset, photo.expires_at)
    if kept is not None:
        return kept
    log.info(
        "upload %s: hashing the %d bytes received before from disk (restart or other worker)",
        photo.id,
        photo.upload_offset,
    )
    return _fd_sha256(fd)


def _begin_patch(
    ctx: _Ctx,
    credentials: HTTPAuthorizationCredentials | None,
    photo_id: str,
    offset: int,
    body_len: int | None,
) -> _Lease | Response:
    """Sign in, find the upload, lock its file and check the offset: one short transaction.

    The row is read FOR UPDATE (PostgreSQL; on SQLite the transaction holds the write lock from
    BEGIN), so no other request moves the offset between this read and taking the file lock;
    the file lock then keeps other PATCHes out while the body streams in, without a database
    lock held meanwhile.
    """
    fd: int | None = None
    locked: str | None = None
    try:
        with ctx.sessions.begin() as session:
            actor = _sign_in(session, credentials)
            photo = _owned_photo(session, photo_id, actor, lock=True)
            expired = _expired(photo, datetime.now(UTC))
            if photo.state == _COMPLETE:
                if offset != photo.size_bytes:
                    raise _err(
                        409,
                        f"the upload is complete; Upload-Offset is {photo.size_bytes}",
                        headers={"Upload-Offset": str(photo.size_bytes)},
                    )
                if body_len:
                    raise _err(413, "the upload is already complete; no more bytes are accepted")
                return Response(status_code=204, headers=_offset_headers(photo))
            if not expired:
                path = ctx.store.partial(photo.storage_name)
                ctx.store.partial_dir.mkdir(parents=True, exist_ok=True)
                # O_CREAT: a partial file lost in a crash is started again (offset cut below).
                fd = os.open(path, os.O_RDWR | os.O_CREAT | _BINARY, 0o640)
                if not _try_lock(fd, photo.storage_name):
                    raise _err(
                        HTTP_423_LOCKED,
                        "another request is writing to this upload; retry shortly",
                        headers={"Retry-After": "1"},
                    )
                locked = photo.storage_name
                on_disk = os.fstat(fd).st_size
                if on_disk > photo.upload_offset:
                    # Bytes written but never committed (a crash between fsync and commit, or a
                    # refused chunk): the committed offset is the truth.
                    os.ftruncate(fd, photo.upload_offset)
                    os.fsync(fd)
                elif on_disk < photo.upload_offset:
                    # Should not happen (fsync comes before commit), but if the disk lost bytes
                    # the client must resume from what is there; committed before any 409.
                    log.warning(
                        "upload %s: %d bytes on disk, %d committed; continuing from the disk",
                        photo_id,
                        on_disk,
                        photo.upload_offset,
                    )
                    photo.upload_offset = on_disk
        # The row's values stay readable after the commit (expire_on_commit=False).
        if fd is None:  # expired: removed unless another request is writing to it
            if _delete_upload(ctx, photo_id):
                raise _gone()
            raise _err(HTTP_423_LOCKED, "another request is writing to this upload; retry shortly")
        start = photo.upload_offset
        if offset != start:
            raise _err(
                409,
                f"Upload-Offset {offset} does not match the upload's offset {start}; "
                "ask HEAD for it",
                headers={"Upload-Offset": str(start)},
            )
        if body_len is not None and start + body_len > photo.size_bytes:
            raise _err(
                413,
                f"the body ({body_len} bytes) would go past Upload-Length {photo.size_bytes} "
                f"from offset {start}; nothing was written",
                headers={"Upload-Offset": str(start)},
            )
        # Outside the transaction: reading earlier bytes back must not hold the database.
        file_hash = _hash_at_start(fd, photo)
        return _Lease(
            photo.id, photo.storage_name, photo.size_bytes, photo.sha256, photo.mime,
            photo.case_id, photo.role, photo.uploader_id, start, photo.expires_at, path, fd,
            file_hash, file_hash.copy(),
        )  # fmt: skip
    except BaseException:
        if fd is not None:
            if locked is not None:
                _unlock(fd, locked)
            os.close(fd)
        raise


class _Writer:
    """Writes (and hashes) a request body in a worker thread, one buffer at a time, while the
    event loop receives the next: a body costs at most two buffers of memory."""

    def __init__(self, fd: int, hashers: Sequence[_Hash] = ()) -> None:
        self.fd = fd
        self.hashers = hashers
        self.written = 0  # bytes written so far (a buffer counts once its write returned)
        self._pending: list[bytes] = []
        self._pending_len = 0
        self._running: asyncio.Future[int] | None = None

    async def add(self, chunk: bytes) -> None:
        self._pending.append(chunk)
        self._pending_len += len(chunk)
        if self._pending_len >= _WRITE_BUFFER:
            await self._settle()
            self._start()

    async def flush(self) -> None:
        """Write what is pending and wait until every byte is written."""
        await self._settle()
        self._start()
        await self._settle()

    async def stop(self) -> None:
        """After an error or a cancellation: wait (shielded) for the running write, so the
        descriptor can be closed; its own error, if any, is dropped for the one being raised."""
        if self._running is not None:
            await _wait_quietly(self._running)
            self._running = None

    def _start(self) -> None:
        if self._pending:
            pending = self._pending
            data = pending[0] if len(pending) == 1 else b"".join(pending)
            self._pending, self._pending_len = [], 0
            work = run_in_threadpool(_write_all, self.fd, data, self.hashers)
            self._running = asyncio.ensure_future(work)

    async def _settle(self) -> None:
        if self._running is not None:
            # Shielded: a cancelled request does not cancel the write (stop() waits for it).
            done = await asyncio.shield(self._running)
            self._running = None
            self.written += done


async def _wait_quietly(*tasks: asyncio.Future[Any]) -> None:
    with anyio.CancelScope(shield=True):
        await asyncio.wait(tasks)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log it


async def _receive(request: Request, lease: _Lease, received: _Received) -> None:
    """Append the body to the partial file as it arrives, hashing it on the way (_Writer).

    The first PATCH of an upload (offset 0) also makes the file's name durable meanwhile: the
    file is created by the first PATCH, not by the creation request. When this returns or
    raises, no write or fsync is running.
    """
    idle = _idle_timeout()
    limit = lease.length - lease.start
    hashers = [lease.file_hash]
    if received.chunk_hash is not None:
        hashers.append(received.chunk_hash)
    os.lseek(lease.fd, lease.start, os.SEEK_SET)
    writer = _Writer(lease.fd, hashers)
    dir_sync: asyncio.Future[None] | None = None
    if lease.start == 0:
        dir_sync = asyncio.ensure_future(run_in_threadpool(_fsync_dir, lease.path.parent))
    taken = 0
    chunks = request.stream()
    try:
        try:
            while True:
                try:
                    async with asyncio.timeout(idle):
                        chunk = await anext(chunks, None)
                except TimeoutError:
                    log.warning(
                        "upload %s: no data for %.0f s; treating as dropped", lease.photo_id, idle
                    )
                    received.dropped = True
                    break
                if chunk is None:
                    break
                taken += len(chunk)
                if taken > limit:
                    received.too_large = True  # nothing past Upload-Length is written
                    break
                await writer.add(chunk)
        except ClientDisconnect:
            received.dropped = True
        finally:
            await chunks.aclose()
        # Whatever fully arrived is written, even after a drop: it may be kept (_finish_patch);
        # after too much arrived, it is discarded anyway.
        await writer.flush()
        if dir_sync is not None:
            await asyncio.shield(dir_sync)
    except BaseException:
        await writer.stop()
        if dir_sync is not None:
            await _wait_quietly(dir_sync)
        raise
    finally:
        received.written = writer.written


def _discard_from(lease: _Lease, offset: int) -> None:
    os.ftruncate(lease.fd, offset)
    os.fsync(lease.fd)


def _keep_start_hash(lease: _Lease) -> None:
    """This PATCH kept nothing: the state at its start is still the upload's (same offset, and
    ``expires_at`` unchanged as nothing was committed)."""
    _hash_states.put(lease.storage_name, lease.start, lease.expires_at, lease.start_hash)


def _commit_offset(ctx: _Ctx, lease: _Lease, new_offset: int) -> datetime:
    """Commit the offset (after the bytes were fsynced); the new ``expires_at``."""
    expires = datetime.now(UTC) + upload_expiry()
    with ctx.sessions.begin() as session:
        # One conditional UPDATE: the row must still be this upload (not terminated, expired and
        # created again, or completed meanwhile).
        result = session.execute(
            update(Photo)
            .where(
                Photo.id == lease.photo_id,
                Photo.storage_name == lease.storage_name,
                Photo.state == _UPLOADING,
            )
            .values(upload_offset=new_offset, expires_at=expires)
            .execution_options(synchronize_session=False)
        )
        if cast("CursorResult[Any]", result).rowcount != 1:
            raise _err(404, "the upload was terminated or expired while this PATCH ran")
    return expires


def _offset_reply(offset: int, expires: datetime) -> Response:
    headers = {"Upload-Offset": str(offset), "Upload-Expires": _http_date(expires)}
    return Response(status_code=204, headers=headers)


def _complete(ctx: _Ctx, lease: _Lease) -> Response:
    """All bytes are here: verify them, then publish the photo (or refuse and reset)."""
    actual = lease.file_hash.hexdigest()
    if actual != lease.sha256:
        _discard_from(lease, 0)
        _commit_offset(ctx, lease, 0)
        raise _err(
            HTTP_460_CHECKSUM_MISMATCH,
            f"the file's SHA-256 is {actual}, not the declared {lease.sha256}; the upload was "
            "reset to offset 0",
            headers={"Upload-Offset": "0"},
        )
    if not _magic_matches(_fd_head(lease.fd), lease.mime):
        with ctx.sessions.begin() as session:
            photo = session.get(Photo, lease.photo_id)
            if photo is not None and photo.storage_name == lease.storage_name:
                session.delete(photo)
        lease.path.unlink(missing_ok=True)
        raise _err(415, f"the bytes are not a {lease.mime} image; the upload was deleted")
    now = datetime.now(UTC)
    with ctx.sessions.begin() as session:
        # As in _commit_offset: one conditional UPDATE (it takes the row lock), then the feed.
        result = session.execute(
            update(Photo)
            .where(
                Photo.id == lease.photo_id,
                Photo.storage_name == lease.storage_name,
                Photo.state == _UPLOADING,
            )
            .values(upload_offset=lease.length, state=_COMPLETE, completed_at=now, expires_at=None)
            .execution_options(synchronize_session=False)
        )
        if cast("CursorResult[Any]", result).rowcount != 1:
            raise _err(404, "the upload was terminated or expired while this PATCH ran")
        append_feed(
            session,
            "photo",
            lease.photo_id,
            {
                "photo_id": lease.photo_id,
                "case_id": lease.case_id,
                "role": lease.role,
                "mime": lease.mime,
                "size_bytes": lease.length,
                "sha256": lease.sha256,
                "uploader_id": lease.uploader_id,
                "completed_at": now.isoformat(),
            },
            role=Role.SUPERVISOR.value,
        )
    # The database says complete from here on; the move is repaired by _complete_path if the
    # process dies before it.
    _move_to_complete(ctx.store, lease.storage_name)
    log.info("photo %s complete (%d bytes)", lease.photo_id, lease.length)
    return Response(status_code=204, headers={"Upload-Offset": str(lease.length)})


def _finish_patch(
    ctx: _Ctx, lease: _Lease, received: _Received, checksum: bytes | None
) -> Response:
    try:
        if received.too_large:
            _discard_from(lease, lease.start)
            _keep_start_hash(lease)
            raise _err(
                413,
                f"the body goes past Upload-Length {lease.length}; nothing was kept",
                headers={"Upload-Offset": str(lease.start)},
            )
        if checksum is not None and (
            received.dropped
            or received.chunk_hash is None
            or received.chunk_hash.digest() != checksum
        ):
            # A checksummed chunk is all or nothing: a cut-off one cannot be verified either.
            _discard_from(lease, lease.start)
            _keep_start_hash(lease)
            if received.dropped:
                raise _err(400, "the connection dropped before the checksummed chunk was whole")
            raise _err(
                HTTP_460_CHECKSUM_MISMATCH,
                "Upload-Checksum does not match the chunk; it was discarded",
                headers={"Upload-Offset": str(lease.start)},
            )
        new_offset = lease.start + received.written
        os.fsync(lease.fd)  # bytes on disk before the offset that promises them
        if new_offset == lease.length:  # even after a drop: the bytes are whole, verify them
            return _complete(ctx, lease)
        expires = _commit_offset(ctx, lease, new_offset)
        _hash_states.put(lease.storage_name, new_offset, expires, lease.file_hash)
        return _offset_reply(new_offset, expires)
    finally:
        _unlock(lease.fd, lease.storage_name)
        os.close(lease.fd)


# --- complete files and the sweep ---------------------------------------------------------------


def _move_to_complete(store: PhotoStore, storage_name: str) -> None:
    # No directory fsync: the bytes were fsynced in partial/, a rename is atomic, and if a crash
    # undoes it the file is found in partial/ again (_complete_path, cleanup_uploads).
    store.complete_dir.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(store.partial(storage_name), store.complete(storage_name))
    except FileNotFoundError:
        if not store.complete(storage_name).exists():
            raise


def _complete_path(store: PhotoStore, storage_name: str) -> Path | None:
    path = store.complete(storage_name)
    if path.exists():
        return path
    if store.partial(storage_name).exists():
        _move_to_complete(store, storage_name)
        return path
    return None


@dataclass(frozen=True, slots=True)
class CleanupReport:
    expired: int
    orphans: int
    moved: int


def cleanup_uploads(
    sessions: sessionmaker[Session], photos_dir: Path, now: datetime | None = None
) -> CleanupReport:
    """Remove expired uploads and orphan partial files; finish interrupted moves.

    Safe at startup and periodically, from any number of workers at once. Uploads a PATCH is
    writing to are left alone.
    """
    ctx = _Ctx(sessions, PhotoStore(photos_dir))
    now = now or datetime.now(UTC)
    with sessions() as session:
        expired_ids = list(
            session.scalars(
                select(Photo.id).where(Photo.state == _UPLOADING, Photo.expires_at <= now)
            )
        )
    expired = sum(_delete_upload(ctx, photo_id) for photo_id in expired_ids)
    orphans = moved = 0
    partial_dir = ctx.store.partial_dir
    if partial_dir.is_dir():
        grace = upload_expiry().total_seconds()
        for path in partial_dir.iterdir():
            with sessions() as session:
                photo = session.scalar(select(Photo).where(Photo.storage_name == path.name))
            if photo is not None:
                if photo.state == _COMPLETE:  # the process died between commit and move
                    _move_to_complete(ctx.store, path.name)
                    moved += 1
                continue
            # No row: a removal that died between commit and unlink, or a PATCH that made the
            # file as its upload was removed (or one in flight: hence the grace period).
            try:
                age = time.time() - path.stat().st_mtime
            except FileNotFoundError:
                continue
            if age > grace and not _in_use(path, path.name):
                path.unlink(missing_ok=True)
                orphans += 1
    if expired or orphans or moved:
        log.info(
            "upload sweep: %d expired, %d orphan files, %d moves finished", expired, orphans, moved
        )
    return CleanupReport(expired, orphans, moved)


_last_sweep: dict[Path, float] = {}
_sweep_guard = threading.Lock()


def _maybe_sweep(ctx: _Ctx) -> None:
    """Run the sweep on the first upload request of a process and then every few minutes."""
    interval = min(300.0, upload_expiry().total_seconds())
    now = time.monotonic()
    with _sweep_guard:
        last = _last_sweep.get(ctx.store.root)
        if last is not None and now - last < interval:
            return
        _last_sweep[ctx.store.root] = now
    try:
        cleanup_uploads(ctx.sessions, ctx.store.root)
    except Exception:  # the sweep must never fail the request that triggered it
        log.exception("upload sweep failed")


# --- routes -------------------------------------------------------------------------------------

uploads = APIRouter(route_class=_TusRoute, tags=["photo uploads (tus 1.0)"])
photos = APIRouter(tags=["photos"])
TusHeader = Annotated[str | None, Header()]
_TUS = [Depends(_require_tus)]


def _doc(codes: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """Documented error statuses (bodies are ``{"detail": "..."}``)."""
    common = {401: "not signed in", 412: "Tus-Resumable is not 1.0.0", **codes}
    return {code: {"description": text} for code, text in common.items()}


@uploads.options(UPLOADS_PATH, status_code=204)
async def tus_options() -> Response:
    """tus discovery: protocol version, extensions, the size limit and checksum algorithms."""
    return Response(
        status_code=204,
        headers={
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": TUS_EXTENSIONS,
            "Tus-Max-Size": str(MAX_UPLOAD_BYTES),
            "Tus-Checksum-Algorithm": ",".join(_CHECKSUM_ALGORITHMS),
        },
    )


@uploads.post(
    UPLOADS_PATH,
    status_code=201,
    dependencies=_TUS,
    response_class=Response,
    responses={
        200: {"description": "this photo id was created before: same Location, current offset"},
        **_doc(
            {
                400: "missing or malformed Upload-Length or Upload-Metadata",
                403: "not an inspector, or neither author nor assignee of the case",
                404: "no such case (push the case first)",
                409: "the photo id is taken, or was created with other content",
                413: "larger than Tus-Max-Size",
                415: "mime is not image/jpeg, image/png, image/heic or image/heif",
            }
        ),
    },
)
def create_upload(
    request: Request,
    credentials: Credentials,
    *,
    upload_length: TusHeader = None,
    upload_metadata: TusHeader = None,
    upload_defer_length: TusHeader = None,
    content_length: TusHeader = None,
) -> Response:
    """Create (or find again) the upload of one photo of a case (tus creation).

    ``Upload-Length`` is the file size (at most Tus-Max-Size). ``Upload-Metadata`` carries, in
    base64: ``case_id``, ``photo_id`` (the client's UUID: a second creation with the same id
    answers 200 with the same Location and the current offset), ``sha256`` (hex, whole file),
    ``mime`` (image/jpeg, image/png, image/heic or image/heif), optional ``role``
    (before|after) and ``filename`` (kept as information only). Only the case's author or its
    re-inspection assignee may upload; the case must have been pushed first.
    """
    ctx = _ctx(request)
    headers = _CreationHeaders(upload_length, upload_metadata, upload_defer_length, content_length)
    return _create(ctx, credentials, headers)


@uploads.head(
    f"{UPLOADS_PATH}/{{photo_id}}",
    dependencies=_TUS,
    response_class=Response,
    responses=_doc({404: "no such upload (of yours)", 410: "expired and removed"}),
)
def upload_status(photo_id: str, request: Request, credentials: Credentials) -> Response:
    """The upload's offset (where to resume) and length; never cached."""
    ctx = _ctx(request)
    with ctx.sessions() as session:
        actor = _sign_in(session, credentials)
        pid = _canonical_uuid(photo_id)
        if pid is None:
            raise _err(404, "upload not found")
        photo = _owned_photo(session, pid, actor, lock=False)
    if _expired(photo, datetime.now(UTC)) and _delete_upload(ctx, pid):
        raise _gone()
    headers = {
        **_offset_headers(photo),
        "Upload-Length": str(photo.size_bytes),
        "Cache-Control": "no-store",
    }
    raw = photo.metadata_json.get("upload_metadata")
    if isinstance(raw, str) and raw:
        headers["Upload-Metadata"] = raw
    return Response(status_code=200, headers=headers)


@uploads.patch(
    f"{UPLOADS_PATH}/{{photo_id}}",
    status_code=204,
    dependencies=_TUS,
    response_class=Response,
    responses=_doc(
        {
            400: "malformed Upload-Offset or Upload-Checksum",
            404: "no such upload (of yours)",
            409: "Upload-Offset is not the upload's offset (see its Upload-Offset header)",
            410: "expired and removed",
            413: "the body goes past Upload-Length",
            415: "not application/offset+octet-stream, or the file is not the declared type",
            423: "another request is writing to this upload; retry",
            460: "checksum mismatch: chunk discarded, or whole file reset to offset 0",
        }
    ),
)
async def upload_bytes(
    photo_id: str,
    request: Request,
    credentials: Credentials,
    *,
    upload_offset: TusHeader = None,
    content_type: TusHeader = None,
    content_length: TusHeader = None,
    upload_checksum: TusHeader = None,
) -> Response:
    """Append bytes at ``Upload-Offset`` (which must be the upload's current offset).

    Body: ``application/offset+octet-stream``. Optional ``Upload-Checksum: sha1|sha256 <base64>``
    of this chunk (460 and nothing kept on mismatch). When the last byte arrives the whole file
    is checked against the declared SHA-256 (460, reset to offset 0) and the declared image
    type (415, upload deleted); then the photo is complete and supervisors are told.
    """
    if credentials is None:  # the token itself is checked with the upload, in one transaction
        raise _err(401, "not signed in or the session has expired", {"WWW-Authenticate": "Bearer"})
    if (content_type or "").split(";")[0].strip().lower() != "application/offset+octet-stream":
        raise _err(415, "a PATCH body must be Content-Type: application/offset+octet-stream")
    if upload_offset is None or not upload_offset.isascii() or not upload_offset.isdigit():
        raise _err(400, "Upload-Offset (a non-negative integer) is required")
    offset = int(upload_offset)
    body_len: int | None = None
    if content_length is not None:
        if not content_length.isascii() or not content_length.isdigit():
            raise _err(400, "Content-Length is not a number")
        body_len = int(content_length)
    checksum: bytes | None = None
    chunk_hash: _Hash | None = None
    if upload_checksum is not None:
        algorithm, _, encoded = upload_checksum.strip().partition(" ")
        factory = _CHECKSUM_ALGORITHMS.get(algorithm.lower())
        if factory is None:
            raise _err(
                400,
                f"Upload-Checksum: algorithm {algorithm!r} is not supported; use "
                + " or ".join(_CHECKSUM_ALGORITHMS),
            )
        chunk_hash = factory()
        try:
            checksum = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            raise _err(400, "Upload-Checksum: the digest is not base64") from None
        if len(checksum) != factory().digest_size:
            raise _err(400, f"Upload-Checksum: that is not a {algorithm} digest")
    pid = _canonical_uuid(photo_id)
    if pid is None:
        raise _err(404, "upload not found")
    ctx = _ctx(request)
    begun = await run_in_threadpool(_begin_patch, ctx, credentials, pid, offset, body_len)
    if isinstance(begun, Response):
        return begun
    received = _Received(chunk_hash=chunk_hash)
    try:
        await _receive(request, begun, received)
    except BaseException:
        # Cancelled or failed while receiving: keep nothing unverified, release the lock.
        await run_in_threadpool(_abandon, begun)
        raise
    return await run_in_threadpool(_finish_patch, ctx, begun, received, checksum)


def _abandon(lease: _Lease) -> None:
    try:
        _discard_from(lease, lease.start)
        _keep_start_hash(lease)
    finally:
        _unlock(lease.fd, lease.storage_name)
        os.close(lease.fd)


@uploads.delete(
    f"{UPLOADS_PATH}/{{photo_id}}",
    status_code=204,
    dependencies=_TUS,
    response_class=Response,
    responses=_doc({404: "no such upload (of yours)", 409: "complete photos are kept"}),
)
def terminate_upload(photo_id: str, request: Request, credentials: Credentials) -> Response:
    """Abandon an unfinished upload and free its space (tus termination).

    A complete photo is evidence of a case and is not deleted here (409).
    """
    ctx = _ctx(request)
    with ctx.sessions.begin() as session:
        actor = _sign_in(session, credentials)
        pid = _canonical_uuid(photo_id)
        if pid is None:
            raise _err(404, "upload not found")
        photo = _owned_photo(session, pid, actor, lock=True)
        if photo.state == _COMPLETE:
            raise _err(409, "the photo is complete: it is case evidence and is not deleted")
        storage_name = photo.storage_name
        session.delete(photo)
    # A PATCH still writing finds its row gone when it commits, and answers 404.
    ctx.store.partial(storage_name).unlink(missing_ok=True)
    return Response(status_code=204)


@photos.get(
    "/api/v1/photos/{photo_id}",
    response_class=FileResponse,
    responses={
        200: {"content": {m: {} for m in MIME_EXTENSIONS}, "description": "the photo's bytes"},
        401: {"description": "not signed in"},
        404: {"description": "no such complete photo, or not yours to see"},
    },
)
def download_photo(photo_id: str, request: Request, credentials: Credentials) -> FileResponse:
    """A complete photo's bytes, for its uploader, the case's author and assignee, supervisors
    and administrators (everyone else: 404)."""
    ctx = _ctx(request)
    not_found = _err(404, "photo not found")
    with ctx.sessions() as session:
        actor = _sign_in(session, credentials)
        pid = _canonical_uuid(photo_id)
        if pid is None:
            raise not_found
        photo = session.get(Photo, pid)
        if photo is None or photo.state != _COMPLETE:
            raise not_found
        case = session.get(Case, photo.case_id)
    allowed = actor.role in (Role.SUPERVISOR, Role.ADMIN) or actor.id in (
        photo.uploader_id,
        case.author_id if case else None,
        case.assignee_id if case else None,
    )
    if not allowed:
        raise not_found
    path = _complete_path(ctx.store, photo.storage_name)
    if path is None:
        log.error("photo %s is complete but its file %s is missing", pid, photo.storage_name)
        raise not_found
    return FileResponse(
        path,
        media_type=photo.mime,  # explicit: never guessed from a name
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'inline; filename="{pid}.{MIME_EXTENSIONS[photo.mime]}"',
            "Cache-Control": "private, max-age=86400",
        },
    )


@photos.put("/api/v1/bench/blob", include_in_schema=False)
async def bench_blob(request: Request) -> dict[str, int]:
    """Benchmark baseline: stream the body to a temporary file, fsync, delete. Off unless the
    server started with CITYPATROL_SERVER_BENCH=1."""
    if not _BENCH_ENABLED:
        raise HTTPException(404, "Not Found")
    folder = _ctx(request).store.root / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder)
    writer = _Writer(fd)  # the same writing as a tus PATCH, without hashing
    try:
        try:
            async for chunk in request.stream():
                await writer.add(chunk)
            await writer.flush()
        except BaseException:
            await writer.stop()
            raise
        await run_in_threadpool(os.fsync, fd)
    finally:
        os.close(fd)
        os.unlink(name)
    return {"bytes": writer.written}


router = APIRouter()
router.include_router(uploads)
router.include_router(photos)
