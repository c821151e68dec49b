"""Departments in the loop (issue 15) against a real server, on SQLite and on PostgreSQL:
handler accounts see and work only their department's cases; their requests and the
supervisor's answers are steps of the log; the feed tells each department what concerns it."""

from __future__ import annotations

import base64
import hashlib
import io
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from helpers import ApiClient, ServerProcess, change, snapshot

from app.domain.ids import new_id


@pytest.fixture(scope="module")
def demo(server: ServerProcess) -> ApiClient:
    return ApiClient(server, "demo")


@pytest.fixture(scope="module")
def supervisor(server: ServerProcess) -> ApiClient:
    return ApiClient(server, "supervisor")


@pytest.fixture(scope="module")
def handler(server: ServerProcess) -> ApiClient:
    return ApiClient(server, "handler")  # 环卫 (HWC)


@pytest.fixture(scope="module")
def stranger(server: ServerProcess) -> ApiClient:
    return ApiClient(server, "handler2")  # 市政 (SZSS)


def department_id(client: ApiClient, code: str) -> str:
    return next(d["id"] for d in client.http.get("/api/v1/departments").json() if d["code"] == code)


def dispatched_case(demo: ApiClient, supervisor: ApiClient, code: str = "HWC") -> str:
    case_id = new_id()
    results = demo.push(change("create", snapshot(case_id)), change("submit", snapshot(case_id), 1))
    assert [r["outcome"] for r in results] == ["applied", "applied"]
    supervisor.act(case_id, "accept")
    supervisor.act(case_id, "register")
    deadline = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    supervisor.act(
        case_id, "dispatch", department_id=department_id(supervisor, code), deadline=deadline
    )
    return case_id


def jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 200, 30)).save(out, "JPEG")
    return out.getvalue()


def upload(client: ApiClient, case_id: str, role: str = "handled") -> tuple[int, str]:
    """Create and send a whole photo; the creation's status (and the photo id)."""
    photo, photo_id = jpeg(), str(uuid.uuid4())
    metadata = {
        "case_id": case_id,
        "photo_id": photo_id,
        "sha256": hashlib.sha256(photo).hexdigest(),
        "mime": "image/jpeg",
        "role": role,
    }
    header = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())
    tus = {"Tus-Resumable": "1.0.0"}
    created = client.http.post(
        "/api/v1/uploads",
        headers={**tus, "Upload-Length": str(len(photo)), "Upload-Metadata": header},
    )
    if created.status_code != 201:
        return created.status_code, photo_id
    sent = client.http.patch(
        f"/api/v1/uploads/{photo_id}",
        content=photo,
        headers={
            **tus,
            "Upload-Offset": "0",
            "Content-Type": "application/offset+octet-stream",
        },
    )
    assert sent.status_code == 204, sent.text
    return created.status_code, photo_id


def test_a_department_works_its_case_with_requests_the_supervisor_answers(
    demo: ApiClient, supervisor: ApiClient, handler: ApiClient, stranger: ApiClient
) -> None:
    case_id = dispatched_case(demo, supervisor)
    assert handler.user["role"] == "handler"
    assert handler.http.get("/api/v1/me").json()["department_id"] == department_id(handler, "HWC")
    # Another department does not know the case exists.
    for path in (f"/api/v1/cases/{case_id}", f"/api/v1/cases/{case_id}/comments"):
        assert stranger.http.get(path).status_code == 404
    stranger.act(case_id, "sign_for", expect=404)
    assert upload(stranger, case_id)[0] == 404

    early = handler.act(
        case_id, "request_extension", expect=400, opinion="x", deadline="2030-01-01T00:00:00Z"
    )
    assert early.json()["detail"]["en"] == "Sign for the task first"
    handler.act(case_id, "sign_for")
    handler.act(case_id, "sign_for", expect=400)
    handler.act(case_id, "accept", expect=403)  # a supervisor's decision
    later = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0)
    asked = handler.act(
        case_id, "request_extension", opinion="需采购井盖", deadline=later.isoformat()
    )
    assert asked.json()["case"]["request"] == "extension"
    assert asked.json()["case"]["requested_deadline"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    # A handler does not answer its own request; the supervisor does.
    handler.act(case_id, "approve_extension", expect=403)
    approved = supervisor.act(case_id, "approve_extension").json()["case"]
    assert approved["request"] is None
    assert datetime.fromisoformat(approved["deadline"]) == later

    refused = handler.act(case_id, "handle", expect=400, opinion="已更换井盖")
    assert "photo" in refused.json()["detail"]["en"]
    assert upload(handler, case_id, role="after")[0] == 403
    assert (
        upload(demo, case_id, role="handled")[0] == 403
    )  # an inspector's are not the department's
    status, photo_id = upload(handler, case_id)
    assert status == 201
    handled = handler.act(case_id, "handle", opinion="已更换井盖", attachments=[photo_id]).json()
    assert handled["case"]["status"] == "handled"
    assert handled["steps"][-1]["attachments"] == [photo_id]
    assert supervisor.http.get(f"/api/v1/photos/{photo_id}").status_code == 200
    assert stranger.http.get(f"/api/v1/photos/{photo_id}").status_code == 404
    steps = [s["action"] for s in supervisor.http.get(f"/api/v1/cases/{case_id}").json()["steps"]]
    assert steps == [
        "submit", "accept", "register", "dispatch", "sign_for", "request_extension",
        "approve_extension", "handle",
    ]  # fmt: skip

    # The department's feed: its case from the dispatch on (with the report's photo-less
    # state), the answer to its request, its own photo; nothing of the other department's.
    feed = handler.everything()
    mine = [(e["kind"], e["payload"].get("event")) for e in feed if e["entity_id"] == case_id]
    assert mine == [
        ("case", "dispatch"),
        ("case", "sign_for"),
        ("case", "request_extension"),
        ("case", "approve_extension"),
        ("case", "handle"),
    ]
    assert any(e["kind"] == "photo" and e["entity_id"] == photo_id for e in feed)
    assert not any(e["kind"] == "user" for e in feed)
    assert not any(e["entity_id"] == case_id for e in stranger.everything())


def test_return_and_suspension_requests(
    demo: ApiClient, supervisor: ApiClient, handler: ApiClient
) -> None:
    returned = dispatched_case(demo, supervisor)
    handler.act(returned, "sign_for")
    handler.act(returned, "request_return", opinion="属于市政设施")
    handler.act(returned, "request_suspension", expect=400, opinion="x")
    supervisor.act(returned, "approve_suspension", expect=400)
    back = supervisor.act(returned, "approve_return").json()["case"]
    assert (back["status"], back["department_id"], back["signed_at"]) == ("registered", None, None)
    # Back at the command centre: the department no longer sees it, but heard the answer.
    assert handler.http.get(f"/api/v1/cases/{returned}").status_code == 404
    answers = [e["payload"]["event"] for e in handler.everything() if e["entity_id"] == returned]
    assert answers[-1] == "approve_return"

    suspended = dispatched_case(demo, supervisor)
    handler.act(suspended, "sign_for")
    handler.act(suspended, "request_suspension", opinion="待道路改造")
    supervisor.act(suspended, "refuse_request", expect=400)
    supervisor.act(suspended, "refuse_request", opinion="先行处置")
    handler.act(suspended, "request_suspension", opinion="待道路改造（二）")
    assert supervisor.act(suspended, "approve_suspension").json()["case"]["status"] == "suspended"


def test_a_handler_lists_only_its_departments_cases(
    demo: ApiClient, supervisor: ApiClient, handler: ApiClient, stranger: ApiClient
) -> None:
    ours = dispatched_case(demo, supervisor, "HWC")
    theirs = dispatched_case(demo, supervisor, "SZSS")
    listed = {c["id"] for c in handler.http.get("/api/v1/cases", params={"limit": 500}).json()}
    assert ours in listed and theirs not in listed
    assert {c["department_id"] for c in handler.http.get("/api/v1/cases").json()} == {
        department_id(handler, "HWC")
    }
    assert theirs in {
        c["id"] for c in stranger.http.get("/api/v1/cases", params={"limit": 500}).json()
    }
    # Comments: the department talks about its case, the inspector and the office hear it.
    said = handler.http.post(f"/api/v1/cases/{ours}/comments", json={"text": "明早处理"})
    assert said.status_code == 201, said.text
    asked = supervisor.http.post(f"/api/v1/cases/{ours}/comments", json={"text": "请尽快"})
    assert asked.status_code == 201, asked.text
    heard = [
        e["payload"]["text"]
        for e in handler.everything()
        if e["kind"] == "comment" and e["entity_id"] == ours
    ]
    assert heard == ["明早处理", "请尽快"]  # the department's own, and the office's
    assert (
        stranger.http.post(f"/api/v1/cases/{ours}/comments", json={"text": "x"}).status_code == 404
    )
    # A handler pushes no case changes.
    assert handler.http.post("/api/v1/cases/push", json={"changes": []}).status_code == 403


def cli(server: ServerProcess, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "server.cli",
            "--data-dir",
            str(server.data_dir),
            "--database-url",
            server.database_url,
            *args,
        ],
        input=stdin,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        env={**server.env, "LANG": "C.UTF-8"},
    )


def test_user_add_handler_needs_a_department(server: ServerProcess) -> None:
    name = "hw" + uuid.uuid4().hex[:8]
    strong = "a long enough 处置 password 2026\n"
    missing = cli(server, "user", "add", name, "--role", "handler", stdin=strong)
    assert missing.returncode != 0 and "--department" in missing.stderr
    wrong = cli(
        server, "user", "add", name, "--role", "inspector", "--department", "HWC", stdin=strong
    )
    assert wrong.returncode != 0 and "only a handler" in wrong.stderr
    unknown = cli(
        server, "user", "add", name, "--role", "handler", "--department", "NOPE", stdin=strong
    )
    assert unknown.returncode != 0 and "NOPE" in unknown.stderr
    added = cli(
        server, "user", "add", name, "--role", "handler", "--department", "HWC", stdin=strong
    )
    assert added.returncode == 0, added.stderr
    listed = cli(server, "user", "list")
    assert f"{name}\thandler\tactive" in listed.stdout and "\tHWC" in listed.stdout
    signed_in = ApiClient(server, None).http.post(
        "/api/v1/auth/login", json={"username": name, "password": strong.strip()}
    )
    assert signed_in.json()["user"]["department_id"] == department_id(
        ApiClient(server, "supervisor"), "HWC"
    )


def test_every_endpoint_for_the_handler_of_the_cases_department(
    server: ServerProcess, demo: ApiClient, supervisor: ApiClient, handler: ApiClient
) -> None:
    """The route matrix (tests/server/test_workers.py) has the handler on a case of another
    department (404 everywhere); here the same endpoints on a case of its own department."""
    case_id = dispatched_case(demo, supervisor)
    reported = upload(demo, case_id, role="before")[1]
    tus = {"Tus-Resumable": "1.0.0"}
    http = handler.http
    expected = {
        ("GET", "/api/v1/me"): (http.get("/api/v1/me").status_code, 200),
        ("GET", "/api/v1/feed"): (http.get("/api/v1/feed").status_code, 200),
        ("GET", "/api/v1/cases"): (http.get("/api/v1/cases").status_code, 200),
        ("GET", "/api/v1/cases/{id}"): (http.get(f"/api/v1/cases/{case_id}").status_code, 200),
        ("GET", "/api/v1/cases/{id}/comments"): (
            http.get(f"/api/v1/cases/{case_id}/comments").status_code,
            200,
        ),
        ("POST", "/api/v1/cases/{id}/comments"): (
            http.post(f"/api/v1/cases/{case_id}/comments", json={"text": "已安排"}).status_code,
            201,
        ),
        ("POST", "/api/v1/cases/{id}/actions"): (
            http.post(f"/api/v1/cases/{case_id}/actions", json={"action": "sign_for"}).status_code,
            200,
        ),
        ("POST", "/api/v1/cases/push"): (
            http.post("/api/v1/cases/push", json={"changes": []}).status_code,
            403,
        ),
        ("GET", "/api/v1/photos/{id}"): (http.get(f"/api/v1/photos/{reported}").status_code, 200),
        ("POST", "/api/v1/uploads"): (upload(handler, case_id)[0], 201),
        ("GET", "/api/v1/departments"): (http.get("/api/v1/departments").status_code, 200),
        ("POST", "/api/v1/departments"): (
            http.post("/api/v1/departments", json={"code": "X1", "name": "x"}).status_code,
            403,
        ),
        ("GET", "/api/v1/time-limits"): (http.get("/api/v1/time-limits").status_code, 403),
        ("GET", "/api/v1/basemaps"): (http.get("/api/v1/basemaps").status_code, 200),
    }
    # Its own unfinished upload: HEAD, DELETE; someone else's: not found.
    mine = str(uuid.uuid4())
    photo = jpeg()
    metadata = {
        "case_id": case_id,
        "photo_id": mine,
        "sha256": hashlib.sha256(photo).hexdigest(),
        "mime": "image/jpeg",
        "role": "handled",
    }
    header = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in metadata.items())
    created = http.post(
        "/api/v1/uploads",
        headers={**tus, "Upload-Length": str(len(photo)), "Upload-Metadata": header},
    )
    assert created.status_code == 201, created.text
    expected[("HEAD", "/api/v1/uploads/{id}")] = (
        http.head(f"/api/v1/uploads/{mine}", headers=tus).status_code,
        200,
    )
    expected[("DELETE", "/api/v1/uploads/{id}")] = (
        http.delete(f"/api/v1/uploads/{mine}", headers=tus).status_code,
        204,
    )
    wrong = {route: got for route, (got, want) in expected.items() if got != want}
    assert not wrong, wrong


def test_a_departments_step_sent_twice_is_applied_once(
    demo: ApiClient, supervisor: ApiClient, handler: ApiClient
) -> None:
    case_id = dispatched_case(demo, supervisor)
    handler.act(case_id, "sign_for")
    photo = str(uuid.uuid4())
    step = {"opinion": "已处置", "attachments": [photo], "change_id": new_id()}
    first = handler.act(case_id, "handle", **step).json()
    again = handler.act(case_id, "handle", **step).json()  # a resend after a lost answer
    assert first["case"]["revision"] == again["case"]["revision"]
    assert [s["action"] for s in again["steps"]].count("handle") == 1
    other = {**step, "attachments": [str(uuid.uuid4())]}
    reused = handler.act(case_id, "handle", expect=409, **other)
    assert reused.json()["detail"]["code"] == "change_id_reused"
