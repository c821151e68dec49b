"""The delivery ledger of one case: what the server has confirmed of it, and when.

Each change of the case and each photo is listed with its delivery state, when the server
confirmed it, and — for a refusal — the server's reason in the user's language. Edits that
conflict with the office's decisions are shown beside the server's version, with a button to
take the server's version. All store work runs in the database lane.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.storage import CaseRow, LocalStore
from app.storage.ledger import LedgerEntry, SyncLedger
from app.storage.states import SETTLED_STATES, DeliveryState, OutboxState
from app.storage.store import Changes
from app.ui.common.style import CONFIRMED_COLOUR, ERROR_COLOUR, WARNING_COLOUR
from app.ui.common.text import error_text, local_seconds, reason_text
from app.ui.operations import Operations
from app.ui.tasks import TaskRunner

#: The case fields a conflict can differ in, in display order.
CONFLICT_FIELDS = ("category_code", "description", "address", "urgency", "lat", "lon", "accuracy_m")


class LedgerDialog(QDialog):
    """The delivery ledger and unresolved conflicts of one case."""

    #: The ledger (re)loaded: the number of lines shown.
    loaded = Signal(int)
    #: A conflict of the case was resolved with the server's version (the case id).
    resolved = Signal(str)

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        case_id: str,
        language: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._tasks = tasks
        self._ledger = SyncLedger(store)
        self.case_id = case_id
        self._language = language or QLocale().name()
        self._ops = Operations(self, tasks, self._language, store=store)
        self.entries: list[LedgerEntry] = []
        self.conflicts: list[dict[str, Any]] = []
        self.resolve_buttons: list[QPushButton] = []
        self.setWindowTitle(self.tr("Delivery ledger"))
        self.resize(860, 640)

        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.state_label = QLabel(self.tr("Loading…"))
        self.state_label.setWordWrap(True)

        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Item"),
                self.tr("State"),
                self.tr("Recorded"),
                self.tr("Confirmed by the server"),
                self.tr("Details"),
            ]
        )
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for column in range(4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)

        self.conflict_box = QGroupBox(self.tr("Conflicts with the office's decisions"))
        self.conflict_layout = QVBoxLayout(self.conflict_box)
        self.conflict_box.hide()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.conflict_box)
        self._conflict_scroll = scroll
        scroll.hide()

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setDefault(True)
        close.setFocus()

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(self.title)
        layout.addWidget(self.state_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self.reload()

    # -- loading ------------------------------------------------------------------------------

    def reload(self) -> None:
        store, ledger, case_id = self._store, self._ledger, self.case_id

        def load() -> tuple[CaseRow, list[LedgerEntry], list[dict[str, Any]]]:
            return store.get_case(case_id), ledger.case_ledger(case_id), ledger.conflicts(case_id)

        self._ops.run(load, self._show, key="load", on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        text = error_text(exc, self._language)
        self.state_label.setText(self.tr("The ledger could not be read: %1").replace("%1", text))
        self.state_label.setStyleSheet(f"color: {ERROR_COLOUR};")

    def _show(self, loaded: tuple[CaseRow, list[LedgerEntry], list[dict[str, Any]]]) -> None:
        case, entries, conflicts = loaded
        self.entries, self.conflicts = entries, conflicts
        description = case.description.replace("\n", " ").strip() or self.tr("(no description)")
        if len(description) > 80:
            description = description[:79] + "…"
        self.title.setText(description)
        self.state_label.setText(self._case_state(case))
        self.state_label.setStyleSheet(
            f"color: {ERROR_COLOUR};"
            if case.delivery in (DeliveryState.FAILED, DeliveryState.CONFLICT)
            else ""
        )

        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            state = QTableWidgetItem(self.state_name(entry.state))
            colour = _state_colour(entry.state)
            if colour:
                state.setForeground(QBrush(QColor(colour)))
            error = reason_text(entry.error, self._language)
            details = QTableWidgetItem(error)
            details.setToolTip(error)
            if error:
                details.setForeground(QBrush(QColor(ERROR_COLOUR)))
            for column, item in enumerate(
                (
                    QTableWidgetItem(self.item_name(entry)),
                    state,
                    QTableWidgetItem(local_seconds(entry.created_at)),
                    QTableWidgetItem(local_seconds(entry.confirmed_at)),
                    details,
                )
            ):
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()
        self._show_conflicts(conflicts)
        self.loaded.emit(len(entries))

    def _case_state(self, case: CaseRow) -> str:
        if case.delivery == DeliveryState.CONFIRMED:
            text = self.tr("Everything in this case is confirmed by the server (%1).").replace(
                "%1", local_seconds(case.confirmed_at)
            )
        elif case.delivery == DeliveryState.FAILED:
            text = self.tr("The server refused a change: %1").replace(
                "%1", reason_text(case.delivery_error, self._language)
            )
        elif case.delivery == DeliveryState.CONFLICT:
            text = self.tr("An edit conflicts with the office's decision: see below.")
        else:
            text = self.tr("Waiting to be sent: it goes with the next sync.")
        return text

    def state_name(self, state: str) -> str:
        return {
            # A change's outbox state, or a photo's delivery (confirmed: all its bytes).
            OutboxState.PENDING: self.tr("Waiting"),
            OutboxState.SENDING: self.tr("Sending"),
            OutboxState.SENT: self.tr("Confirmed"),
            DeliveryState.CONFIRMED: self.tr("Confirmed"),
            OutboxState.FAILED: self.tr("Refused"),
            OutboxState.CONFLICT: self.tr("Conflict"),
            OutboxState.RESOLVED: self.tr("Replaced by the server's version"),
        }.get(state, state)

    def item_name(self, entry: LedgerEntry) -> str:
        if entry.kind == "photo":
            return self.tr("Photo %1").replace("%1", entry.what)
        return {
            "create": self.tr("Case created"),
            "update": self.tr("Case edited"),
            "submit": self.tr("Case submitted"),
        }.get(entry.what, entry.what)

    # -- conflicts ----------------------------------------------------------------------------

    def _show_conflicts(self, conflicts: list[dict[str, Any]]) -> None:
        while self.conflict_layout.count():
            item = self.conflict_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.resolve_buttons = []
        for conflict in conflicts:
            self.conflict_layout.addWidget(self._conflict_panel(conflict))
        self.conflict_box.setVisible(bool(conflicts))
        self._conflict_scroll.setVisible(bool(conflicts))

    def field_name(self, name: str) -> str:
        return {
            "category_code": self.tr("Category"),
            "description": self.tr("Description"),
            "address": self.tr("Address"),
            "urgency": self.tr("Urgency"),
            "lat": self.tr("Latitude"),
            "lon": self.tr("Longitude"),
            "accuracy_m": self.tr("Accuracy (m)"),
        }.get(name, name)

    def _conflict_panel(self, conflict: dict[str, Any]) -> QWidget:
        panel = QFrame()
        panel.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(panel)
        why = reason_text(conflict.get("reason"), self._language)
        heading = QLabel(
            self.tr("Your edit was not applied: the office changed this case meanwhile.")
            + (f"\n{why}" if why else "")
        )
        heading.setWordWrap(True)
        heading.setStyleSheet(f"color: {WARNING_COLOUR};")
        layout.addWidget(heading)

        mine: dict[str, Any] = conflict.get("mine") or {}
        server: dict[str, Any] = conflict.get("server") or {}
        differing = [
            name
            for name in CONFLICT_FIELDS
            if name in mine and name in server and mine[name] != server[name]
        ]
        table = QTableWidget(len(differing), 3)
        table.setHorizontalHeaderLabels(
            [self.tr("Field"), self.tr("Your version"), self.tr("The server's version")]
        )
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        table.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for row, name in enumerate(differing):
            for column, text in enumerate(
                (self.field_name(name), _value(mine.get(name)), _value(server.get(name)))
            ):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                table.setItem(row, column, item)
        table.resizeRowsToContents()
        table.setFixedHeight(
            table.horizontalHeader().sizeHint().height()
            + table.verticalHeader().length()
            + 2 * table.frameWidth()
        )
        table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        if differing:
            layout.addWidget(table)
        else:
            table.deleteLater()

        use_server = QPushButton(self.tr("Use the server's version"))
        use_server.setToolTip(
            self.tr("Your edit is kept in the ledger; the case takes the server's text.")
        )
        seq = int(conflict["seq"])
        use_server.clicked.connect(lambda: self.resolve(seq))
        self.resolve_buttons.append(use_server)
        button_row = QHBoxLayout()
        button_row.addStretch(1)
        button_row.addWidget(use_server)
        layout.addLayout(button_row)
        return panel

    def resolve(self, seq: int) -> None:
        """Take the server's version for conflict ``seq`` (database lane), then reload."""
        for button in self.resolve_buttons:
            button.setEnabled(False)
        ledger, store, case_id = self._ledger, self._store, self.case_id

        def job() -> Changes:
            return ledger.resolve_conflict(seq, store.clock())

        def done(_changes: Changes) -> None:
            self.resolved.emit(case_id)
            self.reload()

        self._ops.write(job, done, on_error=self._failed)


def _state_colour(state: str) -> str | None:
    if state in (*SETTLED_STATES, DeliveryState.CONFIRMED):
        return CONFIRMED_COLOUR
    if state in (OutboxState.FAILED, OutboxState.CONFLICT):
        return ERROR_COLOUR
    return None


def _value(value: Any) -> str:
    if value is None:
        return "—"
    return str(value).replace("\n", " ")
