"""An upload's row and its bytes together: the request context, sign-in, expiry and removal.

The row (``photos``) holds the committed state — offset, ``expires_at``, ``uploading`` or
``complete`` — and the store holds the bytes. The offset is read and written in short
transactions that take the row with ``SELECT … FOR UPDATE`` (PostgreSQL; on SQLite every
transaction holds the write lock from BEGIN); no database lock is held while a body streams in.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Final, Protocol, cast

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from server.accounts import auth
from server.errors import not_signed_in
from server.models import Photo
from server.photos.protocol import http_date, public_prefix, upload_not_found
from server.photos.store import PhotoStore
from server.settings import Settings

UPLOADING: Final = "uploading"
COMPLETE: Final = "complete"


@dataclass(frozen=True, slots=True)
class UploadContext:
    """What every upload operation needs: the database, the store and the settings."""

    sessions: sessionmaker[Session]
    store: PhotoStore
    settings: Settings
    #: The path prefix the client reached us under (see protocol.public_prefix).
    prefix: str = ""

    @property
    def expiry(self) -> timedelta:
        """How long an unfinished upload is kept after its last PATCH (sliding)."""
        return timedelta(seconds=self.settings.upload_expiry_s)

    @property
    def idle(self) -> timedelta:
        """How long a token may go unused before it stops working."""
        return timedelta(days=self.settings.token_idle_days)


def context(request: Request) -> UploadContext:
    state = request.app.state
    prefix = public_prefix(request.headers.get("x-forwarded-prefix"), state.settings.root_path)
    return UploadContext(state.sessions, state.photo_store, state.settings, prefix)


@dataclass(frozen=True, slots=True)
class Actor:
    """The signed-in user of a request (plain values: no database session outlives a request)."""

    id: str
    username: str
    role: str
    #: A handler's department (issue 15).
    department_id: str | None = None


def sign_in(
    session: Session,
    credentials: HTTPAuthorizationCredentials | None,
    idle: timedelta = auth.DEFAULT_IDLE,
) -> Actor:
    """The bearer token's user, or 401 (as ``server.deps.current_user``), checked inside the
    endpoint's own short transaction.

    Not the ``CurrentUser`` dependency: its request-wide session lives until the response has
    been sent, and on SQLite every transaction holds the write lock from BEGIN — a PATCH
    streaming for minutes would block every other writer of the server. Sharing the endpoint's
    first transaction also saves a thread hop and a transaction per request.
    """
    user = auth.user_for_token(session, credentials.credentials, idle) if credentials else None
    if user is None:
        raise not_signed_in()
    return Actor(user.id, user.username, user.role, user.department_id)


class UploadState(Protocol):
    """What the offset headers and the expiry need of an upload (a row or a :class:`Photo`)."""

    @property
    def state(self) -> str: ...
    @property
    def upload_offset(self) -> int: ...
    @property
    def expires_at(self) -> datetime | None: ...


@dataclass(frozen=True, slots=True)
class Upload:
    """An upload's row as plain values, read with one Core query: the creation and PATCH path
    needs no ORM object (no identity map, no unit of work) — those cost more CPU per request
    than the SQL itself."""

    id: str
    case_id: str
    uploader_id: str
    sha256: str
    mime: str
    size_bytes: int
    upload_offset: int
    state: str
    role: str
    storage_name: str
    expires_at: datetime | None


PHOTOS: Final = cast(Table, Photo.__table__)
_UPLOAD_FIELDS: Final = tuple(field.name for field in fields(Upload))
_SELECT_UPLOAD: Final = select(*(PHOTOS.c[name] for name in _UPLOAD_FIELDS)).where(
    PHOTOS.c.id == bindparam("photo_id")
)
_SELECT_UPLOAD_LOCKED: Final = _SELECT_UPLOAD.with_for_update()


def find_upload(session: Session, photo_id: str, *, lock: bool) -> Upload | None:
    """The upload's row (``FOR UPDATE`` with ``lock``, on PostgreSQL), or None."""
    query = _SELECT_UPLOAD_LOCKED if lock else _SELECT_UPLOAD
    row = session.execute(query, {"photo_id": photo_id}).first()
    return None if row is None else Upload(*row)


def owned_upload(session: Session, photo_id: str, actor: Actor, *, lock: bool) -> Upload:
    """:func:`owned_photo` as plain values."""
    upload = find_upload(session, photo_id, lock=lock)
    if upload is None or upload.uploader_id != actor.id:
        raise upload_not_found()
    return upload


def owned_photo(session: Session, photo_id: str, actor: Actor, *, lock: bool) -> Photo:
    query = select(Photo).where(Photo.id == photo_id)
    photo = session.scalar(query.with_for_update() if lock else query)
    # Someone else's upload is "not found": its existence is not revealed.
    if photo is None or photo.uploader_id != actor.id:
        raise upload_not_found()
    return photo


def expired(photo: UploadState, now: datetime) -> bool:
    return photo.state == UPLOADING and photo.expires_at is not None and photo.expires_at <= now


def offset_headers(photo: UploadState) -> dict[str, str]:
    headers = {"Upload-Offset": str(photo.upload_offset)}
    if photo.state == UPLOADING and photo.expires_at is not None:
        headers["Upload-Expires"] = http_date(photo.expires_at)
    return headers


def delete_upload(ctx: UploadContext, photo_id: str) -> bool:
    """Delete an unfinished upload (row, then part) unless a PATCH is writing to it."""
    with ctx.sessions.begin() as session:
        photo = session.scalar(select(Photo).where(Photo.id == photo_id).with_for_update())
        if photo is None or photo.state != UPLOADING:
            return False
        storage_name = photo.storage_name
        if ctx.store.part_in_use(storage_name):
            return False
        session.delete(photo)
    # After the commit: a crash in between leaves an orphan part, which the sweep removes.
    ctx.store.remove_part(storage_name)
    return True
