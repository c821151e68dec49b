"""Time-limit rules: how long a department has to handle a case, per category and urgency.

Admins manage them (here and with ``citypatrol-server time-limit``); supervisors and admins
read them; every change reaches every client through the change feed (kind ``time_limit``).
A rule without a category or an urgency applies to any; the most specific rule wins.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, status
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.domain.ids import new_id
from app.domain.lifecycle import Role
from app.domain.validation import Urgency
from server.deps import CurrentUser, SessionDep, require_role
from server.feed import append_feed, lock_feed
from server.models import TimeLimitRule, TimeLimitUnit
from server.refdata import current_taxonomy
from server.schemas import TIME_LIMIT_MAX, UUID_PATTERN, TimeLimitIn, TimeLimitOut

router = APIRouter(prefix="/api/v1", tags=["reference data"])
RuleId = Annotated[str, Path(min_length=36, max_length=36, pattern=UUID_PATTERN)]
_Responses = dict[int | str, dict[str, Any]]
_BAD: _Responses = {
    400: {"description": "the category is not a 管理事项 (matter) code of the category table"}
}
_MISSING: _Responses = {404: {"description": "no such rule"}}
_DUPLICATE: _Responses = {
    409: {"description": "a rule for this category and urgency exists already"}
}


class RuleError(ValueError):
    """A rule that cannot be stored; ``status_code`` is the HTTP status that says why."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


def rule_json(rule: TimeLimitRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "category_code": rule.category_code,
        "urgency": rule.urgency,
        "amount": rule.amount,
        "unit": rule.unit,
    }


def rule_for(
    session: Session, category_code: str | None, urgency: str | None
) -> TimeLimitRule | None:
    """The rule for a case: category and urgency, else category, else urgency, else the default."""
    candidates = session.scalars(
        select(TimeLimitRule).where(
            or_(
                TimeLimitRule.category_code.is_(None), TimeLimitRule.category_code == category_code
            ),
            or_(TimeLimitRule.urgency.is_(None), TimeLimitRule.urgency == urgency),
        )
    )
    return max(
        candidates,
        key=lambda r: (r.category_code is not None) * 2 + (r.urgency is not None),
        default=None,
    )


def _check(
    session: Session,
    category_code: str | None,
    urgency: str | None,
    amount: int,
    unit: str,
    *,
    rule_id: str | None = None,
) -> None:
    """Refuse a rule that is malformed or would duplicate another's category and urgency."""
    if category_code is not None and not current_taxonomy(session).is_case_category(category_code):
        raise RuleError(
            "category_code must be a 管理事项 (matter) code of the current category table",
            status.HTTP_400_BAD_REQUEST,
        )
    if urgency is not None and urgency not in {u.value for u in Urgency}:
        raise RuleError(
            f"urgency must be one of {', '.join(u.value for u in Urgency)}",
            status.HTTP_400_BAD_REQUEST,
        )
    if not 1 <= amount <= TIME_LIMIT_MAX:
        raise RuleError(f"amount must be from 1 to {TIME_LIMIT_MAX}", status.HTTP_400_BAD_REQUEST)
    if unit not in {u.value for u in TimeLimitUnit}:
        raise RuleError(
            f"unit must be one of {', '.join(u.value for u in TimeLimitUnit)}",
            status.HTTP_400_BAD_REQUEST,
        )
    # NULL never equals NULL in SQL, so "any category" is matched with IS NULL.
    same = select(TimeLimitRule.id).where(
        TimeLimitRule.category_code.is_(None)
        if category_code is None
        else TimeLimitRule.category_code == category_code,
        TimeLimitRule.urgency.is_(None) if urgency is None else TimeLimitRule.urgency == urgency,
    )
    if rule_id is not None:
        same = same.where(TimeLimitRule.id != rule_id)
    if session.scalar(same) is not None:
        raise RuleError(
            "a rule for this category and urgency exists already", status.HTTP_409_CONFLICT
        )


def _get(session: Session, rule_id: str) -> TimeLimitRule:
    rule = session.get(TimeLimitRule, rule_id)
    if rule is None:
        raise RuleError("no such time-limit rule", status.HTTP_404_NOT_FOUND)
    return rule


def add_rule(
    session: Session, category_code: str | None, urgency: str | None, amount: int, unit: str
) -> TimeLimitRule:
    lock_feed(session)  # writers of rules take turns, so two cannot add the same pair at once
    _check(session, category_code, urgency, amount, unit)
    rule = TimeLimitRule(
        id=new_id(), category_code=category_code, urgency=urgency, amount=amount, unit=unit
    )
    session.add(rule)
    session.flush()
    append_feed(session, "time_limit", rule.id, rule_json(rule))
    return rule


def change_rule(
    session: Session,
    rule_id: str,
    *,
    category_code: str | None,
    urgency: str | None,
    amount: int,
    unit: str,
) -> TimeLimitRule:
    lock_feed(session)
    rule = _get(session, rule_id)
    _check(session, category_code, urgency, amount, unit, rule_id=rule_id)
    rule.category_code, rule.urgency, rule.amount, rule.unit = category_code, urgency, amount, unit
    session.flush()
    append_feed(session, "time_limit", rule.id, rule_json(rule))
    return rule


def remove_rule(session: Session, rule_id: str) -> None:
    lock_feed(session)
    session.delete(_get(session, rule_id))
    session.flush()
    append_feed(session, "time_limit", rule_id, {"id": rule_id, "deleted": True})


def list_rules(session: Session) -> list[TimeLimitRule]:
    """Every rule, the general ones first, then by category and urgency."""
    rules = session.scalars(select(TimeLimitRule))
    return sorted(
        rules,
        key=lambda r: (
            r.category_code is not None,
            r.category_code or "",
            r.urgency is not None,
            r.urgency or "",
        ),
    )


def _out(rule: TimeLimitRule) -> TimeLimitOut:
    return TimeLimitOut.model_validate(rule_json(rule))


def _value(urgency: Urgency | None) -> str | None:
    return None if urgency is None else urgency.value


def _http(exc: RuleError) -> HTTPException:
    return HTTPException(exc.status_code, str(exc))


@router.get("/time-limits")
def get_time_limits(session: SessionDep, user: CurrentUser) -> list[TimeLimitOut]:
    """Every time-limit rule (supervisors and admins)."""
    require_role(user, Role.SUPERVISOR, Role.ADMIN)
    return [_out(r) for r in list_rules(session)]


@router.post("/time-limits", status_code=status.HTTP_201_CREATED, responses={**_BAD, **_DUPLICATE})
def create_time_limit(body: TimeLimitIn, session: SessionDep, user: CurrentUser) -> TimeLimitOut:
    """Add a rule (admins); one per category and urgency."""
    require_role(user, Role.ADMIN)
    try:
        rule = add_rule(
            session, body.category_code, _value(body.urgency), body.amount, body.unit.value
        )
    except RuleError as exc:
        raise _http(exc) from exc
    return _out(rule)


@router.put("/time-limits/{rule_id}", responses={**_BAD, **_MISSING, **_DUPLICATE})
def update_time_limit(
    rule_id: RuleId, body: TimeLimitIn, session: SessionDep, user: CurrentUser
) -> TimeLimitOut:
    """Replace a rule (admins)."""
    require_role(user, Role.ADMIN)
    try:
        rule = change_rule(
            session,
            rule_id,
            category_code=body.category_code,
            urgency=_value(body.urgency),
            amount=body.amount,
            unit=body.unit.value,
        )
    except RuleError as exc:
        raise _http(exc) from exc
    return _out(rule)


@router.delete("/time-limits/{rule_id}", status_code=status.HTTP_204_NO_CONTENT, responses=_MISSING)
def delete_time_limit(rule_id: RuleId, session: SessionDep, user: CurrentUser) -> None:
    """Remove a rule (admins)."""
    require_role(user, Role.ADMIN)
    try:
        remove_rule(session, rule_id)
    except RuleError as exc:
        raise _http(exc) from exc
