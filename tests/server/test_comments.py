"""Comments on cases, against a real server on SQLite and PostgreSQL; and the server migration
that added them (s0002 → head, with data)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import ApiClient, ServerProcess, change, snapshot

from app.domain.ids import new_id

UNICODE_TEXT = "井盖缺失🚧，行人绕行👷‍♀️；𠀀𪚥 e\u0301 \u202eRTL\u202c 末尾空格 "


class Client(ApiClient):
    """A signed-in user of the API (or anonymous: ``username`` None)."""

    def comment(self, case_id: str, text: Any) -> httpx.Response:
        return self.http.post(f"/api/v1/cases/{case_id}/comments", json={"text": text})

    def comments(self, case_id: str) -> list[dict[str, Any]]:
        response = self.http.get(f"/api/v1/cases/{case_id}/comments")
        assert response.status_code == 200, response.text
        return list(response.json())

    def feed_comments(self, case_id: str) -> list[dict[str, Any]]:
        """This user's feed entries about comments on ``case_id``."""
        return [
            e
            for e in self.everything(limit=1000)
            if e["kind"] == "comment" and e["entity_id"] == case_id
        ]


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
def admin(server: ServerProcess) -> Client:
    return Client(server, "admin")


@pytest.fixture(scope="module")
def anonymous(server: ServerProcess) -> Client:
    return Client(server, None)


def submitted_case(demo: Client) -> str:
    case_id = new_id()
    results = demo.push(change("create", snapshot(case_id)), change("submit", snapshot(case_id), 1))
    assert [r["outcome"] for r in results] == ["applied", "applied"]
    return case_id


def test_a_supervisors_comment_reaches_the_author_and_the_supervisors(
    demo: Client, other: Client, supervisor: Client, admin: Client
) -> None:
    case_id = submitted_case(demo)
    response = supervisor.comment(case_id, "请补充近景照片")
    assert response.status_code == 201, response.text
    comment = response.json()
    assert comment["case_id"] == case_id and comment["text"] == "请补充近景照片"
    assert comment["author_id"] == supervisor.user["id"] and comment["role"] == "supervisor"
    assert comment["author_name"] == "演示值班长"
    detail = demo.http.get(f"/api/v1/cases/{case_id}").json()
    assert detail["comments"] == [comment] == demo.comments(case_id)

    (to_author,) = demo.feed_comments(case_id)
    assert to_author["payload"] == {
        "comment_id": comment["id"],
        "author_id": supervisor.user["id"],
        "author_name": "演示值班长",
        "role": "supervisor",
        "text": "请补充近景照片",
        "at": to_author["payload"]["at"],
    }
    assert datetime.fromisoformat(to_author["payload"]["at"]) == datetime.fromisoformat(
        comment["at"]
    )
    (to_supervisors,) = supervisor.feed_comments(case_id)
    assert to_supervisors["payload"] == to_author["payload"]
    assert other.feed_comments(case_id) == []
    assert admin.feed_comments(case_id) == []


def test_the_authors_own_comment_goes_to_the_supervisors_only(
    demo: Client, supervisor: Client
) -> None:
    case_id = submitted_case(demo)
    response = demo.comment(case_id, "现场已有围挡")
    assert response.status_code == 201, response.text
    assert response.json()["role"] == "inspector"
    assert response.json()["author_name"] == "演示监督员"
    assert demo.feed_comments(case_id) == []
    (entry,) = supervisor.feed_comments(case_id)
    assert entry["payload"]["comment_id"] == response.json()["id"]


def test_the_reinspection_assignee_reads_comments_and_gets_them(
    demo: Client, other: Client, supervisor: Client
) -> None:
    case_id = submitted_case(demo)
    assert other.comment(case_id, "我能看到吗").status_code == 404  # not yet theirs
    department = supervisor.http.get("/api/v1/departments").json()[0]["id"]
    deadline = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    supervisor.act(case_id, "accept")
    supervisor.act(case_id, "register")
    supervisor.act(case_id, "dispatch", department_id=department, deadline=deadline)
    supervisor.act(case_id, "handle", opinion="已清运")
    supervisor.act(case_id, "request_reinspection", assignee_id=other.user["id"])

    first = supervisor.comment(case_id, "核查时注意井盖")
    assert first.status_code == 201, first.text
    assert [e["payload"]["comment_id"] for e in demo.feed_comments(case_id)] == [first.json()["id"]]
    assert [e["payload"]["comment_id"] for e in other.feed_comments(case_id)] == [
        first.json()["id"]
    ]
    second = other.comment(case_id, "已到现场")
    assert second.status_code == 201, second.text
    # The author hears of the assignee's comment; the assignee does not hear of their own.
    assert len(demo.feed_comments(case_id)) == 2
    assert len(other.feed_comments(case_id)) == 1
    assert len(supervisor.feed_comments(case_id)) == 2
    third = demo.comment(case_id, "谢谢")
    assert third.status_code == 201, third.text
    assert len(other.feed_comments(case_id)) == 2
    assert len(demo.feed_comments(case_id)) == 2
    texts = [c["text"] for c in supervisor.comments(case_id)]
    assert texts == ["核查时注意井盖", "已到现场", "谢谢"]  # oldest first
    assert [c["text"] for c in other.comments(case_id)] == texts


def test_who_may_comment(
    demo: Client, other: Client, admin: Client, anonymous: Client, supervisor: Client
) -> None:
    case_id = submitted_case(demo)
    assert anonymous.comment(case_id, "匿名").status_code == 401
    assert anonymous.http.get(f"/api/v1/cases/{case_id}/comments").status_code == 401
    for response in (
        other.comment(case_id, "不是我的案件"),
        other.http.get(f"/api/v1/cases/{case_id}/comments"),
        supervisor.comment(new_id(), "没有这个案件"),
        supervisor.http.get(f"/api/v1/cases/{new_id()}/comments"),
    ):
        assert response.status_code == 404, response.text
        assert response.json() == {
            "detail": {"code": "no_such_case", "zh": "没有这个案件", "en": "no such case"}
        }
    admin_comment = admin.comment(case_id, "管理员备注")
    assert admin_comment.status_code == 201 and admin_comment.json()["role"] == "admin"
    # A draft stays private to its inspector, comments included.
    draft_id = new_id()
    demo.push(change("create", snapshot(draft_id)))
    assert supervisor.comment(draft_id, "草稿").status_code == 404
    assert demo.comment(draft_id, "给自己的备注").status_code == 201
    assert [c["text"] for c in demo.comments(case_id)] == ["管理员备注"]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "text"),
        ("   \n\t", "text"),
        ("意" * 2001, "text"),
        ("长" * 300_000, "text"),  # 1.8 MB of escaped JSON: under the 2 MiB body limit
        ("有\x00空字符", "text"),
        (42, "text"),
        (None, "text"),
        (["a"], "text"),
    ],
    ids=["empty", "blank", "2001", "megabyte", "nul", "int", "null", "list"],
)
def test_invalid_comments_are_refused_without_echoing_them(
    demo: Client, supervisor: Client, text: Any, field: str
) -> None:
    case_id = submitted_case(demo)
    response = supervisor.comment(case_id, text)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]["errors"]
    assert any(field in e["loc"] for e in detail), detail
    assert all(e["msg"] for e in detail)
    for echoed in ("空字符", "意意意", "长长长"):
        assert echoed not in response.text
    assert len(response.content) < 2000
    assert supervisor.comments(case_id) == []
    assert demo.feed_comments(case_id) == []


def test_comment_bodies_with_unknown_fields_or_bad_json_are_refused(
    demo: Client, supervisor: Client
) -> None:
    case_id = submitted_case(demo)
    path = f"/api/v1/cases/{case_id}/comments"
    assert supervisor.http.post(path, json={"text": "好", "role": "admin"}).status_code == 422
    assert supervisor.http.post(path, json={}).status_code == 422
    bad_json = supervisor.http.post(
        path, content=b'{"text": ', headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 422
    assert supervisor.http.post(
        "/api/v1/cases/../../etc/comments", json={"text": "x"}
    ).status_code in (404, 405, 422)
    assert supervisor.comments(case_id) == []


def test_the_longest_comment_and_unicode_are_kept_verbatim(
    demo: Client, supervisor: Client
) -> None:
    case_id = submitted_case(demo)
    for text in ("意" * 2000, UNICODE_TEXT, "'; DROP TABLE case_comments; --"):
        response = supervisor.comment(case_id, text)
        assert response.status_code == 201, response.text
    assert [c["text"] for c in demo.comments(case_id)] == [
        "意" * 2000,
        UNICODE_TEXT,
        "'; DROP TABLE case_comments; --",
    ]
    assert [e["payload"]["text"] for e in demo.feed_comments(case_id)][1] == UNICODE_TEXT


def test_an_action_answers_with_the_comments_too(demo: Client, supervisor: Client) -> None:
    case_id = submitted_case(demo)
    supervisor.comment(case_id, "先受理")
    response = supervisor.http.post(f"/api/v1/cases/{case_id}/actions", json={"action": "accept"})
    assert response.status_code == 200, response.text
    assert [c["text"] for c in response.json()["comments"]] == ["先受理"]


# --- the server migration that added comments -----------------------------------------------


def _upgrade(engine: Any, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from server.db import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def test_a_database_at_s0002_with_data_upgrades_to_head(database_url: str, tmp_path: Path) -> None:
    """A server database from before comments (s0002, with accounts, a case and its step, a
    time-limit rule and feed entries) is migrated on start: nothing is lost, and the case can
    be read and commented on."""
    from sqlalchemy import insert, inspect, text

    from app.domain.lifecycle import Role
    from server.accounts.auth import hash_password
    from server.db import HEAD_REVISION, create_db_engine, session_factory
    from server.models import Case, CaseStep, TimeLimitRule, User

    engine = create_db_engine(database_url)
    try:
        _upgrade(engine, "s0002")
        assert "case_comments" not in inspect(engine).get_table_names()
        now = datetime.now(UTC)
        case_id, rule_id = new_id(), new_id()
        with session_factory(engine).begin() as session:
            # Core with the columns of s0002, as for the case below (the model has later ones).
            author, chief = new_id(), new_id()
            for user_id, name, password, role, display in (
                (author, "old-inspector", "old-pass", Role.INSPECTOR, "老巡查员"),
                (chief, "old-chief", "old-chief", Role.SUPERVISOR, "老值班长"),
            ):
                session.execute(
                    insert(User.__table__).values(
                        id=user_id, username=name, display_name=display, role=role.value,
                        password_hash=hash_password(password), disabled=False, created_at=now,
                    )
                )  # fmt: skip
            session.flush()
            # Core with the columns of s0002 (the model has columns of later revisions).
            session.execute(
                insert(Case.__table__).values(
                    id=case_id, author_id=author, status="submitted", category_code="06010",
                    description="旧版本的案件", address="鼓楼区", urgency="normal",
                    created_at=now, submitted_at=now, received_at=now, updated_at=now, revision=2,
                )
            )  # fmt: skip
            session.flush()
            session.add(
                CaseStep(
                    id=new_id(), case_id=case_id, action="submit", from_status="draft",
                    to_status="submitted", actor_id=author, role="inspector", at=now,
                    opinion="", attachments=[],
                )
            )  # fmt: skip
            session.add(
                TimeLimitRule(id=rule_id, category_code=None, urgency=None, amount=5, unit="working_days")
            )  # fmt: skip
        with engine.connect() as conn:
            before = conn.execute(text("SELECT count(*) FROM feed")).scalar()
    finally:
        engine.dispose()

    server = ServerProcess(tmp_path / "data", "--database-url", database_url)
    try:
        engine = create_db_engine(database_url)
        try:
            with engine.connect() as conn:
                version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                assert version == HEAD_REVISION
                # s0004 announces the accounts that existed (supervisors learn names from it).
                assert conn.execute(text("SELECT count(*) FROM feed")).scalar() == before + 2
                announced = conn.execute(
                    text("SELECT entity_id FROM feed WHERE kind = 'user' ORDER BY seq DESC LIMIT 2")
                ).scalars()
                assert set(announced) == {author, chief}
            assert "case_comments" in inspect(engine).get_table_names()
        finally:
            engine.dispose()
        tokens = {}
        for name, password in (("old-inspector", "old-pass"), ("old-chief", "old-chief")):
            response = httpx.post(
                f"{server.url}/api/v1/auth/login", json={"username": name, "password": password}
            )
            assert response.status_code == 200, response.text
            tokens[name] = {"Authorization": f"Bearer {response.json()['token']}"}
        detail = httpx.get(
            f"{server.url}/api/v1/cases/{case_id}", headers=tokens["old-inspector"]
        ).json()
        assert detail["case"]["description"] == "旧版本的案件" and detail["case"]["revision"] == 2
        assert [s["action"] for s in detail["steps"]] == ["submit"] and detail["comments"] == []
        response = httpx.post(
            f"{server.url}/api/v1/cases/{case_id}/comments",
            json={"text": "升级后的备注"},
            headers=tokens["old-chief"],
        )
        assert response.status_code == 201, response.text
        rules = httpx.get(f"{server.url}/api/v1/time-limits", headers=tokens["old-chief"]).json()
        assert [(r["id"], r["amount"], r["unit"]) for r in rules] == [(rule_id, 5, "working_days")]
    finally:
        server.stop()
