"""Reports from a real local store: logs written with report_builders, figures worked out by hand."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from report_builders import (
    add_calendar_day,
    add_case,
    add_case_with_steps,
    add_department,
    add_steps,
    add_time_limit,
    add_user,
    bulk_generate,
)

from app.domain.deadlines import TrafficLight, WorkingCalendar
from app.domain.errors import DomainError
from app.domain.indicators import CaseFact, Counts, Period, StepFact, compute_many
from app.domain.lifecycle import CaseStatus
from app.storage import LocalStore
from app.storage.reports import (
    COVERING_INDEX,
    department_names,
    indicators,
    indicators_many,
    open_assignments,
    propose_deadline,
    time_limit_rules,
    user_names,
    weekly_trend,
    working_calendar,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
GRID_A = "420102001001001"
GRID_C = "420103005002001"


def sh(day: int, hour: int = 0, minute: int = 0, month: int = 3) -> datetime:
    """A Shanghai time in 2027; Monday 1 March, Monday 8 March, Monday 15 March."""
    return datetime(2027, month, day, hour, minute, tzinfo=SHANGHAI)


WEEK1 = Period(sh(1), sh(8))
WEEK2 = Period(sh(8), sh(15))


#: The store's "now": after every period below, so each is reported as of its end (a report
#: that names no moment is taken as of the store's clock, and these periods are in 2027).
AFTERWARDS = datetime(2028, 1, 1, tzinfo=SHANGHAI)


@pytest.fixture
def rs(tmp_path: Path) -> Iterator[LocalStore]:
    with LocalStore(tmp_path / "data", clock=lambda: AFTERWARDS) as store:
        yield store


def dispatch(
    at: datetime, department: str | None, deadline: datetime
) -> tuple[str, datetime, dict[str, object]]:
    return ("dispatch", at, {"department_id": department, "deadline": deadline})


def intake(day: int) -> list[tuple[str, datetime]]:
    return [("submit", sh(day, 8)), ("accept", sh(day, 9)), ("register", sh(day, 10))]


def closing(at: datetime) -> list[tuple[str, datetime]]:
    return [
        ("request_reinspection", at),
        ("reinspect_pass", at + timedelta(hours=1)),
        ("close", at + timedelta(hours=2)),
    ]


class City:
    """Two departments, two inspectors, and a handful of cases across two weeks."""

    def __init__(self, store: LocalStore) -> None:
        self.sanitation = add_department(store, "环卫所", name_en="Sanitation")
        self.lighting = add_department(store, "路灯所", name_en="")
        self.wang = add_user(store, "wang", display_name="王巡查")
        self.li = add_user(store, "li")
        # A: handled on time in week 1 (dispatched Tue 10:00+1h, handled Wed 11:00: 24 h), closed.
        self.a = add_case_with_steps(
            store,
            [
                *intake(2),
                dispatch(sh(2, 11), self.sanitation, sh(4, 17)),
                ("handle", sh(3, 11)),
                *closing(sh(3, 12)),
            ],
            author_id=self.wang,
            grid_code=GRID_A,
            category_code="06010",
        )
        # B: dispatched in week 1, deadline Fri 5 March 17:00, never handled: overdue.
        self.b = add_case_with_steps(
            store,
            [*intake(3), dispatch(sh(3, 11), self.lighting, sh(5, 17))],
            author_id=self.li,
            grid_code=GRID_C,
            category_code="01037",
        )
        # C: rejected in week 1.
        self.c = add_case_with_steps(
            store,
            [("submit", sh(4, 8)), ("reject", sh(4, 9))],
            author_id=self.wang,
            grid_code=GRID_A,
            category_code="09009",
        )
        # D: dispatched in week 1 (deadline Tue 9 March 17:00), handled late in week 2
        # (Wed 10 March 17:00: 24 h late, 7 days + 6 h after the dispatch), closed in week 2.
        self.d = add_case_with_steps(
            store,
            [
                *intake(3),
                dispatch(sh(3, 11), self.sanitation, sh(9, 17)),
                ("handle", sh(10, 17)),
                *closing(sh(11, 9)),
            ],
            author_id=self.li,
            grid_code=GRID_A,
            category_code="06010",
        )


# -- indicators --------------------------------------------------------------------------------


def test_indicators_of_a_week_from_the_store(rs: LocalStore) -> None:
    city = City(rs)
    week1 = indicators(rs, WEEK1)
    total = week1.total
    # Reports A, B, C, D; accepted A, B, D; rejected C; registered and dispatched A, B, D.
    assert (total.reports, total.accepted, total.rejected) == (4, 3, 1)
    assert (total.registered, total.dispatched, total.closed) == (3, 3, 1)
    # Due to close: A, B, D (registered); closed by the cutoff: A.
    assert (total.due_to_close, total.closed_of_due) == (3, 1)
    # Due to handle: A (on time, Wed), B (deadline Fri 17:00 passed, open).
    assert (total.due_to_handle, total.handled_on_time, total.overdue) == (2, 1, 1)
    assert (total.handled, total.handled_late, total.reworked) == (1, 0, 0)
    assert total.mean_handling_hours == 24.0
    assert week1.by_department[city.sanitation].reports == 2  # A and D
    assert week1.by_department[city.lighting].overdue == 1
    assert week1.by_department[None].rejected == 1  # C was never dispatched
    assert week1.by_inspector[city.wang].reports == 2
    assert week1.by_district["420103"].reports == 1
    assert week1.by_category["06010"].dispatched == 2


def test_indicators_of_the_next_week_count_earlier_logs(rs: LocalStore) -> None:
    City(rs)
    total = indicators(rs, WEEK2).total
    # Nothing reported in week 2; D handled late (due in week 2 by its deadline Tue 17:00),
    # B still overdue; D closed.
    assert total == Counts(
        closed=1,
        due_to_handle=1,
        handled=1,
        handled_late=1,
        overdue=1,
        handling_hours_total=7 * 24 + 6,
    )


def test_indicators_as_of_now_in_the_middle_of_the_week(rs: LocalStore) -> None:
    City(rs)
    # Thursday 4 March 07:00: C not yet submitted; B's deadline (Fri) not passed.
    total = indicators(rs, WEEK1, now=sh(4, 7)).total
    assert (total.reports, total.rejected, total.due_to_handle, total.overdue) == (3, 0, 1, 0)
    assert total.closed == 1


def test_store_figures_equal_the_domain_computation(rs: LocalStore) -> None:
    summary = bulk_generate(rs, 300, seed=5, start=sh(1), end=sh(29))
    assert summary.cases == 300
    periods = [WEEK1, WEEK2, Period(sh(15), sh(22)), Period(sh(1), sh(29))]
    from_store = indicators_many(rs, periods)
    # The same log through the domain API, steps sorted by (case, time, id) by hand here.
    with rs.engine.connect() as conn:
        cases = [
            CaseFact(*row)
            for row in conn.exec_driver_sql(
                "SELECT id, author_id, category_code, grid_code FROM cases"
            )
        ]
        steps = [
            StepFact(
                case_id,
                action,
                datetime.fromisoformat(at),
                department_id,
                None if deadline is None else datetime.fromisoformat(deadline),
            )
            for case_id, action, at, department_id, deadline, _ in sorted(
                conn.exec_driver_sql(
                    "SELECT case_id, action, at, department_id, deadline, id FROM case_steps"
                ),
                key=lambda r: (r[0], r[2], r[5]),
            )
        ]
    assert from_store == compute_many(cases, steps, periods)
    assert from_store[3].total.reports == 300 - summary.statuses.get("draft", 0)
    assert from_store[3].total.handled > 0


def test_steps_are_read_in_time_order_whatever_order_they_were_stored_in(
    rs: LocalStore,
) -> None:
    dept = add_department(rs, "环卫所")
    case_id = add_case(rs)
    # The handle arrives (is stored) before the dispatch it answers.
    add_steps(rs, case_id, [("handle", sh(3, 12))])
    add_steps(rs, case_id, [dispatch(sh(2, 12), dept, sh(3, 17))])
    total = indicators(rs, WEEK1).total
    assert (total.handled, total.handled_on_time, total.handling_hours_total) == (1, 1, 24.0)


def test_a_closed_history_before_the_period_counts_nothing(rs: LocalStore) -> None:
    dept = add_department(rs, "环卫所")
    add_case_with_steps(
        rs,
        [
            ("submit", sh(1, 8, month=1)),
            ("accept", sh(1, 9, month=1)),
            ("register", sh(1, 10, month=1)),
            dispatch(sh(1, 11, month=1), dept, sh(5, 17, month=1)),
            ("handle", sh(4, 10, month=1)),
            *closing(sh(4, 11, month=1)),
        ],
    )
    # Dispatched in January with a deadline in January, never handled: overdue in March.
    open_case = add_case_with_steps(
        rs,
        [
            *[(a, at.replace(month=1)) for a, at in intake(4)],
            dispatch(sh(4, 11, month=1), dept, sh(8, 17, month=1)),
        ],
    )
    result = indicators(rs, WEEK1)
    assert result.total == Counts(overdue=1)
    assert result.by_department[dept].overdue == 1
    assert open_case in {a.case_id for a in open_assignments(rs, sh(8))}


def test_weekly_trend_counts_city_totals_per_week(rs: LocalStore) -> None:
    City(rs)
    # Wednesday 3 March to Thursday 11 March: two pieces, clipped.
    trend = weekly_trend(rs, Period(sh(3), sh(11)))
    assert [p for p, _ in trend] == [Period(sh(3), sh(8)), Period(sh(8), sh(11))]
    first, second = (counts for _, counts in trend)
    # Wed–Sun: B, C, D reported (A was on Tuesday); B overdue at Monday 00:00.
    assert (first.reports, first.rejected, first.overdue) == (3, 1, 1)
    # Mon–Wed: D handled late on Wednesday 17:00, closed Thursday (after the trend ends).
    assert (second.reports, second.handled_late, second.closed, second.overdue) == (0, 1, 0, 1)


def test_weekly_trend_of_a_quarter_has_fourteen_weeks(rs: LocalStore) -> None:
    quarter = Period(datetime(2027, 1, 1, tzinfo=SHANGHAI), datetime(2027, 4, 1, tzinfo=SHANGHAI))
    trend = weekly_trend(rs, quarter)
    assert len(trend) == 14
    assert all(counts == Counts() for _, counts in trend)


# -- names -----------------------------------------------------------------------------------


def test_department_names_in_either_language(rs: LocalStore) -> None:
    sanitation = add_department(rs, "环卫所", name_en="Sanitation")
    lighting = add_department(rs, "路灯所")
    closed = add_department(rs, "旧部门", name_en="Old office", active=False)
    zh = department_names(rs, "zh_CN")
    en = department_names(rs, "en")
    assert zh == {sanitation: "环卫所", lighting: "路灯所", closed: "旧部门", None: "未派遣"}
    assert en == {
        sanitation: "Sanitation",
        lighting: "路灯所",  # no English name: the Chinese one
        closed: "Old office",
        None: "Not dispatched",
    }


def test_user_names_prefer_the_display_name(rs: LocalStore) -> None:
    wang = add_user(rs, "wang", display_name="王巡查")
    li = add_user(rs, "li")
    gone = add_user(rs, "zhao", display_name="赵", active=False)
    names = user_names(rs)
    assert (names[wang], names[li], names[gone], names[None]) == ("王巡查", "li", "赵", "未知")
    assert user_names(rs, "en")[None] == "Unknown"


# -- deadlines -------------------------------------------------------------------------------


def test_working_calendar_and_rules_from_the_store(rs: LocalStore) -> None:
    add_calendar_day(rs, date(2027, 10, 1), False, "国庆节")
    add_calendar_day(rs, date(2027, 10, 9), True, "调休")
    calendar = working_calendar(rs)
    assert calendar == WorkingCalendar(
        exceptions={date(2027, 10, 1): False, date(2027, 10, 9): True}
    )
    add_time_limit(rs, None, None, 5, "working_days")
    add_time_limit(rs, "06010", "urgent", 4, "working_hours")
    assert {(r.category_code, r.urgency, r.amount, r.unit) for r in time_limit_rules(rs)} == {
        (None, None, 5, "working_days"),
        ("06010", "urgent", 4, "working_hours"),
    }


def test_propose_deadline_for_a_case(rs: LocalStore) -> None:
    add_time_limit(rs, None, None, 2, "working_days")
    add_time_limit(rs, "06010", "urgent", 4, "working_hours")
    add_calendar_day(rs, date(2027, 3, 8), False, "a holiday on Monday")
    urgent = add_case(rs, category_code="06010", urgency="urgent")
    normal = add_case(rs, category_code="09009")
    # Urgent 06010: 4 working hours from Friday 15:00: 2 h, Monday off, Tuesday 09:00–11:00.
    assert propose_deadline(rs, urgent, sh(5, 15)) == sh(9, 11)
    # Others: 2 working days after Friday: Tuesday and Wednesday → Wednesday 17:00.
    assert propose_deadline(rs, normal, sh(5, 15)) == sh(10, 17)
    with pytest.raises(DomainError):
        propose_deadline(rs, "no-such-case", sh(5, 15))


def test_propose_deadline_without_rules_is_none(rs: LocalStore) -> None:
    assert propose_deadline(rs, add_case(rs), sh(5, 15)) is None


# -- open assignments ------------------------------------------------------------------------


def test_open_assignments_with_lights_and_flags(rs: LocalStore) -> None:
    dept = add_department(rs, "环卫所")
    other = add_department(rs, "路灯所")
    now = sh(10, 12)  # Wednesday 10 March 12:00
    # Overdue: deadline Tuesday 17:00.
    late = add_case_with_steps(rs, [*intake(1), dispatch(sh(1, 12), dept, sh(9, 17))])
    # Due soon: 48 h used of 68 (70.6 %, green) but only 20 h left.
    soon = add_case_with_steps(rs, [*intake(8), dispatch(sh(8, 12), dept, sh(11, 8))])
    # Calm: 48 h used of 96 (50 %), 48 h left.
    calm = add_case_with_steps(rs, [*intake(8), dispatch(sh(8, 12), other, sh(12, 12))])
    # Yellow with more than a day left: 216 h used of 246 (87.8 %), 30 h left.
    yellow = add_case_with_steps(rs, [*intake(1), dispatch(sh(1, 12), other, sh(11, 18))])
    # Parked at Tuesday 12:00 with 1.5 h used of 6.5; suspended for 24 h by now.
    parked = add_case_with_steps(
        rs, [*intake(9), dispatch(sh(9, 10, 30), dept, sh(9, 17)), ("suspend", sh(9, 12))]
    )
    # Handled: not open.
    add_case_with_steps(
        rs, [*intake(8), dispatch(sh(8, 11), dept, sh(12, 17)), ("handle", sh(9, 9))]
    )
    # Reworked: the assignment started at the rework.
    reworked = add_case_with_steps(
        rs,
        [
            *intake(1),
            dispatch(sh(1, 11), dept, sh(3, 17)),
            ("handle", sh(2, 9)),
            ("request_reinspection", sh(2, 10)),
            ("reinspect_fail", sh(2, 15)),
            ("rework", sh(2, 16), {"deadline": sh(12, 16)}),
        ],
    )
    rows = {r.case_id: r for r in open_assignments(rs, now)}
    assert set(rows) == {late, soon, calm, yellow, parked, reworked}

    assert (rows[late].overdue, rows[late].light, rows[late].due_soon) == (
        True,
        TrafficLight.RED,
        False,
    )
    assert (rows[soon].overdue, rows[soon].light, rows[soon].due_soon) == (
        False,
        TrafficLight.GREEN,
        True,
    )
    assert (rows[calm].light, rows[calm].due_soon) == (TrafficLight.GREEN, False)
    assert (rows[yellow].light, rows[yellow].due_soon) == (TrafficLight.YELLOW, True)
    assert rows[calm].department_id == other

    p = rows[parked]
    assert p.status is CaseStatus.SUSPENDED
    assert (p.overdue, p.due_soon) == (False, False)
    assert p.suspended_seconds == 24 * 3600
    assert p.recorded_deadline == sh(9, 17)
    assert p.deadline == sh(10, 17)  # moved on by the 24 h parked so far
    assert p.light is TrafficLight.GREEN  # 1.5 h used of 6.5 when it was parked

    r = rows[reworked]
    assert (r.started_at, r.department_id, r.deadline) == (sh(2, 16), dept, sh(12, 16))
    assert r.status is CaseStatus.DISPATCHED

    ordered = [row.case_id for row in open_assignments(rs, now)]
    assert ordered == [late, parked, soon, yellow, calm, reworked]  # by effective deadline


def test_open_assignments_as_of_a_past_moment(rs: LocalStore) -> None:
    dept = add_department(rs, "环卫所")
    case_id = add_case_with_steps(
        rs, [*intake(1), dispatch(sh(1, 12), dept, sh(3, 12)), ("handle", sh(5, 9))]
    )
    assert open_assignments(rs, sh(6)) == []
    (row,) = open_assignments(rs, sh(4))  # handled only on Friday
    assert (row.case_id, row.overdue, row.started_at) == (case_id, True, sh(1, 12))
    assert open_assignments(rs, sh(1, 11)) == []  # not yet dispatched


def test_a_dispatched_case_without_its_log_uses_the_case_row(rs: LocalStore) -> None:
    dept = add_department(rs, "环卫所")
    case_id = add_case(
        rs, status="dispatched", department_id=dept, deadline=datetime(2027, 3, 9, 9, tzinfo=UTC)
    )
    (row,) = open_assignments(rs, sh(9, 12))  # 12:00 +08:00 is 04:00 UTC: 5 h left
    assert (row.case_id, row.department_id, row.started_at) == (case_id, dept, None)
    assert (row.overdue, row.due_soon, row.light) == (False, True, TrafficLight.YELLOW)


def test_the_covering_index_gives_the_same_figures(rs: LocalStore) -> None:
    City(rs)
    periods = [WEEK1, WEEK2, Period(sh(1), sh(15))]
    sorted_scan = indicators_many(rs, periods)
    with rs.engine.begin() as conn:
        conn.exec_driver_sql(COVERING_INDEX)
    with rs.engine.connect() as conn:
        plan = conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT case_id, action, at, department_id, deadline "
            "FROM case_steps WHERE at < '9' ORDER BY case_id, at, id"
        ).fetchall()
    assert "COVERING INDEX ix_case_steps_log" in str(plan)
    assert indicators_many(rs, periods) == sorted_scan
