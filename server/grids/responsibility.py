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
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.domain.contract import FeedKind
from app.domain.grids import ANY_CLASS, ResponsibilityPayload, grid_code_problem
from app.domain.grids import responsibility_entity_id as entity_id
from app.domain.lifecycle import Role
from server.feed import FeedItem, append_feed_entries
from server.grids.cells import FileRefusedError
from server.grids.models import GridCell, GridDepartment, GridInspector
from server.models import Department, User

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
    items = [
        FeedItem(FeedKind.RESPONSIBILITY, entity_id(code), _payload(code, *new.get(code, empty)))
        for code in sorted(set(old) | set(new))
        if old.get(code, empty) != new.get(code, empty)
    ]
    append_feed_entries(session, items)
    return len(items)


class _Lookup:
    def __init__(self, session: Session) -> None:
        self.cells = set(session.scalars(select(GridCell.code)))
        self.inspectors = {
            u.username: u.id
            for u in session.scalars(select(User).where(User.role == Role.INSPECTOR.value))
        }
        self.departments = {d.code: d.id for d in session.scalars(select(Department))}

    def cell(self, code: str) -> str | None:
        problem = grid_code_problem(code)
        if problem is not None:
            return problem.en
        if code not in self.cells:
            return f"cell {code} is not in the grid (load the grid first)"
        return None

    def klass(self, value: str) -> str | None:
        if value == ANY_CLASS or (len(value) == 2 and value.isascii() and value.isdigit()):
            return None
        return f"category class {value!r} is neither two digits (06) nor *"


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
        problem = look.cell(code)
        if problem is not None:
            errors.append(f"line {line}: {problem}")
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
        if (problem := look.klass(klass)) is not None:
            errors.append(f"line {line}: {problem}")
        elif department not in look.departments:
            errors.append(f"line {line}: no department has the code {department!r}")
        elif klass in deps:
            errors.append(f"line {line}: class {klass} of cell {code} has a department already")
        else:
            deps[klass] = look.departments[department]
    if errors:
        raise FileRefusedError(path.name, errors)
    _write(session, {c: (frozenset(i), d) for c, (i, d) in state.items() if i or d})
    return sum(1 for i, d in state.values() if i or d)


def set_responsibility(
    session: Session,
    grid_code: str,
    *,
    inspectors: list[str] | None = None,
    category_class: str | None = None,
    department: str | None = None,
) -> None:
    """Set one cell's inspectors (``inspectors``: replaces them) and/or one class's
    department; the rest of the cell's responsibilities stay."""
    look = _Lookup(session)
    if (problem := look.cell(grid_code)) is not None:
        raise ValueError(problem)
    state = _current(session)
    current_inspectors, deps = state.get(grid_code, (frozenset(), {}))
    deps = dict(deps)
    if inspectors is not None:
        unknown = [n for n in inspectors if n not in look.inspectors]
        if unknown:
            raise ValueError(f"no inspector account named {', '.join(unknown)}")
        current_inspectors = frozenset(look.inspectors[n] for n in inspectors)
    if (category_class is None) != (department is None):
        raise ValueError("--class and --department go together")
    if category_class is not None and department is not None:
        if (problem := look.klass(category_class)) is not None:
            raise ValueError(problem)
        if department not in look.departments:
            raise ValueError(f"no department has the code {department!r}")
        deps[category_class] = look.departments[department]
    state[grid_code] = (current_inspectors, deps)
    _write(session, state)


def remove_responsibility(session: Session, grid_code: str, category_class: str | None) -> None:
    """Remove a cell's responsibilities, or only the department of ``category_class``."""
    state = _current(session)
    if grid_code not in state:
        raise ValueError(f"cell {grid_code} has no responsibilities")
    if category_class is None:
        del state[grid_code]
    else:
        inspectors, deps = state[grid_code]
        if category_class not in deps:
            raise ValueError(f"cell {grid_code} has no department for class {category_class}")
        state[grid_code] = (inspectors, {k: v for k, v in deps.items() if k != category_class})
    _write(session, state)


def describe(session: Session) -> list[str]:
    """One line per cell: code, inspectors' usernames, class=department codes."""
    names = {r[0]: r[1] for r in session.execute(select(User.id, User.username))}
    codes = {r[0]: r[1] for r in session.execute(select(Department.id, Department.code))}
    return [
        f"{code}\t{';'.join(sorted(names.get(u, u) for u in inspectors))}\t"
        + " ".join(f"{k}={codes.get(v, v)}" for k, v in sorted(deps.items()))
        for code, (inspectors, deps) in sorted(_current(session).items())
    ]
