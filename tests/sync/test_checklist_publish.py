"""Publishing a checklist template from a laptop (app.sync.checklists) against a real server:
the stored version kept on the laptop at once and unchanged by its feed entry later; the
server's refusals turned into the errors the editor shows (every problem with its path, the
version needed, a role that may not publish, signed out)."""

from __future__ import annotations

import dataclasses
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import ROOT, ServerProcess

from app.domain.checklists import ChecklistError, ChecklistTemplate, load_template_file
from app.storage import LocalStore
from app.storage.checklists import latest_version
from app.storage.inspections import checklist_template
from app.sync.checklists import ChecklistVersionError, publish_template
from app.sync.engine import SyncEngine
from app.sync.errors import ErrorKind, SyncError
from app.sync.session import sign_in

SAMPLE = ROOT / "resources" / "checklists" / "street-sanitation.json"


def sample(code: str, version: int = 1) -> ChecklistTemplate:
    template = load_template_file(SAMPLE.name, SAMPLE.read_bytes())
    return dataclasses.replace(template, code=code, version=version)


def test_publish_keeps_the_version_here_and_the_feed_changes_nothing(
    server: ServerProcess, tmp_path: Path
) -> None:
    store = LocalStore(tmp_path / "admin")
    sign_in(store, server.url, "admin", "admin")
    code = f"pub-{uuid.uuid4().hex[:8]}"
    published = publish_template(store, sample(code))
    assert published.new and published.template == sample(code)
    assert published.changes.reference
    assert latest_version(store, code) == 1
    assert checklist_template(store, code, 1) == sample(code)
    assert SyncEngine(store).run().ok  # its feed entry arrives: the same row, nothing new
    assert checklist_template(store, code, 1) == sample(code)
    again = publish_template(store, sample(code))
    assert not again.new and not again.changes.reference

    changed = sample(code)
    changed = dataclasses.replace(changed, name=dataclasses.replace(changed.name, zh="改名"))
    with pytest.raises(ChecklistVersionError) as taken:
        publish_template(store, changed)
    assert taken.value.latest == 1 and taken.value.kind is ErrorKind.CONFLICT
    assert "version 2" in taken.value.message.en
    assert latest_version(store, code) == 1


def test_the_servers_refusals_in_the_editors_words(server: ServerProcess, tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "admin")
    # Signed out: nothing sent.
    with pytest.raises(SyncError) as signed_out:
        publish_template(store, sample("nobody"))
    assert signed_out.value.kind is ErrorKind.AUTH
    sign_in(store, server.url, "admin", "admin")
    # A template the laptop's check would refuse (built around it): the server lists why.
    good = sample(f"bad-{uuid.uuid4().hex[:8]}")
    first = good.sections[0]
    broken_item = dataclasses.replace(first.items[0], cap=Decimal(30))
    broken = dataclasses.replace(
        good,
        sections=(dataclasses.replace(first, items=(broken_item, *first.items[1:])),
                  *good.sections[1:]),
    )  # fmt: skip
    with pytest.raises(ChecklistError) as refused:
        publish_template(store, broken)
    assert [p.path for p in refused.value.problems] == ["$.sections[0].items[0].cap"]
    assert refused.value.problems[0].message.zh.startswith("扣分上限 30")
    assert latest_version(store, good.code) == 0

    inspector = LocalStore(tmp_path / "inspector")
    sign_in(inspector, server.url, "demo", "demo")
    with pytest.raises(SyncError) as forbidden:
        publish_template(inspector, sample(f"no-{uuid.uuid4().hex[:8]}"))
    assert forbidden.value.kind is ErrorKind.REJECTED and "403" in forbidden.value.message.en
