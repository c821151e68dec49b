"""A case's photos in the store: import (check, copy, record, queue the upload), list, remove.

The photo files themselves live in the content-addressed folder of :mod:`app.storage.photos`;
reading and checking a photo is :mod:`app.capture.photos`. :class:`~app.storage.store.LocalStore`
offers each of these as a method; the functions take the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from app.capture.photo_errors import PhotoError
from app.capture.positions import Fix, FixQuality, PositionSource
from app.capture.tracks import SAME_AS_LAPTOP, CameraClock, geotag_from_track
from app.domain.errors import DomainError, Message
from app.domain.ids import new_id
from app.domain.lifecycle import INSPECTOR_EDITABLE, CaseStatus
from app.storage.cases import not_editable, require_case
from app.storage.changelog import enqueue
from app.storage.db import translate_errors
from app.storage.models import OutboxEntry, Photo
from app.storage.photos import original_path, store_original, thumbnail_path, write_thumbnail
from app.storage.rows import Changes, Created, PhotoBatch, PhotoRow
from app.storage.states import DeliveryState, OutboxEntity, OutboxState
from app.storage.tracks import track_points_around

if TYPE_CHECKING:
    from app.capture.photos import PhotoInfo
    from app.storage.store import LocalStore


def attach_photo(
    store: LocalStore,
    case_id: str,
    source: Path,
    *,
    role: str = "before",
    camera: CameraClock = SAME_AS_LAPTOP,
) -> Created:
    """Import a photo file into the store and attach it to a case.

    The photo is checked and read first (nothing is written for a refused file), then
    copied into the content-addressed store, then recorded. Its position is its EXIF GPS,
    or else where the patrol track was at its capture time (``camera`` converts the
    camera's clock). The same file attached twice to one case yields the same record.
    """
    source = Path(source)
    from app.capture.photos import inspect_with_thumbnail  # Pillow: only to attach a photo

    info, thumbnail = inspect_with_thumbnail(source)
    now = store.clock()
    with store.read() as s:
        existing = s.scalar(
            select(Photo.id).where(Photo.case_id == case_id, Photo.sha256 == info.sha256)
        )
        require_case(s, case_id)
    if existing is not None:
        return Created(existing, Changes())
    with translate_errors(store.data_dir):
        stored = store_original(source, store.photos_dir, sha256=info.sha256, mime=info.mime)
        write_thumbnail(store.photos_dir, info.sha256, thumbnail)
    taken_at = info.taken_at
    if taken_at is None and info.taken_at_local is not None:
        taken_at = camera.to_utc(info.taken_at_local)
    position = _photo_position(store, info, taken_at)
    with store.write() as s:
        case = require_case(s, case_id)
        existing = s.scalar(
            select(Photo.id).where(Photo.case_id == case_id, Photo.sha256 == info.sha256)
        )
        if existing is not None:  # attached meanwhile by another writer
            return Created(existing, Changes())
        photo_id = new_id()
        s.add(
            Photo(
                id=photo_id,
                case_id=case.id,
                sha256=info.sha256,
                mime=info.mime,
                size_bytes=stored.size_bytes,
                width=info.display_width,
                height=info.display_height,
                original_name=source.name,
                taken_at=taken_at,
                taken_at_local=info.taken_at_local.isoformat() if info.taken_at_local else None,
                orientation=info.orientation,
                make=info.make,
                model=info.model,
                lat=position.lat if position else None,
                lon=position.lon if position else None,
                altitude_m=position.altitude_m if position else None,
                accuracy_m=position.accuracy_m if position else None,
                position_source=position.source.value if position else None,
                gps_time=info.gps_time,
                role=role,
                created_at=now,
                delivery=DeliveryState.PENDING,
                upload_offset=0,
            )
        )
        enqueue(
            s,
            OutboxEntity.PHOTO,
            photo_id,
            "upload",
            {"case_id": case.id, "sha256": info.sha256, "size": stored.size_bytes},
            now=now,
        )
    return Created(
        photo_id, Changes(cases=frozenset({case_id}), photos=frozenset({photo_id}), outbox=True)
    )


def attach_photos(
    store: LocalStore,
    case_id: str,
    sources: Sequence[Path],
    *,
    role: str = "before",
    camera: CameraClock = SAME_AS_LAPTOP,
) -> PhotoBatch:
    """Attach files and the photos found in folders; a refused file never stops the rest."""
    attached: list[str] = []
    refused: list[PhotoError] = []
    changes = Changes()
    for path in expand_photo_paths(sources):
        try:
            created = attach_photo(store, case_id, path, role=role, camera=camera)
        except PhotoError as exc:
            refused.append(exc)
        else:
            attached.append(created.id)
            changes |= created.changes
    return PhotoBatch(attached, refused, changes)


def photos_of(store: LocalStore, case_id: str) -> list[PhotoRow]:
    """The case's photos, in the order they were attached (``LocalStore.photos``)."""
    with store.read() as s:
        rows = s.scalars(
            select(Photo).where(Photo.case_id == case_id).order_by(Photo.created_at, Photo.id)
        )
        return [_photo_row(p, store.photos_dir) for p in rows]


def remove_photo(store: LocalStore, photo_id: str) -> Changes:
    """Detach a photo from its case before the server has it (the inspector changed their mind).

    Allowed only while the case is in the inspector's hands and the server has not
    confirmed the photo. The row goes and its upload is marked resolved, in one
    transaction; the file stays in the content-addressed store (another case may use it).
    """
    with store.write() as s:
        photo = s.get(Photo, photo_id)
        if photo is None:
            raise DomainError(
                "not_found", Message(f"找不到照片 {photo_id}", f"No photo {photo_id}")
            )
        case = require_case(s, photo.case_id)
        status = CaseStatus(case.status)
        if status not in INSPECTOR_EDITABLE:
            raise not_editable(status)
        if photo.delivery == DeliveryState.CONFIRMED:
            name = photo.original_name or photo.sha256[:12]
            raise DomainError(
                "photo_confirmed",
                Message(
                    f"照片 {name} 已由服务器确认收到，不能删除",
                    f"The server has confirmed photo {name}; it can no longer be removed",
                ),
            )
        s.execute(
            update(OutboxEntry)
            .where(
                OutboxEntry.entity == OutboxEntity.PHOTO,
                OutboxEntry.entity_id == photo_id,
                OutboxEntry.op == "upload",
            )
            .values(state=OutboxState.RESOLVED)
        )
        s.delete(photo)
        case_id = case.id
    return Changes(cases=frozenset({case_id}), photos=frozenset({photo_id}), outbox=True)


def _photo_position(store: LocalStore, info: PhotoInfo, taken_at: datetime | None) -> Fix | None:
    if info.gps_lat is not None and info.gps_lon is not None:
        return Fix(
            lat=info.gps_lat,
            lon=info.gps_lon,
            accuracy_m=None,
            altitude_m=info.gps_altitude,
            time=info.gps_time or taken_at,
            quality=FixQuality.UNKNOWN,
            source=PositionSource.PHOTO,
            mode=2,
        )
    if taken_at is None:
        return None
    return geotag_from_track(track_points_around(store, taken_at), taken_at)


def _photo_row(p: Photo, photos_dir: Path) -> PhotoRow:
    return PhotoRow(
        id=p.id,
        case_id=p.case_id,
        sha256=p.sha256,
        mime=p.mime,
        size_bytes=p.size_bytes,
        width=p.width,
        height=p.height,
        original_name=p.original_name,
        taken_at=p.taken_at,
        lat=p.lat,
        lon=p.lon,
        accuracy_m=p.accuracy_m,
        position_source=p.position_source,
        role=p.role,
        delivery=p.delivery,
        path=original_path(photos_dir, p.sha256, p.mime),
        thumbnail=thumbnail_path(photos_dir, p.sha256),
        upload_offset=p.upload_offset,
        confirmed_at=p.confirmed_at,
        delivery_error=p.delivery_error,
    )


def expand_photo_paths(sources: Sequence[Path]) -> list[Path]:
    """Files as given, and the files inside folders (recursively, in name order, hidden skipped)."""
    found: list[Path] = []
    for source in map(Path, sources):
        if source.is_dir():
            found.extend(
                p
                for p in sorted(source.rglob("*"))
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(source).parts)
            )
        else:
            found.append(source)
    return found
