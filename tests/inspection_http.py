"""Scored inspections over HTTP against a real server process: the admin CLI on its data, a
signed-in client per account, and an inspection body (import as ``from inspection_http import
…``; ``tests/`` is on ``sys.path``)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from helpers import ROOT, ServerProcess

from app.domain.ids import new_id

TEMPLATE = ROOT / "resources" / "checklists" / "street-sanitation.json"


def admin_cli(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir),
         "--database-url", server.database_url, *args],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def http(server: ServerProcess, username: str) -> httpx.Client:
    token = httpx.post(
        f"{server.url}/api/v1/auth/login",
        json={"username": username, "password": username},
        timeout=60,
    ).json()["token"]
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    )


def inspection(mode: str, photo: bytes | None = None) -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    deductions = [
        {"id": new_id(), "item_code": "A1", "note": f"垃圾 {i}", "at": now, "lat": 28.2,
         "lon": 117.2, "accuracy_m": 5.0, "position_source": "gps",
         "photo_sha256": hashlib.sha256(photo).hexdigest() if photo else None,
         "photo_mime": "image/jpeg" if photo else None,
         "photo_size": len(photo) if photo else None}
        for i in range(3)
    ]  # fmt: skip
    return {
        "id": new_id(), "template_code": "street-sanitation", "template_version": 1,
        "object_kind": "street_section", "object_id": "S-001", "object_name": "建设路",
        "department_code": "HWC", "mode": mode, "started_at": now, "finished_at": now,
        "deductions": deductions,
    }  # fmt: skip


def load_street(server: ServerProcess, name: str = "建设路") -> None:
    """The template and the object inspected: street section S-001 (``name``) of the demo 环卫
    (HWC)."""
    loaded = admin_cli(server, "checklist", "load", str(TEMPLATE))
    assert loaded.returncode == 0, loaded.stderr
    with tempfile.TemporaryDirectory() as folder:
        objects = Path(folder) / "objects.csv"
        objects.write_text(
            f"kind,id,name,department_code\nstreet_section,S-001,{name},HWC\n", encoding="utf-8"
        )
        loaded = admin_cli(server, "inspection-object", "load", str(objects))
    assert loaded.returncode == 0, loaded.stderr
