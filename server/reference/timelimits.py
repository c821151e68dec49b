"""Time-limit rules: how long a department has to handle a case, per category and urgency.

Admins manage them (through server.reference.router and with ``citypatrol-server time-limit``);
supervisors and admins read them; every change reaches every client through the change feed
(kind ``time_limit``).
A rule without a category or an urgency applies to any; the most specific rule wins.
"""

from __future__ import annotations

from http import HTTPStatus

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from app.domain.contract import FeedKind, TimeLimitPayload
from app.domain.errors import Message
from app.domain.ids import new_id
from app.domain.validation import Urgency
from server.feed import append_feed, lock_feed
from server.models import TimeLimitRule, TimeLimitUnit
from server.reference.taxonomy import current_taxonomy
from server.schemas import TIME_LIMIT_MAX


class RuleError(ValueError):
    """A rule that cannot be stored: a stable ``code``, the reason in both languages (the
    English one is the exception's text, for the command line) and the HTTP status."""

    def __init__(self, code: str, message: Message, status_code: int) -> None:
        super().__init__(message.en)
        self.code = code
        self.message = message
        self.status_code = status_code


def rule_json(rule: TimeLimitRule) -> TimeLimitPayload:
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
            "bad_category",
            Message(
                "类别必须是当前类别表中的管理事项代码",
                "category_code must be a 管理事项 (matter) code of the current category table",
            ),
            HTTPStatus.BAD_REQUEST,
        )
    if urgency is not None and urgency not in {u.value for u in Urgency}:
        choices = ", ".join(u.value for u in Urgency)
        raise RuleError(
            "bad_urgency",
            Message(f"紧急程度必须是 {choices} 之一", f"urgency must be one of {choices}"),
            HTTPStatus.BAD_REQUEST,
        )
    if not 1 <= amount <= TIME_LIMIT_MAX:
        raise RuleError(
            "bad_amount",
            Message(
                f"时限数值必须在 1 到 {TIME_LIMIT_MAX} 之间",
                f"amount must be from 1 to {TIME_LIMIT_MAX}",
            ),
            HTTPStatus.BAD_REQUEST,
        )
    if unit not in {u.value for u in TimeLimitUnit}:
        units = ", ".join(u.value for u in TimeLimitUnit)
        raise RuleError(
            "bad_unit",
            Message(f"时限单位必须是 {units} 之一", f"unit must be one of {units}"),
            HTTPStatus.BAD_REQUEST,
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
            "duplicate_rule",
            Message(
                "该类别和紧急程度的时限规则已存在",
                "a rule for this category and urgency exists already",
            ),
            HTTPStatus.CONFLICT,
        )


def _get(session: Session, rule_id: str) -> TimeLimitRule:
    rule = session.get(TimeLimitRule, rule_id)
    if rule is None:
        raise RuleError(
            "no_rule",
            Message("没有这条时限规则", "no such time-limit rule"),
            HTTPStatus.NOT_FOUND,
        )
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
    append_feed(session, FeedKind.TIME_LIMIT, rule.id, rule_json(rule))
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
    append_feed(session, FeedKind.TIME_LIMIT, rule.id, rule_json(rule))
    return rule


def remove_rule(session: Session, rule_id: str) -> None:
    lock_feed(session)
    session.delete(_get(session, rule_id))
    session.flush()
    removed: TimeLimitPayload = {"id": rule_id, "deleted": True}
    append_feed(session, FeedKind.TIME_LIMIT, rule_id, removed)


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
