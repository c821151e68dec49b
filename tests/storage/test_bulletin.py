"""The data of the bulletin and of the case report, assembled from a real store.

A small city whose every figure is known by hand: five departments, twelve cases dispatched in
one week, some handled on time, some late, some never — so the ranking, the overdue list and
the typical cases are known in advance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from report_builders import add_case_with_steps, add_department, add_user
from sqlalchemy import insert

from app.domain.errors import DomainError
from app.domain.indicators import Counts, Period, rank_departments
from app.storage.bulletin import bulletin_data, case_report_data, podium, short_id
from app.storage.models import Comment
from app.storage.store import LocalStore

# A week of whole local days; "now" is three days after it.
START = datetime(2026, 11, 2).astimezone()
END = START + timedelta(days=7)
NOW = END + timedelta(days=3)
PERIOD = Period(START, END)
HOUR = timedelta(hours=1)


def day(n: int, hour: int = 12) -> datetime:
    """November ``n``, 2026 at ``hour`` local time."""
    return datetime(2026, 11, n, hour).astimezone()


@dataclass
class City:
    departments: dict[str, str] = field(default_factory=dict)
    cases: dict[str, str] = field(default_factory=dict)
    inspector: str = ""
    supervisor: str = ""


DEPARTMENTS = {
    "A": ("市容环卫局", "Sanitation"),
    "B": ("市政工程处", "Municipal works"),
    "C": ("城管执法大队", "Enforcement"),
    "D": ("交警支队", "Traffic police"),
    "E": ("园林绿化局", "Parks"),
}


def dispatched(
    store: LocalStore,
    city: City,
    label: str,
    *,
    deadline: datetime,
    handled: datetime | None = None,
    closed: bool = False,
    extend_to: datetime | None = None,
    category: str = "06010",
) -> str:
    """A case submitted on November 2 and dispatched to department ``label[0]``."""
    sup: dict[str, Any] = {"actor_id": city.supervisor}
    insp: dict[str, Any] = {"actor_id": city.inspector}
    t0 = day(2, 9)
    steps: list[Any] = [
        ("submit", t0, insp),
        ("accept", t0 + HOUR, sup),
        ("register", t0 + 2 * HOUR, sup),
        (
            "dispatch",
            t0 + 3 * HOUR,
            {**sup, "department_id": city.departments[label[0]], "deadline": deadline},
        ),
    ]
    if extend_to is not None:
        steps.append(("extend", t0 + 4 * HOUR, {**sup, "deadline": extend_to, "opinion": "需协调"}))
    if handled is not None:
        steps.append(("handle", handled, {**sup, "opinion": f"{label} 已处置"}))
    if closed:
        assert handled is not None
        steps += [
            ("request_reinspection", handled + HOUR, {**sup, "assignee_id": city.inspector}),
            ("reinspect_pass", handled + 2 * HOUR, {**insp, "opinion": f"{label} 现场已整改"}),
            ("close", handled + 3 * HOUR, sup),
        ]
    case_id = add_case_with_steps(
        store,
        steps,
        author_id=city.inspector,
        category_code=category,
        description=f"案件 {label} 的问题描述",
        address=f"{label} 路 1 号",
        created_at=t0 - HOUR,
    )
    city.cases[label] = case_id
    return case_id


def build_city(store: LocalStore, samples: Path | None = None) -> City:
    """On-time rates: A 2/2, B 2/3, C 1/2, D 1/4; E has nothing due in the week."""
    city = City()
    city.inspector = add_user(store, "zhangsan", display_name="张三")
    city.supervisor = add_user(store, "lisi", display_name="李四", role="supervisor")
    for key, (name, name_en) in DEPARTMENTS.items():
        city.departments[key] = add_department(store, name, name_en=name_en)
    dispatched(
        store,
        city,
        "A1",
        deadline=day(4),
        extend_to=day(5),
        handled=day(3, 10),
        closed=True,
    )
    dispatched(store, city, "A2", deadline=day(4), handled=day(3, 15), closed=True)
    dispatched(store, city, "B1", deadline=day(4), handled=day(3, 11), closed=True)
    dispatched(store, city, "B2", deadline=day(4), handled=day(4, 9), closed=True)
    dispatched(store, city, "B3", deadline=day(5), handled=day(6))  # late
    dispatched(store, city, "C1", deadline=day(4), handled=day(4, 10))
    dispatched(store, city, "C2", deadline=day(7), category="09009")  # never handled
    dispatched(store, city, "D1", deadline=day(3), handled=day(3, 11))
    dispatched(store, city, "D2", deadline=day(4), category="09009")
    dispatched(store, city, "D3", deadline=day(5), category="09009")
    dispatched(store, city, "D4", deadline=day(6), category="09009")
    dispatched(store, city, "E1", deadline=day(20))  # due after the week
    if samples is not None:
        gps = samples / "photos" / "jpg" / "gps"
        a1, b1 = city.cases["A1"], city.cases["B1"]
        store.attach_photo(a1, gps / "DSCN0010.jpg", role="before")
        store.attach_photo(a1, gps / "DSCN0012.jpg", role="before")
        store.attach_photo(a1, gps / "DSCN0021.jpg", role="after")
        store.attach_photo(b1, gps / "DSCN0025.jpg", role="before")
    return city


# -- ranking (no store) ------------------------------------------------------------------------


def test_ranking_orders_by_on_time_then_closure_then_rework() -> None:
    def c(figures: tuple[int, int, int, int, int, int]) -> Counts:
        """(on time, due to handle, closed, due to close, reworked, handled)"""
        on_time, due, closed, to_close, reworked, handled = figures
        return Counts(
            due_to_handle=due,
            handled_on_time=on_time,
            due_to_close=to_close,
            closed_of_due=closed,
            reworked=reworked,
            handled=handled,
        )

    by_department = {
        "nothing-due": c((0, 0, 5, 5, 0, 0)),
        "half": c((1, 2, 1, 1, 0, 2)),
        "half-less-closed": c((2, 4, 1, 2, 0, 4)),
        "half-more-rework": c((1, 2, 1, 1, 1, 2)),
        "half-no-closure": c((1, 2, 0, 0, 0, 2)),
        "best": c((3, 3, 0, 1, 0, 3)),
        "worst": c((0, 2, 1, 1, 0, 0)),
    }
    names = {key: key for key in by_department}
    ranking = rank_departments(by_department, names)
    assert [r.department_id for r in ranking] == [
        "best",
        "half",
        "half-more-rework",
        "half-less-closed",
        "half-no-closure",  # no closure rate: after every closure rate
        "worst",
        "nothing-due",  # listed last, unranked
    ]
    assert [r.rank for r in ranking] == [1, 2, 3, 4, 5, 6, None]
    top, bottom = podium(ranking)
    assert [r.department_id for r in top] == ["best", "half", "half-more-rework"]
    assert [r.department_id for r in bottom] == ["half-less-closed", "half-no-closure", "worst"]
    tied = rank_departments(
        {"b": c((1, 2, 1, 1, 0, 2)), "a": c((2, 4, 2, 2, 0, 4)), "z": c((1, 1, 0, 1, 0, 1))},
        {"a": "a", "b": "b", "z": "z"},
    )
    assert [(r.rank, r.department_id) for r in tied] == [(1, "z"), (2, "a"), (2, "b")]
    top, bottom = podium(ranking[:3])  # two ranked: one each, never both
    assert ([r.department_id for r in top], [r.department_id for r in bottom]) == (
        ["best"],
        ["half-more-rework"],
    )


def test_short_id_uses_the_random_end_of_the_id() -> None:
    assert short_id("01900000-0000-7000-8000-0000cafe0001") == "cafe0001"


# -- bulletin from a store ---------------------------------------------------------------------


def test_bulletin_of_a_known_week(store: LocalStore, samples: Path) -> None:
    city = build_city(store, samples)
    data = bulletin_data(store, PERIOD, now=NOW)
    assert data.cutoff == END and data.generated_at == NOW
    t = data.totals
    assert (t.reports, t.registered, t.dispatched) == (12, 12, 12)
    assert (t.due_to_close, t.closed_of_due, t.closed) == (12, 4, 4)
    assert (t.due_to_handle, t.handled_on_time, t.handled, t.handled_late) == (11, 6, 7, 1)
    assert t.overdue == 4
    assert t.on_time_rate == pytest.approx(6 / 11)

    names = [r.name for r in data.ranking]
    assert names == ["市容环卫局", "市政工程处", "城管执法大队", "交警支队", "园林绿化局"]
    assert [r.rank for r in data.ranking] == [1, 2, 3, 4, None]
    rates = [r.counts.on_time_rate for r in data.ranking]
    assert rates == [1.0, pytest.approx(2 / 3), 0.5, 0.25, None]
    assert [r.name for r in data.top] == ["市容环卫局", "市政工程处"]
    assert [r.name for r in data.bottom] == ["城管执法大队", "交警支队"]

    # overdue at the end of the week, the longest overdue first
    assert [o.case_id for o in data.overdue] == [city.cases[k] for k in ("D2", "D3", "D4", "C2")]
    assert [o.days_overdue for o in data.overdue] == [5, 4, 3, 2]
    first = data.overdue[0]
    assert first.short_id == short_id(city.cases["D2"])
    assert first.department == "交警支队"
    assert first.address == "D2 路 1 号"
    assert first.category == "09009 机动车乱停放"
    assert first.deadline == day(4)

    # typical: closed in the week with photos, the longest history first (A1 has an extension)
    assert [c.case_id for c in data.typical] == [city.cases["A1"], city.cases["B1"]]
    a1 = data.typical[0]
    assert a1.department == "市容环卫局"
    assert a1.category == "06010 暴露垃圾"
    assert [s.action for s in a1.timeline] == [
        "submit",
        "accept",
        "register",
        "dispatch",
        "extend",
        "handle",
        "request_reinspection",
        "reinspect_pass",
        "close",
    ]
    assert [p.path.name[:8] for p in a1.before] and len(a1.before) == 2 and len(a1.after) == 1
    assert all(p.path.is_file() and p.thumbnail.is_file() for p in a1.before + a1.after)
    assert len(data.typical[1].before) == 1 and data.typical[1].after == []

    assert [c.case_id for c in bulletin_data(store, PERIOD, now=NOW, typical=1).typical] == [
        city.cases["A1"]
    ]


def test_bulletin_as_of_a_moment_inside_the_period(store: LocalStore) -> None:
    city = build_city(store)
    data = bulletin_data(store, PERIOD, now=day(6, 0))
    assert data.cutoff == day(6, 0)
    # B3 is handled at noon on the 6th: still overdue at midnight
    assert [o.case_id for o in data.overdue] == [city.cases[k] for k in ("D2", "B3", "D3")]
    assert [o.days_overdue for o in data.overdue] == [2, 1, 1]
    assert data.typical == []  # no photos in this city


def test_bulletin_in_english(store: LocalStore) -> None:
    build_city(store)
    data = bulletin_data(store, PERIOD, now=NOW, language="en")
    assert [r.name for r in data.ranking][:2] == ["Sanitation", "Municipal works"]
    assert data.overdue[0].category == "09009 Illegal parking of motor vehicles"
    assert data.overdue[0].department == "Traffic police"


def test_a_quiet_period_ranks_nobody_but_lists_what_is_still_overdue(store: LocalStore) -> None:
    city = build_city(store)
    later = Period(END + timedelta(days=30), END + timedelta(days=37))
    data = bulletin_data(store, later, now=NOW + timedelta(days=60))
    assert data.totals.reports == 0 and data.totals.due_to_handle == 0
    assert data.top == [] and data.bottom == [] and data.typical == []
    assert all(r.rank is None for r in data.ranking)  # listed (overdue work), not ranked
    assert [o.case_id for o in data.overdue] == [
        city.cases[k] for k in ("D2", "D3", "D4", "C2", "E1")
    ]
    with pytest.raises(DomainError):
        bulletin_data(store, Period(END, START))


# -- case report -------------------------------------------------------------------------------


def test_case_report_has_the_whole_timeline(store: LocalStore, samples: Path) -> None:
    city = build_city(store, samples)
    a1 = city.cases["A1"]
    with store.engine.begin() as conn:
        conn.execute(
            insert(Comment),
            [
                {"id": "c2", "case_id": a1, "author_name": "王五", "role": "supervisor",
                 "text": "第二条", "at": day(3, 18)},
                {"id": "c1", "case_id": a1, "author_name": "张三", "role": "inspector",
                 "text": "第一条", "at": day(3, 8)},
            ],
        )  # fmt: skip
    data = case_report_data(store, a1, "zh_CN")
    assert data.case_id == a1 and data.short_id == short_id(a1)
    assert data.status == "已结案"
    assert data.category == "06010 暴露垃圾" and data.category_code == "06010"
    assert data.description == "案件 A1 的问题描述" and data.address == "A1 路 1 号"
    assert data.author == "张三"
    assert data.department == "市容环卫局" and data.deadline == day(5)
    steps = data.timeline
    assert [s.action_name for s in steps] == [
        "上报",
        "受理",
        "立案",
        "派遣",
        "延期",
        "处置反馈",
        "派发核查",
        "核查通过",
        "结案",
    ]
    assert [s.actor for s in steps][:3] == ["张三", "李四", "李四"]
    assert steps[3].department == "市容环卫局" and steps[3].deadline == day(4)
    assert steps[4].deadline == day(5) and steps[4].opinion == "需协调"
    assert steps[5].opinion == "A1 已处置" and steps[7].opinion == "A1 现场已整改"
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    assert [c.text for c in data.comments] == ["第一条", "第二条"]
    assert [p.role for p in data.before] == ["before", "before"]
    assert [p.role for p in data.after] == ["after"]

    english = case_report_data(store, a1, "en")
    assert english.status == "Closed" and english.timeline[0].action_name == "Submit"
    assert english.department == "Sanitation"

    with pytest.raises(DomainError):
        case_report_data(store, "01900000-0000-7000-8000-000000000000")
