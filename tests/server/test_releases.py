"""Client releases: ``citypatrol-server release add|list`` and ``/api/v1/releases`` — what is
refused, which version is current (by PEP 440, not by text), the resumable download and who
may ask. A real server process, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from helpers import ROOT, ServerProcess

LATEST = "/api/v1/releases/latest"


def release(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir),
         "--database-url", server.database_url, "release", *args],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=120,
    )  # fmt: skip


def client(server: ServerProcess, username: str | None) -> httpx.Client:
    headers = {}
    if username is not None:
        answer = httpx.post(
            f"{server.url}/api/v1/auth/login", json={"username": username, "password": username}
        )
        headers["Authorization"] = f"Bearer {answer.json()['token']}"
    return httpx.Client(base_url=server.url, headers=headers)


@pytest.fixture(scope="module")
def installer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("releases") / "citypatrol_0.2.0_amd64.deb"
    path.write_bytes(os.urandom(700_000))
    return path


def test_add_refuse_and_list(server: ServerProcess, installer: Path, tmp_path: Path) -> None:
    with client(server, "demo") as http:
        none = http.get(LATEST, params={"platform": "linux-deb"})
        assert none.status_code == 404
        assert none.json()["detail"]["code"] == "release_not_found"
    added = release(server, "add", "0.2.0", "--platform", "linux-deb", str(installer))
    assert added.returncode == 0, added.stderr
    sha = hashlib.sha256(installer.read_bytes()).hexdigest()
    assert "release 0.2.0 for linux-deb added" in added.stdout and sha in added.stdout
    assert (server.data_dir / "releases" / sha).read_bytes() == installer.read_bytes()

    empty = tmp_path / "empty.deb"
    empty.write_bytes(b"")
    refusals = {
        ("0.2.0", str(installer)): "must be newer",  # the same version twice
        ("0.1.9", str(installer)): "must be newer",  # a downgrade
        ("0.3.0", str(tmp_path / "missing.deb")): "is not a file",
        ("0.3.0", str(empty)): "is empty",
        ("three", str(installer)): "is not a version number",
    }
    for (version, file), reason in refusals.items():
        refused = release(server, "add", version, "--platform", "linux-deb", file)
        assert refused.returncode == 1 and reason in refused.stderr, (version, refused.stderr)
    bad_platform = release(server, "add", "0.3.0", "--platform", "amiga", str(installer))
    assert bad_platform.returncode == 2 and "invalid choice" in bad_platform.stderr
    listed = release(server, "list").stdout.splitlines()
    assert len(listed) == 1 and listed[0].startswith(f"linux-deb\t0.2.0\t{installer.name}\t")

    # 0.10.0 is newer than 0.2.0 (as numbers, not as text); other platforms are apart.
    assert (
        release(server, "add", "0.10.0", "--platform", "linux-deb", str(installer)).returncode == 0
    )
    assert release(server, "add", "0.1.0", "--platform", "windows", str(installer)).returncode == 0
    listed = release(server, "list").stdout.splitlines()
    assert [line.split("\t")[:2] for line in listed] == [
        ["linux-deb", "0.10.0"], ["linux-deb", "0.2.0"], ["windows", "0.1.0"],
    ]  # fmt: skip
    with client(server, "demo") as http:
        latest = http.get(LATEST, params={"platform": "linux-deb"}).json()
        assert latest == {
            "platform": "linux-deb",
            "version": "0.10.0",
            "filename": installer.name,
            "sha256": sha,
            "size": installer.stat().st_size,
            "url": f"/api/v1/releases/{sha}",
        }
        assert http.get(LATEST, params={"platform": "windows"}).json()["version"] == "0.1.0"
        assert http.get(LATEST, params={"platform": "macos"}).status_code == 404
        assert http.get(LATEST, params={"platform": "amiga"}).status_code == 422
        assert http.get(LATEST).status_code == 422


def test_download_resumes_with_a_range(server: ServerProcess, installer: Path) -> None:
    body = installer.read_bytes()
    sha = hashlib.sha256(body).hexdigest()
    if release(server, "list").stdout.count(sha) == 0:  # alone: the first test did not run
        release(server, "add", "0.2.0", "--platform", "linux-deb", str(installer))
    url = f"/api/v1/releases/{sha}"
    with client(server, "demo") as http:
        whole = http.get(url)
        assert whole.status_code == 200 and whole.content == body
        assert whole.headers["etag"] == f'"{sha}"'
        rest = http.get(url, headers={"Range": "bytes=250000-", "If-Range": f'"{sha}"'})
        assert rest.status_code == 206 and rest.content == body[250_000:]
        assert rest.headers["content-range"] == f"bytes 250000-{len(body) - 1}/{len(body)}"
        # Another version's tag: the whole file, never a splice of two installers.
        other = http.get(url, headers={"Range": "bytes=250000-", "If-Range": '"' + "1" * 64 + '"'})
        assert other.status_code == 200 and other.content == body
        assert http.get("/api/v1/releases/" + "0" * 64).status_code == 404
        assert http.get("/api/v1/releases/not-a-sha").status_code == 422


@pytest.mark.parametrize("username", ["demo", "supervisor", "admin", None])
def test_who_may_ask(server: ServerProcess, installer: Path, username: str | None) -> None:
    """Every signed-in role runs the client and may be offered it; nobody else."""
    sha = hashlib.sha256(installer.read_bytes()).hexdigest()
    if release(server, "list").stdout.count(sha) == 0:
        release(server, "add", "0.2.0", "--platform", "linux-deb", str(installer))
    expected = (401, 401) if username is None else (200, 200)
    with client(server, username) as http:
        latest = http.get(LATEST, params={"platform": "linux-deb"})
        download = http.get(f"/api/v1/releases/{sha}")
        assert (latest.status_code, download.status_code) == expected
        if username is None:
            assert latest.json()["detail"]["code"] == download.json()["detail"]["code"]
