"""Sync in the GUI: sign-in, the status bar, automatic sync, settings and the delivery ledger.

Real widgets (pytest-qt), real local stores, and a real ``citypatrol-server --demo`` process on
127.0.0.1 — stopped and restarted to take the laptop offline and back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import ApiClient, ServerProcess, free_port
from laptops import signed_in
from PySide6.QtCore import Qt
from PySide6.QtNetwork import QNetworkInformation
from PySide6.QtWidgets import QMainWindow, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from app.capture.photos import UploadSizePolicy
from app.capture.positions import DEFAULT_POOR_ACCURACY_M
from app.domain import CaseFields
from app.domain.ids import new_id
from app.domain.lifecycle import CaseStatus
from app.storage import LocalStore
from app.storage.ledger import SyncLedger
from app.storage.store import Changes
from app.sync.backoff import Backoff
from app.sync.credentials import CredentialStore
from app.sync.engine import Originals, Progress, SyncOptions, SyncReport
from app.sync.errors import ErrorKind
from app.sync.scheduler import AutoSync
from app.ui.common.text import reason_text
from app.ui.ledger_dialog import LedgerDialog
from app.ui.settings import Settings, SettingsDialog, check_data_dir, parse_server_url
from app.ui.sign_in import SessionBanner, SignInDialog
from app.ui.sync_controller import SyncController
from app.ui.sync_status import SyncStatusWidget
from app.ui.tasks import TaskRunner

PHOTO = "photos/jpg/gps/DSCN0010.jpg"
MORE_PHOTOS = ("photos/jpg/gps/DSCN0012.jpg", "photos/jpg/gps/DSCN0021.jpg")
FAST = SyncOptions(backoff=Backoff(base_s=0.01, cap_s=0.05), chunk_size=64 * 1024, attempts=2)
SHOTS = Path("/tmp")
SYNC_TIMEOUT = 60_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("server") / "data", "--demo")
    yield process
    process.stop()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_file(tmp_path / "settings.ini")


@dataclass
class Kit:
    """What a GUI sync test needs besides a server: the lanes, settings, a folder, controllers."""

    tasks: TaskRunner
    settings: Settings
    tmp: Path
    made: list[SyncController] = field(default_factory=list)

    def controller(self, store: LocalStore, **kwargs: Any) -> SyncController:
        """A controller with small intervals (shut down at the end of the test)."""
        kwargs.setdefault("options", FAST)
        kwargs.setdefault("tick_ms", 50)
        kwargs.setdefault("probe_ms", 200)
        kwargs.setdefault(
            "auto", AutoSync(interval_s=3600, debounce_s=0.1, backoff=Backoff(0.05, 0.2))
        )
        controller = SyncController(store, self.tasks, self.settings, **kwargs)
        self.made.append(controller)
        return controller


@pytest.fixture
def kit(tasks: TaskRunner, settings: Settings, tmp_path: Path) -> Iterator[Kit]:
    made = Kit(tasks, settings, tmp_path)
    yield made
    for controller in made.made:  # stop event set, lanes idle
        assert controller.shutdown(30_000)


def submitted_case(store: LocalStore, description: str) -> str:
    case_id = store.create_case(
        CaseFields(
            category_code="06010",
            description=description,
            address="鼓楼区中山路 100 号",
            lat=32.0603,
            lon=118.7969,
            accuracy_m=5.0,
        )
    ).id
    store.submit_case(case_id)
    return case_id


def status_bar(widget: SyncStatusWidget, qtbot: QtBot) -> QMainWindow:
    """The widget where the lead puts it: in a main window's status bar (for screenshots)."""
    window = QMainWindow()
    window.setCentralWidget(QWidget())
    window.statusBar().addPermanentWidget(widget)
    window.resize(1200, 200)
    qtbot.addWidget(window)
    window.show()
    return window


def plural(n: int, word: str) -> str:
    """``3 changes`` (``1 change``) once the plural forms are compiled, ``3 change(s)`` before."""
    if n == 1:
        return rf"{n} {word}(\(s\))?"
    return rf"{n} {word}(s|\(s\))"


def wait_finished(
    qtbot: QtBot, controller: SyncController, start: Callable[[], None]
) -> SyncReport:
    with qtbot.waitSignal(controller.finished, timeout=SYNC_TIMEOUT) as blocker:
        start()
    report = blocker.args[0]
    assert isinstance(report, SyncReport)
    return report


# -- sign-in ---------------------------------------------------------------------------------


def test_sign_in_dialog_explains_failures_and_remembers_the_server_and_user(
    qtbot: QtBot, server: ServerProcess, tmp_path: Path, tasks: TaskRunner, settings: Settings
) -> None:
    store = LocalStore(tmp_path / "laptop")
    dialog = SignInDialog(store, tasks, settings, language="en")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.focusWidget() is dialog.server_url  # nothing remembered yet

    dialog.server_url.setText("ftp://example.org")  # refused before any network
    dialog.user.setText("demo")
    dialog.password.setText("demo")
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert "http://host or https://host" in dialog.error_label.text()
    assert not dialog.busy

    dialog.server_url.setText(f"http://127.0.0.1:{free_port()}")  # nobody listens there
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.error_label.isVisible() and not dialog.busy, timeout=30_000)
    assert "Cannot reach the server" in dialog.error_label.text()

    dialog.server_url.setText(server.url + "/")
    dialog.password.setText("not the password")
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert dialog.busy and not dialog.sign_in_button.isEnabled()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=30_000)
    assert dialog.error_label.text() == "Wrong user name or password. Check them and try again."
    assert dialog.isVisible() and store.account() is None
    assert dialog.grab().save(str(SHOTS / "citypatrol-sign-in.png"))

    dialog.password.setText("demo")
    with (
        qtbot.waitSignal(dialog.accepted, timeout=30_000),
        qtbot.waitSignal(dialog.signed_in) as signed,
    ):
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    account = store.account()
    assert account is not None and account.username == "demo"
    assert signed.args[0] == account and dialog.account == account
    assert dialog.token_location.startswith(("keyring:", "file:"))
    assert CredentialStore(store.data_dir).load(server.url, "demo")
    assert (settings.server_url, settings.last_user) == (server.url, "demo")
    ini = Path(settings.qsettings.fileName()).read_text(encoding="utf-8")
    assert "demo" in ini and "not the password" not in ini and "token" not in ini.lower()

    again = SignInDialog(store, tasks, Settings.from_file(Path(settings.qsettings.fileName())))
    qtbot.addWidget(again)
    again.show()
    assert (again.server_url.text(), again.user.text(), again.password.text()) == (
        server.url,
        "demo",
        "",
    )
    assert again.focusWidget() is again.password
    store.close()


# -- sync in the status bar ------------------------------------------------------------------


def test_sync_now_delivers_cases_and_photos_with_progress_in_the_status_bar(
    qtbot: QtBot, server: ServerProcess, samples: Path, kit: Kit
) -> None:
    store = signed_in(kit.tmp / "laptop", server)
    first = submitted_case(store, "人民路暴露垃圾")
    second = submitted_case(store, "中山路路灯不亮")
    store.attach_photo(first, samples / PHOTO)
    store.attach_photos(second, [samples / p for p in MORE_PHOTOS])
    photo_bytes = sum((samples / p).stat().st_size for p in (PHOTO, *MORE_PHOTOS))
    controller = kit.controller(store, metered=lambda: False, autostart=False)
    widget = SyncStatusWidget("en")
    window = status_bar(widget, qtbot)
    widget.bind(controller)
    assert widget.online_label.text() == "Connecting…"
    controller.refresh_summary()
    waiting = plural(4, "change") + ", " + plural(3, "photo") + " waiting"
    qtbot.waitUntil(lambda: re.fullmatch(waiting, widget.pending_label.text()) is not None)
    assert widget.last_sync_label.text() == "Never synced"

    frames: list[tuple[Progress, int, str]] = []
    shots: list[bool] = []

    def seen(progress: Progress) -> None:  # after the widget's own slot (connected first)
        bar = widget.progress_bar
        frames.append((progress, bar.value(), bar.format()))
        if progress.phase == "photos" and progress.bytes_done and not shots:
            shots.append(window.statusBar().grab().save(str(SHOTS / "citypatrol-sync-status.png")))

    controller.progress.connect(seen)
    with qtbot.waitSignal(controller.started):
        report = wait_finished(
            qtbot,
            controller,
            lambda: qtbot.mouseClick(widget.sync_button, Qt.MouseButton.LeftButton),
        )
    assert report.ok, report.lines("en")
    assert widget.online_label.text() == "Online"  # the server answered
    assert report.photos_sent == 3 and report.photo_bytes_sent == photo_bytes

    qtbot.waitUntil(lambda: widget.pending_label.text() == "All delivered")
    qtbot.waitUntil(lambda: widget.last_sync_label.text().startswith("Last sync "))
    assert re.fullmatch(r"Last sync \d\d:\d\d", widget.last_sync_label.text())
    assert not widget.progress_bar.isVisible() and widget.sync_button.isEnabled()
    assert not widget.problem_label.isVisible()
    photo_frames = [f for f in frames if f[0].phase == "photos"]
    last, value, text = photo_frames[-1]
    assert last.bytes_done == last.bytes_total == photo_bytes
    assert value == 1000  # per mille: all the bytes
    assert text == f"Photo 3/3 · {photo_bytes / 1e6:.1f}/{photo_bytes / 1e6:.1f} MB"
    assert shots == [True]
    assert {store.get_case(c).delivery for c in (first, second)} == {"confirmed"}
    assert window.statusBar().grab().save(str(SHOTS / "citypatrol-sync-status-done.png"))


def test_offline_is_reported_and_sync_resumes_by_itself_when_the_server_is_back(
    qtbot: QtBot, kit: Kit
) -> None:
    server = ServerProcess(kit.tmp / "server", "--demo")
    try:
        store = signed_in(kit.tmp / "laptop", server)
        controller = kit.controller(store)
        widget = SyncStatusWidget("en")
        window = status_bar(widget, qtbot)
        widget.bind(controller)
        with qtbot.waitSignal(controller.finished, timeout=SYNC_TIMEOUT) as first:
            pass  # online at start: the first automatic cycle (nothing to send yet)
        assert first.args[0].ok and controller.online is True

        server.stop()
        case_id = submitted_case(store, "断网时记录的案件")
        with qtbot.waitSignal(controller.online_changed, timeout=SYNC_TIMEOUT) as went:
            controller.changed_locally()  # the lead calls this after each save
        assert went.args == [False]
        report = controller.last_report
        assert report is not None and report.error is not None
        assert report.error.kind is ErrorKind.RETRYABLE
        qtbot.waitUntil(lambda: widget.online_label.text() == "Offline")
        assert widget.problem_text.endswith("Will retry automatically.")
        assert "Cannot reach the server" in widget.problem_text
        qtbot.waitUntil(
            lambda: (
                re.fullmatch(plural(2, "change") + " waiting", widget.pending_label.text())
                is not None
            )
        )
        assert store.get_case(case_id).delivery == "pending"
        assert window.statusBar().grab().save(str(SHOTS / "citypatrol-sync-status-offline.png"))

        server.start()  # same port: the probe finds it, and the waiting work goes by itself
        qtbot.waitUntil(lambda: store.get_case(case_id).delivery == "confirmed", timeout=30_000)
        qtbot.waitUntil(lambda: widget.online_label.text() == "Online", timeout=10_000)
        qtbot.waitUntil(lambda: widget.pending_label.text() == "All delivered", timeout=10_000)
        assert not widget.problem_label.isVisible()
    finally:
        server.stop()


def test_an_expired_session_shows_the_banner_and_signing_in_again_resumes(
    qtbot: QtBot, server: ServerProcess, kit: Kit
) -> None:
    store = signed_in(kit.tmp / "laptop", server)
    account = store.account()
    assert account is not None
    token = CredentialStore(store.data_dir).load(account.server_url, account.username)
    revoked = httpx.post(
        f"{server.url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}
    )
    assert revoked.status_code == 204
    case_id = submitted_case(store, "会话过期前记录")

    controller = kit.controller(store)
    page = QWidget()
    banner = SessionBanner()
    widget = SyncStatusWidget("en")
    layout = QVBoxLayout(page)
    layout.addWidget(banner)
    layout.addWidget(widget)
    qtbot.addWidget(page)
    page.resize(1000, 120)
    page.show()
    banner.bind(controller)
    widget.bind(controller)
    assert banner.isHidden()

    with qtbot.waitSignal(controller.session_expired, timeout=SYNC_TIMEOUT):
        pass  # online at start, changes waiting: the first automatic cycle meets the refusal
    assert banner.isVisible()
    assert "Your session has expired" in banner.message.text()
    qtbot.waitUntil(lambda: widget.problem_text.endswith("Sign in again."))
    assert controller.auto.waiting_for_sign_in  # no hammering the server meanwhile
    assert store.get_case(case_id).delivery == "pending"  # nothing lost
    assert page.grab().save(str(SHOTS / "citypatrol-session-banner.png"))

    dialogs: list[SignInDialog] = []

    def open_dialog() -> None:
        dialog = SignInDialog(store, kit.tasks, kit.settings, page, language="en")
        dialog.signed_in.connect(controller.signed_in)
        dialogs.append(dialog)
        dialog.show()

    banner.sign_in_requested.connect(open_dialog)
    qtbot.mouseClick(banner.sign_in_button, Qt.MouseButton.LeftButton)
    [dialog] = dialogs
    dialog.server_url.setText(server.url)
    dialog.user.setText("demo")
    dialog.password.setText("demo")
    with qtbot.waitSignal(controller.finished, timeout=SYNC_TIMEOUT) as finished:
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert finished.args[0].ok
    assert banner.isHidden() and store.get_case(case_id).delivery == "confirmed"


def test_photos_wait_on_a_metered_connection_when_the_setting_says_so(
    qtbot: QtBot, server: ServerProcess, samples: Path, kit: Kit
) -> None:
    store = signed_in(kit.tmp / "laptop", server)
    case_id = submitted_case(store, "计费网络")
    store.attach_photo(case_id, samples / PHOTO)
    metered = [True]
    assert kit.settings.hold_photos_on_metered  # the default
    controller = kit.controller(store, metered=lambda: metered[0], autostart=False)
    widget = SyncStatusWidget("en")
    window = status_bar(widget, qtbot)
    widget.bind(controller)
    assert controller.current_options().photos is False

    held = wait_finished(qtbot, controller, controller.sync_now)
    assert held.photos_held_back and held.photos_sent == 0 and held.confirmed == 2
    assert store.get_case(case_id).delivery == "confirmed"
    assert widget.problem_text == (
        "Photos held back on a metered connection — Change this in Settings."
    )
    assert "Photos are held back on a metered connection" in widget.problem_label.toolTip()
    assert window.statusBar().grab().save(str(SHOTS / "citypatrol-sync-status-metered.png"))
    qtbot.waitUntil(
        lambda: (
            re.fullmatch(plural(1, "photo") + " waiting", widget.pending_label.text()) is not None
        )
    )

    kit.settings.hold_photos_on_metered = False  # the inspector does not mind the cost
    assert controller.current_options().photos is True
    # Which originals come whole is the setting of the moment, read for each cycle.
    assert controller.current_options().originals is Originals.OPEN_CASES
    kit.settings.originals = Originals.ON_DEMAND
    assert controller.current_options().originals is Originals.ON_DEMAND
    kit.settings.originals = Originals.OPEN_CASES
    sent = wait_finished(qtbot, controller, controller.sync_now)
    assert sent.ok and sent.photos_sent == 1
    metered[0] = False
    kit.settings.hold_photos_on_metered = True
    assert controller.current_options().photos is True


def test_the_controller_copes_with_whatever_network_backend_there_is(
    qtbot: QtBot, kit: Kit
) -> None:
    store = LocalStore(kit.tmp / "never-signed-in")
    kit.settings.server_url = f"http://127.0.0.1:{free_port()}"
    controller = kit.controller(store)
    info = controller.network_information  # None where no backend loads (a headless box)
    assert info is None or isinstance(info, QNetworkInformation)
    with qtbot.waitSignal(controller.online_changed, timeout=10_000) as probed:
        pass
    assert probed.args == [False]  # nothing listens at the configured server
    controller._on_reachability(QNetworkInformation.Reachability.Disconnected)
    assert controller.online is False and not controller.auto.online
    assert controller.auto.waiting_for_sign_in  # never signed in: nothing to sync with
    report = wait_finished(qtbot, controller, controller.sync_now)  # asked anyway: explained
    assert report.error is not None and report.error.code == "not_signed_in"
    widget = SyncStatusWidget("en")
    widget.on_finished(report)
    assert widget.problem_text == "Not signed in — Sign in to a server to sync."


# -- settings ----------------------------------------------------------------------------------


def test_server_address_rules() -> None:
    assert parse_server_url("https://patrol.example.cn:8443/") == "https://patrol.example.cn:8443"
    assert parse_server_url(" http://127.0.0.1:8765 ") == "http://127.0.0.1:8765"
    assert parse_server_url("http://[::1]:8000") == "http://[::1]:8000"
    for bad in (
        "",
        "patrol.example.cn",
        "ftp://patrol.example.cn",
        "http://",
        "http://host:99999",
        "http://host:port",
        "http://host/api",
        "http://user:pw@host",
        "http://host?x=1",
    ):
        assert parse_server_url(bad) is None, bad
    assert check_data_dir("") and not check_data_dir("relative/folder")


def test_settings_dialog_validates_and_keeps_the_settings_in_an_ini_file(
    qtbot: QtBot, tmp_path: Path, settings: Settings
) -> None:
    assert settings.upload_policy is UploadSizePolicy.ORIGINAL
    assert settings.hold_photos_on_metered is True
    assert settings.originals is Originals.OPEN_CASES  # the default: originals of open cases
    assert settings.poor_accuracy_m == DEFAULT_POOR_ACCURACY_M
    assert (settings.language, settings.data_dir, settings.server_url) == ("", "", "")

    dialog = SettingsDialog(settings)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.server_url.setText("patrol.example.cn")
    dialog.data_dir.setText("relative/folder")
    dialog.language.setCurrentIndex(dialog.language.findData("zh_CN"))
    assert dialog.restart_note.isVisible()
    assert "take effect after restart" in dialog.restart_note.text()
    qtbot.mouseClick(
        dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton
    )
    assert dialog.isVisible() and dialog.result() == 0  # refused: nothing saved
    assert dialog.server_error.isVisible() and "http://host" in dialog.server_error.text()
    assert dialog.data_dir_error.isVisible()
    assert Settings.from_file(tmp_path / "settings.ini").server_url == ""
    dialog.resize(dialog.sizeHint())
    assert dialog.grab().save(str(SHOTS / "citypatrol-settings.png"))

    dialog.server_url.setText("https://patrol.example.cn:8443/")
    assert not dialog.server_error.isVisible()  # the message goes as the user corrects
    dialog.data_dir.setText(str(tmp_path / "patrol-data"))
    dialog.upload_policy.setCurrentIndex(dialog.upload_policy.findData("1600"))
    dialog.hold_photos.setChecked(False)
    assert dialog.originals.currentData() == "open_cases"
    dialog.originals.setCurrentIndex(dialog.originals.findData(Originals.ON_DEMAND.value))
    dialog.poor_accuracy.setValue(35)
    with qtbot.waitSignal(dialog.accepted):
        qtbot.mouseClick(
            dialog.buttons.button(dialog.buttons.StandardButton.Ok), Qt.MouseButton.LeftButton
        )

    reread = Settings.from_file(tmp_path / "settings.ini")  # what the next start reads
    assert reread.server_url == "https://patrol.example.cn:8443"
    assert reread.upload_policy is UploadSizePolicy.LONG_EDGE_1600
    assert reread.hold_photos_on_metered is False
    assert reread.originals is Originals.ON_DEMAND
    assert reread.poor_accuracy_m == 35.0
    assert reread.language == "zh_CN" and reread.effective_language() == "zh_CN"
    assert reread.effective_data_dir() == tmp_path / "patrol-data"

    unchanged = SettingsDialog(reread)
    qtbot.addWidget(unchanged)
    unchanged.show()
    assert not unchanged.restart_note.isVisible()
    assert unchanged.upload_policy.currentData() == "1600"
    assert not unchanged.hold_photos.isChecked()
    assert unchanged.originals.currentData() == Originals.ON_DEMAND.value


# -- the delivery ledger ---------------------------------------------------------------------


def test_ledger_dialog_lists_each_change_and_photo_and_resolves_a_conflict(
    qtbot: QtBot, server: ServerProcess, samples: Path, kit: Kit
) -> None:
    store = signed_in(kit.tmp / "laptop", server)
    case_id = submitted_case(store, "原始描述")
    store.attach_photo(case_id, samples / PHOTO)

    before = LedgerDialog(store, kit.tasks, case_id, "en")
    qtbot.addWidget(before)
    with qtbot.waitSignal(before.loaded):
        before.show()
    assert [
        (before.table.item(r, 0).text(), before.table.item(r, 1).text())
        for r in range(before.table.rowCount())
    ] == [
        ("Case created", "Waiting"),
        ("Case submitted", "Waiting"),
        ("Photo DSCN0010.jpg", "Waiting"),
    ]
    assert "Waiting to be sent" in before.state_label.text()

    controller = kit.controller(store, autostart=False)
    assert wait_finished(qtbot, controller, controller.sync_now).ok
    supervisor = ApiClient(server, "supervisor").http
    answer = supervisor.post(
        f"/api/v1/cases/{case_id}/actions", json={"action": "return", "opinion": "请改正地址"}
    )
    assert answer.status_code == 200, answer.text
    assert wait_finished(qtbot, controller, controller.sync_now).ok
    assert store.get_case(case_id).status is CaseStatus.RETURNED
    store.update_case(
        case_id,
        CaseFields(
            category_code="06010", description="本机的修改", lat=32.0, lon=118.8, accuracy_m=3.0
        ),
    )
    # Meanwhile the same inspector corrected and resubmitted it from another device.
    other = ApiClient(server, "demo").http
    current = other.get(f"/api/v1/cases/{case_id}").json()["case"]
    fields = ("id", "category_code", "description", "address", "urgency", "lat", "lon",
              "accuracy_m", "position_source", "observed_at", "created_at")  # fmt: skip
    snapshot = {k: current[k] for k in fields}
    snapshot.update(status="returned", description="另一台设备的修改")
    pushed = other.post(
        "/api/v1/cases/push",
        json={"changes": [{"change_id": new_id(), "op": "submit", "case": snapshot}]},
    ).json()
    assert pushed["results"][0]["outcome"] == "applied"
    report = wait_finished(qtbot, controller, controller.sync_now)
    assert report.conflicts == 1 and not report.ok

    dialog = LedgerDialog(store, kit.tasks, case_id, "en")
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded):
        dialog.show()
    rows = [
        [dialog.table.item(r, c).text() for c in range(5)] for r in range(dialog.table.rowCount())
    ]
    assert [(r[0], r[1]) for r in rows] == [
        ("Case created", "Confirmed"),
        ("Case submitted", "Confirmed"),
        ("Case edited", "Conflict"),
        ("Photo DSCN0010.jpg", "Confirmed"),
    ]
    assert all(r[3] for r in rows if r[1] == "Confirmed")  # when the server confirmed it
    [conflict] = SyncLedger(store).conflicts(case_id)
    reason = conflict["reason"]
    assert rows[2][4] == reason["en"] and rows[2][4]  # the server's reason, in English
    assert "conflicts with the office" in dialog.state_label.text()
    assert dialog.conflict_box.isVisible() and len(dialog.resolve_buttons) == 1
    dialog.resize(900, 600)
    assert dialog.grab().save(str(SHOTS / "citypatrol-ledger.png"))

    with qtbot.waitSignal(dialog.resolved) as resolved:
        qtbot.mouseClick(dialog.resolve_buttons[0], Qt.MouseButton.LeftButton)
    assert resolved.args == [case_id]
    qtbot.waitUntil(lambda: dialog.table.item(2, 1).text() == "Replaced by the server's version")
    qtbot.waitUntil(lambda: not dialog.conflict_box.isVisible())
    row = store.get_case(case_id)
    assert (row.delivery, row.description) == ("confirmed", "另一台设备的修改")
    assert "confirmed by the server" in dialog.state_label.text()

    zh = LedgerDialog(store, kit.tasks, case_id, "zh_CN")
    qtbot.addWidget(zh)
    with qtbot.waitSignal(zh.loaded):
        zh.show()
    assert zh.table.item(2, 4).text() == reason["zh"]


def test_reasons_are_shown_in_the_users_language() -> None:
    raw = '{"code": "invalid_case", "en": "Unknown category 06999", "zh": "未知的类别 06999"}'
    assert reason_text(raw, "en") == "Unknown category 06999"
    assert reason_text(raw, "zh_CN") == "未知的类别 06999"
    assert reason_text("plain text", "en") == "plain text"
    assert reason_text(None, "en") == ""


def test_a_cycle_is_announced_on_the_store_events_and_local_writes_refresh_what_waits(
    qtbot: QtBot, kit: Kit, server: ServerProcess
) -> None:
    """What a cycle changed reaches every view as one Changes (the main window no longer
    reloads by itself after a sync); a cycle that changed nothing announces nothing; a local
    write touching the outbox refreshes the figures."""
    from app.ui.events import StoreEvents

    store = signed_in(kit.tmp / "laptop", server)
    case_id = submitted_case(store, "路口暴露垃圾")
    controller = kit.controller(store, autostart=False, watch_network=False)
    events = StoreEvents.of(store)
    seen: list[Changes] = []
    events.changed.connect(seen.append)
    with qtbot.waitSignal(controller.finished, timeout=SYNC_TIMEOUT) as finished:
        controller.sync_now()
    assert finished.args[0].ok
    assert seen == [finished.args[0].changes]
    assert case_id in seen[0].cases and seen[0].outbox  # the pushed case was confirmed
    assert not seen[0].everything

    with qtbot.waitSignal(controller.finished, timeout=SYNC_TIMEOUT) as finished:
        controller.sync_now()
    assert finished.args[0].ok
    assert len(seen) == 1, seen[1:]  # nothing new either way: no view reloads

    qtbot.waitUntil(lambda: controller.summary is not None and controller.summary.idle)
    kit.tasks.wait()
    qtbot.wait(50)  # the figures read at the end of the cycle have arrived
    created = store.create_case(CaseFields(description="路灯不亮"))
    with qtbot.waitSignal(controller.summary_changed) as summary:
        events.announce(created.changes)
    assert summary.args[0].pending_changes >= 1
    store.close()
