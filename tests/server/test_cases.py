"""Case ingest, the change feed and workflow actions, against a real server on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from helpers import ApiClient, ServerProcess, change, snapshot

from app.domain.ids import new_id


class Client(ApiClient):
    """A signed-in user of the API."""


@pytest.fixture(scope="module")
def demo(server: ServerProcess) -> Client:
    return Client(server, "demo")


@pytest.fixture(scope="module")
def other(server: ServerProcess) -> Client:
    return Client(server, "inspector2")


@pytest.fixture(scope="module")
def supervisor(server: ServerProcess) -> Client:
    return Client(server, "supervisor")


@pytest.fixture(scope="module")
def department(supervisor: Client) -> str:
    return str(supervisor.http.get("/api/v1/departments").json()[0]["id"])


def submitted_case(demo: Client) -> str:
    case_id = new_id()
    results = demo.push(change("create", snapshot(case_id)), change("submit", snapshot(case_id), 1))
    assert [r["outcome"] for r in results] == ["applied", "applied"]
    return case_id


def test_resending_a_batch_changes_nothing(demo: Client) -> None:
    case_id = new_id()
    batch = [
        change("create", snapshot(case_id)),
        change("update", snapshot(case_id, description="更新后的描述"), 1),
    ]
    first = demo.push(*batch)
    assert [(r["outcome"], r["server_revision"]) for r in first] == [("applied", 1), ("applied", 2)]
    again = demo.push(*batch)
    assert [(r["outcome"], r["server_revision"]) for r in again] == [
        ("duplicate", 1),
        ("duplicate", 2),
    ]
    detail = demo.http.get(f"/api/v1/cases/{case_id}").json()
    assert detail["case"]["revision"] == 2 and detail["case"]["description"] == "更新后的描述"


def test_same_change_id_with_other_content_is_a_conflict_not_a_second_case(demo: Client) -> None:
    case_id = new_id()
    original = change("create", snapshot(case_id))
    demo.push(original)
    tampered = {**original, "case": snapshot(new_id(), description="另一个案件")}
    (result,) = demo.push(tampered)
    assert result["outcome"] == "conflict" and result["reason"]["code"] == "change_id_reused"
    assert demo.http.get(f"/api/v1/cases/{tampered['case']['id']}").status_code == 404


@pytest.mark.parametrize("round_", range(4))
def test_concurrent_resends_of_one_batch_create_one_case(demo: Client, round_: int) -> None:
    case_id = new_id()
    batch = [change("create", snapshot(case_id)), change("submit", snapshot(case_id), 1)]
    results: list[list[dict[str, Any]]] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            results.append(demo.push(*batch))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    revisions = {tuple(r["server_revision"] for r in batch_results) for batch_results in results}
    assert revisions == {(1, 2)}
    assert sum(r[0]["outcome"] == "applied" for r in results) == 1
    detail = demo.http.get(f"/api/v1/cases/{case_id}").json()
    assert detail["case"]["status"] == "submitted" and len(detail["steps"]) == 1


def test_invalid_changes_are_rejected_with_reasons_and_nothing_is_stored(demo: Client) -> None:
    bad_category, out_of_range = new_id(), new_id()
    results = demo.push(
        change("create", snapshot(bad_category, category_code="99999")),
        change("create", snapshot(out_of_range, lat=95.0)),
    )
    assert [r["outcome"] for r in results] == ["rejected", "rejected"]
    assert "99999" in results[0]["reason"]["en"] and "99999" in results[0]["reason"]["zh"]
    assert "Latitude" in results[1]["reason"]["en"]
    for case_id in (bad_category, out_of_range):
        assert demo.http.get(f"/api/v1/cases/{case_id}").status_code == 404
    incomplete = new_id()
    demo.push(change("create", snapshot(incomplete, description="", lat=None, lon=None)))
    (submit,) = demo.push(
        change("submit", snapshot(incomplete, description="", lat=None, lon=None), 1)
    )
    assert submit["outcome"] == "rejected" and "description" in submit["reason"]["en"]


@pytest.mark.parametrize(
    "body",
    [
        {"changes": [{"change_id": "x", "op": "create", "case": {}}]},
        {"changes": [{"change_id": new_id(), "op": "explode", "case": snapshot(new_id())}]},
        {"changes": "all of them"},
        {
            "changes": [
                {
                    "change_id": new_id(),
                    "op": "create",
                    "case": snapshot(new_id(), description="长" * 3000),
                }
            ]
        },
        {
            "changes": [
                {"change_id": new_id(), "op": "create", "case": snapshot("../../etc/passwd")}
            ]
        },
    ],
)
def test_malformed_pushes_get_422(demo: Client, body: dict[str, Any]) -> None:
    response = demo.http.post("/api/v1/cases/push", json=body)
    assert response.status_code == 422


def test_only_inspectors_push_and_only_their_own_cases(
    demo: Client, other: Client, supervisor: Client
) -> None:
    case_id = new_id()
    demo.push(change("create", snapshot(case_id)))
    assert supervisor.http.post("/api/v1/cases/push", json={"changes": []}).status_code == 403
    (result,) = other.push(change("update", snapshot(case_id, description="别人的修改"), 1))
    assert result["outcome"] == "rejected" and result["reason"]["code"] == "not_yours"
    assert other.http.get(f"/api/v1/cases/{case_id}").status_code == 404
    assert supervisor.http.get(f"/api/v1/cases/{case_id}").status_code == 404  # drafts stay private


def test_edit_after_acceptance_is_a_conflict_with_the_server_version(
    demo: Client, supervisor: Client
) -> None:
    case_id = submitted_case(demo)
    supervisor.act(case_id, "accept")
    (result,) = demo.push(change("update", snapshot(case_id, description="迟到的修改"), 2))
    assert result["outcome"] == "conflict"
    assert (
        result["current"]["status"] == "accepted"
        and result["current"]["description"] == "人民路暴露垃圾"
    )


def test_returned_case_takes_the_inspectors_edits_and_resubmission(
    demo: Client, supervisor: Client
) -> None:
    case_id = submitted_case(demo)
    supervisor.act(case_id, "return", opinion="照片不清晰，请补拍")
    corrected = snapshot(case_id, description="补拍后：人民路暴露垃圾约2立方米", status="returned")
    results = demo.push(change("update", corrected, 2), change("submit", corrected, 2))
    assert [r["outcome"] for r in results] == ["applied", "applied"]
    detail = demo.http.get(f"/api/v1/cases/{case_id}").json()
    assert detail["case"]["status"] == "submitted" and detail["case"]["description"].startswith(
        "补拍后"
    )
    assert [s["action"] for s in detail["steps"]] == ["submit", "return", "submit"]


def test_the_whole_closed_loop(
    demo: Client, other: Client, supervisor: Client, department: str
) -> None:
    case_id = submitted_case(demo)
    deadline = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    supervisor.act(case_id, "accept")
    supervisor.act(case_id, "register")
    refused = supervisor.act(case_id, "dispatch", expect=400, department_id=department)
    assert refused.json()["detail"]["en"] == "Dispatch needs a deadline"
    supervisor.act(case_id, "dispatch", department_id=department, deadline=deadline)
    supervisor.act(case_id, "handle", opinion="已清运")
    premature = supervisor.act(case_id, "close", expect=409)
    assert "re-inspection" in premature.json()["detail"]["en"]
    supervisor.act(case_id, "request_reinspection", assignee_id=other.user["id"])
    tasks = [e for e in other.everything() if e["kind"] == "task" and e["entity_id"] == case_id]
    assert len(tasks) == 1 and tasks[0]["payload"]["case"]["description"] == "人民路暴露垃圾"
    # The task carries the report of handling: its opinion, who (by name) and when, the
    # department it was dispatched to.
    [handled] = tasks[0]["payload"]["steps"]
    assert (handled["action"], handled["opinion"]) == ("handle", "已清运")
    assert handled["actor_id"] == supervisor.user["id"] and handled["actor_name"]
    assert handled["department_id"] == department and handled["at"]
    (denied,) = demo.push(change("reinspect_pass", snapshot(case_id, status="reinspecting"), 7))
    assert denied["outcome"] == "rejected" and denied["reason"]["code"] == "not_assigned"
    (passed,) = other.push(
        change("reinspect_pass", snapshot(case_id, status="reinspecting"), 7, opinion="已清理干净")
    )
    assert passed["outcome"] == "applied"
    supervisor.act(case_id, "close")
    supervisor.act(case_id, "evaluate")
    detail = supervisor.http.get(f"/api/v1/cases/{case_id}").json()
    assert detail["case"]["status"] == "evaluated"
    assert [s["action"] for s in detail["steps"]] == [
        "submit", "accept", "register", "dispatch", "handle", "request_reinspection", "reinspect_pass", "close", "evaluate",
    ]  # fmt: skip
    assert detail["steps"][3]["department_id"] == department and detail["steps"][3]["deadline"]
    # The reporter hears of every step after the submission, the other inspector's
    # re-inspection included; the re-inspector, of what follows its re-inspection.
    decisions = [e["payload"]["event"] for e in demo.everything() if e["entity_id"] == case_id]
    assert decisions == [
        "accept",
        "register",
        "dispatch",
        "handle",
        "request_reinspection",
        "reinspect_pass",
        "close",
        "evaluate",
    ]
    followed = [
        (e["kind"], e["payload"]["event"]) for e in other.everything() if e["entity_id"] == case_id
    ]
    assert followed == [
        ("task", "request_reinspection"),
        ("decision", "close"),
        ("decision", "evaluate"),
    ]
    assert demo.act(case_id, "accept", expect=403)


def test_feed_pages_give_every_entry_once_in_order(demo: Client, supervisor: Client) -> None:
    for _ in range(6):
        case_id = submitted_case(demo)
        supervisor.act(case_id, "reject", opinion="重复上报")
    everything = demo.everything(limit=1000)
    paged = demo.everything(limit=3)
    assert [e["seq"] for e in paged] == [e["seq"] for e in everything]
    seqs = [e["seq"] for e in paged]
    assert seqs == sorted(set(seqs))
    last = demo.feed(cursor=seqs[-1])
    assert last["entries"] == [] and last["cursor"] == seqs[-1] and not last["more"]


def test_feed_shows_each_user_only_what_concerns_them(
    demo: Client, other: Client, supervisor: Client
) -> None:
    case_id = submitted_case(demo)
    supervisor.act(case_id, "reject", opinion="不属于巡查范围")
    assert any(e["entity_id"] == case_id for e in demo.everything())
    assert not any(e["entity_id"] == case_id for e in other.everything())
    assert any(e["entity_id"] == case_id and e["kind"] == "case" for e in supervisor.everything())


def test_a_mixed_batch_answers_every_change_in_order_and_refusals_undo_nothing(
    demo: Client, supervisor: Client
) -> None:
    earlier_case = new_id()
    earlier = change("create", snapshot(earlier_case))
    assert [r["outcome"] for r in demo.push(earlier)] == ["applied"]
    case_id, invalid = new_id(), new_id()
    create = change("create", snapshot(case_id))
    edited = snapshot(case_id, description="补充：垃圾堆放在人行道上")
    batch = [
        create,
        earlier,  # applied before: duplicate
        {**earlier, "case": snapshot(new_id(), description="另一个案件")},  # id reused
        change("create", snapshot(invalid, lat=95.0)),  # invalid: rejected
        change("create", snapshot(earlier_case)),  # the case exists: conflict
        change("update", edited, 1),
        change("submit", {**edited, "description": ""}, 2),  # incomplete: rejected, undoes nothing
        create,  # the same change again in one batch: duplicate
        change("submit", edited, 2),
        change("update", edited, 3),  # submitted: no longer editable
    ]
    results = demo.push(*batch)
    assert [r["change_id"] for r in results] == [c["change_id"] for c in batch]
    assert [(r["outcome"], r["server_revision"]) for r in results] == [
        ("applied", 1),
        ("duplicate", 1),
        ("conflict", None),
        ("rejected", None),
        ("conflict", None),
        ("applied", 2),
        ("rejected", None),
        ("duplicate", 1),
        ("applied", 3),
        ("conflict", None),
    ]
    reasons = [r["reason"]["code"] if r["reason"] else None for r in results]
    assert reasons[2:5] == ["change_id_reused", "invalid_case", "case_exists"]
    assert reasons[6] == "invalid_case" and reasons[9] == "not_editable"
    assert results[4]["current"]["id"] == earlier_case and results[4]["current"]["revision"] == 1
    assert results[9]["current"]["status"] == "submitted" and results[9]["current"]["revision"] == 3
    assert demo.http.get(f"/api/v1/cases/{invalid}").status_code == 404

    def stored() -> dict[str, Any]:
        return dict(demo.http.get(f"/api/v1/cases/{case_id}").json())

    detail = stored()
    assert detail["case"]["status"] == "submitted" and detail["case"]["revision"] == 3
    assert detail["case"]["description"] == edited["description"]
    assert [s["action"] for s in detail["steps"]] == ["submit"]
    submits = [e for e in supervisor.everything() if e["entity_id"] == case_id]
    assert [(e["payload"]["event"], e["payload"]["revision"]) for e in submits] == [("submit", 3)]

    again = demo.push(*batch)  # what was applied comes back as duplicates; nothing changes
    applied = [i for i, r in enumerate(results) if r["outcome"] == "applied"]
    assert [(again[i]["outcome"], again[i]["server_revision"]) for i in applied] == [
        ("duplicate", 1),
        ("duplicate", 2),
        ("duplicate", 3),
    ]
    assert stored() == detail
    assert [e for e in supervisor.everything() if e["entity_id"] == case_id] == submits


@pytest.mark.parametrize("round_", range(3))
def test_pushes_and_actions_on_the_same_cases_at_once_neither_deadlock_nor_fail(
    demo: Client, supervisor: Client, round_: int
) -> None:
    """Push locks its cases and then the feed, as actions do (server/feed.py's lock order)."""
    case_ids = sorted(submitted_case(demo) for _ in range(6))
    edits = [
        c
        for case_id in reversed(case_ids)  # against the actions' order, to provoke a deadlock
        for c in (
            change("update", snapshot(case_id, status="returned", description="补拍后"), 3),
            change("submit", snapshot(case_id, status="returned", description="补拍后"), 4),
        )
    ]
    results: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    go = threading.Barrier(2)

    def push() -> None:
        go.wait()
        try:
            results.extend(demo.push(*edits))
        except BaseException as exc:
            errors.append(exc)

    def act() -> None:
        go.wait()
        try:
            for case_id in case_ids:
                supervisor.act(case_id, "return", opinion="请补拍照片")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=push), threading.Thread(target=act)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    by_case: dict[str, list[str]] = {case_id: [] for case_id in case_ids}
    for r in results:
        by_case[r["case_id"]].append(r["outcome"])
    for case_id in case_ids:
        detail = demo.http.get(f"/api/v1/cases/{case_id}").json()
        steps = [s["action"] for s in detail["steps"]]
        if by_case[case_id] == ["applied", "applied"]:  # returned before the push got there
            assert (detail["case"]["status"], detail["case"]["revision"]) == ("submitted", 5)
            assert steps == ["submit", "return", "submit"]
        else:  # the push came first: still submitted, so not the inspector's to edit
            assert by_case[case_id] == ["conflict", "conflict"]
            assert (detail["case"]["status"], detail["case"]["revision"]) == ("returned", 3)
            assert steps == ["submit", "return"]


def test_a_busy_sqlite_database_answers_503_with_retry_after_and_stores_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holds SQLite's write lock past the bound: a retryable 503, not a 500."""
    monkeypatch.setenv("CITYPATROL_SERVER_BUSY_TIMEOUT", "1")
    server = ServerProcess(tmp_path / "data", "--demo")
    try:
        demo = Client(server, "demo")
        case_id = new_id()
        batch = [change("create", snapshot(case_id)), change("submit", snapshot(case_id), 1)]
        blocker = sqlite3.connect(server.data_dir / "server.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with ThreadPoolExecutor(3) as pool:  # one waits on SQLite, two queue behind it
                responses = list(
                    pool.map(
                        lambda _: demo.http.post("/api/v1/cases/push", json={"changes": batch}),
                        range(3),
                    )
                )
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert [r.status_code for r in responses] == [503] * 3, [r.text for r in responses]
        assert all(int(r.headers["Retry-After"]) >= 1 for r in responses)
        # Nothing was stored: the resend is applied as if first sent now.
        assert [(r["outcome"], r["server_revision"]) for r in demo.push(*batch)] == [
            ("applied", 1),
            ("applied", 2),
        ]
    finally:
        server.stop()


def test_ingest_decides_a_batch_again_after_a_concurrent_insert_and_gives_up_in_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process: another worker inserting one of the batch's rows first (an IntegrityError
    at the write) sends the batch round again; if that never ends, a retryable error."""
    from sqlalchemy.exc import IntegrityError
    from sqlalchemy.orm import Session

    from app.domain.lifecycle import Role
    from app.domain.taxonomy import load_default_taxonomy
    from server.accounts.users import add_user
    from server.cases import ingest
    from server.db import create_db_engine, migrate, session_factory
    from server.schemas import ChangeIn

    engine = create_db_engine(f"sqlite:///{tmp_path / 'server.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        user = add_user(session, "patrol", "a long enough password", Role.INSPECTOR)
    real_write = ingest._write
    clashes: list[bool] = []

    def write(session: Session, plan: Any) -> None:
        if clashes and clashes.pop(0):
            real_write(session, plan)  # the rows of the "other worker", then the clash
            raise IntegrityError("INSERT", None, Exception("duplicate key value"))
        real_write(session, plan)

    monkeypatch.setattr(ingest, "_write", write)
    taxonomy = load_default_taxonomy()

    def push(*changes: dict[str, Any]) -> list[tuple[str, int | None]]:
        with sessions.begin() as session:
            results = ingest.ingest(
                session, user, [ChangeIn.model_validate(c) for c in changes], taxonomy
            )
        return [(r.outcome.value, r.server_revision) for r in results]

    case_id = new_id()
    batch = [change("create", snapshot(case_id)), change("submit", snapshot(case_id), 1)]
    clashes[:] = [True, False]
    assert push(*batch) == [("applied", 1), ("applied", 2)]  # the clash's rows were undone
    assert push(*batch) == [("duplicate", 1), ("duplicate", 2)]
    clashes[:] = [True] * ingest.ATTEMPTS
    other = new_id()
    with pytest.raises(ingest.BatchContendedError):
        push(change("create", snapshot(other)))
    assert not clashes
    assert push(change("create", snapshot(other))) == [("applied", 1)]


def test_a_decision_with_a_change_id_is_applied_once_however_often_it_is_sent(
    demo: Client, supervisor: Client
) -> None:
    case_id = submitted_case(demo)
    change_id = new_id()
    decision = {"action": "accept", "change_id": change_id}
    # The same decision sent four times at once (a client retrying after lost answers).
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda _: supervisor.http.post(f"/api/v1/cases/{case_id}/actions", json=decision),
                range(4),
            )
        )
    assert [a.status_code for a in answers] == [200] * 4
    detail = supervisor.http.get(f"/api/v1/cases/{case_id}").json()
    assert [s["action"] for s in detail["steps"]] == ["submit", "accept"]
    assert detail["steps"][1]["id"] == change_id  # the step takes the decision's id
    assert detail["case"]["revision"] == answers[0].json()["case"]["revision"]
    reused = supervisor.act(case_id, "register", expect=409, change_id=change_id)
    assert reused.json()["detail"]["code"] == "change_id_reused"
    # A decision without an id (an older client, a script) is still taken, once per request.
    assert (
        supervisor.http.post(
            f"/api/v1/cases/{case_id}/actions", json={"action": "register"}
        ).status_code
        == 200
    )


def test_supervisors_feed_entries_carry_the_whole_case_and_step(
    demo: Client, supervisor: Client, department: str
) -> None:
    cursor = supervisor.feed(0, 1)["cursor"]
    for _ in range(50):  # to the end of the feed
        page = supervisor.feed(cursor, 1000)
        cursor = page["cursor"]
        if not page["more"]:
            break
    case_id = submitted_case(demo)
    supervisor.act(case_id, "accept")
    supervisor.act(case_id, "register")
    deadline = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    supervisor.act(case_id, "dispatch", department_id=department, deadline=deadline)
    entries = [e for e in supervisor.everything(cursor) if e["entity_id"] == case_id]
    assert [e["payload"]["event"] for e in entries] == ["submit", "accept", "register", "dispatch"]
    for entry in entries:
        payload = entry["payload"]
        assert entry["kind"] == "case"
        assert payload["case"]["id"] == case_id
        assert payload["case"]["status"] == payload["status"] == payload["step"]["to_status"]
        assert payload["step"]["id"] == payload["step_id"]
        assert payload["case"]["revision"] == payload["revision"]
    dispatch = entries[-1]["payload"]
    assert dispatch["case"]["department_id"] == dispatch["step"]["department_id"] == department
    assert dispatch["step"]["deadline"] is not None
    # The inspector's own feed still gets only the decisions (no other people's cases).
    assert all(e["kind"] != "case" for e in demo.everything())


def test_a_change_id_that_is_already_a_step_id_is_409_not_500(
    demo: Client, supervisor: Client
) -> None:
    """The step takes the decision's change id: an id some step already has is refused."""
    case_id = submitted_case(demo)
    accepted = supervisor.act(case_id, "accept").json()  # no change id: the server makes one
    step_id = accepted["steps"][-1]["id"]
    other_case = submitted_case(demo)
    response = supervisor.act(other_case, "accept", expect=409, change_id=step_id)
    assert response.json()["detail"]["code"] == "change_id_reused"
    submit_step = supervisor.http.get(f"/api/v1/cases/{other_case}").json()["steps"][0]["id"]
    response = supervisor.act(other_case, "accept", expect=409, change_id=submit_step)
    assert response.json()["detail"]["code"] == "change_id_reused"
    supervisor.act(other_case, "accept", change_id=new_id())  # nothing was half-applied
