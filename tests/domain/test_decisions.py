"""The effects of a supervisor's decision, computed once for the client and the server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.domain.decisions import (
    NOT_AN_INSPECTOR,
    UNKNOWN_DEPARTMENT,
    Assignment,
    DecisionError,
    check_parties,
    decide,
)
from app.domain.errors import TransitionError
from app.domain.lifecycle import Action, CaseStatus, Role, TransitionRequest

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)


def request(action: Action, **fields: Any) -> TransitionRequest:
    return TransitionRequest(action, Role.SUPERVISOR, **fields)


def test_dispatch_sets_department_and_deadline() -> None:
    before = Assignment(CaseStatus.REGISTERED, None, None, None)
    after = decide(before, request(Action.DISPATCH, department_id="d1", deadline=NOW))
    assert after == Assignment(CaseStatus.DISPATCHED, "d1", NOW, None)


def test_extend_moves_the_deadline_and_keeps_the_department() -> None:
    before = Assignment(CaseStatus.DISPATCHED, "d1", NOW, None)
    later = NOW + timedelta(days=2)
    after = decide(before, request(Action.EXTEND, opinion="雨天", deadline=later))
    assert after == Assignment(CaseStatus.DISPATCHED, "d1", later, None)
    with pytest.raises(TransitionError):  # not later than the current one (taken from `before`)
        decide(before, request(Action.EXTEND, opinion="雨天", deadline=NOW))


def test_a_reinspection_request_assigns_the_inspector() -> None:
    before = Assignment(CaseStatus.HANDLED, "d1", NOW, None)
    after = decide(before, request(Action.REQUEST_REINSPECTION, assignee_id="u2"))
    assert after == Assignment(CaseStatus.REINSPECTING, "d1", NOW, "u2")


def test_other_actions_change_only_the_status() -> None:
    before = Assignment(CaseStatus.SUBMITTED, None, None, None)
    assert decide(before, request(Action.ACCEPT)) == Assignment(
        CaseStatus.ACCEPTED, None, None, None
    )


def test_unknown_parties_are_refused_with_one_message() -> None:
    with pytest.raises(DecisionError) as refused:
        check_parties(
            request(Action.DISPATCH, department_id="x"),
            department_active=False,
            assignee_active_inspector=True,
        )
    assert refused.value.code == "unknown_department"
    assert refused.value.message == UNKNOWN_DEPARTMENT
    with pytest.raises(DecisionError) as refused:
        check_parties(
            request(Action.REQUEST_REINSPECTION, assignee_id="x"),
            department_active=True,
            assignee_active_inspector=False,
        )
    assert refused.value.message == NOT_AN_INSPECTOR
    # Facts about a party the request does not name are not looked at.
    check_parties(request(Action.ACCEPT), department_active=False, assignee_active_inspector=False)
