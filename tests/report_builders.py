"""Build cases and their step logs directly in a real :class:`LocalStore`, for report tests.

The store's own API records one step per transition through the state machine; reports need
logs spread over weeks with chosen times, departments and deadlines, so these helpers insert
rows with SQLAlchemy Core (the schema is the real one: migrations have run). Each step's
``from_status``/``to_status``/``role`` follow :data:`app.domain.lifecycle.TRANSITIONS`, and
:func:`add_steps` leaves the case's status, department and deadline as its last steps set them.

Import as ``from report_builders import ...`` (``tests/`` is on ``sys.path``).

``bulk_generate`` writes many cases with realistic random logs quickly (``executemany`` in
one transaction), for the benchmark (``bench/reports.py``) and larger tests.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import insert, select, update

from app.domain.deadlines import WorkingCalendar, add_time
from app.domain.ids import new_id
from app.domain.lifecycle import TRANSITIONS, Action, CaseStatus, Role
from app.storage.models import CalendarDay, Case, CaseStep, Department, TimeLimit, User
from app.storage.store import LocalStore

DEFAULT_GRID = "420102001001001"
DEFAULT_CATEGORY = "06010"

#: A step as :func:`add_steps` takes it: ``(action, at)`` or ``(action, at, {column: value})``
#: with columns among department_id, deadline, actor_id, assignee_id, opinion.
StepSpec = tuple[str, datetime] | tuple[str, datetime, Mapping[str, Any]]


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored; attach a time zone")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _role_of(action: str) -> str:
    roles = TRANSITIONS[Action(action)].roles
    return Role.INSPECTOR.value if Role.INSPECTOR in roles else Role.SUPERVISOR.value


# -- reference data --------------------------------------------------------------------------


def add_user(
    store: LocalStore,
    username: str | None = None,
    *,
    display_name: str = "",
    role: str = "inspector",
    active: bool = True,
    user_id: str | None = None,
) -> str:
    user_id = user_id or new_id()
    with store.engine.begin() as conn:
        conn.execute(
            insert(User).values(
                id=user_id,
                username=username or f"user-{user_id[-12:]}",
                display_name=display_name,
                role=role,
                active=active,
            )
        )
    return user_id


def add_department(
    store: LocalStore,
    name: str,
    *,
    name_en: str = "",
    code: str | None = None,
    active: bool = True,
    department_id: str | None = None,
) -> str:
    department_id = department_id or new_id()
    with store.engine.begin() as conn:
        conn.execute(
            insert(Department).values(
                id=department_id,
                code=code or f"D-{department_id[-12:]}",
                name=name,
                name_en=name_en,
                active=active,
            )
        )
    return department_id


def add_calendar_day(store: LocalStore, day: date, working: bool, name: str = "") -> None:
    with store.engine.begin() as conn:
        conn.execute(insert(CalendarDay).values(day=day.isoformat(), working=working, name=name))


def add_time_limit(
    store: LocalStore, category_code: str | None, urgency: str | None, amount: int, unit: str
) -> str:
    rule_id = new_id()
    with store.engine.begin() as conn:
        conn.execute(
            insert(TimeLimit).values(
                id=rule_id, category_code=category_code, urgency=urgency, amount=amount, unit=unit
            )
        )
    return rule_id


# -- cases and steps -------------------------------------------------------------------------


def add_case(
    store: LocalStore,
    case_id: str | None = None,
    *,
    author_id: str | None = None,
    category_code: str | None = DEFAULT_CATEGORY,
    grid_code: str | None = DEFAULT_GRID,
    status: str = CaseStatus.DRAFT.value,
    urgency: str = "normal",
    created_at: datetime | None = None,
    description: str = "",
    address: str = "",
    department_id: str | None = None,
    deadline: datetime | None = None,
) -> str:
    """A case row (delivered: ``confirmed``); its steps come from :func:`add_steps`."""
    case_id = case_id or new_id()
    created = created_at or datetime(2027, 1, 1, tzinfo=UTC)
    with store.engine.begin() as conn:
        conn.execute(
            insert(Case).values(
                id=case_id,
                author_id=author_id,
                category_code=category_code,
                grid_code=grid_code,
                status=status,
                urgency=urgency,
                description=description,
                address=address,
                created_at=created,
                updated_at=created,
                department_id=department_id,
                deadline=deadline,
                revision=1,
                server_revision=1,
                delivery="confirmed",
            )
        )
    return case_id


def add_steps(store: LocalStore, case_id: str, steps: Iterable[StepSpec]) -> list[str]:
    """Append steps to a case's log (in the order given, which should be time order).

    ``from_status`` continues from the case's last step (``draft`` for the first); the case is
    left with the status of the last step, its first submit time, and the department and
    deadline of its last ``dispatch``/``rework``/``extend``. Returns the new step ids.
    """
    ids: list[str] = []
    with store.engine.begin() as conn:
        case = conn.execute(
            select(Case.status, Case.department_id, Case.deadline, Case.submitted_at).where(
                Case.id == case_id
            )
        ).one()
        last = conn.execute(
            select(CaseStep.to_status)
            .where(CaseStep.case_id == case_id)
            .order_by(CaseStep.at.desc(), CaseStep.id.desc())
            .limit(1)
        ).scalar()
        status = last or CaseStatus.DRAFT.value
        department_id, deadline, submitted_at = case.department_id, case.deadline, case.submitted_at
        rows = []
        for spec in steps:
            action, at = spec[0], spec[1]
            extra: Mapping[str, Any] = spec[2] if len(spec) == 3 else {}
            target = TRANSITIONS[Action(action)].target.value
            step_id = new_id()
            ids.append(step_id)
            rows.append(
                {
                    "id": step_id,
                    "case_id": case_id,
                    "action": action,
                    "from_status": status,
                    "to_status": target,
                    "actor_id": extra.get("actor_id"),
                    "role": extra.get("role") or _role_of(action),
                    "at": at,
                    "opinion": extra.get("opinion", ""),
                    "department_id": extra.get("department_id"),
                    "deadline": extra.get("deadline"),
                    "assignee_id": extra.get("assignee_id"),
                    "attachments": [],
                }
            )
            status = target
            if action == Action.SUBMIT and submitted_at is None:
                submitted_at = at
            if action in (Action.DISPATCH, Action.REWORK, Action.EXTEND):
                department_id = extra.get("department_id") or department_id
                deadline = extra.get("deadline") or deadline
        if rows:
            conn.execute(insert(CaseStep), rows)
            conn.execute(
                update(Case)
                .where(Case.id == case_id)
                .values(
                    status=status,
                    department_id=department_id,
                    deadline=deadline,
                    submitted_at=submitted_at,
                )
            )
    return ids


def add_case_with_steps(
    store: LocalStore, steps: Iterable[StepSpec], case_id: str | None = None, **case: Any
) -> str:
    """:func:`add_case` then :func:`add_steps`."""
    case_id = add_case(store, case_id, **case)
    add_steps(store, case_id, steps)
    return case_id


# -- bulk generation -------------------------------------------------------------------------

#: Common matters weighted heavily, as in a real city's log.
BULK_CATEGORIES = (
    ("06010", 30), ("09009", 20), ("09006", 15), ("01037", 10), ("01001", 8), ("06001", 6),
    ("09001", 5), ("01031", 3), ("02001", 2), ("06004", 1),
)  # fmt: skip
BULK_DEPARTMENTS = (
    ("环卫所", "Sanitation"), ("路灯所", "Street lighting"), ("城管执法大队", "Enforcement"),
    ("交警大队", "Traffic police"), ("水务集团", "Water"), ("燃气公司", "Gas"),
    ("园林局", "Parks"), ("市政工程处", "Municipal works"), ("电力公司", "Power"),
    ("通信管线办", "Telecom ducts"), ("住建局", "Housing"), ("街道办事处", "Sub-district office"),
)  # fmt: skip
BULK_DISTRICTS = ("420102", "420103", "420104", "420105", "420106", "420107", "420111", "420112")


@dataclass
class BulkSummary:
    """What :func:`bulk_generate` wrote."""

    cases: int = 0
    steps: int = 0
    inspectors: list[str] = field(default_factory=list)
    supervisors: list[str] = field(default_factory=list)
    departments: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)


def _time_id(rng: random.Random, at: datetime) -> str:
    """A UUIDv7-shaped id for ``at`` (ids sort by time, as the server's and the app's do)."""
    ms = int(at.timestamp() * 1000) & ((1 << 48) - 1)
    value = ms << 80 | 0x7 << 76 | rng.getrandbits(12) << 64 | 0b10 << 62 | rng.getrandbits(62)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


#: (to_status, role) of each action, by its name.
_TARGETS = {a.value: (t.target.value, _role_of(a.value)) for a, t in TRANSITIONS.items()}


def _bulk_log(
    rng: random.Random,
    calendar: WorkingCalendar,
    submitted: datetime,
    departments: Sequence[str],
    inspectors: Sequence[str],
) -> list[tuple[str, datetime, str | None, datetime | None, str | None]]:
    """One case's log: ``(action, at, department_id, deadline, assignee_id)`` in time order."""
    hour = timedelta(hours=1)
    out: list[tuple[str, datetime, str | None, datetime | None, str | None]] = []
    at = submitted

    def step(
        action: str,
        after_hours: float,
        department: str | None = None,
        deadline: datetime | None = None,
        assignee: str | None = None,
    ) -> None:
        nonlocal at
        at = at + after_hours * hour + timedelta(seconds=rng.randint(1, 600))
        out.append((action, at, department, deadline, assignee))

    step("submit", 0)
    if rng.random() < 0.05:  # returned for correction, submitted again
        step("return", rng.uniform(0.2, 4))
        step("submit", rng.uniform(1, 24))
    r = rng.random()
    if r < 0.08:
        step("reject", rng.uniform(0.1, 4))
        return out
    step("accept", rng.uniform(0.1, 2))
    if r < 0.11:
        step("void", rng.uniform(0.1, 8))
        return out
    step("register", rng.uniform(0.1, 2))
    department = rng.choice(departments)
    limit_days = rng.choice((1, 2, 3, 5))
    step("dispatch", rng.uniform(0.1, 3), department)
    deadline = add_time(calendar, at, limit_days, "working_days")
    out[-1] = (*out[-1][:3], deadline, None)
    start = at
    for attempt in range(3):
        if rng.random() < 0.10:  # extended before the deadline
            step("extend", (deadline - at) / hour * rng.uniform(0.2, 0.8))
            deadline = deadline + timedelta(days=rng.choice((1, 2, 3)))
            out[-1] = (*out[-1][:3], deadline, None)
        if rng.random() < 0.06:  # parked, then resumed
            step("suspend", (deadline - at) / hour * rng.uniform(0.1, 0.5))
            step("resume", rng.uniform(4, 96))
        limit = (deadline - start) / hour
        late = rng.random() < 0.15
        step("handle", limit * (rng.uniform(1.02, 1.8) if late else rng.uniform(0.1, 0.95)))
        step("request_reinspection", rng.uniform(0.1, 2), assignee=rng.choice(inspectors))
        if attempt < 2 and rng.random() < 0.12:
            step("reinspect_fail", rng.uniform(1, 24))
            step("rework", rng.uniform(0.1, 2))
            start = at
            deadline = add_time(calendar, at, rng.choice((1, 2)), "working_days")
            out[-1] = (out[-1][0], at, None, deadline, None)
            continue
        step("reinspect_pass", rng.uniform(1, 24))
        step("close", rng.uniform(0.1, 4))
        if rng.random() < 0.3:
            step("evaluate", rng.uniform(1, 48))
        break
    return out


def bulk_generate(
    store: LocalStore,
    n_cases: int,
    seed: int,
    start: datetime,
    end: datetime,
    *,
    inspectors: int = 120,
    grids: int = 3000,
) -> BulkSummary:
    """Write ``n_cases`` cases first submitted in ``[start, end)`` with realistic random logs.

    Logs run submit → accept → register → dispatch (deadline 1–5 working days) → [extend] →
    [suspend … resume] → handle (15 % late) → request_reinspection → reinspect_pass → close →
    [evaluate], with 12 % failed re-inspections sent back for rework (up to twice); 8 % are
    rejected, 3 % voided, 5 % returned for correction once. Steps at or after ``end`` are cut
    off, so recent cases are still open (``end`` plays "now"). The same seed writes the same
    data. Users, departments and cases are inserted with ``executemany`` in one transaction.
    """
    rng = random.Random(seed)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    calendar = WorkingCalendar()
    summary = BulkSummary()
    end_iso = _iso(end)
    assert end_iso is not None
    user_rows = []
    for i in range(inspectors):
        uid = _time_id(rng, start)
        summary.inspectors.append(uid)
        user_rows.append((uid, f"inspector-{seed}-{i:04d}", f"巡查员{i:03d}", "inspector", 1))
    for i in range(5):
        uid = _time_id(rng, start)
        summary.supervisors.append(uid)
        user_rows.append((uid, f"supervisor-{seed}-{i}", f"值班长{i}", "supervisor", 1))
    department_rows = []
    for i, (name, name_en) in enumerate(BULK_DEPARTMENTS):
        did = _time_id(rng, start)
        summary.departments.append(did)
        department_rows.append((did, f"BULK-{seed}-{i:02d}", name, name_en, 1))
    grid_pool = [
        f"{rng.choice(BULK_DISTRICTS)}{rng.randint(1, 12):03d}{rng.randint(1, 20):03d}"
        f"{rng.randint(1, 40):03d}"
        for _ in range(grids)
    ]
    codes = [c for c, _ in BULK_CATEGORIES]
    weights = [w for _, w in BULK_CATEGORIES]
    span = (end - start).total_seconds()

    case_rows = []
    step_rows = []
    supervisor = summary.supervisors[0]
    for _ in range(n_cases):
        submitted = start + timedelta(seconds=rng.uniform(0, span))
        created = submitted - timedelta(minutes=rng.randint(1, 120))
        case_id = _time_id(rng, created)
        author = rng.choice(summary.inspectors)
        log = _bulk_log(rng, calendar, submitted, summary.departments, summary.inspectors)
        status = CaseStatus.DRAFT.value
        department_id: str | None = None
        deadline: str | None = None
        for action, at, dept, dl, assignee in log:
            at_iso = at.isoformat(timespec="microseconds")  # UTC already
            if at_iso >= end_iso:
                break
            target, role = _TARGETS[action]
            dl_iso = None if dl is None else dl.astimezone(UTC).isoformat(timespec="microseconds")
            step_rows.append(
                (
                    _time_id(rng, at),
                    case_id,
                    action,
                    status,
                    target,
                    author if role == "inspector" else supervisor,
                    role,
                    at_iso,
                    "",
                    dept,
                    dl_iso,
                    assignee,
                    "[]",
                )
            )
            status = target
            if action in ("dispatch", "rework", "extend"):
                department_id = dept or department_id
                deadline = dl_iso
        summary.statuses[status] = summary.statuses.get(status, 0) + 1
        case_rows.append(
            (
                case_id,
                rng.choices(codes, weights)[0],
                status,
                rng.choice(grid_pool),
                _iso(created),
                _iso(created),
                _iso(submitted),
                author,
                department_id,
                deadline,
            )
        )
    summary.cases = len(case_rows)
    summary.steps = len(step_rows)
    # Rows go in as a synced store receives them: cases by creation, steps as they happened.
    case_rows.sort(key=itemgetter(4))
    step_rows.sort(key=itemgetter(7))

    with store.engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        (cache_size,) = raw.execute("PRAGMA cache_size").fetchone()
        raw.execute("PRAGMA cache_size = -262144")  # 256 MiB while the indexes grow
        raw.executemany(
            "INSERT INTO users (id, username, display_name, role, active) VALUES (?, ?, ?, ?, ?)",
            user_rows,
        )
        raw.executemany(
            "INSERT INTO departments (id, code, name, name_en, active) VALUES (?, ?, ?, ?, ?)",
            department_rows,
        )
        raw.executemany(
            "INSERT INTO cases (id, category_code, description, address, urgency, status, "
            "grid_code, created_at, updated_at, submitted_at, author_id, department_id, deadline, "
            "revision, server_revision, delivery) "
            "VALUES (?, ?, '', '', 'normal', ?, ?, ?, ?, ?, ?, ?, ?, 1, 1, 'confirmed')",
            case_rows,
        )
        raw.executemany(
            "INSERT INTO case_steps (id, case_id, action, from_status, to_status, actor_id, role, "
            "at, opinion, department_id, deadline, assignee_id, attachments) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            step_rows,
        )
        raw.execute(f"PRAGMA cache_size = {int(cache_size)}")
    return summary
