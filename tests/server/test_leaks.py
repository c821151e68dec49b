"""What one account must not learn about others (issue 12's leaks), on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx
import pytest
from helpers import ApiClient, ServerProcess, change, snapshot

from app.domain.ids import new_id

TUS = {"Tus-Resumable": "1.0.0"}


@pytest.fixture(scope="module")
def demo(server: ServerProcess) -> ApiClient:
    return ApiClient(server, "demo")


@pytest.fixture(scope="module")
def supervisor(server: ServerProcess) -> ApiClient:
    return ApiClient(server, "supervisor")


def kinds(entries: list[dict[str, Any]]) -> set[str]:
    return {e["kind"] for e in entries}


def test_account_entries_reach_supervisors_and_admins_only(
    server: ServerProcess, demo: ApiClient, supervisor: ApiClient
) -> None:
    assert "user" in kinds(supervisor.everything())
    assert "user" in kinds(ApiClient(server, "admin").everything())
    assert "user" not in kinds(demo.everything())
    assert "user" not in kinds(ApiClient(server, "inspector2").everything())


def upload(client: ApiClient, case_id: str, data: bytes) -> str:
    photo_id = new_id()
    values = {
        "case_id": case_id,
        "photo_id": photo_id,
        "sha256": hashlib.sha256(data).hexdigest(),
        "mime": "image/jpeg",
    }
    meta = ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())
    created = client.http.post(
        "/api/v1/uploads",
        headers={**TUS, "Upload-Length": str(len(data)), "Upload-Metadata": meta},
    )
    assert created.status_code == 201, created.text
    patched = client.http.patch(
        created.headers["Location"],
        content=data,
        headers={**TUS, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
    )
    assert patched.status_code == 204, patched.text
    return photo_id


def photo_ids(client: ApiClient) -> set[str]:
    return {e["entity_id"] for e in client.everything() if e["kind"] == "photo"}


def test_a_drafts_photos_are_its_authors_until_it_is_submitted(
    demo: ApiClient, supervisor: ApiClient
) -> None:
    case_id = new_id()
    (created,) = demo.push(change("create", snapshot(case_id)))
    assert created["outcome"] == "applied"
    photo_id = upload(demo, case_id, b"\xff\xd8\xff\xe0" + b"draft photo" * 100)
    assert photo_id not in photo_ids(supervisor)
    assert supervisor.http.get(f"/api/v1/photos/{photo_id}").status_code == 404
    assert demo.http.get(f"/api/v1/photos/{photo_id}").status_code == 200  # its author's
    (submitted,) = demo.push(change("submit", snapshot(case_id), 1))
    assert submitted["outcome"] == "applied", submitted
    assert photo_id in photo_ids(supervisor)  # announced with the submission
    assert supervisor.http.get(f"/api/v1/photos/{photo_id}").status_code == 200
    # A photo added after the submission is announced when it completes, and only once.
    later = upload(demo, case_id, b"\xff\xd8\xff\xe0" + b"after submit" * 100)
    entries = [e["entity_id"] for e in supervisor.everything() if e["kind"] == "photo"]
    assert entries.count(later) == 1 and entries.count(photo_id) == 1


def test_an_anonymous_feed_is_refused(server: ServerProcess) -> None:
    assert httpx.get(f"{server.url}/api/v1/feed").status_code == 401
