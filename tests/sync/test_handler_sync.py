"""A department's offline-first work against a real server (issue 15): the dispatched case
arrives in its task list, its steps and requests travel like decisions, the supervisor's
answers come back through the feed, its "after" photos upload and reach the re-inspector."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import ServerProcess
from sync_helpers import GPS_PHOTOS, api, signed_in, submitted_case

from app.domain.errors import TransitionError
from app.domain.lifecycle import Action, CaseStatus, RequestKind
from app.storage import LocalStore
from app.storage.handling import (
    after_photos,
    answer,
    ask,
    photos_needed,
    report_handled,
    requests_queue,
    sign_for,
    task_list,
)
from app.storage.supervision import departments, inspectors, record_decision
from app.sync.backoff import Backoff
from app.sync.engine import SyncEngine, SyncOptions

FAST = SyncOptions(backoff=Backoff(base_s=0.01, cap_s=0.05))


def _sync(store: LocalStore) -> None:
    report = SyncEngine(store, FAST).run()
    assert report.ok, report.lines("en")


def test_a_department_works_its_case_offline_and_the_office_answers(
    server: ServerProcess, tmp_path: Path, samples: Path
) -> None:
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    case_id = submitted_case(inspector, "暴露垃圾，堆在人行道上")
    _sync(inspector)
    office = signed_in(tmp_path / "office", server, "supervisor")
    _sync(office)
    hwc = next(d.id for d in departments(office) if d.code == "HWC")
    deadline = datetime.now(UTC) + timedelta(days=2)
    record_decision(office, case_id, Action.ACCEPT)
    record_decision(office, case_id, Action.REGISTER)
    record_decision(office, case_id, Action.DISPATCH, department_id=hwc, deadline=deadline)
    _sync(office)

    department = signed_in(tmp_path / "department", server, "handler")
    assert department.account() is not None and department.account().department_id == hwc  # type: ignore[union-attr]
    other = signed_in(tmp_path / "other", server, "handler2")
    _sync(department)
    _sync(other)
    [task] = [t for t in task_list(department, datetime.now(UTC)) if t.case_id == case_id]
    assert (task.signed, task.request, task.description) == (False, None, "暴露垃圾，堆在人行道上")
    assert not [t for t in task_list(other, datetime.now(UTC)) if t.case_id == case_id]

    # Offline: sign for it, ask for more time; refused at once if asked twice.
    sign_for(department, case_id)
    later = (deadline + timedelta(days=3)).replace(microsecond=0)
    ask(department, case_id, RequestKind.EXTENSION, "需采购配件", later)
    with pytest.raises(TransitionError):
        ask(department, case_id, RequestKind.SUSPENSION, "待拆迁")
    [task] = [t for t in task_list(department, datetime.now(UTC)) if t.case_id == case_id]
    assert (task.signed, task.request, task.waiting) == (True, RequestKind.EXTENSION, True)
    _sync(department)

    _sync(office)
    [waiting] = [r for r in requests_queue(office) if r.case_id == case_id]
    assert (waiting.kind, waiting.reason, waiting.proposed_deadline) == (
        RequestKind.EXTENSION,
        "需采购配件",
        later,
    )
    answer(office, case_id, approve=True)
    _sync(office)
    assert not [r for r in requests_queue(office) if r.case_id == case_id]

    _sync(department)  # the answer, through the feed
    [task] = [t for t in task_list(department, datetime.now(UTC)) if t.case_id == case_id]
    assert (task.request, task.waiting, task.deadline) == (None, False, later)

    photo = sorted((samples / GPS_PHOTOS).glob("*.jpg"))[1]
    with pytest.raises(TransitionError):
        report_handled(department, case_id, "已清运", [])
    report_handled(department, case_id, "已清运", [photo])
    _sync(department)
    assert department.get_case(case_id).status is CaseStatus.HANDLED

    _sync(office)
    reinspector = next(p.id for p in inspectors(office) if p.name == "演示监督员二")
    record_decision(office, case_id, Action.REQUEST_REINSPECTION, assignee_id=reinspector)
    _sync(office)
    assert len(after_photos(office, case_id)) == 1

    with api(server, "supervisor") as http:
        steps = [s["action"] for s in http.get(f"/api/v1/cases/{case_id}").json()["steps"]]
    assert steps == [
        "submit", "accept", "register", "dispatch", "sign_for", "request_extension",
        "approve_extension", "handle", "request_reinspection",
    ]  # fmt: skip


def test_the_servers_photo_requirement_reaches_the_department(tmp_path: Path) -> None:
    """A city that does not require photos (CITYPATROL_SERVER_HANDLER_AFTER_PHOTOS=0): the
    department's laptop learns it at sign-in, and a report without photos goes through."""
    relaxed = ServerProcess(
        tmp_path / "server", "--demo", env={"CITYPATROL_SERVER_HANDLER_AFTER_PHOTOS": "0"}
    )
    try:
        inspector = signed_in(tmp_path / "inspector", relaxed, "demo")
        case_id = submitted_case(inspector, "路灯不亮", category_code="01037")
        _sync(inspector)
        office = signed_in(tmp_path / "office", relaxed, "supervisor")
        _sync(office)
        hwc = next(d.id for d in departments(office) if d.code == "HWC")
        record_decision(office, case_id, Action.ACCEPT)
        record_decision(office, case_id, Action.REGISTER)
        due = datetime.now(UTC) + timedelta(days=1)
        record_decision(office, case_id, Action.DISPATCH, department_id=hwc, deadline=due)
        _sync(office)
        department = signed_in(tmp_path / "department", relaxed, "handler")
        assert photos_needed(department) == 0
        assert photos_needed(office) == 1  # (not a handler: the default, unused)
        _sync(department)
        sign_for(department, case_id)
        report_handled(department, case_id, "已修复", [])
        _sync(department)
        assert department.get_case(case_id).status is CaseStatus.HANDLED
    finally:
        relaxed.stop()
