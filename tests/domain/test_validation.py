"""Case validation: what a draft may hold, and what a submission must have."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.domain.errors import FieldError, ValidationError
from app.domain.taxonomy import Category, CategoryKind, Taxonomy, load_default_taxonomy
from app.domain.validation import CaseFields, Urgency, require_valid, validate_case

NOW = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
CJK = re.compile(r"[\u4e00-\u9fff]")

#: A complete case an inspector could submit: exposed garbage on Shenzhen's Shennan Avenue.
SUBMITTABLE = CaseFields(
    category_code="06010",
    description="深南大道与华强北路交叉口东北角有暴露垃圾约 2 立方米",
    address="广东省深圳市福田区深南中路",
    urgency=Urgency.URGENT,
    lat=22.5431,
    lon=114.0579,
    accuracy_m=8.5,
    observed_at=NOW - timedelta(minutes=20),
)


@pytest.fixture(scope="module")
def taxonomy() -> Taxonomy:
    return load_default_taxonomy()


def check(
    fields: CaseFields, taxonomy: Taxonomy, *, for_submission: bool = False
) -> list[tuple[str, str]]:
    """``(field, code)`` of every error, checked against a fixed clock."""
    errors = validate_case(fields, taxonomy, for_submission=for_submission, now=NOW)
    for error in errors:
        assert isinstance(error, FieldError)
        assert CJK.search(error.message.text("zh_CN")), error
        assert error.message.text("en").strip(), error
    return [(e.field, e.code) for e in errors]


# --- drafts and submissions ------------------------------------------------------------------


def test_a_draft_with_nothing_but_a_description_is_valid(taxonomy: Taxonomy) -> None:
    assert check(CaseFields(description="井盖缺失"), taxonomy) == []


def test_an_empty_draft_is_valid(taxonomy: Taxonomy) -> None:
    assert check(CaseFields(), taxonomy) == []


def test_a_complete_case_is_valid_for_submission(taxonomy: Taxonomy) -> None:
    assert check(SUBMITTABLE, taxonomy, for_submission=True) == []


def test_submission_requires_category_description_and_position(taxonomy: Taxonomy) -> None:
    assert check(CaseFields(), taxonomy, for_submission=True) == [
        ("category_code", "required"),
        ("description", "required"),
        ("position", "required"),
    ]


def test_a_draft_with_only_a_description_is_not_yet_submittable(taxonomy: Taxonomy) -> None:
    errors = check(CaseFields(description="井盖缺失"), taxonomy, for_submission=True)

    assert errors == [("category_code", "required"), ("position", "required")]


@pytest.mark.parametrize("description", ["", "   ", "\n\t", "\u3000"], ids=repr)
def test_submission_refuses_a_blank_description(taxonomy: Taxonomy, description: str) -> None:
    errors = check(replace(SUBMITTABLE, description=description), taxonomy, for_submission=True)

    assert errors == [("description", "required")]


def test_submission_refuses_an_empty_category_code(taxonomy: Taxonomy) -> None:
    errors = check(replace(SUBMITTABLE, category_code=""), taxonomy, for_submission=True)

    assert errors == [("category_code", "required")]


def test_submission_without_a_position_is_refused(taxonomy: Taxonomy) -> None:
    errors = check(
        replace(SUBMITTABLE, lat=None, lon=None, accuracy_m=None), taxonomy, for_submission=True
    )

    assert errors == [("position", "required")]


def test_address_time_and_accuracy_are_optional_for_submission(taxonomy: Taxonomy) -> None:
    fields = replace(SUBMITTABLE, address="", accuracy_m=None, observed_at=None)

    assert check(fields, taxonomy, for_submission=True) == []


# --- category --------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["06010", "01037", "09006", "09009", "01001"])
def test_a_matter_code_is_a_valid_category(taxonomy: Taxonomy, code: str) -> None:
    assert check(replace(SUBMITTABLE, category_code=code), taxonomy, for_submission=True) == []


@pytest.mark.parametrize("code", ["09007", "06031", "99999", "0601", "abcde", " 06010"])
@pytest.mark.parametrize("for_submission", [False, True], ids=["draft", "submission"])
def test_an_unknown_category_code_is_refused(
    taxonomy: Taxonomy, code: str, for_submission: bool
) -> None:
    errors = check(
        replace(SUBMITTABLE, category_code=code), taxonomy, for_submission=for_submission
    )

    assert errors == [("category_code", "unknown_category")]


def _category(kind: CategoryKind, code: str, name: str, name_en: str) -> Category:
    return Category("CITY-1", kind, code[:2], "市政公用设施", "Utilities", code, name, name_en)


def test_a_component_only_code_is_refused_as_a_case_category() -> None:
    # In the bundled table every component code is also the code of its fault matter, so this
    # needs a city table with a component that has no matter of the same code.
    city = Taxonomy(
        [
            _category(CategoryKind.COMPONENT, "01001", "供水井盖", "Water supply manhole cover"),
            _category(CategoryKind.MATTER, "01002", "污水井盖异常", "Sewage manhole cover fault"),
        ]
    )

    errors = validate_case(
        CaseFields(category_code="01001", description="井盖缺失"),
        city,
        for_submission=False,
        now=NOW,
    )

    assert [(e.field, e.code) for e in errors] == [("category_code", "component_not_matter")]
    assert "01001" in errors[0].message.text("en")
    assert "管理事项" in errors[0].message.text("zh_CN")
    assert (
        validate_case(CaseFields(category_code="01002"), city, for_submission=False, now=NOW) == []
    )


# --- position --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lat", "lon"),
    [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0), (22.5431, 114.0579)],
)
def test_coordinates_at_and_inside_the_limits_are_accepted(
    taxonomy: Taxonomy, lat: float, lon: float
) -> None:
    assert check(replace(SUBMITTABLE, lat=lat, lon=lon), taxonomy, for_submission=True) == []


BAD_NUMBERS = [math.nan, math.inf, -math.inf]


@pytest.mark.parametrize("lat", [90.000001, -90.5, 114.0579, 1e9, *BAD_NUMBERS], ids=repr)
def test_latitude_outside_minus_90_to_90_or_not_finite_is_refused(
    taxonomy: Taxonomy, lat: float
) -> None:
    assert check(replace(SUBMITTABLE, lat=lat), taxonomy) == [("lat", "out_of_range")]


@pytest.mark.parametrize("lon", [180.000001, -181.0, 360.0, *BAD_NUMBERS], ids=repr)
def test_longitude_outside_minus_180_to_180_or_not_finite_is_refused(
    taxonomy: Taxonomy, lon: float
) -> None:
    assert check(replace(SUBMITTABLE, lon=lon), taxonomy) == [("lon", "out_of_range")]


def test_both_coordinates_wrong_are_both_reported(taxonomy: Taxonomy) -> None:
    errors = check(replace(SUBMITTABLE, lat=math.nan, lon=-math.inf), taxonomy)

    assert errors == [("lat", "out_of_range"), ("lon", "out_of_range")]


@pytest.mark.parametrize(
    ("lat", "lon"), [(22.5431, None), (None, 114.0579)], ids=["lat_only", "lon_only"]
)
@pytest.mark.parametrize("for_submission", [False, True], ids=["draft", "submission"])
def test_only_one_of_latitude_and_longitude_is_refused(
    taxonomy: Taxonomy, lat: float | None, lon: float | None, for_submission: bool
) -> None:
    errors = check(replace(SUBMITTABLE, lat=lat, lon=lon), taxonomy, for_submission=for_submission)

    assert errors == [("position", "incomplete")]


@pytest.mark.parametrize("accuracy", [-0.1, -100.0], ids=repr)
def test_negative_accuracy_is_refused(taxonomy: Taxonomy, accuracy: float) -> None:
    assert check(replace(SUBMITTABLE, accuracy_m=accuracy), taxonomy) == [
        ("accuracy_m", "negative")
    ]


@pytest.mark.parametrize("accuracy", BAD_NUMBERS, ids=repr)
def test_accuracy_that_is_not_a_finite_number_is_refused(
    taxonomy: Taxonomy, accuracy: float
) -> None:
    errors = check(replace(SUBMITTABLE, accuracy_m=accuracy), taxonomy)

    assert [field for field, _ in errors] == ["accuracy_m"]


@pytest.mark.parametrize("accuracy", [0.0, 3.0, 5000.0], ids=repr)
def test_zero_or_positive_accuracy_is_accepted(taxonomy: Taxonomy, accuracy: float) -> None:
    assert check(replace(SUBMITTABLE, accuracy_m=accuracy), taxonomy) == []


# --- text lengths ----------------------------------------------------------------------------


def test_description_of_2000_characters_is_accepted(taxonomy: Taxonomy) -> None:
    assert check(replace(SUBMITTABLE, description="垃" * 2000), taxonomy, for_submission=True) == []


@pytest.mark.parametrize("for_submission", [False, True], ids=["draft", "submission"])
def test_description_over_2000_characters_is_refused(
    taxonomy: Taxonomy, for_submission: bool
) -> None:
    errors = check(
        replace(SUBMITTABLE, description="垃" * 2001), taxonomy, for_submission=for_submission
    )

    assert errors == [("description", "too_long")]


def test_address_of_500_characters_is_accepted(taxonomy: Taxonomy) -> None:
    assert check(replace(SUBMITTABLE, address="路" * 500), taxonomy) == []


def test_address_over_500_characters_is_refused(taxonomy: Taxonomy) -> None:
    assert check(replace(SUBMITTABLE, address="路" * 501), taxonomy) == [("address", "too_long")]


# --- observed_at -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ahead",
    [timedelta(minutes=5, seconds=1), timedelta(hours=1), timedelta(days=365)],
    ids=["5m01s", "1h", "1y"],
)
def test_observed_time_beyond_five_minutes_in_the_future_is_refused(
    taxonomy: Taxonomy, ahead: timedelta
) -> None:
    errors = check(replace(SUBMITTABLE, observed_at=NOW + ahead), taxonomy)

    assert errors == [("observed_at", "in_future")]


@pytest.mark.parametrize(
    "ahead",
    [timedelta(0), timedelta(minutes=4, seconds=59), timedelta(minutes=5), -timedelta(days=30)],
    ids=["now", "4m59s", "5m", "a_month_ago"],
)
def test_observed_time_within_the_clock_skew_or_in_the_past_is_accepted(
    taxonomy: Taxonomy, ahead: timedelta
) -> None:
    assert check(replace(SUBMITTABLE, observed_at=NOW + ahead), taxonomy) == []


def test_observed_time_in_another_time_zone_is_compared_as_an_instant(taxonomy: Taxonomy) -> None:
    beijing = timezone(timedelta(hours=8))
    # 17:32 in Beijing is 09:32 UTC, two minutes after NOW: within the skew.
    fields = replace(SUBMITTABLE, observed_at=datetime(2026, 7, 1, 17, 32, tzinfo=beijing))

    assert check(fields, taxonomy) == []


def test_observed_time_without_a_time_zone_is_refused(taxonomy: Taxonomy) -> None:
    fields = replace(SUBMITTABLE, observed_at=NOW.replace(tzinfo=None) - timedelta(hours=1))

    assert check(fields, taxonomy) == [("observed_at", "naive_time")]


def test_the_current_clock_is_used_when_no_time_is_given(taxonomy: Taxonomy) -> None:
    real_now = datetime.now(UTC)

    def errors_for(observed_at: datetime) -> list[str]:
        fields = replace(SUBMITTABLE, observed_at=observed_at)
        return [e.code for e in validate_case(fields, taxonomy, for_submission=True)]

    assert errors_for(real_now + timedelta(hours=1)) == ["in_future"]
    assert errors_for(real_now + timedelta(minutes=1)) == []


def test_a_wider_clock_skew_can_be_allowed(taxonomy: Taxonomy) -> None:
    fields = replace(SUBMITTABLE, observed_at=NOW + timedelta(minutes=20))

    errors = validate_case(
        fields, taxonomy, for_submission=True, now=NOW, clock_skew=timedelta(minutes=30)
    )

    assert errors == []


# --- every error at once ---------------------------------------------------------------------

BROKEN_EVERYWHERE = CaseFields(
    category_code="09007",
    description="垃" * 2001,
    address="路" * 501,
    lat=91.0,
    lon=-200.0,
    accuracy_m=-1.0,
    observed_at=NOW + timedelta(hours=2),
)
EVERY_ERROR = [
    ("category_code", "unknown_category"),
    ("description", "too_long"),
    ("address", "too_long"),
    ("lat", "out_of_range"),
    ("lon", "out_of_range"),
    ("accuracy_m", "negative"),
    ("observed_at", "in_future"),
]


def test_validate_case_reports_every_broken_rule_in_field_order(taxonomy: Taxonomy) -> None:
    assert check(BROKEN_EVERYWHERE, taxonomy, for_submission=True) == EVERY_ERROR


def test_require_valid_raises_validation_error_listing_every_field_error(
    taxonomy: Taxonomy,
) -> None:
    with pytest.raises(ValidationError) as caught:
        require_valid(BROKEN_EVERYWHERE, taxonomy, for_submission=True, now=NOW)

    error = caught.value
    assert error.code == "invalid_case"
    assert [(e.field, e.code) for e in error.errors] == EVERY_ERROR
    for field_error in error.errors:
        assert field_error.message.en in error.text("en")
        assert field_error.message.zh in error.text("zh_CN")


def test_require_valid_lists_the_missing_fields_of_an_empty_submission(taxonomy: Taxonomy) -> None:
    with pytest.raises(ValidationError) as caught:
        require_valid(CaseFields(), taxonomy, for_submission=True, now=NOW)

    assert {e.field for e in caught.value.errors} == {"category_code", "description", "position"}
    assert CJK.search(caught.value.text("zh_CN"))


def test_require_valid_returns_quietly_for_a_valid_case(taxonomy: Taxonomy) -> None:
    require_valid(SUBMITTABLE, taxonomy, for_submission=True, now=NOW)
    require_valid(CaseFields(description="井盖缺失"), taxonomy, for_submission=False)


@pytest.mark.parametrize(
    ("grid_code", "valid"),
    [
        (None, True),
        ("", True),
        ("440304001002003", True),
        ("44030400100200", False),  # 14 digits
        ("4403040010020031", False),  # 16 digits
        ("44030400100200A", False),
        ("４４０３０４００１００２００３", False),  # full-width digits are not ASCII digits
    ],
)
def test_the_grid_cell_code_is_15_ascii_digits_when_given(
    taxonomy: Taxonomy, grid_code: str | None, valid: bool
) -> None:
    errors = validate_case(
        replace(SUBMITTABLE, grid_code=grid_code), taxonomy, for_submission=True, now=NOW
    )
    assert [e.field for e in errors] == ([] if valid else ["grid_code"])
    if not valid:
        assert "15" in errors[0].message.zh and "15" in errors[0].message.en
