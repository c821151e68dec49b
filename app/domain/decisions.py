"""What a supervisor's decision does to a case, computed once for client and server.

The client applies a decision to its local copy at once (an offline supervisor sees the result
and works on); the server applies it as the authority. Both call :func:`decide` with the case's
current assignment and the request, so the two can never disagree on what changes: the status
(from :mod:`app.domain.lifecycle`), the deadline (dispatch, extend and rework set it), the
department (dispatch) and the re-inspecting inspector (a re-inspection request). Both also
refuse an unknown department or assignee with the same reasons (:func:`check_parties`): the
lookups themselves are the caller's, as this module touches no database.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from app.domain.errors import DomainError, Message
from app.domain.lifecycle import (
    ANSWERS,
    REQUEST_OF_ACTION,
    Action,
    CaseStatus,
    RequestKind,
    TransitionRequest,
    apply_transition,
)

#: Actions that set the case's deadline (when one is given).
SETS_DEADLINE = frozenset({Action.DISPATCH, Action.EXTEND, Action.REWORK})

UNKNOWN_DEPARTMENT = Message("没有这个处置部门", "There is no such department")
NOT_AN_INSPECTOR = Message(
    "核查人必须是在岗的监督员", "The re-inspection needs an active inspector"
)


class DecisionError(DomainError):
    """A decision that cannot be taken (unknown department, not an inspector …)."""


@dataclass(frozen=True, slots=True)
class Assignment:
    """The parts of a case a decision may change."""

    status: CaseStatus
    department_id: str | None
    deadline: datetime | None
    assignee_id: str | None
    #: Departments in the loop (issue 15): the handler's request waiting for a supervisor, the
    #: deadline an extension request proposes, and whether the department signed for the task.
    request: RequestKind | None = None
    requested_deadline: datetime | None = None
    signed: bool = False


#: Actions that hand the case to a department anew: it signs for it again (签收).
NEW_DISPATCH = frozenset({Action.DISPATCH, Action.REWORK})


def check_parties(
    request: TransitionRequest,
    *,
    department_active: bool,
    assignee_active_inspector: bool,
) -> None:
    """Refuse a decision naming a department that is not an active one, or an assignee that is
    not an active inspector (each fact is only looked at when the request names one)."""
    if request.department_id is not None and not department_active:
        raise DecisionError("unknown_department", UNKNOWN_DEPARTMENT)
    if request.assignee_id is not None and not assignee_active_inspector:
        raise DecisionError("not_an_inspector", NOT_AN_INSPECTOR)


def decide(current: Assignment, request: TransitionRequest) -> Assignment:
    """The case's assignment after ``request``; raises TransitionError (lifecycle) if refused.

    ``request.current_deadline``, ``current_department_id``, ``current_request`` and
    ``current_signed`` are taken from ``current``.
    """
    request = replace(
        request,
        current_deadline=current.deadline,
        current_department_id=current.department_id,
        current_request=current.request,
        current_signed=current.signed,
    )
    target = apply_transition(current.status, request)
    action = request.action
    deadline = current.deadline
    if action in SETS_DEADLINE and request.deadline is not None:
        deadline = request.deadline
    department = request.department_id if action is Action.DISPATCH else current.department_id
    assignee = request.assignee_id if action is Action.REQUEST_REINSPECTION else current.assignee_id
    pending, proposed, signed = current.request, current.requested_deadline, current.signed
    if action in REQUEST_OF_ACTION:
        pending = REQUEST_OF_ACTION[action]
        proposed = request.deadline if action is Action.REQUEST_EXTENSION else None
    elif action is Action.SIGN_FOR:
        signed = True
    if action is Action.APPROVE_EXTENSION:
        deadline = current.requested_deadline
    if action is Action.APPROVE_RETURN:
        # Back to the command centre for re-dispatch: no department, no deadline.
        department, deadline = None, None
    if target is not CaseStatus.DISPATCHED or action in ANSWERS:
        # A request is answered, or the case left the department's hands: nothing waits now.
        pending, proposed = None, None
    if action in NEW_DISPATCH or target is CaseStatus.REGISTERED:
        signed = False  # a new dispatch (or back for re-dispatch): the department signs anew
    return Assignment(target, department, deadline, assignee, pending, proposed, signed)
