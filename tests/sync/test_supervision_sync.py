"""A supervisor's offline-first work against a real server: the review queue pulled into the
local store, decisions queued and synced like any change, refusals kept with their reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from helpers import ServerProcess
from sync_helpers import GPS_PHOTOS, api, sha256, signed_in, submitted_case

from app.domain.errors import TransitionError
from app.domain.lifecycle import Action, CaseStatus
from app.storage import LocalStore
from app.storage.ledger import SyncLedger
from app.storage.models import CalendarDay, CaseStep, User
from app.storage.photos import original_path
from app.storage.supervision import (
    DecisionError,
    accept_all,
    departments,
    inspectors,
    record_decision,
    review_queue,
    timeline,
)
from app.sync.backoff import Backoff
from app.sync.engine import SyncEngine, SyncOptions

FAST = SyncOptions(backoff=Backoff(base_s=0.01, cap_s=0.05))


def _sync(store: LocalStore) -> None:
    report = SyncEngine(store, FAST).run()
    assert report.ok, report.lines("en")


def _department(store: LocalStore, code: str) -> str:
    return next(d.id for d in departments(store) if d.code == code)


def test_the_review_queue_arrives_with_photos_inspector_names_and_the_step_log(
    server: ServerProcess, tmp_path: Path, samples: Path
) -> None:
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    case_id = submitted_case(inspector, "暴露垃圾，堆在人行道上", grid_code="320106001001001")
    photo = sorted((samples / GPS_PHOTOS).glob("*.jpg"))[0]
    inspector.attach_photos(case_id, [photo])
    _sync(inspector)

    office = signed_in(tmp_path / "office", server, "supervisor")
    _sync(office)

    queue = {item.case_id: item for item in review_queue(office)}
    assert case_id in queue
    item = queue[case_id]
    assert item.status is CaseStatus.SUBMITTED
    assert item.description == "暴露垃圾，堆在人行道上"
    assert item.author == "演示监督员"  # the inspector's name came through the feed
    assert item.photo_count == 1
    assert office.get_case(case_id).grid_code == "320106001001001"
    [stored] = office.photos(case_id)
    path = original_path(office.photos_dir, stored.sha256, stored.mime)
    assert sha256(path.read_bytes()) == sha256(photo.read_bytes())  # downloaded and checked
    [step] = [e for e in timeline(office, case_id) if e.action == "submit"]
    assert (step.who, step.state, step.to_status) == ("演示监督员", "confirmed", "submitted")
    assert "demo" in {p.name for p in inspectors(office)} or "演示监督员" in {
        p.name for p in inspectors(office)
    }
    assert {d.code for d in departments(office)} >= {"CGZF", "SZSS", "HWC"}


def test_decisions_taken_offline_travel_in_order_and_the_server_log_replaces_them(
    server: ServerProcess, tmp_path: Path
) -> None:
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    case_id = submitted_case(inspector, "路灯不亮", category_code="01037")
    _sync(inspector)
    office = signed_in(tmp_path / "office", server, "supervisor")
    _sync(office)

    deadline = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
    # Offline: three decisions in a row, each applied locally at once.
    record_decision(office, case_id, Action.ACCEPT)
    record_decision(office, case_id, Action.REGISTER)
    record_decision(
        office,
        case_id,
        Action.DISPATCH,
        department_id=_department(office, "SZSS"),
        deadline=deadline,
    )
    assert office.get_case(case_id).status is CaseStatus.DISPATCHED
    assert SyncLedger(office).summary().pending_changes == 3
    pending = [e for e in timeline(office, case_id) if e.state == "pending"]
    assert [e.action for e in pending] == ["accept", "register", "dispatch"]

    _sync(office)

    with api(server, "supervisor") as http:
        detail = http.get(f"/api/v1/cases/{case_id}").json()
    assert detail["case"]["status"] == "dispatched"
    assert detail["case"]["deadline"].startswith("2030-01-07T09:00")
    assert [s["action"] for s in detail["steps"]] == ["submit", "accept", "register", "dispatch"]
    lines = timeline(office, case_id)
    assert [e.action for e in lines] == ["submit", "accept", "register", "dispatch"]
    assert {e.state for e in lines} == {"confirmed"}
    assert lines[-1].department == "市政设施管理处"
    assert SyncLedger(office).summary().pending_changes == 0
    # The local step ids are the server's (a re-read feed adds nothing).
    with office.read() as s:
        assert s.query(CaseStep).filter_by(case_id=case_id).count() == 4
    SyncLedger(office).reset_cursor()
    _sync(office)
    with office.read() as s:
        assert s.query(CaseStep).filter_by(case_id=case_id).count() == 4
    # The inspector learns of it too.
    _sync(inspector)
    assert inspector.get_case(case_id).status is CaseStatus.DISPATCHED


def test_a_decision_resent_after_a_lost_answer_is_applied_once(
    server: ServerProcess, tmp_path: Path
) -> None:
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    case_id = submitted_case(inspector, "占道经营")
    _sync(inspector)
    office = signed_in(tmp_path / "office", server, "supervisor")
    _sync(office)
    record_decision(office, case_id, Action.ACCEPT)
    decision = SyncLedger(office).claim_decision()
    assert decision is not None
    with api(server, "supervisor") as http:
        first = http.post(f"/api/v1/cases/{case_id}/actions", json=decision.to_json())
        assert first.status_code == 200
        # The answer was lost: the sync sends it again, at the next cycle.
        again = http.post(f"/api/v1/cases/{case_id}/actions", json=decision.to_json())
        assert again.status_code == 200
        reused = http.post(
            f"/api/v1/cases/{case_id}/actions",
            json={**decision.to_json(), "action": "reject", "opinion": "不属实"},
        )
        assert reused.status_code == 409
        assert reused.json()["detail"]["code"] == "change_id_reused"
        steps = http.get(f"/api/v1/cases/{case_id}").json()["steps"]
    assert [s["action"] for s in steps] == ["submit", "accept"]
    assert steps[1]["id"] == decision.change_id
    SyncLedger(office).release_claims()
    _sync(office)
    assert [e.action for e in timeline(office, case_id)] == ["submit", "accept"]


def test_a_decision_refused_by_the_server_is_kept_with_its_reason_and_the_server_state_wins(
    server: ServerProcess, tmp_path: Path
) -> None:
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    case_id = submitted_case(inspector, "违章搭建")
    _sync(inspector)
    office = signed_in(tmp_path / "office", server, "supervisor")
    _sync(office)
    # Offline here; meanwhile a colleague rejects the case at the office.
    record_decision(office, case_id, Action.ACCEPT)
    record_decision(office, case_id, Action.REGISTER)
    with api(server, "supervisor") as http:
        refused = http.post(
            f"/api/v1/cases/{case_id}/actions", json={"action": "reject", "opinion": "重复上报"}
        )
        assert refused.status_code == 200

    report = SyncEngine(office, FAST).run()

    assert not report.ok  # a refused decision is never a successful sync
    assert report.rejected == 1
    case = office.get_case(case_id)
    assert case.status is CaseStatus.REJECTED  # the server's state
    failed = [e for e in timeline(office, case_id) if e.state == "failed"]
    assert [e.action for e in failed] == ["accept", "register"]
    assert failed[0].error is not None and "不予受理" in failed[0].error
    assert failed[1].error is not None and "earlier_decision_refused" in failed[1].error
    assert "reject" in [e.action for e in timeline(office, case_id) if e.state == "confirmed"]


def test_invalid_decisions_are_refused_locally_before_anything_is_queued(
    server: ServerProcess, tmp_path: Path
) -> None:
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    case_id = submitted_case(inspector, "井盖缺失", category_code="01001")
    _sync(inspector)
    office = signed_in(tmp_path / "office", server, "supervisor")
    _sync(office)
    with pytest.raises(TransitionError) as closing:
        record_decision(office, case_id, Action.CLOSE)
    assert "核查通过" in closing.value.message.zh
    with pytest.raises(TransitionError):
        record_decision(office, case_id, Action.REJECT)  # needs an opinion
    record_decision(office, case_id, Action.ACCEPT)
    record_decision(office, case_id, Action.REGISTER)
    with pytest.raises(DecisionError):
        record_decision(
            office,
            case_id,
            Action.DISPATCH,
            department_id="01890000-0000-7000-8000-000000000000",
            deadline=datetime.now(UTC) + timedelta(days=1),
        )
    with pytest.raises(TransitionError):
        record_decision(office, case_id, Action.DISPATCH, department_id=_department(office, "HWC"))
    assert SyncLedger(office).summary().pending_changes == 2
    assert office.get_case(case_id).status is CaseStatus.REGISTERED


def test_bulk_accept_takes_what_it_can_and_names_the_rest(
    server: ServerProcess, tmp_path: Path
) -> None:
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    ids = [submitted_case(inspector, f"暴露垃圾 {n}") for n in range(5)]
    _sync(inspector)
    office = signed_in(tmp_path / "office", server, "supervisor")
    _sync(office)
    record_decision(office, ids[0], Action.REJECT, opinion="不属实")

    result = accept_all(office, ids)
    accepted, refused = result.accepted, result.refused

    assert accepted == ids[1:]
    assert result.changes.cases == set(accepted) and result.changes.outbox
    assert set(refused) == {ids[0]}
    assert "不予受理" in refused[ids[0]].zh
    _sync(office)
    with api(server, "supervisor") as http:
        statuses = [http.get(f"/api/v1/cases/{i}").json()["case"]["status"] for i in ids]
    assert statuses == ["rejected"] + ["accepted"] * 4


def test_accounts_and_the_working_calendar_reach_the_supervisor_through_the_feed(
    server: ServerProcess, tmp_path: Path
) -> None:
    from helpers import run_server_cli

    run_server_cli(server, "calendar", "set", "2030-10-01", "--holiday", "--name", "国庆节")
    run_server_cli(server, "calendar", "set", "2030-09-29", "--workday", "--name", "国庆调休")
    office = signed_in(tmp_path / "office", server, "supervisor")
    _sync(office)
    with office.read() as s:
        days = {d.day: (d.working, d.name) for d in s.query(CalendarDay)}
        users = {u.username: u.role for u in s.query(User)}
    assert days["2030-10-01"] == (False, "国庆节")
    assert days["2030-09-29"] == (True, "国庆调休")
    assert users["demo"] == "inspector" and users["inspector2"] == "inspector"
    run_server_cli(server, "calendar", "remove", "2030-10-01")
    _sync(office)
    with office.read() as s:
        assert s.get(CalendarDay, "2030-10-01") is None
