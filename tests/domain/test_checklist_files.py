"""Checklist files in JSON or YAML (issue 18: "from a documented JSON or YAML format"), the
text length rule, and the most a section can deduct (the editor's preview)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from app.domain.checklists import (
    ChecklistError,
    load_template,
    load_template_file,
    read_document,
    section_max_deduction,
    template_json,
    template_yaml,
)

SAMPLE = Path(__file__).resolve().parents[2] / "resources" / "checklists" / "street-sanitation.json"

YAML = """\
code: market-hygiene
version: 3
object_kind: market
name: {zh: 农贸市场卫生检查, en: Market hygiene}
total: 20.5
sections:
  - code: A
    name: 地面
    items:
      - {code: A1, text: 地面有积水, points: 10.5, deduction: 0.5, cap: 2.25}
      - {code: A2, text: 焚烧垃圾, points: 10, veto: true}
"""


def test_a_yaml_file_reads_as_its_json_twin_exactly() -> None:
    template = load_template_file("market.yaml", YAML.encode())
    assert template.version == 3 and template.total == Decimal("20.5")
    (item, veto) = template.items()
    # Floats are read as their text: 0.5 and 2.25 exactly, never a binary float.
    assert (item.points, item.deduction, item.cap) == (
        Decimal("10.5"), Decimal("0.5"), Decimal("2.25"),
    )  # fmt: skip
    assert veto.veto and veto.cap == Decimal(10)
    assert load_template(template_json(template)) == template
    assert load_template_file("again.YML", template_yaml(template).encode()) == template
    sample = load_template_file(SAMPLE.name, SAMPLE.read_bytes())
    assert load_template(template_yaml(sample), yaml=True) == sample


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("bad.yaml", b"code: [unclosed", "not valid YAML"),
        ("bad.yml", b"!!python/object/apply:os.system ['true']", "not valid YAML"),
        ("bad.json", b"code: x", "not valid JSON"),
    ],
)
def test_damaged_files_are_refused_with_the_format_named(name: str, data: bytes, said: str) -> None:
    with pytest.raises(ChecklistError) as refused:
        read_document(name, data)
    assert [p.path for p in refused.value.problems] == ["$"]
    assert said in refused.value.problems[0].message.en


def test_a_yaml_list_or_a_too_long_name_is_a_problem() -> None:
    with pytest.raises(ChecklistError) as refused:
        load_template(b"- 1\n- 2\n", yaml=True)
    assert refused.value.problems[0].message.en == "a checklist must be an object"
    long = YAML.replace("name: 地面", "name: " + "长" * 201)
    with pytest.raises(ChecklistError) as refused:
        load_template(long, yaml=True)
    assert [p.path for p in refused.value.problems] == ["$.sections[0].name"]
    assert "at most 200 characters" in refused.value.problems[0].message.en


def test_the_most_a_section_deducts_leaves_veto_items_out() -> None:
    sample = load_template_file(SAMPLE.name, SAMPLE.read_bytes())
    # A: caps 10 + 10 + 5; B: 20 + 20 + 10; C: only a veto item (it zeroes the score instead).
    assert [section_max_deduction(s) for s in sample.sections] == [
        Decimal(25), Decimal(50), Decimal(0),
    ]  # fmt: skip
    market = load_template_file("m.yaml", YAML.encode())
    assert section_max_deduction(market.sections[0]) == Decimal("2.25")
