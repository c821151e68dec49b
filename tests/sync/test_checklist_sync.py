"""Checklist templates through the server: ``citypatrol-server checklist load`` → the feed →
the laptop reads it with the domain's own parser; versions only go forward. A real server
process on 127.0.0.1."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import ROOT, ServerProcess

from app.domain.checklists import ObjectKind
from app.storage import LocalStore
from app.storage.inspections import checklist_template, checklist_templates
from app.sync.engine import SyncEngine, SyncOptions
from app.sync.session import sign_in

TEMPLATE = ROOT / "resources" / "checklists" / "street-sanitation.json"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server", "--demo")
    yield process
    process.stop()


def checklist(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir), "checklist", *args],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_templates_reach_the_laptop_and_versions_only_go_forward(
    server: ServerProcess, tmp_path: Path
) -> None:
    done = checklist(server, "load", str(TEMPLATE))
    assert done.returncode == 0, done.stderr
    assert "street-sanitation version 1 loaded" in done.stdout
    again = checklist(server, "load", str(TEMPLATE))
    assert again.returncode == 0 and "unchanged" in again.stdout

    changed = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    changed["sections"][0]["items"][0]["deduction"] = 3
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    refused = checklist(server, "load", str(edited))
    assert refused.returncode == 1 and "needs version 2" in refused.stderr
    changed["version"] = 2
    edited.write_text(json.dumps(changed, ensure_ascii=False), encoding="utf-8")
    assert checklist(server, "load", str(edited)).returncode == 0
    listing = checklist(server, "list").stdout.splitlines()
    assert [line.split("\t")[:2] for line in listing] == [
        ["street-sanitation", "1"],
        ["street-sanitation", "2"],
    ]

    store = LocalStore(tmp_path / "laptop")
    sign_in(store, server.url, "demo", "demo")
    report = SyncEngine(store, SyncOptions(attempts=2)).run()
    assert report.ok, report.lines("en")
    assert report.changes.reference
    (latest,) = checklist_templates(store, ObjectKind.STREET_SECTION)
    assert latest.version == 2 and latest.item("A1").deduction == Decimal(3)
    first = checklist_template(store, "street-sanitation", 1)
    assert first is not None and first.item("A1").deduction == Decimal(2)
    assert checklist_templates(store, ObjectKind.MARKET) == []
    # A second sync brings nothing new and changes nothing.
    assert SyncEngine(store, SyncOptions(attempts=2)).run().ok
    assert len(checklist_templates(store)) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{broken", "not valid JSON"),
        (json.dumps({"code": "x", "object_kind": "market", "name": "x", "sections": []}).encode(),
         "needs at least one section"),
    ],
)  # fmt: skip
def test_a_bad_template_is_refused_with_its_reason(
    server: ServerProcess, tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    done = checklist(server, "load", str(bad))
    assert done.returncode == 1 and message in done.stderr
    assert checklist(server, "list").stdout == ""
