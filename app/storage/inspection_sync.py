"""The sync's side of scored inspections in the store: what to send next, what the server
answered, and the photos of received inspections to download.

An inspection's outbox entries are sent in the order they were queued (the inspection whole,
then its photos; a publication later), one at a time; each answer is written here before the
next request, so a cycle cut short anywhere carries on from there. The server is idempotent
by id, so an entry sent again after a crash is answered ``duplicate`` and settled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from app.capture.photos import inspect_with_thumbnail
from app.domain.errors import DomainError, Message
from app.domain.inspections import InspectionState
from app.storage.db import translate_errors
from app.storage.models import DeductionRow, InspectionRow, OutboxEntry
from app.storage.photos import original_path, store_original, write_thumbnail
from app.storage.rows import Changes
from app.storage.states import OPEN_STATES, DeliveryState, OutboxEntity, OutboxState

if TYPE_CHECKING:
    from app.storage.store import LocalStore

INSPECTION_ENTITIES = (OutboxEntity.INSPECTION, OutboxEntity.INSPECTION_PHOTO)


@dataclass(frozen=True, slots=True)
class InspectionWork:
    """One outbox entry of an inspection to send: its whole record (op ``submit``), its
    publication (``publish``), or a deduction's photo (``upload``, ``path`` the file)."""

    seq: int
    entity: OutboxEntity
    entity_id: str
    op: str
    payload: dict[str, Any]
    path: Path | None = None

    @property
    def inspection_id(self) -> str:
        if self.entity is OutboxEntity.INSPECTION_PHOTO:
            return str(self.payload["inspection_id"])
        return self.entity_id


def next_work(store: LocalStore, *, photos: bool = True, after: int = 0) -> InspectionWork | None:
    """The oldest inspection entry still to send after ``after`` (photos left out when held back)."""
    entities = INSPECTION_ENTITIES if photos else (OutboxEntity.INSPECTION,)
    with store.read() as s:
        entry = s.scalar(
            select(OutboxEntry)
            .where(
                OutboxEntry.entity.in_(entities),
                OutboxEntry.state.in_(OPEN_STATES),
                OutboxEntry.seq > after,
            )
            .order_by(OutboxEntry.seq)
            .limit(1)
        )
        if entry is None:
            return None
        entity = OutboxEntity(entry.entity)
        path = None
        if entity is OutboxEntity.INSPECTION_PHOTO:
            path = original_path(store.photos_dir, entry.payload["sha256"], entry.payload["mime"])
        return InspectionWork(
            entry.seq, entity, entry.entity_id, entry.op, dict(entry.payload), path
        )


def settle(
    store: LocalStore, work: InspectionWork, now: datetime, reason: dict[str, str] | None = None
) -> Changes:
    """Record the server's answer: confirmed (``reason`` None) or refused with its reason."""
    with store.write() as s:
        entry = s.get(OutboxEntry, work.seq)
        if entry is None:
            return Changes()
        entry.attempts += 1
        entry.sent_at = now
        entry.state = OutboxState.SENT if reason is None else OutboxState.FAILED
        entry.response = reason
        text = None if reason is None else f"{reason.get('zh', '')} / {reason.get('en', '')}"
        entry.last_error = text
        if work.entity is OutboxEntity.INSPECTION_PHOTO:
            deduction = s.get(DeductionRow, work.entity_id)
            if deduction is not None:
                deduction.photo_delivery = (
                    DeliveryState.CONFIRMED if reason is None else DeliveryState.FAILED
                )
        else:
            row = s.get(InspectionRow, work.entity_id)
            if row is not None and work.op == "submit":
                row.delivery = DeliveryState.CONFIRMED if reason is None else DeliveryState.FAILED
                row.delivery_error = text
                row.confirmed_at = now if reason is None else None
            elif row is not None and reason is not None:
                # The server refused the publication: it is not published (shown with why).
                row.delivery_error = text
                if row.state == InspectionState.PUBLISHED and work.op == "publish":
                    row.state, row.published_at = InspectionState.FINISHED, None
    return Changes(inspections=frozenset({work.inspection_id}), outbox=True)


def open_work(store: LocalStore) -> tuple[int, int]:
    """(entries still to send, entries the server refused) of inspections."""
    with store.read() as s:
        counts = dict(
            s.execute(
                select(OutboxEntry.state, func.count())
                .where(OutboxEntry.entity.in_(INSPECTION_ENTITIES))
                .group_by(OutboxEntry.state)
            ).all()
        )
    return (
        sum(counts.get(state, 0) for state in OPEN_STATES),
        counts.get(OutboxState.FAILED, 0),
    )


@dataclass(frozen=True, slots=True)
class RemotePhoto:
    inspection_id: str
    deduction_id: str
    sha256: str
    mime: str


def remote_photos(store: LocalStore) -> list[RemotePhoto]:
    """Deduction photos of inspections received from the server, not downloaded yet."""
    with store.read() as s:
        rows = s.scalars(
            select(DeductionRow).where(DeductionRow.photo_delivery == DeliveryState.REMOTE)
        )
        return [
            RemotePhoto(r.inspection_id, r.id, r.photo_sha256 or "", r.photo_mime or "")
            for r in rows
            if r.photo_sha256 and r.photo_mime
        ]


def store_remote_photo(store: LocalStore, photo: RemotePhoto, downloaded: Path) -> Changes:
    """Keep a downloaded deduction photo in the photo store, if it is the declared one."""
    info, thumb = inspect_with_thumbnail(downloaded)
    if info.sha256 != photo.sha256:
        raise DomainError(
            "photo_mismatch",
            Message("下载的照片与检查记录不符", "The downloaded photo is not the declared one"),
        )
    with translate_errors(store.data_dir):
        store_original(downloaded, store.photos_dir, sha256=info.sha256, mime=info.mime)
        write_thumbnail(store.photos_dir, info.sha256, thumb)
    return _photo_state(store, photo, DeliveryState.CONFIRMED)


def remote_photo_unavailable(store: LocalStore, photo: RemotePhoto) -> Changes:
    return _photo_state(store, photo, DeliveryState.UNAVAILABLE)


def _photo_state(store: LocalStore, photo: RemotePhoto, state: DeliveryState) -> Changes:
    with store.write() as s:
        row = s.get(DeductionRow, photo.deduction_id)
        if row is not None:
            row.photo_delivery = state
    return Changes(inspections=frozenset({photo.inspection_id}))
