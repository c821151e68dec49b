"""Helpers for tests that run the app as a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.domain.ids import new_id

ROOT = Path(__file__).resolve().parent.parent


def run_cli(
    *args: str, data_dir: Path | None = None, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``citypatrol`` entry point in a child process."""
    cmd = [sys.executable, "-m", "app.cli"]
    if data_dir is not None:
        cmd += ["--data-dir", str(data_dir)]
    cmd += list(args)
    env = {**os.environ, "LANG": "C.UTF-8"}
    return subprocess.run(
        cmd, check=False, capture_output=True, text=True, timeout=120, env=env, cwd=ROOT, **kwargs
    )  # type: ignore[call-overload]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """A real ``citypatrol-server`` process on 127.0.0.1 with its own data folder."""

    def __init__(
        self,
        data_dir: Path,
        *extra: str,
        port: int | None = None,
        env: dict[str, str] | None = None,
        command: list[str] | None = None,
    ) -> None:
        self.data_dir = data_dir
        #: What runs the server (the benchmarks run their own app, bench/support/blob_server.py).
        self.command = command or [sys.executable, "-m", "server.cli"]
        self.extra = extra
        self.env = {**os.environ, **(env or {})}
        self.backend = "sqlite"
        self.database_url = f"sqlite:///{data_dir / 'server.db'}"
        if "--database-url" in extra:
            self.database_url = extra[extra.index("--database-url") + 1]
            self.backend = self.database_url.split(":")[0].split("+")[0]
        self.port = port or free_port()
        scheme = "https" if "--tls-cert" in extra else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.log = data_dir.parent / f"server-{self.port}.log"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.start()

    def start(self) -> None:
        import time

        import httpx

        data_dir, extra = self.data_dir, self.extra
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *self.command,
                    "--data-dir",
                    str(data_dir),
                    "--port",
                    str(self.port),
                    *extra,
                ],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                # Only whether it answers: a TLS test checks the certificate itself.
                if httpx.get(f"{self.url}/healthz", timeout=2, verify=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"server did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush — as a power cut or the OOM killer would."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def run_server_cli(
    server: ServerProcess, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a ``citypatrol-server`` administration command on a running server's data folder."""
    result = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir), *args],
        input=stdin,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**server.env, "LANG": "C.UTF-8"},
    )
    if result.returncode != 0:
        raise AssertionError(f"citypatrol-server {' '.join(args)} failed:\n{result.stderr}")
    return result


# Push payloads as a client sends them (see server/schemas.py).


def snapshot(case_id: str, **fields: Any) -> dict[str, Any]:
    base = {
        "id": case_id,
        "status": "draft",
        "category_code": "06010",
        "description": "人民路暴露垃圾",
        "address": "鼓楼区人民路8号",
        "urgency": "normal",
        "lat": 32.06,
        "lon": 118.79,
        "accuracy_m": 5.0,
        "created_at": datetime.now(UTC).isoformat(),
    }
    return {**base, **fields}


def change(op: str, case: dict[str, Any], base: int | None = None, **extra: Any) -> dict[str, Any]:
    return {"change_id": new_id(), "op": op, "base_revision": base, "case": case, **extra}


class ApiClient:
    """A user of the server's API over HTTP, signed in (demo password = user name) or anonymous."""

    def __init__(self, server: ServerProcess, username: str | None) -> None:
        import httpx

        headers = {}
        self.user: dict[str, Any] = {}
        if username is not None:
            response = httpx.post(
                f"{server.url}/api/v1/auth/login",
                json={"username": username, "password": username},
            )
            response.raise_for_status()
            self.user = response.json()["user"]
            headers["Authorization"] = f"Bearer {response.json()['token']}"
        self.http = httpx.Client(base_url=server.url, headers=headers, timeout=30)

    def push(self, *changes: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.http.post("/api/v1/cases/push", json={"changes": list(changes)})
        assert response.status_code == 200, response.text
        return list(response.json()["results"])

    def act(self, case_id: str, action: str, expect: int = 200, **fields: Any) -> Any:
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
        """Every feed entry of this user after ``cursor``, page by page."""
        entries: list[dict[str, Any]] = []
        while True:
            page = self.feed(cursor, limit)
            entries += page["entries"]
            cursor = page["cursor"]
            if not page["more"]:
                return entries
