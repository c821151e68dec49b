"""The case list as a lazy table model.

The model first asks the store only for the ordered ``pk`` list of matching cases (cheap even
for 100,000 rows), then fetches rows in blocks as the view scrolls to them. All store calls go
through the database lane; until a block arrives its cells show a placeholder.

The model follows the store's events itself: a write to cases it has loaded re-reads just
those rows when the query's membership and order cannot have changed (no filter that an edit
can affect, ordered by creation); anything else — a new case, a sync, a filtered or
"recently changed" list — re-runs the query.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from app.domain.taxonomy import Taxonomy
from app.storage import CaseQuery, CaseRow, LocalStore
from app.storage.states import DeliveryState
from app.storage.store import Changes
from app.ui.common.text import local_time, status_text
from app.ui.events import StoreEvents
from app.ui.operations import Operations
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
        self._ops = Operations(self, tasks, language)
        self._taxonomy = taxonomy
        self._language = language
        self._query = CaseQuery()
        self._pks: list[int] = []
        self._rows: dict[int, CaseRow] = {}
        self._pending_blocks: set[int] = set()
        StoreEvents.of(store).changed.connect(self.apply)

    # -- loading ------------------------------------------------------------------------

    def set_query(self, query: CaseQuery) -> None:
        self._query = query
        self.reload()

    def reload(self) -> None:
        """Re-run the query; rows are fetched again as they are shown."""
        query, store = self._query, self._store
        for block in self._pending_blocks:
            self._ops.cancel(("block", block))  # rows of the previous result set

        # Only the latest query's result is shown: a newer query supersedes this one. The first
        # block of rows comes with the ids, in the same job: the list shows its first screen
        # after one trip through the database lane, not two (start-up, bench/ui.py).
        def ids_and_first_block() -> tuple[list[int], list[CaseRow]]:
            pks = store.case_ids(query)
            return pks, store.rows(pks[:BLOCK])

        self._ops.run(ids_and_first_block, self._on_ids, key="ids")

    def apply(self, changes: Changes) -> None:
        """Show what a completed write changed: the changed rows only, when they stay where
        they are; else the whole query again."""
        if changes.everything or changes.created or not self._stable():
            if changes.everything or changes.created or changes.cases:
                self.reload()
            return
        pks = [row.pk for row in self._rows.values() if row.id in changes.cases]
        if pks:
            store = self._store
            self._ops.run(lambda: store.rows(pks), self._on_refreshed)

    def _stable(self) -> bool:
        """Whether editing a case can neither add it to, drop it from nor move it in the
        current result set (creation order; no filter on fields a write changes)."""
        query = self._query
        return (
            query.order in ("newest", "oldest")
            and not query.text.strip()
            and not query.statuses
            and not query.categories
            and not query.deliveries
        )

    def _on_refreshed(self, rows: list[CaseRow]) -> None:
        for row in rows:
            if row.pk not in self._rows:
                continue  # re-queried meanwhile; the row comes with its block
            self._rows[row.pk] = row
            at = self._pks.index(row.pk)
            self.dataChanged.emit(self.index(at, 0), self.index(at, len(self.COLUMNS) - 1))

    def _on_ids(self, result: tuple[list[int], list[CaseRow]]) -> None:
        pks, first_rows = result
        self.beginResetModel()
        self._pks = pks
        self._rows = {row.pk: row for row in first_rows}
        self._pending_blocks = set()
        self.endResetModel()
        self.loaded.emit(len(pks))

    def _fetch_block(self, block: int) -> None:
        if block in self._pending_blocks:
            return
        self._pending_blocks.add(block)
        store = self._store
        pks = self._pks[block * BLOCK : (block + 1) * BLOCK]
        self._ops.run(
            lambda: store.rows(pks), lambda rows: self._on_rows(block, rows), key=("block", block)
        )

    def _on_rows(self, block: int, rows: list[CaseRow]) -> None:
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
            DeliveryState.PENDING: self.tr("Pending"),
            DeliveryState.SENDING: self.tr("Sending"),
            DeliveryState.CONFIRMED: self.tr("Confirmed"),
            DeliveryState.FAILED: self.tr("Failed"),
            DeliveryState.CONFLICT: self.tr("Conflict"),
        }.get(delivery, delivery)
