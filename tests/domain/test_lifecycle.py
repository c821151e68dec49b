"""The case lifecycle: the closed loop from report to evaluation, who may act, and what it needs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from app.domain.errors import TransitionError
from app.domain.lifecycle import (
    TERMINAL_STATUSES,
    Action,
    CaseStatus,
    Need,
    RequestKind,
    Role,
    TransitionRequest,
    actions_needing,
    allowed_actions,
    apply_transition,
    missing_needs,
    needs,
)

S = CaseStatus
A = Action
INSPECTOR = Role.INSPECTOR
SUPERVISOR = Role.SUPERVISOR
ADMIN = Role.ADMIN
HANDLER = Role.HANDLER

# The lifecycle as the product brief describes it, written out by hand so that a change to
# TRANSITIONS has to be matched here: (status, action) -> (new status, the only role that may act).
EXPECTED: dict[tuple[CaseStatus, Action], tuple[CaseStatus, Role]] = {
    (S.DRAFT, A.SUBMIT): (S.SUBMITTED, INSPECTOR),
    (S.RETURNED, A.SUBMIT): (S.SUBMITTED, INSPECTOR),
    (S.SUBMITTED, A.ACCEPT): (S.ACCEPTED, SUPERVISOR),
    (S.SUBMITTED, A.REJECT): (S.REJECTED, SUPERVISOR),
    (S.SUBMITTED, A.RETURN): (S.RETURNED, SUPERVISOR),
    (S.ACCEPTED, A.REGISTER): (S.REGISTERED, SUPERVISOR),
    (S.ACCEPTED, A.VOID): (S.VOID, SUPERVISOR),
    (S.REGISTERED, A.VOID): (S.VOID, SUPERVISOR),
    (S.REGISTERED, A.DISPATCH): (S.DISPATCHED, SUPERVISOR),
    (S.DISPATCHED, A.EXTEND): (S.DISPATCHED, SUPERVISOR),
    (S.DISPATCHED, A.SUSPEND): (S.SUSPENDED, SUPERVISOR),
    (S.DISPATCHED, A.HANDLE): (S.HANDLED, SUPERVISOR),
    (S.SUSPENDED, A.RESUME): (S.DISPATCHED, SUPERVISOR),
    (S.HANDLED, A.REQUEST_REINSPECTION): (S.REINSPECTING, SUPERVISOR),
    (S.REINSPECTING, A.REINSPECT_PASS): (S.REINSPECTION_PASSED, INSPECTOR),
    (S.REINSPECTING, A.REINSPECT_FAIL): (S.REINSPECTION_FAILED, INSPECTOR),
    (S.REINSPECTION_PASSED, A.CLOSE): (S.CLOSED, SUPERVISOR),
    (S.REINSPECTION_FAILED, A.REWORK): (S.DISPATCHED, SUPERVISOR),
    (S.CLOSED, A.EVALUATE): (S.EVALUATED, SUPERVISOR),
    # Departments in the loop (issue 15).
    (S.DISPATCHED, A.SIGN_FOR): (S.DISPATCHED, HANDLER),
    (S.DISPATCHED, A.REQUEST_EXTENSION): (S.DISPATCHED, HANDLER),
    (S.DISPATCHED, A.REQUEST_RETURN): (S.DISPATCHED, HANDLER),
    (S.DISPATCHED, A.REQUEST_SUSPENSION): (S.DISPATCHED, HANDLER),
    (S.DISPATCHED, A.APPROVE_EXTENSION): (S.DISPATCHED, SUPERVISOR),
    (S.DISPATCHED, A.APPROVE_RETURN): (S.REGISTERED, SUPERVISOR),
    (S.DISPATCHED, A.APPROVE_SUSPENSION): (S.SUSPENDED, SUPERVISOR),
    (S.DISPATCHED, A.REFUSE_REQUEST): (S.DISPATCHED, SUPERVISOR),
}
#: A second role that may take the same step: a department reports its own handling.
ALSO: dict[tuple[CaseStatus, Action], Role] = {(S.DISPATCHED, A.HANDLE): HANDLER}


def may_act(status: CaseStatus, action: Action, role: Role) -> bool:
    expected = EXPECTED.get((status, action))
    return expected is not None and (role is expected[1] or ALSO.get((status, action)) is role)


def context(action: Action, role: Role) -> dict[str, object]:
    """The case's state an action presupposes (not what the user fills in): a handler acts on
    its department's signed-for task; an answer needs the request it answers."""
    fields: dict[str, object] = {}
    if role is HANDLER:
        fields |= {"actor_department_id": "dept-sanitation"}
        fields |= {"current_department_id": "dept-sanitation", "photo_ids": ("p1",)}
        fields["current_signed"] = action is not A.SIGN_FOR
    answered = {
        A.APPROVE_EXTENSION: RequestKind.EXTENSION,
        A.APPROVE_RETURN: RequestKind.RETURN,
        A.APPROVE_SUSPENSION: RequestKind.SUSPENSION,
        A.REFUSE_REQUEST: RequestKind.RETURN,
    }
    if action in answered:
        fields["current_request"] = answered[action]
    return fields


NEEDS_OPINION = [
    A.REJECT,
    A.RETURN,
    A.VOID,
    A.SUSPEND,
    A.HANDLE,
    A.REINSPECT_FAIL,
    A.EXTEND,
    A.REWORK,
    A.REQUEST_EXTENSION,
    A.REQUEST_RETURN,
    A.REQUEST_SUSPENSION,
    A.REFUSE_REQUEST,
]
NEEDS_NOTHING = [
    A.SUBMIT,
    A.ACCEPT,
    A.REGISTER,
    A.RESUME,
    A.REINSPECT_PASS,
    A.CLOSE,
    A.EVALUATE,
    A.SIGN_FOR,
    A.APPROVE_EXTENSION,
    A.APPROVE_RETURN,
    A.APPROVE_SUSPENSION,
]

NOW = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
DEADLINE = NOW + timedelta(days=3)
CJK = re.compile(r"[\u4e00-\u9fff]")


def complete(action: Action, role: Role, **overrides: object) -> TransitionRequest:
    """A request that carries everything any action could need (unless overridden)."""
    fields: dict[object, object] = {
        "opinion": "现场核实：垃圾已清运",
        "department_id": "dept-sanitation",
        "deadline": DEADLINE,
        "current_deadline": NOW + timedelta(days=1),
        "assignee_id": "inspector-007",
        "current_department_id": "dept-sanitation",
    }
    fields.update(context(action, role))
    fields.update(overrides)
    return TransitionRequest(action, role, **fields)  # type: ignore[arg-type]


def bare(action: Action, role: Role) -> TransitionRequest:
    """A request with nothing but the action, the role and the case's state it presupposes."""
    return TransitionRequest(action, role, **context(action, role))  # type: ignore[arg-type]


def refusal(status: CaseStatus, request: TransitionRequest) -> TransitionError:
    with pytest.raises(TransitionError) as caught:
        apply_transition(status, request)
    return caught.value


def assert_readable_in_both_languages(error: TransitionError) -> None:
    zh, en = error.text("zh_CN"), error.text("en")
    assert CJK.search(zh), f"zh message has no Chinese: {zh!r}"
    assert en.isascii(), f"en message is not ASCII: {en!r}"
    assert re.search(r"[A-Za-z]{3,} [A-Za-z]{2,}", en), f"en message is not English words: {en!r}"
    assert error.text("zh") == zh
    assert error.text("en_US") == en


def walk(status: CaseStatus, *steps: TransitionRequest) -> list[CaseStatus]:
    """Apply ``steps`` in order; the statuses visited after each step."""
    visited = []
    for step in steps:
        status = apply_transition(status, step)
        visited.append(status)
    return visited


# --- paths through the loop ------------------------------------------------------------------


def test_happy_path_walks_from_draft_to_evaluated_with_the_right_roles() -> None:
    visited = walk(
        S.DRAFT,
        bare(A.SUBMIT, INSPECTOR),
        bare(A.ACCEPT, SUPERVISOR),
        bare(A.REGISTER, SUPERVISOR),
        TransitionRequest(
            A.DISPATCH, SUPERVISOR, department_id="dept-sanitation", deadline=DEADLINE
        ),
        TransitionRequest(A.HANDLE, SUPERVISOR, opinion="已清运"),
        TransitionRequest(A.REQUEST_REINSPECTION, SUPERVISOR, assignee_id="inspector-007"),
        bare(A.REINSPECT_PASS, INSPECTOR),
        bare(A.CLOSE, SUPERVISOR),
        bare(A.EVALUATE, SUPERVISOR),
    )

    assert visited == [
        S.SUBMITTED,
        S.ACCEPTED,
        S.REGISTERED,
        S.DISPATCHED,
        S.HANDLED,
        S.REINSPECTING,
        S.REINSPECTION_PASSED,
        S.CLOSED,
        S.EVALUATED,
    ]
    assert S.EVALUATED in TERMINAL_STATUSES


def test_failed_reinspection_goes_back_to_dispatched_for_rework_and_can_then_close() -> None:
    visited = walk(
        S.REINSPECTING,
        TransitionRequest(A.REINSPECT_FAIL, INSPECTOR, opinion="垃圾仍未清运"),
        TransitionRequest(A.REWORK, SUPERVISOR, opinion="返工处理", deadline=DEADLINE),
        TransitionRequest(A.HANDLE, SUPERVISOR, opinion="已二次清运"),
        TransitionRequest(A.REQUEST_REINSPECTION, SUPERVISOR, assignee_id="inspector-007"),
        bare(A.REINSPECT_PASS, INSPECTOR),
        bare(A.CLOSE, SUPERVISOR),
    )

    assert visited == [
        S.REINSPECTION_FAILED,
        S.DISPATCHED,
        S.HANDLED,
        S.REINSPECTING,
        S.REINSPECTION_PASSED,
        S.CLOSED,
    ]


def test_suspended_case_resumes_to_dispatched_and_cannot_be_handled_while_suspended() -> None:
    suspended = apply_transition(
        S.DISPATCHED, TransitionRequest(A.SUSPEND, SUPERVISOR, opinion="待汛期后处理")
    )

    assert suspended is S.SUSPENDED
    assert refusal(suspended, complete(A.HANDLE, SUPERVISOR)).code == "invalid_transition"
    assert apply_transition(suspended, bare(A.RESUME, SUPERVISOR)) is S.DISPATCHED


def test_extend_to_a_later_deadline_keeps_the_case_dispatched() -> None:
    request = TransitionRequest(
        A.EXTEND,
        SUPERVISOR,
        opinion="需协调产权单位",
        deadline=DEADLINE + timedelta(days=2),
        current_deadline=DEADLINE,
    )

    assert apply_transition(S.DISPATCHED, request) is S.DISPATCHED


@pytest.mark.parametrize(
    "new_deadline",
    [DEADLINE, DEADLINE - timedelta(seconds=1), DEADLINE - timedelta(days=5)],
    ids=["same", "one_second_earlier", "days_earlier"],
)
def test_extend_to_a_deadline_not_later_than_the_current_one_is_refused(
    new_deadline: datetime,
) -> None:
    request = TransitionRequest(
        A.EXTEND, SUPERVISOR, opinion="延期", deadline=new_deadline, current_deadline=DEADLINE
    )

    error = refusal(S.DISPATCHED, request)

    assert error.code == "missing_requirement"
    assert "later" in error.text("en")
    assert_readable_in_both_languages(error)


def test_extend_without_a_new_deadline_is_refused() -> None:
    request = TransitionRequest(A.EXTEND, SUPERVISOR, opinion="延期", current_deadline=DEADLINE)

    error = refusal(S.DISPATCHED, request)

    assert error.code == "missing_requirement"
    assert "deadline" in error.text("en")
    assert_readable_in_both_languages(error)


def test_extend_compares_deadlines_as_instants_across_time_zones() -> None:
    beijing = timezone(timedelta(hours=8))
    # The current deadline is 09:30 UTC (17:30 in Beijing). 12:00 in Beijing reads later on the
    # wall clock but is 04:00 UTC, earlier; 18:00 in Beijing is 10:00 UTC, later.
    earlier = datetime(2026, 7, 4, 12, 0, tzinfo=beijing)
    later = datetime(2026, 7, 4, 18, 0, tzinfo=beijing)

    def extend_to(deadline: datetime) -> TransitionRequest:
        return TransitionRequest(
            A.EXTEND, SUPERVISOR, opinion="延期", deadline=deadline, current_deadline=DEADLINE
        )

    assert refusal(S.DISPATCHED, extend_to(earlier)).code == "missing_requirement"
    assert apply_transition(S.DISPATCHED, extend_to(later)) is S.DISPATCHED


def test_extend_with_a_naive_current_deadline_is_refused_with_a_reason_not_a_crash() -> None:
    request = TransitionRequest(
        A.EXTEND,
        SUPERVISOR,
        opinion="延期",
        deadline=DEADLINE + timedelta(days=1),
        current_deadline=DEADLINE.replace(tzinfo=None),
    )

    error = refusal(S.DISPATCHED, request)

    assert error.code == "missing_requirement"


def test_returned_case_is_corrected_and_submitted_again_by_the_inspector() -> None:
    returned = apply_transition(
        S.SUBMITTED, TransitionRequest(A.RETURN, SUPERVISOR, opinion="照片不清晰，请补拍")
    )

    assert returned is S.RETURNED
    assert apply_transition(returned, bare(A.SUBMIT, INSPECTOR)) is S.SUBMITTED


def test_rejected_and_voided_cases_go_to_terminal_statuses() -> None:
    assert apply_transition(S.SUBMITTED, complete(A.REJECT, SUPERVISOR)) is S.REJECTED
    assert apply_transition(S.ACCEPTED, complete(A.VOID, SUPERVISOR)) is S.VOID
    assert apply_transition(S.REGISTERED, complete(A.VOID, SUPERVISOR)) is S.VOID
    assert {S.REJECTED, S.VOID, S.EVALUATED} == TERMINAL_STATUSES


# --- every (status, action) pair -------------------------------------------------------------


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", list(CaseStatus))
def test_every_status_and_action_pair_follows_the_expected_table(
    status: CaseStatus, action: Action
) -> None:
    expected = EXPECTED.get((status, action))
    for role in Role:
        request = complete(action, role)
        if expected is not None and may_act(status, action, role):
            assert apply_transition(status, request) is expected[0], (status, action, role)
            continue
        with pytest.raises(TransitionError) as caught:
            apply_transition(status, request)
        error = caught.value
        if expected is None:
            wanted = (
                "close_needs_passed_reinspection" if action is A.CLOSE else "invalid_transition"
            )
        else:
            wanted = "role_not_allowed"
        assert error.code == wanted, (status, action, role, error.text("en"))
        assert_readable_in_both_languages(error)


def test_the_expected_table_covers_every_action() -> None:
    assert {action for _, action in EXPECTED} == set(Action)


@pytest.mark.parametrize(
    "status", [s for s in CaseStatus if s is not S.REINSPECTION_PASSED], ids=lambda s: s.value
)
@pytest.mark.parametrize("role", list(Role))
def test_closing_without_a_passed_reinspection_is_refused_with_its_own_code(
    status: CaseStatus, role: Role
) -> None:
    error = refusal(status, bare(A.CLOSE, role))

    assert error.code == "close_needs_passed_reinspection"
    assert "re-inspection" in error.text("en")
    assert "核查" in error.text("zh_CN")
    assert_readable_in_both_languages(error)


def test_invalid_transition_message_names_the_action_and_the_current_status() -> None:
    error = refusal(S.DRAFT, bare(A.ACCEPT, SUPERVISOR))

    assert error.code == "invalid_transition"
    assert "accept" in error.text("en")
    assert "draft" in error.text("en")
    assert "受理" in error.text("zh_CN")
    assert "草稿" in error.text("zh_CN")


def test_role_not_allowed_message_names_the_role_and_the_action() -> None:
    error = refusal(S.SUBMITTED, bare(A.ACCEPT, INSPECTOR))

    assert error.code == "role_not_allowed"
    assert "inspector" in error.text("en")
    assert "accept" in error.text("en")
    assert "监督员" in error.text("zh_CN")


def test_wrong_status_is_reported_before_wrong_role() -> None:
    assert refusal(S.DRAFT, bare(A.ACCEPT, INSPECTOR)).code == "invalid_transition"


def test_wrong_role_is_reported_before_missing_requirements() -> None:
    assert refusal(S.SUBMITTED, bare(A.REJECT, INSPECTOR)).code == "role_not_allowed"


# --- requirements ----------------------------------------------------------------------------


def _source_and_role(action: Action) -> tuple[CaseStatus, Role]:
    for (status, a), (_, role) in EXPECTED.items():
        if a is action:
            return status, role
    raise AssertionError(action)


@pytest.mark.parametrize("opinion", ["", "   ", "\t\n", "\u3000\u3000"], ids=repr)
@pytest.mark.parametrize("action", NEEDS_OPINION, ids=lambda a: a.value)
def test_actions_that_need_an_opinion_refuse_an_empty_or_blank_one(
    action: Action, opinion: str
) -> None:
    status, role = _source_and_role(action)

    error = refusal(status, complete(action, role, opinion=opinion))

    assert error.code == "missing_requirement"
    assert "opinion" in error.text("en")
    assert "意见" in error.text("zh_CN")
    assert_readable_in_both_languages(error)


@pytest.mark.parametrize("action", NEEDS_NOTHING, ids=lambda a: a.value)
def test_actions_without_requirements_succeed_with_a_bare_request(action: Action) -> None:
    status, role = _source_and_role(action)

    assert apply_transition(status, bare(action, role)) is EXPECTED[(status, action)][0]


def test_dispatch_without_deadline_is_refused_with_a_reason_in_both_languages() -> None:
    error = refusal(
        S.REGISTERED, TransitionRequest(A.DISPATCH, SUPERVISOR, department_id="dept-roads")
    )

    assert error.code == "missing_requirement"
    assert "deadline" in error.text("en")
    assert "时限" in error.text("zh_CN")
    assert_readable_in_both_languages(error)


@pytest.mark.parametrize("department_id", [None, ""], ids=["none", "empty"])
def test_dispatch_without_department_is_refused_with_a_reason_in_both_languages(
    department_id: str | None,
) -> None:
    request = TransitionRequest(
        A.DISPATCH, SUPERVISOR, department_id=department_id, deadline=DEADLINE
    )

    error = refusal(S.REGISTERED, request)

    assert error.code == "missing_requirement"
    assert "department" in error.text("en")
    assert "部门" in error.text("zh_CN")
    assert_readable_in_both_languages(error)


@pytest.mark.parametrize("assignee_id", [None, ""], ids=["none", "empty"])
def test_request_reinspection_without_an_inspector_is_refused(assignee_id: str | None) -> None:
    request = TransitionRequest(A.REQUEST_REINSPECTION, SUPERVISOR, assignee_id=assignee_id)

    error = refusal(S.HANDLED, request)

    assert error.code == "missing_requirement"
    assert "inspector" in error.text("en")
    assert_readable_in_both_languages(error)


def test_rework_without_a_new_deadline_is_refused() -> None:
    request = TransitionRequest(A.REWORK, SUPERVISOR, opinion="整改不到位")

    error = refusal(S.REINSPECTION_FAILED, request)

    assert error.code == "missing_requirement"
    assert "deadline" in error.text("en")
    assert_readable_in_both_languages(error)


def test_admin_has_no_workflow_actions() -> None:
    for (status, action), _ in EXPECTED.items():
        assert refusal(status, complete(action, ADMIN)).code == "role_not_allowed"


# --- allowed_actions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "role", "actions"),
    [
        (S.DRAFT, INSPECTOR, {A.SUBMIT}),
        (S.DRAFT, SUPERVISOR, set()),
        (S.SUBMITTED, SUPERVISOR, {A.ACCEPT, A.REJECT, A.RETURN}),
        (S.SUBMITTED, INSPECTOR, set()),
        (S.ACCEPTED, SUPERVISOR, {A.REGISTER, A.VOID}),
        (S.REGISTERED, SUPERVISOR, {A.DISPATCH, A.VOID}),
        (
            S.DISPATCHED,
            SUPERVISOR,
            {
                A.EXTEND,
                A.SUSPEND,
                A.HANDLE,
                A.APPROVE_EXTENSION,
                A.APPROVE_RETURN,
                A.APPROVE_SUSPENSION,
                A.REFUSE_REQUEST,
            },
        ),
        (
            S.DISPATCHED,
            HANDLER,
            {A.SIGN_FOR, A.HANDLE, A.REQUEST_EXTENSION, A.REQUEST_RETURN, A.REQUEST_SUSPENSION},
        ),
        (S.SUSPENDED, SUPERVISOR, {A.RESUME}),
        (S.REINSPECTING, INSPECTOR, {A.REINSPECT_PASS, A.REINSPECT_FAIL}),
        (S.REINSPECTING, SUPERVISOR, set()),
        (S.REINSPECTION_FAILED, SUPERVISOR, {A.REWORK}),
        (S.RETURNED, INSPECTOR, {A.SUBMIT}),
        (S.CLOSED, SUPERVISOR, {A.EVALUATE}),
        (S.DISPATCHED, ADMIN, set()),
    ],
)
def test_allowed_actions_for_a_few_statuses(
    status: CaseStatus, role: Role, actions: set[Action]
) -> None:
    result = allowed_actions(status, role)

    assert set(result) == actions
    assert len(result) == len(actions)


@pytest.mark.parametrize("status", sorted(TERMINAL_STATUSES), ids=lambda s: s.value)
def test_terminal_statuses_allow_no_action_to_anyone(status: CaseStatus) -> None:
    for role in Role:
        assert allowed_actions(status, role) == []


@pytest.mark.parametrize("status", list(CaseStatus), ids=lambda s: s.value)
def test_allowed_actions_match_the_expected_table_for_every_status_and_role(
    status: CaseStatus,
) -> None:
    for role in Role:
        expected = {a for (s, a) in EXPECTED if s is status and may_act(s, a, role)}
        assert set(allowed_actions(status, role)) == expected, (status, role)


@pytest.mark.parametrize("status", list(CaseStatus), ids=lambda s: s.value)
def test_every_allowed_action_succeeds_with_a_complete_request(status: CaseStatus) -> None:
    for role in Role:
        for action in allowed_actions(status, role):
            apply_transition(status, complete(action, role))


# -- the needs as data (what the screens read) ---------------------------------------------------


def test_the_needs_table_lists_the_actions_that_need_an_opinion() -> None:
    assert actions_needing(Need.OPINION) == frozenset(NEEDS_OPINION)
    assert not any(needs(action) for action in NEEDS_NOTHING)


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.value)
def test_the_needs_table_and_the_requirements_agree(action: Action) -> None:
    """A request with every need of its action (and nothing else) passes; leaving out any one
    need is refused as a missing requirement, by the requirement's own words."""
    status, role = _source_and_role(action)
    given = {
        Need.OPINION: {"opinion": "意见"},
        Need.DEPARTMENT: {"department_id": "dept-roads"},
        Need.DEADLINE: {"deadline": DEADLINE},
        Need.ASSIGNEE: {"assignee_id": "inspector-2"},
    }
    wanted = needs(action)
    only_needs: dict[str, object] = dict(context(action, role))
    for need in wanted:
        only_needs.update(given[need])
    request = TransitionRequest(action, role, **only_needs)  # type: ignore[arg-type]
    assert missing_needs(request) == []
    assert apply_transition(status, request) is EXPECTED[(status, action)][0]
    for need in wanted:
        lacking = {k: v for k, v in only_needs.items() if k not in given[need]}
        short = TransitionRequest(action, role, **lacking)  # type: ignore[arg-type]
        assert missing_needs(short) == [need]
        error = refusal(status, short)
        assert error.code == "missing_requirement", (action, need)
        assert_readable_in_both_languages(error)
