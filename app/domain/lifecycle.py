"""The case lifecycle — the closed loop from report to closure — as one state machine.

draft → submitted → accepted (受理) | rejected | returned (退回修改)
accepted → registered (立案) | void (作废)
registered → dispatched (派遣, department + deadline)
dispatched → handled (处置) | suspended (挂账) ; extend (延期) keeps it dispatched
handled → reinspecting (核查)
reinspecting → reinspection_passed | reinspection_failed
reinspection_passed → closed (结案);  reinspection_failed → dispatched (返工, same department)
closed → evaluated;  returned → submitted (after correction)

Every rule is in :data:`TRANSITIONS`; the client uses it to tell an offline inspector at once,
the server uses it as the authority. Errors carry a reason in Chinese and English.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.domain.errors import Message, TransitionError


class CaseStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RETURNED = "returned"
    REGISTERED = "registered"
    VOID = "void"
    DISPATCHED = "dispatched"
    SUSPENDED = "suspended"
    HANDLED = "handled"
    REINSPECTING = "reinspecting"
    REINSPECTION_PASSED = "reinspection_passed"
    REINSPECTION_FAILED = "reinspection_failed"
    CLOSED = "closed"
    EVALUATED = "evaluated"


STATUS_NAMES: dict[CaseStatus, Message] = {
    CaseStatus.DRAFT: Message("草稿", "Draft"),
    CaseStatus.SUBMITTED: Message("已上报", "Submitted"),
    CaseStatus.ACCEPTED: Message("已受理", "Accepted"),
    CaseStatus.REJECTED: Message("不予受理", "Rejected"),
    CaseStatus.RETURNED: Message("退回修改", "Returned for correction"),
    CaseStatus.REGISTERED: Message("已立案", "Registered"),
    CaseStatus.VOID: Message("已作废", "Void"),
    CaseStatus.DISPATCHED: Message("已派遣", "Dispatched"),
    CaseStatus.SUSPENDED: Message("挂账", "Suspended"),
    CaseStatus.HANDLED: Message("已处置", "Handled"),
    CaseStatus.REINSPECTING: Message("待核查", "Awaiting re-inspection"),
    CaseStatus.REINSPECTION_PASSED: Message("核查通过", "Re-inspection passed"),
    CaseStatus.REINSPECTION_FAILED: Message("核查未通过", "Re-inspection failed"),
    CaseStatus.CLOSED: Message("已结案", "Closed"),
    CaseStatus.EVALUATED: Message("已评价", "Evaluated"),
}

TERMINAL_STATUSES = frozenset({CaseStatus.REJECTED, CaseStatus.VOID, CaseStatus.EVALUATED})
#: Statuses in which the submitting inspector may still edit the case text.
INSPECTOR_EDITABLE = frozenset({CaseStatus.DRAFT, CaseStatus.RETURNED})


class Role(enum.StrEnum):
    INSPECTOR = "inspector"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    #: A department's handler (处置人员), bound to one department (issue 15).
    HANDLER = "handler"


ROLE_NAMES: dict[Role, Message] = {
    Role.INSPECTOR: Message("监督员", "Inspector"),
    Role.SUPERVISOR: Message("值班长", "Supervisor"),
    Role.ADMIN: Message("管理员", "Administrator"),
    Role.HANDLER: Message("处置人员", "Department handler"),
}


class Action(enum.StrEnum):
    SUBMIT = "submit"
    ACCEPT = "accept"
    REJECT = "reject"
    RETURN = "return"
    REGISTER = "register"
    VOID = "void"
    DISPATCH = "dispatch"
    EXTEND = "extend"
    SUSPEND = "suspend"
    RESUME = "resume"
    HANDLE = "handle"
    REQUEST_REINSPECTION = "request_reinspection"
    REINSPECT_PASS = "reinspect_pass"
    REINSPECT_FAIL = "reinspect_fail"
    CLOSE = "close"
    REWORK = "rework"
    EVALUATE = "evaluate"
    # -- departments in the loop (issue 15): a handler's steps and the supervisor's answers --
    SIGN_FOR = "sign_for"
    REQUEST_EXTENSION = "request_extension"
    REQUEST_RETURN = "request_return"
    REQUEST_SUSPENSION = "request_suspension"
    APPROVE_EXTENSION = "approve_extension"
    APPROVE_RETURN = "approve_return"
    APPROVE_SUSPENSION = "approve_suspension"
    REFUSE_REQUEST = "refuse_request"


ACTION_NAMES: dict[Action, Message] = {
    Action.SUBMIT: Message("上报", "submit"),
    Action.ACCEPT: Message("受理", "accept"),
    Action.REJECT: Message("不予受理", "reject"),
    Action.RETURN: Message("退回修改", "return for correction"),
    Action.REGISTER: Message("立案", "register"),
    Action.VOID: Message("作废", "void"),
    Action.DISPATCH: Message("派遣", "dispatch"),
    Action.EXTEND: Message("延期", "extend the deadline"),
    Action.SUSPEND: Message("挂账", "suspend"),
    Action.RESUME: Message("恢复", "resume"),
    Action.HANDLE: Message("处置反馈", "report as handled"),
    Action.REQUEST_REINSPECTION: Message("派发核查", "request re-inspection"),
    Action.REINSPECT_PASS: Message("核查通过", "pass the re-inspection"),
    Action.REINSPECT_FAIL: Message("核查不通过", "fail the re-inspection"),
    Action.CLOSE: Message("结案", "close"),
    Action.REWORK: Message("返工", "send back for rework"),
    Action.EVALUATE: Message("评价", "evaluate"),
    Action.SIGN_FOR: Message("签收", "sign for the task"),
    Action.REQUEST_EXTENSION: Message("延期申请", "ask for an extension"),
    Action.REQUEST_RETURN: Message("退回申请", "ask to return the case as not the department's"),
    Action.REQUEST_SUSPENSION: Message("挂账申请", "ask for suspension"),
    Action.APPROVE_EXTENSION: Message("批准延期", "approve the extension"),
    Action.APPROVE_RETURN: Message("批准退回", "approve the return"),
    Action.APPROVE_SUSPENSION: Message("批准挂账", "approve the suspension"),
    Action.REFUSE_REQUEST: Message("驳回申请", "refuse the request"),
}


class RequestKind(enum.StrEnum):
    """A handler's request that waits for a supervisor (at most one per case at a time)."""

    EXTENSION = "extension"  # 延期申请: a reason and a proposed deadline
    RETURN = "return"  # 退回申请: not the department's case
    SUSPENSION = "suspension"  # 挂账申请: cannot be handled for now


REQUEST_NAMES: dict[RequestKind, Message] = {
    RequestKind.EXTENSION: Message("延期申请", "Extension request"),
    RequestKind.RETURN: Message("退回申请", "Return request"),
    RequestKind.SUSPENSION: Message("挂账申请", "Suspension request"),
}
#: The action that asks for each kind of request, and the one that approves it.
REQUEST_OF_ACTION: dict[Action, RequestKind] = {
    Action.REQUEST_EXTENSION: RequestKind.EXTENSION,
    Action.REQUEST_RETURN: RequestKind.RETURN,
    Action.REQUEST_SUSPENSION: RequestKind.SUSPENSION,
}
APPROVAL_OF_REQUEST: dict[RequestKind, Action] = {
    RequestKind.EXTENSION: Action.APPROVE_EXTENSION,
    RequestKind.RETURN: Action.APPROVE_RETURN,
    RequestKind.SUSPENSION: Action.APPROVE_SUSPENSION,
}
#: A supervisor's answers to a handler's request.
ANSWERS = frozenset({*APPROVAL_OF_REQUEST.values(), Action.REFUSE_REQUEST})


@dataclass(frozen=True, slots=True)
class TransitionRequest:
    """Everything a transition may need; which fields are required depends on the action."""

    action: Action
    role: Role
    opinion: str = ""
    department_id: str | None = None
    deadline: datetime | None = None
    assignee_id: str | None = None
    current_deadline: datetime | None = None
    current_department_id: str | None = None
    #: The handler's department (a handler acts only on its department's cases).
    actor_department_id: str | None = None
    #: The request waiting for a supervisor on the case, if any.
    current_request: RequestKind | None = None
    #: Whether the department has signed for the current dispatch (签收).
    current_signed: bool = False
    #: The "after" photos a handler's report of handling carries (their ids).
    photo_ids: tuple[str, ...] = ()
    #: How many "after" photos a handler's report of handling needs (configurable; 0: none).
    photos_required: int = 1


Requirement = Callable[[TransitionRequest], Message | None]


def _needs_opinion(req: TransitionRequest) -> Message | None:
    if req.opinion.strip():
        return None
    name = ACTION_NAMES[req.action]
    return Message(f"“{name.zh}”需要填写意见", f"To {name.en} you must give an opinion")


def _naive(value: datetime | None) -> bool:
    return value is not None and value.tzinfo is None


_NAIVE_DEADLINE = Message("处置时限缺少时区", "The deadline has no time zone")


def _needs_department_and_deadline(req: TransitionRequest) -> Message | None:
    if not (req.department_id or "").strip():
        return Message("派遣需要指定处置部门", "Dispatch needs a responsible department")
    if req.deadline is None:
        return Message("派遣需要处置时限", "Dispatch needs a deadline")
    return _NAIVE_DEADLINE if _naive(req.deadline) else None


def _needs_later_deadline(req: TransitionRequest) -> Message | None:
    if req.deadline is None:
        return Message("延期需要新的处置时限", "Extending needs a new deadline")
    if _naive(req.deadline) or _naive(req.current_deadline):
        return _NAIVE_DEADLINE
    if req.current_deadline is not None and req.deadline <= req.current_deadline:
        return Message(
            "新的时限必须晚于原时限", "The new deadline must be later than the current one"
        )
    return None


def _needs_assignee(req: TransitionRequest) -> Message | None:
    if (req.assignee_id or "").strip():
        return None
    return Message("核查需要指定监督员", "Re-inspection needs an inspector to do it")


def _needs_deadline(req: TransitionRequest) -> Message | None:
    if req.deadline is None:
        return Message("返工需要新的处置时限", "Rework needs a new deadline")
    return _NAIVE_DEADLINE if _naive(req.deadline) else None


# -- a handler's requirements (issue 15) ----------------------------------------------------


def _own_department(req: TransitionRequest) -> Message | None:
    """A handler acts only on a case dispatched to its own department (others are supervisors')."""
    if req.role is not Role.HANDLER:
        return None
    if req.actor_department_id and req.actor_department_id == req.current_department_id:
        return None
    return Message("该案件未派遣给您的部门", "The case is not dispatched to your department")


def _not_signed_yet(req: TransitionRequest) -> Message | None:
    if req.current_signed:
        return Message("该任务已签收", "The task is signed for already")
    return None


def _signed_first(req: TransitionRequest) -> Message | None:
    """A handler signs for a task (签收) before reporting on it or asking anything about it."""
    if req.role is Role.HANDLER and not req.current_signed:
        return Message("请先签收该任务", "Sign for the task first")
    return None


def _needs_after_photos(req: TransitionRequest) -> Message | None:
    if req.role is not Role.HANDLER or len(req.photo_ids) >= req.photos_required:
        return None
    return Message(
        f"处置反馈需要至少 {req.photos_required} 张处置后照片",
        f"Reporting as handled needs at least {req.photos_required} “after” photo(s)",
    )


def _no_open_request(req: TransitionRequest) -> Message | None:
    if req.current_request is None:
        return None
    name = REQUEST_NAMES[req.current_request]
    return Message(
        f"已有待审批的{name.zh}", f"A {name.en.lower()} is already waiting for a supervisor"
    )


def _open_request(kind: RequestKind | None) -> Requirement:
    """The answer needs a waiting request (of ``kind``; None: any kind)."""

    def check(req: TransitionRequest) -> Message | None:
        if req.current_request is None:
            return Message("没有待审批的申请", "There is no request waiting for a decision")
        if kind is not None and req.current_request is not kind:
            asked = REQUEST_NAMES[req.current_request]
            return Message(f"待审批的是{asked.zh}", f"The request waiting is a {asked.en.lower()}")
        return None

    return check


@dataclass(frozen=True, slots=True)
class Transition:
    action: Action
    sources: frozenset[CaseStatus]
    target: CaseStatus
    roles: frozenset[Role]
    requirements: tuple[Requirement, ...] = ()


def _t(
    action: Action,
    sources: set[CaseStatus],
    target: CaseStatus,
    roles: set[Role],
    *requirements: Requirement,
) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(roles), requirements)


S = CaseStatus
INSPECTOR = {Role.INSPECTOR}
SUPERVISOR = {Role.SUPERVISOR}
HANDLER = {Role.HANDLER}

#: Departments in the loop (issue 15): a handler signs for a dispatched task and asks for an
#: extension, a return or a suspension; a supervisor approves or refuses the request. The case
#: stays dispatched while a request waits; what an approval changes is app.domain.decisions'.
HANDLER_TRANSITIONS = (
    _t(Action.SIGN_FOR, {S.DISPATCHED}, S.DISPATCHED, HANDLER, _own_department, _not_signed_yet),
    _t(
        Action.REQUEST_EXTENSION,
        {S.DISPATCHED},
        S.DISPATCHED,
        HANDLER,
        _own_department,
        _signed_first,
        _no_open_request,
        _needs_opinion,
        _needs_later_deadline,
    ),
    *(
        _t(
            action,
            {S.DISPATCHED},
            S.DISPATCHED,
            HANDLER,
            _own_department,
            _signed_first,
            _no_open_request,
            _needs_opinion,
        )
        for action in (Action.REQUEST_RETURN, Action.REQUEST_SUSPENSION)
    ),
    _t(
        Action.APPROVE_EXTENSION,
        {S.DISPATCHED},
        S.DISPATCHED,
        SUPERVISOR,
        _open_request(RequestKind.EXTENSION),
    ),
    _t(
        Action.APPROVE_RETURN,
        {S.DISPATCHED},
        S.REGISTERED,
        SUPERVISOR,
        _open_request(RequestKind.RETURN),
    ),
    _t(
        Action.APPROVE_SUSPENSION,
        {S.DISPATCHED},
        S.SUSPENDED,
        SUPERVISOR,
        _open_request(RequestKind.SUSPENSION),
    ),
    _t(
        Action.REFUSE_REQUEST,
        {S.DISPATCHED},
        S.DISPATCHED,
        SUPERVISOR,
        _open_request(None),
        _needs_opinion,
    ),
)

TRANSITIONS: dict[Action, Transition] = {
    t.action: t
    for t in (
        _t(Action.SUBMIT, {S.DRAFT, S.RETURNED}, S.SUBMITTED, INSPECTOR),
        _t(Action.ACCEPT, {S.SUBMITTED}, S.ACCEPTED, SUPERVISOR),
        _t(Action.REJECT, {S.SUBMITTED}, S.REJECTED, SUPERVISOR, _needs_opinion),
        _t(Action.RETURN, {S.SUBMITTED}, S.RETURNED, SUPERVISOR, _needs_opinion),
        _t(Action.REGISTER, {S.ACCEPTED}, S.REGISTERED, SUPERVISOR),
        _t(Action.VOID, {S.ACCEPTED, S.REGISTERED}, S.VOID, SUPERVISOR, _needs_opinion),
        _t(
            Action.DISPATCH,
            {S.REGISTERED},
            S.DISPATCHED,
            SUPERVISOR,
            _needs_department_and_deadline,
        ),
        _t(
            Action.EXTEND,
            {S.DISPATCHED},
            S.DISPATCHED,
            SUPERVISOR,
            _needs_opinion,
            _needs_later_deadline,
        ),
        _t(Action.SUSPEND, {S.DISPATCHED}, S.SUSPENDED, SUPERVISOR, _needs_opinion),
        _t(Action.RESUME, {S.SUSPENDED}, S.DISPATCHED, SUPERVISOR),
        _t(
            Action.HANDLE,
            {S.DISPATCHED},
            S.HANDLED,
            SUPERVISOR | HANDLER,
            _own_department,
            _signed_first,
            _needs_opinion,
            _needs_after_photos,
        ),
        _t(Action.REQUEST_REINSPECTION, {S.HANDLED}, S.REINSPECTING, SUPERVISOR, _needs_assignee),
        _t(Action.REINSPECT_PASS, {S.REINSPECTING}, S.REINSPECTION_PASSED, INSPECTOR),
        _t(
            Action.REINSPECT_FAIL,
            {S.REINSPECTING},
            S.REINSPECTION_FAILED,
            INSPECTOR,
            _needs_opinion,
        ),
        _t(Action.CLOSE, {S.REINSPECTION_PASSED}, S.CLOSED, SUPERVISOR),
        _t(
            Action.REWORK,
            {S.REINSPECTION_FAILED},
            S.DISPATCHED,
            SUPERVISOR,
            _needs_opinion,
            _needs_deadline,
        ),
        _t(Action.EVALUATE, {S.CLOSED}, S.EVALUATED, SUPERVISOR),
        *HANDLER_TRANSITIONS,
    )
}


class Need(enum.StrEnum):
    """A field of a :class:`TransitionRequest` that an action cannot do without."""

    OPINION = "opinion"
    DEPARTMENT = "department"
    DEADLINE = "deadline"
    ASSIGNEE = "assignee"
    #: "After" photos (a handler's report of handling; how many is configurable).
    PHOTOS = "photos"


#: What each action needs filled in, as data: the screens read it to show and require exactly
#: these fields, and :func:`apply_transition` refuses a request that lacks one of them. (The
#: requirements of :data:`TRANSITIONS` say the same with their own words, and check more: a
#: deadline with a time zone, an extension later than the current deadline.) Actions not
#: listed need nothing.
NEEDS: dict[Action, frozenset[Need]] = {
    Action.REJECT: frozenset({Need.OPINION}),
    Action.RETURN: frozenset({Need.OPINION}),
    Action.VOID: frozenset({Need.OPINION}),
    Action.DISPATCH: frozenset({Need.DEPARTMENT, Need.DEADLINE}),
    Action.EXTEND: frozenset({Need.OPINION, Need.DEADLINE}),
    Action.SUSPEND: frozenset({Need.OPINION}),
    Action.HANDLE: frozenset({Need.OPINION}),
    Action.REQUEST_REINSPECTION: frozenset({Need.ASSIGNEE}),
    Action.REINSPECT_FAIL: frozenset({Need.OPINION}),
    Action.REWORK: frozenset({Need.OPINION, Need.DEADLINE}),
    # Departments in the loop (issue 15).
    Action.REQUEST_EXTENSION: frozenset({Need.OPINION, Need.DEADLINE}),
    Action.REQUEST_RETURN: frozenset({Need.OPINION}),
    Action.REQUEST_SUSPENSION: frozenset({Need.OPINION}),
    Action.REFUSE_REQUEST: frozenset({Need.OPINION}),
}
#: What an action needs when a given role takes it, where that differs from :data:`NEEDS`: a
#: department's report of handling carries its "after" photos (as many as configured).
ROLE_NEEDS: dict[tuple[Action, Role], frozenset[Need]] = {
    (Action.HANDLE, Role.HANDLER): frozenset({Need.OPINION, Need.PHOTOS}),
}


def needs(action: Action, role: Role | None = None) -> frozenset[Need]:
    """What ``action`` needs filled in (:data:`NEEDS`, or :data:`ROLE_NEEDS` for ``role``;
    empty for an action that needs nothing)."""
    if role is not None and (action, role) in ROLE_NEEDS:
        return ROLE_NEEDS[action, role]
    return NEEDS.get(action, frozenset())


def actions_needing(need: Need) -> frozenset[Action]:
    """The actions that need ``need`` (those that ask for an opinion, a deadline …)."""
    return frozenset(action for action, wanted in NEEDS.items() if need in wanted)


def missing_needs(request: TransitionRequest) -> list[Need]:
    """The needs of the request's action that it leaves empty, in :class:`Need` order."""
    present = {
        Need.OPINION: bool(request.opinion.strip()),
        Need.DEPARTMENT: bool((request.department_id or "").strip()),
        Need.DEADLINE: request.deadline is not None,
        Need.ASSIGNEE: bool((request.assignee_id or "").strip()),
        Need.PHOTOS: len(request.photo_ids) >= request.photos_required,
    }
    wanted = needs(request.action, request.role)
    return [need for need in Need if need in wanted and not present[need]]


#: TransitionError codes that mean "not from this status" (a conflict with the case's state), as
#: opposed to a role that may not act or a missing requirement.
STATE_ERRORS = frozenset({"invalid_transition", "close_needs_passed_reinspection"})


def apply_transition(status: CaseStatus, request: TransitionRequest) -> CaseStatus:
    """The status a case in ``status`` moves to under ``request``.

    Raises :class:`TransitionError` with a readable reason when the action is not allowed
    from this status, not allowed for this role, or lacks what it needs.
    """
    transition = TRANSITIONS[request.action]
    action_name = ACTION_NAMES[request.action]
    status_name = STATUS_NAMES[status]
    if status not in transition.sources:
        if request.action is Action.CLOSE:
            raise TransitionError(
                "close_needs_passed_reinspection",
                Message(
                    f"结案需要核查通过，案件当前状态为“{status_name.zh}”",
                    f"Closing needs a passed re-inspection; the case is {status_name.en.lower()}",
                ),
            )
        raise TransitionError(
            "invalid_transition",
            Message(
                f"案件状态为“{status_name.zh}”，不能{action_name.zh}",
                f"Cannot {action_name.en}: the case is {status_name.en.lower()}",
            ),
        )
    if request.role not in transition.roles:
        role_name = ROLE_NAMES[request.role]
        raise TransitionError(
            "role_not_allowed",
            Message(
                f"{role_name.zh}无权{action_name.zh}",
                f"The {role_name.en.lower()} role may not {action_name.en}",
            ),
        )
    for requirement in transition.requirements:
        problem = requirement(request)
        if problem is not None:
            raise TransitionError("missing_requirement", problem)
    # The same needs as data (what the screens require): the requirements above say why in
    # their own words; this holds the table to them, so the two can never disagree silently.
    missing = missing_needs(request)
    if missing:
        fields = "、".join(missing)
        raise TransitionError(
            "missing_requirement",
            Message(f"{action_name.zh}缺少：{fields}", f"To {action_name.en} give: {fields}"),
        )
    return transition.target


def allowed_actions(status: CaseStatus, role: Role) -> list[Action]:
    """The actions ``role`` may take on a case in ``status`` (requirements not yet checked)."""
    return [a for a, t in TRANSITIONS.items() if status in t.sources and role in t.roles]
