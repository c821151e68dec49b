"""The benchmarks' server: the production app plus a bare ``PUT /api/v1/bench/blob``.

Run as ``python bench/support/blob_server.py [citypatrol-server options]`` (the serving options
only: ``--data-dir``, ``--database-url``, ``--host``, ``--port``, ``--demo``, ``--photo-store``). The app is built
by the production factory (:func:`server.api.create_app`) from the same settings the real
command reads; only this script adds the baseline route, so the production app never has it
(``tests/server/test_workers.py`` checks its OpenAPI document and routes).

``PUT /api/v1/bench/blob`` streams the body to a temporary file in the photo folder the way a
tus PATCH writes a part (:class:`server.photos.body.BodyWriter`, without hashing), fsyncs
it and deletes it: what a photo upload costs with nothing of tus, sign-in or the database.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from fastapi import APIRouter, FastAPI, Request  # noqa: E402
from starlette.concurrency import run_in_threadpool  # noqa: E402

from server import limits  # noqa: E402
from server.api import create_app  # noqa: E402
from server.cli import build_parser  # noqa: E402
from server.photos.body import BodyWriter  # noqa: E402
from server.photos.store import write_all  # noqa: E402
from server.settings import Settings, load_settings  # noqa: E402

router = APIRouter()
BLOB_PATH = "/api/v1/bench/blob"


@router.put(BLOB_PATH)
async def bench_blob(request: Request) -> dict[str, int]:
    """Stream the body to a temporary file, fsync, delete."""
    settings: Settings = request.app.state.settings
    folder = settings.photos_dir / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder)
    writer = BodyWriter(lambda data: write_all(fd, data))
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


_production_streams = limits._streams_to_disk


def _streams_to_disk(scope: Any) -> bool:
    """The blob streams to disk like a PATCH: the body limit of JSON requests spares it too."""
    return scope["path"] == BLOB_PATH or _production_streams(scope)


def create_bench_app(settings: Settings) -> FastAPI:
    limits._streams_to_disk = _streams_to_disk  # only in this benchmark process
    app = create_app(settings)
    app.include_router(router)
    return app


def main() -> int:
    import logging

    import uvicorn

    args = build_parser().parse_args()
    settings = load_settings(
        args.data_dir, args.database_url, args.host, args.port, args.demo,
        photo_store=args.photo_store,
    )  # fmt: skip
    logging.basicConfig(level=logging.INFO)
    uvicorn.run(create_bench_app(settings), host=settings.host, port=settings.port, log_config=None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
