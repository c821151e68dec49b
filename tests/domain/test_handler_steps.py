"""Departments in the loop (issue 15): a handler's steps and the supervisor's answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.decisions import Assignment, decide
from app.domain.errors import TransitionError
from app.domain.lifecycle import (
    Action,
    CaseStatus,
    Need,
    RequestKind,
    Role,
    TransitionRequest,
    allowed_actions,
    missing_needs,
    needs,
)

DEPT = "11111111-1111-1111-1111-111111111111"
OTHER = "22222222-2222-2222-2222-222222222222"
DUE = datetime(2026, 12, 10, 9, tzinfo=UTC)
DISPATCHED = Assignment(CaseStatus.DISPATCHED, DEPT, DUE, None)


def handler(action: Action, **kw: object) -> TransitionRequest:
    return TransitionRequest(action, Role.HANDLER, actor_department_id=DEPT, **kw)  # type: ignore[arg-type]


def test_sign_for_then_handle_with_after_photos() -> None:
    signed = decide(DISPATCHED, handler(Action.SIGN_FOR))
    assert (signed.status, signed.signed) == (CaseStatus.DISPATCHED, True)
    with pytest.raises(TransitionError, match="已签收"):
        decide(signed, handler(Action.SIGN_FOR))
    with pytest.raises(TransitionError) as caught:
        decide(signed, handler(Action.HANDLE, opinion="已清运"))
    assert "after" in caught.value.message.en
    done = decide(signed, handler(Action.HANDLE, opinion="已清运", photo_ids=("p1",)))
    assert done.status is CaseStatus.HANDLED
    # Configurable: none required.
    assert (
        decide(signed, handler(Action.HANDLE, opinion="已清运", photos_required=0)).status
        is CaseStatus.HANDLED
    )


def test_a_handler_signs_first_and_only_for_its_department() -> None:
    with pytest.raises(TransitionError, match="先签收"):
        decide(DISPATCHED, handler(Action.HANDLE, opinion="x", photo_ids=("p",)))
    stranger = TransitionRequest(Action.SIGN_FOR, Role.HANDLER, actor_department_id=OTHER)
    with pytest.raises(TransitionError, match="未派遣给您的部门"):
        decide(DISPATCHED, stranger)
    # Supervisors keep every other decision; a handler has no supervisor's action.
    assert Action.DISPATCH not in allowed_actions(CaseStatus.REGISTERED, Role.HANDLER)
    assert Action.SIGN_FOR not in allowed_actions(CaseStatus.DISPATCHED, Role.SUPERVISOR)


def test_extension_request_approved_moves_the_deadline() -> None:
    signed = decide(DISPATCHED, handler(Action.SIGN_FOR))
    later = DUE + timedelta(days=3)
    asked = decide(signed, handler(Action.REQUEST_EXTENSION, opinion="需采购配件", deadline=later))
    assert (asked.request, asked.requested_deadline, asked.deadline) == (
        RequestKind.EXTENSION,
        later,
        DUE,
    )
    with pytest.raises(TransitionError, match="已有待审批"):
        decide(asked, handler(Action.REQUEST_SUSPENSION, opinion="x"))
    with pytest.raises(TransitionError, match="待审批的是延期申请"):
        decide(asked, TransitionRequest(Action.APPROVE_RETURN, Role.SUPERVISOR))
    approved = decide(asked, TransitionRequest(Action.APPROVE_EXTENSION, Role.SUPERVISOR))
    assert (approved.status, approved.deadline, approved.request) == (
        CaseStatus.DISPATCHED,
        later,
        None,
    )
    assert approved.signed


def test_extension_must_be_later() -> None:
    signed = decide(DISPATCHED, handler(Action.SIGN_FOR))
    with pytest.raises(TransitionError, match="晚于"):
        decide(signed, handler(Action.REQUEST_EXTENSION, opinion="x", deadline=DUE))


def test_return_approved_goes_back_for_redispatch() -> None:
    signed = decide(DISPATCHED, handler(Action.SIGN_FOR))
    asked = decide(signed, handler(Action.REQUEST_RETURN, opinion="属于市政"))
    back = decide(asked, TransitionRequest(Action.APPROVE_RETURN, Role.SUPERVISOR))
    assert (back.status, back.department_id, back.deadline, back.request, back.signed) == (
        CaseStatus.REGISTERED,
        None,
        None,
        None,
        False,
    )


def test_suspension_approved_and_refusal_needs_a_reason() -> None:
    signed = decide(DISPATCHED, handler(Action.SIGN_FOR))
    asked = decide(signed, handler(Action.REQUEST_SUSPENSION, opinion="待拆迁"))
    with pytest.raises(TransitionError, match="意见"):
        decide(asked, TransitionRequest(Action.REFUSE_REQUEST, Role.SUPERVISOR))
    refused = decide(
        asked, TransitionRequest(Action.REFUSE_REQUEST, Role.SUPERVISOR, opinion="不符合")
    )
    assert (refused.status, refused.request) == (CaseStatus.DISPATCHED, None)
    with pytest.raises(TransitionError, match="没有待审批"):
        decide(refused, TransitionRequest(Action.APPROVE_SUSPENSION, Role.SUPERVISOR))
    asked = decide(refused, handler(Action.REQUEST_SUSPENSION, opinion="待拆迁"))
    suspended = decide(asked, TransitionRequest(Action.APPROVE_SUSPENSION, Role.SUPERVISOR))
    assert (suspended.status, suspended.request) == (CaseStatus.SUSPENDED, None)


def test_rework_needs_a_new_sign_for() -> None:
    signed = decide(DISPATCHED, handler(Action.SIGN_FOR))
    failed = Assignment(CaseStatus.REINSPECTION_FAILED, DEPT, DUE, None, signed=signed.signed)
    rework = decide(
        failed,
        TransitionRequest(Action.REWORK, Role.SUPERVISOR, opinion="未清理干净", deadline=DUE),
    )
    assert (rework.status, rework.signed) == (CaseStatus.DISPATCHED, False)


def test_needs_as_data_for_the_new_steps() -> None:
    assert needs(Action.REQUEST_EXTENSION) == {Need.OPINION, Need.DEADLINE}
    assert needs(Action.HANDLE, Role.HANDLER) == {Need.OPINION, Need.PHOTOS}
    assert needs(Action.HANDLE, Role.SUPERVISOR) == {Need.OPINION}
    request = TransitionRequest(Action.HANDLE, Role.HANDLER)
    assert missing_needs(request) == [Need.OPINION, Need.PHOTOS]
