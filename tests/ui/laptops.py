"""What the UI tests against a real server share: a laptop (a main window on a store of its own,
signed in), its Sync button, a case reported in its editor, a store signed in, an account set
offline, and the street the inspection tests score (import as ``from laptops import …``; this folder is on ``sys.path``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from helpers import ServerProcess
from inspection_http import load_street
from pytestqt.qtbot import QtBot

from app.capture.positions import Fix, FixQuality, PositionSource
from app.domain import load_default_taxonomy
from app.domain.lifecycle import CaseStatus, Role
from app.storage import LocalStore
from app.storage.store import Account
from app.sync.session import sign_in
from app.ui.case_editor import CaseEditor
from app.ui.inspections.panel import InspectionsPanel
from app.ui.main_window import MainWindow
from app.ui.settings import Settings
from app.ui.tasks import TaskRunner

#: The street section the inspection tests score: S-001 of the demo 环卫所 (HWC).
STREET = "建设路（人民路—正义路）"


def signed_in(data: Path, server: ServerProcess, user: str = "demo") -> LocalStore:
    """A store at ``data`` signed in to ``server`` as ``user`` (demo password = user name)."""
    store = LocalStore(data)
    sign_in(store, server.url, user, user)
    return store


def laptop(
    qtbot: QtBot,
    tasks: TaskRunner,
    server: ServerProcess,
    data: Path,
    user: str,
    *,
    size: tuple[int, int] = (1280, 800),
) -> MainWindow:
    """A main window on a store of its own at ``data``, signed in as ``user``, shown."""
    store = signed_in(data, server, user)
    settings = Settings.from_file(data / "settings.ini")
    window = MainWindow(store, tasks, load_default_taxonomy(), "en", settings, autosync=False)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    return window


def sync(qtbot: QtBot, window: MainWindow) -> None:
    """Click "Sync now" and wait for the cycle: it must succeed."""
    with qtbot.waitSignal(window.sync.finished, timeout=60_000) as done:
        window.sync_action.trigger()
    report = done.args[0]
    assert report.ok, report.lines("en")


def report_case(
    qtbot: QtBot, inspector: MainWindow, photo: Path, category: str, description: str
) -> str:
    """The inspector reports a case with a photo in the editor and submits it (its id)."""
    inspector.new_action.trigger()
    [editor] = [e for e in inspector.findChildren(CaseEditor) if e.isVisible()]
    assert editor.picker.choose(category)
    editor.description.setPlainText(description)
    editor.use_fix(
        Fix(32.0603, 118.7969, 4.0, None, datetime.now(UTC), FixQuality.GPS, PositionSource.GPS, 3)
    )
    qtbot.waitUntil(lambda: editor.case_id() is not None, timeout=10_000)
    case_id = editor.case_id()
    assert case_id is not None
    editor.photo_strip.add_paths([photo])
    qtbot.waitUntil(lambda: len(inspector._store.photos(case_id)) == 1, timeout=30_000)
    editor.submit()
    qtbot.waitUntil(
        lambda: inspector._store.get_case(case_id).status is CaseStatus.SUBMITTED, timeout=10_000
    )
    editor.close()
    return case_id


def inspections_page(qtbot: QtBot, window: MainWindow) -> InspectionsPanel:
    """Sync, then open the Inspections page and wait for its checklist and objects."""
    sync(qtbot, window)
    panel = window.inspections
    window.tabs.setCurrentWidget(panel)
    qtbot.waitUntil(
        lambda: panel.template_combo.count() == 1 and panel.object_combo.count() >= 1,
        timeout=10_000,
    )
    return panel


def with_street(server: ServerProcess) -> ServerProcess:
    """``server`` with the street-sanitation checklist and :data:`STREET` to inspect."""
    load_street(server, STREET)
    return server


def sign_in_as(store: LocalStore, role: Role, department: str | None = None) -> None:
    """An account of ``role`` set on ``store`` as sign-in records it (no server)."""
    name = role.value
    store.set_account(
        Account("https://example.invalid", f"user-{name}", name, name, role, department)
    )
