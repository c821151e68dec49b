"""Deadlines (处置时限): working calendars, time-limit rules, and the traffic light.

Pure Python: no Qt, no database. The server keeps the time-limit rules and the calendar
exceptions; the client reads them from its local store and uses this module to propose a
deadline when dispatching and to colour a case by how much of its limit is used.

Units (the server's ``TimeLimitUnit`` values):

- ``calendar_hours``: plain elapsed time, ``start + amount`` hours of real (UTC) time, so a
  limit across a daylight-saving change is still ``amount`` real hours.
- ``working_hours``: only time inside the working spans of working days counts. The default
  spans are 09:00–12:00 and 13:00–17:00 local time (7 working hours a day, lunch 12:00–13:00).
  A start outside working time starts counting at the next span; a deadline that falls exactly
  at the end of a span is that end (not the start of the next span).
- ``working_days``: the deadline is the end of the last span (17:00 by default) of the
  ``amount``-th working day *after* the start's local date: dispatched on Friday at 10:00 with
  1 working day, the case is due on Monday at 17:00; dispatched on a Saturday, likewise.

Working days are Monday to Friday, except the calendar's exceptions: a date mapped to False is
a holiday, a date mapped to True is worked (a weekend day worked in lieu, 调休).

Traffic light: the fraction of the limit used is ``(now − start − suspended) / (deadline −
start)``: green below 0.8, yellow from 0.8 up to and including 1.0, red above 1.0.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo

#: The time zone of the default calendar (China has no daylight-saving time).
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
#: Default working spans: 09:00–12:00 and 13:00–17:00, 7 working hours a day.
DEFAULT_HOURS: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13), time(17)))

WORKING_HOURS = "working_hours"
WORKING_DAYS = "working_days"
CALENDAR_HOURS = "calendar_hours"
UNITS = frozenset({WORKING_HOURS, WORKING_DAYS, CALENDAR_HOURS})

#: A run of this many days without working time means the calendar cannot place a deadline.
_MAX_IDLE_DAYS = 3 * 366


@dataclass(frozen=True)
class WorkingCalendar:
    """When the city's departments work: spans of each working day, and dated exceptions."""

    tz: ZoneInfo = DEFAULT_TZ
    #: (start, end) local times of the working spans of a working day, in order, not overlapping.
    hours: tuple[tuple[time, time], ...] = DEFAULT_HOURS
    #: date → True (worked, e.g. a weekend day in lieu, 调休) or False (a holiday).
    exceptions: Mapping[date, bool] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if not self.hours:
            raise ValueError("a working calendar needs at least one working span")
        previous_end: time | None = None
        for start, end in self.hours:
            if start >= end:
                raise ValueError(f"working span {start}–{end} ends before it starts")
            if previous_end is not None and start < previous_end:
                raise ValueError("working spans must be in order and must not overlap")
            previous_end = end
        object.__setattr__(self, "hours", tuple(self.hours))
        object.__setattr__(self, "exceptions", MappingProxyType(dict(self.exceptions)))

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday, unless an exception says otherwise."""
        return self.exceptions.get(day, day.weekday() < 5)

    def spans(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working spans of ``day`` as aware UTC datetimes ([] on a day off)."""
        if not self.is_working_day(day):
            return []
        return [
            (
                datetime.combine(day, start, self.tz).astimezone(UTC),
                datetime.combine(day, end, self.tz).astimezone(UTC),
            )
            for start, end in self.hours
        ]

    def end_of_day(self, day: date) -> datetime:
        """The end of the last working span of ``day``, in the calendar's time zone."""
        return datetime.combine(day, self.hours[-1][1], self.tz)


def add_time(calendar: WorkingCalendar, start: datetime, amount: int, unit: str) -> datetime:
    """``start`` plus ``amount`` of ``unit`` (see the module docstring), in ``calendar.tz``."""
    if start.tzinfo is None:
        raise ValueError("start has no time zone")
    if amount < 1:
        raise ValueError(f"a time limit must be at least 1, not {amount}")
    if unit == CALENDAR_HOURS:
        return (start.astimezone(UTC) + timedelta(hours=amount)).astimezone(calendar.tz)
    if unit == WORKING_HOURS:
        return _add_working_hours(calendar, start, timedelta(hours=amount))
    if unit == WORKING_DAYS:
        return _add_working_days(calendar, start, amount)
    raise ValueError(f"unknown time-limit unit {unit!r}; expected one of {sorted(UNITS)}")


def _add_working_hours(calendar: WorkingCalendar, start: datetime, amount: timedelta) -> datetime:
    remaining = amount
    at = start.astimezone(UTC)
    day = start.astimezone(calendar.tz).date()
    idle = 0
    while idle < _MAX_IDLE_DAYS:
        spans = calendar.spans(day)
        idle = idle + 1 if not spans else 0
        for span_start, span_end in spans:
            if span_end <= at:
                continue
            begin = max(span_start, at)
            available = span_end - begin
            if remaining <= available:
                return (begin + remaining).astimezone(calendar.tz)
            remaining -= available
        day += timedelta(days=1)
    raise ValueError("the working calendar has no working time to place the deadline in")


def _add_working_days(calendar: WorkingCalendar, start: datetime, amount: int) -> datetime:
    day = start.astimezone(calendar.tz).date()
    counted = 0
    idle = 0
    while idle < _MAX_IDLE_DAYS:
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
            idle = 0
            if counted == amount:
                return calendar.end_of_day(day)
        else:
            idle += 1
    raise ValueError("the working calendar has no working day to place the deadline on")


# -- time-limit rules ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleFact:
    """A time-limit rule: ``None`` for the category or the urgency means any."""

    category_code: str | None
    urgency: str | None
    amount: int
    unit: str

    @property
    def specificity(self) -> int:
        """3: category and urgency, 2: category only, 1: urgency only, 0: the default."""
        return (self.category_code is not None) * 2 + (self.urgency is not None)


def rule_for(
    rules: Iterable[RuleFact], category_code: str | None, urgency: str | None
) -> RuleFact | None:
    """The rule for a case: category and urgency, else category, else urgency, else the default.

    The same precedence as the server's ``server.reference.timelimits.rule_for``.
    """
    candidates = (
        r
        for r in rules
        if (r.category_code is None or r.category_code == category_code)
        and (r.urgency is None or r.urgency == urgency)
    )
    return max(candidates, key=lambda r: r.specificity, default=None)


def propose_deadline(
    rules: Iterable[RuleFact],
    calendar: WorkingCalendar,
    category_code: str | None,
    urgency: str | None,
    start: datetime,
) -> datetime | None:
    """The deadline the rules give a case dispatched at ``start`` (None: no rule applies)."""
    rule = rule_for(rules, category_code, urgency)
    if rule is None:
        return None
    return add_time(calendar, start, rule.amount, rule.unit)


# -- traffic light ---------------------------------------------------------------------------


class TrafficLight(enum.StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


#: The fraction of the limit from which a case turns yellow.
YELLOW_FROM = 0.8


def _utc(value: datetime) -> datetime:
    # Python subtracts two datetimes of the same zone on the wall clock (a day across a DST
    # change would be 24 h); in UTC the difference is the real elapsed time.
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not compared; attach a time zone")
    return value.astimezone(UTC)


def elapsed_fraction(
    start: datetime, deadline: datetime, now: datetime, suspended_seconds: float = 0.0
) -> float:
    """``(now − start − suspended) / (deadline − start)``.

    With a degenerate limit (deadline ≤ start) the fraction is ``inf`` once ``now`` is past the
    deadline, else 1.0 (at the limit).
    """
    start, deadline, now = _utc(start), _utc(deadline), _utc(now)
    limit = deadline - start
    if limit <= timedelta(0):
        return float("inf") if now > deadline else 1.0
    used = now - start - timedelta(seconds=suspended_seconds)
    return used / limit


def traffic_light(
    start: datetime, deadline: datetime, now: datetime, suspended_seconds: float = 0.0
) -> TrafficLight:
    """Green under 80 % of the limit used, yellow from 80 % to 100 % inclusive, red over.

    Compared in whole microseconds, so exactly 80 % is yellow and exactly 100 % is yellow.
    """
    start, deadline, now = _utc(start), _utc(deadline), _utc(now)
    limit = deadline - start
    if limit <= timedelta(0):
        return TrafficLight.RED if now > deadline else TrafficLight.YELLOW
    used = now - start - timedelta(seconds=suspended_seconds)
    if used > limit:
        return TrafficLight.RED
    if used * 5 >= limit * 4:
        return TrafficLight.YELLOW
    return TrafficLight.GREEN
