"""Cases per 门前三包 responsibility unit, for the indicators and the bulletin.

A case carries the unit whose frontage holds its position (``cases.unit_id``, set when the
position is saved, or when a case arrives from the server: app.storage.grids). For a period, a
unit's figures are the cases reported in it (submitted within the period) inside its frontage:
how many, how many were closed (closed or evaluated), how many are still open (neither closed,
nor rejected or void). Units with no case in the period are left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import case, func, select

from app.domain.indicators import Period
from app.domain.lifecycle import CaseStatus
from app.storage.models import Case, ResponsibilityUnit

if TYPE_CHECKING:
    from app.storage.store import LocalStore

_CLOSED = (CaseStatus.CLOSED.value, CaseStatus.EVALUATED.value)
_DROPPED = (CaseStatus.REJECTED.value, CaseStatus.VOID.value)


@dataclass(frozen=True, slots=True)
class UnitCount:
    """One unit's cases reported in a period."""

    unit_id: str
    name: str
    letter_no: str
    contact: str
    reported: int
    closed: int
    open: int


def unit_counts(store: LocalStore, period: Period) -> list[UnitCount]:
    """Every unit with cases reported in ``period``, most cases first (then by name)."""
    closed = func.sum(case((Case.status.in_(_CLOSED), 1), else_=0))
    dropped = func.sum(case((Case.status.in_(_DROPPED), 1), else_=0))
    with store.read() as s:
        rows = s.execute(
            select(
                ResponsibilityUnit.id,
                ResponsibilityUnit.name,
                ResponsibilityUnit.letter_no,
                ResponsibilityUnit.contact,
                func.count(Case.id),
                closed,
                dropped,
            )
            .join(Case, Case.unit_id == ResponsibilityUnit.id)
            .where(Case.submitted_at >= period.start, Case.submitted_at < period.end)
            .group_by(ResponsibilityUnit.id)
        ).all()
    counts = [
        UnitCount(
            str(r[0]),
            str(r[1]),
            str(r[2]),
            str(r[3]),
            int(r[4]),
            int(r[5] or 0),
            int(r[4]) - int(r[5] or 0) - int(r[6] or 0),
        )
        for r in rows
    ]
    return sorted(counts, key=lambda c: (-c.reported, c.name))
