"""The working calendar: public holidays and weekend days worked in lieu (调休).

Deadlines counted in working hours or working days skip weekends and holidays. The week is
Monday to Friday; a row here is an exception to it — a holiday on a weekday (``working`` False)
or a worked Saturday or Sunday (``working`` True). Admins keep it with
``citypatrol-server calendar``; every change reaches every client through the change feed
(kind ``calendar_day``), where the supervisor's app proposes deadlines from it offline.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.contract import CalendarDayPayload, FeedKind
from server.feed import append_feed
from server.models import CalendarDay

_TRUE = {"1", "true", "yes", "y", "work", "working", "workday", "上班", "班"}
_FALSE = {"0", "false", "no", "n", "holiday", "off", "休", "休息", "假"}


def day_json(day: CalendarDay) -> CalendarDayPayload:
    return {"day": day.day, "working": day.working, "name": day.name}


def parse_day(text: str) -> str:
    """``YYYY-MM-DD``, checked; anything else is a ValueError naming the text."""
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}") from None


def set_day(session: Session, day: str, *, working: bool, name: str = "") -> CalendarDay:
    """Record (or change) the exception for ``day``."""
    key = parse_day(day)
    if len(name) > 100:
        raise ValueError("a calendar day's name is at most 100 characters")
    row = session.get(CalendarDay, key) or CalendarDay(day=key)
    row.working = working
    row.name = name.strip()
    session.add(row)
    session.flush()
    append_feed(session, FeedKind.CALENDAR_DAY, key, day_json(row))
    return row


def remove_day(session: Session, day: str) -> None:
    key = parse_day(day)
    row = session.get(CalendarDay, key)
    if row is None:
        raise ValueError(f"no calendar exception on {key}")
    session.delete(row)
    removed: CalendarDayPayload = {"day": key, "deleted": True}
    append_feed(session, FeedKind.CALENDAR_DAY, key, removed)


def list_days(session: Session) -> list[CalendarDay]:
    return list(session.scalars(select(CalendarDay).order_by(CalendarDay.day)))


def load_days(session: Session, path: Path) -> int:
    """Exceptions from a CSV file with columns ``day,working,name`` (``working``: 1/0, 上班/休)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    parsed: list[tuple[str, bool, str]] = []
    for line, row in enumerate(rows, start=2):
        flag = (row.get("working") or "").strip().lower()
        if flag not in _TRUE | _FALSE:
            raise ValueError(f"{path}:{line}: working must be 1 or 0 (上班 or 休), not {flag!r}")
        try:
            day = parse_day(row.get("day") or "")
        except ValueError as exc:
            raise ValueError(f"{path}:{line}: {exc}") from None
        parsed.append((day, flag in _TRUE, (row.get("name") or "").strip()))
    for day, working, name in parsed:  # all checked before any is stored
        set_day(session, day, working=working, name=name)
    return len(parsed)
