"""The upload state machine: creation, and PATCH (lease, receive, finish, complete).

Records are pushed before photos, so an upload is always attached to a case the server already
has. A creation only adds a row (no bytes, no disk flush). A PATCH takes a *lease*: in one short
transaction it signs in, finds the upload, opens and locks its part in the store and checks the
offset; then the body streams into the part, hashed on the way (:class:`BodyWriter`); then the
part is synced and the new offset committed (:func:`finish_patch`). The first PATCH creates the
part, and makes its name durable while the body arrives, before any offset is committed.

A complete photo is only announced (``state="complete"``, a feed entry for supervisors) once
its whole-file SHA-256 matched the declared one and its first bytes are the declared image type
(:func:`app.domain.images.is_declared_type`); then it is published in the store.

Concurrency: one PATCH at a time per upload. The part is locked for the whole PATCH (a second
PATCH gets 423 and retries), without holding a database lock while a slow client trickles its
body in — on SQLite that would block every other writer of the server.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, cast

from fastapi import Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials
from sqlalchemy import CursorResult, Table, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from app.domain.contract import FeedKind, PhotoPayload
from app.domain.images import is_declared_type
from app.domain.lifecycle import CaseStatus, Role
from server import errors, observability
from server.db import relax_commit
from server.feed import FeedItem, append_feed_entries
from server.models import Case, Photo
from server.photos import access, quota
from server.photos.body import BodyWriter, wait_quietly
from server.photos.cleanup import maybe_sweep
from server.photos.hashing import Hash, hash_states
from server.photos.protocol import (
    MIME_EXTENSIONS,
    Creation,
    CreationHeaders,
    gone,
    http_date,
    location,
    locked,
    parse_creation,
    tus_error,
)
from server.photos.state import (
    COMPLETE,
    PHOTOS,
    UPLOADING,
    Actor,
    Upload,
    UploadContext,
    delete_upload,
    expired,
    find_upload,
    offset_headers,
    owned_upload,
    sign_in,
)
from server.photos.store import Part

log = logging.getLogger("citypatrol.server.tus")

# The hot path's statements, built once (Core: no ORM unit of work per request). Each UPDATE is
# conditional: the row must still be this upload (not terminated, expired and created again,
# or completed meanwhile).
_CASES: Final = Case.__table__
assert isinstance(_CASES, Table)
_THIS_UPLOAD: Final = (
    PHOTOS.c.id == bindparam("this_id"),
    PHOTOS.c.storage_name == bindparam("this_name"),
    PHOTOS.c.state == UPLOADING,
)
_ADVANCE: Final = (
    update(PHOTOS)
    .where(*_THIS_UPLOAD)
    .values(upload_offset=bindparam("new_offset"), expires_at=bindparam("new_expires"))
)
_COMPLETE: Final = (
    update(PHOTOS)
    .where(*_THIS_UPLOAD)
    .values(
        upload_offset=bindparam("length"),
        state=COMPLETE,
        completed_at=bindparam("now"),
        expires_at=None,
    )
)
# The case row locked (FOR NO KEY UPDATE, as a push does: server.feed's lock order), so a
# submission running now either sees the photo complete or is seen by the completion as done.
_CASE_FOR_FEED: Final = (
    select(_CASES.c.status, _CASES.c.department_id)
    .where(_CASES.c.id == bindparam("case_id"))
    .with_for_update(key_share=True)
)
_INSERT_UPLOAD: Final = insert(PHOTOS)

# --- creation ---------------------------------------------------------------------------------


def _same_content(photo: Upload, spec: Creation) -> bool:
    return (photo.case_id, photo.sha256, photo.size_bytes, photo.mime, photo.role) == (
        spec.case_id,
        spec.sha256,
        spec.length,
        spec.mime,
        spec.role,
    )


def _creation_response(ctx: UploadContext, photo: Upload, code: int) -> Response:
    headers = {"Location": location(photo.id, ctx.prefix), **offset_headers(photo)}
    return Response(status_code=code, headers=headers)


def _answer_existing(
    ctx: UploadContext, actor: Actor, spec: Creation, photo: Upload
) -> Response | None:
    """The answer for a photo id seen before, or None to create it (again)."""
    if photo.uploader_id != actor.id:
        raise tus_error(
            status.HTTP_409_CONFLICT,
            "photo_id_taken",
            f"照片编号 {spec.photo_id} 已被另一个上传使用",
            f"photo id {spec.photo_id} is already used by another upload",
        )
    if not _same_content(photo, spec):
        raise tus_error(
            status.HTTP_409_CONFLICT,
            "photo_id_reused",
            f"照片 {spec.photo_id} 已以不同内容创建；修改过的照片需要新的照片编号",
            f"photo {spec.photo_id} was already created with other content (case, sha256, "
            "size, mime or role differ); a changed photo needs a new photo id",
        )
    if expired(photo, datetime.now(UTC)) and delete_upload(ctx, photo.id):
        return None  # start over: the old upload is gone
    if photo.state == UPLOADING and ctx.store.part_in_use(photo.storage_name):
        # A request is receiving this upload's bytes right now (the earlier send of this
        # creation, whose answer was lost, say): its offset is about to move. Retry shortly
        # rather than be told an offset the client would resend from in vain.
        raise locked()
    return _creation_response(ctx, photo, status.HTTP_200_OK)


def _new_upload(ctx: UploadContext, actor: Actor, spec: Creation) -> Upload:
    now = datetime.now(UTC)
    # No part yet: the first PATCH creates it (and makes its name durable before it commits an
    # offset), so a creation costs no disk flush and leaves no empty file behind.
    return Upload(
        id=spec.photo_id,
        case_id=spec.case_id,
        uploader_id=actor.id,
        sha256=spec.sha256,
        mime=spec.mime,
        size_bytes=spec.length,
        upload_offset=0,
        state=UPLOADING,
        role=spec.role,
        storage_name=f"{secrets.token_hex(16)}.{MIME_EXTENSIONS[spec.mime]}",
        expires_at=now + ctx.expiry,
    )


def _insert_upload(session: Session, upload: Upload, spec: Creation) -> None:
    values = dataclasses.asdict(upload)
    values["metadata_json"] = {"filename": spec.filename, "upload_metadata": spec.metadata}
    values["created_at"] = datetime.now(UTC)
    session.execute(_INSERT_UPLOAD, values)


def create(
    ctx: UploadContext, credentials: HTTPAuthorizationCredentials | None, headers: CreationHeaders
) -> Response:
    """Sign in, check and add the upload, in one transaction; a photo id seen before is answered
    by _answer_existing (or created again if its upload expired)."""
    return create_upload(ctx, credentials, headers)[0]


def create_upload(
    ctx: UploadContext,
    credentials: HTTPAuthorizationCredentials | None,
    headers: CreationHeaders,
    body_len: int | None = None,
) -> tuple[Response, Lease | None]:
    """:func:`create`; with ``body_len`` (creation-with-upload), a new upload also comes back
    leased: its part is opened and locked *before* the row is committed, so no other request
    (a resend of this creation on another node, say) can see the upload without meeting the
    lock — it is answered 423 until this request has stored and committed what it received."""
    for _attempt in range(3):
        photo: Upload | None = None
        part: Part | None = None
        with ctx.sessions() as session:
            try:
                with session.begin():
                    # Not flushed: a creation lost in a crash is created again by the client
                    # (its PATCH or HEAD finds no upload); nothing was promised about bytes.
                    relax_commit(session)
                    actor = sign_in(session, credentials, ctx.idle)
                    spec = parse_creation(headers)
                    parties = access.case_parties(session, spec.case_id)
                    access.check_uploader(actor, parties, spec.case_id, spec.role)
                    existing = find_upload(session, spec.photo_id, lock=False)
                    if existing is None:
                        quota.check_quotas(session, ctx, actor.id, spec.case_id, spec.length)
                        quota.check_disk(ctx, spec.length)
                        photo = _new_upload(ctx, actor, spec)
                        if body_len is not None:
                            _check_body(photo, body_len)
                            part = ctx.store.open_part(photo.storage_name)
                            if part is None:  # no lock connection to be had (all in use)
                                raise locked()
                        _insert_upload(session, photo, spec)
            except IntegrityError:
                # The same photo id was created concurrently (a resend racing the first send).
                _drop_part(ctx, part, photo)
                photo = part = None
                existing = find_upload(session, spec.photo_id, lock=False)
                if existing is None:
                    raise
            except BaseException:
                _drop_part(ctx, part, photo)
                raise
        maybe_sweep(ctx)  # signed-in requests only, and outside any transaction (SQLite)
        if photo is not None:
            log.info("upload %s created for case %s by %s", photo.id, spec.case_id, actor.username)
            lease = None if part is None else _new_lease(photo, part)
            return _creation_response(ctx, photo, status.HTTP_201_CREATED), lease
        assert existing is not None  # a photo is added exactly when none existed
        answer = _answer_existing(ctx, actor, spec, existing)
        if answer is not None:
            return answer, None
        # The expired upload was removed: create it again.
    raise errors.retry_later(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "upload_contended",
        "该上传正被同时创建和删除，请稍后重试",
        "this upload is being created and removed concurrently; retry shortly",
        errors.RetryAfter.CONTENDED,
    )


def _check_body(photo: Upload, body_len: int) -> None:
    if body_len > photo.size_bytes:
        raise tus_error(
            status.HTTP_413_CONTENT_TOO_LARGE,
            "past_length",
            f"请求体（{body_len} 字节）超出 Upload-Length {photo.size_bytes}；未写入任何数据",
            f"the body ({body_len} bytes) would go past Upload-Length {photo.size_bytes}; "
            "nothing was written",
        )


def _drop_part(ctx: UploadContext, part: Part | None, photo: Upload | None) -> None:
    """A part opened for a creation that did not commit: released and removed."""
    if part is not None and photo is not None:
        part.close()
        ctx.store.remove_part(photo.storage_name)


def _new_lease(photo: Upload, part: Part) -> Lease:
    file_hash = hashlib.sha256()
    return Lease(
        photo.id, photo.storage_name, photo.size_bytes, photo.sha256, photo.mime,
        photo.case_id, photo.role, photo.uploader_id, 0, photo.expires_at, part,
        file_hash, file_hash.copy(),
    )  # fmt: skip


# --- PATCH ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Lease:
    """An upload locked by one PATCH: the open part, the offset it starts at, and the SHA-256
    state of the bytes before that offset (then of every byte written)."""

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
    part: Part
    file_hash: Hash
    #: A copy of ``file_hash`` at ``start``: filed again if this PATCH keeps nothing.
    start_hash: Hash


@dataclass(slots=True)
class Received:
    written: int = 0
    dropped: bool = False  # the client went away or stalled
    too_large: bool = False
    chunk_hash: Hash | None = None
    #: The body's last bytes, not yet written: finish_patch writes (and hashes) them in its own
    #: worker thread, before it syncs — one thread hop less per request.
    last: bytes = b""


def _hash_at_start(part: Part, photo: Upload) -> Hash:
    """The SHA-256 state of the ``photo.upload_offset`` bytes before this PATCH: kept from the
    previous PATCH in this process, or read from the store (after a restart, or when another
    worker served the previous PATCH). The part was cut back to the offset before this."""
    if photo.upload_offset == 0:
        return hashlib.sha256()
    kept = hash_states.take(photo.storage_name, photo.upload_offset, photo.expires_at)
    if kept is not None:
        return kept
    log.info(
        "upload %s: hashing the %d bytes received before from the store (restart or other worker)",
        photo.id,
        photo.upload_offset,
    )
    return part.sha256()


def _check_complete(photo: Upload, offset: int, body_len: int | None) -> Response:
    """A PATCH of a complete upload: fine (204) if it brings nothing at the final offset."""
    if offset != photo.size_bytes:
        raise tus_error(
            status.HTTP_409_CONFLICT,
            "offset_mismatch",
            f"上传已完成；Upload-Offset 为 {photo.size_bytes}",
            f"the upload is complete; Upload-Offset is {photo.size_bytes}",
            {"Upload-Offset": str(photo.size_bytes)},
        )
    if body_len:
        raise tus_error(
            status.HTTP_413_CONTENT_TOO_LARGE,
            "already_complete",
            "上传已完成，不再接收数据",
            "the upload is already complete; no more bytes are accepted",
        )
    return Response(status_code=204, headers=offset_headers(photo))


def _reconcile(session: Session, part: Part, photo: Upload) -> Upload:
    """Make the part's length the committed offset (inside the lease's transaction)."""
    on_disk = part.size()
    if on_disk > photo.upload_offset:
        # Bytes written but never committed (a crash between sync and commit, or a refused
        # chunk): the committed offset is the truth.
        part.truncate(photo.upload_offset)
    elif on_disk < photo.upload_offset:
        # Should not happen (sync comes before commit), but if the disk lost bytes the client
        # must resume from what is there; committed before any 409.
        log.warning(
            "upload %s: %d bytes on disk, %d committed; continuing from the disk",
            photo.id,
            on_disk,
            photo.upload_offset,
        )
        session.execute(update(PHOTOS).where(PHOTOS.c.id == photo.id).values(upload_offset=on_disk))
        return dataclasses.replace(photo, upload_offset=on_disk)
    return photo


def begin_patch(
    ctx: UploadContext,
    credentials: HTTPAuthorizationCredentials | None,
    photo_id: str,
    offset: int,
    body_len: int | None,
) -> Lease | Response:
    """Sign in, find the upload, lock its part and check the offset: one short transaction.

    The row is read FOR UPDATE (PostgreSQL; on SQLite the transaction holds the write lock from
    BEGIN), so no other request moves the offset between this read and taking the part's lock;
    the part's lock then keeps other PATCHes out while the body streams in, without a database
    lock held meanwhile.
    """
    part: Part | None = None
    try:
        with ctx.sessions.begin() as session:
            actor = sign_in(session, credentials, ctx.idle)
            photo = owned_upload(session, photo_id, actor, lock=True)
            if photo.state == COMPLETE:
                return _check_complete(photo, offset, body_len)
            if not expired(photo, datetime.now(UTC)):
                part = ctx.store.open_part(photo.storage_name)
                if part is None:
                    raise locked()
                photo = _reconcile(session, part, photo)
        if part is None:  # expired: removed unless another request is writing to it
            if delete_upload(ctx, photo_id):
                raise gone()
            raise locked()
        start = photo.upload_offset
        if offset != start:
            raise tus_error(
                status.HTTP_409_CONFLICT,
                "offset_mismatch",
                f"Upload-Offset {offset} 与上传的偏移量 {start} 不符；请用 HEAD 查询",
                f"Upload-Offset {offset} does not match the upload's offset {start}; "
                "ask HEAD for it",
                {"Upload-Offset": str(start)},
            )
        if body_len is not None and start + body_len > photo.size_bytes:
            raise tus_error(
                status.HTTP_413_CONTENT_TOO_LARGE,
                "past_length",
                f"请求体（{body_len} 字节）从偏移量 {start} 起会超出 Upload-Length "
                f"{photo.size_bytes}；未写入任何数据",
                f"the body ({body_len} bytes) would go past Upload-Length {photo.size_bytes} "
                f"from offset {start}; nothing was written",
                {"Upload-Offset": str(start)},
            )
        # Nothing is written into the disk's reserve (the database needs it).
        quota.check_disk(ctx, photo.size_bytes - start if body_len is None else body_len)
        # Outside the transaction: reading earlier bytes back must not hold the database.
        file_hash = _hash_at_start(part, photo)
        return Lease(
            photo.id, photo.storage_name, photo.size_bytes, photo.sha256, photo.mime,
            photo.case_id, photo.role, photo.uploader_id, start, photo.expires_at, part,
            file_hash, file_hash.copy(),
        )  # fmt: skip
    except BaseException:
        if part is not None:
            part.close()
        raise


async def receive(ctx: UploadContext, request: Request, lease: Lease, received: Received) -> None:
    """Append the body to the part as it arrives, hashing it on the way (BodyWriter).

    The first PATCH of an upload (offset 0) also makes the part's name durable meanwhile: the
    part is created by the first PATCH, not by the creation request. When this returns or
    raises, no write or sync is running.
    """
    idle = ctx.settings.upload_idle_s
    limit = lease.length - lease.start
    hashers = [lease.file_hash]
    if received.chunk_hash is not None:
        hashers.append(received.chunk_hash)
    lease.part.seek(lease.start)
    writer = BodyWriter(lease.part.write, hashers)
    dir_sync: asyncio.Future[None] | None = None
    if lease.start == 0:
        dir_sync = asyncio.ensure_future(run_in_threadpool(ctx.store.sync_part_names))
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
        # Whatever fully arrived is kept, even after a drop: it is written, its last buffer by
        # finish_patch; after too much arrived, it is discarded anyway.
        received.last = await writer.take_last()
        if dir_sync is not None:
            await asyncio.shield(dir_sync)
    except BaseException:
        await writer.stop()
        if dir_sync is not None:
            await wait_quietly(dir_sync)
        raise
    finally:
        received.written = writer.written


def _keep_start_hash(lease: Lease) -> None:
    """This PATCH kept nothing: the state at its start is still the upload's (same offset, and
    ``expires_at`` unchanged as nothing was committed)."""
    hash_states.put(lease.storage_name, lease.start, lease.expires_at, lease.start_hash)


def abandon(lease: Lease) -> None:
    """Cancelled or failed while receiving: keep nothing unverified, release the lock."""
    try:
        lease.part.truncate(lease.start)
        _keep_start_hash(lease)
    finally:
        lease.part.close()


def _terminated() -> errors.ApiError:
    return tus_error(
        status.HTTP_404_NOT_FOUND,
        "upload_not_found",
        "该上传在本次 PATCH 期间被终止或已过期",
        "the upload was terminated or expired while this PATCH ran",
    )


def _commit_offset(ctx: UploadContext, lease: Lease, new_offset: int) -> datetime:
    """Commit the offset (after the bytes were synced); the new ``expires_at``."""
    expires = datetime.now(UTC) + ctx.expiry
    with ctx.sessions.begin() as session:
        # Not flushed to disk: the part was synced before this, so a lost commit leaves the
        # offset behind the bytes (cut back, resent), never ahead of them. Only the completion
        # below is a durable commit: after it the client forgets the photo.
        relax_commit(session)
        # One conditional UPDATE (_ADVANCE): the row must still be this upload.
        result = session.execute(
            _ADVANCE,
            {
                "this_id": lease.photo_id,
                "this_name": lease.storage_name,
                "new_offset": new_offset,
                "new_expires": expires,
            },
        )
        if cast("CursorResult[Any]", result).rowcount != 1:
            raise _terminated()
    return expires


def _complete(ctx: UploadContext, lease: Lease) -> Response:
    """All bytes are here: verify them, then publish the photo (or refuse and reset)."""
    actual = lease.file_hash.hexdigest()
    if actual != lease.sha256:
        lease.part.truncate(0)
        _commit_offset(ctx, lease, 0)
        raise tus_error(
            errors.HTTP_460_CHECKSUM_MISMATCH,
            "file_checksum_mismatch",
            f"文件的 SHA-256 为 {actual}，与声明的 {lease.sha256} 不符；上传已重置到偏移量 0",
            f"the file's SHA-256 is {actual}, not the declared {lease.sha256}; the upload was "
            "reset to offset 0",
            {"Upload-Offset": "0"},
        )
    if not is_declared_type(lease.part.head(), lease.mime):
        with ctx.sessions.begin() as session:
            photo = session.get(Photo, lease.photo_id)
            if photo is not None and photo.storage_name == lease.storage_name:
                session.delete(photo)
        ctx.store.remove_part(lease.storage_name)
        raise tus_error(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "not_declared_type",
            f"内容不是 {lease.mime} 图像；上传已删除",
            f"the bytes are not a {lease.mime} image; the upload was deleted",
        )
    now = datetime.now(UTC)
    with ctx.sessions.begin() as session:
        # As in _commit_offset: one conditional UPDATE (it takes the row lock), then the feed.
        result = session.execute(
            _COMPLETE,
            {
                "this_id": lease.photo_id,
                "this_name": lease.storage_name,
                "length": lease.length,
                "now": now,
            },
        )
        if cast("CursorResult[Any]", result).rowcount != 1:
            raise _terminated()
        payload: PhotoPayload = {
            "photo_id": lease.photo_id,
            "case_id": lease.case_id,
            "role": lease.role,
            "mime": lease.mime,
            "size_bytes": lease.length,
            "sha256": lease.sha256,
            "uploader_id": lease.uploader_id,
            "completed_at": now.isoformat(),
        }
        # The case row locked (_CASE_FOR_FEED), then the feed entries in one INSERT.
        case_row = session.execute(_CASE_FOR_FEED, {"case_id": lease.case_id}).one_or_none()
        case_status, department = case_row if case_row is not None else (None, None)
        feed: list[FeedItem] = []
        if department is not None and case_status != CaseStatus.DRAFT.value:
            # The department the case is dispatched to sees its photos (issue 15).
            feed.append(FeedItem(FeedKind.PHOTO, lease.photo_id, payload, department_id=department))
        if case_status is not None and case_status != CaseStatus.DRAFT.value:
            # A draft's photos are its inspector's alone: supervisors hear of them when the
            # case is first submitted (server.cases.ingest), not before.
            feed.append(
                FeedItem(FeedKind.PHOTO, lease.photo_id, payload, role=Role.SUPERVISOR.value)
            )
        append_feed_entries(session, feed)
    # The database says complete from here on; the store's finished() (and the sweep) repairs
    # the move if the process dies before it, or the object store fails meanwhile: the bytes
    # are stored already, only not yet where downloads look first.
    try:
        ctx.store.publish(lease.storage_name, lease.sha256)
    except errors.ApiError:
        log.warning("photo %s: publishing deferred (photo store unavailable)", lease.photo_id)
    log.info("photo %s complete (%d bytes)", lease.photo_id, lease.length)
    observability.PHOTOS_COMPLETED.inc()
    observability.PHOTO_BYTES.inc(lease.length)
    return Response(status_code=204, headers={"Upload-Offset": str(lease.length)})


def _write_last(lease: Lease, received: Received) -> None:
    """Write and hash the body's last bytes (as BodyWriter does the others); on failure keep
    nothing of this PATCH, as :func:`abandon` does."""
    try:
        lease.part.write(received.last)
    except BaseException:
        lease.part.truncate(lease.start)
        _keep_start_hash(lease)
        raise
    lease.file_hash.update(received.last)
    if received.chunk_hash is not None:
        received.chunk_hash.update(received.last)
    received.written += len(received.last)


def finish_patch(
    ctx: UploadContext, lease: Lease, received: Received, checksum: bytes | None
) -> Response:
    try:
        if received.last and not received.too_large:
            _write_last(lease, received)
        if received.too_large:
            lease.part.truncate(lease.start)
            _keep_start_hash(lease)
            raise tus_error(
                status.HTTP_413_CONTENT_TOO_LARGE,
                "past_length",
                f"请求体超出 Upload-Length {lease.length}；未保留任何数据",
                f"the body goes past Upload-Length {lease.length}; nothing was kept",
                {"Upload-Offset": str(lease.start)},
            )
        if checksum is not None and (
            received.dropped
            or received.chunk_hash is None
            or received.chunk_hash.digest() != checksum
        ):
            # A checksummed chunk is all or nothing: a cut-off one cannot be verified either.
            lease.part.truncate(lease.start)
            _keep_start_hash(lease)
            if received.dropped:
                raise tus_error(
                    status.HTTP_400_BAD_REQUEST,
                    "chunk_cut_off",
                    "带校验的数据块未完整到达连接就断开了",
                    "the connection dropped before the checksummed chunk was whole",
                )
            raise tus_error(
                errors.HTTP_460_CHECKSUM_MISMATCH,
                "chunk_checksum_mismatch",
                "Upload-Checksum 与数据块不符；已丢弃该数据块",
                "Upload-Checksum does not match the chunk; it was discarded",
                {"Upload-Offset": str(lease.start)},
            )
        new_offset = lease.start + received.written
        lease.part.sync()  # bytes stored before the offset that promises them
        if new_offset == lease.length:  # even after a drop: the bytes are whole, verify them
            return _complete(ctx, lease)
        expires = _commit_offset(ctx, lease, new_offset)
        hash_states.put(lease.storage_name, new_offset, expires, lease.file_hash)
        headers = {"Upload-Offset": str(new_offset), "Upload-Expires": http_date(expires)}
        return Response(status_code=204, headers=headers)
    finally:
        lease.part.close()
