"""Scores of inspections, of the objects inspected over a period, and the year-end assessment.

The rules, each with a hand-computed fixture in ``tests/domain/test_scoring.py`` and written
out in the README ("Scores and the year-end assessment"):

* **One inspection**: an item's deduction is ``occurrences × deduction``, at most its ``cap``;
  the score is ``total − Σ deductions``, never below 0; one occurrence of a veto item
  (一票否决) makes it 0. The score is also given as a percentage of the template's total so
  templates of different totals compare.
* **An object over a period** (a unit, a contractor's area …): the mean and the lowest of its
  inspections' percentages, and the trend — the mean of its last month minus the mean of its
  first month (no trend with one month). Objects are ranked by mean, then lowest (both high
  first); equal objects share a rank ("1, 1, 3"); an object with no inspection is listed last,
  unranked.
* **The year-end assessment**: each unit's components (on-time, closure and sign-for rates,
  100 − rework rate, the mean inspection percentage), all on a 0–100 scale, weighted by the
  admin's weights; a component a unit has no figure for is left out and the other weights
  are scaled up to 100 (the explanation says so); a unit with no component at all is unranked.
  Those below the criticism threshold, or among the last N ranked, are listed for 通报批评.

Everything is :class:`~decimal.Decimal` with fixed rounding (half up, two places at the end
only), so recomputing a past year gives identical figures on any machine.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

from app.domain.checklists import ChecklistTemplate
from app.domain.errors import DomainError, Message

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class ItemLine:
    """One item's arithmetic: ``min(occurrences × deduction, cap)``."""

    code: str
    occurrences: int
    deduction: Decimal
    cap: Decimal
    raw: Decimal
    taken: Decimal
    veto: bool

    @property
    def capped(self) -> bool:
        return self.raw > self.taken


@dataclass(frozen=True, slots=True)
class ScoreSheet:
    """The score of one inspection with the arithmetic behind it."""

    total: Decimal
    lines: tuple[ItemLine, ...]
    vetoed_by: tuple[str, ...]

    @property
    def deducted(self) -> Decimal:
        return sum((line.taken for line in self.lines), Decimal(0))

    @property
    def score(self) -> Decimal:
        if self.vetoed_by:
            return Decimal(0)
        return max(Decimal(0), self.total - self.deducted)

    @property
    def percent(self) -> Decimal:
        """The score as a percentage of the template's total (rounded to 0.01)."""
        return _round(self.score * HUNDRED / self.total) if self.total else Decimal(0)

    def explain(self) -> Message:
        parts_zh: list[str] = []
        parts_en: list[str] = []
        for line in self.lines:
            if not line.occurrences:
                continue
            if line.veto:
                parts_zh.append(f"{line.code} 一票否决")
                parts_en.append(f"{line.code} veto")
                continue
            cap_zh = f"，封顶 {line.cap}" if line.capped else ""
            cap_en = f", capped at {line.cap}" if line.capped else ""
            parts_zh.append(
                f"{line.code}：{line.occurrences} 处 × {line.deduction}{cap_zh} = {line.taken}"
            )
            parts_en.append(
                f"{line.code}: {line.occurrences} × {line.deduction}{cap_en} = {line.taken}"
            )
        if self.vetoed_by:
            tail_zh = f"一票否决（{'、'.join(self.vetoed_by)}），得分 0"
            tail_en = f"vetoed by {', '.join(self.vetoed_by)}: score 0"
        else:
            tail_zh = f"{self.total} − {self.deducted} = {self.score}"
            tail_en = tail_zh
        return Message("；".join([*parts_zh, tail_zh]), "; ".join([*parts_en, tail_en]))


def score_inspection(template: ChecklistTemplate, occurrences: Mapping[str, int]) -> ScoreSheet:
    """Score an inspection that found ``occurrences[item_code]`` problems per item.

    An item code the template does not have, or a negative count, is refused (a deduction
    recorded against another version of the template must not silently count for nothing).
    """
    known = {item.code for item in template.items()}
    unknown = sorted(set(occurrences) - known)
    if unknown:
        raise DomainError(
            "unknown_checklist_item",
            Message(
                f"检查表 {template.code} 第 {template.version} 版没有检查项 {'、'.join(unknown)}",
                f"checklist {template.code} version {template.version} has no item "
                f"{', '.join(unknown)}",
            ),
        )
    if any(count < 0 for count in occurrences.values()):
        raise DomainError(
            "negative_occurrences",
            Message("问题处数不能为负", "a count of problems cannot be negative"),
        )
    lines = []
    for item in template.items():
        count = occurrences.get(item.code, 0)
        raw = item.deduction * count
        lines.append(
            ItemLine(item.code, count, item.deduction, item.cap, raw, min(raw, item.cap), item.veto)
        )
    vetoed = tuple(line.code for line in lines if line.veto and line.occurrences)
    return ScoreSheet(template.total, tuple(lines), vetoed)


@dataclass(frozen=True, slots=True)
class ScoredInspection:
    """What the period figures need of one inspection."""

    object_id: str
    at: datetime
    percent: Decimal


@dataclass(frozen=True, slots=True)
class ObjectScore:
    object_id: str
    name: str
    inspections: int
    mean: Decimal | None
    lowest: Decimal | None
    trend: Decimal | None
    rank: int | None = None


def summarise(
    inspections: Iterable[ScoredInspection], names: Mapping[str, str]
) -> list[ObjectScore]:
    """Every object of ``names`` (inspected or not) with its period figures, ranked."""
    by_object: dict[str, list[ScoredInspection]] = {object_id: [] for object_id in names}
    for inspection in inspections:
        by_object.setdefault(inspection.object_id, []).append(inspection)
    scores = [
        _object_score(object_id, names.get(object_id) or object_id, found)
        for object_id, found in by_object.items()
    ]
    order = ranked(
        scores,
        lambda s: None if s.mean is None else (s.mean, s.lowest or Decimal(0)),
        lambda s: (s.name, s.object_id),
    )
    return [replace(score, rank=number) for number, score in order]


def _object_score(object_id: str, name: str, found: Sequence[ScoredInspection]) -> ObjectScore:
    if not found:
        return ObjectScore(object_id, name, 0, None, None, None)
    percents = [i.percent for i in found]
    months: dict[tuple[int, int], list[Decimal]] = {}
    for inspection in sorted(found, key=lambda i: i.at):
        months.setdefault((inspection.at.year, inspection.at.month), []).append(inspection.percent)
    trend = None
    if len(months) > 1:
        keys = sorted(months)
        trend = _round(_mean(months[keys[-1]]) - _mean(months[keys[0]]))
    return ObjectScore(object_id, name, len(found), _round(_mean(percents)), min(percents), trend)


def _mean(values: Sequence[Decimal]) -> Decimal:
    return sum(values, Decimal(0)) / len(values)


T = TypeVar("T")


def ranked(
    entries: Iterable[T],
    merit: Callable[[T], tuple[Decimal, ...] | None],
    label: Callable[[T], tuple[str, str]],
) -> list[tuple[int | None, T]]:
    """``entries`` best first by ``merit`` (compared high first; ``None`` means unranked,
    listed last), each with its rank: equal merits share a rank ("1, 1, 3") and are listed
    by ``label`` (name, id) — the same tie rule as the department ranking."""
    scored = [(merit(entry), entry) for entry in entries]
    ordered = sorted(
        ((m, e) for m, e in scored if m is not None),
        key=lambda pair: (tuple(-x for x in pair[0] or ()), label(pair[1])),
    )
    out: list[tuple[int | None, T]] = []
    previous: tuple[Decimal, ...] | None = None
    for place, (m, entry) in enumerate(ordered, start=1):
        number = out[-1][0] if out and m == previous else place
        out.append((number, entry))
        previous = m
    unranked = sorted((e for m, e in scored if m is None), key=label)
    return out + [(None, e) for e in unranked]


def payment_deduction(
    percent: Decimal, *, full_at: Decimal, per_point: Decimal, most: Decimal
) -> Decimal:
    """The share of a 市场化保洁 contractor's monthly payment withheld (in %) for a monthly
    score of ``percent``: ``per_point`` % for every point below ``full_at``, at most ``most`` %.
    E.g. full payment at 90 or above, 1 % less per point below, at most 30 %."""
    if percent >= full_at:
        return Decimal(0)
    return _round(min(most, (full_at - percent) * per_point))


class Component(enum.StrEnum):
    """The figures the year-end assessment weighs, each on a 0–100 scale (higher is better)."""

    ON_TIME = "on_time"
    CLOSURE = "closure"
    REWORK = "rework"
    SIGN_FOR = "sign_for"
    INSPECTION = "inspection"


COMPONENT_NAMES: dict[Component, Message] = {
    Component.ON_TIME: Message("按期处置率", "On-time rate"),
    Component.CLOSURE: Message("结案率", "Closure rate"),
    Component.REWORK: Message("100 − 返工率", "100 − rework rate"),
    Component.SIGN_FOR: Message("签收及时率", "Sign-for rate"),
    Component.INSPECTION: Message("检查平均得分率", "Mean inspection score"),
}


@dataclass(frozen=True, slots=True)
class Weights:
    """An admin's weights, in whole percent, adding up to 100."""

    values: Mapping[Component, int]

    def __post_init__(self) -> None:
        if any(w < 0 for w in self.values.values()) or sum(self.values.values()) != 100:
            raise DomainError(
                "invalid_weights",
                Message(
                    f"权重须为非负整数且合计 100（现为 {sum(self.values.values())}）",
                    f"weights must be non-negative and add up to 100 "
                    f"(they add up to {sum(self.values.values())})",
                ),
            )


@dataclass(frozen=True, slots=True)
class UnitFigures:
    """One unit's (department's) raw figures for the year: rates as fractions 0–1 (as the
    indicators give them) and the mean inspection percentage 0–100; ``None`` = no figure."""

    object_id: str
    name: str
    on_time_rate: float | None = None
    closure_rate: float | None = None
    rework_rate: float | None = None
    sign_for_rate: float | None = None
    inspection_percent: Decimal | None = None

    def components(self) -> dict[Component, Decimal | None]:
        def points(rate: float | None) -> Decimal | None:
            # Rates come from whole counts; six places keep every such quotient exact enough
            # and make the result independent of the float's last bits.
            return None if rate is None else Decimal(str(round(rate, 6))) * HUNDRED

        rework = points(self.rework_rate)
        return {
            Component.ON_TIME: points(self.on_time_rate),
            Component.CLOSURE: points(self.closure_rate),
            Component.REWORK: None if rework is None else HUNDRED - rework,
            Component.SIGN_FOR: points(self.sign_for_rate),
            Component.INSPECTION: self.inspection_percent,
        }


@dataclass(frozen=True, slots=True)
class Term:
    """One component's part of a unit's score: ``value × weight / weights present``."""

    component: Component
    value: Decimal | None
    weight: int
    contribution: Decimal


@dataclass(frozen=True, slots=True)
class AssessedUnit:
    object_id: str
    name: str
    score: Decimal | None
    terms: tuple[Term, ...]
    rank: int | None = None
    criticised: bool = False

    def explain(self) -> Message:
        present = [t for t in self.terms if t.value is not None and t.weight]
        missing = [t for t in self.terms if t.value is None and t.weight]
        total = sum(t.weight for t in present)
        zh = " + ".join(
            f"{COMPONENT_NAMES[t.component].zh} {_round(t.value or Decimal(0))} × {t.weight}/{total}"
            for t in present
        )
        en = " + ".join(
            f"{COMPONENT_NAMES[t.component].en} {_round(t.value or Decimal(0))} × {t.weight}/{total}"
            for t in present
        )
        if self.score is None:
            return Message("无任何考核数据，不参与排名", "no figure at all: not ranked")
        zh += f" = {self.score}"
        en += f" = {self.score}"
        if missing:
            zh += (
                "（无数据不计："
                + "、".join(COMPONENT_NAMES[t.component].zh for t in missing)
                + "）"
            )
            en += (
                " (no figure, left out: "
                + ", ".join(COMPONENT_NAMES[t.component].en for t in missing)
                + ")"
            )
        return Message(zh, en)


def assess(
    units: Iterable[UnitFigures],
    weights: Weights,
    *,
    criticise_below: Decimal | None = None,
    criticise_last: int = 0,
) -> list[AssessedUnit]:
    """Every unit's weighted score, ranked; those below ``criticise_below`` or among the last
    ``criticise_last`` ranked are marked for 通报批评 (a unit sharing the last ranks with one
    criticised is criticised too: equal scores are treated equally)."""
    assessed = [_assess_one(unit, weights) for unit in units]
    order = ranked(
        assessed,
        lambda u: None if u.score is None else (u.score,),
        lambda u: (u.name, u.object_id),
    )
    ranked_units = [replace(unit, rank=number) for number, unit in order]
    scored = [u for u in ranked_units if u.score is not None]
    last_scores = (
        {u.score for u in scored[len(scored) - criticise_last :]} if criticise_last else set()
    )
    out = []
    for unit in ranked_units:
        criticised = unit.score is not None and (
            (criticise_below is not None and unit.score < criticise_below)
            or unit.score in last_scores
        )
        out.append(replace(unit, criticised=criticised))
    return out


def _assess_one(unit: UnitFigures, weights: Weights) -> AssessedUnit:
    components = unit.components()
    present = sum(
        weight for c, weight in weights.values.items() if weight and components[c] is not None
    )
    terms = []
    total = Decimal(0)
    for component in Component:
        weight = weights.values.get(component, 0)
        value = components[component]
        contribution = Decimal(0)
        if value is not None and weight and present:
            contribution = value * weight / present
            total += contribution
        terms.append(Term(component, value, weight, contribution))
    score = _round(total) if present else None
    return AssessedUnit(unit.object_id, unit.name, score, tuple(terms))
