"""Housekeeping of uploads: expired uploads, orphan parts, interrupted moves.

:func:`cleanup_uploads` runs at startup, on a process's first creation request and then every
few minutes (:func:`maybe_sweep`), from any number of workers at once.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from server.models import Photo
from server.photos.state import COMPLETE, UPLOADING, UploadContext, delete_upload
from server.photos.store import PhotoStore
from server.settings import Settings

log = logging.getLogger("citypatrol.server.tus")


@dataclass(frozen=True, slots=True)
class CleanupReport:
    expired: int
    orphans: int
    moved: int


def cleanup_uploads(
    sessions: sessionmaker[Session],
    store: PhotoStore,
    settings: Settings,
    now: datetime | None = None,
) -> CleanupReport:
    """Remove expired uploads and orphan parts; finish interrupted moves.

    Safe at startup and periodically, from any number of workers at once. Uploads a PATCH is
    writing to are left alone.
    """
    ctx = UploadContext(sessions, store, settings)
    now = now or datetime.now(UTC)
    with sessions() as session:
        expired_ids = list(
            session.scalars(
                select(Photo.id).where(Photo.state == UPLOADING, Photo.expires_at <= now)
            )
        )
    expired = sum(delete_upload(ctx, photo_id) for photo_id in expired_ids)
    orphans = moved = 0
    grace = ctx.expiry.total_seconds()
    for name, age in store.parts():
        with sessions() as session:
            photo = session.scalar(select(Photo).where(Photo.storage_name == name))
        if photo is not None:
            if photo.state == COMPLETE:  # the process died between commit and move
                store.publish(name, photo.sha256)
                moved += 1
            continue
        # No row: a removal that died between commit and unlink, or a PATCH that made the
        # part as its upload was removed (or one in flight: hence the grace period).
        if age is not None and age > grace and not store.part_in_use(name):
            store.remove_part(name)
            orphans += 1
    if expired or orphans or moved:
        log.info(
            "upload sweep: %d expired, %d orphan files, %d moves finished", expired, orphans, moved
        )
    return CleanupReport(expired, orphans, moved)


_last_sweep: dict[object, float] = {}  # by store: one per app
_sweep_guard = threading.Lock()


def maybe_sweep(ctx: UploadContext) -> None:
    """Run the sweep on the first upload request of a process and then every few minutes."""
    interval = min(300.0, ctx.expiry.total_seconds())
    now = time.monotonic()
    with _sweep_guard:
        last = _last_sweep.get(ctx.store)
        if last is not None and now - last < interval:
            return
        _last_sweep[ctx.store] = now
    try:
        cleanup_uploads(ctx.sessions, ctx.store, ctx.settings)
    except Exception:  # the sweep must never fail the request that triggered it
        log.exception("upload sweep failed")
