"""The objects inspections look at, on the server: the loaded list and where else they live.

The same sources as the laptop's :func:`app.storage.inspections.inspectable_objects`:

- the list ``citypatrol-server inspection-object load FILE.csv`` loads (street sections,
  markets, school surroundings, contractors' areas — any kind — each with its department);
- the 门前三包 units (``unit load``), the grid cells (``grid load``) and the departments.

:func:`find_object` is the check an inspection's object must pass when it arrives: an object
nobody loaded is refused (422 ``unknown_object``), and so is a department nobody knows.
"""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.checklists import ObjectKind
from app.domain.contract import FeedKind, InspectionObjectPayload
from app.domain.errors import DomainError, Message
from server.feed import FeedItem, append_feed_entries
from server.grids.models import GridCell, ResponsibilityUnit
from server.models import Department, InspectionObject


def object_entity(kind: str, object_id: str) -> str:
    """The feed's entity id of an object (ids are 36 characters; kind and id may be longer)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"citypatrol:inspection-object:{kind}:{object_id}"))


def find_object(session: Session, kind: ObjectKind, object_id: str) -> bool:
    """Whether ``(kind, object_id)`` is an object this server knows. One taken off the list
    since still counts: an inspection made offline before that is a fact, not a mistake."""
    if session.get(InspectionObject, (str(kind), object_id)) is not None:
        return True
    if kind is ObjectKind.UNIT:
        return session.get(ResponsibilityUnit, object_id) is not None
    if kind is ObjectKind.GRID_CELL:
        return session.get(GridCell, object_id) is not None
    if kind is ObjectKind.DEPARTMENT:
        return _department(session, object_id) is not None
    return False


def _department(session: Session, code: str) -> Department | None:
    return session.scalar(select(Department).where(Department.code == code))


def check_object(
    session: Session, kind: ObjectKind, object_id: str, department_code: str | None
) -> None:
    """Refuse an inspection of an object, or naming a department, the server does not know."""
    if not find_object(session, kind, object_id):
        raise DomainError(
            "unknown_object",
            Message(
                f"服务器上没有检查对象 {object_id}（{kind}）",
                f"no object {object_id} ({kind}) to inspect on the server",
            ),
        )
    if department_code is not None and _department(session, department_code) is None:
        raise DomainError(
            "unknown_department",
            Message(
                f"服务器上没有处置部门 {department_code}",
                f"no department {department_code} on the server",
            ),
        )


def load_objects(session: Session, path: Path) -> int:
    """Load ``kind,id,name,department_code`` rows (a header line first); each new or changed
    object reaches every laptop through the feed. Every bad row is reported at once: an
    unknown kind, a missing id or name, a department the server does not have."""
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    known = set(session.scalars(select(Department.code)))
    problems = []
    for number, raw in enumerate(rows, start=2):
        try:
            ObjectKind(str(raw.get("kind") or "").strip())
        except ValueError:
            problems.append(f"line {number}: kind must be one of {', '.join(ObjectKind)}")
        if not (raw.get("id") or "").strip() or not (raw.get("name") or "").strip():
            problems.append(f"line {number}: id and name are required")
        department = (raw.get("department_code") or "").strip()
        if department and department not in known:
            problems.append(f"line {number}: no department {department}")
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
