"""The case list as a lazy table model.

The model first asks the store only for the ordered ``pk`` list of matching cases (cheap even
for 100,000 rows), then fetches rows in blocks as the view scrolls to them. All store calls go
through the database lane; until a block arrives its cells show a placeholder.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from app.domain.taxonomy import Taxonomy
from app.storage import CaseQuery, CaseRow, LocalStore
from app.ui.common.text import local_time, status_text
from app.ui.tasks import TaskRunner

BLOCK = 200
Index = QModelIndex | QPersistentModelIndex


class CaseTableModel(QAbstractTableModel):
    """Rows are cases in the current query, newest first."""

    COLUMNS = ("status", "category", "description", "address", "created", "photos", "delivery")
    # Emitted when a new result set is in place (with its row count).
    loaded = Signal(int)

    def __init__(
        self, store: LocalStore, tasks: TaskRunner, taxonomy: Taxonomy, language: str
    ) -> None:
        super().__init__()
        self._store = store
        self._tasks = tasks
        self._taxonomy = taxonomy
        self._language = language
        self._query = CaseQuery()
        self._pks: list[int] = []
        self._rows: dict[int, CaseRow] = {}
        self._pending_blocks: set[int] = set()
        self._generation = 0

    # -- loading ------------------------------------------------------------------------

    def set_query(self, query: CaseQuery) -> None:
        self._query = query
        self.reload()

    def reload(self) -> None:
        """Re-run the query; rows are fetched again as they are shown."""
        self._generation += 1
        generation, query, store = self._generation, self._query, self._store
        self._tasks.run_db(lambda: store.case_ids(query), lambda pks: self._on_ids(generation, pks))

    def _on_ids(self, generation: int, pks: list[int]) -> None:
        if generation != self._generation:
            return  # a newer query superseded this one
        self.beginResetModel()
        self._pks = pks
        self._rows = {}
        self._pending_blocks = set()
        self.endResetModel()
        self.loaded.emit(len(pks))

    def _fetch_block(self, block: int) -> None:
        if block in self._pending_blocks:
            return
        self._pending_blocks.add(block)
        generation, store = self._generation, self._store
        pks = self._pks[block * BLOCK : (block + 1) * BLOCK]
        self._tasks.run_db(
            lambda: store.rows(pks), lambda rows: self._on_rows(generation, block, rows)
        )

    def _on_rows(self, generation: int, block: int, rows: list[CaseRow]) -> None:
        if generation != self._generation:
            return
        self._pending_blocks.discard(block)
        for row in rows:
            self._rows[row.pk] = row
        first = block * BLOCK
        last = min(first + BLOCK, len(self._pks)) - 1
        if last >= first:
            self.dataChanged.emit(self.index(first, 0), self.index(last, len(self.COLUMNS) - 1))

    def case_at(self, row: int) -> CaseRow | None:
        if 0 <= row < len(self._pks):
            return self._rows.get(self._pks[row])
        return None

    # -- Qt model interface -------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._pks)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        titles = (
            self.tr("Status"),
            self.tr("Category"),
            self.tr("Description"),
            self.tr("Address"),
            self.tr("Created"),
            self.tr("Photos"),
            self.tr("Delivery"),
        )
        return titles[section]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        row = self.case_at(index.row())
        if row is None:
            self._fetch_block(index.row() // BLOCK)
            return "…" if role == Qt.ItemDataRole.DisplayRole else None
        column = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.description if column == "description" else None
        return self._display(row, column)

    def _display(self, row: CaseRow, column: str) -> str:
        if column == "status":
            return status_text(row.status, self._language)
        if column == "category":
            category = self._taxonomy.matter(row.category_code or "")
            return (
                f"{category.code} {category.display_name(self._language)}"
                if category
                else (row.category_code or "")
            )
        if column == "description":
            return row.description.replace("\n", " ")
        if column == "address":
            return row.address
        if column == "created":
            return local_time(row.created_at)
        if column == "photos":
            return str(row.photo_count)
        return self._delivery_text(row.delivery)

    def _delivery_text(self, delivery: str) -> str:
        return {
            "pending": self.tr("Pending"),
            "sending": self.tr("Sending"),
            "confirmed": self.tr("Confirmed"),
            "failed": self.tr("Failed"),
            "conflict": self.tr("Conflict"),
        }.get(delivery, delivery)
