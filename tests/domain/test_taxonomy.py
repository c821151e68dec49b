"""The category taxonomy: the bundled GB/T 47678.5-2026 table and a city's own table."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from app.domain.taxonomy import (
    CategoryKind,
    Taxonomy,
    TaxonomyError,
    load_default_taxonomy,
)

SHARED_CSV = Path(__file__).resolve().parents[3] / "shared" / "data" / "taxonomy-gbt47678-5.csv"

HEADER = "standard,kind,major_code,major_name,major_name_en,code,name,name_en"
COMPONENT_ROW = (
    "GB/T 47678.5-2026,管理部件,01,市政公用设施,Municipal public utilities,01001,供水井盖,"
    "Water supply manhole cover"
)
MATTER_ROW = (
    "GB/T 47678.5-2026,管理事项,06,市容环境类,City appearance and environment,06010,暴露垃圾,"
    "Exposed garbage"
)
CJK = re.compile(r"[\u4e00-\u9fff]")


def write_table(path: Path, *lines: str, newline: str = "\n") -> Path:
    path.write_text(newline.join(lines) + newline, encoding="utf-8")
    return path


def assert_names_file_and_line(error: TaxonomyError, path: Path, line: int) -> None:
    assert error.code == "bad_taxonomy"
    assert error.line == line
    where = re.compile(rf"{re.escape(path.name)}:{line}(?!\d)")
    for language in ("zh_CN", "en"):
        text = error.text(language)
        assert where.search(text), f"{language} message does not name {path.name}:{line}: {text!r}"
    assert CJK.search(error.text("zh_CN")), error.text("zh_CN")


# --- the bundled table -----------------------------------------------------------------------


def test_bundled_table_has_153_components_and_250_matters() -> None:
    taxonomy = load_default_taxonomy()

    assert len(taxonomy.components) == 153
    assert len(taxonomy.matters) == 250
    assert len(taxonomy) == 403


def test_bundled_table_gives_every_category_a_chinese_and_an_english_name() -> None:
    for category in load_default_taxonomy():
        assert category.name.strip(), category
        assert category.name_en.strip(), category
        assert category.major_name.strip(), category
        assert category.major_name_en.strip(), category
        assert CJK.search(category.name), category
        assert category.display_name("zh_CN") == category.name
        assert category.display_name("en") == category.name_en


def test_bundled_table_is_the_gbt_47678_5_2026_standard_with_five_digit_codes() -> None:
    for category in load_default_taxonomy():
        assert category.standard == "GB/T 47678.5-2026"
        assert re.fullmatch(r"\d{5}", category.code), category
        assert category.code.startswith(category.major_code), category


def test_bundled_table_is_loaded_once_per_process() -> None:
    assert load_default_taxonomy() is load_default_taxonomy()


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("06010", "暴露垃圾"),
        ("01037", "路灯异常"),
        ("09006", "占道经营"),
        ("09009", "机动车乱停放"),
        ("01001", "供水井盖异常"),
    ],
)
def test_known_matter_codes_are_case_categories_with_their_chinese_name(
    code: str, name: str
) -> None:
    taxonomy = load_default_taxonomy()

    matter = taxonomy.matter(code)

    assert matter is not None
    assert matter.kind is CategoryKind.MATTER
    assert matter.name == name
    assert taxonomy.is_case_category(code)


def test_known_component_code_describes_a_city_asset() -> None:
    taxonomy = load_default_taxonomy()

    component = taxonomy.component("01001")

    assert component is not None
    assert component.kind is CategoryKind.COMPONENT
    assert component.name == "供水井盖"
    assert component.major_code == "01"


def test_matters_of_classes_01_to_05_are_the_faults_of_the_component_with_the_same_code() -> None:
    taxonomy = load_default_taxonomy()

    for component in taxonomy.components:
        matter = taxonomy.matter(component.code)
        assert matter is not None, component.code
        assert matter.major_code == component.major_code
        # 路灯 -> 路灯异常; the source writes 紧急报警点SOS -> 紧急报警点异常SOS.
        assert "异常" in matter.name
        assert matter.name.replace("异常", "") == component.name


def test_matter_only_codes_are_not_components() -> None:
    taxonomy = load_default_taxonomy()

    assert taxonomy.component("06010") is None
    assert taxonomy.component("09009") is None


@pytest.mark.parametrize(
    "code",
    ["01016", "05001", "05004", "05005", "05006", "05007", "05008", "06031", "07005", "09007"],
)
def test_codes_missing_from_the_source_transcription_are_absent(code: str) -> None:
    taxonomy = load_default_taxonomy()

    assert taxonomy.matter(code) is None
    assert taxonomy.component(code) is None
    assert not taxonomy.is_case_category(code)


def test_major_classes_of_matters_run_from_01_to_10_in_table_order() -> None:
    classes = load_default_taxonomy().major_classes()

    assert [code for code, _, _ in classes] == [f"{n:02d}" for n in range(1, 11)]
    assert ("06", "市容环境类", "City appearance and environment") in classes
    assert all(zh and en for _, zh, en in classes)


def test_major_classes_of_components_run_from_01_to_05() -> None:
    classes = load_default_taxonomy().major_classes(CategoryKind.COMPONENT)

    assert [code for code, _, _ in classes] == ["01", "02", "03", "04", "05"]


def test_bundled_table_agrees_row_for_row_with_the_shared_reference_data() -> None:
    if not SHARED_CSV.is_file():
        pytest.skip(f"shared reference data not found at {SHARED_CSV} (a checkout outside CI)")
    with SHARED_CSV.open(encoding="utf-8-sig", newline="") as handle:
        reference = [
            (
                row["code"],
                row["name"],
                row["kind"],
                row["major_code"],
                row["major_name"],
                row["standard"],
            )
            for row in csv.DictReader(handle)
        ]

    bundled = [
        (c.code, c.name, c.kind.value, c.major_code, c.major_name, c.standard)
        for c in load_default_taxonomy()
    ]

    assert len(reference) == 403
    assert len(bundled) == len(reference)
    for line, (ours, theirs) in enumerate(zip(bundled, reference, strict=True), start=2):
        assert ours == theirs, f"line {line} of {SHARED_CSV.name}"


# --- a city's own table ----------------------------------------------------------------------


def test_a_city_replacement_table_loads_from_a_file(tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "shenzhen.csv",
        HEADER,
        COMPONENT_ROW,
        MATTER_ROW,
        "SZ-2025,管理事项,10,其他事项类,Other matters,10001,共享单车乱停放,Shared bikes parked illegally",
    )

    taxonomy = Taxonomy.from_csv(path)

    assert len(taxonomy) == 3
    assert taxonomy.source == str(path)
    assert [c.code for c in taxonomy.matters] == ["06010", "10001"]
    assert [c.code for c in taxonomy.components] == ["01001"]
    bikes = taxonomy.matter("10001")
    assert bikes is not None
    assert bikes.standard == "SZ-2025"
    assert bikes.name == "共享单车乱停放"
    assert bikes.display_name("en") == "Shared bikes parked illegally"
    assert taxonomy.is_case_category("10001")
    assert not taxonomy.is_case_category("01001")


def test_a_city_table_saved_by_excel_with_bom_crlf_and_blank_lines_loads(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    content = "\r\n".join([HEADER, COMPONENT_ROW, "", MATTER_ROW, ""]) + "\r\n"
    path.write_bytes(content.encode("utf-8-sig"))

    taxonomy = Taxonomy.from_csv(path)

    assert [c.code for c in taxonomy] == ["01001", "06010"]
    assert taxonomy.matter("06010") is not None
    assert taxonomy.matter("06010").name_en == "Exposed garbage"  # type: ignore[union-attr]


def test_a_city_table_may_order_columns_freely_and_carry_extra_columns(tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "reordered.csv",
        "code,name,name_en,kind,standard,major_code,major_name,major_name_en,note",
        "06010,暴露垃圾,Exposed garbage,管理事项,GB/T 47678.5-2026,06,市容环境类,City appearance,常见",
    )

    matter = Taxonomy.from_csv(path).matter("06010")

    assert matter is not None
    assert (matter.code, matter.name, matter.major_code) == ("06010", "暴露垃圾", "06")


def test_cells_are_trimmed_of_surrounding_spaces(tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "spaces.csv",
        " standard , kind ,major_code,major_name,major_name_en,code,name,name_en",
        "GB/T 47678.5-2026, 管理事项 , 06 ,市容环境类,City appearance, 06010 , 暴露垃圾 ,Exposed garbage",
    )

    matter = Taxonomy.from_csv(path).matter("06010")

    assert matter is not None
    assert matter.name == "暴露垃圾"
    assert matter.kind is CategoryKind.MATTER


def test_the_same_code_may_be_both_a_component_and_a_matter(tmp_path: Path) -> None:
    path = write_table(
        tmp_path / "both.csv",
        HEADER,
        COMPONENT_ROW,
        "GB/T 47678.5-2026,管理事项,01,市政公用设施类,Municipal public utilities,01001,供水井盖异常,"
        "Water supply manhole cover fault",
    )

    taxonomy = Taxonomy.from_csv(path)

    assert taxonomy.component("01001") is not None
    assert taxonomy.matter("01001") is not None


# --- malformed tables ------------------------------------------------------------------------


MALFORMED = {
    # case id: (lines of the file, line to be named, a fragment of the English reason)
    "header_missing_a_column": (
        [
            "standard,kind,major_code,major_name,major_name_en,name,name_en",
            ",".join(p for i, p in enumerate(MATTER_ROW.split(",")) if i != 5),
        ],
        1,
        "code",
    ),
    "row_with_too_few_columns": (
        [HEADER, COMPONENT_ROW, MATTER_ROW.rsplit(",", 1)[0]],
        3,
        "7",
    ),
    "row_with_too_many_columns": (
        [HEADER, MATTER_ROW + ",extra"],
        2,
        "9",
    ),
    "unknown_kind": (
        [HEADER, COMPONENT_ROW, MATTER_ROW.replace("管理事项", "事件")],
        3,
        "事件",
    ),
    "four_digit_code": (
        [HEADER, MATTER_ROW.replace("06010", "0601")],
        2,
        "0601",
    ),
    "code_not_starting_with_its_major_code": (
        [HEADER, COMPONENT_ROW, MATTER_ROW.replace("06010", "07010")],
        3,
        "07010",
    ),
    "one_digit_major_code": (
        [HEADER, MATTER_ROW.replace(",06,", ",6,")],
        2,
        "major_code",
    ),
    "duplicate_code_of_one_kind": (
        [HEADER, MATTER_ROW, COMPONENT_ROW, MATTER_ROW.replace("暴露垃圾", "垃圾")],
        4,
        "06010",
    ),
    "empty_name": (
        [HEADER, COMPONENT_ROW, MATTER_ROW.replace("暴露垃圾", "")],
        3,
        "'name'",
    ),
    "whitespace_only_english_name": (
        [HEADER, MATTER_ROW.replace("Exposed garbage", "   ")],
        2,
        "name_en",
    ),
    "bad_row_after_a_blank_line_keeps_its_physical_line_number": (
        [HEADER, COMPONENT_ROW, "", MATTER_ROW.replace("06010", "6010x")],
        4,
        "6010x",
    ),
}


@pytest.mark.parametrize(("lines", "line", "reason"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_table_is_refused_naming_the_file_and_the_line(
    tmp_path: Path, lines: list[str], line: int, reason: str
) -> None:
    path = write_table(tmp_path / "city.csv", *lines)

    with pytest.raises(TaxonomyError) as caught:
        Taxonomy.from_csv(path)

    assert_names_file_and_line(caught.value, path, line)
    assert reason in caught.value.text("en")


def test_a_chinese_only_table_loads_with_chinese_names_as_english_fallback() -> None:
    if not SHARED_CSV.is_file():
        pytest.skip(f"shared reference data not found at {SHARED_CSV} (a checkout outside CI)")

    taxonomy = Taxonomy.from_csv(SHARED_CSV)

    assert len(taxonomy.matters) == 250 and len(taxonomy.components) == 153
    matter = taxonomy.matter("06010")
    assert matter is not None and matter.name_en == matter.name == "暴露垃圾"
    assert matter.major_name_en == matter.major_name


def test_empty_file_is_refused_at_line_1(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    with pytest.raises(TaxonomyError) as caught:
        Taxonomy.from_csv(path)

    assert_names_file_and_line(caught.value, path, 1)
    assert "empty" in caught.value.text("en")


def test_table_with_a_header_but_no_rows_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = write_table(tmp_path / "header-only.csv", HEADER, "")

    with pytest.raises(TaxonomyError) as caught:
        Taxonomy.from_csv(path)

    for language in ("zh_CN", "en"):
        assert path.name in caught.value.text(language)


def test_missing_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    # A file that does not exist has no line to name: the file name is the whole "where".
    path = tmp_path / "no-such-table.csv"

    with pytest.raises(TaxonomyError) as caught:
        Taxonomy.from_csv(path)

    assert caught.value.code == "bad_taxonomy"
    assert caught.value.line is None
    assert caught.value.path == path
    for language in ("zh_CN", "en"):
        assert path.name in caught.value.text(language)
    assert CJK.search(caught.value.text("zh_CN"))


def _gbk_edited_table(tmp_path: Path) -> Path:
    """A UTF-8 table whose third line was re-saved in GBK (a common slip with Excel on Windows)."""
    path = tmp_path / "gbk.csv"
    path.write_bytes(
        (HEADER + "\n" + COMPONENT_ROW + "\n").encode("utf-8") + (MATTER_ROW + "\n").encode("gbk")
    )
    return path


def test_table_that_is_not_utf8_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = _gbk_edited_table(tmp_path)

    with pytest.raises(TaxonomyError) as caught:
        Taxonomy.from_csv(path)

    assert caught.value.code == "bad_taxonomy"
    assert "UTF-8" in caught.value.text("en")
    assert "UTF-8" in caught.value.text("zh_CN")
    for language in ("zh_CN", "en"):
        assert path.name in caught.value.text(language)


def test_table_that_is_not_utf8_is_refused_naming_the_line_of_the_bad_bytes(tmp_path: Path) -> None:
    path = _gbk_edited_table(tmp_path)

    with pytest.raises(TaxonomyError) as caught:
        Taxonomy.from_csv(path)

    assert_names_file_and_line(caught.value, path, 3)
