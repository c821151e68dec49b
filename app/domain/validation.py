"""Case validation: the rules a case must meet to be saved, and the stricter ones to be submitted.

A draft may be incomplete (an inspector saves as they type), but what *is* there must be
sane: a category that exists, coordinates in range, a non-negative accuracy, a time not in
the future. Submission additionally needs a category, a description and a position.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from app.domain.errors import FieldError, Message, ValidationError
from app.domain.taxonomy import Taxonomy

DESCRIPTION_MAX = 2000
ADDRESS_MAX = 500
GRID_CODE_LENGTH = 15
#: How far ahead of our clock a device's timestamp may be before we call it wrong.
CLOCK_SKEW = timedelta(minutes=5)

_Fail = Callable[[str, str, str, str], None]


class Urgency(enum.StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    EMERGENCY = "emergency"


@dataclass(frozen=True, slots=True)
class CaseFields:
    """The fields of a case that an inspector fills in."""

    category_code: str | None = None
    description: str = ""
    address: str = ""
    urgency: Urgency = Urgency.NORMAL
    lat: float | None = None
    lon: float | None = None
    accuracy_m: float | None = None
    observed_at: datetime | None = None
    #: The 15-digit grid cell (单元网格): district (6) + street (3) + community (3) + cell (3).
    grid_code: str | None = None


def validate_case(
    fields: CaseFields,
    taxonomy: Taxonomy,
    *,
    for_submission: bool,
    now: datetime | None = None,
    clock_skew: timedelta = CLOCK_SKEW,
) -> list[FieldError]:
    """Every rule ``fields`` breaks, in field order; an empty list means valid."""
    now = now or datetime.now(UTC)
    errors: list[FieldError] = []

    def fail(field: str, code: str, zh: str, en: str) -> None:
        errors.append(FieldError(field, code, Message(zh, en)))

    code = fields.category_code
    if code:
        if taxonomy.is_case_category(code):
            pass
        elif taxonomy.component(code) is not None:
            fail(
                "category_code",
                "component_not_matter",
                f"{code} 是管理部件代码，案件须选择管理事项",
                f"{code} is a component code; a case needs a matter (管理事项) code",
            )
        else:
            fail(
                "category_code",
                "unknown_category",
                f"类别代码 {code} 不存在",
                f"Unknown category code {code}",
            )
    elif for_submission:
        fail("category_code", "required", "请选择问题类别", "Choose a category")

    description = fields.description.strip()
    if len(fields.description) > DESCRIPTION_MAX:
        fail(
            "description",
            "too_long",
            f"问题描述不能超过 {DESCRIPTION_MAX} 字",
            f"The description must be at most {DESCRIPTION_MAX} characters",
        )
    elif for_submission and not description:
        fail("description", "required", "请填写问题描述", "Enter a description")

    if len(fields.address) > ADDRESS_MAX:
        fail(
            "address",
            "too_long",
            f"地址不能超过 {ADDRESS_MAX} 字",
            f"The address must be at most {ADDRESS_MAX} characters",
        )

    _check_position(fields, for_submission, fail)

    if fields.grid_code and not (
        len(fields.grid_code) == GRID_CODE_LENGTH
        and fields.grid_code.isascii()
        and fields.grid_code.isdigit()
    ):
        fail(
            "grid_code",
            "invalid",
            f"单元网格编码须为 {GRID_CODE_LENGTH} 位数字",
            f"The grid cell code is {GRID_CODE_LENGTH} digits",
        )

    if fields.observed_at is not None:
        observed = fields.observed_at
        if observed.tzinfo is None:
            fail("observed_at", "naive_time", "时间缺少时区", "The time has no time zone")
        elif observed > now + clock_skew:
            fail(
                "observed_at",
                "in_future",
                "发现时间晚于当前时间，请检查电脑时钟",
                "The time observed is in the future; check the computer's clock",
            )
    return errors


def _check_position(fields: CaseFields, for_submission: bool, fail: _Fail) -> None:
    lat, lon = fields.lat, fields.lon
    if (lat is None) != (lon is None):
        fail("position", "incomplete", "经纬度须同时填写", "Latitude and longitude go together")
    if lat is not None and not (math.isfinite(lat) and -90.0 <= lat <= 90.0):
        fail(
            "lat", "out_of_range", "纬度须在 -90 到 90 之间", "Latitude must be between -90 and 90"
        )
    if lon is not None and not (math.isfinite(lon) and -180.0 <= lon <= 180.0):
        fail(
            "lon",
            "out_of_range",
            "经度须在 -180 到 180 之间",
            "Longitude must be between -180 and 180",
        )
    accuracy = fields.accuracy_m
    if accuracy is not None and not math.isfinite(accuracy):
        fail(
            "accuracy_m", "invalid", "定位精度须为有限数值", "The accuracy must be a finite number"
        )
    elif accuracy is not None and accuracy < 0:
        fail("accuracy_m", "negative", "定位精度不能为负数", "The accuracy cannot be negative")
    if for_submission and lat is None and lon is None:
        fail("position", "required", "请确定问题位置", "Set the position of the problem")


def require_valid(
    fields: CaseFields, taxonomy: Taxonomy, *, for_submission: bool, now: datetime | None = None
) -> None:
    """Raise :class:`ValidationError` listing every broken rule, if any."""
    errors = validate_case(fields, taxonomy, for_submission=for_submission, now=now)
    if errors:
        raise ValidationError(errors)
