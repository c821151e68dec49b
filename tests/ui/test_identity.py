"""The product's identity and support pieces: icon, version, About, Copy diagnostics."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from app.diagnostics import REDACTED, gather, store_diagnostics
from app.domain import load_default_taxonomy
from app.domain.lifecycle import Role
from app.paths import resources_dir
from app.storage import LocalStore
from app.storage.store import Account
from app.sync.credentials import CredentialStore
from app.ui.help_menu import AboutDialog, app_icon
from app.ui.main_window import MainWindow
from app.ui.tasks import TaskRunner
from app.version import app_version

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "tok-3f9a8c1e5b7d4a2f9e0c1b2a3d4e5f60"


def test_version_comes_from_pyproject_and_the_cli_prints_it() -> None:
    assert app_version() != "0+unknown"
    out = subprocess.run(
        [sys.executable, "-m", "app", "--version"], cwd=ROOT, capture_output=True, text=True,
        timeout=60, check=True,
    )  # fmt: skip
    assert out.stdout.strip() == f"citypatrol {app_version()}"


def test_icon_has_every_size_and_the_window_shows_it(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner
) -> None:
    hicolor = resources_dir() / "icons" / "hicolor"
    for size in (16, 32, 48, 128, 256, 512):
        png = hicolor / f"{size}x{size}" / "apps" / "citypatrol.png"
        assert png.is_file(), png
    assert not app_icon().isNull()
    window = MainWindow(store, tasks, load_default_taxonomy(), "en")
    qtbot.addWidget(window)
    assert not window.windowIcon().isNull()
    assert 48 in {s.width() for s in window.windowIcon().availableSizes()}
    titles = [a.text() for a in window.menuBar().actions()]
    assert "&Help" in titles


def test_about_names_version_licence_and_attributions(qtbot: QtBot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    assert app_version() in dialog.version_label.text()
    body = dialog.body.text()
    assert "LGPL" in body and qVersion() in body
    assert "OpenStreetMap" in body and "ODbL" in body
    assert "Open Font License" in body


def test_diagnostics_never_carry_the_token(
    qtbot: QtBot, store: LocalStore, tasks: TaskRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = "http://127.0.0.1:9"
    store.set_account(Account(server, "u-1", "zhang", "张三", Role.INSPECTOR))
    CredentialStore(Path(store.data_dir)).save(server, "zhang", TOKEN)
    # A log that let the token slip through, in the forms a log line could take.
    logs = Path(store.data_dir) / "logs"
    logs.mkdir()
    (logs / "citypatrol.log").write_text(
        "INFO sync started\n"
        f"DEBUG Authorization: Bearer {TOKEN}\n"
        f'DEBUG body {{"token": "{TOKEN}", "password": "hunter22"}}\n'
        f"DEBUG raw {TOKEN}\n"
        "INFO sync finished\n",
        encoding="utf-8",
    )
    text = store_diagnostics(store, qt_version=qVersion())
    assert TOKEN not in text and "hunter22" not in text
    assert REDACTED in text
    assert "sync finished" in text
    assert f"CityPatrol {app_version()}" in text and server in text
    assert "signed in: yes" in text

    # The menu action puts the same text on the clipboard.
    monkeypatch.setattr(QMessageBox, "information", lambda *args: None)
    window = MainWindow(store, tasks, load_default_taxonomy(), "en")
    qtbot.addWidget(window)
    window.help.copy_diagnostics()
    qtbot.waitUntil(lambda: window.help.last_diagnostics != "", timeout=10_000)
    clipboard = QGuiApplication.clipboard().text()
    assert TOKEN not in clipboard and "sync finished" in clipboard


def test_diagnostics_without_a_log_or_store(tmp_path: Path) -> None:
    text = gather(tmp_path / "missing", None)
    assert "no log file found" in text and "Sync: state not available" in text
