"""Performance indicators (考核指标), computed only from the case step log.

Nothing here is stored as a counter: every figure is derived from the steps (who did what to
which case, when, with which department and deadline) for a period ``[start, end)``. Events
after ``cutoff = min(end, now)`` are ignored, so a past period gives the same figures whenever
it is computed, and the current period gives the figures "as of now".

Definitions (also in the README, with the same names):

- **上报数 reports**: cases whose *first* ``submit`` step is in the period (a case returned for
  correction and submitted again is one report).
- **受理数 accepted / 不予受理 rejected**: ``accept`` / ``reject`` steps in the period.
  **有效上报率 valid-report rate** = accepted / (accepted + rejected).
- **立案数 registered**, **作废 voided**, **派遣 dispatched**, **结案数 closed**: ``register`` /
  ``void`` / ``dispatch`` / ``close`` steps in the period.
- **应结案数 due to close**: cases registered in the period that at the cutoff are neither void
  nor suspended; **结案率 closure rate** = those of them closed by the cutoff / due to close.
- An **assignment** is one spell of work for a department: it starts at a ``dispatch`` or a
  ``rework`` step (rework goes back to the same department) with that step's deadline; an
  ``extend`` step replaces the deadline; a ``suspend`` … ``resume`` spell moves the deadline
  later by the time suspended (the clock stops while a case is parked); a ``handle`` step ends
  it. While an assignment is suspended at the cutoff its deadline is open.
  Its **settle time** is the handle time when it was handled by its (effective) deadline,
  otherwise the deadline itself (once the deadline has passed by the cutoff).
- **应处置数 due to handle**: assignments whose settle time is in the period; **按期处置数
  handled on time**: those of them handled by their deadline; **按期处置率 on-time rate** =
  handled on time / due to handle. Each assignment is due in exactly one period.
- **处置数 handled**: ``handle`` steps in the period; **超期处置 handled late**: those after the
  assignment's effective deadline; **返工数 reworked**: ``rework`` steps in the period;
  **返工率 rework rate** = reworked / handled.
- **超期未处置 overdue**: assignments open (not handled) at the cutoff whose effective deadline
  is before the cutoff.
- **平均处置时长 mean handling time**: over the ``handle`` steps in the period, the hours from the
  assignment's start to the handle step, less the time suspended.

A rate whose denominator is 0 is ``None`` (shown as "—"), never 0 % or 100 %.

Attribution: every figure counts towards the whole city, the case's inspector (its author), its
district (the first 6 digits of its 15-digit grid code) and grid, and its category. Assignment
figures count towards the assignment's department; case figures (reports … closed) towards the
department the case was last dispatched to by the cutoff (``None`` before any dispatch).

Precisions (the same rules, spelled out where a log can be read two ways):

- "In the period" means ``start ≤ t < cutoff``; "by the cutoff" means ``t < cutoff``.
- Handled **by** the deadline means ``handle ≤ effective deadline``; the clock runs out the
  moment it passes the deadline. A deadline that has passed cannot be moved: an ``extend``
  or a ``suspend`` after the effective deadline leaves the assignment late (it was due, and
  overdue, from then on), so an assignment is never due twice. A deadline before the
  assignment's start counts as its start. An assignment without a deadline is never late.
- ``extend`` sets the new deadline as given (suspension credited before it is not added
  again); suspension after it moves it on.
- ``rework`` is an assignment figure: it counts towards the department of the assignment it
  starts (its own ``department_id``, else the previous assignment's department).
- Steps other than ``dispatch``/``rework`` that concern an assignment (``extend``,
  ``suspend``, ``resume``, ``handle``) are ignored when no assignment is open.
- Cases missing from ``cases`` count with ``None`` for inspector, district, grid and category.

Steps must arrive grouped by case (all the steps of one case together) and in time order
within a case (``ORDER BY case_id, at, id``); the store's loader guarantees it.

Two things here are shared by every place that shows figures — the CLI (``citypatrol report``),
the dashboard and the bulletin — so that they cannot disagree: :func:`cutoff`, the one way to
take a period "as of now", and :func:`rank_departments`, the one ranking of departments.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TypeVar

from app.domain.lifecycle import Action


@dataclass(frozen=True, slots=True)
class Period:
    """``[start, end)``, both timezone-aware."""

    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class CaseFact:
    """What the indicators need of a case (besides its steps)."""

    case_id: str
    author_id: str | None
    category_code: str | None
    grid_code: str | None


@dataclass(frozen=True, slots=True)
class StepFact:
    """One step of a case's log; ``department_id`` and ``deadline`` as recorded on the step."""

    case_id: str
    action: str
    at: datetime
    department_id: str | None = None
    deadline: datetime | None = None
    actor_id: str | None = None


@dataclass
class Counts:
    """The counts behind the indicators of one group (city, department, inspector …)."""

    reports: int = 0
    accepted: int = 0
    rejected: int = 0
    registered: int = 0
    voided: int = 0
    dispatched: int = 0
    closed: int = 0
    due_to_close: int = 0
    closed_of_due: int = 0
    due_to_handle: int = 0
    handled_on_time: int = 0
    handled: int = 0
    handled_late: int = 0
    reworked: int = 0
    overdue: int = 0
    handling_hours_total: float = 0.0

    @property
    def valid_report_rate(self) -> float | None:
        return _rate(self.accepted, self.accepted + self.rejected)

    @property
    def closure_rate(self) -> float | None:
        return _rate(self.closed_of_due, self.due_to_close)

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.handled_on_time, self.due_to_handle)

    @property
    def rework_rate(self) -> float | None:
        return _rate(self.reworked, self.handled)

    @property
    def mean_handling_hours(self) -> float | None:
        return self.handling_hours_total / self.handled if self.handled else None


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def cutoff(period: Period, now: datetime | None) -> datetime:
    """The moment the figures of ``period`` are taken at: ``min(period.end, now)``.

    A past period gives the same figures whenever it is computed; the current one gives them
    "as of now" — an assignment due later today is neither due nor overdue yet. ``None``
    means no clock (a pure computation of a period taken as over): the period's end. Every
    report takes its cutoff here; the CLI once took the period's end for the current period
    while the bulletin took now, and the two printed different on-time rates at the same minute.
    """
    return period.end if now is None or now >= period.end else now


@dataclass
class Indicators:
    """All indicators of one period, for the city and per group."""

    period: Period
    total: Counts = field(default_factory=Counts)
    by_department: dict[str | None, Counts] = field(default_factory=dict)
    by_inspector: dict[str | None, Counts] = field(default_factory=dict)
    by_district: dict[str | None, Counts] = field(default_factory=dict)
    by_grid: dict[str | None, Counts] = field(default_factory=dict)
    by_category: dict[str | None, Counts] = field(default_factory=dict)


# -- periods ---------------------------------------------------------------------------------


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def month(year: int, m: int, tz: tzinfo) -> Period:
    """The calendar month ``m`` of ``year``, midnight to midnight local time in ``tz``."""
    first = date(year, m, 1)
    following = date(year + 1, 1, 1) if m == 12 else date(year, m + 1, 1)
    return Period(_midnight(first, tz), _midnight(following, tz))


def quarter(year: int, q: int, tz: tzinfo) -> Period:
    """Quarter ``q`` (1–4) of ``year``: Q1 is January to March."""
    if not 1 <= q <= 4:
        raise ValueError(f"a quarter is 1 to 4, not {q}")
    first = month(year, 3 * q - 2, tz)
    last = month(year, 3 * q, tz)
    return Period(first.start, last.end)


def week_of(day: date, tz: tzinfo) -> Period:
    """The week (Monday 00:00 to the next Monday 00:00, local time in ``tz``) holding ``day``."""
    monday = day - timedelta(days=day.weekday())
    return Period(_midnight(monday, tz), _midnight(monday + timedelta(days=7), tz))


def weekly_periods(start: datetime, end: datetime, tz: tzinfo) -> list[Period]:
    """The weeks (starting Monday 00:00 local time in ``tz``) covering ``[start, end)``.

    The first and the last week are clipped to ``start`` and ``end``; empty pieces are left out.
    """
    out: list[Period] = []
    week = week_of(start.astimezone(tz).date(), tz)
    while week.start < end:
        piece = Period(max(week.start, start), min(week.end, end))
        if piece.start < piece.end:
            out.append(piece)
        following = week.end.date()
        week = Period(week.end, _midnight(following + timedelta(days=7), tz))
    return out


# -- assignments -----------------------------------------------------------------------------

_ZERO = timedelta(0)
#: The actions the step loop compares against, bound once: looking up an enum member is about
#: 8× the cost of a module global, and the loop runs once per step of every case.
_SUBMIT, _REWORK, _HANDLE = Action.SUBMIT, Action.REWORK, Action.HANDLE
_EXTEND, _SUSPEND, _RESUME = Action.EXTEND, Action.SUSPEND, Action.RESUME
#: A department's request approved counts as the supervisor's own step (issue 15).
_EXTENDS = frozenset({_EXTEND, Action.APPROVE_EXTENSION})
_SUSPENDS = frozenset({_SUSPEND, Action.APPROVE_SUSPENSION})


class _Spell:
    """One assignment while its case's steps are read (mutable; see :class:`Assignment`)."""

    __slots__ = (
        "credit_open",
        "credited",
        "deadline",
        "department_id",
        "due",
        "handled_at",
        "late_at",
        "rework",
        "start",
        "suspended",
        "suspended_since",
    )

    def __init__(
        self, department_id: str | None, start: datetime, deadline: datetime | None, rework: bool
    ) -> None:
        self.department_id = department_id
        self.start = start
        self.rework = rework
        self.deadline = deadline  # as recorded by dispatch / rework / extend
        self.due = deadline  # the effective deadline: moved on by credited suspension
        self.credited = _ZERO  # suspension credited since the deadline was last set
        self.suspended = _ZERO  # all suspended time of the assignment (handling time)
        self.suspended_since: datetime | None = None
        self.credit_open = False  # whether the open suspension will move the deadline
        self.late_at: datetime | None = None  # the moment the clock ran out
        self.handled_at: datetime | None = None

    def check(self, at: datetime) -> None:
        """Note that the clock ran out if ``at`` is past the effective deadline."""
        due = self.due
        if (
            due is not None
            and at > due
            and self.late_at is None
            and self.suspended_since is None
            and self.handled_at is None
        ):
            self.late_at = due if due > self.start else self.start

    def extend(self, at: datetime, deadline: datetime | None) -> None:
        self.check(at)
        if self.late_at is None and deadline is not None:
            self.deadline = self.due = deadline
            self.credited = _ZERO
            if deadline < at:  # shortened into the past (the lifecycle refuses it): late now
                self.late_at = at

    def suspend(self, at: datetime) -> bool:
        if self.suspended_since is not None:
            return False
        self.check(at)
        self.suspended_since = at
        self.credit_open = self.late_at is None
        return True

    def resume(self, at: datetime) -> bool:
        since = self.suspended_since
        if since is None:
            return False
        spell = at - since
        self.suspended += spell
        if self.credit_open and self.due is not None:
            self.due += spell
            self.credited += spell
        self.suspended_since = None
        return True

    def handle(self, at: datetime) -> None:
        self.resume(at)  # a handle while suspended (not in a valid log) ends the suspension
        self.check(at)
        self.handled_at = at

    def settle(self, cutoff: datetime | None) -> None:
        """At the end of the log: an open, running assignment runs out at its deadline."""
        if self.handled_at is None and self.suspended_since is None:
            due = self.due
            if due is not None and self.late_at is None and (cutoff is None or due < cutoff):
                self.late_at = due if due > self.start else self.start


@dataclass(frozen=True, slots=True)
class Assignment:
    """One spell of work for a department, as of a cutoff (see the module docstring)."""

    department_id: str | None
    #: The ``dispatch`` or ``rework`` step that started it.
    start: datetime
    rework: bool
    #: The deadline as last set (dispatch, rework or extend).
    deadline: datetime | None
    #: ``deadline`` moved on by the suspension credited since it was set; while suspended at
    #: the cutoff, counted as if resumed at the cutoff (it is still moving).
    effective_deadline: datetime | None
    #: Seconds of suspension credited to ``deadline`` (the open spell up to the cutoff included).
    credited_seconds: float
    #: Seconds suspended in all (the open spell up to the cutoff included).
    suspended_seconds: float
    #: The start of the suspension open at the cutoff, if any.
    suspended_since: datetime | None
    #: When the clock ran out (None: not late by the cutoff).
    late_at: datetime | None
    handled_at: datetime | None

    @property
    def open(self) -> bool:
        return self.handled_at is None

    @property
    def handled_on_time(self) -> bool:
        return self.handled_at is not None and self.late_at is None

    @property
    def settle_time(self) -> datetime | None:
        """The handle time if on time, else the moment the deadline passed (None: not yet)."""
        return self.handled_at if self.late_at is None else self.late_at


class _CaseLog:
    """What one reading of a case's steps gives: its case events and its assignments."""

    __slots__ = (
        "closed_at",
        "events",
        "registered_at",
        "spells",
        "suspensions",
        "voided_at",
    )

    def __init__(self) -> None:
        self.spells: list[_Spell] = []
        self.events: list[tuple[datetime, int]] = []  # case figures: (time, field)
        self.suspensions: list[list[datetime | None]] = []  # [suspend, resume or None]
        self.registered_at: datetime | None = None
        self.voided_at: datetime | None = None
        self.closed_at: datetime | None = None

    def department_at(self, cutoff: datetime) -> str | None:
        """The department of the last assignment started before ``cutoff``."""
        department = None
        for spell in self.spells:
            if spell.start >= cutoff:
                break
            department = spell.department_id
        return department

    def suspended_at(self, cutoff: datetime) -> bool:
        for since, until in self.suspensions:
            if since < cutoff and (until is None or until >= cutoff):  # type: ignore[operator]
                return True
        return False


def _start(
    log: _CaseLog,
    current: _Spell | None,
    department_id: str | None,
    at: datetime,
    deadline: datetime | None,
    *,
    rework: bool,
) -> _Spell:
    if department_id is None and current is not None:
        department_id = current.department_id  # rework goes back to the same department
    spell = _Spell(department_id, at, deadline, rework)
    log.spells.append(spell)
    return spell


_T = TypeVar("_T", datetime, str)


def _same(value: datetime) -> datetime:
    return value


def _read_log(
    steps: Iterable[tuple[str, str, _T, str | None, _T | None]], parse: Callable[[_T], datetime]
) -> _CaseLog:
    """Read one case's steps ``(case_id, action, at, department_id, deadline)`` in time order,
    turning the times into datetimes with ``parse`` (deadlines only where they are used)."""
    log = _CaseLog()
    events = log.events
    suspensions = log.suspensions
    current: _Spell | None = None
    submitted = False
    case_fields = _CASE_STEP_FIELDS
    for _, action, raw_at, department_id, deadline in steps:
        f = case_fields.get(action)
        if f is not None:
            at = parse(raw_at)
            events.append((at, f))
            if f == DISPATCHED:
                due = None if deadline is None else parse(deadline)
                current = _start(log, current, department_id, at, due, rework=False)
            elif f == REGISTERED:
                if log.registered_at is None:
                    log.registered_at = at
            elif f == CLOSED:
                if log.closed_at is None:
                    log.closed_at = at
            elif f == VOIDED and log.voided_at is None:
                log.voided_at = at
        elif action == _SUBMIT:
            if not submitted:  # a case returned and submitted again is one report
                submitted = True
                events.append((parse(raw_at), REPORTS))
        elif action == _REWORK:
            due = None if deadline is None else parse(deadline)
            current = _start(log, current, department_id, parse(raw_at), due, rework=True)
        elif current is None or current.handled_at is not None:
            continue  # (re-inspection steps, evaluation …: nothing to count)
        else:
            at = parse(raw_at)
            if action == _HANDLE:
                current.handle(at)
                if suspensions and suspensions[-1][1] is None:
                    suspensions[-1][1] = at
            elif action in _EXTENDS:
                current.extend(at, None if deadline is None else parse(deadline))
            elif action in _SUSPENDS:
                if current.suspend(at):
                    suspensions.append([at, None])
            elif action == _RESUME and current.resume(at):
                suspensions[-1][1] = at
    return log


def assignments(
    steps: Iterable[tuple[str, datetime, str | None, datetime | None]], cutoff: datetime
) -> list[Assignment]:
    """The assignments of one case's steps ``(action, at, department_id, deadline)``, in time
    order, as of ``cutoff`` (steps at or after it are ignored). Times come back in UTC."""
    cutoff = cutoff.astimezone(UTC)
    log = _read_log(
        (
            (
                "",
                action,
                at.astimezone(UTC),
                department,
                None if deadline is None else deadline.astimezone(UTC),
            )
            for action, at, department, deadline in steps
            if at < cutoff
        ),
        _same,
    )
    out: list[Assignment] = []
    for spell in log.spells:
        spell.settle(cutoff)
        ongoing = _ZERO if spell.suspended_since is None else cutoff - spell.suspended_since
        credit = spell.credited + (ongoing if spell.credit_open else _ZERO)
        out.append(
            Assignment(
                department_id=spell.department_id,
                start=spell.start,
                rework=spell.rework,
                deadline=spell.deadline,
                effective_deadline=None if spell.deadline is None else spell.deadline + credit,
                credited_seconds=credit.total_seconds(),
                suspended_seconds=(spell.suspended + ongoing).total_seconds(),
                suspended_since=spell.suspended_since,
                late_at=spell.late_at,
                handled_at=spell.handled_at,
            )
        )
    return out


# -- the computation -------------------------------------------------------------------------

_FIELDS = tuple(f.name for f in fields(Counts))
REPORTS = _FIELDS.index("reports")
ACCEPTED = _FIELDS.index("accepted")
REJECTED = _FIELDS.index("rejected")
REGISTERED = _FIELDS.index("registered")
VOIDED = _FIELDS.index("voided")
DISPATCHED = _FIELDS.index("dispatched")
CLOSED = _FIELDS.index("closed")
DUE_TO_CLOSE = _FIELDS.index("due_to_close")
CLOSED_OF_DUE = _FIELDS.index("closed_of_due")
DUE_TO_HANDLE = _FIELDS.index("due_to_handle")
HANDLED_ON_TIME = _FIELDS.index("handled_on_time")
HANDLED = _FIELDS.index("handled")
HANDLED_LATE = _FIELDS.index("handled_late")
REWORKED = _FIELDS.index("reworked")
OVERDUE = _FIELDS.index("overdue")

#: The case figures counted at the step itself, by action.
_CASE_STEP_FIELDS: dict[str, int] = {
    Action.ACCEPT: ACCEPTED,
    Action.REJECT: REJECTED,
    Action.REGISTER: REGISTERED,
    Action.VOID: VOIDED,
    Action.DISPATCH: DISPATCHED,
    Action.CLOSE: CLOSED,
}

#: ``(case_id, author_id, category_code, grid_code)`` — a :class:`CaseFact` as a plain tuple.
CaseRow = tuple[str, str | None, str | None, str | None]
#: ``(case_id, action, at, department_id, deadline)`` with the times as ISO-8601 UTC text.
IsoStepRow = tuple[str, str, str, str | None, str | None]

#: Actions after which an assignment may still be open.
_OPEN_ACTIONS = frozenset(
    {
        Action.DISPATCH,
        Action.REWORK,
        Action.EXTEND,
        Action.SUSPEND,
        Action.RESUME,
        Action.APPROVE_EXTENSION,
        Action.APPROVE_SUSPENSION,
    }
)

# Counts are accumulated packed into one Python int per group: field i of Counts occupies
# bits [i·W, (i+1)·W), and the handling time, in whole microseconds, sits on top (the only
# field that may be large or, in a broken log, negative — on top it cannot spill into another).
# Adding one case's contribution to a group is then one integer addition however many fields
# it touches, instead of one list update per field: the reports of a quarter of a big city
# are mostly this addition (bench/reports.py).
_WIDTH = 40  # up to 2**40 - 1 per count: far beyond any city
_MASK = (1 << _WIDTH) - 1
_ONE = [1 << (_WIDTH * i) for i in range(len(_FIELDS) - 1)]
_US_SHIFT = _WIDTH * (len(_FIELDS) - 1)
_US_PER_HOUR = 3_600_000_000


def _unpack(packed: int) -> Counts:
    counts = Counts(handling_hours_total=(packed >> _US_SHIFT) / _US_PER_HOUR)
    for i, name in enumerate(_FIELDS[:-1]):
        setattr(counts, name, (packed >> (_WIDTH * i)) & _MASK)
    return counts


def _microseconds(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_ON_TIME = _ONE[DUE_TO_HANDLE] + _ONE[HANDLED_ON_TIME] + _ONE[HANDLED]
_LATE = _ONE[HANDLED] + _ONE[HANDLED_LATE]
_CLOSED_OF_DUE = _ONE[DUE_TO_CLOSE] + _ONE[CLOSED_OF_DUE]


class _Accumulator:
    """The running counts of one period, packed (see above)."""

    __slots__ = ("by_category", "by_department", "by_district", "by_grid", "by_inspector", "total")

    def __init__(self) -> None:
        self.total = 0
        self.by_department: defaultdict[str | None, int] = defaultdict(int)
        self.by_inspector: defaultdict[str | None, int] = defaultdict(int)
        self.by_district: defaultdict[str | None, int] = defaultdict(int)
        self.by_grid: defaultdict[str | None, int] = defaultdict(int)
        self.by_category: defaultdict[str | None, int] = defaultdict(int)


class _Engine:
    """One pass over the steps, counting into every period at once."""

    def __init__(
        self,
        cases: Iterable[CaseRow],
        periods: Sequence[Period],
        now: datetime | None,
        totals_only: bool,
    ) -> None:
        self.periods = list(periods)
        self.totals_only = totals_only
        self.cutoffs: list[datetime] = []
        for period in self.periods:
            self.cutoffs.append(cutoff(period, now).astimezone(UTC))
        starts = [p.start.astimezone(UTC) for p in self.periods]
        self.max_cutoff = max(self.cutoffs, default=None)
        self.min_start = min(starts, default=datetime.max.replace(tzinfo=UTC))
        # Elementary intervals between every start and cutoff: the periods holding a time t
        # are slots[bisect_right(bounds, t)].
        self.bounds = sorted(set(starts) | set(self.cutoffs))
        self.slots: list[tuple[int, ...]] = [()]
        for i in range(1, len(self.bounds)):
            lo, hi = self.bounds[i - 1], self.bounds[i]
            self.slots.append(
                tuple(
                    p
                    for p, (s, c) in enumerate(zip(starts, self.cutoffs, strict=True))
                    if s <= lo and hi <= c
                )
            )
        self.slots.append(())
        self.accs = [_Accumulator() for _ in self.periods]
        self.keys: dict[str, tuple[str | None, str | None, str | None, str | None]] = {
            case_id: (author, None if grid is None else grid[:6], grid, category)
            for case_id, author, category, grid in cases
        }
        self._no_key: tuple[str | None, str | None, str | None, str | None] = (None,) * 4

    # -- feeding -------------------------------------------------------------------------

    def run(self, rows: Iterable[tuple[str, str, datetime, str | None, datetime | None]]) -> None:
        """Feed rows ``(case_id, action, at, department_id, deadline)`` with UTC datetimes."""
        limit = self.max_cutoff
        if limit is None:
            return
        since = self.min_start
        current = ""
        buffer: list[tuple[str, str, datetime, str | None, datetime | None]] = []
        for row in rows:
            if row[0] != current:
                if buffer and (buffer[-1][2] >= since or buffer[-1][1] in _OPEN_ACTIONS):
                    self._case(current, _read_log(buffer, _same))
                current = row[0]
                buffer = []
            if row[2] < limit:
                buffer.append(row)
        if buffer and (buffer[-1][2] >= since or buffer[-1][1] in _OPEN_ACTIONS):
            self._case(current, _read_log(buffer, _same))

    def run_iso(self, rows: Iterable[IsoStepRow]) -> None:
        """Feed rows whose times are ISO-8601 UTC text as the store keeps them (sorts as text)."""
        if self.max_cutoff is None:
            return
        limit = self.max_cutoff.isoformat(timespec="microseconds")
        since = self.min_start.isoformat(timespec="microseconds")
        current = ""
        buffer: list[IsoStepRow] = []
        for row in rows:
            if row[0] != current:
                if buffer:
                    self._iso_case(current, buffer, since, limit)
                current = row[0]
                buffer = [row]
            else:
                buffer.append(row)
        if buffer:
            self._iso_case(current, buffer, since, limit)

    def _iso_case(self, case_id: str, rows: list[IsoStepRow], since: str, limit: str) -> None:
        while rows and rows[-1][2] >= limit:
            rows.pop()
        # A case whose last step is before every period and leaves no assignment open has
        # nothing to count: skip it without reading its times.
        if not rows or (rows[-1][2] < since and rows[-1][1] not in _OPEN_ACTIONS):
            return
        self._case(case_id, _read_log(rows, datetime.fromisoformat))

    # -- one case ------------------------------------------------------------------------

    def _case(self, case_id: str, log: _CaseLog) -> None:
        slots = self.slots
        bounds = self.bounds
        cutoffs = self.cutoffs
        one = _ONE

        # Case figures, per period (their department depends on the period's cutoff).
        by_period = [0] * len(cutoffs)
        events = log.events
        if events:
            first = bisect_right(bounds, events[0][0])
            if first == bisect_right(bounds, events[-1][0]):
                # All in one stretch between period bounds (the usual case; they are in time
                # order): the same periods hold them all.
                packed = sum([one[f] for _, f in events])
                for p in slots[first]:
                    by_period[p] += packed
            else:
                for at, f in events:
                    for p in slots[bisect_right(bounds, at)]:
                        by_period[p] += one[f]
        registered_at = log.registered_at
        if registered_at is not None:
            voided_at = log.voided_at
            closed_at = log.closed_at
            for p in slots[bisect_right(bounds, registered_at)]:
                cutoff = cutoffs[p]
                if (voided_at is not None and voided_at < cutoff) or (
                    log.suspensions and log.suspended_at(cutoff)
                ):
                    continue
                closed = closed_at is not None and closed_at < cutoff
                by_period[p] += _CLOSED_OF_DUE if closed else one[DUE_TO_CLOSE]

        # Assignment figures, per period and the assignment's department.
        found: defaultdict[tuple[int, str | None], int] = defaultdict(int)
        for spell in log.spells:
            spell.settle(None)
            dep = spell.department_id
            if spell.rework:
                for p in slots[bisect_right(bounds, spell.start)]:
                    found[p, dep] += one[REWORKED]
            handled_at = spell.handled_at
            late_at = spell.late_at
            if late_at is None:
                if handled_at is not None:  # on time: it settles when handled
                    add = _ON_TIME + (_handling_us(spell, handled_at) << _US_SHIFT)
                    for p in slots[bisect_right(bounds, handled_at)]:
                        found[p, dep] += add
                continue
            for p in slots[bisect_right(bounds, late_at)]:
                found[p, dep] += one[DUE_TO_HANDLE]
            for p, cutoff in enumerate(cutoffs):
                if late_at < cutoff and (handled_at is None or handled_at >= cutoff):
                    found[p, dep] += one[OVERDUE]
            if handled_at is not None:
                add = _LATE + (_handling_us(spell, handled_at) << _US_SHIFT)
                for p in slots[bisect_right(bounds, handled_at)]:
                    found[p, dep] += add

        for p, packed in enumerate(by_period):
            if packed:
                k = (p, log.department_at(cutoffs[p]) if log.spells else None)
                found[k] += packed
        if not found:
            return
        accs = self.accs
        if self.totals_only:
            for (p, _), packed in found.items():
                accs[p].total += packed
            return
        inspector, district, grid, category = self.keys.get(case_id, self._no_key)
        for (p, dep), packed in found.items():
            acc = accs[p]
            acc.total += packed
            acc.by_department[dep] += packed
            acc.by_inspector[inspector] += packed
            acc.by_district[district] += packed
            acc.by_grid[grid] += packed
            acc.by_category[category] += packed

    def results(self) -> list[Indicators]:
        out: list[Indicators] = []
        for period, acc in zip(self.periods, self.accs, strict=True):
            out.append(
                Indicators(
                    period=period,
                    total=_unpack(acc.total),
                    by_department={k: _unpack(v) for k, v in acc.by_department.items()},
                    by_inspector={k: _unpack(v) for k, v in acc.by_inspector.items()},
                    by_district={k: _unpack(v) for k, v in acc.by_district.items()},
                    by_grid={k: _unpack(v) for k, v in acc.by_grid.items()},
                    by_category={k: _unpack(v) for k, v in acc.by_category.items()},
                )
            )
        return out


def _handling_us(spell: _Spell, handled_at: datetime) -> int:
    """Microseconds from the assignment's start to its handling, less the time suspended."""
    return _microseconds(handled_at - spell.start - spell.suspended)


# -- the public API --------------------------------------------------------------------------


def compute_many(
    cases: Iterable[CaseFact],
    steps: Iterable[StepFact],
    periods: Sequence[Period],
    now: datetime | None = None,
    *,
    totals_only: bool = False,
) -> list[Indicators]:
    """The indicators of each of ``periods`` (in the same order), in one pass over ``steps``.

    ``steps`` must be grouped by case, each case's in time order. With ``totals_only`` only
    the city totals are counted (the groups stay empty), for a trend over many periods.
    """
    engine = _Engine(
        ((c.case_id, c.author_id, c.category_code, c.grid_code) for c in cases),
        periods,
        now,
        totals_only,
    )
    engine.run(
        (
            s.case_id,
            s.action,
            s.at.astimezone(UTC),  # same-zone datetimes subtract on the wall clock, UTC does not
            s.department_id,
            None if s.deadline is None else s.deadline.astimezone(UTC),
        )
        for s in steps
    )
    return engine.results()


def compute_rows(
    cases: Iterable[CaseRow],
    rows: Iterable[IsoStepRow],
    periods: Sequence[Period],
    now: datetime | None = None,
    *,
    totals_only: bool = False,
) -> list[Indicators]:
    """:func:`compute_many` over plain rows as the local store keeps them.

    ``cases`` are ``(case_id, author_id, category_code, grid_code)``; ``rows`` are
    ``(case_id, action, at, department_id, deadline)`` with the times as ISO-8601 UTC text
    (``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``), grouped by case and in time order within a case.
    """
    engine = _Engine(cases, periods, now, totals_only)
    engine.run_iso(rows)
    return engine.results()


def compute(
    cases: Iterable[CaseFact],
    steps: Iterable[StepFact],
    period: Period,
    now: datetime | None = None,
) -> Indicators:
    """The indicators of ``period`` from ``steps`` (grouped by case, each case's in time order)."""
    return compute_many(cases, steps, [period], now)[0]


# -- the ranking of departments ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RankedDepartment:
    """A department's place in the ranking; ``rank`` is None when nothing was due to handle."""

    rank: int | None
    department_id: str
    name: str
    counts: Counts


def _high_first(rate: float | None) -> float:
    """A sort key putting high rates first and a missing rate last."""
    return -rate if rate is not None else math.inf


def _low_first(rate: float | None) -> float:
    """A sort key putting low rates first and a missing rate last."""
    return rate if rate is not None else math.inf


def _merit(c: Counts) -> tuple[bool, float, float, float]:
    return (
        c.on_time_rate is None,
        _high_first(c.on_time_rate),
        _high_first(c.closure_rate),
        _low_first(c.rework_rate),
    )


def rank_departments(
    by_department: dict[str | None, Counts], names: dict[str | None, str]
) -> list[RankedDepartment]:
    """The departments by on-time rate, then closure rate (both high first), then rework rate
    (low first); departments equal on all three share a rank ("1, 1, 3") and are listed by
    name. Those with nothing due to handle (no on-time rate) come last, unranked.

    The one ranking: the dashboard's chart shows its ranked departments and the bulletin prints
    all of it, so the two always agree (they used to be two functions that broke ties
    differently — the dashboard by the number due, the bulletin by closure and rework). Cases
    not yet dispatched (the ``None`` key) belong to no department and are left out; a
    department without a name is shown by its id.
    """

    def name(dep: str) -> str:
        return names.get(dep) or dep

    ordered = sorted(
        ((dep, counts) for dep, counts in by_department.items() if dep is not None),
        key=lambda item: (_merit(item[1]), name(item[0]), item[0]),
    )
    out: list[RankedDepartment] = []
    for place, (dep, counts) in enumerate(ordered, start=1):
        rank: int | None = place
        if counts.on_time_rate is None:
            rank = None
        elif out and _merit(out[-1].counts) == _merit(counts):
            rank = out[-1].rank
        out.append(RankedDepartment(rank, dep, name(dep), counts))
    return out
