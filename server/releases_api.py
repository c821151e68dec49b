"""``/api/v1/releases``: the laptops learn of a newer client and download its installer.

Any signed-in account may ask (every role runs the desktop client). The download is the
stored file by its SHA-256 with ``Range`` answered by 206 and the SHA-256 as its ETag, so a
cut download resumes (``If-Range``) and never splices two installers together.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel

from app.domain.releases import ReleasePlatform
from server.deps import CurrentUser, SessionDep
from server.errors import documented, refuse
from server.models import ClientRelease
from server.reference.downloads import content_addressed
from server.reference.releases import is_offered, latest_release, stored_file

router = APIRouter(prefix="/api/v1/releases", tags=["releases"])

Sha256 = Annotated[str, Path(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")]


class ReleaseOut(BaseModel):
    platform: ReleasePlatform
    version: str
    filename: str
    sha256: str
    size: int
    #: Where to download it (relative to the server's address).
    url: str


def release_out(row: ClientRelease) -> ReleaseOut:
    return ReleaseOut(
        platform=ReleasePlatform(row.platform),
        version=row.version,
        filename=row.filename,
        sha256=row.sha256,
        size=row.size,
        url=f"/api/v1/releases/{row.sha256}",
    )


@router.get("/latest", responses=documented({404: "no release is offered for this platform"}))
def get_latest_release(
    platform: Annotated[ReleasePlatform, Query()], session: SessionDep, _user: CurrentUser
) -> ReleaseOut:
    """The current client release of ``platform`` (its highest version)."""
    row = latest_release(session, platform)
    if row is None:
        raise refuse(
            404,
            "release_not_found",
            "服务器没有提供此平台的客户端版本",
            "the server offers no client release for this platform",
        )
    return release_out(row)


@router.get(
    "/{sha256}",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "the installer"},
        206: {"description": "the requested byte range (Range: bytes=N-), to resume a download"},
        **documented({404: "no release with this content is offered"}),
    },
)
def download_release(
    sha256: Sha256, request: Request, session: SessionDep, _user: CurrentUser
) -> FileResponse:
    """An offered installer by its SHA-256 (any signed-in account), resumable with Range."""
    missing = refuse(404, "release_not_found", "服务器上没有这个安装包", "no such installer")
    row = is_offered(session, sha256)
    if row is None:
        raise missing
    path = stored_file(request.app.state.settings.data_dir, sha256)
    return content_addressed(
        path, sha256, media_type="application/octet-stream", filename=sha256, missing=missing
    )
