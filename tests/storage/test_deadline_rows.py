"""The supervisor's deadlines from a real local store: the open assignments with their cases'
text and departments' names, in a bounded number of statements however many cases there are."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from report_builders import add_case, add_case_with_steps, add_department
from sqlalchemy import event

from app.domain.deadlines import TrafficLight
from app.domain.lifecycle import CaseStatus
from app.storage import LocalStore
from app.storage.deadlines import deadline_rows, deadline_state
from app.storage.reports import open_assignments
from app.storage.supervision import timeline

SHANGHAI = ZoneInfo("Asia/Shanghai")


def sh(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=SHANGHAI)


def intake(day: int) -> list[tuple[str, datetime]]:
    return [("submit", sh(day, 8)), ("accept", sh(day, 9)), ("register", sh(day, 10))]


def dispatch(
    at: datetime, department: str | None, deadline: datetime
) -> tuple[str, datetime, dict[str, object]]:
    return ("dispatch", at, {"department_id": department, "deadline": deadline})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    with LocalStore(tmp_path / "data") as opened:
        yield opened


def test_rows_are_the_open_assignments_with_text_and_names(store: LocalStore) -> None:
    sanitation = add_department(store, "环卫所", name_en="Sanitation")
    lights = add_department(store, "路灯所")  # no English name: the Chinese one in English too
    now = sh(10, 12)
    late = add_case_with_steps(
        store,
        [*intake(1), dispatch(sh(1, 12), sanitation, sh(9, 17))],
        description="垃圾堆放\n两处",
        address="中山路 12 号",
    )
    calm = add_case_with_steps(store, [*intake(8), dispatch(sh(8, 12), lights, sh(12, 12))])
    parked = add_case_with_steps(
        store,
        [*intake(9), dispatch(sh(9, 10, 30), sanitation, sh(9, 17)), ("suspend", sh(9, 12))],
    )
    add_case_with_steps(  # handled: not open
        store, [*intake(8), dispatch(sh(8, 11), sanitation, sh(12, 17)), ("handle", sh(9, 9))]
    )
    logless = add_case(store, status="dispatched", department_id=lights, deadline=sh(11, 9))

    rows = deadline_rows(store, now, "zh_CN")
    expected = open_assignments(store, now)
    assert [r.case_id for r in rows] == [a.case_id for a in expected]
    assert set(r.case_id for r in rows) == {late, calm, parked, logless}
    for row, assignment in zip(rows, expected, strict=True):
        assert (row.status, row.department_id, row.deadline) == (
            assignment.status,
            assignment.department_id,
            assignment.deadline,
        )
        assert (row.light, row.overdue, row.due_soon) == (
            assignment.light,
            assignment.overdue,
            assignment.due_soon,
        )
    by_id = {r.case_id: r for r in rows}
    assert (by_id[late].description, by_id[late].address) == ("垃圾堆放\n两处", "中山路 12 号")
    assert (by_id[late].department, by_id[calm].department) == ("环卫所", "路灯所")
    assert by_id[late].light is TrafficLight.RED and by_id[late].overdue
    # 192 h used of a 197 h limit, then 19 h more: over 100 %.
    assert by_id[late].used == pytest.approx((sh(10, 12) - sh(1, 12)) / (sh(9, 17) - sh(1, 12)))
    assert by_id[parked].status is CaseStatus.SUSPENDED
    assert by_id[logless].used is None  # no dispatch in its log to measure from
    assert by_id[logless].department == "路灯所"

    english = {r.case_id: r.department for r in deadline_rows(store, now, "en")}
    assert (english[late], english[calm]) == ("Sanitation", "路灯所")


def _statements(store: LocalStore, work: Any) -> int:
    count = 0

    def counted(*_args: object) -> None:
        nonlocal count
        count += 1

    event.listen(store.engine, "before_cursor_execute", counted)
    try:
        work()
    finally:
        event.remove(store.engine, "before_cursor_execute", counted)
    return count


def test_the_list_costs_the_same_statements_for_few_cases_or_many(store: LocalStore) -> None:
    departments = [add_department(store, f"部门{n}") for n in range(3)]

    def add(first: int, last: int) -> None:
        for n in range(first, last):
            start = sh(1, 9) + timedelta(hours=n)
            deadline = start + timedelta(days=2 + n % 9)
            add_case_with_steps(
                store,
                [*intake(1), dispatch(start, departments[n % 3], deadline)],
                description=f"案件 {n}",
            )

    def count(cases: int) -> int:
        rows: list[object] = []
        statements = _statements(store, lambda: rows.extend(deadline_rows(store, sh(5), "zh")))
        assert len(rows) == cases
        return statements

    add(0, 3)
    few = count(3)
    add(3, 60)
    many = count(60)
    # The transaction's BEGIN and one joined read of cases, steps and departments: no query
    # per row (the list once read each case again, one by one).
    assert few == many <= 2


def test_the_state_of_one_case_follows_its_history(store: LocalStore) -> None:
    sanitation = add_department(store, "环卫所")
    case_id = add_case_with_steps(store, [*intake(1), dispatch(sh(1, 12), sanitation, sh(3, 12))])
    entries = timeline(store, case_id, "zh_CN")
    state = deadline_state(entries, sh(2, 12))
    assert state is not None
    assert (state.department, state.start, state.deadline) == ("环卫所", sh(1, 12), sh(3, 12))
    assert (state.light, state.used, state.handled) == (TrafficLight.GREEN, 0.5, False)
    late = deadline_state(entries, sh(4))
    assert late is not None and late.light is TrafficLight.RED
    assert deadline_state(entries[:2], sh(2)) is None  # not dispatched yet
