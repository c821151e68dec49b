"""Case ingest, the change feed and workflow actions, against a real server on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from helpers import ServerProcess, change, snapshot

from app.domain.ids import new_id


class Client:
    """A signed-in user of the API."""

    def __init__(self, server: ServerProcess, username: str) -> None:
        response = httpx.post(
            f"{server.url}/api/v1/auth/login", json={"username": username, "password": username}
        )
        response.raise_for_status()
        self.user = response.json()["user"]
        self.http = httpx.Client(
            base_url=server.url,
            headers={"Authorization": f"Bearer {response.json()['token']}"},
            timeout=30,
        )

    def push(self, *changes: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.http.post("/api/v1/cases/push", json={"changes": list(changes)})
        assert response.status_code == 200, response.text
        return list(response.json()["results"])

    def act(self, case_id: str, action: str, expect: int = 200, **fields: Any) -> httpx.Response:
        response = self.http.post(
            f"/api/v1/cases/{case_id}/actions", json={"action": action, **fields}
        )
        assert response.status_code == expect, response.text
        return response

    def feed(self, cursor: int = 0, limit: int = 200) -> dict[str, Any]:
        response = self.http.get("/api/v1/feed", params={"cursor": cursor, "limit": limit})
        assert response.status_code == 200, response.text
        return dict(response.json())

    def everything(self, cursor: int = 0, limit: int = 200) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        while True:
            page = self.feed(cursor, limit)
            entries += page["entries"]
            cursor = page["cursor"]
            if not page["more"]:
                return entries


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
    decisions = [e["payload"]["event"] for e in demo.everything() if e["entity_id"] == case_id]
    assert decisions == [
        "accept",
        "register",
        "dispatch",
        "handle",
        "request_reinspection",
        "close",
        "evaluate",
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
