"""Request ids in every response and log line, and Prometheus metrics at /metrics."""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import ServerProcess, change, snapshot
from tlsca import make_ca

from app.domain.ids import new_id


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("obs") / "data", "--demo")
    yield process
    process.stop()


def _value(text: str, name: str, **labels: str) -> float:
    """The value of one series in the Prometheus text format (0 when absent)."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_every_response_and_log_line_carries_a_request_id(plain: ServerProcess) -> None:
    made = httpx.get(f"{plain.url}/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["x-request-id"])
    assert httpx.get(f"{plain.url}/healthz").headers["x-request-id"] != made.headers["x-request-id"]
    given = httpx.get(f"{plain.url}/nowhere", headers={"X-Request-ID": "nginx-abc123"})
    assert given.status_code == 404 and given.headers["x-request-id"] == "nginx-abc123"
    # Something that is not an id (spaces, a newline's worth of text) is replaced, not echoed.
    odd = httpx.get(f"{plain.url}/healthz", headers={"X-Request-ID": "a b" + "x" * 200})
    assert odd.headers["x-request-id"] != "a b" + "x" * 200
    refused = httpx.post(
        f"{plain.url}/api/v1/auth/login",
        json={"username": "demo", "password": "wrong"},
        headers={"X-Request-ID": "trace-login-1"},
    )
    assert refused.status_code == 401 and refused.headers["x-request-id"] == "trace-login-1"
    lines = [
        json.loads(line) for line in plain.log.read_text().splitlines() if line.startswith("{")
    ]
    # uvicorn's access line of that very request is among the server's lines with its id.
    tagged = [entry for entry in lines if entry.get("request_id") == "trace-login-1"]
    assert tagged and any("/api/v1/auth/login" in entry["message"] for entry in tagged)


def test_metrics_count_requests_by_route_template_batches_uploads_and_throttling(
    plain: ServerProcess,
) -> None:
    token = httpx.post(
        f"{plain.url}/api/v1/auth/login", json={"username": "demo", "password": "demo"}
    ).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    case_id = new_id()
    pushed = httpx.post(
        f"{plain.url}/api/v1/cases/push",
        json={"changes": [change("create", snapshot(case_id))]},
        headers=auth,
    )
    assert pushed.status_code == 200
    assert httpx.get(f"{plain.url}/api/v1/cases/{case_id}", headers=auth).status_code == 200
    for _ in range(40):  # wrong passwords until the throttle answers
        if (
            httpx.post(
                f"{plain.url}/api/v1/auth/login",
                json={"username": "inspector2", "password": "wrong"},
            ).status_code
            == 429
        ):
            break
    metrics = httpx.get(f"{plain.url}/metrics")
    assert metrics.status_code == 200 and "text/plain" in metrics.headers["content-type"]
    text = metrics.text
    assert _value(text, "citypatrol_http_requests_total", route="/api/v1/cases/{case_id}",
                  status="200", method="GET") >= 1  # fmt: skip
    assert case_id not in text  # templates, never the ids: one series per route
    assert _value(text, "citypatrol_http_request_duration_seconds_count",
                  route="/api/v1/cases/push") >= 1  # fmt: skip
    assert _value(text, "citypatrol_sync_batches_total", status="200") >= 1
    assert _value(text, "citypatrol_sign_ins_throttled_total") >= 1
    assert "citypatrol_photos_completed_total" in text
    assert "citypatrol_uploads_created_total" in text


def test_metrics_can_require_a_token(tmp_path: Path) -> None:
    server = ServerProcess(
        tmp_path / "data", env={"CITYPATROL_SERVER_METRICS_TOKEN": "s3cret-scraper"}
    )
    try:
        refused = httpx.get(f"{server.url}/metrics")
        assert refused.status_code == 401
        assert refused.json()["detail"]["code"] == "metrics_token"
        allowed = httpx.get(
            f"{server.url}/metrics", headers={"Authorization": "Bearer s3cret-scraper"}
        )
        assert allowed.status_code == 200 and "citypatrol_http_requests_total" in allowed.text
    finally:
        server.stop()


def test_workers_serve_tls_and_any_of_them_answers_metrics_for_all(
    tmp_path: Path, postgres: Any
) -> None:
    ca = make_ca(tmp_path / "ca")
    server = ServerProcess(
        tmp_path / "data",
        "--workers", "2", "--database-url", postgres.create_database(),
        "--tls-cert", str(ca.server_cert), "--tls-key", str(ca.server_key),
    )  # fmt: skip
    verify = ssl.create_default_context(cafile=ca.ca_cert)
    try:
        for _ in range(20):  # a new connection each: the kernel spreads them over the workers
            assert httpx.get(f"{server.url}/healthz", verify=verify).status_code == 200
        for _ in range(4):
            text = httpx.get(f"{server.url}/metrics", verify=verify).text
            assert _value(text, "citypatrol_http_requests_total", route="/healthz") >= 20
    finally:
        server.stop()
