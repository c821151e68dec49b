"""Routes of checklist templates: an admin publishes one from the app's editor
(``POST /api/v1/checklists``, the file format of ``citypatrol-server checklist load`` as the
body), admins and supervisors read the stored ones (``GET /api/v1/checklists``). Both the CLI
and the route store through :func:`server.inspections.checklists.store_checklist`: versions only
go forward, and a new version reaches every laptop through the feed (kind ``checklist``)."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy.orm import Session

from app.domain.checklists import ChecklistError, ChecklistTemplate, load_template
from app.domain.errors import Message
from app.domain.lifecycle import Role
from server.deps import CurrentUser, SessionDep, require_role
from server.errors import ApiError, documented
from server.inspections import checklists
from server.models import ChecklistTemplateRow

router = APIRouter(prefix="/api/v1", tags=["checklists"])


def _json(row: ChecklistTemplateRow) -> dict[str, Any]:
    return {
        "code": row.code,
        "version": row.version,
        "name": row.name,
        "object_kind": row.object_kind,
        "loaded_at": row.loaded_at.isoformat(),
        "document": row.document,
    }


def _too_large() -> ApiError:
    mib = checklists.MAX_FILE_BYTES // (1024 * 1024)
    return ApiError(
        status.HTTP_413_CONTENT_TOO_LARGE,
        "checklist_too_large",
        Message(f"超过 {mib} MiB，不是检查表", f"over {mib} MiB: not a checklist"),
    )


def _parse(raw: bytes) -> ChecklistTemplate:
    try:
        return load_template(raw)
    except ChecklistError as exc:
        problems = [{"path": p.path, "zh": p.message.zh, "en": p.message.en} for p in exc.problems]
        raise ApiError(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            exc.code,
            exc.message,
            extra={"problems": problems},
        ) from None


def _store(session: Session, template: ChecklistTemplate) -> tuple[ChecklistTemplateRow, bool]:
    try:
        return checklists.store_checklist(session, template)
    except checklists.ChecklistVersionError as exc:
        raise ApiError(
            status.HTTP_409_CONFLICT,
            exc.code,
            exc.message,
            extra={"latest": exc.latest, "needs_version": exc.latest + 1},
        ) from None


@router.post(
    "/checklists",
    status_code=status.HTTP_201_CREATED,
    responses=documented(
        {
            409: "the version is not above the latest (detail.needs_version says which)",
            413: "over 1 MiB: not a checklist",
            422: "the template breaks the format's rules (detail.problems: path, zh, en)",
        }
    ),
    # Read as raw bytes (the 1 MiB cap, decimals kept exact): documented here by hand.
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "the template document of the file format (README: Checklist templates)",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def publish_checklist(
    request: Request, session: SessionDep, user: CurrentUser, response: Response
) -> dict[str, Any]:
    """Store a checklist template (admins), the JSON document of the file format. A new version
    answers 201 (``outcome`` applied) and goes out in the feed; the same version with the same
    content answers 200 (``outcome`` unchanged)."""
    require_role(user, Role.ADMIN)
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > checklists.MAX_FILE_BYTES:
            raise _too_large()
    template = _parse(bytes(raw))
    row, new = await anyio.to_thread.run_sync(_store, session, template)
    if not new:
        response.status_code = status.HTTP_200_OK
    return {"outcome": "applied" if new else "unchanged", **_json(row)}


@router.get("/checklists")
def read_checklists(
    session: SessionDep,
    user: CurrentUser,
    all_versions: Annotated[bool, Query(description="every version, not only the latest")] = False,
) -> list[dict[str, Any]]:
    """The stored templates (admins and supervisors): the latest version of each, or with
    ``all_versions=true`` every version; by code, then version."""
    require_role(user, Role.ADMIN, Role.SUPERVISOR)
    return [_json(r) for r in checklists.list_checklists(session, latest_only=not all_versions)]
