"""Helpers shared by the sync tests (a module of its own: ``conftest`` is not importable by name
when several test folders have one)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
from helpers import ServerProcess

from app.domain import CaseFields
from app.domain.validation import Urgency
from app.storage import LocalStore
from app.sync.session import sign_in

GPS_PHOTOS = "photos/jpg/gps"


def api(server: ServerProcess, username: str, password: str | None = None) -> httpx.Client:
    """An HTTP client signed in as one of the demo accounts (password = user name)."""
    token = httpx.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": username, "password": password or username},
    ).json()["token"]
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def signed_in(data_dir: Path, server: ServerProcess, username: str = "demo") -> LocalStore:
    store = LocalStore(data_dir)
    sign_in(store, server.url, username, username)
    return store


def submitted_case(store: LocalStore, description: str, **fields: Any) -> str:
    values: dict[str, Any] = {
        "category_code": "06010",
        "description": description,
        "address": "鼓楼区中山路 100 号",
        "urgency": Urgency.NORMAL,
        "lat": 32.0603,
        "lon": 118.7969,
        "accuracy_m": 5.0,
    }
    values.update(fields)
    case_id = store.create_case(CaseFields(**values)).id
    store.submit_case(case_id)
    return case_id


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
