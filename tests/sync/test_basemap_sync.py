"""Basemaps through the server: ``citypatrol-server basemap add`` → the sync downloads it →
registered on the laptop; unchanged → never downloaded again; a cut download resumes; removed →
dropped. A real server process on 127.0.0.1 and the real ``town.mbtiles`` of 贵溪市."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from faultproxy import Fault, FaultProxy
from helpers import ROOT, ServerProcess

from app.geo.basemaps import BASEMAP_DIR, BasemapRegistry
from app.storage import LocalStore
from app.sync.backoff import Backoff
from app.sync.engine import Progress, SyncEngine, SyncOptions
from app.sync.session import sign_in


class CountingTransport(httpx.HTTPTransport):
    """Records every basemap request (path and Range header) the sync sends."""

    def __init__(self) -> None:
        super().__init__()
        self.basemap_requests: list[tuple[str, str | None]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/v1/basemaps/"):
            self.basemap_requests.append((request.url.path, request.headers.get("range")))
        return super().handle_request(request)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server", "--demo")
    yield process
    process.stop()


def run_admin(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir), "basemap", *args],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def admin(server: ServerProcess, *args: str) -> str:
    done = run_admin(server, *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def engine(store: LocalStore, transport: httpx.BaseTransport, **kw: object) -> SyncEngine:
    options = SyncOptions(attempts=4, backoff=Backoff(base_s=0.01, cap_s=0.05))
    return SyncEngine(store, options, transport=transport, **kw)  # type: ignore[arg-type]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_add_sync_again_and_remove(server: ServerProcess, tmp_path: Path, samples: Path) -> None:
    town = samples / "map" / "town.mbtiles"
    assert "added" in admin(server, "add", str(town), "--name", "贵溪", "--datum", "wgs84")
    assert "贵溪" in admin(server, "list")
    store = LocalStore(tmp_path / "laptop")
    sign_in(store, server.url, "demo", "demo")
    seen: list[Progress] = []
    counting = CountingTransport()
    report = engine(store, counting, progress=seen.append).run()
    assert report.ok, report.lines("en")
    assert report.basemaps_received == ["贵溪"]
    assert report.changes.reference  # the maps reload their basemap list
    entry = BasemapRegistry(store.data_dir).get("贵溪")
    assert entry is not None and entry.origin == "server"
    assert entry.sha256 == sha(town) == sha(entry.file)
    assert entry.attribution  # the file's attribution (© OpenStreetMap contributors)
    assert len(counting.basemap_requests) == 1
    assert any(p.phase == "basemaps" and p.bytes_done == town.stat().st_size for p in seen)

    # Unchanged on the server: a second sync asks for nothing.
    again = CountingTransport()
    report = engine(store, again).run()
    assert report.ok and report.basemaps_received == []
    assert again.basemap_requests == []

    stored = server.data_dir / "basemaps" / f"{sha(town)}.mbtiles"
    assert stored.exists()
    assert "removed" in admin(server, "remove", "贵溪")
    assert not stored.exists()  # deleted with its last name, after the commit
    report = engine(store, CountingTransport()).run()
    assert report.ok, report.lines("en")
    assert BasemapRegistry(store.data_dir).get("贵溪") is None
    assert not entry.file.exists()


def test_a_cut_download_resumes_with_a_range(
    server: ServerProcess, tmp_path: Path, samples: Path
) -> None:
    town = samples / "map" / "town.mbtiles"
    admin(server, "add", str(town), "--name", "town")
    proxy = FaultProxy(server.port)
    try:
        store = LocalStore(tmp_path / "laptop")
        sign_in(store, proxy.url, "demo", "demo")
        # Cut the server → laptop stream once, ~600 KB into the 1.9 MB file's response.
        proxy.add_faults(Fault("cut", after=600_000, direction="down"))
        counting = CountingTransport()
        report = engine(store, counting).run()
        assert report.ok, report.lines("en")
        ranges = [r for _, r in counting.basemap_requests]
        assert len(ranges) == 2 and ranges[0] is None
        assert ranges[1] is not None and ranges[1].startswith("bytes=")
        resumed_from = int(ranges[1].removeprefix("bytes=").rstrip("-"))
        assert 0 < resumed_from < town.stat().st_size
        entry = BasemapRegistry(store.data_dir).get("town")
        assert entry is not None and sha(entry.file) == sha(town)
        assert not list((store.data_dir / BASEMAP_DIR).glob("*.part"))
        # What came down again is about the file once, not twice.
        assert proxy.bytes["down"] < town.stat().st_size * 1.3
    finally:
        proxy.close()


def test_the_server_refuses_a_file_that_is_not_mbtiles(
    server: ServerProcess, tmp_path: Path
) -> None:
    bogus = tmp_path / "bogus.mbtiles"
    bogus.write_bytes(b"not a database" * 100)
    done = run_admin(server, "add", str(bogus), "--name", "x")
    assert done.returncode == 1 and "not an MBTiles file" in done.stderr
