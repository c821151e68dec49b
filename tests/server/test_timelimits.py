"""Time-limit rules: the API (real server on SQLite and PostgreSQL), the feed entries every
client pulls, the choice of the most specific rule, and ``citypatrol-server time-limit``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT, ApiClient, ServerProcess

from app.domain.ids import new_id

PATH = "/api/v1/time-limits"


class Client(ApiClient):
    """A signed-in user of the API (or anonymous: ``username`` None)."""

    def rules(self) -> list[dict[str, Any]]:
        response = self.http.get(PATH)
        assert response.status_code == 200, response.text
        return list(response.json())

    def add(self, expect: int = 201, **rule: Any) -> dict[str, Any]:
        response = self.http.post(PATH, json=rule)
        assert response.status_code == expect, response.text
        return dict(response.json())

    def time_limit_entries(self) -> list[dict[str, Any]]:
        """Every time-limit entry of this user's feed."""
        return [e for e in self.everything(limit=1000) if e["kind"] == "time_limit"]


@pytest.fixture(scope="module")
def admin(server: ServerProcess) -> Client:
    return Client(server, "admin")


@pytest.fixture(scope="module")
def supervisor(server: ServerProcess) -> Client:
    return Client(server, "supervisor")


@pytest.fixture(scope="module")
def demo(server: ServerProcess) -> Client:
    return Client(server, "demo")


@pytest.fixture(scope="module")
def anonymous(server: ServerProcess) -> Client:
    return Client(server, None)


def test_admins_manage_rules_and_every_client_learns_of_each_change(
    admin: Client, supervisor: Client, demo: Client
) -> None:
    rule = admin.add(category_code="06010", urgency="urgent", amount=4, unit="working_hours")
    assert {k: v for k, v in rule.items() if k != "id"} == {
        "category_code": "06010",
        "urgency": "urgent",
        "amount": 4,
        "unit": "working_hours",
    }
    assert rule in supervisor.rules() and rule in admin.rules()

    changed = admin.http.put(
        f"{PATH}/{rule['id']}",
        json={"category_code": "06010", "urgency": "emergency", "amount": 2, "unit": "calendar_hours"},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json() == {**rule, "urgency": "emergency", "amount": 2, "unit": "calendar_hours"}
    assert changed.json() in supervisor.rules()

    deleted = admin.http.delete(f"{PATH}/{rule['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert all(r["id"] != rule["id"] for r in supervisor.rules())
    assert admin.http.delete(f"{PATH}/{rule['id']}").status_code == 404

    # Reference data for everyone: inspectors included, in the order of the changes.
    for client in (demo, supervisor, admin):
        mine = [e for e in client.time_limit_entries() if e["entity_id"] == rule["id"]]
        assert [e["payload"] for e in mine] == [
            rule,
            changed.json(),
            {"id": rule["id"], "deleted": True},
        ]


def test_a_rule_for_any_category_or_urgency(admin: Client) -> None:
    default = admin.add(amount=5, unit="working_days")
    try:
        assert default["category_code"] is None and default["urgency"] is None
        admin.add(expect=409, amount=3, unit="calendar_hours")
        any_urgency = admin.add(category_code="01037", amount=2, unit="working_days")
        assert any_urgency["urgency"] is None
        admin.add(expect=409, category_code="01037", urgency=None, amount=9, unit="working_days")
        any_category = admin.add(urgency="emergency", amount=1, unit="working_hours")
        assert any_category["category_code"] is None
        listed = [r["id"] for r in admin.rules()]
        # The general rules come first.
        assert listed.index(default["id"]) < listed.index(any_category["id"])
        assert listed.index(any_category["id"]) < listed.index(any_urgency["id"])
    finally:
        for rule in admin.rules():
            assert admin.http.delete(f"{PATH}/{rule['id']}").status_code == 204


def test_duplicates_are_refused(admin: Client) -> None:
    first = admin.add(category_code="09006", urgency="normal", amount=1, unit="working_days")
    response = admin.http.post(
        PATH, json={"category_code": "09006", "urgency": "normal", "amount": 7, "unit": "working_hours"}
    )  # fmt: skip
    assert response.status_code == 409
    assert response.json()["detail"] == {
        "code": "duplicate_rule",
        "zh": "该类别和紧急程度的时限规则已存在",
        "en": "a rule for this category and urgency exists already",
    }
    second = admin.add(category_code="09006", urgency="urgent", amount=1, unit="working_days")
    # Changing the second into the first's category and urgency is a duplicate too…
    moved = admin.http.put(
        f"{PATH}/{second['id']}",
        json={"category_code": "09006", "urgency": "normal", "amount": 1, "unit": "working_days"},
    )
    assert moved.status_code == 409, moved.text
    # …but a rule keeping its own category and urgency is not its own duplicate.
    kept = admin.http.put(
        f"{PATH}/{first['id']}",
        json={"category_code": "09006", "urgency": "normal", "amount": 3, "unit": "working_days"},
    )
    assert kept.status_code == 200 and kept.json()["amount"] == 3
    stored = {r["id"]: r for r in admin.rules()}
    assert stored[second["id"]] == second and stored[first["id"]]["amount"] == 3


def test_who_may_read_and_change_rules(
    admin: Client, supervisor: Client, demo: Client, anonymous: Client
) -> None:
    rule = admin.add(category_code="06001", amount=8, unit="working_hours")
    body = {"category_code": "06001", "amount": 9, "unit": "working_hours"}
    for client, read, write in ((anonymous, 401, 401), (demo, 403, 403), (supervisor, 200, 403)):
        assert client.http.get(PATH).status_code == read
        assert client.http.post(PATH, json={**body, "category_code": "06002"}).status_code == write
        assert client.http.put(f"{PATH}/{rule['id']}", json=body).status_code == write
        assert client.http.delete(f"{PATH}/{rule['id']}").status_code == write
    assert rule in admin.rules()
    assert not any(r["category_code"] == "06002" for r in admin.rules())


def test_unknown_categories_are_refused_without_echoing_them(admin: Client) -> None:
    before = admin.rules()
    for code in ("99999", "06999"):
        response = admin.http.post(
            PATH, json={"category_code": code, "amount": 1, "unit": "working_days"}
        )
        assert response.status_code == 400, response.text
        assert "管理事项" in response.json()["detail"]["en"] and code not in response.text
    rule = admin.add(category_code="06003", amount=1, unit="working_days")
    response = admin.http.put(
        f"{PATH}/{rule['id']}", json={"category_code": "99999", "amount": 1, "unit": "working_days"}
    )
    assert response.status_code == 400, response.text
    stored = admin.rules()
    assert rule in stored and len(stored) == len(before) + 1


@pytest.fixture(scope="module")
def existing_rule(admin: Client) -> dict[str, Any]:
    return admin.add(category_code="06005", amount=1, unit="working_days")


MALFORMED: list[tuple[dict[str, Any], str]] = [
    ({"amount": 0, "unit": "working_days"}, "amount"),
    ({"amount": 10_001, "unit": "working_days"}, "amount"),
    ({"amount": -5, "unit": "working_days"}, "amount"),
    ({"amount": "七", "unit": "working_days"}, "amount"),
    ({"amount": 1.5, "unit": "working_days"}, "amount"),
    ({"unit": "working_days"}, "amount"),
    ({"amount": 1}, "unit"),
    ({"amount": 1, "unit": "fortnights"}, "unit"),
    ({"amount": 1, "unit": "working_days", "urgency": "whenever"}, "urgency"),
    ({"amount": 1, "unit": "working_days", "category_code": "0601"}, "category_code"),
    ({"amount": 1, "unit": "working_days", "category_code": "060100"}, "category_code"),
    ({"amount": 1, "unit": "working_days", "category_code": "０６０１０"}, "category_code"),
    (
        {"amount": 1, "unit": "working_days", "category_code": "'; DROP TABLE x; --"},
        "category_code",
    ),
    ({"amount": 1, "unit": "working_days", "category_code": "0601\x00"}, "category_code"),
    ({"amount": 1, "unit": "working_days", "evil": True}, "evil"),
]


@pytest.mark.parametrize(
    ("body", "field"), MALFORMED, ids=[f"{f}-{i}" for i, (_, f) in enumerate(MALFORMED)]
)
def test_malformed_rules_are_refused_by_field(
    admin: Client, existing_rule: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    before = admin.rules()
    response = admin.http.post(PATH, json=body)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]["errors"]
    assert any(field in e["loc"] for e in detail), detail
    assert "DROP TABLE" not in response.text and "fortnights" not in response.text
    response = admin.http.put(f"{PATH}/{existing_rule['id']}", json=body)
    assert response.status_code == 422, response.text
    assert any(field in e["loc"] for e in response.json()["detail"]["errors"]), response.text
    assert admin.rules() == before


def test_unknown_and_malformed_rule_ids(admin: Client) -> None:
    body = {"amount": 1, "unit": "working_days", "category_code": "06004"}
    assert admin.http.put(f"{PATH}/{new_id()}", json=body).status_code == 404
    assert admin.http.delete(f"{PATH}/{new_id()}").status_code == 404
    for bad in ("1", "../../etc/passwd", "x" * 36, new_id().upper()):
        assert admin.http.delete(f"{PATH}/{bad}").status_code in (404, 422), bad
        assert admin.http.put(f"{PATH}/{bad}", json=body).status_code in (404, 422), bad
    assert not any(r["category_code"] == "06004" for r in admin.rules())


# --- choosing the rule for a case -----------------------------------------------------------


@pytest.fixture
def sessions(database_url: str) -> Iterator[Any]:
    from server.db import create_db_engine, migrate, session_factory

    engine = create_db_engine(database_url)
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def test_the_most_specific_rule_applies(sessions: Any) -> None:
    from server.reference.timelimits import add_rule, rule_for

    def chosen(category: str | None, urgency: str | None) -> int | None:
        with sessions.begin() as session:
            rule = rule_for(session, category, urgency)
            return None if rule is None else rule.amount

    assert chosen("06010", "urgent") is None  # no rules at all
    with sessions.begin() as session:
        add_rule(session, None, "urgent", 4, "working_hours")
    assert chosen("06010", "urgent") == 4
    assert chosen("06010", "normal") is None
    with sessions.begin() as session:
        add_rule(session, None, None, 5, "working_days")
        add_rule(session, "06010", None, 2, "working_days")
        add_rule(session, "06010", "urgent", 1, "working_hours")
        add_rule(session, "01037", "emergency", 3, "calendar_hours")
    assert chosen("06010", "urgent") == 1  # category and urgency
    assert chosen("06010", "emergency") == 2  # category
    assert chosen("09006", "urgent") == 4  # urgency
    assert chosen("09006", "normal") == 5  # the default
    assert chosen("01037", "normal") == 5
    assert chosen("01037", "emergency") == 3
    assert chosen(None, "normal") == 5  # a case without a category yet


# --- citypatrol-server time-limit -----------------------------------------------------------


def server_cli(data: Path, database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(data), "--database-url", database_url, *args],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=120,
    )  # fmt: skip


def test_the_time_limit_command(database_url: str, tmp_path: Path) -> None:
    data = tmp_path / "srv"
    added = server_cli(data, database_url, "time-limit", "add", "2", "working_days")
    assert added.returncode == 0, added.stderr
    default_id = added.stdout.split()[2]
    added = server_cli(
        data, database_url, "time-limit", "add", "6", "working_hours",
        "--category", "06010", "--urgency", "urgent",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    specific_id = added.stdout.split()[2]
    for args, message in (
        (("add", "3", "calendar_hours"), "exists already"),
        (("add", "1", "working_days", "--category", "99999"), "管理事项"),
        (("add", "0", "working_days"), "amount must be from 1 to 10000"),
        (("remove", new_id()), "no such time-limit rule"),
    ):
        refused = server_cli(data, database_url, "time-limit", *args)
        assert refused.returncode == 1 and message in refused.stderr, (args, refused.stderr)
    bad_unit = server_cli(data, database_url, "time-limit", "add", "1", "weeks")
    assert bad_unit.returncode == 2 and "invalid choice" in bad_unit.stderr
    listed = server_cli(data, database_url, "time-limit", "list")
    assert listed.stdout.splitlines() == [
        f"{default_id}\t*\t*\t2\tworking_days",
        f"{specific_id}\t06010\turgent\t6\tworking_hours",
    ]
    removed = server_cli(data, database_url, "time-limit", "remove", default_id)
    assert removed.returncode == 0 and default_id in removed.stdout

    server = ServerProcess(data, "--database-url", database_url, "--demo")
    try:
        admin = Client(server, "admin")
        assert [r["id"] for r in admin.rules()] == [specific_id]
        assert [
            (e["entity_id"], e["payload"].get("deleted", False)) for e in admin.time_limit_entries()
        ] == [
            (default_id, False),
            (specific_id, False),
            (default_id, True),
        ]
    finally:
        server.stop()
