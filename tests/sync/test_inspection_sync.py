"""Scored inspections through a real server: an unannounced inspection with three photo-backed
deductions made offline, synced, seen by the supervisor's laptop (photos downloaded) and not by
another inspector's until the supervisor publishes it from their laptop; a resend after a lost
receipt is harmless."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import ROOT, ServerProcess
from sqlalchemy import update

from app.domain.assessment import DEFAULT_SETTINGS
from app.domain.checklists import ObjectKind
from app.domain.inspections import InspectionMode, InspectionState
from app.domain.scoring import Component
from app.storage import LocalStore
from app.storage.inspection_scores import assessment_settings
from app.storage.inspections import (
    InspectableObject,
    add_deduction,
    begin_inspection,
    checklist_template,
    finish_inspection,
    inspection_view,
    list_inspections,
    publish_inspection,
)
from app.storage.models import OutboxEntry
from app.storage.states import DeliveryState, OutboxState
from app.sync.engine import SyncEngine, SyncOptions
from app.sync.session import sign_in

TEMPLATE = ROOT / "resources" / "checklists" / "street-sanitation.json"
PHOTOS = [
    Path("/work/shared/samples/photos/jpg/Nikon_D70.jpg"),
    Path("/work/shared/samples/photos/jpg/gps/DSCN0010.jpg"),
    Path("/work/shared/samples/photos/jpg/Canon_PowerShot_S40.jpg"),
]
STREET = InspectableObject(ObjectKind.STREET_SECTION, "S-001", "建设路", "HWC")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server", "--demo")
    objects = tmp_path / "objects.csv"
    objects.write_text("kind,id,name,department_code\nstreet_section,S-001,建设路,HWC\n")
    for command in (("checklist", "load", TEMPLATE), ("inspection-object", "load", objects)):
        done = subprocess.run(
            [sys.executable, "-m", "server.cli", "--data-dir", str(process.data_dir),
             *map(str, command)],
            check=False, cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    yield process
    process.stop()


def laptop(server: ServerProcess, folder: Path, user: str) -> LocalStore:
    store = LocalStore(folder)
    sign_in(store, server.url, user, user)
    assert sync(store).ok
    return store


def sync(store: LocalStore) -> object:
    return SyncEngine(store, SyncOptions(attempts=2)).run()


def test_unannounced_inspection_reaches_the_unit_only_when_published(
    server: ServerProcess, tmp_path: Path
) -> None:
    inspector = laptop(server, tmp_path / "inspector", "demo")
    template = checklist_template(inspector, "street-sanitation", 1)
    assert template is not None
    iid = begin_inspection(inspector, template, STREET, InspectionMode.UNANNOUNCED).id
    for code, photo in zip(["A1", "A1", "B2"], PHOTOS, strict=True):
        add_deduction(inspector, iid, code, note=f"{code} 问题", photo=photo)
    # A1: 2 × 2 = 4; B2: 1 × 5 = 5; 100 − 9 = 91.
    assert inspection_view(inspector, iid).sheet.score == 91
    finish_inspection(inspector, iid)
    report = SyncEngine(inspector, SyncOptions(attempts=2)).run()
    assert report.ok, report.lines("en")
    view = inspection_view(inspector, iid)
    assert view.delivery == DeliveryState.CONFIRMED
    assert [d.photo_delivery for d in view.deductions] == [DeliveryState.CONFIRMED] * 3

    # A receipt lost (the entries sent again): the server answers duplicate, nothing changes.
    with inspector.write() as s:
        s.execute(update(OutboxEntry).values(state=OutboxState.PENDING))
    again = SyncEngine(inspector, SyncOptions(attempts=2)).run()
    assert again.ok, again.lines("en")

    chief = laptop(server, tmp_path / "chief", "supervisor")
    other = laptop(server, tmp_path / "other", "inspector2")
    (seen,) = list_inspections(chief)
    assert seen.id == iid and seen.sheet.score == 91 and not seen.mine
    assert all(d.photo_path is not None and d.photo_path.exists() for d in seen.deductions)
    assert list_inspections(other) == []

    publish_inspection(chief, iid)
    assert SyncEngine(chief, SyncOptions(attempts=2)).run().ok
    assert SyncEngine(other, SyncOptions(attempts=2)).run().ok
    (published,) = list_inspections(other)
    assert published.state is InspectionState.PUBLISHED and published.sheet.score == 91
    # Only the office's laptops fetch inspection photos (for bulletins); inspectors' do not.
    assert all(d.photo_path is None for d in published.deductions)
    assert SyncEngine(inspector, SyncOptions(attempts=2)).run().ok
    assert inspection_view(inspector, iid).state is InspectionState.PUBLISHED


def test_assessment_weights_set_on_the_server_reach_the_laptop_per_year(
    server: ServerProcess, tmp_path: Path
) -> None:
    def admin(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir), "assessment", *args],
            check=False, cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    weights = ["--on-time", "20", "--closure", "20", "--rework", "10", "--sign-for", "0"]
    refused = admin("weights", "--year", "2026", *weights, "--inspection", "40")
    assert refused.returncode == 1 and "add up to 100 (they add up to 90)" in refused.stderr
    refused = admin("weights", "--year", "2026", *weights, "--inspection", "50", "--sign-for-hours", "0")  # fmt: skip
    assert refused.returncode == 1 and "sign_for_hours 0 is not 1 to 72" in refused.stderr
    done = admin(
        "weights", "--year", "2026", *weights, "--inspection", "50", "--criticise-last", "2",
        "--sign-for-hours", "4",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert admin("show").stdout.startswith("2026\t")
    store = laptop(server, tmp_path / "chief", "supervisor")
    settings = assessment_settings(store, 2026)
    assert settings.weights.values[Component.INSPECTION] == 50 and settings.criticise_last == 2
    assert settings.sign_for_hours == 4
    assert assessment_settings(store, 2027) == DEFAULT_SETTINGS  # another year: the defaults


def test_photos_held_back_then_sent_where_the_last_cycle_stopped(
    server: ServerProcess, tmp_path: Path
) -> None:
    inspector = laptop(server, tmp_path / "inspector", "demo")
    template = checklist_template(inspector, "street-sanitation", 1)
    assert template is not None
    iid = begin_inspection(inspector, template, STREET, InspectionMode.OPEN).id
    for photo in PHOTOS[:2]:
        add_deduction(inspector, iid, "B1", photo=photo)
    finish_inspection(inspector, iid)
    metered = SyncEngine(inspector, SyncOptions(attempts=2, photos=False)).run()
    assert not metered.ok and any("2 inspection items" in m.en for m in metered.problems)
    view = inspection_view(inspector, iid)
    assert view.delivery == DeliveryState.CONFIRMED  # the record went
    assert [d.photo_delivery for d in view.deductions] == [DeliveryState.PENDING] * 2
    done = SyncEngine(inspector, SyncOptions(attempts=2)).run()
    assert done.ok, done.lines("en")
    assert done.confirmed == 2  # only the two photos were left
    assert [d.photo_delivery for d in inspection_view(inspector, iid).deductions] == [
        DeliveryState.CONFIRMED
    ] * 2
