"""Deadlines: working calendars, time-limit rules and the traffic light, worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.domain.deadlines import (
    RuleFact,
    TrafficLight,
    WorkingCalendar,
    add_time,
    elapsed_fraction,
    propose_deadline,
    rule_for,
    traffic_light,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
CAL = WorkingCalendar()


def sh(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A local time in Shanghai in 2027 (Mon 1 Mar, Fri 5 Mar, Fri 1 Oct are the anchors)."""
    return datetime(2027, month, day, hour, minute, tzinfo=SHANGHAI)


# -- working hours ---------------------------------------------------------------------------


def test_working_hours_from_friday_afternoon_continue_on_monday() -> None:
    # Friday 5 March 16:00: 1 h until 17:00, then Monday 8 March 09:00–11:00.
    assert add_time(CAL, sh(3, 5, 16), 3, "working_hours") == sh(3, 8, 11)


def test_working_hours_skip_the_lunch_break() -> None:
    # Monday 1 March 11:00: 11–12 is 1 h, lunch, 13–14 the second.
    assert add_time(CAL, sh(3, 1, 11), 2, "working_hours") == sh(3, 1, 14)
    # A whole day is 7 h: 09:00 + 7 h ends at 17:00 the same day, not 09:00 the next.
    assert add_time(CAL, sh(3, 1, 9), 7, "working_hours") == sh(3, 1, 17)
    # 8 h: the whole Monday and 1 h of Tuesday.
    assert add_time(CAL, sh(3, 1, 9), 8, "working_hours") == sh(3, 2, 10)


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (sh(3, 1, 7), sh(3, 1, 10)),  # before work: counting starts at 09:00
        (sh(3, 1, 12, 30), sh(3, 1, 14)),  # at lunch: counting starts at 13:00
        (sh(3, 1, 18), sh(3, 2, 10)),  # after work: Tuesday 09:00
        (sh(3, 6, 10), sh(3, 8, 10)),  # Saturday: Monday 09:00
    ],
)
def test_working_hours_from_outside_working_time_start_at_the_next_span(
    start: datetime, due: datetime
) -> None:
    assert add_time(CAL, start, 1, "working_hours") == due


def test_a_holiday_is_skipped() -> None:
    holidays = WorkingCalendar(exceptions={date(2027, 10, 1): False})  # National Day, a Friday
    # Thursday 30 Sept 16:00: 1 h, then Friday off, the weekend, Monday 4 Oct 09:00–11:00.
    assert add_time(holidays, sh(9, 30, 16), 3, "working_hours") == sh(10, 4, 11)
    assert add_time(CAL, sh(9, 30, 16), 3, "working_hours") == sh(10, 1, 11)


def test_a_weekend_day_worked_in_lieu_counts() -> None:
    in_lieu = WorkingCalendar(exceptions={date(2027, 3, 6): True})  # Saturday 调休
    assert add_time(in_lieu, sh(3, 5, 16), 3, "working_hours") == sh(3, 6, 11)
    assert add_time(in_lieu, sh(3, 5, 10), 1, "working_days") == sh(3, 6, 17)


def test_results_are_aware_and_in_the_calendar_zone() -> None:
    start = datetime(2027, 3, 5, 8, tzinfo=UTC)  # Friday 16:00 in Shanghai
    due = add_time(CAL, start, 3, "working_hours")
    assert due.tzinfo is SHANGHAI
    assert due == datetime(2027, 3, 8, 3, tzinfo=UTC)  # Monday 11:00 +08:00


# -- working days ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (sh(3, 5, 10), 1, sh(3, 8, 17)),  # Friday → end of Monday
        (sh(3, 3, 10), 2, sh(3, 5, 17)),  # Wednesday → end of Friday
        (sh(3, 3, 23, 59), 2, sh(3, 5, 17)),  # the time of day does not matter
        (sh(3, 6, 10), 1, sh(3, 8, 17)),  # Saturday → end of Monday
        (sh(3, 1, 10), 5, sh(3, 8, 17)),  # Monday → end of next Monday
    ],
)
def test_working_days_end_at_the_end_of_the_nth_working_day_after_the_start_date(
    start: datetime, days: int, due: datetime
) -> None:
    assert add_time(CAL, start, days, "working_days") == due


def test_working_days_skip_holidays() -> None:
    holidays = WorkingCalendar(
        exceptions={date(2027, 10, d): False for d in (1, 4, 5, 6, 7)}
        | {date(2027, 10, 9): True}  # Saturday 9 Oct worked in lieu
    )
    # Thursday 30 Sept + 1 working day: 1 Oct off, weekend, 4–7 off, Fri 8 Oct.
    assert add_time(holidays, sh(9, 30, 10), 1, "working_days") == sh(10, 8, 17)
    assert add_time(holidays, sh(9, 30, 10), 2, "working_days") == sh(10, 9, 17)


# -- calendar hours and another time zone ----------------------------------------------------


def test_calendar_hours_are_real_elapsed_hours() -> None:
    assert add_time(CAL, sh(3, 5, 16), 24, "calendar_hours") == sh(3, 6, 16)
    assert add_time(CAL, sh(3, 5, 16), 72, "calendar_hours") == sh(3, 8, 16)


def test_calendar_hours_across_the_berlin_spring_forward_are_real_hours() -> None:
    berlin = WorkingCalendar(tz=BERLIN)
    start = datetime(2027, 3, 27, 12, tzinfo=BERLIN)  # Saturday, CET (UTC+1)
    due = add_time(berlin, start, 24, "calendar_hours")
    # 24 real hours later the clocks read 13:00 CEST (UTC+2) on Sunday.
    assert due == datetime(2027, 3, 28, 11, tzinfo=UTC)
    assert (due.hour, due.utcoffset()) == (13, timedelta(hours=2))


def test_working_hours_in_berlin_follow_the_local_clock_across_dst() -> None:
    berlin = WorkingCalendar(tz=BERLIN)
    # Friday 26 March 16:00 CET: 1 h, weekend with the clock change, Monday 09:00–11:00 CEST.
    due = add_time(berlin, datetime(2027, 3, 26, 16, tzinfo=BERLIN), 3, "working_hours")
    assert due == datetime(2027, 3, 29, 9, tzinfo=UTC)  # 11:00 CEST
    # Autumn: Friday 29 Oct 16:00 CEST → Monday 1 Nov 11:00 CET.
    due = add_time(berlin, datetime(2027, 10, 29, 16, tzinfo=BERLIN), 3, "working_hours")
    assert due == datetime(2027, 11, 1, 10, tzinfo=UTC)


def test_shanghai_has_no_daylight_saving() -> None:
    start = sh(3, 1, 9)
    assert add_time(CAL, start, 24 * 365, "calendar_hours") == datetime(
        2028, 2, 29, 9, tzinfo=SHANGHAI
    )  # 2028 is a leap year: 365 days after 1 March 2027 is 29 February 2028


# -- refusals and calendar checks ------------------------------------------------------------


@pytest.mark.parametrize(("amount", "unit"), [(0, "working_hours"), (-1, "calendar_hours")])
def test_an_amount_below_one_is_refused(amount: int, unit: str) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        add_time(CAL, sh(3, 1, 9), amount, unit)


def test_an_unknown_unit_or_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown time-limit unit"):
        add_time(CAL, sh(3, 1, 9), 3, "fortnights")
    with pytest.raises(ValueError, match="time zone"):
        add_time(CAL, datetime(2027, 3, 1, 9), 3, "working_hours")


def test_a_calendar_with_bad_spans_is_refused() -> None:
    with pytest.raises(ValueError):
        WorkingCalendar(hours=())
    with pytest.raises(ValueError):
        WorkingCalendar(hours=((time(12), time(9)),))
    with pytest.raises(ValueError):
        WorkingCalendar(hours=((time(9), time(13)), (time(12), time(17))))


def test_custom_working_spans() -> None:
    long_day = WorkingCalendar(hours=((time(8, 30), time(12)), (time(13, 30), time(17, 30))))
    # 7.5 h a day: Monday 08:30 + 4 h = 12:00 (3.5 h) + 13:30–14:00.
    assert add_time(long_day, sh(3, 1, 8, 30), 4, "working_hours") == sh(3, 1, 14)


# -- rules -----------------------------------------------------------------------------------

RULES = [
    RuleFact(None, None, 5, "working_days"),
    RuleFact(None, "urgent", 8, "working_hours"),
    RuleFact("06010", None, 2, "working_days"),
    RuleFact("06010", "urgent", 4, "working_hours"),
]


@pytest.mark.parametrize(
    ("category", "urgency", "expected"),
    [
        ("06010", "urgent", RULES[3]),  # category and urgency
        ("06010", "normal", RULES[2]),  # category only
        ("09009", "urgent", RULES[1]),  # urgency only
        ("09009", "normal", RULES[0]),  # the default
        (None, None, RULES[0]),
    ],
)
def test_the_most_specific_rule_wins(
    category: str | None, urgency: str | None, expected: RuleFact
) -> None:
    assert rule_for(RULES, category, urgency) is expected
    assert rule_for(list(reversed(RULES)), category, urgency) is expected


def test_no_rule_no_deadline() -> None:
    assert rule_for([], "06010", "normal") is None
    only_lights = [RuleFact("01037", None, 1, "working_days")]
    assert rule_for(only_lights, "06010", "normal") is None
    assert propose_deadline(only_lights, CAL, "06010", "normal", sh(3, 1, 9)) is None


def test_propose_deadline_applies_the_rule_on_the_calendar() -> None:
    # 06010 urgent: 4 working hours from Friday 15:00 → 2 h Friday, 2 h Monday → 11:00.
    assert propose_deadline(RULES, CAL, "06010", "urgent", sh(3, 5, 15)) == sh(3, 8, 11)
    # 09009 normal: the default, 5 working days from Friday → end of Friday 12 March.
    assert propose_deadline(RULES, CAL, "09009", "normal", sh(3, 5, 15)) == sh(3, 12, 17)


# -- traffic light ---------------------------------------------------------------------------

START = sh(3, 1, 8)
DEADLINE = sh(3, 1, 18)  # a 10-hour limit


@pytest.mark.parametrize(
    ("now", "light"),
    [
        (sh(3, 1, 15, 59), TrafficLight.GREEN),  # 79.8 %
        (sh(3, 1, 16), TrafficLight.YELLOW),  # exactly 80 %
        (sh(3, 1, 18), TrafficLight.YELLOW),  # exactly 100 %
        (sh(3, 1, 18) + timedelta(microseconds=1), TrafficLight.RED),
        (sh(3, 1, 8), TrafficLight.GREEN),
    ],
)
def test_traffic_light_boundaries(now: datetime, light: TrafficLight) -> None:
    assert traffic_light(START, DEADLINE, now) is light


def test_suspended_time_is_not_counted() -> None:
    # At 20:00, 12 h have passed; 4 h suspended leaves 8 h of 10: exactly 80 %.
    assert elapsed_fraction(START, DEADLINE, sh(3, 1, 20), 4 * 3600) == 0.8
    assert traffic_light(START, DEADLINE, sh(3, 1, 20), 4 * 3600) is TrafficLight.YELLOW
    assert traffic_light(START, DEADLINE, sh(3, 1, 20), 5 * 3600) is TrafficLight.GREEN
    assert traffic_light(START, DEADLINE, sh(3, 1, 20)) is TrafficLight.RED


def test_elapsed_fraction() -> None:
    assert elapsed_fraction(START, DEADLINE, sh(3, 1, 13)) == 0.5
    assert elapsed_fraction(START, DEADLINE, sh(3, 1, 23)) == 1.5


def test_a_degenerate_limit_is_yellow_until_the_deadline_then_red() -> None:
    assert traffic_light(START, START, START) is TrafficLight.YELLOW
    assert traffic_light(START, START, START + timedelta(seconds=1)) is TrafficLight.RED
    assert traffic_light(DEADLINE, START, sh(3, 1, 9)) is TrafficLight.RED  # deadline < start
    assert elapsed_fraction(START, START, START) == 1.0
    assert elapsed_fraction(START, START, sh(3, 1, 9)) == float("inf")


def test_traffic_light_across_dst_measures_real_time() -> None:
    # Saturday 27 March 12:00 CET to Sunday 28 March 12:00 CEST: 24 h on the wall clock but
    # 23 real hours. At Sunday 07:18 CEST, 18.3 real hours have passed: 79.6 %, green (the
    # wall clock would say 19.3 of 24 hours, 80.4 %, yellow).
    start = datetime(2027, 3, 27, 12, tzinfo=BERLIN)
    deadline = datetime(2027, 3, 28, 12, tzinfo=BERLIN)
    now = datetime(2027, 3, 28, 7, 18, tzinfo=BERLIN)
    assert elapsed_fraction(start, deadline, now) == pytest.approx(18.3 / 23)
    assert traffic_light(start, deadline, now) is TrafficLight.GREEN
    assert traffic_light(start, deadline, datetime(2027, 3, 28, 7, 30, tzinfo=BERLIN)) is (
        TrafficLight.YELLOW  # 18.5 / 23 = 80.4 %
    )
