"""The department's report of handling (处置反馈): an opinion and its "after" photos."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.storage import LocalStore
from app.storage.handling import AFTER_PHOTOS_REQUIRED, photos_needed, report_handled
from app.storage.store import CaseRow
from app.ui.common.dialogs import RecordDialog
from app.ui.common.style import MUTED
from app.ui.common.text import category_text, error_text
from app.ui.common.widgets import bold, error_label, thumbnail_icon
from app.ui.reinspection import PATH_ROLE, PHOTO_FILTER, THUMB, PhotoStrip
from app.ui.tasks import TaskRunner


class HandledDialog(RecordDialog):
    """Reports one task handled: what the department did, and the photos that show it."""

    #: The report was recorded (the store's Changes); then the dialog closes.
    recorded = Signal(object)

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        language: str,
        case_id: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(store, tasks, language, parent)
        self.saving_text = self.tr("Saving…")
        self.case_id = case_id
        #: How many photos the report needs (the server's setting, read with the case).
        self.photos_required = AFTER_PHOTOS_REQUIRED
        self._loaded = False
        self.setWindowTitle(self.tr("Report as handled"))
        self.resize(760, 560)

        self.heading = bold(QLabel(self.tr("Loading the case…")), 1.15)
        self.heading.setWordWrap(True)
        self.case_label = QLabel()
        self.case_label.setWordWrap(True)
        self.case_label.setStyleSheet(MUTED)

        group = QGroupBox(self.tr("After — photos of the work done"))
        self.photo_list = PhotoStrip(self.tr("Add the photos that show the problem fixed."))
        self.photo_list.setAccessibleName(self.tr("After photos"))
        self.photo_list.itemSelectionChanged.connect(self._update_state)
        self.add_button = QPushButton(self.tr("&Add photos…"))
        self.add_button.clicked.connect(self.choose_files)
        self.remove_button = QPushButton(self.tr("Re&move"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.photo_note = QLabel()
        self.photo_note.setStyleSheet(MUTED)
        self._show_needed()
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addWidget(self.photo_note, 1)
        box = QVBoxLayout(group)
        box.addWidget(self.photo_list, 1)
        box.addLayout(buttons)

        self.opinion_edit = QPlainTextEdit()
        self.opinion_edit.setObjectName("opinion")
        self.opinion_edit.setTabChangesFocus(True)
        self.opinion_edit.setPlaceholderText(self.tr("What the department did"))
        self.opinion_edit.setFixedHeight(self.opinion_edit.fontMetrics().lineSpacing() * 4 + 16)
        self.opinion_edit.textChanged.connect(self._update_state)
        opinion_title = QLabel(self.tr("&Opinion (required):"))
        opinion_title.setBuddy(self.opinion_edit)

        self.error_label = error_label("dialog_error")
        bottom, self.ok_button = self.bottom_row(self.tr("&Report handled"))
        self.ok_button.setObjectName("report_handled")

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.case_label)
        layout.addWidget(group, 1)
        layout.addWidget(opinion_title)
        layout.addWidget(self.opinion_edit)
        layout.addWidget(self.error_label)
        layout.addLayout(bottom)
        self._update_state()
        self.load()

    def load(self) -> None:
        store, case_id = self._store, self.case_id
        self._ops.run(
            lambda: (store.get_case(case_id), photos_needed(store)),
            lambda loaded: self._show(*loaded),
            on_error=self._failed,
        )

    def _show_needed(self) -> None:
        needed = self.photos_required
        self.photo_note.setText(
            self.tr("At least %n photo(s) required.", "", needed)
            if needed
            else self.tr("Photos are optional.")
        )

    def _show(self, case: CaseRow, needed: int) -> None:
        self.photos_required = needed
        self._show_needed()
        category = category_text(self._store.taxonomy, case.category_code, self._language)
        self.heading.setText(category or self.tr("No category"))
        self.case_label.setText(
            "  ·  ".join(p for p in (case.address, case.description.replace("\n", " ")[:120]) if p)
        )
        self._loaded = True
        self._update_state()
        self.opinion_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _failed(self, exc: BaseException) -> None:
        self.error_label.setText(error_text(exc, self._language))
        self.error_label.show()

    @Slot()
    def choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self,
            self.tr("Add “after” photos"),
            "",
            self.tr("Photos (%1);;All files (*)").replace("%1", PHOTO_FILTER),
        )
        self.add_files([Path(f) for f in files])

    def add_files(self, paths: Sequence[Path]) -> None:
        """List files as the report's photos (checked and imported when it is recorded)."""
        known = set(self.pending_paths())
        for path in paths:
            if path in known:
                continue
            known.add(path)
            image = QImage(str(path))
            item = QListWidgetItem(
                thumbnail_icon(None if image.isNull() else image, THUMB), path.name
            )
            item.setData(PATH_ROLE, str(path))
            item.setToolTip(str(path))
            self.photo_list.addItem(item)
        self._update_state()

    @Slot()
    def remove_selected(self) -> None:
        for item in self.photo_list.selectedItems():
            self.photo_list.takeItem(self.photo_list.row(item))
        self._update_state()

    def pending_paths(self) -> list[Path]:
        items = (self.photo_list.item(i) for i in range(self.photo_list.count()))
        return [Path(item.data(PATH_ROLE)) for item in items]

    def opinion(self) -> str:
        return self.opinion_edit.toPlainText().strip()

    @Slot()
    def submit(self) -> None:
        if not self.ok_button.isEnabled():
            return
        self.error_label.hide()
        store, case_id, opinion = self._store, self.case_id, self.opinion()
        paths, required = self.pending_paths(), self.photos_required
        self.record(
            lambda: report_handled(store, case_id, opinion, paths, photos_required=required),
            self.recorded,
            self._failed,
        )

    def _update_state(self) -> None:
        busy = self._ops.busy
        enough = len(self.pending_paths()) >= self.photos_required
        self.ok_button.setEnabled(self._loaded and not busy and enough and bool(self.opinion()))
        self.cancel_button.setEnabled(not busy)
        self.add_button.setEnabled(not busy)
        self.remove_button.setEnabled(not busy and bool(self.photo_list.selectedItems()))
