"""The export and bulletin dialogs: real widgets, a real store, files checked after the fact."""

from __future__ import annotations

import csv
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from pytestqt.qtbot import QtBot
from report_builders import bulk_generate

from app.domain.indicators import Period
from app.storage import LocalStore
from app.storage.exports import ExportFormat
from app.ui.export_dialog import BulletinDialog, ExportDialog
from app.ui.tasks import TaskRunner

START = datetime(2026, 4, 1, tzinfo=UTC)
END = datetime(2026, 7, 1, tzinfo=UTC)


def _store(tmp_path: Path, cases: int) -> LocalStore:
    store = LocalStore(tmp_path / "data")
    bulk_generate(store, cases, seed=7, start=START, end=END)
    return store


def test_an_export_runs_in_the_background_with_progress_and_writes_the_file(
    qtbot: QtBot, tmp_path: Path
) -> None:
    store = _store(tmp_path, 5000)
    tasks = TaskRunner()
    dialog = ExportDialog(store, tasks, "zh_CN", folder=tmp_path)
    qtbot.addWidget(dialog)
    seen: list[int] = []
    dialog.progress.valueChanged.connect(seen.append)
    out = tmp_path / "cases.geojson"
    dialog.format.setCurrentIndex(dialog.format.findData(ExportFormat.GEOJSON.value))
    assert dialog.target.edit.text().endswith(".geojson")  # the suffix follows the format
    dialog.target.edit.setText(str(out))

    with qtbot.waitSignal(dialog.finished_export, timeout=60_000) as blocker:
        dialog.start_button.click()
        assert dialog.running()
        assert not dialog.start_button.isEnabled()

    result = blocker.args[0]
    assert result.count == 5000
    assert dialog.progress.maximum() == 5000 and dialog.progress.value() == 5000
    assert len(seen) >= 3 and seen == sorted(seen)  # several batches, never backwards
    assert "5000" in dialog.status.text() and str(out) in dialog.status.text()
    features = json.loads(out.read_text(encoding="utf-8"))["features"]
    assert len(features) == 5000
    tasks.wait()
    store.close()


def test_a_cancelled_export_says_so_and_leaves_no_file(qtbot: QtBot, tmp_path: Path) -> None:
    store = _store(tmp_path, 3000)
    tasks = TaskRunner()
    dialog = ExportDialog(store, tasks, "en", folder=tmp_path)
    qtbot.addWidget(dialog)
    out = tmp_path / "cases.csv"
    dialog.target.edit.setText(str(out))
    dialog._cancel.set()  # as if Cancel had been clicked before the first batch was written

    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running(), timeout=60_000)

    assert "cancel" in dialog.status.text().lower()
    assert dialog.status.property("kind") == "error"
    assert not out.exists()
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*cases*"))
    # The next export is not cancelled by the earlier click.
    with qtbot.waitSignal(dialog.finished_export, timeout=60_000):
        dialog.start()
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3000
    tasks.wait()
    store.close()


def test_an_export_to_a_missing_folder_is_refused_in_the_dialog(
    qtbot: QtBot, tmp_path: Path
) -> None:
    store = _store(tmp_path, 10)
    tasks = TaskRunner()
    dialog = ExportDialog(store, tasks, "zh_CN", folder=tmp_path)
    qtbot.addWidget(dialog)
    dialog.target.edit.setText(str(tmp_path / "no-such-folder" / "cases.gpkg"))
    dialog.start()
    qtbot.waitUntil(lambda: not dialog.running(), timeout=30_000)
    assert dialog.status.property("kind") == "error"
    assert "no-such-folder" in dialog.status.text()
    assert dialog.start_button.isEnabled()
    tasks.wait()
    store.close()


def test_the_bulletin_dialog_writes_the_pdf_of_the_period_in_the_chosen_language(
    qtbot: QtBot, tmp_path: Path
) -> None:
    store = _store(tmp_path, 800)
    tasks = TaskRunner()
    period = Period(datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC))
    dialog = BulletinDialog(store, tasks, period, "zh_CN", folder=tmp_path, now=lambda: END)
    qtbot.addWidget(dialog)
    assert "2026-05-01" in dialog.period_label.text()
    dialog.document_language.setCurrentIndex(dialog.document_language.findData("en"))
    out = tmp_path / "bulletin.pdf"
    dialog.target.edit.setText(str(out))

    with qtbot.waitSignal(dialog.written, timeout=120_000):
        dialog.write_button.click()

    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Page 1 of" in text
    assert "2026-05-01" in text
    assert str(out) in dialog.status.text()
    tasks.wait()
    store.close()


def test_a_supervisors_dashboard_opens_the_bulletin_and_export_and_a_case_gives_its_pdf(
    qtbot: QtBot, tmp_path: Path
) -> None:
    from app.domain.lifecycle import Role
    from app.domain.taxonomy import load_default_taxonomy
    from app.storage.store import Account
    from app.ui.main_window import MainWindow

    store = _store(tmp_path, 300)
    store.set_account(Account("http://127.0.0.1:9", "u-1", "chief", "值班长", Role.SUPERVISOR))
    tasks = TaskRunner()
    window = MainWindow(store, tasks, load_default_taxonomy(), "en")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.dashboard is not None, timeout=30_000)
    dashboard = window.dashboard
    assert dashboard is not None
    window.tabs.setCurrentWidget(dashboard)

    dashboard.bulletin_button.click()  # type: ignore[attr-defined]
    bulletins = window.findChildren(BulletinDialog)
    assert len(bulletins) == 1 and bulletins[0].isVisible()
    dashboard.export_button.click()  # type: ignore[attr-defined]
    assert any(d.isVisible() for d in window.findChildren(ExportDialog))

    # A case's history window writes the case's PDF report.
    case_id = next(iter(_closed_case_ids(store)))
    detail = window.open_case_detail(case_id)
    out = tmp_path / "case.pdf"
    with qtbot.waitSignal(detail.pdf_written, timeout=60_000):
        detail.write_pdf(out)
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert case_id[-8:] in text
    assert "Close" in text or "close" in text
    for dialog in [*bulletins, *window.findChildren(ExportDialog)]:
        dialog.close()
    detail.close()
    window.close()
    tasks.wait()
    store.close()


def _closed_case_ids(store: LocalStore) -> list[str]:
    from app.domain.lifecycle import CaseStatus
    from app.storage.supervision import cases_by_status

    return cases_by_status(store, [CaseStatus.CLOSED])
