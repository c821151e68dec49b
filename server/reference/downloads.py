"""Serving a content-addressed file (a basemap, an installer): by its SHA-256, resumable.

``Range`` is answered with 206 (Starlette's FileResponse), so a laptop resumes a cut download
from its partial file; the ETag is the SHA-256, so ``If-Range`` never splices two versions
together; the content never changes under its name, so it may be cached for good.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import FileResponse

from server.errors import ApiError


def content_addressed(
    path: Path, sha256: str, *, media_type: str, filename: str, missing: ApiError
) -> FileResponse:
    """The file at ``path`` (named by ``sha256``), or ``missing`` raised when it is not there."""
    if not path.is_file():
        raise missing
    return FileResponse(
        path,
        media_type=media_type,
        headers={
            "ETag": f'"{sha256}"',
            "Cache-Control": "private, max-age=31536000, immutable",
            "Content-Disposition": f'attachment; filename="{filename}"',
        },
    )
