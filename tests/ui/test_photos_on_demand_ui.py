"""A supervisor's laptop synced with originals on demand (issue 16) shows a photo's thumbnail,
and opening the photo full size fetches its original from the real server on 127.0.0.1 — the
bytes checked by SHA-256; offline it says so and loses nothing (the thumbnail stays, the photo
is fetched when opened again with the server back)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from helpers import ServerProcess
from laptops import signed_in
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.domain import CaseFields
from app.domain.validation import Urgency
from app.storage.photos import original_path, thumbnail_path
from app.storage.states import DeliveryState
from app.sync.backoff import Backoff
from app.sync.engine import Originals, SyncEngine, SyncOptions
from app.ui.photo_strip import PhotoViewer
from app.ui.supervisor.case_detail import CaseDetailDialog
from app.ui.tasks import TaskRunner

JPEG = "photos/jpg/gps/DSCN0021.jpg"
FAST = Backoff(base_s=0.01, cap_s=0.05)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def open_viewer(qtbot: QtBot, detail: CaseDetailDialog) -> PhotoViewer:
    with qtbot.waitSignal(detail.loaded, timeout=10_000):
        detail.load()  # the photo as the store has it now
    viewer = detail.before_list.open_viewer(0)
    assert viewer is not None
    return viewer


def test_opening_a_photo_fetches_its_original_and_offline_says_so(
    qtbot: QtBot, tmp_path: Path, tasks: TaskRunner, server: ServerProcess, samples: Path
) -> None:
    inspector = signed_in(tmp_path / "inspector", server, "demo")
    case_id = inspector.create_case(
        CaseFields(
            category_code="06010",
            description="按需下载原图：暴露垃圾",
            address="鼓楼区中山路 100 号",
            urgency=Urgency.NORMAL,
            lat=32.0603,
            lon=118.7969,
            accuracy_m=5.0,
        )
    ).id
    inspector.submit_case(case_id)
    inspector.attach_photos(case_id, [samples / JPEG])
    assert SyncEngine(inspector, SyncOptions(backoff=FAST)).run().ok

    office = signed_in(tmp_path / "office", server, "supervisor")
    on_demand = SyncOptions(backoff=FAST, originals=Originals.ON_DEMAND)
    assert SyncEngine(office, on_demand).run().ok
    [photo] = office.photos(case_id)
    original = original_path(office.photos_dir, photo.sha256, photo.mime)
    assert photo.delivery == DeliveryState.REMOTE and not original.exists()
    assert thumbnail_path(office.photos_dir, photo.sha256).is_file()

    detail = CaseDetailDialog(office, tasks, "en", case_id)
    qtbot.addWidget(detail)
    qtbot.waitUntil(lambda: detail.before_list.count() == 1, timeout=10_000)

    # Offline: the thumbnail is shown, a note says why the original is not, nothing is lost.
    server.stop()
    viewer = open_viewer(qtbot, detail)
    with qtbot.waitSignal(viewer.fetch_finished, timeout=30_000):
        pass
    qtbot.waitUntil(lambda: viewer.image is not None, timeout=10_000)
    assert viewer.showing_thumbnail and viewer.image is not None
    assert max(viewer.image.width(), viewer.image.height()) <= 256  # the thumbnail
    note = viewer.fetch_label.text()
    assert viewer.fetch_label.isVisibleTo(viewer)
    assert note.startswith("The original could not be fetched: the server cannot be reached (")
    assert "open the photo again when the server can be reached" in note
    [still] = office.photos(case_id)
    assert still.delivery == DeliveryState.REMOTE and not original.exists()
    assert thumbnail_path(office.photos_dir, photo.sha256).is_file()
    viewer.close()

    # Back online: opening it fetches the original, checked, and shows it in full.
    server.start()
    viewer = open_viewer(qtbot, detail)
    assert viewer.fetch_label.text() == (
        "Showing the thumbnail; fetching the original from the server…"
    )
    with qtbot.waitSignal(viewer.fetch_finished, timeout=30_000):
        pass
    qtbot.waitUntil(
        lambda: viewer.image is not None and not viewer.showing_thumbnail, timeout=30_000
    )
    assert not viewer.fetch_label.isVisibleTo(viewer)
    assert viewer.image is not None and max(viewer.image.width(), viewer.image.height()) > 256
    assert original.is_file() and sha256(original) == sha256(samples / JPEG) == photo.sha256
    [fetched] = office.photos(case_id)
    assert fetched.delivery == DeliveryState.CONFIRMED
    # The case view heard of it (the fetch announced its Changes): opened again, no fetch.
    viewer.close()
    viewer = open_viewer(qtbot, detail)
    qtbot.waitUntil(lambda: viewer.image is not None, timeout=10_000)
    assert not viewer.showing_thumbnail and not viewer.fetch_label.isVisibleTo(viewer)
    viewer.close()
    detail.close()
    QApplication.processEvents()
