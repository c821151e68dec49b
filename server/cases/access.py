"""Who may see and act on a case: every rule of the case domain in one place.

Routes call these instead of restating a role check (issue 15 adds a department-bound handler
role: its rules are added here).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.lifecycle import TRANSITIONS, Action, CaseStatus, Role
from server.deps import require_role
from server.errors import ApiError, refuse
from server.models import Case, User
from server.schemas import UUID_PATTERN

#: Case ids are UUIDs; anything else is refused before it reaches the database.
CaseId = Annotated[str, Path(min_length=36, max_length=36, pattern=UUID_PATTERN)]
#: Inspectors' own actions: they travel through ``/cases/push``, not the actions endpoint.
INSPECTOR_ACTIONS = frozenset({Action.SUBMIT, Action.REINSPECT_PASS, Action.REINSPECT_FAIL})


def no_such_case() -> ApiError:
    # Someone else's case is "not found" too: its existence is not revealed.
    return refuse(status.HTTP_404_NOT_FOUND, "no_such_case", "没有这个案件", "no such case")


def may_see(user: User, case: Case) -> bool:
    if user.role in (Role.SUPERVISOR.value, Role.ADMIN.value):
        return case.status != CaseStatus.DRAFT.value  # drafts stay private to their inspector
    if user.role == Role.HANDLER.value:
        return handler_sees(user.department_id, case)
    return user.id in (case.author_id, case.assignee_id)


def handler_sees(department_id: str | None, case: Case) -> bool:
    """A handler sees the cases dispatched to its department, and nothing else (issue 15)."""
    return (
        department_id is not None
        and case.department_id == department_id
        and case.status != CaseStatus.DRAFT.value
    )


def visible_case(session: Session, user: User, case_id: str) -> Case:
    """The case, or 404 when there is none this user may see."""
    case = session.get(Case, case_id)
    if case is None or not may_see(user, case):
        raise no_such_case()
    return case


def locked_visible_case(session: Session, user: User, case_id: str) -> Case:
    """As :func:`visible_case`, the row locked FOR NO KEY UPDATE (the lock order of
    server.feed: the case row now, the feed lock only when the feed entries are appended)."""
    case = session.scalar(select(Case).where(Case.id == case_id).with_for_update(key_share=True))
    if case is None or not may_see(user, case):
        raise no_such_case()
    return case


def require_pusher(user: User) -> None:
    """Only inspectors push case changes."""
    require_role(user, Role.INSPECTOR)


def require_decider(user: User, action: Action) -> None:
    """Decisions are a supervisor's, and a handler's own steps (sign for, handled, requests:
    the state machine says which); an inspector's own actions travel through the push."""
    if action in INSPECTOR_ACTIONS:
        raise refuse(
            status.HTTP_403_FORBIDDEN,
            "use_push",
            "监督员的操作请通过 /api/v1/cases/push 发送",
            "inspectors send this action through /api/v1/cases/push",
        )
    if user.role == Role.HANDLER.value and Role.HANDLER not in TRANSITIONS[action].roles:
        require_role(user, Role.SUPERVISOR)  # 403: a supervisor's decision
    require_role(user, Role.SUPERVISOR, Role.HANDLER)


def listing_scope(user: User) -> tuple[bool, str | None]:
    """Which cases a listing shows: ``(drafts excluded, only this user's)`` (a handler's
    listing is further limited to its department's cases by the route)."""
    if user.role == Role.INSPECTOR.value:
        return False, user.id
    return True, None
