"""Scored inspections on the server: receipt (idempotent by id), visibility, publication,
deduction photos. The objects inspected are in :mod:`server.inspections.objects`.

Who sees an inspection (:func:`can_see`): its inspector, supervisors and administrators
always; other inspectors, and the handlers of the department that answers for the object
(issue 15), an open one (明察) at once and an unannounced one (暗访) only once a supervisor
published it; the handlers of other departments never. The feed follows the same rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import status
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.checklists import parse_template
from app.domain.contract import FeedKind, InspectionPayload
from app.domain.errors import DomainError, Message
from app.domain.inspections import Inspection as InspectionRecord
from app.domain.inspections import InspectionMode, inspection_document, read_inspection
from app.domain.lifecycle import Role
from server.errors import refuse
from server.feed import FeedItem, append_feed_entries
from server.inspections.objects import check_object
from server.models import (
    ChecklistTemplateRow,
    Department,
    Inspection,
    InspectionPhoto,
    User,
)
from server.photos.store import Finished, PhotoStore

#: Roles that see every inspection, published or not.
OVERSEERS = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})


def can_see(session: Session, user: User, row: Inspection) -> bool:
    """Overseers and the inspector always; a department's handler an open or published
    inspection of an object its department answers for; other inspectors any open or
    published one."""
    if user.role in OVERSEERS or row.author_id == user.id:
        return True
    if row.mode != InspectionMode.OPEN and row.published_at is None:
        return False
    if user.role == Role.HANDLER:
        department = session.get(Department, user.department_id or "")
        return department is not None and department.code == row.department_code
    return True


def hidden(inspection_id: str) -> Exception:
    # An inspection one may not see is "not found": its existence is not revealed either.
    return refuse(
        status.HTTP_404_NOT_FOUND,
        "inspection_not_found",
        f"服务器上没有检查记录 {inspection_id}",
        f"no inspection {inspection_id} on the server",
    )


def visible(session: Session, user: User, inspection_id: str) -> Inspection:
    row = session.get(Inspection, inspection_id)
    if row is None or not can_see(session, user, row):
        raise hidden(inspection_id)
    return row


def _payload(session: Session, row: Inspection) -> InspectionPayload:
    author = session.get(User, row.author_id)
    return {
        "inspection": dict(row.document),
        "published_at": row.published_at.isoformat() if row.published_at else None,
        "author": (author.display_name or author.username) if author else "",
    }


def inspection_json(session: Session, row: Inspection) -> dict[str, Any]:
    return {
        **_payload(session, row),
        "score": row.score,
        "percent": row.percent,
        "received_at": row.received_at.isoformat(),
    }


def receive(session: Session, user: User, raw: Any) -> tuple[Inspection, bool]:
    """Store an inspection an inspector sent: ``(row, True)`` when new, ``(row, False)`` for a
    resend of the same content; other content under a known id is a 409 conflict."""
    record = read_inspection(raw)
    document = inspection_document(record)
    existing = session.get(Inspection, record.id)
    if existing is not None:
        if existing.author_id == user.id and existing.document == document:
            return existing, False
        raise refuse(
            status.HTTP_409_CONFLICT,
            "inspection_conflict",
            f"检查记录 {record.id} 已以不同内容上报",
            f"inspection {record.id} was already received with other content",
        )
    if not user.inspection_team:
        # Checked after the resend above: one taken out of the team still gets "duplicate"
        # for what was received while they were in it.
        raise refuse(
            status.HTTP_403_FORBIDDEN,
            "not_inspection_team",
            "只有督导检查组成员可以上报评分检查（请管理员用 user team 加入）",
            "only members of the inspection team (督导检查组) record scored inspections "
            "(an administrator adds them with: user team NAME on)",
        )
    template_row = session.get(
        ChecklistTemplateRow, (record.template_code, record.template_version)
    )
    if template_row is None:
        raise DomainError(
            "unknown_checklist",
            Message(
                f"服务器上没有检查表 {record.template_code} 第 {record.template_version} 版",
                f"no checklist {record.template_code} version {record.template_version} "
                "on the server",
            ),
        )
    template = parse_template(template_row.document)
    if template.object_kind is not record.object_kind:
        raise DomainError(
            "wrong_object_kind",
            Message("检查对象类型与检查表不符", "the object kind does not match the checklist"),
        )
    sheet = record.sheet(template)  # refuses items the version does not have
    check_object(session, record.object_kind, record.object_id, record.department_code)
    row = Inspection(
        id=record.id,
        author_id=user.id,
        template_code=record.template_code,
        template_version=record.template_version,
        object_kind=str(record.object_kind),
        object_id=record.object_id,
        object_name=record.object_name,
        department_code=record.department_code,
        mode=str(record.mode),
        score=str(sheet.score),
        percent=str(sheet.percent),
        finished_at=record.finished_at,
        received_at=datetime.now(UTC),
        document=document,
    )
    session.add(row)
    session.flush()
    append_feed_entries(
        session, _entries(session, row, everyone=record.mode is InspectionMode.OPEN)
    )
    return row, True


def _entries(session: Session, row: Inspection, *, everyone: bool) -> list[FeedItem]:
    """The feed entries of ``row`` for the audience :func:`can_see` allows: overseers only
    (an unannounced inspection not yet published), or every inspector and overseer and the
    handlers of the object's department — never the other departments."""
    payload = _payload(session, row)
    roles = sorted(OVERSEERS | {Role.INSPECTOR.value}) if everyone else sorted(OVERSEERS)
    items = [FeedItem(FeedKind.INSPECTION, row.id, payload, role=role) for role in roles]
    if everyone and row.department_code:
        department = session.scalar(
            select(Department).where(Department.code == row.department_code)
        )
        if department is not None:
            items.append(
                FeedItem(FeedKind.INSPECTION, row.id, payload, department_id=department.id)
            )
    return items


def publish(session: Session, user: User, inspection_id: str) -> Inspection:
    """A supervisor publishes (通报) an inspection: inspectors, overseers and the object's
    department get it through the feed."""
    row = session.scalar(select(Inspection).where(Inspection.id == inspection_id).with_for_update())
    if row is None:
        raise hidden(inspection_id)
    if row.published_at is None:
        row.published_at = datetime.now(UTC)
        row.published_by = user.id
        session.flush()
        append_feed_entries(session, _entries(session, row, everyone=True))
    return row


def _deduction(record: InspectionRecord, deduction_id: str) -> tuple[str, str, int]:
    for d in record.deductions:
        if d.id == deduction_id and d.photo_sha256 and d.photo_mime and d.photo_size:
            return d.photo_sha256, d.photo_mime, d.photo_size
    raise refuse(
        status.HTTP_404_NOT_FOUND,
        "no_such_photo",
        "该扣分记录没有照片",
        "this deduction has no photo",
    )


def storage_name(sha256: str) -> str:
    return f"inspection-{sha256}"


@dataclass(frozen=True, slots=True)
class ReceivedPhoto:
    """A deduction photo's bytes as they arrived: spooled to ``path`` (in the store's
    :attr:`~server.photos.store.PhotoStore.spool_dir`), measured and hashed on the way."""

    path: Path
    size: int
    sha256: str


def receive_photo(
    session: Session,
    user: User,
    store: PhotoStore,
    target: tuple[str, str],
    received: ReceivedPhoto,
) -> bool:
    """Keep the deduction photo ``target`` = (inspection id, deduction id) in the photo store
    (``inspection-<sha256>``); True when new. The bytes must be exactly the size and SHA-256 the
    inspection declared (anything else is refused, nothing kept). The caller removes the
    spooled file."""
    inspection_id, deduction_id = target
    row = session.get(Inspection, inspection_id)
    if row is None or row.author_id != user.id:
        raise hidden(inspection_id)
    sha256, mime, size = _deduction(read_inspection(row.document), deduction_id)
    if session.get(InspectionPhoto, deduction_id) is not None:
        return False
    if (received.size, received.sha256) != (size, sha256):
        raise _wrong_bytes()
    # Stored before the row is added: if the store fails (503), nothing is committed.
    store.keep(storage_name(sha256), received.path, sha256)
    session.add(
        InspectionPhoto(
            deduction_id=deduction_id,
            inspection_id=inspection_id,
            sha256=sha256,
            mime=mime,
            size_bytes=size,
            received_at=datetime.now(UTC),
        )
    )
    return True


def _wrong_bytes() -> Exception:
    return refuse(
        status.HTTP_400_BAD_REQUEST,
        "photo_mismatch",
        "照片的大小或 SHA-256 与检查记录不符",
        "the photo's size or SHA-256 does not match the inspection",
    )


def photo_file(
    session: Session, user: User, store: PhotoStore, inspection_id: str, deduction_id: str
) -> tuple[Finished, str]:
    """A deduction photo this account may see, from the photo store, and its media type."""
    visible(session, user, inspection_id)
    photo = session.get(InspectionPhoto, deduction_id)
    found = None
    if photo is not None and photo.inspection_id == inspection_id:
        found = store.finished(storage_name(photo.sha256), photo.sha256)
    if photo is None or found is None:
        raise refuse(
            status.HTTP_404_NOT_FOUND, "no_such_photo", "服务器上没有这张照片", "no such photo"
        )
    return found, photo.mime
