"""Scored inspections in the sync cycle: send each finished inspection whole and its
deduction photos (one request per photo), then publications; download the photos of
inspections received through the feed, so bulletins show them offline.

A deduction photo is sent whole in one PUT: it is one phone photo, and a cycle cut short
resends only the photos without a receipt (the server keeps nothing that does not match the
declared SHA-256, and answers ``duplicate`` for one it has). Case photos keep their resumable
tus uploads (:mod:`app.sync.upload`), tied to a case on both sides.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from app.capture.photos import PhotoError
from app.domain.errors import DomainError, Message
from app.storage import inspection_sync
from app.storage.rows import Changes, utc_now
from app.storage.states import OutboxEntity
from app.storage.store import LocalStore
from app.sync.client import ServerClient
from app.sync.errors import ErrorKind, SyncError

T = TypeVar("T")
Retrying = Callable[[Callable[[], T]], T]


def _reason(exc: SyncError) -> dict[str, str]:
    return {"code": exc.code, "zh": exc.message.zh, "en": exc.message.en}


def _send(client: ServerClient, work: inspection_sync.InspectionWork) -> None:
    if work.entity is OutboxEntity.INSPECTION_PHOTO:
        assert work.path is not None
        client.send(
            "PUT",
            f"/api/v1/inspections/{work.inspection_id}/photos/{work.entity_id}",
            content=work.path.read_bytes(),
            headers={"Content-Type": str(work.payload.get("mime") or "application/octet-stream")},
        )
    elif work.op == "publish":
        client.send("POST", f"/api/v1/inspections/{work.entity_id}/publish")
    else:
        client.send("POST", "/api/v1/inspections", json=work.payload)


def push_inspections(
    store: LocalStore,
    client: ServerClient,
    retrying: Retrying[Any],
    stopped: Callable[[], bool],
    *,
    photos: bool = True,
) -> tuple[int, Changes, list[Message]]:
    """Send what is queued; (entries confirmed, changes, problems). A refusal is kept with its
    reason and the rest goes on; a retryable failure that outlasts the retries propagates."""
    sent = 0
    changes = Changes()
    problems: list[Message] = []
    after = 0
    while not stopped():
        work = inspection_sync.next_work(store, photos=photos, after=after)
        if work is None:
            break
        after = work.seq
        if work.path is not None and not work.path.exists():
            reason = {
                "code": "photo_missing",
                "zh": f"照片文件缺失：{work.path}",
                "en": f"the photo file is missing: {work.path}",
            }
            changes |= inspection_sync.settle(store, work, utc_now(), reason)
            continue
        try:
            retrying(functools.partial(_send, client, work))
        except SyncError as exc:
            if exc.kind is not ErrorKind.REJECTED:
                raise
            changes |= inspection_sync.settle(store, work, utc_now(), _reason(exc))
            problems.append(exc.message)
            continue
        changes |= inspection_sync.settle(store, work, utc_now())
        sent += 1
    waiting, failed = inspection_sync.open_work(store)
    if failed:
        problems.append(
            Message(
                f"服务器拒收了 {failed} 项检查记录或照片，请查看原因",
                f"The server refused {failed} inspection records or photos; see the reasons",
            )
        )
    if waiting:
        problems.append(
            Message(
                f"尚有 {waiting} 项检查记录未送达", f"{waiting} inspection items not yet delivered"
            )
        )
    return sent, changes, problems


def download_inspection_photos(
    store: LocalStore,
    client: ServerClient,
    retrying: Retrying[Any],
    stopped: Callable[[], bool],
    folder: Path,
) -> tuple[int, Changes]:
    """The photos of inspections received from the server (for bulletins, 曝光典型)."""
    received = 0
    changes = Changes()
    for photo in inspection_sync.remote_photos(store):
        if stopped():
            break
        part = folder / f"inspection-{photo.deduction_id}.part"
        try:
            retrying(
                functools.partial(
                    client.download,
                    f"/api/v1/inspections/{photo.inspection_id}/photos/{photo.deduction_id}",
                    part,
                )
            )
            changes |= inspection_sync.store_remote_photo(store, photo, part)
            received += 1
        except SyncError as exc:
            if exc.kind is not ErrorKind.REJECTED:
                raise
            changes |= inspection_sync.remote_photo_unavailable(store, photo)
        except (PhotoError, DomainError):
            changes |= inspection_sync.remote_photo_unavailable(store, photo)
        finally:
            part.unlink(missing_ok=True)
    return received, changes
