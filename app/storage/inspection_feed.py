"""Scored inspections and inspection objects arriving through the server's change feed.

A supervisor's laptop receives every inspection when it reaches the server (for the scores,
the bulletin and the assessment); everyone receives it again once published. The inspector's
own laptop keeps its record (the server's copy is the one it sent) and only learns that it was
published. Deduction photos of received inspections are marked ``remote``: the sync downloads
them (:mod:`app.sync.inspections`) so bulletins can show them (曝光典型) offline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.domain.errors import DomainError
from app.domain.inspections import InspectionState, read_inspection
from app.storage.models import DeductionRow, InspectionObjectRow, InspectionRow
from app.storage.states import DeliveryState


def apply_inspection(s: Session, payload: dict[str, Any]) -> int:
    """Store (or update the publication of) the inspection in a feed entry; 1 if applied."""
    try:
        inspection = read_inspection(payload.get("inspection"))
    except DomainError:
        return 0
    published = payload.get("published_at")
    published_at = datetime.fromisoformat(published) if isinstance(published, str) else None
    row = s.get(InspectionRow, inspection.id)
    state = InspectionState.PUBLISHED if published_at else InspectionState.FINISHED
    if row is not None:
        if published_at is not None:
            row.state, row.published_at = state, published_at
        row.delivery = DeliveryState.CONFIRMED
        return 1
    s.add(
        InspectionRow(
            id=inspection.id,
            template_code=inspection.template_code,
            template_version=inspection.template_version,
            object_kind=str(inspection.object_kind),
            object_id=inspection.object_id,
            object_name=inspection.object_name,
            department_code=inspection.department_code,
            mode=str(inspection.mode),
            state=state,
            author_name=str(payload.get("author") or ""),
            started_at=inspection.started_at,
            finished_at=inspection.finished_at,
            published_at=published_at,
            mine=False,
            delivery=DeliveryState.CONFIRMED,
        )
    )
    s.flush()
    for d in inspection.deductions:
        s.add(
            DeductionRow(
                id=d.id,
                inspection_id=inspection.id,
                item_code=d.item_code,
                note=d.note,
                at=d.at,
                lat=d.lat,
                lon=d.lon,
                accuracy_m=d.accuracy_m,
                position_source=d.position_source,
                photo_sha256=d.photo_sha256,
                photo_mime=d.photo_mime,
                photo_size=d.photo_size,
                photo_delivery=DeliveryState.REMOTE if d.photo_sha256 else None,
            )
        )
    return 1


def apply_inspection_object(s: Session, payload: dict[str, Any]) -> int:
    kind, object_id = str(payload.get("kind") or ""), str(payload.get("id") or "")
    if not kind or not object_id:
        return 0
    row = s.get(InspectionObjectRow, (kind, object_id)) or InspectionObjectRow(
        kind=kind, id=object_id
    )
    row.name = str(payload.get("name") or object_id)
    row.department_code = payload.get("department_code") or None
    row.active = bool(payload.get("active", True))
    s.add(row)
    return 1
