"""Checklist templates for scored inspections (督导检查、市场化保洁考核).

A template is a versioned list of sections and items. Each item is worth ``points``; every
occurrence of the problem it describes deducts ``deduction`` points, at most ``cap`` for the
item (the item's points unless a lower cap is set); an item marked ``veto`` (一票否决) fails
the whole check — any occurrence makes the score 0. The template's total is the sum of its
items' points; a template that declares a ``total`` must add up to it.

The format (JSON; the README's "Checklist templates" section documents it)::

    {"code": "street-sanitation", "version": 1, "object_kind": "street_section",
     "name": {"zh": "道路保洁检查", "en": "Street sanitation"},
     "total": 100,
     "sections": [{"code": "A", "name": {"zh": "路面", "en": "Road surface"},
                   "items": [{"code": "A1", "text": {"zh": "…", "en": "…"},
                              "points": 10, "deduction": 2, "cap": 6, "veto": false}]}]}

Points are decimals (``0.5`` is common in county schemes), kept exact with
:class:`decimal.Decimal` so that recomputing a past year gives identical figures. Every rule
broken is reported with the path of the offending entry, in both languages, all at once.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.errors import DomainError, Message

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,35}$")
#: Points are whole or tenths/hundredths: a county scheme never deducts 0.001.
MAX_PLACES = 2
MAX_POINTS = Decimal(1000)
#: The longest name or item text (the server's column holds 200 characters).
MAX_TEXT = 200


class ObjectKind(enum.StrEnum):
    """What an inspection looks at: the objects of the grids issue and the contractors'
    areas of the 市场化保洁 contracts."""

    STREET_SECTION = "street_section"
    MARKET = "market"
    SCHOOL_SURROUNDINGS = "school_surroundings"
    CONTRACTOR_AREA = "contractor_area"
    UNIT = "unit"
    GRID_CELL = "grid_cell"
    DEPARTMENT = "department"


OBJECT_KIND_NAMES: dict[ObjectKind, Message] = {
    ObjectKind.STREET_SECTION: Message("道路路段", "Street section"),
    ObjectKind.MARKET: Message("农贸市场", "Market"),
    ObjectKind.SCHOOL_SURROUNDINGS: Message("校园周边", "School surroundings"),
    ObjectKind.CONTRACTOR_AREA: Message("保洁公司责任区", "Sanitation contractor's area"),
    ObjectKind.UNIT: Message("门前三包责任单位", "Frontage unit"),
    ObjectKind.GRID_CELL: Message("单元网格", "Grid cell"),
    ObjectKind.DEPARTMENT: Message("责任部门", "Department"),
}


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    code: str
    text: Message
    points: Decimal
    deduction: Decimal
    cap: Decimal
    veto: bool = False


@dataclass(frozen=True, slots=True)
class ChecklistSection:
    code: str
    name: Message
    items: tuple[ChecklistItem, ...]


@dataclass(frozen=True, slots=True)
class ChecklistTemplate:
    code: str
    version: int
    name: Message
    object_kind: ObjectKind
    sections: tuple[ChecklistSection, ...]

    @property
    def total(self) -> Decimal:
        return sum((item.points for item in self.items()), Decimal(0))

    def items(self) -> list[ChecklistItem]:
        return [item for section in self.sections for item in section.items]

    def item(self, code: str) -> ChecklistItem:
        for item in self.items():
            if item.code == code:
                return item
        raise ChecklistError(
            [
                Problem(
                    code,
                    Message(f"检查表中没有检查项 {code}", f"the checklist has no item {code}"),
                )
            ]
        )


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule: where (``sections[0].items[2].cap``) and why."""

    path: str
    message: Message


class ChecklistError(DomainError):
    """A template that breaks the format's rules; ``problems`` lists every one of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        summary = Message(
            "检查表无效：" + "；".join(f"{p.path}：{p.message.zh}" for p in problems),
            "Invalid checklist: " + "; ".join(f"{p.path}: {p.message.en}" for p in problems),
        )
        super().__init__("invalid_checklist", summary)


class _Reader:
    """Reads one template, collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, zh: str, en: str) -> None:
        self.problems.append(Problem(path, Message(zh, en)))

    def code(self, raw: Mapping[str, Any], path: str) -> str:
        value = raw.get("code")
        if not isinstance(value, str) or not CODE_PATTERN.match(value):
            self.fail(
                f"{path}.code",
                "代码须为 1–36 位字母、数字、点、下划线或连字符",
                "a code is 1–36 letters, digits, dots, underscores or hyphens",
            )
            return str(value)
        return value

    def message(self, raw: Mapping[str, Any], key: str, path: str) -> Message:
        text = self._message(raw, key, path)
        if max(len(text.zh), len(text.en)) > MAX_TEXT:
            self.fail(f"{path}.{key}", f"文字最长 {MAX_TEXT} 字", f"at most {MAX_TEXT} characters")
        return text

    def _message(self, raw: Mapping[str, Any], key: str, path: str) -> Message:
        value = raw.get(key)
        if isinstance(value, str) and value.strip():
            return Message(value.strip(), value.strip())
        if isinstance(value, Mapping) and isinstance(value.get("zh"), str) and value["zh"].strip():
            zh = value["zh"].strip()
            en = value.get("en")
            return Message(zh, en.strip() if isinstance(en, str) and en.strip() else zh)
        self.fail(
            f"{path}.{key}",
            '缺少名称（文字或 {"zh": …, "en": …}）',
            'missing text (a string or {"zh": …, "en": …})',
        )
        return Message("", "")

    def points(
        self, raw: Mapping[str, Any], key: str, path: str, *, default: Decimal | None = None
    ) -> Decimal:
        value = raw.get(key)
        if value is None and default is not None:
            return default
        try:
            if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
                raise InvalidOperation
            number = Decimal(str(value))
        except InvalidOperation:
            self.fail(f"{path}.{key}", "须为数字", "must be a number")
            return Decimal(0)
        exponent = number.as_tuple().exponent
        if not number.is_finite() or number <= 0 or number > MAX_POINTS:
            self.fail(
                f"{path}.{key}", "须为 0 到 1000 之间的正数", "must be above 0 and at most 1000"
            )
        elif isinstance(exponent, int) and exponent < -MAX_PLACES:
            self.fail(f"{path}.{key}", "最多两位小数", "at most two decimal places")
        return number

    def item(self, raw: Any, path: str) -> ChecklistItem | None:
        if not isinstance(raw, Mapping):
            self.fail(path, "检查项须为对象", "an item must be an object")
            return None
        code = self.code(raw, path)
        text = self.message(raw, "text", path)
        points = self.points(raw, "points", path)
        deduction = self.points(raw, "deduction", path, default=points)
        cap = self.points(raw, "cap", path, default=points)
        veto = raw.get("veto", False)
        if not isinstance(veto, bool):
            self.fail(f"{path}.veto", "须为 true 或 false", "must be true or false")
            veto = False
        if deduction > points:
            self.fail(
                f"{path}.deduction",
                f"每处扣分 {deduction} 超过该项分值 {points}",
                f"the deduction per occurrence {deduction} exceeds the item's points {points}",
            )
        if cap > points:
            self.fail(
                f"{path}.cap",
                f"扣分上限 {cap} 超过该项分值 {points}",
                f"the cap {cap} exceeds the item's points {points}",
            )
        return ChecklistItem(code, text, points, deduction, cap, veto)

    def section(self, raw: Any, path: str) -> ChecklistSection | None:
        if not isinstance(raw, Mapping):
            self.fail(path, "分组须为对象", "a section must be an object")
            return None
        code = self.code(raw, path)
        name = self.message(raw, "name", path)
        items_raw = raw.get("items")
        if not isinstance(items_raw, list) or not items_raw:
            self.fail(
                f"{path}.items", "分组至少要有一个检查项", "a section needs at least one item"
            )
            return ChecklistSection(code, name, ())
        items = [self.item(item, f"{path}.items[{i}]") for i, item in enumerate(items_raw)]
        return ChecklistSection(code, name, tuple(i for i in items if i is not None))


def parse_template(raw: Any) -> ChecklistTemplate:
    """The template described by ``raw`` (a decoded JSON object), or :class:`ChecklistError`
    listing every rule it breaks."""
    reader = _Reader()
    if not isinstance(raw, Mapping):
        raise ChecklistError(
            [Problem("$", Message("检查表须为对象", "a checklist must be an object"))]
        )
    code = reader.code(raw, "$")
    name = reader.message(raw, "name", "$")
    version = raw.get("version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        reader.fail("$.version", "版本须为正整数", "the version must be a positive whole number")
        version = 1
    try:
        kind = ObjectKind(str(raw.get("object_kind")))
    except ValueError:
        reader.fail(
            "$.object_kind",
            "检查对象类型须为 " + "、".join(ObjectKind),
            "the object kind must be one of " + ", ".join(ObjectKind),
        )
        kind = ObjectKind.STREET_SECTION
    sections_raw = raw.get("sections")
    sections: list[ChecklistSection] = []
    if not isinstance(sections_raw, list) or not sections_raw:
        reader.fail(
            "$.sections", "检查表至少要有一个分组", "a checklist needs at least one section"
        )
    else:
        for i, section in enumerate(sections_raw):
            parsed = reader.section(section, f"$.sections[{i}]")
            if parsed is not None:
                sections.append(parsed)
    template = ChecklistTemplate(code, version, name, kind, tuple(sections))
    _check_unique(reader, [s.code for s in sections], "$.sections", "分组")
    _check_unique(reader, [i.code for i in template.items()], "$.sections[*].items", "检查项")
    if "total" in raw and not reader.problems:
        declared = reader.points(raw, "total", "$")
        if declared != template.total:
            reader.fail(
                "$.total",
                f"总分 {declared} 与各项分值之和 {template.total} 不符",
                f"the total {declared} is not the sum of the items' points {template.total}",
            )
    if reader.problems:
        raise ChecklistError(reader.problems)
    return template


def _check_unique(reader: _Reader, codes: Sequence[str], path: str, what: str) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            reader.fail(path, f"{what}代码 {code} 重复", f"the code {code} appears twice")
        seen.add(code)


#: File names read as YAML (everything else is JSON).
YAML_SUFFIXES = frozenset({".yaml", ".yml"})


def load_template(text: str | bytes, *, yaml: bool = False) -> ChecklistTemplate:
    """A template from its JSON text (a file an admin loads), or its YAML text with ``yaml``
    (the same document, written as YAML: PyYAML's safe loader, so no tags run code)."""
    return parse_template(_yaml_document(text) if yaml else _json_document(text))


def read_document(name: str, data: bytes) -> Any:
    """A file's decoded document, not yet checked (the editor shows a broken one with its
    problems): YAML when ``name`` ends in .yaml or .yml, else JSON. Raises
    :class:`ChecklistError` when it is neither."""
    suffix = name[name.rfind(".") :].lower() if "." in name else ""
    return _yaml_document(data) if suffix in YAML_SUFFIXES else _json_document(data)


def load_template_file(name: str, data: bytes) -> ChecklistTemplate:
    """A template from a file's bytes: YAML when ``name`` ends in .yaml or .yml, else JSON."""
    return parse_template(read_document(name, data))


def _json_document(text: str | bytes) -> Any:
    try:
        return json.loads(text, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ChecklistError(
            [Problem("$", Message(f"不是有效的 JSON：{exc}", f"not valid JSON: {exc}"))]
        ) from exc


def _yaml_document(text: str | bytes) -> Any:
    import yaml  # PyYAML: only when a YAML file is read

    try:
        # Floats as their text, so 0.5 stays exactly 0.5 (as json's parse_float=Decimal).
        return yaml.load(text, Loader=_decimal_loader(yaml))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ChecklistError(
            [Problem("$", Message(f"不是有效的 YAML：{exc}", f"not valid YAML: {exc}"))]
        ) from exc


def _decimal_loader(yaml: Any) -> Any:
    class Loader(yaml.SafeLoader):  # type: ignore[misc]
        pass

    def decimal(loader: Any, node: Any) -> Decimal | str:
        text = loader.construct_scalar(node)
        try:
            return Decimal(text.replace("_", ""))
        except InvalidOperation:
            return str(text)  # .inf, .nan: refused as "must be a number" by the reader

    Loader.add_constructor("tag:yaml.org,2002:float", decimal)
    return Loader


def template_yaml(template: ChecklistTemplate) -> str:
    """The template as YAML (what "Save to file…" writes for a .yaml name)."""
    import yaml

    return str(
        yaml.safe_dump(template_document(template), allow_unicode=True, sort_keys=False, width=100)
    )


def template_json(template: ChecklistTemplate) -> str:
    """The template as indented JSON (the file format; points as strings, read back exactly)."""
    return json.dumps(template_document(template), ensure_ascii=False, indent=2) + "\n"


def section_max_deduction(section: ChecklistSection) -> Decimal:
    """The most one inspection can deduct in ``section`` without a veto: the sum of its items'
    caps (a veto item's occurrence makes the whole score 0 instead)."""
    return sum((item.cap for item in section.items if not item.veto), Decimal(0))


def template_document(template: ChecklistTemplate) -> dict[str, Any]:
    """The template as the JSON object :func:`parse_template` reads (points as strings so no
    float ever rounds them) — how it travels in the feed and is stored."""

    def message(m: Message) -> dict[str, str]:
        return {"zh": m.zh, "en": m.en}

    return {
        "code": template.code,
        "version": template.version,
        "name": message(template.name),
        "object_kind": str(template.object_kind),
        "total": str(template.total),
        "sections": [
            {
                "code": section.code,
                "name": message(section.name),
                "items": [
                    {
                        "code": item.code,
                        "text": message(item.text),
                        "points": str(item.points),
                        "deduction": str(item.deduction),
                        "cap": str(item.cap),
                        "veto": item.veto,
                    }
                    for item in section.items
                ],
            }
            for section in template.sections
        ],
    }
