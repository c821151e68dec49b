"""The app's Sign out and Help → Open log folder, the sign-in dialog's connection settings,
and the client's private data folder and log file."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers import ServerProcess
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot
from tlsca import make_ca

from app.domain.taxonomy import load_default_taxonomy
from app.logs import LOG_FILE, log_folder, setup_logging
from app.storage import LocalStore
from app.sync.connection import ConnectionSettings, load_connection
from app.sync.credentials import CredentialStore
from app.sync.scheduler import AutoSync, probe
from app.sync.session import sign_in
from app.ui.main_window import MainWindow
from app.ui.settings import Settings
from app.ui.sign_in import SignInDialog
from app.ui.sync_controller import SyncController
from app.ui.tasks import TaskRunner


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("server") / "data", "--demo")
    yield process
    process.stop()


def test_sign_out_in_the_menu_revokes_the_session_and_the_log_folder_opens(
    qtbot: QtBot, tmp_path: Path, server: ServerProcess, tasks: TaskRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    store = LocalStore(tmp_path / "client")
    sign_in(store, server.url, "demo", "demo")
    token = CredentialStore(store.data_dir).load(server.url, "demo")
    window = MainWindow(store, tasks, load_default_taxonomy(), "en", autosync=False)
    qtbot.addWidget(window)
    window.show()
    menus = {a.text(): a for a in window.menuBar().actions()}
    assert "&Help" in menus
    assert window.sign_out_action in menus["&File"].menu().actions()
    window.sign_out_action.trigger()
    qtbot.waitUntil(lambda: "Not signed in" in window.account_label.text(), timeout=20_000)
    assert "server has ended the session" in window.statusBar().currentMessage()
    me = httpx.get(f"{server.url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401
    assert CredentialStore(store.data_dir).load(server.url, "demo") is None

    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    window.log_folder_action.trigger()
    assert [Path(u.toLocalFile()) for u in opened] == [log_folder(store.data_dir)]
    window.close()
    tasks.wait()
    store.close()


def test_the_sign_in_dialog_keeps_a_ca_file_and_refuses_plain_http_to_another_host(
    qtbot: QtBot, tmp_path: Path, tasks: TaskRunner
) -> None:
    store = LocalStore(tmp_path / "client")
    settings = Settings.from_file(tmp_path / "settings.ini")
    dialog = SignInDialog(store, tasks, settings, language="en")
    qtbot.addWidget(dialog)
    dialog.server_url.setText("http://192.0.2.7:8765")
    dialog.user.setText("demo")
    dialog.password.setText("demo")
    dialog.submit()
    qtbot.waitUntil(lambda: not dialog.error_label.isHidden(), timeout=10_000)
    assert "unencrypted http://" in dialog.error_label.text()
    ca = tmp_path / "city-ca.pem"
    ca.write_text("not used here")
    dialog.ca_bundle.setText(str(ca))
    dialog.allow_insecure_http.setChecked(True)
    connection = dialog.connection()
    assert connection.ca_bundle == str(ca) and connection.allow_insecure_http
    assert load_connection(store.data_dir).ca_bundle is None  # kept only by a sign-in that works
    store.close()


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_the_data_folder_is_private_and_the_app_writes_a_rotating_log_there(
    tmp_path: Path,
) -> None:
    data = tmp_path / "fresh" / "CityPatrol"
    store = LocalStore(data)
    store.close()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for name in os.listdir(data):
        path = data / name
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, name
    loose = tmp_path / "old"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    LocalStore(loose).close()  # a folder an older version made is tightened
    assert stat.S_IMODE(loose.stat().st_mode) == 0o700

    root = logging.getLogger()
    before = list(root.handlers)
    try:
        path = setup_logging(data)
        assert setup_logging(data) == path  # once per file, however often it is called
        logging.getLogger("citypatrol.test").warning("something for support: 案件")
        for handler in root.handlers:
            handler.flush()
        assert path == log_folder(data) / LOG_FILE
        assert "something for support: 案件" in path.read_text(encoding="utf-8")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
                handler.close()


def test_the_app_probes_a_server_with_the_citys_ca_and_finds_it_online(
    qtbot: QtBot, tmp_path: Path, tasks: TaskRunner
) -> None:
    ca = make_ca(tmp_path / "ca")
    server = ServerProcess(
        tmp_path / "tls", "--demo",
        "--tls-cert", str(ca.server_cert), "--tls-key", str(ca.server_key),
    )  # fmt: skip
    try:
        assert not probe(server.url)  # the system does not know the city's CA
        store = LocalStore(tmp_path / "client")
        sign_in(store, server.url, "demo", "demo", ConnectionSettings(ca_bundle=str(ca.ca_cert)))
        settings = Settings.from_file(tmp_path / "settings.ini")
        controller = SyncController(
            store, tasks, settings, auto=AutoSync(interval_s=3600), watch_network=False
        )
        qtbot.waitUntil(lambda: controller.online is True, timeout=20_000)
        assert controller.shutdown(30_000)
        store.close()
    finally:
        server.stop()
