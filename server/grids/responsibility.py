"""定人定责: who answers for each grid cell — ``citypatrol-server responsibility …``.

A cell has responsible inspectors (定人) and, per category class (the 大类: the first two digits
of a 管理事项 code, ``*`` for any class), a responsible department (定责). The CSV of
``responsibility load`` (UTF-8, a header row) has the columns::

    grid_code,inspectors,category_class,department
    360681001001001,zhangsan;lisi,,
    360681001001001,,06,HWC
    360681001001001,,*,CGZF

``inspectors``: usernames of inspector accounts, separated by ``;``; ``category_class`` with
``department`` (a department code) give one class's department. A row may give both. A load
replaces every responsibility; a file with any bad row is refused whole, every reason given.
Each cell whose responsibilities changed is announced to the laptops (kind
``responsibility``: the cell's whole state, so applying it twice is harmless).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.domain.contract import FeedKind
from app.domain.errors import DomainError, Message
from app.domain.grids import ANY_CLASS, ResponsibilityPayload, grid_code_problem
from app.domain.grids import responsibility_entity_id as entity_id
from app.domain.lifecycle import Role
from server.feed import FeedItem, append_feed_entries
from server.grids.cells import FileRefusedError
from server.grids.models import GridCell, GridDepartment, GridInspector
from server.models import Department, User
from server.tracks.sites import follow_responsibilities

COLUMNS = ("grid_code", "inspectors", "category_class", "department")

State = dict[str, tuple[frozenset[str], dict[str, str]]]


def _current(session: Session) -> State:
    state: dict[str, tuple[set[str], dict[str, str]]] = {}
    for g in session.scalars(select(GridInspector)):
        state.setdefault(g.grid_code, (set(), {}))[0].add(g.user_id)
    for d in session.scalars(select(GridDepartment)):
        state.setdefault(d.grid_code, (set(), {}))[1][d.category_class] = d.department_id
    return {code: (frozenset(i), deps) for code, (i, deps) in state.items()}


def _payload(code: str, inspectors: frozenset[str], deps: dict[str, str]) -> ResponsibilityPayload:
    return {"grid_code": code, "inspectors": sorted(inspectors), "departments": dict(deps)}


def _write(session: Session, new: State) -> int:
    """Replace every responsibility with ``new``; announce the cells that changed."""
    old = _current(session)
    session.execute(delete(GridInspector))
    session.execute(delete(GridDepartment))
    session.flush()
    for code, (inspectors, deps) in new.items():
        session.add_all(GridInspector(grid_code=code, user_id=u) for u in inspectors)
        session.add_all(
            GridDepartment(grid_code=code, category_class=k, department_id=v)
            for k, v in deps.items()
        )
    session.flush()
    empty: tuple[frozenset[str], dict[str, str]] = (frozenset(), {})
    changed = sorted(c for c in set(old) | set(new) if old.get(c, empty) != new.get(c, empty))
    items = [
        FeedItem(FeedKind.RESPONSIBILITY, entity_id(code), _payload(code, *new.get(code, empty)))
        for code in changed
    ]
    append_feed_entries(session, items)
    # Key sites without an inspector of their own follow their cell's (定人定责).
    follow_responsibilities(session, set(changed))
    return len(items)


class ResponsibilityError(DomainError, ValueError):
    """A responsibility edit refused, nothing changed: ``code`` says which rule (the REST
    routes answer with it), the message says why in Chinese and English (the CLI prints it)."""


def _refused(code: str, zh: str, en: str) -> ResponsibilityError:
    return ResponsibilityError(code, Message(zh, en))


class _Lookup:
    """The cells, inspector accounts and departments an edit is checked against."""

    def __init__(self, session: Session) -> None:
        self.cells = set(session.scalars(select(GridCell.code)))
        self.inspectors = {
            u.username: u.id
            for u in session.scalars(select(User).where(User.role == Role.INSPECTOR.value))
        }
        self.departments = {d.code: d.id for d in session.scalars(select(Department))}

    def cell_problem(self, code: str) -> ResponsibilityError | None:
        problem = grid_code_problem(code)
        if problem is not None:
            return ResponsibilityError("bad_grid_code", problem)
        if code not in self.cells:
            return _refused(
                "unknown_cell",
                f"网格 {code} 不在已加载的网格中（请先加载网格）",
                f"cell {code} is not in the grid (load the grid first)",
            )
        return None

    def class_problem(self, value: str) -> ResponsibilityError | None:
        if value == ANY_CLASS or (len(value) == 2 and value.isascii() and value.isdigit()):
            return None
        return _refused(
            "bad_category_class",
            f"事项大类 {value!r} 既不是两位数字（如 06）也不是 *",
            f"category class {value!r} is neither two digits (06) nor *",
        )

    def department_problem(self, code: str) -> ResponsibilityError | None:
        if code in self.departments:
            return None
        return _refused(
            "unknown_department",
            f"没有编码为 {code!r} 的部门",
            f"no department has the code {code!r}",
        )

    def inspector_ids(self, names: list[str]) -> frozenset[str]:
        unknown = [n for n in names if n not in self.inspectors]
        if unknown:
            listed = ", ".join(unknown)
            raise _refused(
                "unknown_inspector",
                f"没有名为 {listed} 的监督员账号",
                f"no inspector account named {listed}",
            )
        return frozenset(self.inspectors[n] for n in names)


def load_responsibilities(session: Session, path: Path) -> int:
    """Replace every responsibility with those of the CSV ``path``; how many cells have one."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = [h.strip() for h in reader.fieldnames or []]
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path.name}: not a readable UTF-8 CSV file ({exc})") from exc
    if "grid_code" not in header:
        raise ValueError(f"{path.name}: the header needs the columns {', '.join(COLUMNS)}")
    look = _Lookup(session)
    errors: list[str] = []
    state: dict[str, tuple[set[str], dict[str, str]]] = {}
    for line, raw in enumerate(rows, start=2):
        row = {str(k).strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        code = row.get("grid_code", "")
        refused = look.cell_problem(code)
        if refused is not None:
            errors.append(f"line {line}: {refused.message.en}")
            continue
        inspectors, deps = state.setdefault(code, (set(), {}))
        for name in filter(None, (n.strip() for n in row.get("inspectors", "").split(";"))):
            if name not in look.inspectors:
                errors.append(f"line {line}: {name!r} is no inspector account")
            else:
                inspectors.add(look.inspectors[name])
        klass, department = row.get("category_class", ""), row.get("department", "")
        if not klass and not department:
            continue
        refused = look.class_problem(klass) or look.department_problem(department)
        if refused is not None:
            errors.append(f"line {line}: {refused.message.en}")
        elif klass in deps:
            errors.append(f"line {line}: class {klass} of cell {code} has a department already")
        else:
            deps[klass] = look.departments[department]
    if errors:
        raise FileRefusedError(path.name, errors)
    _write(session, {c: (frozenset(i), d) for c, (i, d) in state.items() if i or d})
    return sum(1 for i, d in state.values() if i or d)


def edit_responsibility(
    session: Session,
    grid_code: str,
    *,
    inspectors: list[str] | None = None,
    departments: dict[str, str] | None = None,
    replace_departments: bool = False,
) -> bool:
    """Edit one cell's responsibilities — the one path of ``responsibility set`` and of
    ``PUT /api/v1/responsibilities/{grid_code}``. ``inspectors`` (usernames) replace the cell's
    when given; ``departments`` (class → department code) are set over the cell's, or replace
    them all with ``replace_departments``. Every name and code is checked first
    (ResponsibilityError: nothing changed); a changed cell is announced (kind
    ``responsibility``). Whether anything changed."""
    look = _Lookup(session)
    if (refused := look.cell_problem(grid_code)) is not None:
        raise refused
    state = _current(session)
    current_inspectors, deps = state.get(grid_code, (frozenset(), {}))
    new_inspectors = current_inspectors if inspectors is None else look.inspector_ids(inspectors)
    new_deps = {} if replace_departments else dict(deps)
    for klass, department in (departments or {}).items():
        if (refused := look.class_problem(klass)) is not None:
            raise refused
        if (refused := look.department_problem(department)) is not None:
            raise refused
        new_deps[klass] = look.departments[department]
    if new_inspectors or new_deps:
        state[grid_code] = (new_inspectors, new_deps)
    else:
        state.pop(grid_code, None)
    return _write(session, state) > 0


def set_responsibility(
    session: Session,
    grid_code: str,
    *,
    inspectors: list[str] | None = None,
    category_class: str | None = None,
    department: str | None = None,
) -> None:
    """``responsibility set``: one cell's inspectors (``inspectors``: replaces them) and/or
    one class's department; the rest of the cell's responsibilities stay."""
    if (category_class is None) != (department is None):
        raise _refused(
            "class_without_department",
            "--class 与 --department 须同时给出",
            "--class and --department go together",
        )
    departments = {category_class: department} if category_class and department else None
    edit_responsibility(session, grid_code, inspectors=inspectors, departments=departments)


def remove_responsibility(session: Session, grid_code: str, category_class: str | None) -> None:
    """Remove a cell's responsibilities, or only the department of ``category_class`` (the
    CLI's ``responsibility remove`` and ``DELETE /api/v1/responsibilities/{grid_code}``)."""
    look = _Lookup(session)
    if (refused := look.cell_problem(grid_code)) is not None:
        raise refused
    state = _current(session)
    if grid_code not in state:
        raise _refused(
            "no_responsibility",
            f"网格 {grid_code} 没有责任设置",
            f"cell {grid_code} has no responsibilities",
        )
    if category_class is None:
        del state[grid_code]
    else:
        inspectors, deps = state[grid_code]
        if category_class not in deps:
            raise _refused(
                "no_responsibility",
                f"网格 {grid_code} 没有大类 {category_class} 的责任部门",
                f"cell {grid_code} has no department for class {category_class}",
            )
        rest = {k: v for k, v in deps.items() if k != category_class}
        if inspectors or rest:
            state[grid_code] = (inspectors, rest)
        else:
            del state[grid_code]
    _write(session, state)


@dataclass(frozen=True, slots=True)
class CellResponsibility:
    """A cell's responsibilities by name: inspectors' usernames, class → department code."""

    grid_code: str
    inspectors: list[str]
    departments: dict[str, str]


def responsibilities(session: Session, grid_code: str | None = None) -> list[CellResponsibility]:
    """Every cell's responsibilities (or one cell's: ResponsibilityError when it is no cell of
    the grid; an empty entry when nobody answers for it), by code."""
    if grid_code is not None and (refused := _Lookup(session).cell_problem(grid_code)):
        raise refused
    names = {r[0]: r[1] for r in session.execute(select(User.id, User.username))}
    codes = {r[0]: r[1] for r in session.execute(select(Department.id, Department.code))}
    state = _current(session)
    if grid_code is not None:
        state = {grid_code: state.get(grid_code, (frozenset(), {}))}
    return [
        CellResponsibility(
            code,
            sorted(names.get(u, u) for u in inspectors),
            {k: codes.get(v, v) for k, v in sorted(deps.items())},
        )
        for code, (inspectors, deps) in sorted(state.items())
    ]


def describe(session: Session) -> list[str]:
    """One line per cell: code, inspectors' usernames, class=department codes."""
    return [
        f"{r.grid_code}\t{';'.join(r.inspectors)}\t"
        + " ".join(f"{k}={v}" for k, v in r.departments.items())
        for r in responsibilities(session)
    ]
