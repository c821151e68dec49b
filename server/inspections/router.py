"""Routes of scored inspections: an inspector sends one (idempotent by id) and its deduction
photos, a supervisor publishes it, and each account reads those it may see
(:func:`server.inspections.records.can_see`)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path as FilePath
from typing import Annotated, Any

import anyio
import anyio.to_thread
from fastapi import APIRouter, Body, Path, Request, Response, status
from sqlalchemy import select

from app.domain.lifecycle import Role
from server.deps import CurrentUser, SessionDep, require_role
from server.errors import documented, refuse
from server.inspections import records
from server.models import Inspection
from server.photos.protocol import MAX_UPLOAD_BYTES as MAX_PHOTO_BYTES
from server.photos.protocol import MIME_EXTENSIONS
from server.photos.router import finished_response
from server.photos.store import PhotoStore, write_all
from server.schemas import UUID_PATTERN

router = APIRouter(prefix="/api/v1", tags=["inspections"])
Id = Annotated[str, Path(min_length=36, max_length=36, pattern=UUID_PATTERN)]
_HIDDEN = documented({404: "no such inspection, or one this account may not see yet"})


@router.post(
    "/inspections",
    status_code=status.HTTP_201_CREATED,
    responses=documented(
        {
            400: "the inspection is malformed or names an unknown checklist version, item, "
            "object or department",
            403: "not an inspector of the inspection team (督导检查组)",
            409: "this id was received already with other content",
        }
    ),
)
def send_inspection(
    body: Annotated[dict[str, Any], Body()],
    session: SessionDep,
    user: CurrentUser,
    response: Response,
) -> dict[str, Any]:
    """An inspector's finished inspection, whole. A resend of the same content answers 200
    (``outcome`` duplicate) and changes nothing."""
    require_role(user, Role.INSPECTOR)
    row, new = records.receive(session, user, body)
    if not new:
        response.status_code = status.HTTP_200_OK
    return {
        "outcome": "applied" if new else "duplicate",
        "score": row.score,
        "percent": row.percent,
    }


@router.get("/inspections")
def list_inspections(session: SessionDep, user: CurrentUser) -> list[dict[str, Any]]:
    """The inspections this account may see, newest first."""
    rows = session.scalars(select(Inspection).order_by(Inspection.finished_at.desc()))
    return [records.inspection_json(session, r) for r in rows if records.can_see(session, user, r)]


@router.get("/inspections/{inspection_id}", responses=_HIDDEN)
def get_inspection(inspection_id: Id, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    return records.inspection_json(session, records.visible(session, user, inspection_id))


@router.post("/inspections/{inspection_id}/publish", responses=_HIDDEN)
def publish_inspection(inspection_id: Id, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """Publish (通报) an inspection (supervisors): the unit then sees it, an unannounced one
    included. Publishing twice changes nothing."""
    require_role(user, Role.SUPERVISOR)
    return records.inspection_json(session, records.publish(session, user, inspection_id))


def _too_large() -> Exception:
    return refuse(
        status.HTTP_413_CONTENT_TOO_LARGE,
        "photo_too_large",
        f"照片超过 {MAX_PHOTO_BYTES // (1024 * 1024)} MiB",
        f"the photo is over {MAX_PHOTO_BYTES // (1024 * 1024)} MiB",
    )


async def _spool(request: Request, folder: FilePath) -> records.ReceivedPhoto:
    """The request's body in a temporary file in ``folder``, measured and hashed on the way
    (the caller removes the file); 413 as soon as it is over the limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_PHOTO_BYTES:
        raise _too_large()  # before reading a byte
    await anyio.to_thread.run_sync(lambda: folder.mkdir(parents=True, exist_ok=True))
    fd, name = tempfile.mkstemp(dir=folder, prefix="inspection-")
    path = FilePath(name)
    try:
        digest = hashlib.sha256()
        received = 0

        def write(chunk: bytes) -> None:
            write_all(fd, chunk)
            digest.update(chunk)

        async for chunk in request.stream():
            received += len(chunk)
            if received > MAX_PHOTO_BYTES:
                raise _too_large()
            await anyio.to_thread.run_sync(write, chunk)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)
    return records.ReceivedPhoto(path, received, digest.hexdigest())


@router.put(
    "/inspections/{inspection_id}/photos/{deduction_id}",
    responses=documented(
        {
            400: "the bytes are not the size and SHA-256 the inspection declared",
            404: "no such inspection of this account, or no photo on this deduction",
            413: "over the photo size limit",
            503: "the photo store is unreachable for now (Retry-After); nothing was kept",
        }
    ),
)
async def put_photo(
    inspection_id: Id, deduction_id: Id, request: Request, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    """A deduction's photo, whole (its inspector), kept in the photo store as case photos are.
    Idempotent: a photo the server has already is answered ``duplicate`` and its bytes are
    dropped."""
    store: PhotoStore = request.app.state.photo_store
    received = await _spool(request, store.spool_dir)
    try:
        new = await anyio.to_thread.run_sync(
            records.receive_photo, session, user, store, (inspection_id, deduction_id), received
        )
    finally:
        await anyio.to_thread.run_sync(lambda: received.path.unlink(missing_ok=True))
    return {"outcome": "applied" if new else "duplicate"}


@router.get(
    "/inspections/{inspection_id}/photos/{deduction_id}",
    response_class=Response,
    responses={
        200: {"content": {m: {} for m in MIME_EXTENSIONS}, "description": "the photo's bytes"},
        **documented(
            {
                404: "no such photo, or an inspection this account may not see",
                503: "the photo store is unreachable for now (Retry-After)",
            }
        ),
    },
)
def get_photo(
    inspection_id: Id, deduction_id: Id, request: Request, session: SessionDep, user: CurrentUser
) -> Response:
    """A deduction photo, for those who may see its inspection (streamed from the store)."""
    found, mime = records.photo_file(
        session, user, request.app.state.photo_store, inspection_id, deduction_id
    )
    return finished_response(found, mime, deduction_id)
