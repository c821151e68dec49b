"""Indicators from the step log: small logs whose figures are worked out by hand in comments."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.domain.indicators import (
    CaseFact,
    Counts,
    Indicators,
    Period,
    StepFact,
    assignments,
    compute,
    compute_many,
    compute_rows,
    cutoff,
    month,
    quarter,
    week_of,
    weekly_periods,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
D1 = "dept-sanitation"
D2 = "dept-lighting"
GRID_A = "420102001001001"  # district 420102
GRID_B = "420102001001002"  # district 420102
GRID_C = "420103005002001"  # district 420103


def t(day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A time in March 2027, UTC (Monday 1 March … Sunday 7 March, Monday 8 March …)."""
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


WEEK1 = Period(t(1), t(8))
WEEK2 = Period(t(8), t(15))


def fact(
    case_id: str,
    author: str | None = "u1",
    category: str | None = "06010",
    grid: str | None = GRID_A,
) -> CaseFact:
    return CaseFact(case_id, author, category, grid)


def log(
    case_id: str, *steps: tuple[str, datetime] | tuple[str, datetime, str | None, datetime | None]
) -> list[StepFact]:
    out = []
    for step in steps:
        action, at = step[0], step[1]
        department, deadline = (step[2], step[3]) if len(step) == 4 else (None, None)
        out.append(StepFact(case_id, action, at, department, deadline))
    return out


def intake(case_id: str, day: int) -> list[StepFact]:
    """submit, accept, register on ``day`` at 08:00, 08:10, 08:20."""
    return log(
        case_id, ("submit", t(day, 8)), ("accept", t(day, 8, 10)), ("register", t(day, 8, 20))
    )


def picked(counts: Counts, *names: str) -> dict[str, object]:
    return {name: getattr(counts, name) for name in names}


# -- periods ---------------------------------------------------------------------------------


def test_quarter_and_month_are_local_midnight_to_midnight() -> None:
    q1 = quarter(2027, 1, SHANGHAI)
    assert q1.start == datetime(2026, 12, 31, 16, tzinfo=UTC)  # 2027-01-01 00:00 +08:00
    assert q1.end == datetime(2027, 3, 31, 16, tzinfo=UTC)
    assert quarter(2027, 4, SHANGHAI).end == datetime(2028, 1, 1, tzinfo=SHANGHAI)
    feb = month(2028, 2, SHANGHAI)  # a leap year
    assert feb.end - feb.start == timedelta(days=29)
    dec = month(2027, 12, SHANGHAI)
    assert (dec.start, dec.end) == (
        datetime(2027, 12, 1, tzinfo=SHANGHAI),
        datetime(2028, 1, 1, tzinfo=SHANGHAI),
    )
    with pytest.raises(ValueError):
        quarter(2027, 5, SHANGHAI)


def test_the_cutoff_is_the_end_of_a_past_period_and_now_in_the_current_one() -> None:
    june = month(2026, 6, SHANGHAI)
    during = datetime(2026, 6, 17, 10, tzinfo=SHANGHAI)
    assert cutoff(june, during) == during  # the current period: as of now
    assert cutoff(june, datetime(2026, 7, 3, tzinfo=UTC)) == june.end  # over: as of its end
    assert cutoff(june, june.end) == june.end
    assert cutoff(june, None) == june.end  # no clock: the period taken as over


def test_weekly_periods_of_a_quarter_start_on_mondays_and_are_clipped() -> None:
    q1 = quarter(2027, 1, SHANGHAI)
    weeks = weekly_periods(q1.start, q1.end, SHANGHAI)
    # 1 Jan 2027 is a Friday: Fri–Sun, then 12 whole weeks from Monday 4 Jan to Sunday 28 Mar,
    # then Monday 29 to Wednesday 31 March.
    assert len(weeks) == 14
    assert weeks[0] == Period(q1.start, datetime(2027, 1, 4, tzinfo=SHANGHAI))
    assert weeks[1] == Period(
        datetime(2027, 1, 4, tzinfo=SHANGHAI), datetime(2027, 1, 11, tzinfo=SHANGHAI)
    )
    assert weeks[-1] == Period(datetime(2027, 3, 29, tzinfo=SHANGHAI), q1.end)
    assert all(a.end == b.start for a, b in itertools.pairwise(weeks))


def test_week_across_a_daylight_saving_change_is_monday_to_monday_local() -> None:
    week = week_of(date(2027, 3, 24), BERLIN)  # clocks go forward on Sunday 28 March
    assert week.start == datetime(2027, 3, 21, 23, tzinfo=UTC)  # Mon 22 Mar 00:00 CET
    assert week.end == datetime(2027, 3, 28, 22, tzinfo=UTC)  # Mon 29 Mar 00:00 CEST
    # (Python subtracts datetimes of the same zone on the wall clock: compare instants in UTC.)
    assert week.end.astimezone(UTC) - week.start.astimezone(UTC) == timedelta(hours=167)


# -- case figures ----------------------------------------------------------------------------


def test_a_returned_case_submitted_twice_is_one_report_and_valid_rate_counts_decisions() -> None:
    steps = [
        # A: submitted, returned, submitted again, accepted — one report, one accept.
        *log("A", ("submit", t(2)), ("return", t(3)), ("submit", t(4)), ("accept", t(5))),
        # B: first submitted in February: not a report of week 1, but its accept counts.
        *log("B", ("submit", datetime(2027, 2, 26, tzinfo=UTC)), ("accept", t(2))),
        # C: submitted and rejected.
        *log("C", ("submit", t(3)), ("reject", t(3, 1))),
    ]
    result = compute([fact("A"), fact("B"), fact("C")], steps, WEEK1)
    assert picked(result.total, "reports", "accepted", "rejected") == {
        "reports": 2,
        "accepted": 2,
        "rejected": 1,
    }
    assert result.total.valid_report_rate == pytest.approx(2 / 3)


def test_case_registered_in_one_period_and_closed_in_the_next() -> None:
    steps = [
        *intake("X", 6),
        *log(
            "X",
            ("dispatch", t(7, 10), D1, t(9, 10)),
            ("handle", t(9, 9)),
            ("request_reinspection", t(9, 10)),
            ("reinspect_pass", t(10)),
            ("close", t(10, 12)),
        ),
    ]
    week1, week2 = compute_many([fact("X")], steps, [WEEK1, WEEK2])
    # Week 1: reported, accepted, registered and dispatched; due to close but not closed.
    assert picked(
        week1.total, "reports", "accepted", "registered", "dispatched", "closed", "due_to_close"
    ) == {
        "reports": 1,
        "accepted": 1,
        "registered": 1,
        "dispatched": 1,
        "closed": 0,
        "due_to_close": 1,
    }
    assert week1.total.closure_rate == 0.0
    assert week1.total.on_time_rate is None  # deadline 9 March: nothing due to handle yet
    # Case figures go to the department the case was dispatched to by the cutoff.
    assert week1.by_department[D1].reports == 1
    # Week 2: closed (but not registered in it: nothing due to close), handled on time
    # 47 hours after the dispatch (7 March 10:00 → 9 March 09:00).
    assert picked(
        week2.total, "reports", "closed", "due_to_close", "due_to_handle", "handled_on_time"
    ) == {"reports": 0, "closed": 1, "due_to_close": 0, "due_to_handle": 1, "handled_on_time": 1}
    assert week2.total.closure_rate is None
    assert week2.total.on_time_rate == 1.0
    assert week2.total.mean_handling_hours == 47.0


def test_case_figures_follow_the_department_dispatched_to_by_the_cutoff() -> None:
    steps = [*intake("X", 5), *log("X", ("dispatch", t(9), D2, t(12)))]
    week1, week2 = compute_many([fact("X")], steps, [WEEK1, WEEK2])
    assert set(week1.by_department) == {None}
    assert week1.by_department[None].registered == 1
    assert set(week2.by_department) == {D2}
    assert week2.by_department[D2].dispatched == 1


def test_void_and_suspended_cases_are_not_due_to_close() -> None:
    steps = [
        *intake("V", 2),
        *log("V", ("void", t(3))),
        *intake("S", 2),
        *log("S", ("dispatch", t(2, 10), D1, t(5)), ("suspend", t(3))),
        *intake("C", 2),
        *log(
            "C",
            ("dispatch", t(2, 10), D1, t(5)),
            ("handle", t(3)),
            ("request_reinspection", t(3, 1)),
            ("reinspect_pass", t(3, 2)),
            ("close", t(3, 3)),
        ),
        *intake("O", 2),
    ]
    result = compute([fact(c) for c in "VSCO"], steps, WEEK1)
    # Registered: V, S, C, O. Void V and suspended S are not due; C closed, O still open.
    assert picked(result.total, "registered", "voided", "due_to_close", "closed_of_due") == {
        "registered": 4,
        "voided": 1,
        "due_to_close": 2,
        "closed_of_due": 1,
    }
    assert result.total.closure_rate == 0.5


# -- assignments -----------------------------------------------------------------------------


def test_extension_before_the_deadline_makes_a_later_handle_on_time() -> None:
    steps = log(
        "E",
        ("dispatch", t(2, 10), D1, t(3, 10)),
        ("extend", t(3, 9), None, t(5, 10)),
        ("handle", t(4, 10)),  # after the old deadline, before the new one
    )
    result = compute([fact("E")], steps, WEEK1)
    assert picked(
        result.total, "due_to_handle", "handled_on_time", "handled", "handled_late", "overdue"
    ) == {"due_to_handle": 1, "handled_on_time": 1, "handled": 1, "handled_late": 0, "overdue": 0}


def test_extension_after_the_deadline_passed_does_not_make_it_on_time() -> None:
    steps = log(
        "E",
        ("dispatch", t(2, 10), D1, t(3, 10)),
        ("extend", t(3, 12), None, t(5, 10)),  # two hours too late to extend
        ("handle", t(4, 10)),
    )
    before = Period(t(1), t(3, 11))
    after = Period(t(3, 11), t(8))
    first, second = compute_many([fact("E")], steps, [before, after])
    # Due when the deadline passed (3 March 10:00), overdue at 11:00; handled late after.
    assert picked(first.total, "due_to_handle", "handled_on_time", "overdue", "handled") == {
        "due_to_handle": 1,
        "handled_on_time": 0,
        "overdue": 1,
        "handled": 0,
    }
    assert picked(second.total, "due_to_handle", "handled", "handled_late", "overdue") == {
        "due_to_handle": 0,
        "handled": 1,
        "handled_late": 1,
        "overdue": 0,
    }


def test_suspension_moves_the_deadline_by_the_time_suspended() -> None:
    steps = log(
        "S",
        ("dispatch", t(2, 10), D1, t(3, 10)),
        ("suspend", t(2, 12)),
        ("resume", t(4, 12)),  # 48 h suspended: effective deadline 5 March 10:00
        ("handle", t(5, 9)),
    )
    result = compute([fact("S")], steps, WEEK1)
    assert picked(result.total, "due_to_handle", "handled_on_time", "handled_late") == {
        "due_to_handle": 1,
        "handled_on_time": 1,
        "handled_late": 0,
    }
    # 2 March 10:00 → 5 March 09:00 is 71 h, less 48 h suspended.
    assert result.total.mean_handling_hours == 23.0


def test_suspended_at_the_cutoff_is_neither_due_nor_overdue() -> None:
    steps = [
        *intake("S", 2),
        *log(
            "S",
            ("dispatch", t(2, 10), D1, t(3, 10)),
            ("suspend", t(2, 12)),
            ("resume", t(4, 12)),
        ),
    ]
    # On 4 March 00:00 the case is suspended; its recorded deadline (3 March 10:00) has
    # passed but the clock stopped 22 hours before it.
    result = compute([fact("S")], steps, WEEK1, now=t(4))
    assert picked(result.total, "due_to_handle", "overdue", "due_to_close", "registered") == {
        "due_to_handle": 0,
        "overdue": 0,
        "due_to_close": 0,
        "registered": 1,
    }
    # Resumed on 4 March 12:00 with 22 h left: due 5 March 10:00, overdue after it.
    later = compute([fact("S")], steps, WEEK1)
    assert picked(later.total, "due_to_handle", "overdue", "due_to_close") == {
        "due_to_handle": 1,
        "overdue": 1,
        "due_to_close": 1,
    }


def test_suspending_after_the_deadline_passed_does_not_stop_the_clock() -> None:
    steps = log(
        "S",
        ("dispatch", t(2, 10), D1, t(3, 10)),
        ("suspend", t(3, 12)),  # already two hours late
        ("resume", t(4, 12)),
        ("handle", t(4, 13)),
    )
    at_suspension = compute([fact("S")], steps, WEEK1, now=t(4))
    assert picked(at_suspension.total, "due_to_handle", "overdue") == {
        "due_to_handle": 1,
        "overdue": 1,
    }
    result = compute([fact("S")], steps, WEEK1)
    assert picked(result.total, "due_to_handle", "handled_on_time", "handled_late") == {
        "due_to_handle": 1,
        "handled_on_time": 0,
        "handled_late": 1,
    }
    # 2 March 10:00 → 4 March 13:00 is 51 h, less the 24 h suspended.
    assert result.total.mean_handling_hours == 27.0


def test_rework_is_a_new_assignment_for_the_same_department() -> None:
    steps = log(
        "R",
        ("dispatch", t(2, 10), D1, t(4, 10)),
        ("handle", t(3, 10)),  # on time, after 24 h
        ("request_reinspection", t(3, 11)),
        ("reinspect_fail", t(3, 15)),
        ("rework", t(3, 16), None, t(5, 16)),  # back to D1 (no department on the step)
        ("handle", t(6, 16)),  # 24 h late, after 72 h
    )
    result = compute([fact("R")], steps, WEEK1)
    expected = {
        "dispatched": 1,
        "due_to_handle": 2,
        "handled_on_time": 1,
        "handled": 2,
        "handled_late": 1,
        "reworked": 1,
        "overdue": 0,
    }
    assert picked(result.total, *expected) == expected
    assert picked(result.by_department[D1], *expected) == expected
    assert result.total.rework_rate == 0.5
    assert result.total.on_time_rate == 0.5
    assert result.total.mean_handling_hours == 48.0  # (24 + 72) / 2


def test_open_assignment_past_its_deadline_is_overdue_in_every_later_period() -> None:
    steps = log("O", ("dispatch", t(2, 10), D2, t(4, 10)))
    week1, week2 = compute_many([fact("O")], steps, [WEEK1, WEEK2])
    assert picked(week1.total, "due_to_handle", "handled_on_time", "overdue") == {
        "due_to_handle": 1,
        "handled_on_time": 0,
        "overdue": 1,
    }
    assert week1.total.on_time_rate == 0.0
    assert picked(week2.total, "due_to_handle", "overdue") == {"due_to_handle": 0, "overdue": 1}
    assert week2.by_department[D2].overdue == 1
    # Before the deadline it is neither due nor overdue.
    early = compute([fact("O")], steps, WEEK1, now=t(3))
    assert picked(early.total, "due_to_handle", "overdue") == {"due_to_handle": 0, "overdue": 0}


def test_a_period_after_a_case_s_last_step_still_sees_its_open_assignment() -> None:
    steps = [
        # Closed in week 1: nothing left for week 2.
        *log("C", ("dispatch", t(2, 10), D1, t(4)), ("handle", t(3)), ("close", t(3, 5))),
        # Dispatched in week 1 with a deadline in week 1, nothing since: overdue in week 2.
        *log("O", ("dispatch", t(2, 10), D2, t(4))),
        # Suspended in week 1 before its deadline, still suspended: neither due nor overdue.
        *log("S", ("dispatch", t(2, 10), D2, t(4)), ("suspend", t(3))),
        # Dispatched in week 1 with a deadline in week 2: due (and overdue) in week 2.
        *log("W", ("dispatch", t(5, 10), D1, t(9))),
    ]
    cases = [fact(c) for c in "COSW"]
    week2 = compute(cases, steps, WEEK2)
    assert picked(week2.total, "due_to_handle", "overdue", "handled", "closed") == {
        "due_to_handle": 1,
        "overdue": 2,
        "handled": 0,
        "closed": 0,
    }
    assert {k: c.overdue for k, c in week2.by_department.items()} == {D1: 1, D2: 1}


def test_handled_late_in_the_next_period() -> None:
    steps = log("L", ("dispatch", t(2, 10), D1, t(3, 10)), ("handle", t(9, 10)))
    week1, week2 = compute_many([fact("L")], steps, [WEEK1, WEEK2])
    assert picked(week1.total, "due_to_handle", "handled_on_time", "handled", "overdue") == {
        "due_to_handle": 1,
        "handled_on_time": 0,
        "handled": 0,
        "overdue": 1,
    }
    assert picked(
        week2.total, "due_to_handle", "handled", "handled_late", "overdue", "handling_hours_total"
    ) == {
        "due_to_handle": 0,
        "handled": 1,
        "handled_late": 1,
        "overdue": 0,
        "handling_hours_total": 168.0,
    }


def test_handled_exactly_at_the_deadline_is_on_time() -> None:
    steps = log("T", ("dispatch", t(2, 10), D1, t(3, 10)), ("handle", t(3, 10)))
    result = compute([fact("T")], steps, WEEK1)
    assert (result.total.handled_on_time, result.total.handled_late) == (1, 0)


def test_rates_are_none_without_a_denominator() -> None:
    result = compute([], [], WEEK1)
    assert result.total == Counts()
    assert result.total.valid_report_rate is None
    assert result.total.closure_rate is None
    assert result.total.on_time_rate is None
    assert result.total.rework_rate is None
    assert result.total.mean_handling_hours is None
    assert result.by_department == {}


def test_now_in_the_middle_of_the_period_ignores_later_events() -> None:
    steps = [
        *intake("A", 2),
        *log("A", ("dispatch", t(2, 10), D1, t(6)), ("handle", t(5))),
        *log("B", ("submit", t(4, 12)), ("accept", t(4, 13))),
    ]
    result = compute([fact("A"), fact("B")], steps, WEEK1, now=t(4, 12))
    # B's submit at exactly `now` is not counted; A's handle on 5 March is in the future.
    assert picked(result.total, "reports", "accepted", "handled", "due_to_handle") == {
        "reports": 1,
        "accepted": 1,
        "handled": 0,
        "due_to_handle": 0,
    }
    assert compute([fact("A"), fact("B")], steps, WEEK1, now=t(1)).total == Counts()


def test_figures_are_grouped_by_department_inspector_district_grid_and_category() -> None:
    cases = [
        fact("A", author="u1", category="06010", grid=GRID_A),
        fact("B", author="u2", category="06010", grid=GRID_B),
        fact("C", author="u1", category="09009", grid=GRID_C),
        fact("D", author=None, category=None, grid=None),
    ]
    steps = [
        *intake("A", 2),
        *log("A", ("dispatch", t(2, 10), D1, t(9))),
        *intake("B", 2),
        *log("B", ("dispatch", t(2, 10), D2, t(9))),
        *intake("C", 2),
        *log("C", ("dispatch", t(2, 10), D1, t(9))),
        *log("D", ("submit", t(3))),
    ]
    result = compute(cases, steps, WEEK1)

    def reports(groups: dict[str | None, Counts]) -> dict[str | None, int]:
        return {key: counts.reports for key, counts in groups.items()}

    assert result.total.reports == 4
    assert reports(result.by_department) == {D1: 2, D2: 1, None: 1}
    assert reports(result.by_inspector) == {"u1": 2, "u2": 1, None: 1}
    assert reports(result.by_district) == {"420102": 2, "420103": 1, None: 1}
    assert reports(result.by_grid) == {GRID_A: 1, GRID_B: 1, GRID_C: 1, None: 1}
    assert reports(result.by_category) == {"06010": 2, "09009": 1, None: 1}
    assert result.by_department[D1].dispatched == 2


def test_steps_of_an_unknown_case_count_with_no_groups() -> None:
    result = compute([], log("Z", ("submit", t(2))), WEEK1)
    assert result.by_inspector[None].reports == 1
    assert result.by_grid[None].reports == 1


def _mixed_log() -> tuple[list[CaseFact], list[StepFact]]:
    cases = [fact("A"), fact("B", "u2", "09009", GRID_C), fact("C", "u3", "01037", GRID_B)]
    steps = [
        *intake("A", 2),
        *log(
            "A",
            ("dispatch", t(2, 10), D1, t(4, 10)),
            ("suspend", t(3)),
            ("resume", t(10)),
            ("handle", t(11)),
            ("request_reinspection", t(11, 1)),
            ("reinspect_fail", t(11, 2)),
            ("rework", t(11, 3), None, t(12)),
            ("handle", t(13)),
        ),
        *intake("B", 6),
        *log("B", ("dispatch", t(6, 9), D2, t(9)), ("extend", t(8), None, t(10))),
        *log("C", ("submit", t(7)), ("return", t(8)), ("submit", t(9)), ("reject", t(10))),
    ]
    return cases, steps


def test_compute_many_equals_separate_computations() -> None:
    cases, steps = _mixed_log()
    periods = [WEEK1, WEEK2, Period(t(1), t(15)), Period(t(5), t(10)), Period(t(20), t(21))]
    for now in (None, t(9, 12)):
        together = compute_many(cases, steps, periods, now)
        apart = [compute(cases, steps, period, now) for period in periods]
        assert together == apart
    fortnight = compute_many(cases, steps, periods)[2].total
    assert fortnight.handled == 2  # both handles of A
    assert fortnight.reports == 3 and fortnight.rejected == 1


def test_totals_only_counts_the_same_totals() -> None:
    cases, steps = _mixed_log()
    full = compute_many(cases, steps, [WEEK1, WEEK2])
    totals = compute_many(cases, steps, [WEEK1, WEEK2], totals_only=True)
    assert [i.total for i in totals] == [i.total for i in full]
    assert all(i.by_department == {} and i.by_grid == {} for i in totals)


def test_rows_with_iso_text_give_the_same_figures() -> None:
    cases, steps = _mixed_log()

    def iso(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat(timespec="microseconds")

    rows = [(s.case_id, s.action, str(iso(s.at)), s.department_id, iso(s.deadline)) for s in steps]
    case_rows = [(c.case_id, c.author_id, c.category_code, c.grid_code) for c in cases]
    periods = [WEEK1, WEEK2]
    assert compute_rows(case_rows, rows, periods) == compute_many(cases, steps, periods)


def test_periods_in_local_time_count_by_the_instant() -> None:
    # 1 March 2027 00:00 in Shanghai is 28 February 16:00 UTC.
    local_day = Period(datetime(2027, 3, 1, tzinfo=SHANGHAI), datetime(2027, 3, 2, tzinfo=SHANGHAI))
    steps = log(
        "A",
        ("submit", datetime(2027, 2, 28, 16, 30, tzinfo=UTC)),  # 1 March 00:30 local
    ) + log("B", ("submit", datetime(2027, 3, 1, 16, 30, tzinfo=UTC)))  # 2 March 00:30 local
    result = compute([fact("A"), fact("B")], steps, local_day)
    assert result.total.reports == 1
    assert isinstance(result, Indicators) and result.period == local_day


# -- assignments() as of a cutoff ------------------------------------------------------------


def test_assignment_as_of_a_cutoff_while_suspended() -> None:
    steps = [
        ("dispatch", t(2, 10), D1, t(3, 10)),
        ("suspend", t(2, 12), None, None),
    ]
    (spell,) = assignments(steps, cutoff=t(3, 12))
    # Suspended for 24 h by the cutoff: the deadline has moved to 4 March 10:00 so far.
    assert spell.open and spell.late_at is None and spell.settle_time is None
    assert spell.suspended_since == t(2, 12)
    assert spell.suspended_seconds == 24 * 3600
    assert spell.effective_deadline == t(4, 10)
    assert spell.deadline == t(3, 10)


def test_assignments_as_of_a_cutoff_late_and_reworked() -> None:
    steps = [
        ("dispatch", t(2, 10), D1, t(3, 10)),
        ("handle", t(3, 9), None, None),
        ("rework", t(3, 16), None, t(4, 16)),
    ]
    first, second = assignments(steps, cutoff=t(5))
    assert first.handled_on_time and first.settle_time == t(3, 9)
    assert second.department_id == D1 and second.rework
    assert second.late_at == t(4, 16) and second.open
    (only,) = assignments(steps, cutoff=t(3, 12))  # the rework is after this cutoff
    assert only.handled_at == t(3, 9)


def test_an_extension_after_the_deadline_leaves_the_missed_deadline_in_place() -> None:
    steps = [
        ("dispatch", t(2, 10), D1, t(3, 10)),
        ("extend", t(3, 12), None, t(5, 10)),  # too late: the deadline passed at 10:00
    ]
    (spell,) = assignments(steps, cutoff=t(4))
    assert spell.late_at == t(3, 10)
    assert spell.deadline == t(3, 10) and spell.effective_deadline == t(3, 10)
    (in_time,) = assignments([steps[0], ("extend", t(3, 9), None, t(5, 10))], cutoff=t(4))
    assert in_time.late_at is None and in_time.deadline == t(5, 10)
