"""The departments' part of the loop (issue 15) as indicators, computed only from the step log.

Kept apart from :mod:`app.domain.indicators` (the assignment figures every report shares) so
each stays small; the same conventions hold: a period ``[start, end)`` taken as of
``cutoff = min(end, now)``, "in the period" means ``start ≤ t < cutoff``, a rate whose
denominator is 0 is ``None``. Every figure counts towards the department the step concerns.

Definitions (also in the README, with the same names):

- A **sign-for window** opens at each ``dispatch`` or ``rework`` step (the department the
  step names; a ``rework`` without one keeps the previous department) and closes at the first
  ``sign_for`` after it; its **sign-for deadline** is the window's start plus the sign-for
  limit (``limit``, configurable; 2 hours by default). Its **settle time** is the sign-for when
  it came by the deadline, otherwise the deadline.
- **应签收数 due to sign**: windows whose settle time is in the period; **按时签收数 signed on
  time**: those of them signed by the deadline (``sign_for ≤ deadline``); **签收及时率
  sign-for timeliness** = signed on time / due to sign; **超时签收 signed late** = due to sign
  − signed on time (not signed by the deadline, whether signed later or not at all).
- **部门处置数 handled by the department**: ``handle`` steps in the period taken by a handler
  (role ``handler``); **部门自主处置率 handled-by-department rate** = those / all ``handle``
  steps in the period (the rest were reported by a supervisor on the department's behalf).
- **申请数 requests** (per kind: extension, return, suspension): ``request_*`` steps in the
  period; **批准 approved** / **驳回 refused**: ``approve_*`` / ``refuse_request`` steps in the
  period; **申请批准率 approval rate** = approved / (approved + refused).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from app.domain.indicators import Period, cutoff
from app.domain.lifecycle import (
    APPROVAL_OF_REQUEST,
    REQUEST_OF_ACTION,
    Action,
    RequestKind,
    Role,
)

#: The sign-for limit unless configured otherwise (``citypatrol report … --sign-for-hours``).
DEFAULT_SIGN_LIMIT = timedelta(hours=2)
_APPROVED_KIND = {action: kind for kind, action in APPROVAL_OF_REQUEST.items()}
_OPENS = frozenset({Action.DISPATCH, Action.REWORK})


@dataclass(frozen=True, slots=True)
class LoopStep:
    """One step of a case's log as these figures need it."""

    case_id: str
    action: str
    at: datetime
    department_id: str | None = None
    role: str = ""


@dataclass
class LoopCounts:
    """The department-loop counts of one group (the city, or one department)."""

    due_to_sign: int = 0
    signed_on_time: int = 0
    handled: int = 0
    handled_by_department: int = 0
    requests: dict[RequestKind, int] = field(default_factory=dict)
    approved: dict[RequestKind, int] = field(default_factory=dict)
    refused: int = 0

    @property
    def signed_late(self) -> int:
        return self.due_to_sign - self.signed_on_time

    @property
    def sign_for_rate(self) -> float | None:
        return _rate(self.signed_on_time, self.due_to_sign)

    @property
    def handled_by_department_rate(self) -> float | None:
        return _rate(self.handled_by_department, self.handled)

    @property
    def approval_rate(self) -> float | None:
        approved = sum(self.approved.values())
        return _rate(approved, approved + self.refused)


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class LoopIndicators:
    period: Period
    limit: timedelta
    total: LoopCounts = field(default_factory=LoopCounts)
    by_department: dict[str | None, LoopCounts] = field(default_factory=dict)

    def late_sign_for(self) -> list[tuple[str | None, int]]:
        """The departments with windows signed late, the most first (then by id)."""
        late = [(d, c.signed_late) for d, c in self.by_department.items() if c.signed_late]
        return sorted(late, key=lambda row: (-row[1], row[0] or ""))


def compute_loop(
    steps: Iterable[LoopStep],
    period: Period,
    *,
    now: datetime | None = None,
    limit: timedelta = DEFAULT_SIGN_LIMIT,
) -> LoopIndicators:
    """The department-loop figures of ``period`` from ``steps`` (grouped by case, in time
    order within a case, as the store reads them)."""
    if limit <= timedelta(0):
        raise ValueError("the sign-for limit must be positive")
    taken_at = cutoff(period, now)
    out = LoopIndicators(period, limit)

    def add(department: str | None, name: str, amount: int = 1) -> None:
        for counts in (out.total, out.by_department.setdefault(department, LoopCounts())):
            setattr(counts, name, getattr(counts, name) + amount)

    def add_kind(department: str | None, name: str, kind: RequestKind) -> None:
        for counts in (out.total, out.by_department.setdefault(department, LoopCounts())):
            table: dict[RequestKind, int] = getattr(counts, name)
            table[kind] = table.get(kind, 0) + 1

    def settle(department: str | None, opened: datetime, signed: datetime | None) -> None:
        deadline = opened + limit
        on_time = signed is not None and signed <= deadline
        settled = signed if on_time and signed is not None else deadline
        if period.start <= settled < taken_at:
            add(department, "due_to_sign")
            if on_time:
                add(department, "signed_on_time")

    case_id: str | None = None
    department: str | None = None
    window: datetime | None = None  # the open sign-for window's start
    for step in steps:
        if step.at >= taken_at:
            continue
        if step.case_id != case_id:
            if window is not None:
                settle(department, window, None)
            case_id, department, window = step.case_id, None, None
        action = step.action
        if action in _OPENS:
            if window is not None:
                settle(department, window, None)
            department = step.department_id or department
            window = step.at
        elif action == Action.SIGN_FOR and window is not None:
            settle(department, window, step.at)
            window = None
        in_period = period.start <= step.at
        if not in_period:
            continue
        if action == Action.HANDLE:
            add(department, "handled")
            if step.role == Role.HANDLER:
                add(department, "handled_by_department")
        elif action in REQUEST_OF_ACTION:
            add_kind(department, "requests", REQUEST_OF_ACTION[Action(action)])
        elif action in _APPROVED_KIND:
            add_kind(department, "approved", _APPROVED_KIND[Action(action)])
        elif action == Action.REFUSE_REQUEST:
            add(department, "refused")
    if window is not None:
        settle(department, window, None)
    return out
