"""The photo routes: tus 1.0 uploads (``/api/v1/uploads``) and downloads (``/api/v1/photos``)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from server.deps import Credentials
from server.errors import ApiError, documented, not_signed_in, refuse
from server.models import Case, Photo
from server.photos import access, thumbnails, uploads
from server.photos.hashing import CHECKSUM_ALGORITHMS
from server.photos.protocol import (
    MAX_UPLOAD_BYTES,
    MIME_EXTENSIONS,
    TUS_EXTENSIONS,
    TUS_VERSION,
    UPLOADS_PATH,
    CreationHeaders,
    PatchHeaders,
    TusHeader,
    TusRoute,
    canonical_uuid,
    doc,
    gone,
    is_offset_octets,
    parse_patch,
    require_tus,
    tus_error,
    upload_not_found,
)
from server.photos.state import (
    COMPLETE,
    UploadContext,
    context,
    delete_upload,
    expired,
    offset_headers,
    owned_photo,
    sign_in,
)
from server.photos.store import Finished

log = logging.getLogger("citypatrol.server.tus")

uploads_router = APIRouter(route_class=TusRoute, tags=["photo uploads (tus 1.0)"])
photos_router = APIRouter(tags=["photos"])
_TUS = [Depends(require_tus)]


@uploads_router.options(UPLOADS_PATH, status_code=204)
async def tus_options() -> Response:
    """tus discovery: protocol version, extensions, the size limit and checksum algorithms."""
    return Response(
        status_code=204,
        headers={
            "Tus-Version": TUS_VERSION,
            "Tus-Extension": TUS_EXTENSIONS,
            "Tus-Max-Size": str(MAX_UPLOAD_BYTES),
            "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS),
        },
    )


@uploads_router.post(
    UPLOADS_PATH,
    status_code=201,
    dependencies=_TUS,
    response_class=Response,
    responses={
        200: {"description": "this photo id was created before: same Location, current offset"},
        **doc(
            {
                400: "missing or malformed Upload-Length or Upload-Metadata",
                403: "not an inspector, or neither author nor assignee of the case",
                404: "no such case (push the case first)",
                409: "the photo id is taken, or was created with other content",
                413: "larger than Tus-Max-Size, or a body past Upload-Length",
                415: "mime is not image/jpeg, image/png, image/heic or image/heif, or the bytes "
                "sent with the creation are not the declared type",
                423: "another request is writing to this upload; retry",
                460: "the bytes sent with the creation do not match the declared SHA-256",
            }
        ),
    },
)
async def create_upload(
    request: Request,
    credentials: Credentials,
    *,
    upload_length: TusHeader = None,
    upload_metadata: TusHeader = None,
    upload_defer_length: TusHeader = None,
    content_length: TusHeader = None,
    content_type: TusHeader = None,
    upload_checksum: TusHeader = None,
) -> Response:
    """Create (or find again) the upload of one photo of a case (tus creation).

    ``Upload-Length`` is the file size (at most Tus-Max-Size). ``Upload-Metadata`` carries, in
    base64: ``case_id``, ``photo_id`` (the client's UUID: a second creation with the same id
    answers 200 with the same Location and the current offset), ``sha256`` (hex, whole file),
    ``mime`` (image/jpeg, image/png, image/heic or image/heif), optional ``role``
    (before|after) and ``filename`` (kept as information only). Only the case's author or its
    re-inspection assignee may upload; the case must have been pushed first.

    creation-with-upload: a body (``Content-Type: application/offset+octet-stream``) is the
    file's first bytes — a photo that fits one request is created, received, verified and
    complete in one round trip. The answer's ``Upload-Offset`` says how much was kept; a body
    sent again for an upload that has bytes already is ignored (PATCH from its offset).
    """
    with_body = content_length not in (None, "0") and is_offset_octets(content_type)
    headers = CreationHeaders(
        upload_length, upload_metadata, upload_defer_length, None if with_body else content_length
    )
    ctx = context(request)
    if not with_body:
        return await run_in_threadpool(uploads.create, ctx, credentials, headers)
    patch = parse_patch(
        upload_offset="0",
        content_type=content_type,
        content_length=content_length,
        upload_checksum=upload_checksum,
    )
    created, lease = await run_in_threadpool(
        uploads.create_upload, ctx, credentials, headers, patch.body_len
    )
    if lease is not None:  # new, and locked since before anyone could see it
        received = await _receive_into(ctx, request, lease, patch)
        return _merged(created, received)
    if created.headers.get("Upload-Offset") != "0":
        return created  # bytes arrived before: the client PATCHes from the offset
    photo_id = created.headers["Location"].rsplit("/", 1)[1]
    try:
        # The PATCH path, lease and all: a resend of this creation (its answer was lost) may
        # be receiving on another node right now, and the lease is what keeps them apart.
        received = await _receive_patch(ctx, request, credentials, photo_id, patch)
    except ApiError as exc:
        if exc.status_code != status.HTTP_409_CONFLICT or "Upload-Offset" not in exc.headers:
            raise
        # Bytes arrived meanwhile through another request: answer as a creation that found
        # the upload (its offset); the client PATCHes from there.
        created.status_code = status.HTTP_200_OK
        created.headers["Upload-Offset"] = exc.headers["Upload-Offset"]
        return created
    return _merged(created, received)


def _merged(created: Response, received: Response) -> Response:
    """The creation's answer with the offset (and expiry) after its body."""
    for name in ("Upload-Offset", "Upload-Expires"):
        if name in received.headers:
            created.headers[name] = received.headers[name]
    if "Upload-Expires" not in received.headers and "upload-expires" in created.headers:
        del created.headers["Upload-Expires"]  # complete: no expiry any more
    return created


@uploads_router.head(
    f"{UPLOADS_PATH}/{{photo_id}}",
    dependencies=_TUS,
    response_class=Response,
    responses=doc({404: "no such upload (of yours)", 410: "expired and removed"}, body=False),
)
def upload_status(photo_id: str, request: Request, credentials: Credentials) -> Response:
    """The upload's offset (where to resume) and length; never cached."""
    ctx = context(request)
    with ctx.sessions() as session:
        actor = sign_in(session, credentials, ctx.idle)
        pid = canonical_uuid(photo_id)
        if pid is None:
            raise upload_not_found()
        photo = owned_photo(session, pid, actor, lock=False)
    if expired(photo, datetime.now(UTC)) and delete_upload(ctx, pid):
        raise gone()
    headers = {
        **offset_headers(photo),
        "Upload-Length": str(photo.size_bytes),
        "Cache-Control": "no-store",
    }
    raw = photo.metadata_json.get("upload_metadata")
    if isinstance(raw, str) and raw:
        headers["Upload-Metadata"] = raw
    return Response(status_code=200, headers=headers)


@uploads_router.patch(
    f"{UPLOADS_PATH}/{{photo_id}}",
    status_code=204,
    dependencies=_TUS,
    response_class=Response,
    responses=doc(
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
        raise not_signed_in()
    patch = parse_patch(
        upload_offset=upload_offset,
        content_type=content_type,
        content_length=content_length,
        upload_checksum=upload_checksum,
    )
    pid = canonical_uuid(photo_id)
    if pid is None:
        raise upload_not_found()
    return await _receive_patch(context(request), request, credentials, pid, patch)


async def _receive_patch(
    ctx: UploadContext,
    request: Request,
    credentials: HTTPAuthorizationCredentials | None,
    pid: str,
    patch: PatchHeaders,
) -> Response:
    """A PATCH's work (or a creation's body): lease, receive, finish."""
    begun = await run_in_threadpool(
        uploads.begin_patch, ctx, credentials, pid, patch.offset, patch.body_len
    )
    if isinstance(begun, Response):
        return begun
    return await _receive_into(ctx, request, begun, patch)


async def _receive_into(
    ctx: UploadContext, request: Request, begun: uploads.Lease, patch: PatchHeaders
) -> Response:
    received = uploads.Received(chunk_hash=patch.chunk_hash)
    try:
        await uploads.receive(ctx, request, begun, received)
    except BaseException:
        await run_in_threadpool(uploads.abandon, begun)
        raise
    return await run_in_threadpool(uploads.finish_patch, ctx, begun, received, patch.checksum)


@uploads_router.delete(
    f"{UPLOADS_PATH}/{{photo_id}}",
    status_code=204,
    dependencies=_TUS,
    response_class=Response,
    responses=doc({404: "no such upload (of yours)", 409: "complete photos are kept"}),
)
def terminate_upload(photo_id: str, request: Request, credentials: Credentials) -> Response:
    """Abandon an unfinished upload and free its space (tus termination).

    A complete photo is evidence of a case and is not deleted here (409).
    """
    ctx = context(request)
    with ctx.sessions.begin() as session:
        actor = sign_in(session, credentials, ctx.idle)
        pid = canonical_uuid(photo_id)
        if pid is None:
            raise upload_not_found()
        photo = owned_photo(session, pid, actor, lock=True)
        if photo.state == COMPLETE:
            raise tus_error(
                status.HTTP_409_CONFLICT,
                "photo_complete",
                "照片已完成上传：它是案件证据，不能删除",
                "the photo is complete: it is case evidence and is not deleted",
            )
        storage_name = photo.storage_name
        session.delete(photo)
    # A PATCH still writing finds its row gone when it commits, and answers 404.
    ctx.store.remove_part(storage_name)
    return Response(status_code=204)


def _finished_photo(request: Request, credentials: Credentials, photo_id: str) -> Photo:
    """A complete photo the signed-in user may see, or 404."""
    ctx = context(request)
    not_found = refuse(404, "photo_not_found", "找不到该照片", "photo not found")
    with ctx.sessions() as session:
        actor = sign_in(session, credentials, ctx.idle)
        pid = canonical_uuid(photo_id)
        if pid is None:
            raise not_found
        photo = session.get(Photo, pid)
        if photo is None or photo.state != COMPLETE:
            raise not_found
        case = session.get(Case, photo.case_id)
    if not access.may_download(actor, photo, case):
        raise not_found
    return photo


@photos_router.get(
    "/api/v1/photos/{photo_id}/thumbnail",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "a JPEG thumbnail of the photo"},
        **documented(
            {
                401: "not signed in",
                404: "no such complete photo, or not yours to see",
                422: "the photo's bytes cannot be made into a thumbnail",
            }
        ),
    },
)
def photo_thumbnail(photo_id: str, request: Request, credentials: Credentials) -> Response:
    """An upright JPEG thumbnail of a complete photo (long edge at most 256 px), for the same
    users as the photo: offices fetch these first and originals only when needed."""
    photo = _finished_photo(request, credentials, photo_id)
    ctx = context(request)
    found = ctx.store.finished(photo.storage_name, photo.sha256)
    if found is None:
        log.error("photo %s is complete but its file %s is missing", photo.id, photo.storage_name)
        raise refuse(404, "photo_not_found", "找不到该照片", "photo not found")
    try:
        data = thumbnails.thumbnail(ctx.settings.data_dir / "thumbs", photo.storage_name, found)
    except thumbnails.ThumbnailError as exc:
        log.warning("photo %s: no thumbnail (%s)", photo.id, exc)
        raise refuse(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "no_thumbnail",
            "无法为该照片生成缩略图；请下载原图",
            "no thumbnail can be made of this photo; download the original",
        ) from None
    return Response(
        data,
        media_type="image/jpeg",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=86400"},
    )


@photos_router.get(
    "/api/v1/photos/{photo_id}",
    response_class=Response,
    responses={
        200: {"content": {m: {} for m in MIME_EXTENSIONS}, "description": "the photo's bytes"},
        **documented({401: "not signed in", 404: "no such complete photo, or not yours to see"}),
    },
)
def download_photo(photo_id: str, request: Request, credentials: Credentials) -> Response:
    """A complete photo's bytes, for its uploader, the case's author and assignee, supervisors
    and administrators (everyone else: 404)."""
    photo = _finished_photo(request, credentials, photo_id)
    pid = photo.id
    ctx = context(request)
    found = ctx.store.finished(photo.storage_name, photo.sha256)
    if found is None:
        log.error("photo %s is complete but its file %s is missing", pid, photo.storage_name)
        raise refuse(404, "photo_not_found", "找不到该照片", "photo not found")
    return finished_response(found, photo.mime, pid)


def finished_response(found: Finished, mime: str, name: str) -> Response:
    """A finished photo's bytes (case and inspection photos alike): a local file as it is, a
    stored object streamed. The media type is explicit, never guessed from a name; one that is
    not a photo's is sent as bytes to save (never rendered)."""
    extension = MIME_EXTENSIONS.get(mime)
    media_type = mime if extension else "application/octet-stream"
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'inline; filename="{name}.{extension or "bin"}"',
        "Cache-Control": "private, max-age=86400",
    }
    if found.path is not None:
        return FileResponse(found.path, media_type=media_type, headers=headers)
    assert found.chunks is not None
    headers["Content-Length"] = str(found.size)
    return StreamingResponse(found.chunks(), media_type=media_type, headers=headers)


router = APIRouter()
router.include_router(uploads_router)
router.include_router(photos_router)
