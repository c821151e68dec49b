"""The review queue's details pane: the selected case and its possible duplicates nearby.

What it loads (:func:`load_detail`: the photos, the open cases of the same category nearby)
runs in the database lane; :class:`ReviewDetails` only shows it. The queue itself, the
decisions and the opinion field are :class:`app.ui.supervisor.review.ReviewPanel`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.capture.positions import haversine_m
from app.storage import LocalStore
from app.storage.states import OutboxState
from app.storage.store import CaseRow, PhotoRow
from app.storage.supervision import ReviewItem
from app.ui.common.style import MUTED, STATE_COLOURS
from app.ui.common.text import category_text, local_time, status_text
from app.ui.common.thumbnails import ThumbnailList, load_thumbnails
from app.ui.common.widgets import bold, selectable
from app.ui.supervisor.base import ITEM_ROLE
from app.ui.tasks import TaskRunner

#: Nearby open cases of the same category are possible duplicates (store.nearby_open_cases).
DUPLICATE_RADIUS_M = 30.0
DUPLICATE_DAYS = 7


@dataclass(frozen=True, slots=True)
class ReviewDetail:
    """What the details pane loads for one case of the queue."""

    case_id: str
    photos: list[tuple[PhotoRow, QImage]]
    nearby: list[tuple[CaseRow, float]]


def load_detail(store: LocalStore, item: ReviewItem) -> ReviewDetail:
    """The photos of a queued case and the open cases of its category nearby (possible
    duplicates, with their distance); runs in the database lane."""
    photos = load_thumbnails(store, item.case_id)
    nearby: list[tuple[CaseRow, float]] = []
    if item.category_code and item.lat is not None and item.lon is not None:
        lat, lon = item.lat, item.lon
        rows = store.nearby_open_cases(
            item.category_code,
            lat,
            lon,
            radius_m=DUPLICATE_RADIUS_M,
            days=DUPLICATE_DAYS,
            exclude_id=item.case_id,
        )
        nearby = [
            (r, haversine_m(lat, lon, r.lat, r.lon))
            for r in rows
            if r.lat is not None and r.lon is not None
        ]
    return ReviewDetail(item.case_id, photos, nearby)


class ReviewDetails(QWidget):
    """One queued case: category, description, address, position, inspector, photos, and the
    open cases of the same category nearby that may be the same problem."""

    #: The user asked for a nearby case's whole history (its id).
    open_case = Signal(str)

    def __init__(
        self, store: LocalStore, tasks: TaskRunner, language: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._language = language
        self.heading = bold(QLabel(), 1.2)
        self.heading.setWordWrap(True)
        self.waiting_label = QLabel()
        self.waiting_label.setStyleSheet(f"color: {STATE_COLOURS[OutboxState.PENDING]};")
        self.description_label = selectable(QLabel())
        self.address_label = selectable(QLabel())
        self.position_label = selectable(QLabel())
        self.inspector_label = selectable(QLabel())
        self.submitted_label = selectable(QLabel())
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.addRow(self.tr("Description:"), self.description_label)
        form.addRow(self.tr("Address:"), self.address_label)
        form.addRow(self.tr("Position:"), self.position_label)
        form.addRow(self.tr("Inspector:"), self.inspector_label)
        form.addRow(self.tr("Submitted:"), self.submitted_label)

        self.photos_title = bold(QLabel(self.tr("Photos")))
        self.photo_list = ThumbnailList(
            tasks, language, self.tr("No photos on this laptop."), store=store
        )
        self.photo_list.setAccessibleName(self.tr("Photos of the case"))
        self.nearby_title = bold(QLabel(self.tr("Possible duplicates nearby")))
        self.nearby_hint = QLabel(
            self.tr("Open cases of the same category within %1 m, reported in the last %2 days")
            .replace("%1", str(int(DUPLICATE_RADIUS_M)))
            .replace("%2", str(DUPLICATE_DAYS))
        )
        self.nearby_hint.setStyleSheet(MUTED)
        self.nearby_hint.setWordWrap(True)
        self.nearby_list = QListWidget()
        self.nearby_list.setObjectName("nearby_cases")
        self.nearby_list.setAccessibleName(self.tr("Possible duplicates nearby"))
        self.nearby_list.setMaximumHeight(110)
        self.nearby_list.itemActivated.connect(
            lambda item: self.open_case.emit(str(item.data(ITEM_ROLE)))
        )
        self.nearby_none = QLabel(self.tr("None: no open case of this category nearby."))
        self.nearby_none.setStyleSheet(MUTED)

        inner = QVBoxLayout(self)
        inner.setContentsMargins(12, 8, 12, 8)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.waiting_label)
        inner.addLayout(top)
        inner.addLayout(form)
        inner.addSpacing(6)
        inner.addWidget(self.photos_title)
        inner.addWidget(self.photo_list)
        inner.addSpacing(6)
        inner.addWidget(self.nearby_title)
        inner.addWidget(self.nearby_hint)
        inner.addWidget(self.nearby_list)
        inner.addWidget(self.nearby_none)
        inner.addStretch(1)

    def show_item(self, item: ReviewItem) -> None:
        """What the queue knows of the case, at once; photos and duplicates are "looking…"."""
        language = self._language
        category = category_text(self._store.taxonomy, item.category_code, language)
        self.heading.setText(category or self.tr("No category"))
        self.waiting_label.setText(self.tr("Decision waiting to be sent") if item.waiting else "")
        self.description_label.setText(item.description or self.tr("(no description)"))
        self.address_label.setText(item.address or "—")
        if item.lat is not None and item.lon is not None:
            position = f"{item.lat:.6f}, {item.lon:.6f}"
            if item.accuracy_m is not None:
                position += "  " + self.tr("(±%1 m)").replace("%1", f"{item.accuracy_m:.0f}")
        else:
            position = self.tr("No position")
        self.position_label.setText(position)
        self.inspector_label.setText(item.author or "—")
        self.submitted_label.setText(local_time(item.submitted_at) if item.submitted_at else "—")
        self.photos_title.setText(self.tr("Photos (%1)").replace("%1", str(item.photo_count)))
        self.photo_list.set_photos([])
        self.nearby_list.clear()
        self.nearby_list.hide()
        self.nearby_none.setText(self.tr("Looking…"))
        self.nearby_none.show()

    def show_loaded(self, detail: ReviewDetail) -> None:
        """The photos and the possible duplicates, once read."""
        self.photo_list.set_photos(detail.photos)
        self.photos_title.setText(self.tr("Photos (%1)").replace("%1", str(len(detail.photos))))
        self.nearby_list.clear()
        for row, distance in detail.nearby:
            category = category_text(self._store.taxonomy, row.category_code, self._language)
            text = "  ·  ".join(
                p
                for p in (
                    self.tr("%1 m").replace("%1", f"{distance:.0f}"),
                    status_text(row.status, self._language),
                    local_time(row.created_at),
                    row.description.replace("\n", " ") or category,
                )
                if p
            )
            item = QListWidgetItem(text)
            item.setData(ITEM_ROLE, row.id)
            item.setToolTip(
                "\n".join(p for p in (category, row.description, row.address) if p)
                + "\n"
                + self.tr("Double-click to see its history")
            )
            self.nearby_list.addItem(item)
        self.nearby_list.setVisible(bool(detail.nearby))
        self.nearby_title.setText(
            self.tr("Possible duplicates nearby (%1)").replace("%1", str(len(detail.nearby)))
            if detail.nearby
            else self.tr("Possible duplicates nearby")
        )
        self.nearby_none.setText(self.tr("None: no open case of this category nearby."))
        self.nearby_none.setVisible(not detail.nearby)

    def show_failure(self, text: str) -> None:
        """The photos or the duplicates could not be read: said where the duplicates go."""
        self.nearby_none.setText(text)
        self.nearby_none.show()
