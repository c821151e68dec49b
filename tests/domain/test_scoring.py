"""Every scoring rule against figures computed by hand (the arithmetic is in each test)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from app.domain.checklists import (
    ChecklistError,
    ObjectKind,
    load_template,
    parse_template,
    template_document,
)
from app.domain.errors import DomainError
from app.domain.scoring import (
    Component,
    ScoredInspection,
    UnitFigures,
    Weights,
    assess,
    payment_deduction,
    score_inspection,
    summarise,
)

D = Decimal

TEMPLATE = {
    "code": "street-sanitation",
    "version": 2,
    "object_kind": "street_section",
    "name": {"zh": "道路保洁检查", "en": "Street sanitation"},
    "total": 100,
    "sections": [
        {
            "code": "A",
            "name": {"zh": "路面", "en": "Road surface"},
            "items": [
                {"code": "A1", "text": "路面有垃圾", "points": 10, "deduction": 2, "cap": 6},
                {
                    "code": "A2",
                    "text": {"zh": "果皮箱满溢", "en": "Bins overflowing"},
                    "points": 20,
                    "deduction": 5,
                },
            ],
        },
        {
            "code": "B",
            "name": "沿街",
            "items": [
                {"code": "B1", "text": "占道经营", "points": 30, "deduction": 10, "cap": 30},
                {"code": "B2", "text": "焚烧垃圾", "points": 40, "veto": True},
            ],
        },
    ],
}


@pytest.fixture
def template():
    return parse_template(TEMPLATE)


def test_template_reads_every_field(template):
    assert template.total == D(100)
    assert template.object_kind is ObjectKind.STREET_SECTION
    a1 = template.item("A1")
    assert (a1.points, a1.deduction, a1.cap, a1.veto) == (D(10), D(2), D(6), False)
    assert template.item("A2").cap == D(20)  # no cap given: the item's points
    assert template.item("B2").deduction == D(40) and template.item("B2").veto
    assert template.item("A2").text.en == "Bins overflowing"
    assert template.sections[1].name.zh == "沿街"


def test_cap_limits_an_item(template):
    # A1: 4 × 2 = 8, capped at 6; A2: 1 × 5 = 5 → 100 − 11 = 89
    sheet = score_inspection(template, {"A1": 4, "A2": 1})
    assert sheet.deducted == D(11)
    assert sheet.score == D(89)
    assert sheet.percent == D("89.00")
    a1 = sheet.lines[0]
    assert (a1.raw, a1.taken, a1.capped) == (D(8), D(6), True)
    assert "封顶 6" in sheet.explain().zh
    assert sheet.explain().en.endswith("100 − 11 = 89")


def test_default_cap_is_the_items_points(template):
    # A2: 5 × 5 = 25 → 20 (its points); B1: 4 × 10 = 40 → 30 → 100 − 50 = 50
    sheet = score_inspection(template, {"A2": 5, "B1": 4})
    assert sheet.score == D(50)
    assert [line.taken for line in sheet.lines] == [D(0), D(20), D(30), D(0)]


def test_veto_fails_the_whole_check(template):
    sheet = score_inspection(template, {"A1": 1, "B2": 1})
    assert sheet.vetoed_by == ("B2",)
    assert sheet.score == D(0) and sheet.percent == D("0.00")
    assert "一票否决" in sheet.explain().zh


def test_a_clean_check_scores_the_total(template):
    assert score_inspection(template, {}).score == D(100)


def test_percent_of_a_template_not_out_of_100():
    raw = {
        "code": "market",
        "object_kind": "market",
        "name": "市场",
        "sections": [
            {
                "code": "S",
                "name": "环境",
                "items": [
                    {"code": "M1", "text": "地面湿滑", "points": 10, "deduction": "0.5"},
                    {"code": "M2", "text": "摊位越线", "points": 20, "deduction": 1},
                ],
            }
        ],
    }
    t = parse_template(raw)
    assert t.total == D(30)
    # 3 × 0.5 = 1.5 → 28.5 of 30 = 95 %
    assert score_inspection(t, {"M1": 3}).percent == D("95.00")
    # 1 × 1 = 1 → 29 of 30 = 96.666… → 96.67 (half up at the end only)
    assert score_inspection(t, {"M2": 1}).percent == D("96.67")


def test_unknown_item_or_negative_count_is_refused(template):
    with pytest.raises(DomainError) as info:
        score_inspection(template, {"Z9": 1})
    assert info.value.code == "unknown_checklist_item" and "Z9" in info.value.message.zh
    with pytest.raises(DomainError):
        score_inspection(template, {"A1": -1})


def _at(month: int, day: int = 10) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


def test_period_figures_rank_ties_and_a_unit_never_inspected():
    inspections = [
        ScoredInspection("u1", _at(1), D(80)),
        ScoredInspection("u1", _at(1, 20), D(90)),
        ScoredInspection("u1", _at(3), D(70)),
        ScoredInspection("u2", _at(2), D(80)),
        ScoredInspection("u5", _at(2), D(80)),
        ScoredInspection("u3", _at(4), D(95)),
        ScoredInspection("u3", _at(4, 11), D(85)),
    ]
    names = {"u1": "一中队", "u2": "二中队", "u3": "三中队", "u4": "四中队", "u5": "五中队"}
    out = summarise(inspections, names)
    by_id = {s.object_id: s for s in out}
    # u1: mean (80 + 90 + 70) / 3 = 80, lowest 70, trend March 70 − January 85 = −15
    assert (by_id["u1"].mean, by_id["u1"].lowest, by_id["u1"].trend) == (
        D("80.00"),
        D(70),
        D("-15.00"),
    )
    assert by_id["u2"].trend is None  # one month: no trend
    # order: u3 (90) 1; u2 and u5 (80, lowest 80) share 2, by name; u1 (80, lowest 70) 4; u4 last
    assert [(s.object_id, s.rank) for s in out] == [
        ("u3", 1),
        ("u2", 2),
        ("u5", 2),
        ("u1", 4),
        ("u4", None),
    ]
    assert by_id["u4"].inspections == 0 and by_id["u4"].mean is None


WEIGHTS = Weights(
    {
        Component.ON_TIME: 30,
        Component.CLOSURE: 20,
        Component.REWORK: 10,
        Component.SIGN_FOR: 10,
        Component.INSPECTION: 30,
    }
)


def test_assessment_weights_missing_figures_and_criticism():
    units = [
        UnitFigures("a", "环卫所", 0.9, 0.8, 0.1, 1.0, D(85)),
        UnitFigures("b", "市政所", 0.5, None, 0.25, None, D(60)),
        UnitFigures("c", "园林所"),
        UnitFigures("d", "交警队", on_time_rate=2 / 3),
    ]
    out = assess(units, WEIGHTS, criticise_below=D(60))
    by_id = {u.object_id: u for u in out}
    # a: (90×30 + 80×20 + 90×10 + 100×10 + 85×30) / 100 = 8750 / 100 = 87.50
    assert by_id["a"].score == D("87.50")
    # b: closure and sign-for missing → weights 30 + 10 + 30 = 70:
    #    (50×30 + 75×10 + 60×30) / 70 = 4050 / 70 = 57.857… → 57.86
    assert by_id["b"].score == D("57.86")
    assert "无数据不计" in by_id["b"].explain().zh and "× 30/70" in by_id["b"].explain().en
    # d: only the on-time rate: 66.6667 → 66.67
    assert by_id["d"].score == D("66.67")
    assert by_id["c"].score is None
    assert [(u.object_id, u.rank) for u in out] == [("a", 1), ("d", 2), ("b", 3), ("c", None)]
    assert [u.object_id for u in out if u.criticised] == ["b"]


def test_criticising_the_last_treats_equal_scores_equally():
    units = [
        UnitFigures("x", "甲", on_time_rate=0.9),
        UnitFigures("y", "乙", on_time_rate=0.6),
        UnitFigures("z", "丙", on_time_rate=0.6),
    ]
    out = assess(units, WEIGHTS, criticise_last=1)
    assert [(u.object_id, u.rank, u.criticised) for u in out] == [
        ("x", 1, False),
        ("z", 2, True),
        ("y", 2, True),
    ]


def test_recomputing_gives_identical_figures():
    units = [UnitFigures("a", "环卫所", 0.1 + 0.2, 0.7, 0.3, 0.9, D("77.77"))]
    first = assess(units, WEIGHTS)
    assert assess(list(reversed(units)), WEIGHTS) == first == assess(units, WEIGHTS)


def test_weights_must_add_up_to_100():
    with pytest.raises(DomainError) as info:
        Weights({Component.ON_TIME: 60, Component.INSPECTION: 30})
    assert info.value.code == "invalid_weights" and "90" in info.value.message.en


def test_payment_deduction():
    rule = {"full_at": D(90), "per_point": D(1), "most": D(30)}
    assert payment_deduction(D(95), **rule) == D(0)
    assert payment_deduction(D("85.5"), **rule) == D("4.50")
    assert payment_deduction(D(40), **rule) == D("30.00")


def test_every_problem_of_a_bad_template_is_reported_at_once():
    bad = json.loads(json.dumps(TEMPLATE))
    bad["object_kind"] = "river"
    bad["sections"][0]["items"][0]["cap"] = 12  # above its 10 points
    bad["sections"][0]["items"][1]["deduction"] = 25  # above its 20 points
    bad["sections"][1]["items"][0]["code"] = "A1"  # duplicate
    bad["sections"][1]["items"][1]["points"] = "0.125"  # three places
    with pytest.raises(ChecklistError) as info:
        parse_template(bad)
    paths = [p.path for p in info.value.problems]
    assert paths == [
        "$.object_kind",
        "$.sections[0].items[0].cap",
        "$.sections[0].items[1].deduction",
        "$.sections[1].items[1].points",
        "$.sections[*].items",
    ]
    assert "A1" in info.value.problems[-1].message.en


def test_a_declared_total_must_add_up():
    bad = dict(TEMPLATE, total=90)
    with pytest.raises(ChecklistError) as info:
        parse_template(bad)
    assert "100" in info.value.message.en and info.value.problems[0].path == "$.total"


@pytest.mark.parametrize(
    "text",
    [b"{not json", b"\xff\xfe", b"[]", b'{"code": "x", "sections": []}'],
)
def test_damaged_files_are_refused_clearly(text):
    with pytest.raises(ChecklistError) as info:
        load_template(text)
    assert info.value.code == "invalid_checklist"


def test_the_document_round_trips_exactly(template):
    text = json.dumps(template_document(template), ensure_ascii=False)
    assert load_template(text) == template
