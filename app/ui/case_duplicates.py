"""The case editor's duplicate check: open cases of the same category near the case's position,
shown under the position so the inspector sees "possibly already reported" before submitting.

Part of the case editor (:mod:`app.ui.case_editor`): its strings stay in the ``CaseEditor``
translation context (hence ``QCoreApplication.translate("CaseEditor", …)`` instead of ``tr``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.capture.positions import Fix, haversine_m
from app.domain.taxonomy import Taxonomy
from app.storage.store import CaseRow, LocalStore
from app.ui.case_jobs import CaseRef
from app.ui.category_picker import category_label
from app.ui.common.text import status_text
from app.ui.position_panel import format_time

DUPLICATE_RADIUS_M = 30.0
DUPLICATE_DAYS = 7


def nearby_job(  # noqa: PLR0917 - the check's whole question, spelled out
    store: LocalStore, ref: CaseRef, code: str, fix: Fix, radius_m: float, days: float
) -> Callable[[], list[CaseRow]]:
    """The database-lane job: open cases of ``code`` within ``radius_m`` of ``fix`` reported
    in the last ``days``, the case itself (once it has an id) left out."""

    def job() -> list[CaseRow]:
        return store.nearby_open_cases(
            code, fix.lat, fix.lon, radius_m=radius_m, days=days, exclude_id=ref.id
        )

    return job


class DuplicateBox(QFrame):
    """ "Possibly already reported": the nearby cases; a double-click (or Enter) opens one."""

    #: The user asked to open a listed case (its id).
    open_requested = Signal(str)

    def __init__(self, taxonomy: Taxonomy, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._taxonomy = taxonomy
        self._language = language
        self.setObjectName("duplicates")
        self.title = QLabel()
        self.title.setObjectName("duplicates_title")
        self.title.setWordWrap(True)
        self.hint = QLabel(
            QCoreApplication.translate(
                "CaseEditor", "Open cases of this category nearby. Double-click one to open it."
            )
        )
        self.hint.setObjectName("hint")
        self.hint.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("duplicates_list")
        self.list.setWordWrap(True)
        self.list.setAccessibleName(
            QCoreApplication.translate("CaseEditor", "Possibly already reported")
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addWidget(self.hint)
        layout.addWidget(self.list)
        self.hide()
        self.list.itemDoubleClicked.connect(self._open)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            open_key = QShortcut(QKeySequence(key), self.list)
            open_key.setContext(Qt.ShortcutContext.WidgetShortcut)
            open_key.activated.connect(self._open_current)

    def show_rows(self, rows: list[CaseRow], fix: Fix | None, title: str) -> None:
        """List ``rows`` with their distance from ``fix`` under ``title`` (the editor words it:
        lupdate reads plural forms only from ``tr``); the box shows only when any."""
        self.list.clear()
        for row in rows:
            category = self._taxonomy.matter(row.category_code or "")
            name = category_label(category, self._language) if category else row.category_code
            distance = (
                haversine_m(fix.lat, fix.lon, row.lat, row.lon)
                if fix is not None and row.lat is not None and row.lon is not None
                else math.nan
            )
            facts = [
                QCoreApplication.translate("CaseEditor", "%1 m away").replace(
                    "%1", f"{distance:.0f}"
                ),
                status_text(row.status, self._language),
                format_time(row.created_at),
            ]
            summary = (row.description or row.address).replace("\n", " ")
            if len(summary) > 60:
                summary = summary[:59] + "…"
            text = f"{name} · {' · '.join(facts)}"
            if summary:
                text += f"\n{summary}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            item.setToolTip("\n".join(filter(None, (row.description, row.address))))
            self.list.addItem(item)
        self.title.setText(title)
        shown = sum(self.list.sizeHintForRow(i) for i in range(min(len(rows), 3)))
        self.list.setFixedHeight(shown + 2 * self.list.frameWidth() + 4)
        self.setVisible(bool(rows))

    def _open_current(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self._open(item)

    def _open(self, item: QListWidgetItem) -> None:
        case_id = item.data(Qt.ItemDataRole.UserRole)
        if case_id:
            self.open_requested.emit(str(case_id))
