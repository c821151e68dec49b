"""The departments' loop figures (issue 15) against hand-computed fixtures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.indicators import Period
from app.domain.lifecycle import RequestKind
from app.domain.loop_indicators import LoopStep, compute_loop

T0 = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
JUNE = Period(T0, datetime(2026, 7, 1, tzinfo=UTC))
HWC, SZSS = "dept-hwc", "dept-szss"


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


# Four cases, written out by hand:
# A (HWC): dispatched at 10:00, signed at 11:00 (within 2 h) → on time; requests an extension,
#   approved; handled by the department.
# B (HWC): dispatched at 10:00, signed at 13:00 (after 12:00) → late; asks for a return,
#   refused; handled by a supervisor on its behalf.
# C (SZSS): dispatched at 10:00, never signed; the deadline 12:00 passed → late.
# D (SZSS): dispatched at 10:00, reworked at 30:00 and signed at 31:00 → the first window
#   (10:00–12:00, never signed) is late, the second on time; asks for a suspension, approved.
STEPS = [
    LoopStep("A", "dispatch", h(10), HWC),
    LoopStep("A", "sign_for", h(11), role="handler"),
    LoopStep("A", "request_extension", h(12), role="handler"),
    LoopStep("A", "approve_extension", h(13), role="supervisor"),
    LoopStep("A", "handle", h(20), role="handler"),
    LoopStep("B", "dispatch", h(10), HWC),
    LoopStep("B", "sign_for", h(13), role="handler"),
    LoopStep("B", "request_return", h(14), role="handler"),
    LoopStep("B", "refuse_request", h(15), role="supervisor"),
    LoopStep("B", "handle", h(16), role="supervisor"),
    LoopStep("C", "dispatch", h(10), SZSS),
    LoopStep("D", "dispatch", h(10), SZSS),
    LoopStep("D", "handle", h(20), role="handler"),
    LoopStep("D", "rework", h(30)),
    LoopStep("D", "sign_for", h(31), role="handler"),
    LoopStep("D", "request_suspension", h(32), role="handler"),
    LoopStep("D", "approve_suspension", h(33), role="supervisor"),
]


def test_hand_computed_figures() -> None:
    figures = compute_loop(STEPS, JUNE, limit=timedelta(hours=2))
    total = figures.total
    # Windows: A on time, B late, C late, D1 late, D2 on time → 2 / 5.
    assert (total.due_to_sign, total.signed_on_time, total.signed_late) == (5, 2, 3)
    assert total.sign_for_rate == pytest.approx(0.4)
    # Handle steps: A (handler), B (supervisor), D (handler) → 2 / 3.
    assert (total.handled, total.handled_by_department) == (3, 2)
    assert total.handled_by_department_rate == pytest.approx(2 / 3)
    assert total.requests == {
        RequestKind.EXTENSION: 1,
        RequestKind.RETURN: 1,
        RequestKind.SUSPENSION: 1,
    }
    assert total.approved == {RequestKind.EXTENSION: 1, RequestKind.SUSPENSION: 1}
    assert total.refused == 1 and total.approval_rate == pytest.approx(2 / 3)
    hwc, szss = figures.by_department[HWC], figures.by_department[SZSS]
    assert (hwc.due_to_sign, hwc.signed_on_time, hwc.handled_by_department) == (2, 1, 1)
    assert (szss.due_to_sign, szss.signed_on_time, szss.signed_late) == (3, 1, 2)
    # The bulletin names the departments with late sign-for, the most first.
    assert figures.late_sign_for() == [(SZSS, 2), (HWC, 1)]


def test_a_longer_limit_changes_who_was_late() -> None:
    figures = compute_loop(STEPS, JUNE, limit=timedelta(hours=3))
    # B signed at 13:00 is now within 10:00 + 3 h.
    assert (figures.total.due_to_sign, figures.total.signed_on_time) == (5, 3)


def test_as_of_now_a_window_still_open_is_not_due_yet() -> None:
    # At 11:00 only A is signed (on time); B, C and D are within their two hours.
    figures = compute_loop(STEPS, JUNE, now=h(11.5))
    assert (figures.total.due_to_sign, figures.total.signed_on_time) == (1, 1)
    assert figures.total.handled == 0 and figures.total.sign_for_rate == 1.0


def test_the_period_counts_each_window_once_by_its_settle_time() -> None:
    # The settle time of B's window is its deadline, 12:00: in the second half-day.
    first = Period(T0, h(11.5))
    second = Period(h(11.5), JUNE.end)
    a, b = compute_loop(STEPS, first), compute_loop(STEPS, second)
    assert a.total.due_to_sign + b.total.due_to_sign == 5
    assert (a.total.due_to_sign, a.total.signed_on_time) == (1, 1)


def test_no_figures_means_no_rate() -> None:
    figures = compute_loop([], JUNE)
    assert figures.total.sign_for_rate is None
    assert figures.total.handled_by_department_rate is None
    assert figures.total.approval_rate is None and figures.late_sign_for() == []


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        compute_loop(STEPS, JUNE, limit=timedelta(0))
