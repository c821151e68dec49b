"""A case's photos as a row of thumbnails that open the large viewer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import shiboken6
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QWidget

from app.storage import LocalStore
from app.storage.store import PhotoRow
from app.ui.common.text import local_time
from app.ui.common.widgets import paint_placeholder, thumbnail_icon
from app.ui.photo_strip import PhotoViewer
from app.ui.tasks import TaskRunner

THUMB = QSize(120, 90)


def load_thumbnails(store: LocalStore, case_id: str) -> list[tuple[PhotoRow, QImage]]:
    """The case's photos with their thumbnails, decoded in the database lane (a QImage, unlike
    a QPixmap, may be made off the main thread)."""
    return [(row, QImage(str(row.thumbnail))) for row in store.photos(case_id)]


class ThumbnailList(QListWidget):
    """A case's photos as thumbnails; a double-click (or Enter) opens the large viewer (which
    fetches an original not on this laptop, given the store)."""

    def __init__(
        self,
        tasks: TaskRunner,
        language: str,
        placeholder: str,
        parent: QWidget | None = None,
        *,
        store: LocalStore | None = None,
    ) -> None:
        """``store``: where an original not on this laptop is fetched into when opened."""
        super().__init__(parent)
        self._tasks = tasks
        self._store = store
        self._language = language
        self.placeholder = placeholder
        self.rows: list[PhotoRow] = []
        self.viewer: PhotoViewer | None = None
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setIconSize(THUMB)
        self.setGridSize(QSize(THUMB.width() + 14, THUMB.height() + 30))
        self.setUniformItemSizes(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.NoDragDrop)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedHeight(THUMB.height() + 50)
        self.itemActivated.connect(lambda item: self.open_viewer(self.row(item)))

    def set_photos(self, photos: Sequence[tuple[PhotoRow, QImage]]) -> None:
        self.clear()
        self.rows = [row for row, _ in photos]
        for row, image in photos:
            # The office's copy of a photo has no file name: its time (if known) is shown.
            caption = row.original_name or (local_time(row.taken_at) if row.taken_at else "")
            item = QListWidgetItem(thumbnail_icon(image, THUMB), caption)
            lines = [row.original_name]
            if row.taken_at is not None:
                lines.append(local_time(row.taken_at))
            if row.lat is not None and row.lon is not None:
                lines.append(f"{row.lat:.6f}, {row.lon:.6f}")
            item.setToolTip("\n".join(line for line in lines if line))
            self.addItem(item)
        self.viewport().update()

    def open_viewer(self, row: int | None = None) -> PhotoViewer | None:
        if row is None:
            row = self.currentRow()
        if not 0 <= row < len(self.rows):
            return None
        # The viewer deletes itself on close: a window reference, not a result to check.
        if self.viewer is not None and shiboken6.isValid(self.viewer):
            self.viewer.close()
        self.viewer = PhotoViewer(
            self._tasks, self._language, self.rows, row, self, store=self._store
        )
        self.viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.viewer.show()
        return self.viewer

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        if self.count():
            return
        paint_placeholder(self, self.placeholder)
