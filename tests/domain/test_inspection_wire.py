"""The wire shape of a scored inspection: what reads back is what was written, and each kind
of bad input is refused with the field it concerns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.domain.checklists import ObjectKind
from app.domain.errors import DomainError
from app.domain.inspections import (
    Deduction,
    Inspection,
    InspectionMode,
    inspection_document,
    read_inspection,
)

AT = datetime(2026, 6, 1, 9, tzinfo=UTC)
SHA = "a" * 64
D1 = "0190e4b0-0000-7000-8000-0000000000d1"
D2 = "0190e4b0-0000-7000-8000-0000000000d2"


def sample() -> Inspection:
    return Inspection(
        id="0190e4b0-0000-7000-8000-000000000001", template_code="street-sanitation",
        template_version=2, object_kind=ObjectKind.MARKET, object_id="M-1", object_name="东门市场",
        department_code="HWC", mode=InspectionMode.UNANNOUNCED, started_at=AT, finished_at=AT,
        deductions=(
            Deduction(D1, "A1", "垃圾", AT, 28.2, 117.2, 5.0, "gps", SHA, "image/jpeg", 1234),
            Deduction(D2, "A1", "", AT),
        ),
    )  # fmt: skip


def test_round_trip_and_occurrences() -> None:
    inspection = sample()
    assert read_inspection(inspection_document(inspection)) == inspection
    assert inspection.occurrences() == {"A1": 2}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"mode": "secret"}, "unknown object kind or mode"),
        ({"object_kind": "planet"}, "unknown object kind or mode"),
        ({"template_version": 0}, "template_version"),
        ({"template_version": True}, "template_version"),
        ({"started_at": "2026-06-01T09:00:00"}, "started_at has no time zone"),
        ({"finished_at": "yesterday"}, "finished_at is not a time"),
        ({"object_name": ""}, "object_name"),
        ({"department_code": ["HWC"]}, "department_code"),
        ({"id": "inspection-1"}, "id must be a UUID"),
        ({"object_name": "建设路\x00"}, "object_name holds an invalid character"),
        ({"object_name": "建设路\ud800"}, "object_name holds an invalid character"),
        ({"object_name": "x" * 201}, "object_name"),
        ({"deductions": "none"}, "deductions must be a list"),
        ({"deductions": [1]}, "a deduction must be an object"),
    ],
)
def test_bad_inspections_say_what_is_wrong(change: dict[str, Any], words: str) -> None:
    raw = {**inspection_document(sample()), **change}
    with pytest.raises(DomainError) as caught:
        read_inspection(raw)
    assert caught.value.code == "invalid_inspection" and words in caught.value.message.en


def test_bad_deductions_are_refused() -> None:
    raw = inspection_document(sample())
    raw["deductions"][1]["id"] = D1
    with pytest.raises(DomainError, match="share an id"):
        read_inspection(raw)
    raw = inspection_document(sample())
    raw["deductions"][0]["photo_sha256"] = "abc"
    with pytest.raises(DomainError, match="SHA-256"):
        read_inspection(raw)
    raw = inspection_document(sample())
    raw["deductions"][0]["photo_size"] = -1
    with pytest.raises(DomainError, match="size"):
        read_inspection(raw)
    for bad in (float("nan"), float("inf")):
        raw = inspection_document(sample())
        raw["deductions"][0]["lon"] = bad
        with pytest.raises(DomainError, match="lon must be a number"):
            read_inspection(raw)
    raw = inspection_document(sample())
    raw["deductions"][0]["position_source"] = {"x": 1}
    with pytest.raises(DomainError, match="position_source"):
        read_inspection(raw)
    raw = inspection_document(sample())
    raw["deductions"][0]["lat"] = "north"
    with pytest.raises(DomainError, match="lat must be a number"):
        read_inspection(raw)
