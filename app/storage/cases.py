"""The case-row helpers every write path shares, inside a session: find the case to change (or
say it is not there), refuse to edit one out of the inspector's hands, and keep its row of the
full-text index current. The store, its photo and query modules, the inbox, supervision and
the sync's ledger all use them.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.domain.errors import DomainError, Message
from app.domain.lifecycle import STATUS_NAMES, CaseStatus
from app.storage.models import Case
from app.storage.search import index_tokens


def not_editable(status: CaseStatus) -> DomainError:
    name = STATUS_NAMES[status]
    return DomainError(
        "not_editable",
        Message(
            f"案件状态为“{name.zh}”，不能修改",
            f"The case is {name.en.lower()} and can no longer be edited",
        ),
    )


def case_not_found(case_id: str) -> DomainError:
    return DomainError("not_found", Message(f"找不到案件 {case_id}", f"No case {case_id}"))


def require_case(s: Session, case_id: str) -> Case:
    """The case to change in this session; a :class:`DomainError` ``not_found`` if there is none."""
    case = s.scalar(select(Case).where(Case.id == case_id))
    if case is None:
        raise case_not_found(case_id)
    return case


def index_case(s: Session, case: Case) -> None:
    """(Re)write the case's row of the full-text index (after its text changed, or it arrived)."""
    s.execute(text("DELETE FROM case_search WHERE rowid = :pk"), {"pk": case.pk})
    s.execute(
        text("INSERT INTO case_search(rowid, grams) VALUES (:pk, :grams)"),
        {"pk": case.pk, "grams": index_tokens(case.description, case.address)},
    )
