"""Exports and PDFs from the GUI: cases to CSV / GeoJSON / GeoPackage, the periodic bulletin, and
the report of one case.

The work runs in the *documents* lane of :class:`~app.ui.tasks.TaskRunner` (long read-only jobs:
edits and syncs go on meanwhile). An export reports its progress through a queued signal and can
be cancelled; nothing is written at the destination unless the export completes (the library
writes a temporary file and renames it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.indicators import Period
from app.storage.exports import ExportFormat, ExportResult, export_cases
from app.storage.store import LocalStore
from app.ui.common.style import ERROR_COLOUR
from app.ui.common.text import error_text
from app.ui.operations import Lane, Operations
from app.ui.tasks import TaskRunner

_SUFFIX = {ExportFormat.CSV: ".csv", ExportFormat.GEOJSON: ".geojson", ExportFormat.GPKG: ".gpkg"}


class _Relay(QObject):
    """Carries progress from the worker thread to the dialog (a queued connection)."""

    progressed = Signal(int, int)


class _PathRow(QWidget):
    """A file name with a "Choose…" button (a non-native dialog: works the same everywhere)."""

    def __init__(self, caption: str, filters: Callable[[], str], parent: QWidget | None = None):
        super().__init__(parent)
        self._caption = caption
        self._filters = filters
        self.edit = QLineEdit()
        self.edit.setObjectName("path")
        self.edit.setClearButtonEnabled(True)
        self.choose = QPushButton(self.tr("C&hoose…"))
        self.choose.clicked.connect(self._choose)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.choose)

    def _choose(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self._caption, self.edit.text(), self._filters()
        )
        if path:
            self.edit.setText(path)

    def path(self) -> Path | None:
        text = self.edit.text().strip()
        return Path(text).expanduser() if text else None


class ExportDialog(QDialog):
    """Export every case of the store, with a progress bar and a cancel button."""

    #: The export finished; the :class:`ExportResult`.
    finished_export = Signal(object)

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        language: str,
        parent: QWidget | None = None,
        *,
        folder: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Export cases"))
        self.setObjectName("export_dialog")
        self._store, self._tasks, self._language = store, tasks, language
        # Running while the export's operation is: a closed dialog's result is dropped.
        self._ops = Operations(self, tasks, language)
        self._cancel = threading.Event()
        self._relay = _Relay(self)
        self._relay.progressed.connect(self._progressed)
        self.result_: ExportResult | None = None

        self.format = QComboBox()
        self.format.setObjectName("format")
        for fmt, text in (
            (ExportFormat.CSV, self.tr("CSV table (Excel, UTF-8)")),
            (ExportFormat.GEOJSON, self.tr("GeoJSON (web maps, QGIS)")),
            (ExportFormat.GPKG, self.tr("GeoPackage (QGIS, ArcGIS)")),
        ):
            self.format.addItem(text, fmt.value)
        self.names = QComboBox()
        self.names.setObjectName("names")
        self.names.addItem(self.tr("Chinese"), "zh_CN")
        self.names.addItem(self.tr("English"), "en")
        self.names.setCurrentIndex(0 if language.startswith("zh") else 1)
        self.target = _PathRow(self.tr("Export to"), self._filter, self)
        base = folder or Path.home()
        self.target.edit.setText(str(base / f"citypatrol-cases{_SUFFIX[ExportFormat.CSV]}"))
        self.format.currentIndexChanged.connect(self._format_changed)

        form = QFormLayout()
        form.addRow(self.tr("&Format:"), self.format)
        form.addRow(self.tr("&Names in:"), self.names)
        form.addRow(self.tr("&Save to:"), self.target)
        self.progress = QProgressBar()
        self.progress.setObjectName("export_progress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat(self.tr("%v of %m cases"))
        self.progress.hide()  # until an export runs
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox()
        self.start_button = self.buttons.addButton(
            self.tr("&Export"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setText(self.tr("Cancel"))
        self.start_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self._cancel_clicked)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(560, 0)

    def _filter(self) -> str:
        fmt = ExportFormat(self.format.currentData())
        return f"{self.format.currentText()} (*{_SUFFIX[fmt]})"

    def _format_changed(self) -> None:
        fmt = ExportFormat(self.format.currentData())
        path = self.target.path()
        if path is not None and path.suffix.lower() in {s for s in _SUFFIX.values()}:
            self.target.edit.setText(str(path.with_suffix(_SUFFIX[fmt])))

    def running(self) -> bool:
        return self._ops.busy

    def start(self) -> None:
        path = self.target.path()
        if path is None:
            self._show_error(self.tr("Choose the file to export to."))
            return
        fmt = ExportFormat(self.format.currentData())
        names = str(self.names.currentData())
        store, relay, cancel = self._store, self._relay, self._cancel
        self.start_button.setEnabled(False)
        self.format.setEnabled(False)
        self.target.setEnabled(False)
        self.status.setProperty("kind", "")
        self.status.setStyleSheet("")
        self.status.setText(self.tr("Exporting…"))
        self.progress.setRange(0, 0)  # busy until the first count arrives
        self.progress.show()

        def work() -> ExportResult:
            return export_cases(
                store,
                fmt,
                path,
                language=names,
                progress=relay.progressed.emit,
                cancelled=cancel.is_set,
            )

        self._ops.run(work, self._done, lane=Lane.DOCUMENTS, on_error=self._failed, busy=True)

    def _progressed(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _done(self, result: ExportResult) -> None:
        self._cancel.clear()
        self.result_ = result
        self.progress.setRange(0, max(result.count, 1))
        self.progress.setValue(result.count)
        self.status.setText(
            self.tr("Exported %n case(s) to %1 (%2 MB).", "", result.count)
            .replace("%1", str(result.path))
            .replace("%2", f"{result.bytes / 1e6:.1f}")
        )
        self.cancel_button.setText(self.tr("Close"))
        self.start_button.setEnabled(True)
        self.format.setEnabled(True)
        self.target.setEnabled(True)
        self.finished_export.emit(result)

    def _failed(self, exc: BaseException) -> None:
        self._cancel.clear()
        self.start_button.setEnabled(True)
        self.format.setEnabled(True)
        self.target.setEnabled(True)
        self._show_error(error_text(exc, self._language))

    def _show_error(self, text: str) -> None:
        self.status.setProperty("kind", "error")
        self.status.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.status.setText(text)

    def _cancel_clicked(self) -> None:
        if self._ops.busy:
            self._cancel.set()  # the export stops before its next batch and removes its file
            self.status.setText(self.tr("Cancelling…"))
        else:
            self.reject()

    def reject(self) -> None:
        if self._ops.busy:
            self._cancel.set()
            return  # closes once the export has stopped (see _failed)
        super().reject()


class BulletinDialog(QDialog):
    """Write the periodic bulletin (定期通报) of a period as a PDF, in Chinese or English."""

    #: The PDF was written; its path.
    written = Signal(object)

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        period: Period,
        language: str,
        parent: QWidget | None = None,
        *,
        folder: Path | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Periodic bulletin"))
        self.setObjectName("bulletin_dialog")
        self._store, self._tasks, self._period, self._language = store, tasks, period, language
        self._ops = Operations(self, tasks, language)
        self._now = now
        self.written_path: Path | None = None
        start = period.start.date().isoformat()
        last = period.end.date().isoformat()
        self.period_label = QLabel(self.tr("Period: %1 to %2 (end not included)"))
        self.period_label.setText(self.period_label.text().replace("%1", start).replace("%2", last))
        self.document_language = QComboBox()
        self.document_language.setObjectName("document_language")
        self.document_language.addItem(self.tr("Chinese"), "zh_CN")
        self.document_language.addItem(self.tr("English"), "en")
        self.target = _PathRow(self.tr("Bulletin PDF"), lambda: "PDF (*.pdf)", self)
        base = folder or Path.home()
        self.target.edit.setText(str(base / f"bulletin-{start}-{last}.pdf"))
        form = QFormLayout()
        form.addRow(self.period_label)
        form.addRow(self.tr("&Language:"), self.document_language)
        form.addRow(self.tr("&Save to:"), self.target)
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.write_button = self.buttons.addButton(
            self.tr("&Write PDF"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        close = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        close.setText(self.tr("Close"))
        close.clicked.connect(self.reject)
        self.write_button.clicked.connect(self.start)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.resize(520, 0)

    def running(self) -> bool:
        return self._ops.busy

    def start(self) -> None:
        from app.documents.pdf import write_bulletin_pdf
        from app.storage.bulletin import bulletin_data

        path = self.target.path()
        if path is None:
            self.status.setText(self.tr("Choose the file to write."))
            return
        language = str(self.document_language.currentData())
        store, period = self._store, self._period
        now = self._now() if self._now is not None else None
        self.write_button.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText(self.tr("Computing the indicators and writing the PDF…"))

        def work() -> Path:
            data = bulletin_data(store, period, now=now, language=language)
            return write_bulletin_pdf(data, path, language)

        self._ops.run(work, self._done, lane=Lane.DOCUMENTS, on_error=self._failed, busy=True)

    def _done(self, path: Path) -> None:
        self.written_path = path
        self.write_button.setEnabled(True)
        self.status.setText(self.tr("Written: %1").replace("%1", str(path)))
        self.written.emit(path)

    def _failed(self, exc: BaseException) -> None:
        self.write_button.setEnabled(True)
        self.status.setStyleSheet(f"color: {ERROR_COLOUR};")
        self.status.setText(error_text(exc, self._language))
