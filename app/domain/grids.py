"""Grid cells (单元网格), responsibilities (定人定责) and frontage units (门前三包): pure rules.

A grid cell's code is 15 digits: county (GB/T 2260, 6) + street (3) + community (3) + cell (3),
so 360681017001001 is cell 001 of community 001 of street 017 of 贵溪市 (360681). The server
(``server.grids``) checks every cell of a loaded file with :func:`parse_grid_code`; the laptop
shows the parts beside a case. A responsibility names a cell's inspectors and, per category
class (the 大类, the first two digits of a 管理事项 code), the responsible department.

Everything here is shared by the server and the client (wire payloads included), so it
imports neither a database nor a geometry library.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from typing import TypedDict

from app.domain.errors import DomainError, Message

GRID_CODE_DIGITS = 15
#: A responsibility row for every category class (a department for anything in the cell).
ANY_CLASS = "*"


class GridSource(enum.StrEnum):
    """Where a case's grid code came from."""

    #: Looked up from the case's position in the cells the office loaded.
    AUTO = "auto"
    #: Typed in by the inspector (it differs from the cell of the position, or there is none).
    TYPED = "typed"
    #: The position is outside every cell (no code; allowed, and said so).
    OUTSIDE = "outside"


#: The ``event`` of a case feed entry that tells the author's laptop the cell the server looked
#: up for its case (it came without a grid code): only the place is taken from it.
CASE_PLACED_EVENT = "placed"


@dataclass(frozen=True, slots=True)
class GridCode:
    """A 15-digit grid code split into its parts."""

    code: str

    @property
    def county(self) -> str:
        return self.code[:6]

    @property
    def street(self) -> str:
        """The street's 9-digit prefix (county + street)."""
        return self.code[:9]

    @property
    def community(self) -> str:
        """The community's 12-digit prefix (county + street + community)."""
        return self.code[:12]

    @property
    def cell(self) -> str:
        return self.code[12:]


def grid_code_problem(code: str) -> Message | None:
    """Why ``code`` is no grid code (None: it is one)."""
    if len(code) != GRID_CODE_DIGITS or not code.isascii() or not code.isdigit():
        return Message(
            f"网格编码 {code!r} 不是 15 位数字（县 6 + 街道 3 + 社区 3 + 网格 3）",
            f"grid code {code!r} is not 15 digits (county 6 + street 3 + community 3 + cell 3)",
        )
    if code[:2] == "00" or code[2:6] == "0000":
        return Message(
            f"网格编码 {code} 的前 6 位不是县级行政区划代码",
            f"grid code {code}: the first 6 digits are no county code (GB/T 2260)",
        )
    if code[12:] == "000":
        return Message(
            f"网格编码 {code} 的网格号为 000", f"grid code {code}: the cell number is 000"
        )
    return None


def parse_grid_code(code: str) -> GridCode:
    """The parts of ``code``; DomainError (``bad_grid_code``) when it is no grid code."""
    code = code.strip()
    problem = grid_code_problem(code)
    if problem is not None:
        raise DomainError("bad_grid_code", problem)
    return GridCode(code)


def category_class(category_code: str | None) -> str | None:
    """The class (大类, two digits) of a 管理事项 code: 06 for 06010 暴露垃圾."""
    if not category_code or len(category_code) < 2 or not category_code[:2].isdigit():
        return None
    return category_code[:2]


def grid_entity_id(code: str) -> str:
    """The feed's entity id of a cell (a UUID derived from its code: the column holds 36)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"citypatrol:grid:{code}"))


def responsibility_entity_id(code: str) -> str:
    """The feed's entity id of a cell's responsibilities."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"citypatrol:responsibility:{code}"))


# -- wire payloads (the change feed carries them; app.domain.contract lists the kinds) ---------


class GridCellPayload(TypedDict):
    """A cell of the grid the server distributes, or its removal (``removed``).

    Compact: the outer ring (and holes) as flat ``[lon, lat, lon, lat …]`` lists rounded to
    1e-7° (about 1 cm); a reload sends only the cells whose code, names or shape changed.
    """

    code: str
    street: str
    community: str
    rings: list[list[float]]
    version: int
    removed: bool


class ResponsibilityPayload(TypedDict):
    """Who answers for a cell: its inspectors (user ids) and a department id per category
    class (``*``: any class). Both empty: the cell's responsibilities were removed."""

    grid_code: str
    inspectors: list[str]
    departments: dict[str, str]


class UnitPayload(TypedDict):
    """A 门前三包 responsibility unit and its frontage: a polygon (``rings``) or a point with a
    radius in metres (``lon``, ``lat``, ``radius_m``); ``removed`` once it is no longer one."""

    id: str
    name: str
    contact: str
    letter_no: str
    rings: list[list[float]]
    lon: float | None
    lat: float | None
    radius_m: float | None
    removed: bool
