"""Scores of inspections on this laptop: per inspection, per object over a period (ranked),
contractors' monthly scores with the payment deduction, and the year-end assessment.

The arithmetic is :mod:`app.domain.scoring`'s; this module only gathers the figures. Which
inspections count:

* the scores report and the assessment: every finished inspection on this laptop (a
  supervisor's laptop receives them all), published or not;
* the bulletin (:func:`bulletin_section`): published ones only — a bulletin is read by the
  units, and an unannounced inspection reaches them only once published.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from app.domain.assessment import DEFAULT_SETTINGS, AssessmentSettings, read_settings
from app.domain.checklists import ObjectKind
from app.domain.deadlines import WorkingCalendar
from app.domain.errors import Message
from app.domain.indicators import Period
from app.domain.inspections import InspectionState
from app.domain.scoring import (
    AssessedUnit,
    ObjectScore,
    ScoredInspection,
    UnitFigures,
    assess,
    payment_deduction,
    summarise,
)
from app.storage.feed import ASSESSMENT_KEY
from app.storage.handling import loop_indicators
from app.storage.inspections import (
    InspectionView,
    checklist_templates,
    inspectable_objects,
    list_inspections,
)
from app.storage.models import Department, SyncState
from app.storage.reports import indicators

if TYPE_CHECKING:
    from app.storage.store import LocalStore

CENT = Decimal("0.01")


def object_key(kind: ObjectKind | str, object_id: str) -> str:
    return f"{kind}:{object_id}"


def scored(
    store: LocalStore, period: Period, *, published_only: bool = False
) -> list[InspectionView]:
    """The finished inspections of ``period`` (finished in it), oldest first."""
    found = [
        v
        for v in list_inspections(store, period.start, period.end)
        if v.state is not InspectionState.OPEN
        and (not published_only or v.state is InspectionState.PUBLISHED)
    ]
    return sorted(found, key=lambda v: (v.finished_at or v.started_at, v.id))


def object_ranking(
    store: LocalStore,
    period: Period,
    *,
    kind: ObjectKind | None = None,
    published_only: bool = False,
    views: list[InspectionView] | None = None,
) -> list[ObjectScore]:
    """Every object (of ``kind``) with its period figures, ranked; ``object_id`` is
    ``kind:id``. Objects never inspected are listed last, unranked — those of the kinds some
    checklist is made for, so the 736 cells of a grid nobody inspects do not bury the list."""
    views = scored(store, period, published_only=published_only) if views is None else views
    checked = {t.object_kind for t in checklist_templates(store)}
    names = {
        object_key(o.kind, o.id): o.name
        for o in inspectable_objects(store, kind)
        if o.kind in checked
    }
    chosen = [v for v in views if kind is None or v.object_kind is kind]
    for v in chosen:
        names.setdefault(object_key(v.object_kind, v.object_id), v.object_name)
    return summarise(
        (
            ScoredInspection(
                object_key(v.object_kind, v.object_id), v.finished_at or v.started_at, v.percent
            )
            for v in chosen
        ),
        names,
    )


# -- contractors' monthly scores -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ContractorMonth:
    object_id: str
    name: str
    inspections: int
    mean: Decimal | None
    lowest: Decimal | None
    #: The share of the month's payment withheld, in % (None: not inspected that month).
    deduction: Decimal | None


def month_period(year: int, month: int) -> Period:
    tz = WorkingCalendar().tz
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return Period(start, end)


def year_period(year: int) -> Period:
    tz = WorkingCalendar().tz
    return Period(datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz))


def contractor_month(store: LocalStore, year: int, month: int) -> list[ContractorMonth]:
    """Each sanitation contractor's area (市场化保洁): its month's mean score and the payment
    deduction the year's settings tie to it."""
    rule = assessment_settings(store, year).payment
    out = []
    for score in object_ranking(store, month_period(year, month), kind=ObjectKind.CONTRACTOR_AREA):
        deduction = (
            None
            if score.mean is None
            else payment_deduction(
                score.mean, full_at=rule.full_at, per_point=rule.per_point, most=rule.most
            )
        )
        out.append(
            ContractorMonth(
                score.object_id.split(":", 1)[1],
                score.name,
                score.inspections,
                score.mean,
                score.lowest,
                deduction,
            )
        )
    return out


def write_contractor_csv(rows: list[ContractorMonth], out: Path) -> Path:
    """The month's scores as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese)."""
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "object_id",
                "name",
                "inspections",
                "mean_percent",
                "lowest_percent",
                "deduction_percent",
            ]
        )
        for r in rows:
            writer.writerow(
                [
                    r.object_id,
                    r.name,
                    r.inspections,
                    "" if r.mean is None else str(r.mean),
                    "" if r.lowest is None else str(r.lowest),
                    "" if r.deduction is None else str(r.deduction),
                ]
            )
    return out


# -- the year-end assessment -----------------------------------------------------------------


def assessment_settings(store: LocalStore, year: int) -> AssessmentSettings:
    """The admin's settings for ``year`` (from the feed), else the documented defaults."""
    with store.read() as s:
        row = s.get(SyncState, f"{ASSESSMENT_KEY}:{year}")
        value = None if row is None else row.value
    return DEFAULT_SETTINGS if value is None else read_settings(json.loads(value))


@dataclass(frozen=True, slots=True)
class UnitLine:
    """One department's assessment with the inspections behind its inspection figure."""

    unit: AssessedUnit
    code: str
    inspections: int


@dataclass(frozen=True, slots=True)
class AssessmentData:
    year: int
    settings: AssessmentSettings
    units: list[UnitLine]
    objects: list[ObjectScore]

    def criticised(self) -> list[UnitLine]:
        return [u for u in self.units if u.unit.criticised]


def _mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(CENT, rounding=ROUND_HALF_UP)


def year_assessment(
    store: LocalStore,
    year: int,
) -> AssessmentData:
    """The year-end assessment of ``year``: every department's case indicators of the year
    (on-time, closure, rework), its sign-for timeliness (签收及时率, the departments' loop of
    issue 15, :func:`app.storage.handling.loop_indicators` with the year's sign-for limit)
    and the mean of its objects' inspection percentages, weighed by the year's settings,
    ranked, with 通报批评. A department without a figure (no case due to sign, no inspection)
    has that component left out and its other weights scaled up.

    Everything is taken as of the year's end, so a past year always gives the same figures."""
    period = year_period(year)
    settings = assessment_settings(store, year)
    figures = indicators(store, period, now=period.end)
    loop = loop_indicators(
        store, period, now=period.end, limit=timedelta(hours=settings.sign_for_hours)
    )
    views = scored(store, period)
    with store.read() as s:
        departments = [
            (d.id, d.code, d.name) for d in s.scalars(select(Department).order_by(Department.code))
        ]
    sign_for_rates = {
        code: loop.by_department[dep_id].sign_for_rate
        for dep_id, code, _name in departments
        if dep_id in loop.by_department
    }
    percents: dict[str, list[Decimal]] = {}
    for v in views:
        if v.department_code:
            percents.setdefault(v.department_code, []).append(v.percent)
    units = []
    counts_of: dict[str, int] = {}
    for dep_id, code, name in departments:
        counts = figures.by_department.get(dep_id)
        counts_of[code] = len(percents.get(code, []))
        units.append(
            UnitFigures(
                object_id=code,
                name=name,
                on_time_rate=counts.on_time_rate if counts else None,
                closure_rate=counts.closure_rate if counts else None,
                rework_rate=counts.rework_rate if counts else None,
                sign_for_rate=sign_for_rates.get(code),
                inspection_percent=_mean(percents.get(code, [])),
            )
        )
    assessed = assess(
        units,
        settings.weights,
        criticise_below=settings.criticise_below,
        criticise_last=settings.criticise_last,
    )
    lines = [UnitLine(u, u.object_id, counts_of.get(u.object_id, 0)) for u in assessed]
    return AssessmentData(year, settings, lines, object_ranking(store, period, views=views))


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def assessment_json(data: AssessmentData) -> dict[str, Any]:
    """The assessment as the CLI prints it (``--json``): figures as exact decimal strings."""
    return {
        "year": data.year,
        "weights": {str(c): w for c, w in data.settings.weights.values.items()},
        "criticise_below": _dec(data.settings.criticise_below),
        "criticise_last": data.settings.criticise_last,
        "sign_for_hours": data.settings.sign_for_hours,
        "units": [
            {
                "code": line.code,
                "name": line.unit.name,
                "rank": line.unit.rank,
                "score": _dec(line.unit.score),
                "criticised": line.unit.criticised,
                "inspections": line.inspections,
                "components": {
                    str(t.component): {
                        "value": _dec(None if t.value is None else t.value.quantize(CENT)),
                        "weight": t.weight,
                        "contribution": str(t.contribution.quantize(CENT, rounding=ROUND_HALF_UP)),
                    }
                    for t in line.unit.terms
                },
                "how": {"zh": line.unit.explain().zh, "en": line.unit.explain().en},
            }
            for line in data.units
        ],
        "criticised": [line.unit.name for line in data.criticised()],
        "objects": [object_json(o) for o in data.objects],
    }


def object_json(o: ObjectScore) -> dict[str, Any]:
    kind, object_id = o.object_id.split(":", 1)
    return {
        "kind": kind,
        "id": object_id,
        "name": o.name,
        "rank": o.rank,
        "inspections": o.inspections,
        "mean": _dec(o.mean),
        "lowest": _dec(o.lowest),
        "trend": _dec(o.trend),
    }


def inspection_json(v: InspectionView) -> dict[str, Any]:
    how = v.sheet.explain()
    return {
        "id": v.id,
        "finished_at": (v.finished_at or v.started_at).isoformat(),
        "object": {"kind": str(v.object_kind), "id": v.object_id, "name": v.object_name},
        "department_code": v.department_code,
        "mode": str(v.mode),
        "state": str(v.state),
        "template": {"code": v.template.code, "version": v.template.version},
        "total": str(v.sheet.total),
        "score": str(v.sheet.score),
        "percent": str(v.sheet.percent),
        "deductions": len(v.deductions),
        "how": {"zh": how.zh, "en": how.en},
    }


# -- the bulletin's section ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TypicalProblem:
    """A problem found by a published inspection, shown with its photo (曝光典型)."""

    object_name: str
    item: Message
    note: str
    percent: Decimal
    at: datetime
    photo: Path | None
    thumbnail: Path | None = None


@dataclass(frozen=True, slots=True)
class InspectionSection:
    """What the bulletin shows of the period's published inspections."""

    inspections: list[InspectionView]
    ranking: list[ObjectScore]
    best: list[ObjectScore]
    worst: list[ObjectScore]
    typical: list[TypicalProblem]


def bulletin_section(
    store: LocalStore, period: Period, *, podium: int = 3, typical: int = 3
) -> InspectionSection:
    views = scored(store, period, published_only=True)
    ranking = [o for o in object_ranking(store, period, views=views) if o.rank is not None]
    # As the departments' podium: up to ``podium`` each, half each (rounded down) when fewer
    # are ranked, so no object is both; one ranked alone is named at the top.
    n = 1 if len(ranking) == 1 else min(podium, len(ranking) // 2)
    best = ranking[:n]
    worst = list(reversed(ranking[-n:])) if len(ranking) > 1 and n else []
    problems: list[TypicalProblem] = []
    for v in sorted(views, key=lambda v: (v.percent, v.id)):
        for d in v.deductions:
            if d.photo_path is not None and len(problems) < typical:
                problems.append(
                    TypicalProblem(
                        v.object_name, d.item_text, d.note, v.percent, d.at, d.photo_path
                    )
                )
    return InspectionSection(views, ranking, best, worst, problems)
