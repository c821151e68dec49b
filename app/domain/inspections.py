"""Scored inspections on the wire: modes, states and the checked shape of one inspection.

An inspection (督导检查) is made offline by an inspector of the 督导检查组 on one object — a
street section, a market, a unit, a contractor's area (:class:`~app.domain.checklists.
ObjectKind`) — with one version of a checklist template. Each deduction is one occurrence of a
problem on one item, with a note, a photo and a position. It is open (明察, announced to the
unit) or unannounced (暗访: the unit and its department learn of it only when a supervisor
publishes it). The laptop sends the finished inspection whole (idempotent by its id) and its
photos one by one; the server and the laptop read it with :func:`read_inspection`.
"""

from __future__ import annotations

import enum
import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.domain.checklists import ChecklistTemplate, ObjectKind
from app.domain.errors import DomainError, Message
from app.domain.scoring import ScoreSheet, score_inspection

#: A deduction's note and an object's name are short texts.
MAX_NOTE = 2000
MAX_NAME = 200
#: Inspections and deductions are named by the client's UUIDs (they appear in URLs).
ID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
#: A walk of one street never finds more problems than this.
MAX_DEDUCTIONS = 500


class InspectionMode(enum.StrEnum):
    OPEN = "open"  # 明察: announced to the unit
    UNANNOUNCED = "unannounced"  # 暗访: hidden from the unit until published


MODE_NAMES: dict[InspectionMode, Message] = {
    InspectionMode.OPEN: Message("明察", "Open"),
    InspectionMode.UNANNOUNCED: Message("暗访", "Unannounced"),
}


class InspectionState(enum.StrEnum):
    OPEN = "open"  # being recorded on the inspector's laptop
    FINISHED = "finished"  # closed by the inspector, queued for (or received by) the server
    PUBLISHED = "published"  # published by a supervisor: the unit sees it


STATE_NAMES: dict[InspectionState, Message] = {
    InspectionState.OPEN: Message("检查中", "In progress"),
    InspectionState.FINISHED: Message("已完成", "Finished"),
    InspectionState.PUBLISHED: Message("已通报", "Published"),
}


@dataclass(frozen=True, slots=True)
class Deduction:
    id: str
    item_code: str
    note: str
    at: datetime
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    position_source: str | None = None
    photo_sha256: str | None = None
    photo_mime: str | None = None
    photo_size: int | None = None


@dataclass(frozen=True, slots=True)
class Inspection:
    id: str
    template_code: str
    template_version: int
    object_kind: ObjectKind
    object_id: str
    object_name: str
    department_code: str | None
    mode: InspectionMode
    started_at: datetime
    finished_at: datetime
    deductions: tuple[Deduction, ...]

    def occurrences(self) -> dict[str, int]:
        return dict(Counter(d.item_code for d in self.deductions))

    def sheet(self, template: ChecklistTemplate) -> ScoreSheet:
        return score_inspection(template, self.occurrences())


def _bad(zh: str, en: str) -> DomainError:
    return DomainError(
        "invalid_inspection", Message(f"检查记录无效：{zh}", f"Invalid inspection: {en}")
    )


def _clean(key: str, value: str) -> str:
    # PostgreSQL text holds neither NUL nor a lone surrogate (half of a UTF-16 pair).
    if "\x00" in value or any("\ud800" <= c <= "\udfff" for c in value):
        raise _bad(f"{key} 含有无效字符", f"{key} holds an invalid character")
    return value


def _text(raw: Mapping[str, Any], key: str, limit: int, *, required: bool = True) -> str:
    value = raw.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise _bad(f"{key} 须为不超过 {limit} 字的文字", f"{key} must be text of at most {limit}")
    return _clean(key, value)


def _id(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not ID_PATTERN.match(value):
        raise _bad(f"{key} 须为 UUID", f"{key} must be a UUID")
    return value


def _time(raw: Mapping[str, Any], key: str) -> datetime:
    value = raw.get(key)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise _bad(f"{key} 不是时间", f"{key} is not a time") from None
    if parsed.tzinfo is None:
        raise _bad(f"{key} 缺少时区", f"{key} has no time zone")
    return parsed


def _number(raw: Mapping[str, Any], key: str) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(float(value))
    ):
        raise _bad(f"{key} 须为数字", f"{key} must be a number")
    return float(value)


def _optional(raw: Mapping[str, Any], key: str, limit: int) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise _bad(f"{key} 须为不超过 {limit} 字的文字", f"{key} must be text of at most {limit}")
    return _clean(key, value)


def read_inspection(raw: Any) -> Inspection:
    """The inspection in ``raw`` (the JSON :func:`inspection_document` writes), or a
    :class:`DomainError` saying what is wrong."""
    if not isinstance(raw, Mapping):
        raise _bad("须为对象", "must be an object")
    try:
        kind = ObjectKind(str(raw.get("object_kind")))
        mode = InspectionMode(str(raw.get("mode")))
    except ValueError:
        raise _bad("检查对象类型或方式不明", "unknown object kind or mode") from None
    version = raw.get("template_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _bad("检查表版本须为正整数", "template_version must be a positive whole number")
    items = raw.get("deductions")
    if not isinstance(items, list) or len(items) > MAX_DEDUCTIONS:
        raise _bad("扣分记录须为列表", f"deductions must be a list of at most {MAX_DEDUCTIONS}")
    deductions = []
    for item in items:
        if not isinstance(item, Mapping):
            raise _bad("扣分记录须为对象", "a deduction must be an object")
        sha = item.get("photo_sha256")
        if sha is not None and (not isinstance(sha, str) or len(sha) != 64):
            raise _bad("照片的 SHA-256 无效", "a photo's SHA-256 is not valid")
        size = item.get("photo_size")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 1):
            raise _bad("照片大小无效", "a photo's size is not valid")
        deductions.append(
            Deduction(
                id=_id(item, "id"),
                item_code=_text(item, "item_code", 36),
                note=_text(item, "note", MAX_NOTE, required=False),
                at=_time(item, "at"),
                lat=_number(item, "lat"),
                lon=_number(item, "lon"),
                accuracy_m=_number(item, "accuracy_m"),
                position_source=_optional(item, "position_source", 20),
                photo_sha256=sha,
                photo_mime=_text(item, "photo_mime", 50) if sha else None,
                photo_size=size if sha else None,
            )
        )
    if len({d.id for d in deductions}) != len(deductions):
        raise _bad("扣分记录编号重复", "two deductions share an id")
    department = _optional(raw, "department_code", 50)
    return Inspection(
        id=_id(raw, "id"),
        template_code=_text(raw, "template_code", 36),
        template_version=version,
        object_kind=kind,
        object_id=_text(raw, "object_id", 100),
        object_name=_text(raw, "object_name", MAX_NAME),
        department_code=department,
        mode=mode,
        started_at=_time(raw, "started_at"),
        finished_at=_time(raw, "finished_at"),
        deductions=tuple(deductions),
    )


def inspection_document(inspection: Inspection) -> dict[str, Any]:
    """The JSON of an inspection (what the laptop sends and the feed carries)."""
    return {
        "id": inspection.id,
        "template_code": inspection.template_code,
        "template_version": inspection.template_version,
        "object_kind": str(inspection.object_kind),
        "object_id": inspection.object_id,
        "object_name": inspection.object_name,
        "department_code": inspection.department_code,
        "mode": str(inspection.mode),
        "started_at": inspection.started_at.isoformat(),
        "finished_at": inspection.finished_at.isoformat(),
        "deductions": [
            {
                "id": d.id,
                "item_code": d.item_code,
                "note": d.note,
                "at": d.at.isoformat(),
                "lat": d.lat,
                "lon": d.lon,
                "accuracy_m": d.accuracy_m,
                "position_source": d.position_source,
                "photo_sha256": d.photo_sha256,
                "photo_mime": d.photo_mime,
                "photo_size": d.photo_size,
            }
            for d in inspection.deductions
        ],
    }
