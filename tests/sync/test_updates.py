"""Client updates through a real server on 127.0.0.1: ``citypatrol-server release add`` → the
sync learns of the newer version → the installer is downloaded through the server, resumed
after cuts (tests/faultproxy.py), checked by SHA-256 — and a file that does not match is
discarded with a clear error. Nothing is ever run."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from faultproxy import Fault, FaultProxy
from helpers import ROOT, ServerProcess

from app.cli import main
from app.domain.releases import ReleasePlatform
from app.storage import LocalStore
from app.sync.backoff import Backoff
from app.sync.client import ServerClient
from app.sync.credentials import CredentialStore
from app.sync.engine import SyncEngine
from app.sync.errors import SyncError
from app.sync.session import sign_in
from app.sync.updates import (
    UPDATE_DIR,
    UpdateOffer,
    check_update,
    download_update,
    signed_in_client,
    this_platform,
)
from app.version import app_version

FAST = Backoff(base_s=0.01, cap_s=0.05)


class RangeRecorder(httpx.HTTPTransport):
    """Records the Range header of every installer request."""

    def __init__(self) -> None:
        super().__init__()
        self.ranges: list[str | None] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/v1/releases/") and "latest" not in request.url.path:
            self.ranges.append(request.headers.get("range"))
        return super().handle_request(request)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server", "--demo")
    yield process
    process.stop()


def add_release(server: ServerProcess, version: str, platform: str, file: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir), "release",
         "add", version, "--platform", platform, str(file)],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def installer(tmp_path: Path, size: int = 3_000_000) -> Path:
    path = tmp_path / "citypatrol_99.0.0_amd64.deb"
    path.write_bytes(os.urandom(size))
    return path


def test_a_sync_learns_of_a_newer_version(
    server: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = LocalStore(tmp_path / "laptop")
    sign_in(store, server.url, "demo", "demo")
    report = SyncEngine(store).run()
    assert report.ok and report.update is None  # nothing offered yet: no 404 fails the sync

    file = installer(tmp_path)
    platform = this_platform()
    assert platform in (ReleasePlatform.LINUX_DEB, ReleasePlatform.LINUX_APPIMAGE)
    add_release(server, "99.0.0", platform.value, file)
    report = SyncEngine(store).run()
    assert report.ok, report.lines("en")
    assert report.update is not None and report.update.version == "99.0.0"
    assert report.update.sha256 == hashlib.sha256(file.read_bytes()).hexdigest()
    assert report.update.size == file.stat().st_size
    assert "A new version is available: 99.0.0" in report.lines("en")
    assert "服务器提供新版本 99.0.0" in report.lines("zh_CN")
    assert not (store.data_dir / UPDATE_DIR).exists()  # learnt of, not downloaded
    capsys.readouterr()
    assert main(["--data-dir", str(store.data_dir), "sync", "--json"]) == 0
    offered = json.loads(capsys.readouterr().out)["update"]
    assert offered["version"] == "99.0.0" and offered["size"] == file.stat().st_size

    # Not newer than the running copy: not offered (as numbers: 0.0.9 < 0.1.0).
    add_release(server, "0.0.9", "windows", file)
    with signed_in_client(store) as client:
        assert check_update(client, platform=ReleasePlatform.WINDOWS) is None
        assert check_update(client, "0.0.1", ReleasePlatform.WINDOWS) is not None
        assert check_update(client, app_version(), ReleasePlatform.MACOS) is None


def test_the_download_resumes_after_cuts(server: ServerProcess, tmp_path: Path) -> None:
    file = installer(tmp_path)
    add_release(server, "99.0.0", "linux-deb", file)
    proxy = FaultProxy(server.port)
    try:
        store = LocalStore(tmp_path / "laptop")
        sign_in(store, proxy.url, "demo", "demo")
        account = store.account()
        assert account is not None
        token = CredentialStore(store.data_dir).load(account.server_url, account.username)
        # Cut the server → laptop stream twice: ~0.8 MB into the first connection, ~1 MB
        # into the second.
        proxy.add_faults(
            Fault("cut", after=800_000, direction="down"),
            Fault("reset", after=1_000_000, direction="down"),
        )
        recorder = RangeRecorder()
        seen: list[tuple[int, int]] = []
        with ServerClient(proxy.url, token, transport=recorder) as client:
            offer = check_update(client, platform=ReleasePlatform.LINUX_DEB)
            assert offer is not None
            folder = store.data_dir / UPDATE_DIR
            saved = download_update(
                client, offer, folder, lambda d, t: seen.append((d, t)), backoff=FAST
            )
        assert len(proxy.fired) == 2
        assert saved == folder / "citypatrol_99.0.0_amd64.deb"
        assert saved.read_bytes() == file.read_bytes()
        assert recorder.ranges[0] is None and len(recorder.ranges) == 3
        starts = [int(r.removeprefix("bytes=").rstrip("-")) for r in recorder.ranges[1:] if r]
        assert len(starts) == 2 and 0 < starts[0] < starts[1] < file.stat().st_size
        assert seen[-1] == (file.stat().st_size, file.stat().st_size)
        assert not list(folder.glob("*.part"))
        assert proxy.bytes["down"] < file.stat().st_size * 1.3  # about once, not three times
    finally:
        proxy.close()


def test_a_file_that_does_not_match_its_sha256_is_discarded(
    server: ServerProcess, tmp_path: Path
) -> None:
    file = installer(tmp_path, 400_000)
    add_release(server, "99.0.0", "linux-deb", file)
    sha = hashlib.sha256(file.read_bytes()).hexdigest()
    # The stored installer changes under the server (a disk fault, a tampered file).
    (server.data_dir / "releases" / sha).write_bytes(os.urandom(400_000))
    store = LocalStore(tmp_path / "laptop")
    sign_in(store, server.url, "demo", "demo")
    folder = store.data_dir / UPDATE_DIR
    with signed_in_client(store) as client:
        offer = check_update(client, platform=ReleasePlatform.LINUX_DEB)
        assert offer is not None
        with pytest.raises(SyncError) as refused:
            download_update(client, offer, folder, backoff=FAST)
    assert refused.value.code == "update_checksum" and not refused.value.retryable
    assert "did not match its SHA-256" in refused.value.message.en
    assert "校验不符" in refused.value.message.zh
    assert list(folder.iterdir()) == []  # neither the partial file nor an installer is kept


def test_an_offer_cannot_write_outside_the_folder(server: ServerProcess, tmp_path: Path) -> None:
    body = os.urandom(1000)
    file = tmp_path / "x.deb"
    file.write_bytes(body)
    add_release(server, "99.0.0", "linux-deb", file)
    sha = hashlib.sha256(body).hexdigest()
    store = LocalStore(tmp_path / "laptop")
    sign_in(store, server.url, "demo", "demo")
    folder = store.data_dir / UPDATE_DIR
    offer = UpdateOffer("99.0.0", ReleasePlatform.LINUX_DEB, "../../evil.sh", sha, 1000,
                        f"/api/v1/releases/{sha}")  # fmt: skip
    with signed_in_client(store) as client:
        saved = download_update(client, offer, folder, backoff=FAST)
    assert saved == folder / "evil.sh" and saved.read_bytes() == body
