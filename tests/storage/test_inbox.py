"""The tasks inbox: returned cases and re-inspection tasks from the feed, re-inspection results.

The first tests feed the store pages shaped exactly like the server's ``GET /api/v1/feed``; the
last ones go the whole way round through a real server with its demo accounts.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import ServerProcess

from app.domain import CaseFields
from app.domain.errors import DomainError, TransitionError
from app.domain.ids import new_id
from app.domain.lifecycle import CaseStatus, Role
from app.storage import LocalStore
from app.storage.inbox import (
    InboxKind,
    PhotosRefusedError,
    inbox,
    inbox_counts,
    inbox_item,
    preview_photos,
    record_reinspection,
)
from app.storage.ledger import SyncLedger
from app.storage.store import Account
from app.sync.backoff import Backoff
from app.sync.engine import SyncEngine, SyncOptions
from app.sync.session import sign_in

GPS_PHOTOS = "photos/jpg/gps"
FAST = SyncOptions(backoff=Backoff(base_s=0.01, cap_s=0.05), chunk_size=64 * 1024)
SERVER = "http://127.0.0.1:9"


# -- feed pages as the server writes them (server/cases/decisions.py `apply_decision`) ------------------------------


def signed_in_offline(store: LocalStore) -> str:
    """An account as sign-in records it (no server needed for what these tests do)."""
    user_id = new_id()
    store.set_account(Account(SERVER, user_id, "demo", "Demo 巡查员", Role.INSPECTOR))
    return user_id


def server_case(
    case_id: str, *, author_id: str, assignee_id: str | None, **fields: Any
) -> dict[str, Any]:
    """``CaseOut`` as the server serialises it (``model_dump(mode="json")``)."""
    now = datetime.now(UTC)
    case = {
        "id": case_id,
        "author_id": author_id,
        "status": "reinspecting",
        "category_code": "01001",
        "description": "供水井盖缺失",
        "address": "鼓楼区中山路 100 号",
        "urgency": "normal",
        "lat": 32.0603,
        "lon": 118.7969,
        "accuracy_m": 5.0,
        "position_source": "manual",
        "observed_at": (now - timedelta(days=2)).isoformat(),
        "created_at": (now - timedelta(days=2)).isoformat(),
        "submitted_at": (now - timedelta(days=2)).isoformat(),
        "updated_at": now.isoformat(),
        "revision": 7,
        "department_id": None,
        "deadline": (now + timedelta(days=1)).isoformat(),
        "assignee_id": assignee_id,
    }
    return {**case, **fields}


def entry(
    seq: int, kind: str, case_id: str, payload: dict[str, Any], at: datetime
) -> dict[str, Any]:
    return {
        "seq": seq,
        "kind": kind,
        "entity_id": case_id,
        "at": at.isoformat(),
        "payload": payload,
    }


def decision(event: str, status: str, revision: int, opinion: str = "") -> dict[str, Any]:
    return {
        "event": event,
        "status": status,
        "revision": revision,
        "opinion": opinion,
        "step_id": new_id(),
    }


def task_entry(
    seq: int, case_id: str, assignee_id: str, at: datetime, opinion: str = "", **fields: Any
) -> dict[str, Any]:
    case = server_case(case_id, author_id=new_id(), assignee_id=assignee_id, **fields)
    payload = {**decision("request_reinspection", "reinspecting", case["revision"], opinion)}
    return entry(seq, "task", case_id, {**payload, "case": case}, at)


def returned_case(store: LocalStore, description: str, opinion: str, at: datetime, seq: int) -> str:
    """One of my cases, submitted, confirmed by the server, then returned with ``opinion``."""
    case_id = store.create_case(
        CaseFields(category_code="06010", description=description, lat=32.06, lon=118.79)
    ).id
    store.submit_case(case_id)
    ledger = SyncLedger(store)
    ledger.apply_feed(
        [entry(seq, "decision", case_id, decision("return", "returned", 3, opinion), at)],
        seq,
        store.account().user_id,  # type: ignore[union-attr]
    )
    return case_id


def step_attachments(store: LocalStore, case_id: str) -> list[str]:
    """The attachments of the case's latest step (not part of the store's read API)."""
    with sqlite3.connect(store.data_dir / "citypatrol.db") as conn:
        row = conn.execute(
            "SELECT attachments FROM case_steps WHERE case_id = ? ORDER BY at DESC LIMIT 1",
            (case_id,),
        ).fetchone()
    return list(json.loads(row[0]))


def jpgs(samples: Path, count: int) -> list[Path]:
    return sorted((samples / GPS_PHOTOS).glob("*.jpg"))[:count]


@pytest.fixture
def me(store: LocalStore) -> str:
    return signed_in_offline(store)


def test_returned_cases_and_tasks_make_the_inbox_newest_first(store: LocalStore, me: str) -> None:
    t0 = datetime(2030, 1, 1, 8, 0, tzinfo=UTC)
    returned = returned_case(store, "人民路暴露垃圾", "请补充近景照片", t0, 1)
    task = new_id()
    ledger = SyncLedger(store)
    ledger.apply_feed([task_entry(2, task, me, t0 + timedelta(hours=1), "请现场核查")], 2, me)
    someone_elses = new_id()
    ledger.apply_feed([task_entry(3, someone_elses, new_id(), t0 + timedelta(hours=2))], 3, me)
    store.create_case(CaseFields(description="草稿不在收件箱里"))

    items = inbox(store)

    assert [(i.kind, i.case_id) for i in items] == [
        (InboxKind.REINSPECTION, task),
        (InboxKind.RETURNED, returned),
    ]
    check, back = items
    assert (check.status, check.opinion, check.since) == (
        CaseStatus.REINSPECTING,
        "请现场核查",
        t0 + timedelta(hours=1),
    )
    assert check.description == "供水井盖缺失" and check.deadline is not None
    assert (check.before_photos, check.after_photos) == (0, 0)
    assert (back.status, back.opinion, back.opinion_role) == (
        CaseStatus.RETURNED,
        "请补充近景照片",
        "supervisor",
    )
    assert back.deadline is None and back.since == t0
    counts = inbox_counts(store)
    assert (counts.returned, counts.reinspections, counts.total) == (1, 1, 2)
    assert inbox_item(store, task) == check
    assert inbox_item(store, someone_elses) is None


def test_the_opinion_shown_is_the_offices_latest(store: LocalStore, me: str) -> None:
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    case_id = returned_case(store, "路灯不亮", "地址不清楚", t0, 1)
    store.submit_case(case_id)  # corrected and resubmitted, then returned again
    SyncLedger(store).apply_feed(
        [entry(2, "decision", case_id, decision("return", "returned", 5, "请写明门牌号"), t0)],
        2,
        me,
    )
    [item] = inbox(store)
    assert item.opinion == "请写明门牌号"


def test_a_passed_reinspection_is_one_step_and_one_change_with_the_after_photos(
    store: LocalStore, me: str, samples: Path
) -> None:
    case_id = new_id()
    SyncLedger(store).apply_feed([task_entry(1, case_id, me, datetime.now(UTC))], 1, me)
    photos = jpgs(samples, 2)

    changes = record_reinspection(store, case_id, True, "  井盖已更换  ", photos)

    assert case_id in changes.cases and changes.steps and changes.outbox
    assert len(changes.photos) == 2
    row = store.get_case(case_id)
    assert (row.status, row.delivery) == (CaseStatus.REINSPECTION_PASSED, "pending")
    assert {p.role for p in store.photos(case_id)} == {"after"}
    step = store.steps(case_id)[-1]
    assert (step.action, step.from_status, step.to_status, step.opinion, step.actor_id) == (
        "reinspect_pass",
        "reinspecting",
        "reinspection_passed",
        "井盖已更换",
        me,
    )
    [outgoing] = SyncLedger(store).claim_changes(10)
    assert (outgoing.op, outgoing.case_id, outgoing.base_revision) == ("reinspect_pass", case_id, 7)
    wire = outgoing.to_json()
    assert wire["opinion"] == "井盖已更换" and "opinion" not in wire["case"]
    assert wire["case"]["status"] == "reinspection_passed"
    assert step_attachments(store, case_id) == [p.id for p in store.photos(case_id)]
    assert inbox(store) == []  # done: out of the inbox


def test_a_failure_needs_an_opinion_and_a_refusal_writes_nothing(
    store: LocalStore, me: str, samples: Path
) -> None:
    case_id = new_id()
    SyncLedger(store).apply_feed([task_entry(1, case_id, me, datetime.now(UTC))], 1, me)
    before = store.pending_outbox()

    with pytest.raises(TransitionError) as refused:
        record_reinspection(store, case_id, False, "   ", jpgs(samples, 1))

    assert refused.value.code == "missing_requirement"
    assert "opinion" in refused.value.text("en") and "意见" in refused.value.text("zh_CN")
    assert store.photos(case_id) == [] and store.pending_outbox() == before
    assert store.get_case(case_id).status is CaseStatus.REINSPECTING

    record_reinspection(store, case_id, False, "井盖仍然缺失", [])
    row = store.get_case(case_id)
    assert row.status is CaseStatus.REINSPECTION_FAILED
    assert store.steps(case_id)[-1].opinion == "井盖仍然缺失"
    [*_, (_seq, _change, entity, op)] = store.pending_outbox()
    assert (entity, op) == (case_id, "reinspect_fail")


def test_only_the_assignee_and_only_once(store: LocalStore, me: str) -> None:
    others = new_id()
    mine = new_id()
    ledger = SyncLedger(store)
    ledger.apply_feed(
        [
            task_entry(1, others, new_id(), datetime.now(UTC)),
            task_entry(2, mine, me, datetime.now(UTC)),
        ],
        2,
        me,
    )
    with pytest.raises(DomainError) as not_mine:
        record_reinspection(store, others, True, "", [])
    assert not_mine.value.code == "not_assigned"

    record_reinspection(store, mine, True, "", [])
    with pytest.raises(TransitionError) as again:
        record_reinspection(store, mine, False, "改主意了", [])
    assert again.value.code == "invalid_transition"
    assert store.get_case(mine).status is CaseStatus.REINSPECTION_PASSED

    draft = store.create_case(CaseFields(description="我自己的草稿")).id
    with pytest.raises(TransitionError):
        record_reinspection(store, draft, True, "", [])
    third = new_id()
    ledger.apply_feed([task_entry(3, third, me, datetime.now(UTC))], 3, me)
    with pytest.raises(DomainError) as too_long:
        record_reinspection(store, third, False, "长" * 2001, [])
    assert too_long.value.code == "opinion_too_long"


def test_a_refused_photo_stops_the_recording_and_is_named(
    store: LocalStore, me: str, samples: Path, tmp_path: Path
) -> None:
    case_id = new_id()
    SyncLedger(store).apply_feed([task_entry(1, case_id, me, datetime.now(UTC))], 1, me)
    broken = tmp_path / "现场.jpg"
    broken.write_bytes(b"this is not a photo at all")
    good = jpgs(samples, 1)

    with pytest.raises(PhotosRefusedError) as refused:
        record_reinspection(store, case_id, True, "", [*good, broken])

    [(path, bad)] = refused.value.refused
    assert path == broken
    assert "现场.jpg" in bad.message.en and "现场.jpg" in bad.message.zh
    assert "现场.jpg" in refused.value.text("en")
    assert len(refused.value.attached) == 1
    assert store.get_case(case_id).status is CaseStatus.REINSPECTING
    # Again without the broken file: the photo already attached is not attached twice.
    record_reinspection(store, case_id, True, "", good)
    [photo] = store.photos(case_id)
    assert photo.role == "after"
    assert step_attachments(store, case_id) == [photo.id]


def test_previews_check_files_without_storing_them(
    store: LocalStore, samples: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "bad.jpg"
    broken.write_bytes(b"\xff\xd8 nope")
    folder = samples / GPS_PHOTOS
    previews = preview_photos([broken, folder])
    assert previews[0].path == broken and not previews[0].ok and previews[0].thumbnail is None
    assert "bad.jpg" in previews[0].error.text("en")  # type: ignore[union-attr]
    good = previews[1:]
    assert len(good) == len(list(folder.glob("*.jpg"))) and all(p.ok for p in good)
    assert all(p.thumbnail and p.thumbnail[:2] == b"\xff\xd8" for p in good)
    assert not any(store.photos_dir.rglob("*.jpg"))


# -- the whole way round, through a real server ------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("inbox") / "server", "--demo")
    yield process
    process.stop()


def api(server: ServerProcess, username: str) -> httpx.Client:
    token = httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": username, "password": username}
    ).json()["token"]
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def laptop(data_dir: Path, server: ServerProcess, username: str) -> LocalStore:
    store = LocalStore(data_dir)
    sign_in(store, server.url, username, username)
    return store


def submitted(store: LocalStore, description: str, category: str = "06010") -> str:
    case_id = store.create_case(
        CaseFields(
            category_code=category,
            description=description,
            address="鼓楼区中山路 100 号",
            lat=32.0603,
            lon=118.7969,
            accuracy_m=5.0,
        )
    ).id
    store.submit_case(case_id)
    return case_id


def act(supervisor: httpx.Client, case_id: str, action: str, **extra: Any) -> dict[str, Any]:
    answer = supervisor.post(f"/api/v1/cases/{case_id}/actions", json={"action": action, **extra})
    assert answer.status_code == 200, (action, answer.text)
    return dict(answer.json())


def test_a_reinspection_goes_round_through_the_server(
    server: ServerProcess, tmp_path: Path, samples: Path
) -> None:
    reporter = laptop(tmp_path / "demo", server, "demo")
    checker = laptop(tmp_path / "inspector2", server, "inspector2")
    try:
        case_id = submitted(reporter, "供水井盖缺失", "01001")
        reporter.attach_photos(case_id, jpgs(samples, 1))
        assert SyncEngine(reporter, FAST).run().ok
        supervisor = api(server, "supervisor")
        department = supervisor.get("/api/v1/departments").json()[0]
        act(supervisor, case_id, "accept")
        act(supervisor, case_id, "register")
        act(
            supervisor,
            case_id,
            "dispatch",
            department_id=department["id"],
            deadline="2030-01-01T00:00:00Z",
        )
        act(supervisor, case_id, "handle", opinion="已更换井盖")
        checker_id = checker.account().user_id  # type: ignore[union-attr]
        act(
            supervisor,
            case_id,
            "request_reinspection",
            assignee_id=checker_id,
            opinion="请核查井盖是否已更换",
        )

        assert SyncEngine(checker, FAST).run().ok
        [item] = inbox(checker)
        assert (item.kind, item.case_id, item.opinion) == (
            InboxKind.REINSPECTION,
            case_id,
            "请核查井盖是否已更换",
        )
        assert item.deadline == datetime(2030, 1, 1, tzinfo=UTC)
        assert item.department is not None and item.department.zh == department["name"]
        assert inbox(reporter) == []  # the reporter's own copy is not a task for them
        after = jpgs(samples, 3)[2]

        record_reinspection(checker, case_id, True, "现场已恢复", [after])
        report = SyncEngine(checker, FAST).run()

        assert report.ok, report.lines("en")
        assert report.photos_sent == 1
        detail = supervisor.get(f"/api/v1/cases/{case_id}").json()
        assert detail["case"]["status"] == "reinspection_passed"
        last = detail["steps"][-1]
        assert (last["action"], last["opinion"], last["actor_id"]) == (
            "reinspect_pass",
            "现场已恢复",
            checker_id,
        )
        before, photo = sorted(checker.photos(case_id), key=lambda p: p.role != "before")
        assert (photo.role, photo.delivery) == ("after", "confirmed")
        assert (before.role, before.delivery) == ("before", "confirmed")  # the report's, downloaded
        body = supervisor.get(f"/api/v1/photos/{photo.id}")
        assert body.status_code == 200 and body.content == after.read_bytes()
        feed = supervisor.get("/api/v1/feed", params={"cursor": 0}).json()
        roles = {
            e["payload"]["photo_id"]: e["payload"]["role"]
            for e in feed["entries"]
            if e["kind"] == "photo" and e["payload"]["case_id"] == case_id
        }
        assert roles[photo.id] == "after" and sorted(roles.values()) == ["after", "before"]
        assert checker.get_case(case_id).delivery == "confirmed"
        act(supervisor, case_id, "close")  # the loop closes on the passed re-inspection
    finally:
        reporter.close()
        checker.close()


def test_a_returned_case_is_corrected_and_resubmitted(
    server: ServerProcess, tmp_path: Path
) -> None:
    store = laptop(tmp_path / "demo", server, "demo")
    try:
        case_id = submitted(store, "暴露垃圾")
        assert SyncEngine(store, FAST).run().ok
        supervisor = api(server, "supervisor")
        act(supervisor, case_id, "return", opinion="请补充详细地址")

        assert SyncEngine(store, FAST).run().ok
        [item] = inbox(store)
        assert (item.kind, item.case_id, item.opinion) == (
            InboxKind.RETURNED,
            case_id,
            "请补充详细地址",
        )
        row = store.get_case(case_id)
        store.update_case(
            case_id,
            CaseFields(
                category_code=row.category_code,
                description=row.description,
                address="鼓楼区中山路 100 号（新街口地铁站 3 号口旁）",
                urgency=row.urgency,
                lat=row.lat,
                lon=row.lon,
                accuracy_m=row.accuracy_m,
            ),
        )
        assert inbox(store)[0].delivery == "pending"  # still to do until it is submitted
        store.submit_case(case_id)
        assert inbox(store) == []
        assert SyncEngine(store, FAST).run().ok

        server_case = supervisor.get(f"/api/v1/cases/{case_id}").json()["case"]
        assert server_case["status"] == "submitted"
        assert server_case["address"] == "鼓楼区中山路 100 号（新街口地铁站 3 号口旁）"
        assert store.get_case(case_id).delivery == "confirmed"
    finally:
        store.close()


def test_a_task_new_to_this_laptop_logs_the_step_from_the_status_it_came_from(
    store: LocalStore, me: str
) -> None:
    case_id = new_id()
    SyncLedger(store).apply_feed([task_entry(1, case_id, me, datetime.now(UTC))], 1, me)
    step = store.steps(case_id)[-1]
    assert (step.from_status, step.to_status) == ("handled", "reinspecting")


def test_reading_the_feed_again_never_undoes_a_recorded_reinspection(
    store: LocalStore, me: str, samples: Path
) -> None:
    case_id = new_id()
    page = [task_entry(1, case_id, me, datetime.now(UTC))]
    ledger = SyncLedger(store)
    ledger.apply_feed(page, 1, me)
    record_reinspection(store, case_id, True, "已整改", jpgs(samples, 1))
    steps = len(store.steps(case_id))
    ledger.reset_cursor()  # another account signed in meanwhile, then this one again
    ledger.apply_feed(page, 1, me)
    row = store.get_case(case_id)
    assert row.status is CaseStatus.REINSPECTION_PASSED  # not back to reinspecting
    assert len(store.steps(case_id)) == steps
    assert inbox(store) == []
