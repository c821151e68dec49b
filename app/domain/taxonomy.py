"""The category taxonomy: national-standard tables of city components and matters.

The table is data, not code: a CSV with the columns ``standard, kind, major_code, major_name,
major_name_en, code, name, name_en``. The default is GB/T 47678.5-2026 (153 管理部件
components, 250 管理事项 matters); a city may load its own file. A case is always
categorised by a *matter* code (管理事项); component codes describe city assets.
"""

from __future__ import annotations

import csv
import enum
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from app.domain.errors import DomainError, Message
from app.paths import resources_dir

COLUMNS = (
    "standard",
    "kind",
    "major_code",
    "major_name",
    "major_name_en",
    "code",
    "name",
    "name_en",
)
#: A city's own table may be Chinese only; English names then fall back to the Chinese ones.
OPTIONAL_COLUMNS = frozenset({"major_name_en", "name_en"})
DEFAULT_TAXONOMY_FILE = "taxonomy/gbt47678-5.csv"
_CODE = re.compile(r"\d{5}")
_MAJOR = re.compile(r"\d{2}")


class CategoryKind(enum.StrEnum):
    """The two directories of the standard."""

    COMPONENT = "管理部件"
    MATTER = "管理事项"


@dataclass(frozen=True, slots=True)
class Category:
    """One row of the taxonomy table."""

    standard: str
    kind: CategoryKind
    major_code: str
    major_name: str
    major_name_en: str
    code: str
    name: str
    name_en: str

    def display_name(self, language: str = "en") -> str:
        return self.name if language.lower().startswith("zh") else self.name_en


class TaxonomyError(DomainError):
    """A taxonomy file that cannot be used; the message names the file and the line."""

    def __init__(self, path: Path | str, line: int | None, zh: str, en: str) -> None:
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__("bad_taxonomy", Message(f"{where}：{zh}", f"{where}: {en}"))
        self.path = Path(path)
        self.line = line


class Taxonomy:
    """An immutable, indexed set of categories from one table."""

    def __init__(self, categories: Iterable[Category], source: str = "") -> None:
        self.source = source
        self._all: tuple[Category, ...] = tuple(categories)
        self._matters = {c.code: c for c in self._all if c.kind is CategoryKind.MATTER}
        self._components = {c.code: c for c in self._all if c.kind is CategoryKind.COMPONENT}

    def __len__(self) -> int:
        return len(self._all)

    def __iter__(self) -> Iterator[Category]:
        return iter(self._all)

    @property
    def matters(self) -> tuple[Category, ...]:
        return tuple(self._matters.values())

    @property
    def components(self) -> tuple[Category, ...]:
        return tuple(self._components.values())

    def matter(self, code: str) -> Category | None:
        """The matter (管理事项) with this code, the only kind a case may be filed under."""
        return self._matters.get(code)

    def component(self, code: str) -> Category | None:
        return self._components.get(code)

    def is_case_category(self, code: str) -> bool:
        return code in self._matters

    def major_classes(self, kind: CategoryKind = CategoryKind.MATTER) -> list[tuple[str, str, str]]:
        """``(major_code, major_name, major_name_en)`` of one directory, in table order."""
        seen: dict[str, tuple[str, str, str]] = {}
        for c in self._all:
            if c.kind is kind and c.major_code not in seen:
                seen[c.major_code] = (c.major_code, c.major_name, c.major_name_en)
        return list(seen.values())

    @classmethod
    def from_csv(cls, path: Path | str) -> Taxonomy:
        """Load and check a taxonomy table; any malformed row raises :class:`TaxonomyError`."""
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise TaxonomyError(
                path, None, f"无法读取：{exc.strerror}", f"cannot read: {exc.strerror}"
            ) from exc
        try:
            content = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise TaxonomyError(path, line, "不是 UTF-8 编码", "not UTF-8 encoded") from exc
        return cls(_parse(io.StringIO(content, newline=""), path), source=str(path))


def _parse(lines: Iterable[str], path: Path) -> list[Category]:
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise TaxonomyError(path, 1, "文件为空", "the file is empty")
    header = [h.strip() for h in header]
    missing = [c for c in COLUMNS if c not in header and c not in OPTIONAL_COLUMNS]
    if missing:
        raise TaxonomyError(
            path, 1, f"缺少列：{', '.join(missing)}", f"missing columns: {', '.join(missing)}"
        )
    index = {name: header.index(name) for name in COLUMNS if name in header}
    categories: list[Category] = []
    seen: set[tuple[str, str]] = set()
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise TaxonomyError(
                path,
                line,
                f"应有 {len(header)} 列，实有 {len(row)} 列",
                f"expected {len(header)} columns, found {len(row)}",
            )
        values = {name: row[i].strip() for name, i in index.items()}
        values.setdefault("major_name_en", values["major_name"])
        values.setdefault("name_en", values["name"])
        categories.append(_check_row(values, path, line, seen))
    if not categories:
        raise TaxonomyError(path, None, "没有任何类别", "the table has no categories")
    return categories


def _check_row(
    values: dict[str, str], path: Path, line: int, seen: set[tuple[str, str]]
) -> Category:
    for name in COLUMNS:
        if not values[name]:
            raise TaxonomyError(path, line, f"“{name}”为空", f"column '{name}' is empty")
    try:
        kind = CategoryKind(values["kind"])
    except ValueError:
        raise TaxonomyError(
            path,
            line,
            f"类型“{values['kind']}”应为 管理部件 或 管理事项",
            f"kind '{values['kind']}' must be 管理部件 or 管理事项",
        ) from None
    code, major = values["code"], values["major_code"]
    if not _MAJOR.fullmatch(major):
        raise TaxonomyError(
            path, line, f"大类代码“{major}”应为 2 位数字", f"major_code '{major}' must be 2 digits"
        )
    if not _CODE.fullmatch(code) or not code.startswith(major):
        raise TaxonomyError(
            path,
            line,
            f"代码“{code}”应为以大类代码 {major} 开头的 5 位数字",
            f"code '{code}' must be 5 digits starting with its major_code {major}",
        )
    key = (kind.value, code)
    if key in seen:
        raise TaxonomyError(
            path, line, f"代码 {code} 重复", f"duplicate code {code} for {kind.value}"
        )
    seen.add(key)
    return Category(
        standard=values["standard"],
        kind=kind,
        major_code=major,
        major_name=values["major_name"],
        major_name_en=values["major_name_en"],
        code=code,
        name=values["name"],
        name_en=values["name_en"],
    )


_default: Taxonomy | None = None


def load_default_taxonomy() -> Taxonomy:
    """The bundled GB/T 47678.5-2026 table, loaded once per process."""
    global _default  # noqa: PLW0603 - a process-wide cache of immutable data
    if _default is None:
        _default = Taxonomy.from_csv(resources_dir() / DEFAULT_TAXONOMY_FILE)
    return _default
