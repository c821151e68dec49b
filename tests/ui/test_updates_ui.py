"""The update notice and download through the real main window against a real server: a
sync learns of a newer version → a button in the status bar (nothing modal) → the dialog →
Download → resumed after a cut, checked, saved in the data folder's updates/ with "Open
folder" offered; a file that does not match its SHA-256 is discarded with a clear error;
Help → Check for updates says when there is nothing newer. Nothing is ever installed."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from faultproxy import Fault, FaultProxy
from helpers import ROOT, ServerProcess
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.domain import load_default_taxonomy
from app.storage import LocalStore
from app.sync.session import sign_in
from app.sync.updates import UPDATE_DIR, this_platform
from app.ui.main_window import MainWindow
from app.ui.settings import Settings
from app.ui.tasks import TaskRunner
from app.ui.updates import UpdateDialog
from app.version import app_version


def add_release(server: ServerProcess, tmp_path: Path, size: int) -> Path:
    platform = this_platform()
    assert platform is not None
    file = tmp_path / "citypatrol_99.0.0_amd64.deb"
    file.write_bytes(os.urandom(size))
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir), "release",
         "add", "99.0.0", "--platform", platform.value, str(file)],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return file


def window_for(qtbot: QtBot, tasks: TaskRunner, url: str, data: Path) -> MainWindow:
    store = LocalStore(data)
    sign_in(store, url, "demo", "demo")
    settings = Settings.from_file(data / "settings.ini")
    window = MainWindow(store, tasks, load_default_taxonomy(), "en", settings, autosync=False)
    qtbot.addWidget(window)
    window.show()
    return window


def test_a_sync_offers_the_update_and_the_download_resumes(
    qtbot: QtBot, tmp_path: Path, tasks: TaskRunner, server: ServerProcess
) -> None:
    installer = add_release(server, tmp_path, 2_500_000)
    proxy = FaultProxy(server.port)
    try:
        window = window_for(qtbot, tasks, proxy.url, tmp_path / "laptop")
        notice = window.updates.notice
        assert not notice.isVisible()
        with qtbot.waitSignal(window.sync.finished, timeout=60_000) as done:
            window.sync_action.trigger()
        assert done.args[0].ok and done.args[0].update.version == "99.0.0"
        assert notice.isVisible() and notice.text() == "Update 99.0.0 available"
        assert window.findChildren(UpdateDialog) == []  # told, not interrupted

        qtbot.mouseClick(notice, Qt.MouseButton.LeftButton)
        dialog = window.updates.dialog
        assert dialog is not None and dialog.isVisible() and not dialog.isModal()
        assert "CityPatrol 99.0.0 is available" in dialog.summary.text()
        assert "2.5 MB" in dialog.explanation.text()
        proxy.add_faults(Fault("cut", after=900_000, direction="down"))
        with qtbot.waitSignal(dialog.downloaded, timeout=60_000) as saved:
            qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
        path = saved.args[0]
        assert len(proxy.fired) == 1  # it was cut, and resumed
        assert path == window._store.data_dir / UPDATE_DIR / installer.name
        assert (
            hashlib.sha256(path.read_bytes()).digest()
            == hashlib.sha256(installer.read_bytes()).digest()
        )
        assert proxy.bytes["down"] < installer.stat().st_size * 1.3
        assert str(path) in dialog.status.text()
        assert dialog.open_button.isVisible() and not dialog.download_button.isVisible()
        assert dialog.progress.value() == 1000
        dialog.close()
        window.close()
    finally:
        proxy.close()


def test_a_mismatched_installer_is_discarded_and_nothing_newer_is_said(
    qtbot: QtBot,
    tmp_path: Path,
    tasks: TaskRunner,
    server: ServerProcess,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = window_for(qtbot, tasks, server.url, tmp_path / "laptop")
    said: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda _p, _t, text: said.append(text))
    window.updates.check_action.trigger()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: bool(said), timeout=30_000)
    assert said == [f"CityPatrol {app_version()} is the newest version your server offers."]

    installer = add_release(server, tmp_path, 300_000)
    sha = hashlib.sha256(installer.read_bytes()).hexdigest()
    (server.data_dir / "releases" / sha).write_bytes(os.urandom(300_000))  # changed on disk
    window.updates.check_action.trigger()  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: window.updates.dialog is not None, timeout=30_000)
    dialog = window.updates.dialog
    assert dialog is not None and dialog.isVisible()
    assert window.updates.notice.isVisible()
    qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "SHA-256" in dialog.status.text(), timeout=30_000)
    assert "did not match its SHA-256 checksum and was deleted" in dialog.status.text()
    assert dialog.download_button.text() == "&Try again" and dialog.download_button.isEnabled()
    assert list((window._store.data_dir / UPDATE_DIR).iterdir()) == []
    dialog.close()
    window.close()
