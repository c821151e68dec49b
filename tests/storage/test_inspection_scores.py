"""Scores on a real store: the period report, contractors' monthly CSV with the payment
deduction, and the year-end assessment combining case indicators with inspection scores —
recomputed identically after later data arrives."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from inspection_builders import add_templates, city, inspect
from report_builders import add_case_with_steps

from app.domain.assessment import DEFAULT_SETTINGS, read_settings, settings_document
from app.domain.errors import DomainError
from app.domain.scoring import Component
from app.storage import LocalStore
from app.storage.inspection_feed import apply_inspection_object
from app.storage.inspection_scores import (
    assessment_json,
    contractor_month,
    object_ranking,
    write_contractor_csv,
    year_assessment,
    year_period,
)
from app.storage.models import GridCell, SyncState
from app.storage.reports import indicators


def test_assessment_weighs_indicators_and_inspections_and_recomputes_identically(
    tmp_path: Path,
) -> None:
    store = LocalStore(tmp_path / "laptop")
    add_templates(store)
    deps = city(store)
    march = datetime(2026, 3, 10, 10, tzinfo=UTC)
    inspect(store, march, "S1", ["A1", "A1", "A1"], department="HW")  # 100 − 6 = 94
    inspect(store, march + timedelta(days=30), "S1", ["B2", "B2"], department="HW")  # 90
    inspect(store, march, "S2", ["C1"], department="SZ")  # veto: 0
    data = year_assessment(store, 2026)
    by_code = {u.code: u for u in data.units}

    counts = indicators(store, year_period(2026), now=year_period(2026).end).by_department
    hw = counts[deps["HW"]]
    weights = {
        Component.ON_TIME: 30,
        Component.CLOSURE: 20,
        Component.REWORK: 10,
        Component.SIGN_FOR: 10,
        Component.INSPECTION: 30,
    }
    values = {
        Component.ON_TIME: Decimal(str(round(hw.on_time_rate or 0, 6))) * 100,
        Component.CLOSURE: None if hw.closure_rate is None else Decimal(str(round(hw.closure_rate, 6))) * 100,
        Component.REWORK: None if hw.rework_rate is None else 100 - Decimal(str(round(hw.rework_rate, 6))) * 100,
        Component.SIGN_FOR: Decimal(100),  # signed for within the hour: 1 of 1 on time
        Component.INSPECTION: Decimal("92.00"),  # (94 + 90) / 2
    }  # fmt: skip
    present = {c: v for c, v in values.items() if v is not None}
    expected = sum(v * weights[c] for c, v in present.items()) / sum(weights[c] for c in present)
    assert by_code["HW"].unit.score == expected.quantize(Decimal("0.01"))
    assert by_code["HW"].inspections == 2 and by_code["HW"].unit.rank == 1
    assert by_code["SZ"].unit.criticised and not by_code["HW"].unit.criticised
    assert by_code["YL"].unit.score is None and by_code["YL"].unit.rank is None
    how = by_code["HW"].unit.explain().en
    assert "Mean inspection score 92.00 × 30/" in how and "Sign-for rate 100.00 × 10/" in how
    # SZ signed for five hours after the dispatch (the limit is 2 h): its sign-for rate is 0.
    (sz_sign_for,) = (t for t in by_code["SZ"].unit.terms if t.component is Component.SIGN_FOR)
    assert sz_sign_for.value == 0 and sz_sign_for.weight == 10
    (yl_sign_for,) = (t for t in by_code["YL"].unit.terms if t.component is Component.SIGN_FOR)
    assert yl_sign_for.value is None  # nothing to sign for: left out, not a zero
    # The objects of the year, ranked: S1 (mean 92, lowest 90, trend 90 − 94 = −4), then S2.
    s1, s2 = (o for o in data.objects if o.object_id in ("street_section:S1", "street_section:S2"))
    assert (s1.rank, s1.mean, s1.lowest, s1.trend) == (
        1,
        Decimal("92.00"),
        Decimal("90.00"),
        Decimal("-4.00"),
    )
    assert (s2.rank, s2.mean) == (2, Decimal("0.00"))

    # The year's settings may set the sign-for limit: at 8 hours, SZ's sign-for (7 h after the
    # dispatch) was on time. Settings written before it existed keep the 2 hours.
    eight_hours = {**settings_document(DEFAULT_SETTINGS), "sign_for_hours": 8}
    with store.write() as s:
        s.merge(SyncState(key="assessment:2026", value=json.dumps(eight_hours)))
    (sz_late,) = (
        t
        for t in year_assessment(store, 2026).units[1].unit.terms
        if t.component is Component.SIGN_FOR
    )
    assert year_assessment(store, 2026).units[1].code == "SZ" and sz_late.value == 100
    assert assessment_json(year_assessment(store, 2026))["sign_for_hours"] == 8
    old_document = settings_document(DEFAULT_SETTINGS)
    del old_document["sign_for_hours"]
    assert read_settings(old_document).sign_for_hours == 2
    with pytest.raises(DomainError, match="sign_for_hours"):
        read_settings({**old_document, "sign_for_hours": 0})
    with store.write() as s:
        s.delete(s.get(SyncState, "assessment:2026"))

    before = assessment_json(data)
    # Later data (the next year) never changes a past year's figures.
    inspect(store, datetime(2027, 1, 5, tzinfo=UTC), "S2", [], department="SZ")
    add_case_with_steps(store, [("submit", datetime(2027, 1, 6, tzinfo=UTC))])
    assert assessment_json(year_assessment(store, 2026)) == before
    assert json.dumps(before, ensure_ascii=False)  # the CLI's JSON is serialisable as is


def test_contractors_monthly_csv_with_payment_deduction(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "laptop")
    add_templates(store)
    with store.write() as s:
        for object_id, name in (
            ("C1", "洁城公司一标段"),
            ("C2", "洁城公司二标段"),
            ("C3", "未检查标段"),
        ):
            apply_inspection_object(s, {"kind": "contractor_area", "id": object_id, "name": name, "department_code": "HW", "active": True})  # fmt: skip
    may = datetime(2026, 5, 6, 3, tzinfo=UTC)
    inspect(store, may, "C1", ["B2", "B2"], kind="contractor_area")  # 90: full payment
    inspect(store, may, "C2", ["B2", "B2", "B2", "A1"], kind="contractor_area")  # 100 − 17 = 83
    inspect(
        store, may + timedelta(days=1), "C2", ["B2"] * 3 + ["A1"] * 4, kind="contractor_area"
    )  # 77
    inspect(store, may + timedelta(days=40), "C1", ["C1"], kind="contractor_area")  # June: not May
    rows = {r.object_id: r for r in contractor_month(store, 2026, 5)}
    assert (rows["C1"].mean, rows["C1"].deduction) == (Decimal("90.00"), Decimal(0))
    # C2: mean (83 + 77) / 2 = 80: (90 − 80) × 1 % = 10 % withheld; lowest 77.
    assert (rows["C2"].mean, rows["C2"].lowest, rows["C2"].deduction) == (
        Decimal("80.00"),
        Decimal("77.00"),
        Decimal("10.00"),
    )
    assert (rows["C3"].inspections, rows["C3"].deduction) == (0, None)
    june = {r.object_id: r for r in contractor_month(store, 2026, 6)}
    assert (june["C1"].mean, june["C1"].deduction) == (
        Decimal("0.00"),
        Decimal("30.00"),
    )  # at most 30 %
    out = write_contractor_csv(contractor_month(store, 2026, 5), tmp_path / "may.csv")
    lines = list(csv.reader(out.open(encoding="utf-8-sig")))
    assert lines[0] == [
        "object_id",
        "name",
        "inspections",
        "mean_percent",
        "lowest_percent",
        "deduction_percent",
    ]
    assert ["C2", "洁城公司二标段", "2", "80.00", "77.00", "10.00"] in lines
    # A market and a grid cell nobody has a checklist for are not listed as "never inspected".
    with store.write() as s:
        apply_inspection_object(s, {"kind": "market", "id": "M-1", "name": "东门市场", "department_code": None, "active": True})  # fmt: skip
        s.add(GridCell(code="360681017001001", street="滨江镇", rings=[], version=1))
    ranking = object_ranking(store, year_period(2026))
    assert [o.name for o in ranking if o.rank is None] == ["未检查标段"]
