"""The photo strip of a case: thumbnails, import (drop or dialog), a large viewer, removal.

Photos are imported one file at a time in the database lane (``LocalStore.attach_photos``),
so thumbnails appear as they arrive and an autosave never waits behind a long import. A file
the store refuses is listed with its name and the reason until the user dismisses the list —
never dropped silently. Removing a photo (``LocalStore.remove_photo``) is possible until the
server has confirmed it and while the case is still in the inspector's hands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import shiboken6
from PySide6.QtCore import QSize, QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QIcon,
    QImage,
    QKeySequence,
    QPixmap,
    QResizeEvent,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.storage.states import DeliveryState
from app.storage.store import Changes, LocalStore, PhotoBatch, PhotoRow, expand_photo_paths
from app.sync.errors import ErrorKind, SyncError
from app.ui.common.text import error_text
from app.ui.events import StoreEvents
from app.ui.operations import Lane, Operations
from app.ui.position_panel import format_accuracy, format_coordinates, format_time
from app.ui.tasks import TaskRunner

ICON_SIZE = QSize(128, 96)
PREVIEW_EDGE = 1600
#: Refused files listed in full before "and N more".
REFUSED_SHOWN = 6
PHOTO_ROLE = Qt.ItemDataRole.UserRole
PHOTO_FILTER = "*.jpg *.jpeg *.png *.heic *.heif *.JPG *.JPEG *.PNG *.HEIC *.HEIF"

#: Main-thread callable giving a job-side callable that returns the case id (creating the
#: case when needed). See :meth:`PhotoStrip.set_case_source`.
CaseSource = Callable[[], Callable[[], str]]


@dataclass(frozen=True, slots=True)
class _Attached:
    """One file imported into a case: the outcome, the case's photos, the new thumbnails."""

    case_id: str
    batch: PhotoBatch
    rows: list[PhotoRow]
    images: dict[str, QImage]

    @property
    def changes(self) -> Changes:
        return self.batch.changes


def _load_thumbnails(rows: Sequence[PhotoRow]) -> dict[str, QImage]:
    """Decode thumbnails in the background (a QImage, unlike a QPixmap, may be made there)."""
    images = {}
    for row in rows:
        image = QImage(str(row.thumbnail))
        if not image.isNull():
            images[row.sha256] = image
    return images


class PhotoStrip(QWidget):
    """Thumbnails of one case's photos, with import, viewer and removal."""

    #: The photos now shown (``list[PhotoRow]``), after every reload.
    photos_changed = Signal(list)
    #: The case's photos were written (import or removal), or the case was created for an
    #: import (see :meth:`set_case_source`); the case id.
    changed = Signal(str)
    #: A batch finished: ids attached, and the refusals (``list[str]`` of readable reasons).
    imported = Signal(list, list)

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        language: str,
        *,
        role: str = "before",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._tasks = tasks
        self._language = language
        self._role = role
        self._case_id: str | None = None
        self._case_source: CaseSource | None = None
        self._read_only = False
        self._rows: list[PhotoRow] = []
        self._pixmaps: dict[str, QPixmap] = {}
        self._refused: list[str] = []
        self._ops = Operations(self, tasks, language, store=store)
        self._walks = 0  # folder walks running (they tell how many files there are)
        self._files_total = 0
        self._files_done = 0
        self._batch_attached: list[str] = []
        self._batch_refused: list[str] = []
        self._last_dir = QStandardPaths.writableLocation(
            QStandardPaths.StandardLocation.PicturesLocation
        )
        self.file_dialog: QFileDialog | None = None
        self.viewer: PhotoViewer | None = None
        self.setAcceptDrops(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        self.title_label = QLabel()
        self.title_label.setObjectName("section_title")
        self.hint_label = QLabel(self.tr("Drop photos or folders here"))
        self.hint_label.setObjectName("hint")
        self.progress = QProgressBar()
        self.progress.setObjectName("import_progress")
        self.progress.setMaximumWidth(180)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.progress_label = QLabel()
        self.progress_label.setObjectName("hint")
        self.progress_label.hide()
        self.add_button = QPushButton(self.tr("&Add photos…"))
        self.add_button.setObjectName("add_photos")
        self.folder_button = QPushButton(self.tr("Add &folder…"))
        self.folder_button.setObjectName("add_folder")
        self.remove_button = QPushButton(self.tr("&Remove"))
        self.remove_button.setObjectName("remove_photo")
        self.remove_button.setToolTip(self.tr("Remove the selected photo from this case (Delete)"))

        self.list = QListWidget()
        self.list.setObjectName("photo_list")
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setFlow(QListView.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setIconSize(ICON_SIZE)
        self.list.setGridSize(QSize(ICON_SIZE.width() + 16, ICON_SIZE.height() + 34))
        self.list.setUniformItemSizes(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.NoDragDrop)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setAccessibleName(self.tr("Photos"))
        self.list.setFixedHeight(ICON_SIZE.height() + 56)
        self.empty_label = QLabel()
        self.empty_label.setObjectName("photo_empty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setFixedHeight(ICON_SIZE.height() + 56)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty_label)
        self.stack.addWidget(self.list)
        self.stack.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.stack.setFixedHeight(ICON_SIZE.height() + 56)

        self.refused_panel = QFrame()
        self.refused_panel.setObjectName("refused_panel")
        self.refused_label = QLabel()
        self.refused_label.setObjectName("refused_text")
        self.refused_label.setWordWrap(True)
        self.refused_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dismiss_button = QPushButton(self.tr("Dismiss"))
        self.dismiss_button.setObjectName("dismiss_refused")
        refused_layout = QHBoxLayout(self.refused_panel)
        refused_layout.setContentsMargins(8, 6, 8, 6)
        refused_layout.addWidget(self.refused_label, 1)
        refused_layout.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignTop)
        self.refused_panel.hide()
        self.message_label = QLabel()
        self.message_label.setObjectName("field_error")
        self.message_label.setWordWrap(True)
        self.message_label.hide()

        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.title_label)
        header.addWidget(self.hint_label)
        header.addStretch(1)
        header.addWidget(self.progress_label)
        header.addWidget(self.progress)
        header.addWidget(self.add_button)
        header.addWidget(self.folder_button)
        header.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.stack)
        layout.addWidget(self.refused_panel)
        layout.addWidget(self.message_label)

        self.add_button.clicked.connect(self.choose_files)
        self.folder_button.clicked.connect(self.choose_folder)
        self.remove_button.clicked.connect(self.remove_selected)
        self.dismiss_button.clicked.connect(self.dismiss_refused)
        self.list.itemDoubleClicked.connect(lambda item: self.open_viewer(self.list.row(item)))
        self.list.itemSelectionChanged.connect(self._update_buttons)
        delete = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.list)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)
        delete.activated.connect(self.remove_selected)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            view = QShortcut(QKeySequence(key), self.list)
            view.setContext(Qt.ShortcutContext.WidgetShortcut)
            view.activated.connect(self._view_selected)
        self._populate()

    # -- public API ---------------------------------------------------------------------

    def case_id(self) -> str | None:
        return self._case_id

    def set_case(self, case_id: str | None) -> None:
        """Show the photos of ``case_id`` (None: a case not created yet, no photos)."""
        if case_id == self._case_id and case_id is not None:
            return
        self._case_id = case_id
        self._rows = []
        self.reload()

    def set_case_source(self, source: CaseSource | None) -> None:
        """How to get a case id for a new case when photos arrive before it exists.

        ``source()`` runs on the main thread (reading the editor's fields) and returns a
        callable that runs in the database lane and returns the case id, creating it if needed.
        """
        self._case_source = source

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.setAcceptDrops(not read_only)
        self.hint_label.setVisible(not read_only)
        self._populate()

    def photos(self) -> list[PhotoRow]:
        return list(self._rows)

    def selected_photo(self) -> PhotoRow | None:
        items = self.list.selectedItems()
        if not items:
            return None
        return self._row_by_id(str(items[0].data(PHOTO_ROLE)))

    def select_photo(self, photo_id: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(PHOTO_ROLE) == photo_id:
                self.list.setCurrentRow(i)
                return

    def refused_messages(self) -> list[str]:
        return list(self._refused)

    def busy(self) -> bool:
        """Whether an import is running."""
        return self._walks > 0 or self._files_done < self._files_total

    def reload(self) -> None:
        """Fetch the case's photos again (and the thumbnails not shown yet)."""
        case_id, store = self._case_id, self._store
        if case_id is None:
            self._ops.cancel("photos")  # a read still running is of another case
            self._rows = []
            self._populate()
            return
        cached = frozenset(self._pixmaps)

        def job() -> tuple[list[PhotoRow], dict[str, QImage]]:
            rows = store.photos(case_id)
            return rows, _load_thumbnails([r for r in rows if r.sha256 not in cached])

        # Only the latest read is shown (the case may have changed meanwhile).
        self._ops.run(
            job,
            lambda result: self._on_reloaded(case_id, *result),
            key="photos",
            on_error=self._on_error,
        )

    def add_paths(self, paths: Sequence[Path | str]) -> None:
        """Import files, and the photos inside folders, into the case."""
        sources = [Path(p) for p in paths]
        if self._read_only or not sources:
            return
        ensure = self._ensure_case()
        if ensure is None:
            return
        self._begin_batch()
        self._ops.run(
            lambda: (ensure(), expand_photo_paths(sources)),
            self._on_expanded,
            on_error=self._on_batch_failed,
        )

    def choose_files(self) -> None:
        """The import dialog (non-blocking): several photo files."""
        dialog = self._dialog(self.tr("Add photos"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilters(
            [self.tr("Photo files (%1)").replace("%1", PHOTO_FILTER), self.tr("All files (*)")]
        )
        dialog.open()

    def choose_folder(self) -> None:
        """The import dialog for a whole folder (the photos inside it, recursively)."""
        dialog = self._dialog(self.tr("Add a folder of photos"))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.open()

    def remove_selected(self) -> None:
        photo = self.selected_photo()
        if photo is None or self._read_only or photo.delivery == DeliveryState.CONFIRMED:
            return
        answer = QMessageBox.question(
            self,
            self.tr("Remove photo"),
            self.tr("Remove %1 from this case? The file on your disk is not deleted.").replace(
                "%1", photo.original_name
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        store, case_id, photo_id = self._store, photo.case_id, photo.id
        self.remove_button.setEnabled(False)

        def removed(_changes: object) -> None:
            self.message_label.hide()
            self.reload()
            self.changed.emit(case_id)

        self._ops.write(lambda: store.remove_photo(photo_id), removed, on_error=self._on_error)

    def dismiss_refused(self) -> None:
        self._refused = []
        self.refused_panel.hide()

    def open_viewer(self, row: int | None = None) -> PhotoViewer | None:
        """The large viewer on the photo at ``row`` (default: the selected one)."""
        if row is None:
            row = self.list.currentRow()
        if not 0 <= row < len(self._rows):
            return None
        # The viewer deletes itself on close: a window reference, not a result to check.
        if self.viewer is not None and shiboken6.isValid(self.viewer):
            self.viewer.close()
        viewer = PhotoViewer(self._tasks, self._language, self._rows, row, self, store=self._store)
        viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.viewer = viewer
        viewer.show()
        return viewer

    def _view_selected(self) -> None:
        self.open_viewer()

    # -- drag and drop ------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if not self._read_only and _local_paths(event.mimeData().urls()):
            event.acceptProposedAction()
            self._set_drop_highlight(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if not self._read_only and _local_paths(event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self._set_drop_highlight(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_drop_highlight(False)
        paths = _local_paths(event.mimeData().urls())
        if self._read_only or not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self.add_paths(paths)

    # -- internals ----------------------------------------------------------------------

    def _dialog(self, title: str) -> QFileDialog:
        # An earlier file dialog may be gone already (deleted on close): a window reference.
        if self.file_dialog is not None and shiboken6.isValid(self.file_dialog):
            self.file_dialog.close()
        dialog = QFileDialog(self, title, self._last_dir)
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
        dialog.filesSelected.connect(self._on_files_selected)
        dialog.finished.connect(dialog.deleteLater)
        self.file_dialog = dialog
        return dialog

    def _on_files_selected(self, files: list[str]) -> None:
        if files:
            first = Path(files[0])
            self._last_dir = str(first if first.is_dir() else first.parent)
        self.add_paths([Path(f) for f in files])

    def _ensure_case(self) -> Callable[[], str] | None:
        if self._case_id is not None:
            case_id = self._case_id
            return lambda: case_id
        if self._case_source is not None:
            return self._case_source()
        return None

    def _begin_batch(self) -> None:
        if not self.busy():
            self._files_total = self._files_done = 0
            self._batch_attached, self._batch_refused = [], []
        self._walks += 1
        self._show_progress()

    def _on_expanded(self, result: tuple[str, list[Path]]) -> None:
        case_id, files = result
        if case_id != self._case_id:  # the case was created for these photos
            self._case_id = case_id
            self.reload()
            self.changed.emit(case_id)
        store, role = self._store, self._role
        self._walks -= 1
        self._files_total += len(files)
        if not files:
            self._add_refused([self.tr("No files found there.")])
        for path in files:

            def job(path: Path = path) -> _Attached:
                batch = store.attach_photos(case_id, [path], role=role)
                rows = store.photos(case_id)
                new = [r for r in rows if r.id in batch.attached]
                return _Attached(case_id, batch, rows, _load_thumbnails(new))

            self._ops.write(
                job,
                partial(self._on_attached, case_id),
                on_error=partial(self._on_file_failed, path),
            )
        self._show_progress()
        self._finish_batch_if_done()

    def _on_attached(self, case_id: str, result: _Attached) -> None:
        batch, rows, images = result.batch, result.rows, result.images
        self._files_done += 1
        self._batch_attached.extend(batch.attached)
        self._add_refused([error_text(e, self._language) for e in batch.refused])
        self._store_images(images)
        if case_id == self._case_id:
            self._rows = rows
            self._populate()
            if batch.attached:
                self.select_photo(batch.attached[-1])
        if batch.attached:
            self.changed.emit(case_id)
        self._show_progress()
        self._finish_batch_if_done()

    def _on_file_failed(self, path: Path, exc: BaseException) -> None:
        self._files_done += 1
        text = error_text(exc, self._language)
        self._add_refused([text if path.name in text else f"{path.name}: {text}"])
        self._show_progress()
        self._finish_batch_if_done()

    def _on_batch_failed(self, exc: BaseException) -> None:
        self._walks -= 1
        self._add_refused([error_text(exc, self._language)])
        self._show_progress()
        self._finish_batch_if_done()

    def _finish_batch_if_done(self) -> None:
        if self.busy():
            return
        self.progress.hide()
        self.progress_label.hide()
        self.imported.emit(list(self._batch_attached), list(self._batch_refused))

    def _show_progress(self) -> None:
        total, done = self._files_total, self._files_done
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self.progress_label.setText(
                self.tr("Importing %1 of %2…")
                .replace("%1", str(min(done + 1, total)))
                .replace("%2", str(total))
            )
        else:
            self.progress.setRange(0, 0)  # busy indicator
            self.progress_label.setText(self.tr("Looking for photos…"))
        busy = self.busy()
        self.progress.setVisible(busy)
        self.progress_label.setVisible(busy)

    def _add_refused(self, messages: list[str]) -> None:
        if not messages:
            return
        self._batch_refused.extend(messages)
        self._refused.extend(messages)
        count = len(self._refused)
        lines = [self.tr("%n file(s) could not be added:", "", count)]
        lines += [f"• {m}" for m in self._refused[:REFUSED_SHOWN]]
        if count > REFUSED_SHOWN:
            lines.append(self.tr("…and %n more", "", count - REFUSED_SHOWN))
        self.refused_label.setText("\n".join(lines))
        self.refused_label.setToolTip("\n".join(self._refused))
        self.refused_panel.show()

    def _on_reloaded(self, case_id: str, rows: list[PhotoRow], images: dict[str, QImage]) -> None:
        if case_id != self._case_id:
            return
        self._store_images(images)
        self._rows = rows
        self._populate()

    def _on_error(self, exc: BaseException) -> None:
        self.message_label.setText(error_text(exc, self._language))
        self.message_label.show()
        self._update_buttons()

    def _store_images(self, images: dict[str, QImage]) -> None:
        for sha256, image in images.items():
            self._pixmaps[sha256] = QPixmap.fromImage(image)

    def _row_by_id(self, photo_id: str) -> PhotoRow | None:
        return next((r for r in self._rows if r.id == photo_id), None)

    def _populate(self) -> None:
        selected = self.selected_photo()
        self.list.clear()
        for row in self._rows:
            pixmap = self._pixmaps.get(row.sha256)
            icon = QIcon(pixmap) if pixmap is not None else QIcon()
            text = row.original_name or row.sha256[:12]
            if row.delivery == DeliveryState.CONFIRMED:
                text = "✓ " + text
            item = QListWidgetItem(icon, text)
            item.setData(PHOTO_ROLE, row.id)
            item.setToolTip(self._tooltip(row))
            item.setSizeHint(self.list.gridSize())
            self.list.addItem(item)
        if selected is not None:
            self.select_photo(selected.id)
        count = len(self._rows)
        self.title_label.setText(self.tr("Photos (%1)").replace("%1", str(count)))
        self.empty_label.setText(
            self.tr("No photos.")
            if self._read_only
            else self.tr("No photos yet. Drop photos or folders here, or click “Add photos…”.")
        )
        self.stack.setCurrentWidget(self.list if count else self.empty_label)
        self.add_button.setVisible(not self._read_only)
        self.folder_button.setVisible(not self._read_only)
        self.remove_button.setVisible(not self._read_only)
        self._update_buttons()
        self.photos_changed.emit(list(self._rows))

    def _update_buttons(self) -> None:
        photo = self.selected_photo()
        removable = (
            photo is not None and not self._read_only and photo.delivery != DeliveryState.CONFIRMED
        )
        self.remove_button.setEnabled(removable)
        if photo is not None and photo.delivery == DeliveryState.CONFIRMED:
            self.remove_button.setToolTip(self.tr("The server already has this photo"))
        else:
            self.remove_button.setToolTip(
                self.tr("Remove the selected photo from this case (Delete)")
            )

    def _tooltip(self, row: PhotoRow) -> str:
        lines = [row.original_name or row.sha256[:12]]
        if row.width and row.height:
            lines.append(f"{row.width} × {row.height}")
        if row.taken_at is not None:
            lines.append(self.tr("Taken %1").replace("%1", format_time(row.taken_at)))
        if row.lat is not None and row.lon is not None:
            where = format_coordinates(row.lat, row.lon)
            accuracy = format_accuracy(row.accuracy_m)
            line = self.tr("Position %1").replace("%1", f"{where} {accuracy}".strip())
            if row.position_source == "track":
                line += " " + self.tr("(from the patrol track)")
            lines.append(line)
        else:
            lines.append(self.tr("No position"))
        lines.append(self._delivery_text(row.delivery))
        return "\n".join(lines)

    def _delivery_text(self, delivery: str) -> str:
        return {
            DeliveryState.PENDING: self.tr("Not sent yet"),
            DeliveryState.SENDING: self.tr("Uploading"),
            DeliveryState.CONFIRMED: self.tr("Confirmed by the server"),
            DeliveryState.FAILED: self.tr("The server refused it"),
        }.get(delivery, delivery)

    def _set_drop_highlight(self, on: bool) -> None:
        for widget in (self.list, self.empty_label):
            widget.setProperty("dropTarget", on)
            widget.style().unpolish(widget)
            widget.style().polish(widget)


def _local_paths(urls: Sequence[QUrl]) -> list[Path]:
    return [Path(url.toLocalFile()) for url in urls if url.isLocalFile()]


def fetch_original(store: LocalStore, photo: PhotoRow) -> tuple[Changes, PhotoRow | None]:
    """Download one remote photo's original now (network lane): what changed, and the photo's
    row afterwards. Raises :class:`~app.sync.errors.SyncError` (offline, signed out …)."""
    from app.sync.engine import SyncEngine, SyncOptions  # httpx: when a photo is fetched

    # One try: the user is waiting, and opening the photo again tries again.
    report = SyncEngine(store, SyncOptions(attempts=1)).fetch_originals(frozenset({photo.id}))
    row = next((r for r in store.photos(photo.case_id) if r.id == photo.id), None)
    return report.changes, row


class PhotoViewer(QDialog):
    """A large, upright preview of one photo (made off the main thread), with previous/next.

    A photo of someone else's case whose original is not on this laptop yet (the sync brought
    its thumbnail: ``Originals.ON_DEMAND`` or a closed case) is shown as its thumbnail while the
    original is fetched in the network lane (given the ``store``); offline or refused, the
    thumbnail stays and a note says why."""

    #: The preview of the photo shown is on screen (or could not be made).
    loaded = Signal()
    #: A fetch of an original ended (fetched, refused or failed: :attr:`fetch_label` says).
    fetch_finished = Signal()

    def __init__(
        self,
        tasks: TaskRunner,
        language: str,
        photos: Sequence[PhotoRow],
        index: int,
        parent: QWidget | None = None,
        *,
        store: LocalStore | None = None,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._language = language
        self._photos = list(photos)
        self._index = index
        self._store = store
        self._ops = Operations(self, tasks, language)
        #: Whether the photo on screen is a thumbnail standing in for its original.
        self.showing_thumbnail = False
        self.image: QImage | None = None
        self._pixmap: QPixmap | None = None
        self.setObjectName("photo_viewer")

        self.image_label = QLabel()
        self.image_label.setObjectName("viewer_image")
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_label.setMinimumSize(320, 240)
        self.image_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.info_label = QLabel()
        self.info_label.setObjectName("hint")
        self.info_label.setWordWrap(True)
        self.fetch_label = QLabel()
        self.fetch_label.setObjectName("fetch_note")
        self.fetch_label.setWordWrap(True)
        self.fetch_label.hide()
        self.previous_button = QPushButton(self.tr("◀ &Previous"))
        self.next_button = QPushButton(self.tr("&Next ▶"))
        self.close_button = QPushButton(self.tr("Close"))
        self.previous_button.clicked.connect(lambda: self.show_photo(self._index - 1))
        self.next_button.clicked.connect(lambda: self.show_photo(self._index + 1))
        self.close_button.clicked.connect(self.close)
        buttons = QHBoxLayout()
        buttons.addWidget(self.previous_button)
        buttons.addWidget(self.next_button)
        buttons.addWidget(self.info_label, 1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.image_label, 1)
        layout.addWidget(self.fetch_label)
        layout.addLayout(buttons)
        for key, step in ((Qt.Key.Key_Left, -1), (Qt.Key.Key_Right, 1)):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.activated.connect(lambda step=step: self.show_photo(self._index + step))
        screen = self.screen().availableGeometry()
        self.resize(min(1200, int(screen.width() * 0.85)), min(860, int(screen.height() * 0.85)))
        self.show_photo(index)

    def current_photo(self) -> PhotoRow:
        return self._photos[self._index]

    def show_photo(self, index: int) -> None:
        if not 0 <= index < len(self._photos):
            return
        self._index = index
        photo = self._photos[index]
        self.image = None
        self._pixmap = None
        self.image_label.setPixmap(QPixmap())
        self.image_label.setText(self.tr("Loading…"))
        self.setWindowTitle(
            self.tr("%1 — photo %2 of %3")
            .replace("%1", photo.original_name or photo.sha256[:12])
            .replace("%2", str(index + 1))
            .replace("%3", str(len(self._photos)))
        )
        details = []
        if photo.width and photo.height:
            details.append(f"{photo.width} × {photo.height}")
        if photo.taken_at is not None:
            details.append(format_time(photo.taken_at))
        if photo.lat is not None and photo.lon is not None:
            details.append(format_coordinates(photo.lat, photo.lon))
        self.info_label.setText(" · ".join(details))
        self.previous_button.setEnabled(index > 0)
        self.next_button.setEnabled(index < len(self._photos) - 1)
        self.showing_thumbnail = False
        self.fetch_label.hide()
        self._ops.cancel("fetch")  # a fetch of the photo shown before no longer shows here
        if photo.delivery in (DeliveryState.REMOTE, DeliveryState.UNAVAILABLE):
            self._show_remote(photo)
            return
        self._load_preview(photo.path)

    def _load_preview(self, path: Path) -> None:
        def job() -> QImage:
            from app.capture.photos import make_preview  # Pillow: when a photo is shown

            return QImage.fromData(make_preview(path, PREVIEW_EDGE))

        def failed(exc: BaseException) -> None:
            self.image_label.setText(
                self.tr("This photo cannot be shown: %1").replace(
                    "%1", error_text(exc, self._language)
                )
            )
            self.loaded.emit()

        # Only the photo shown last is put on screen (previous/next may be pressed quickly).
        self._ops.run(job, self._show_image, key="preview", on_error=failed)

    # -- originals not on this laptop --------------------------------------------------------

    def _show_remote(self, photo: PhotoRow) -> None:
        """The thumbnail at once, and the original fetched when it can be."""
        thumbnail = photo.thumbnail

        def job() -> QImage:
            return QImage(str(thumbnail)) if thumbnail.exists() else QImage()

        self._ops.run(job, self._show_thumbnail, key="preview")
        if photo.delivery is DeliveryState.UNAVAILABLE:
            self._note(
                self.tr("The server will not give this photo's original: %1").replace(
                    "%1", photo.delivery_error or "—"
                )
            )
            self.fetch_finished.emit()
            return
        store = self._store
        if store is None:
            self._note(self.tr("The original of this photo is not on this laptop."))
            self.fetch_finished.emit()
            return
        self._note(self.tr("Showing the thumbnail; fetching the original from the server…"))

        def announce(result: tuple[Changes, PhotoRow | None]) -> None:
            # The photo was stored even if the viewer moved on or closed meanwhile.
            StoreEvents.of(store).announce(result[0])

        self._ops.run(
            partial(fetch_original, store, photo),
            partial(self._on_fetched, self._index),
            lane=Lane.NET,
            key="fetch",
            on_error=self._fetch_failed,
            always=announce,
        )

    def _show_thumbnail(self, image: QImage) -> None:
        if image.isNull():
            self.image_label.setText(self.tr("No thumbnail of this photo yet."))
            self.loaded.emit()
            return
        self.showing_thumbnail = True
        self._show_image(image)

    def _on_fetched(self, index: int, result: tuple[Changes, PhotoRow | None]) -> None:
        row = result[1]
        if row is not None:
            self._photos[index] = row
        if row is None or row.delivery in (DeliveryState.REMOTE, DeliveryState.UNAVAILABLE):
            reason = row.delivery_error if row is not None else None
            self._note(
                self.tr("The server will not give this photo's original: %1").replace(
                    "%1", reason or "—"
                )
            )
            self.fetch_finished.emit()
            return
        self.fetch_label.hide()
        self.fetch_finished.emit()
        if index == self._index:
            self.show_photo(index)  # now the original, from this laptop

    def _fetch_failed(self, exc: BaseException) -> None:
        if isinstance(exc, SyncError) and exc.kind is ErrorKind.RETRYABLE:
            # Offline (or the server busy): said plainly, with the technical words after.
            reason = self.tr("the server cannot be reached (%1)").replace(
                "%1", error_text(exc, self._language)
            )
        else:
            reason = error_text(exc, self._language)
        self._note(
            self.tr(
                "The original could not be fetched: %1\n"
                "The thumbnail is shown; open the photo again when the server can be reached."
            ).replace("%1", reason)
        )
        self.fetch_finished.emit()

    def _note(self, text: str) -> None:
        self.fetch_label.setText(text)
        self.fetch_label.show()

    def _show_image(self, image: QImage) -> None:
        self.image = image
        self._pixmap = QPixmap.fromImage(image)
        self.image_label.setText("")
        self._fit()
        self.loaded.emit()

    def _fit(self) -> None:
        if self._pixmap is None:
            return
        self.image_label.setPixmap(
            self._pixmap.scaled(
                self.image_label.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()
