"""A scored inspection end to end through the widgets, on two laptops and a real server:
the admin loads a checklist and the objects → the inspector's laptop syncs them → in the
Inspections tab an unannounced (暗访) inspection of a street with three deductions, each with a
real photo, recorded offline with the running score shown → a case created from a deduction
(category, photo and position carried over) → finished and synced → the supervisor's laptop
receives it and publishes it → the bulletin PDF, written from the dashboard's dialog, shows the
street's score (read back with pdftotext)."""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from helpers import ServerProcess, run_server_cli
from laptops import STREET, inspections_page, laptop, sync, with_street
from pytestqt.qtbot import QtBot

from app.domain.indicators import Period
from app.domain.inspections import InspectionState
from app.storage.inspections import inspection_view, list_inspections
from app.storage.states import DeliveryState
from app.sync.session import sign_in
from app.ui.tasks import TaskRunner

GPS = Path("/work/shared/samples/photos/jpg/gps")
PHOTOS = [GPS / "DSCN0010.jpg", GPS / "DSCN0012.jpg", GPS / "DSCN0021.jpg"]


@pytest.fixture
def server(server: ServerProcess) -> ServerProcess:
    """The demo server with the checklist and the street to inspect."""
    return with_street(server)


def test_unannounced_inspection_through_the_widgets_to_the_bulletin(
    qtbot: QtBot, tasks: TaskRunner, server: ServerProcess, tmp_path: Path
) -> None:
    inspector = laptop(qtbot, tasks, server, tmp_path / "inspector", "demo")
    panel = inspections_page(qtbot, inspector)
    panel.object_combo.setCurrentIndex(panel.object_combo.findData("street_section:S-001"))
    panel.mode_combo.setCurrentIndex(panel.mode_combo.findData("unannounced"))
    assert panel.object_combo.currentData() == "street_section:S-001"
    with qtbot.waitSignal(panel.shown, timeout=10_000):
        panel.begin_button.click()
    assert panel.current is not None and panel.current.state is InspectionState.OPEN
    assert "Score 100 / 100" in panel.score_label.text()

    # Three deductions, each with a real photo: A1 twice (2 × 2 = 4), B2 once (5): 100 − 9 = 91.
    for count, (code, photo) in enumerate(zip(["A1", "A1", "B2"], PHOTOS, strict=True), start=1):
        panel.item_combo.setCurrentIndex(panel.item_combo.findData(code))
        panel.note_edit.setText(f"{code} 第 {count} 处")
        panel.set_photo(photo)
        panel.add_button.click()
        qtbot.waitUntil(lambda n=count: panel.deductions.topLevelItemCount() == n, timeout=10_000)
    assert "Score 91 / 100 (91.00 %)" in panel.score_label.text()
    assert panel.how_label.text() == "A1: 2 × 2 = 4; B2: 1 × 5 = 5; 100 − 9 = 91"

    # A deduction becomes a case in one step: its category, photo and position carried over.
    panel.deductions.setCurrentItem(panel.deductions.topLevelItem(0))
    panel.category_combo.setCurrentIndex(panel.category_combo.findData("06010"))
    with qtbot.waitSignal(panel.case_created, timeout=10_000) as created:
        panel.case_button.click()
    case_id = created.args[0]
    store = inspector._store
    case = store.get_case(case_id)
    assert case is not None and case.category_code == "06010" and case.lat is not None
    (photo,) = store.photos(case_id)
    first = panel.current.deductions[0]
    assert photo.sha256 == first.photo_sha256 and (case.lat, case.lon) == (first.lat, first.lon)

    with qtbot.waitSignal(panel.shown, timeout=10_000):
        panel.finish_button.click()
    qtbot.waitUntil(
        lambda: panel.current is not None and panel.current.state is InspectionState.FINISHED,
        timeout=10_000,
    )
    assert not panel.add_button.isEnabled()
    sync(qtbot, inspector)
    view = inspection_view(store, panel.current.id)
    assert view.delivery == DeliveryState.CONFIRMED
    assert [d.photo_delivery for d in view.deductions] == [DeliveryState.CONFIRMED] * 3
    assert store.get_case(case_id).delivery == DeliveryState.CONFIRMED  # the case went too

    chief = laptop(qtbot, tasks, server, tmp_path / "chief", "supervisor")
    sync(qtbot, chief)
    board = chief.inspections
    chief.tabs.setCurrentWidget(board)
    qtbot.waitUntil(lambda: board.list.topLevelItemCount() == 1, timeout=10_000)
    with qtbot.waitSignal(board.shown, timeout=10_000):
        board.list.setCurrentItem(board.list.topLevelItem(0))
    assert board.publish_button.isVisible() and board.publish_button.isEnabled()
    board.publish_button.click()
    qtbot.waitUntil(
        lambda: board.current is not None and board.current.state is InspectionState.PUBLISHED,
        timeout=10_000,
    )
    sync(qtbot, chief)
    (published,) = list_inspections(chief._store)
    assert published.state is InspectionState.PUBLISHED and published.published_at is not None
    assert all(d.photo_path is not None for d in published.deductions)  # downloaded for the PDF

    start = datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
    dialog = chief.write_bulletin(Period(start, start + timedelta(days=1)))
    out = tmp_path / "bulletin.pdf"
    dialog.target.edit.setText(str(out))
    with qtbot.waitSignal(dialog.written, timeout=60_000):
        dialog.write_button.click()
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = text.replace(" ", "")
    assert "督导检查情况" in flat and STREET in flat
    assert "91/100" in flat and "91.00%" in flat
    assert "曝光典型问题" in flat and "路面有明显垃圾" in flat


def test_an_inspector_outside_the_team_reads_but_does_not_record(
    qtbot: QtBot, tasks: TaskRunner, server: ServerProcess, tmp_path: Path
) -> None:
    outsider = laptop(qtbot, tasks, server, tmp_path / "outsider", "inspector2")
    sync(qtbot, outsider)
    panel = outsider.inspections
    outsider.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(lambda: panel.template_combo.count() == 1, timeout=10_000)
    qtbot.waitUntil(panel.team_label.isVisible, timeout=10_000)
    assert "督导检查组" in panel.team_label.text()
    assert not panel.begin_button.isEnabled() and not panel.object_combo.isEnabled()

    # Put in the team by an administrator: the next sign-in lets them record.
    assert run_server_cli(server, "user", "team", "inspector2", "on").returncode == 0
    sign_in(outsider._store, server.url, "inspector2", "inspector2")
    outsider._signed_in(outsider._store.account())
    qtbot.waitUntil(lambda: not panel.team_label.isVisible(), timeout=10_000)
    assert panel.begin_button.isEnabled()
    panel.object_combo.setEditText("S-00")  # half-typed: not an object yet
    panel.begin_button.click()
    assert panel.current is None and "Choose a checklist and an object" in panel.error_label.text()
