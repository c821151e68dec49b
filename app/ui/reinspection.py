"""The re-inspection (核查) dialog: the original photos beside the new "after" photos, and the result.

The inspector adds "after" photos (a file dialog, or files and folders dropped on the dialog);
each is checked and thumbnailed in the database lane before it is listed, and a file that cannot
be used is named with the reason. Passed or failed is an explicit choice; a failure needs an
opinion, shown next to the field. Submitting records the result with
:func:`app.storage.inbox.record_reinspection` in the database lane, then the dialog closes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import shiboken6
from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QImage,
    QKeySequence,
    QPaintEvent,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFileDialog,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import TransitionError
from app.storage import CaseRow, LocalStore
from app.storage.handling import HandlingReport, after_photos, handling_report
from app.storage.inbox import (
    OPINION_MAX,
    InboxItem,
    PhotoPreview,
    PhotosRefusedError,
    inbox_item,
    preview_photos,
    record_reinspection,
)
from app.storage.store import PhotoRow
from app.ui.common.dialogs import RecordDialog
from app.ui.common.style import ERROR_COLOUR, MUTED
from app.ui.common.text import category_text, local_time, status_text, unexpected_error_text
from app.ui.common.widgets import error_label, paint_placeholder, thumbnail_icon
from app.ui.photo_strip import PhotoViewer
from app.ui.tasks import TaskRunner

THUMB = QSize(144, 108)
GRID = QSize(164, 146)
PATH_ROLE = Qt.ItemDataRole.UserRole + 1
#: A saved photo's PhotoRow (opened full size on a double-click).
ROW_ROLE = Qt.ItemDataRole.UserRole + 2
#: Files offered by the file dialog (photo types the store takes; the decoder decides).
PHOTO_FILTER = "*.jpg *.jpeg *.png *.heic *.heif *.JPG *.JPEG *.PNG *.HEIC *.HEIF"


#: What the dialog reads: the task, the case, its photos with thumbnails, the ids of the
#: department's photos among them, and the department's report of handling.
Loaded = tuple[
    InboxItem | None, CaseRow, list[tuple[PhotoRow, QImage]], set[str], HandlingReport | None
]


class PhotoStrip(QListWidget):
    """Thumbnails in a wrapping grid, with a hint painted when there are none."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.placeholder = placeholder
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)  # IconMode would make items draggable
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setWrapping(True)
        self.setIconSize(THUMB)
        self.setGridSize(GRID)
        self.setUniformItemSizes(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(False)
        self.setAcceptDrops(False)  # drops go to the dialog, which takes files anywhere
        self.viewport().setAcceptDrops(False)
        self.setMinimumHeight(GRID.height() * 3 // 4)  # scrolls below that

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.count():
            return
        paint_placeholder(self, self.placeholder, 16)


class ReinspectionDialog(RecordDialog):
    """Records the result of one re-inspection assigned to the signed-in inspector."""

    #: Emitted with the store's :class:`Changes` once the result is recorded (then accept()).
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
        #: The ids of the department's photos (its report of handling names them).
        self._department_photos: set[str] = set()
        self._checking = 0
        self._loaded = False
        #: The full-size viewer last opened (it deletes itself on close).
        self.viewer: PhotoViewer | None = None
        self.setWindowTitle(self.tr("Re-inspection"))
        self.setAcceptDrops(True)
        self.resize(980, 680)
        self.setMinimumWidth(760)  # the layout sets the minimum height

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self._case_panel())
        photos = QHBoxLayout()
        photos.setSpacing(10)
        photos.addWidget(self._before_panel(), 1)
        photos.addWidget(self._department_panel(), 1)
        photos.addWidget(self._after_panel(), 1)
        layout.addLayout(photos, 1)
        layout.addWidget(self._result_panel())

        self.error_label = error_label("dialog_error")
        layout.addWidget(self.error_label)

        bottom, self.submit_button = self.bottom_row(self.tr("&Submit result"))
        layout.addLayout(bottom)

        self.setTabOrder(self.before_list, self.after_list)
        self.setTabOrder(self.after_list, self.add_button)
        self.setTabOrder(self.add_button, self.remove_button)
        self.setTabOrder(self.remove_button, self.pass_radio)
        self.setTabOrder(self.pass_radio, self.fail_radio)
        self.setTabOrder(self.fail_radio, self.opinion_edit)
        self._update_state()
        self.load()

    # -- building -------------------------------------------------------------------------

    def _case_panel(self) -> QWidget:
        panel = QFrame()
        panel.setObjectName("case_panel")
        panel.setFrameShape(QFrame.Shape.StyledPanel)
        panel.setStyleSheet(
            "QFrame#case_panel { background: palette(alternate-base); border-radius: 6px; }"
        )
        self.heading = QLabel(self.tr("Loading the case…"))
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.heading.setFont(font)
        self.description_label = QLabel()
        self.description_label.setWordWrap(True)
        self.description_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.deadline_label = QLabel()
        self.deadline_label.setAlignment(
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self.address_label = QLabel()
        self.address_label.setWordWrap(True)
        self.address_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details_label = QLabel()
        self.details_label.setWordWrap(True)
        self.details_label.setStyleSheet(MUTED)
        self.supervisor_label = QLabel()
        self.supervisor_label.setWordWrap(True)
        self.supervisor_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        italic = QFont(self.supervisor_label.font())
        italic.setItalic(True)
        self.supervisor_label.setFont(italic)
        box = QVBoxLayout(panel)
        box.setContentsMargins(14, 10, 14, 10)
        box.setSpacing(4)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.deadline_label)
        box.addLayout(top)
        box.addWidget(self.description_label)
        box.addWidget(self.address_label)
        box.addWidget(self.details_label)
        box.addSpacing(2)
        box.addWidget(self.supervisor_label)
        return panel

    def _before_panel(self) -> QWidget:
        group = QGroupBox(self.tr("Before — as reported"))
        self.before_list = PhotoStrip(self.tr("No photos of the original report on this laptop."))
        self.before_list.setAccessibleName(self.tr("Photos as reported"))
        self.before_list.itemActivated.connect(partial(self.open_viewer, self.before_list))
        box = QVBoxLayout(group)
        box.addWidget(self.before_list)
        return group

    def _department_panel(self) -> QWidget:
        """The department's "after" photos of its report of handling (issue 15): what it claims
        to have fixed, beside what was reported and what the inspector finds now."""
        group = QGroupBox(self.tr("Handled — as the department reported"))
        self.department_list = PhotoStrip(self.tr("The department sent no photos."))
        self.department_list.setAccessibleName(self.tr("Photos of the department"))
        self.department_list.itemActivated.connect(partial(self.open_viewer, self.department_list))
        #: The department's report of handling: its opinion, who, when (issue 15).
        self.handling_label = QLabel()
        self.handling_label.setObjectName("handling_report")
        self.handling_label.setWordWrap(True)
        self.handling_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box = QVBoxLayout(group)
        box.addWidget(self.department_list, 1)
        box.addWidget(self.handling_label)
        return group

    def _after_panel(self) -> QWidget:
        group = QGroupBox(self.tr("After — taken now"))
        self.after_group = group
        self.after_list = PhotoStrip(
            self.tr("Drop photos or folders here,\nor click “Add photos…”.")
        )
        self.after_list.setAccessibleName(self.tr("Photos taken now"))
        self.after_list.itemSelectionChanged.connect(self._update_state)
        self.add_button = QPushButton(self.tr("&Add photos…"))
        self.add_button.clicked.connect(self.choose_files)
        self.remove_button = QPushButton(self.tr("Re&move"))
        self.remove_button.setToolTip(self.tr("Remove the selected photos that are not saved yet"))
        self.remove_button.clicked.connect(self.remove_selected)
        QShortcut(
            QKeySequence.StandardKey.Delete,
            self.after_list,
            self.remove_selected,
            context=Qt.ShortcutContext.WidgetShortcut,
        )
        self.photo_note = QLabel()
        self.photo_note.setWordWrap(True)
        self.photo_note.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        box = QVBoxLayout(group)
        box.addWidget(self.after_list, 1)
        box.addWidget(self.photo_note)
        box.addLayout(buttons)
        return group

    def _result_panel(self) -> QWidget:
        group = QGroupBox(self.tr("Result"))
        self.pass_radio = QRadioButton(self.tr("&Passed — the problem has been fixed"))
        self.fail_radio = QRadioButton(self.tr("&Failed — the problem is still there"))
        self.result_group = QButtonGroup(self)
        self.result_group.addButton(self.pass_radio)
        self.result_group.addButton(self.fail_radio)
        self.result_group.buttonToggled.connect(self._result_changed)
        self.result_error = error_label()
        radios = QHBoxLayout()
        radios.addWidget(self.pass_radio)
        radios.addSpacing(24)
        radios.addWidget(self.fail_radio)
        radios.addStretch(1)

        self.opinion_title = QLabel(self.tr("&Opinion:"))
        self.opinion_edit = QPlainTextEdit()
        self.opinion_edit.setTabChangesFocus(True)
        self.opinion_edit.setPlaceholderText(self.tr("What you found on site"))
        self.opinion_edit.setFixedHeight(self.opinion_edit.fontMetrics().lineSpacing() * 3 + 16)
        self.opinion_edit.textChanged.connect(self._opinion_changed)
        self.opinion_title.setBuddy(self.opinion_edit)
        self.opinion_error = error_label()
        self.opinion_error.setObjectName("opinion_error")

        box = QVBoxLayout(group)
        box.addLayout(radios)
        box.addWidget(self.result_error)
        box.addWidget(self.opinion_title)
        box.addWidget(self.opinion_edit)
        box.addWidget(self.opinion_error)
        return group

    # -- loading --------------------------------------------------------------------------

    @Slot()
    def load(self) -> None:
        """Read the case and its photos (with their thumbnails) in the database lane."""
        store, case_id = self._store, self.case_id

        def read() -> Loaded:
            photos = [(row, QImage(str(row.thumbnail))) for row in store.photos(case_id)]
            claimed = set(after_photos(store, case_id))
            report = handling_report(store, case_id)
            return inbox_item(store, case_id), store.get_case(case_id), photos, claimed, report

        self._ops.run(read, self._show, key="load", on_error=self._load_failed)

    def _show(self, loaded: Loaded) -> None:
        item, case, photos, self._department_photos, report = loaded
        self._show_handling(report)
        self._loaded = item is not None
        category = category_text(self._store.taxonomy, case.category_code, self._language)
        self.heading.setText(category or self.tr("No category"))
        self.description_label.setText(case.description or self.tr("(no description)"))
        self.setWindowTitle(self.tr("Re-inspection — %1").replace("%1", category or case.id))
        self.address_label.setText(self.tr("Address: %1").replace("%1", case.address or "—"))
        self.address_label.setVisible(bool(case.address))
        details = []
        if item is not None and item.department is not None:
            details.append(
                self.tr("Department: %1").replace("%1", item.department.text(self._language))
            )
        details.append(self.tr("Reported %1").replace("%1", local_time(case.created_at)))
        self.details_label.setText("   ·   ".join(details))
        deadline = item.deadline if item is not None else None
        if deadline is None:
            self.deadline_label.setText("")
        elif deadline < datetime.now(UTC):
            self.deadline_label.setText(
                self.tr("Overdue since %1").replace("%1", local_time(deadline))
            )
            self.deadline_label.setStyleSheet(f"color: {ERROR_COLOUR}; font-weight: bold;")
        else:
            self.deadline_label.setText(self.tr("Deadline: %1").replace("%1", local_time(deadline)))
            self.deadline_label.setStyleSheet("font-weight: bold;")
        if item is not None and item.opinion:
            self.supervisor_label.setText(self.tr("Supervisor: “%1”").replace("%1", item.opinion))
        else:
            self.supervisor_label.setText(self.tr("The supervisor gave no opinion."))
        if item is None:
            status = status_text(case.status, self._language)
            self._show_error(
                self.tr("This case is not awaiting a re-inspection by you (it is: %1).").replace(
                    "%1", status
                )
            )
        self._show_photos(photos)
        self._update_state()
        if self._loaded and self.focusWidget() in (None, self.before_list):
            self.add_button.setFocus(Qt.FocusReason.OtherFocusReason)  # the first thing to do

    def open_viewer(self, strip: QListWidget, item: QListWidgetItem) -> PhotoViewer | None:
        """A saved photo full size (double-click or Enter); an original not on this laptop (a
        thumbnail from the sync) is fetched from the server meanwhile."""
        photo = item.data(ROW_ROLE)
        if not isinstance(photo, PhotoRow):
            return None  # a file not saved yet
        rows = [strip.item(n).data(ROW_ROLE) for n in range(strip.count())]
        rows = [r for r in rows if isinstance(r, PhotoRow)]
        if self.viewer is not None and shiboken6.isValid(self.viewer):
            self.viewer.close()
        self.viewer = PhotoViewer(
            self._tasks, self._language, rows, rows.index(photo), self, store=self._store
        )
        self.viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.viewer.show()
        return self.viewer

    def _show_handling(self, report: HandlingReport | None) -> None:
        """The department's report of handling under its photos: opinion, who, when."""
        if report is None:
            self.handling_label.setText(self.tr("No report of handling from the department."))
            return
        who = report.handler or self.tr("the department")
        if report.department is not None:
            name = report.department[0] if self._language == "zh_CN" else report.department[1]
            who = self.tr("%1 (%2)").replace("%1", who).replace("%2", name)
        lines = [
            self.tr("Reported handled by %1 on %2")
            .replace("%1", who)
            .replace("%2", local_time(report.at)),
            self.tr("Opinion: “%1”").replace("%1", report.opinion)
            if report.opinion
            else self.tr("The department gave no opinion."),
        ]
        self.handling_label.setText("\n".join(lines))

    def _show_photos(self, photos: list[tuple[PhotoRow, QImage]]) -> None:
        """The store's photos: "before" on the left, saved "after" photos first on the right."""
        self.before_list.clear()
        self.department_list.clear()
        taken = [self.after_list.takeItem(0) for _ in range(self.after_list.count())]
        for row, image in photos:
            target = self.after_list if row.role == "after" else self.before_list
            if row.id in self._department_photos:
                target = self.department_list
            item = QListWidgetItem(
                thumbnail_icon(image, THUMB), row.original_name or row.sha256[:12]
            )
            item.setToolTip(self._photo_tooltip(row))
            item.setData(ROW_ROLE, row)
            target.addItem(item)
        for item in taken:
            if item.data(PATH_ROLE) is not None:  # new files stay listed after the saved ones
                self.after_list.addItem(item)

    def _photo_tooltip(self, row: PhotoRow) -> str:
        lines = [row.original_name]
        if row.taken_at is not None:
            lines.append(self.tr("Taken %1").replace("%1", local_time(row.taken_at)))
        if row.lat is not None and row.lon is not None:
            lines.append(f"{row.lat:.6f}, {row.lon:.6f}")
        if row.role == "after":
            lines.append(self.tr("Saved on this laptop"))
        return "\n".join(lines)

    def _error_text(self, exc: BaseException) -> str:
        return unexpected_error_text(exc, self._language)

    def _load_failed(self, exc: BaseException) -> None:
        self.heading.setText(self.tr("The case could not be read"))
        self._show_error(self._error_text(exc))
        self._update_state()

    # -- adding photos --------------------------------------------------------------------

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
        """Check and list files (folders are expanded) as new "after" photos."""
        known = set(self.pending_paths())
        paths = [p for p in paths if p not in known]
        if not paths:
            return
        self._checking += 1
        self._show_note(self.tr("Checking the photos…"), error=False)
        self._update_state()

        def check() -> list[tuple[PhotoPreview, QImage | None]]:
            return [
                (p, QImage.fromData(p.thumbnail) if p.thumbnail else None)
                for p in preview_photos(paths)
            ]

        self._ops.run(check, self._checked, on_error=self._check_failed)

    def _checked(self, previews: list[tuple[PhotoPreview, QImage | None]]) -> None:
        self._checking -= 1
        known = set(self.pending_paths())
        refused = []
        for preview, image in previews:
            if preview.error is not None:
                refused.append(preview.error.text(self._language))
                continue
            if preview.path in known:
                continue
            known.add(preview.path)
            item = QListWidgetItem(thumbnail_icon(image, THUMB), preview.path.name)
            item.setData(PATH_ROLE, str(preview.path))
            item.setToolTip(
                self.tr("%1\nNot saved yet: saved when you submit the result").replace(
                    "%1", str(preview.path)
                )
            )
            self.after_list.addItem(item)
        if refused:
            self._show_note(
                self.tr("Not added:") + "\n" + "\n".join(f"• {r}" for r in refused), error=True
            )
        else:
            self._show_note("", error=False)
        self._update_state()

    def _check_failed(self, exc: BaseException) -> None:
        self._checking -= 1
        self._show_note(self._error_text(exc), error=True)
        self._update_state()

    @Slot()
    def remove_selected(self) -> None:
        for item in self.after_list.selectedItems():
            if item.data(PATH_ROLE) is not None:
                self.after_list.takeItem(self.after_list.row(item))
        self._update_state()

    def pending_paths(self) -> list[Path]:
        """The files listed as new "after" photos, not yet in the store."""
        items = (self.after_list.item(i) for i in range(self.after_list.count()))
        return [Path(item.data(PATH_ROLE)) for item in items if item.data(PATH_ROLE) is not None]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._accepts(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._accepts(event):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths or not self._accepting():
            event.ignore()
            return
        event.acceptProposedAction()
        self.add_files(paths)

    def _accepts(self, event: QDragEnterEvent | QDragMoveEvent) -> bool:
        mime = event.mimeData()
        return self._accepting() and mime.hasUrls() and any(u.isLocalFile() for u in mime.urls())

    def _accepting(self) -> bool:
        return self._loaded and not self._busy

    # -- the result -----------------------------------------------------------------------

    def _result_changed(self) -> None:
        self.result_error.hide()
        failed = self.fail_radio.isChecked()
        self.opinion_title.setText(
            self.tr("&Opinion (required when it failed):") if failed else self.tr("&Opinion:")
        )
        self.opinion_edit.setPlaceholderText(
            self.tr("What is still wrong on site, for the department to rework")
            if failed
            else self.tr("What you found on site")
        )
        if not failed:
            self._clear_opinion_error()

    def _opinion_changed(self) -> None:
        if self.opinion_edit.toPlainText().strip():
            self._clear_opinion_error()

    def _clear_opinion_error(self) -> None:
        self.opinion_error.hide()
        self.opinion_edit.setStyleSheet("")

    @Slot()
    def submit(self) -> None:
        """Check the form, then record the result in the database lane."""
        if not self._accepting() or self._checking:
            return
        self.error_label.hide()
        if self.result_group.checkedButton() is None:
            self.result_error.setText(self.tr("Choose whether the re-inspection passed or failed."))
            self.result_error.show()
            self.pass_radio.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        passed = self.pass_radio.isChecked()
        opinion = self.opinion_edit.toPlainText().strip()
        if not passed and not opinion:
            self._opinion_error(self.tr("An opinion is required when the re-inspection fails."))
            return
        if len(opinion) > OPINION_MAX:
            self._opinion_error(
                self.tr("The opinion is too long (at most %1 characters).").replace(
                    "%1", str(OPINION_MAX)
                )
            )
            return
        paths = self.pending_paths()
        store, case_id = self._store, self.case_id
        # The dialog is busy (nothing editable, no Cancel) until the result is recorded.
        self.record(
            lambda: record_reinspection(store, case_id, passed, opinion, paths),
            self.recorded,
            self._record_failed,
        )

    def _record_failed(self, exc: BaseException) -> None:
        if isinstance(exc, PhotosRefusedError):
            # The refused files leave the list; every other one is saved now, and load()
            # lists it again as such.
            for row in reversed(range(self.after_list.count())):
                if self.after_list.item(row).data(PATH_ROLE) is not None:
                    self.after_list.takeItem(row)
            reasons = "\n".join(f"• {e.text(self._language)}" for _, e in exc.refused)
            self._show_note(
                self.tr("These photos cannot be used; remove or replace them and submit again:")
                + "\n"
                + reasons,
                error=True,
            )
            self.load()  # the photos that were taken are saved now
            return
        if isinstance(exc, TransitionError) and exc.code == "missing_requirement":
            self._opinion_error(exc.text(self._language))
            return
        self._show_error(self._error_text(exc))

    # -- state ----------------------------------------------------------------------------

    def _opinion_error(self, text: str) -> None:
        self.opinion_error.setText(text)
        self.opinion_error.show()
        self.opinion_edit.setStyleSheet(f"QPlainTextEdit {{ border: 1px solid {ERROR_COLOUR}; }}")
        self.opinion_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def _show_note(self, text: str, *, error: bool) -> None:
        self.photo_note.setText(text)
        self.photo_note.setStyleSheet(f"color: {ERROR_COLOUR};" if error else MUTED)
        self.photo_note.setVisible(bool(text))

    @property
    def _busy(self) -> bool:
        return self._ops.busy

    def _update_state(self) -> None:
        ready = self._loaded and not self._busy
        self.submit_button.setEnabled(ready and not self._checking)
        self.cancel_button.setEnabled(not self._busy)
        self.add_button.setEnabled(ready)
        self.pass_radio.setEnabled(ready)
        self.fail_radio.setEnabled(ready)
        self.opinion_edit.setEnabled(ready)
        removable = any(i.data(PATH_ROLE) is not None for i in self.after_list.selectedItems())
        self.remove_button.setEnabled(ready and removable)
        count = len(self.pending_paths())
        self.after_group.setTitle(
            self.tr("After — taken now (%1 new)").replace("%1", str(count))
            if count
            else self.tr("After — taken now")
        )
