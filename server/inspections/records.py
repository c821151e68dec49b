"""Scored inspections on the server: receipt (idempotent by id), visibility, publication,
deduction photos, and the objects inspected.

Who sees an inspection (:func:`can_see`): its inspector, supervisors and administrators
always; anyone else — the inspected unit and its department (handler accounts, issue 15) —
an open one (明察) at once, an unannounced one (暗访) only once a supervisor published it.
The feed follows the same rule: on receipt an open inspection goes to everyone, an unannounced
one to supervisors and administrators only; its publication goes to everyone.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import status
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.checklists import ObjectKind, parse_template
from app.domain.contract import FeedKind, InspectionObjectPayload, InspectionPayload
from app.domain.errors import DomainError, Message
from app.domain.inspections import Inspection as InspectionRecord
from app.domain.inspections import InspectionMode, inspection_document, read_inspection
from app.domain.lifecycle import Role
from server.errors import refuse
from server.feed import FeedItem, append_feed_entries
from server.models import (
    ChecklistTemplateRow,
    Inspection,
    InspectionObject,
    InspectionPhoto,
    User,
)
from server.photos.store import Finished, PhotoStore

#: Roles that see every inspection, published or not.
OVERSEERS = frozenset({Role.SUPERVISOR.value, Role.ADMIN.value})


def can_see(user: User, row: Inspection) -> bool:
    return (
        user.role in OVERSEERS
        or row.author_id == user.id
        or row.mode == InspectionMode.OPEN
        or row.published_at is not None
    )


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
    if row is None or not can_see(user, row):
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
    payload = _payload(session, row)
    audiences: list[str | None] = (
        [None] if record.mode is InspectionMode.OPEN else [*sorted(OVERSEERS)]
    )
    append_feed_entries(
        session,
        [FeedItem(FeedKind.INSPECTION, row.id, payload, role=role) for role in audiences],
    )
    return row, True


def publish(session: Session, user: User, inspection_id: str) -> Inspection:
    """A supervisor publishes (通报) an inspection: everyone's feed gets it, the unit sees it."""
    row = session.scalar(select(Inspection).where(Inspection.id == inspection_id).with_for_update())
    if row is None:
        raise hidden(inspection_id)
    if row.published_at is None:
        row.published_at = datetime.now(UTC)
        row.published_by = user.id
        session.flush()
        append_feed_entries(
            session, [FeedItem(FeedKind.INSPECTION, row.id, _payload(session, row))]
        )
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


# -- objects to inspect ---------------------------------------------------------------------


def object_entity(kind: str, object_id: str) -> str:
    """The feed's entity id of an object (ids are 36 characters; kind and id may be longer)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"citypatrol:inspection-object:{kind}:{object_id}"))


def load_objects(session: Session, path: Path) -> int:
    """Load ``kind,id,name,department_code`` rows (a header line first); each new or changed
    object reaches every laptop through the feed. Every bad row is reported at once."""
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    problems = []
    for number, raw in enumerate(rows, start=2):
        try:
            ObjectKind(str(raw.get("kind") or "").strip())
        except ValueError:
            problems.append(f"line {number}: kind must be one of {', '.join(ObjectKind)}")
        if not (raw.get("id") or "").strip() or not (raw.get("name") or "").strip():
            problems.append(f"line {number}: id and name are required")
    if problems:
        raise DomainError(
            "invalid_objects",
            Message("检查对象表有误：" + "；".join(problems), "; ".join(problems)),
        )
    items = []
    for raw in rows:
        kind, object_id = raw["kind"].strip(), raw["id"].strip()
        name = raw["name"].strip()
        department = (raw.get("department_code") or "").strip() or None
        row = session.get(InspectionObject, (kind, object_id))
        if row is not None and (row.name, row.department_code, row.active) == (
            name,
            department,
            True,
        ):
            continue
        row = row or InspectionObject(kind=kind, id=object_id)
        row.name, row.department_code, row.active = name, department, True
        session.add(row)
        payload: InspectionObjectPayload = {
            "kind": kind,
            "id": object_id,
            "name": name,
            "department_code": department,
            "active": True,
        }
        items.append(FeedItem(FeedKind.INSPECTION_OBJECT, object_entity(kind, object_id), payload))
    session.flush()
    append_feed_entries(session, items)
    return len(items)
