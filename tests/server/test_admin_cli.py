"""``citypatrol-server`` administration commands, checked through a running server."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from helpers import ROOT, ServerProcess

from app.domain.ids import new_id


class Admin:
    def __init__(self, data: Path, database_url: str) -> None:
        self.data, self.database_url = data, database_url

    def __call__(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "server.cli", "--data-dir", str(self.data), "--database-url", self.database_url, *args],
            input=stdin, capture_output=True, text=True, cwd=ROOT, check=False, timeout=120,
        )  # fmt: skip


@pytest.fixture
def admin(tmp_path: Path, database_url: str) -> Admin:
    return Admin(tmp_path / "srv", database_url)


def login(server: ServerProcess, name: str, password: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/v1/auth/login", json={"username": name, "password": password}
    )


def test_disable_reset_and_enable_accounts(admin: Admin) -> None:
    assert (
        admin("user", "add", "li", "--role", "inspector", stdin="first-pass-of-li\n").returncode
        == 0
    )
    server = ServerProcess(admin.data, "--database-url", admin.database_url)
    try:
        token = login(server, "li", "first-pass-of-li").json()["token"]
        me = f"{server.url}/api/v1/me"
        assert httpx.get(me, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert admin("user", "disable", "li").returncode == 0
        assert httpx.get(me, headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert login(server, "li", "first-pass-of-li").status_code == 401
        assert "li\tinspector\tdisabled" in admin("user", "list").stdout
        assert admin("user", "enable", "li").returncode == 0
        token = login(server, "li", "first-pass-of-li").json()["token"]
        assert admin("user", "reset", "li", stdin="second-pass-of-li\n").returncode == 0
        assert httpx.get(me, headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert login(server, "li", "first-pass-of-li").status_code == 401
        assert login(server, "li", "second-pass-of-li").status_code == 200
        missing = admin("user", "disable", "nobody")
        assert missing.returncode == 1 and "no user 'nobody'" in missing.stderr
    finally:
        server.stop()


def test_departments_load_from_csv_and_bad_rows_name_their_line(
    admin: Admin, tmp_path: Path
) -> None:
    good = tmp_path / "departments.csv"
    good.write_text(
        "code,name,name_en\nJT,交通运输局,Transport bureau\nSW,水务局,Water bureau\n",
        encoding="utf-8",
    )
    assert admin("department", "load", str(good)).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\nZJ,住建局\n,没有代码\n", encoding="utf-8")
    result = admin("department", "load", str(bad))
    assert result.returncode == 1 and "bad.csv:3" in result.stderr
    duplicate = admin("department", "add", "JT", "交通局")
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr
    assert (
        admin("user", "add", "ops", "--role", "admin", stdin="ops-pass-for-admin\n").returncode == 0
    )
    server = ServerProcess(admin.data, "--database-url", admin.database_url)
    try:
        token = login(server, "ops", "ops-pass-for-admin").json()["token"]
        listed = httpx.get(
            f"{server.url}/api/v1/departments", headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert [d["code"] for d in listed] == ["JT", "SW"]  # the bad file added nothing
    finally:
        server.stop()


def test_a_city_taxonomy_replaces_the_default_for_validation(admin: Admin, tmp_path: Path) -> None:
    table = tmp_path / "city.csv"
    table.write_text(
        "standard,kind,major_code,major_name,code,name\n"
        "本市标准,管理事项,06,市容环境,06010,暴露垃圾\n",
        encoding="utf-8",
    )
    broken = tmp_path / "broken.csv"
    broken.write_text(
        "standard,kind,major_code,major_name,code,name\n本市标准,管理事项,06,市容环境,6010,暴露垃圾\n"
    )
    result = admin("taxonomy", "load", str(broken))
    assert result.returncode == 1 and "broken.csv:2" in result.stderr
    assert (
        admin("taxonomy", "load", str(table)).stdout.strip()
        == "category table loaded: 1 categories"
    )
    assert (
        admin(
            "user", "add", "zhao", "--role", "inspector", stdin="inspects-streets-2026\n"
        ).returncode
        == 0
    )
    server = ServerProcess(admin.data, "--database-url", admin.database_url)
    try:
        token = login(server, "zhao", "inspects-streets-2026").json()["token"]

        def create(code: str) -> str:
            case = {
                "id": new_id(),
                "status": "draft",
                "category_code": code,
                "created_at": "2026-11-20T08:00:00+08:00",
            }
            body = {"changes": [{"change_id": new_id(), "op": "create", "case": case}]}
            response = httpx.post(
                f"{server.url}/api/v1/cases/push",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            )
            return str(response.json()["results"][0]["outcome"])

        assert create("06010") == "applied"
        assert create("01037") == "rejected"  # in the national table, not in this city's
    finally:
        server.stop()


def test_several_workers_serve_one_postgresql_database(tmp_path: Path, postgres: object) -> None:
    url = postgres.create_database()  # type: ignore[attr-defined]
    server = ServerProcess(tmp_path / "srv", "--database-url", url, "--workers", "2", "--demo")
    try:
        pids = set()
        for _ in range(40):
            response = httpx.get(f"{server.url}/healthz", headers={"Connection": "close"})
            health = response.json()
            assert (health["status"], health["database"], health["disk"]) == (
                "ok",
                "postgresql",
                "ok",
            )
        assert login(server, "demo", "demo").status_code == 200
        children = subprocess.run(
            ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True, check=False
        )
        pids = {int(p) for p in children.stdout.split()}
        assert len(pids) >= 2, children.stdout
    finally:
        server.stop()


def test_workers_get_every_setting_the_command_read(tmp_path: Path, postgres: object) -> None:
    """``--workers N`` hands each worker the command's whole settings (one serialised
    variable): a token lifetime other than the default is not lost on the way (it was)."""
    url = postgres.create_database()  # type: ignore[attr-defined]
    server = ServerProcess(
        tmp_path / "srv",
        "--database-url", url, "--workers", "2", "--demo",
        env={"CITYPATROL_SERVER_TOKEN_LIFETIME_HOURS": "3"},
    )  # fmt: skip
    try:
        for _ in range(6):  # new connections: the workers take turns
            before = datetime.now(UTC)
            response = httpx.post(
                f"{server.url}/api/v1/auth/login",
                json={"username": "demo", "password": "demo"},
                headers={"Connection": "close"},
            )
            assert response.status_code == 200, response.text
            lifetime = datetime.fromisoformat(response.json()["expires_at"]) - before
            assert abs(lifetime - timedelta(hours=3)) < timedelta(minutes=1), lifetime
    finally:
        server.stop()


def test_settings_travel_to_workers_whole() -> None:
    from server.settings import Settings, from_json, to_json

    settings = Settings(
        data_dir=Path("/srv/citypatrol"),
        database_url="postgresql://db/citypatrol",
        demo=True,
        token_lifetime_hours=5,
        busy_timeout_s=3.5,
        upload_expiry_s=120.0,
        upload_idle_s=7.0,
        trusted_proxies=("10.0.0.0/8", "192.0.2.1/32"),
        user_quota_bytes=3 * 1024**2,
        case_quota_bytes=0,
        disk_reserve_bytes=1024,
        token_idle_days=3,
    )
    assert from_json(to_json(settings)) == settings


def test_security_settings_come_from_the_environment_and_the_command_line() -> None:
    from server.settings import load_settings

    env = {
        "CITYPATROL_SERVER_DATA_DIR": "/srv/cp",
        "CITYPATROL_SERVER_TRUSTED_PROXIES": "10.1.2.3, 172.16.0.0/12",
        "CITYPATROL_SERVER_USER_QUOTA_MB": "5",
        "CITYPATROL_SERVER_CASE_QUOTA_MB": "0",
        "CITYPATROL_SERVER_DISK_RESERVE_MB": "many",  # malformed: logged, default kept
        "CITYPATROL_SERVER_TOKEN_IDLE_DAYS": "3",
    }
    settings = load_settings(env=env)
    assert settings.trusted_proxies == ("10.1.2.3/32", "172.16.0.0/12")
    assert settings.user_quota_bytes == 5 * 1024**2 and settings.case_quota_bytes == 0
    assert settings.disk_reserve_bytes == 512 * 1024**2 and settings.token_idle_days == 3
    assert load_settings(env=env, trusted_proxies=["::1"]).trusted_proxies == ("::1/128",)
    with pytest.raises(ValueError, match="does not appear to be"):
        load_settings(env=env, trusted_proxies=["not-a-network"])


def test_server_head_revision_constant_matches_the_migrations() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from server.db import HEAD_REVISION, MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION
