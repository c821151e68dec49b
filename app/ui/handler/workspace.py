"""The department's task list (任务列表) and the steps on the selected task.

The rows come from :func:`app.storage.handling.task_list` (the open assignments of the
department, the most urgent first); which buttons are enabled is the shared state machine's
(:func:`app.domain.lifecycle.apply_transition` with the task's state), so the handler is told
at once, offline, what it may do.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor, QIcon
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.deadlines import TrafficLight
from app.domain.errors import TransitionError
from app.domain.lifecycle import REQUEST_NAMES, Action, RequestKind
from app.storage import LocalStore
from app.storage.handling import HandlerTask, sign_for, task_list
from app.ui.common.style import LIGHT_COLOURS, light_pixmap
from app.ui.common.text import category_text, error_text, local_time, percent
from app.ui.common.widgets import note_label, placeholder, stack, tree_view
from app.ui.handler.handled import HandledDialog
from app.ui.panel import StorePanel
from app.ui.supervisor.base import ITEM_ROLE, Clock, utc_now
from app.ui.supervisor.decision import DecisionDialog
from app.ui.tasks import TaskRunner

#: The request buttons: the action each asks with.
REQUESTS = (
    (RequestKind.EXTENSION, Action.REQUEST_EXTENSION),
    (RequestKind.RETURN, Action.REQUEST_RETURN),
    (RequestKind.SUSPENSION, Action.REQUEST_SUSPENSION),
)


class HandlerPanel(StorePanel):
    """The department's open tasks, a traffic light each, and what it may do on the selected one."""

    #: The user asked for a case's history (its id).
    open_case = Signal(str)
    #: After each reload: how many tasks are open, and how many still to sign for.
    counts_changed = Signal(int, int)
    #: The list was read and shown.
    loaded = Signal()
    #: A step was recorded here (the store's Changes).
    acted = Signal(object)

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        language: str,
        parent: QWidget | None = None,
        *,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(store, tasks, language, parent, error_name="handler_error")
        self._clock = clock
        self.rows: list[HandlerTask] = []
        #: The open request or report dialog (None when none is open).
        self.dialog: DecisionDialog | HandledDialog | None = None

        header = self.header(self.tr("Department tasks"))

        headers = [
            self.tr("Case"),
            self.tr("Deadline"),
            self.tr("Time used"),
            self.tr("Signed for"),
            self.tr("Request"),
        ]
        self.tree = tree_view("handler_tasks", headers, (420, 150, 100, 100, 200), 0, nested=False)
        self.tree.itemActivated.connect(self._activated)
        self.tree.currentItemChanged.connect(self._update_buttons)
        self.empty_label = placeholder(self.tr("No open task for your department."))
        self.stack = stack(self.tree, self.empty_label)

        self.sign_button = QPushButton(self.tr("&Sign for"))
        self.sign_button.setObjectName("sign_for")
        self.sign_button.clicked.connect(self.sign_for_current)
        self.handled_button = QPushButton(self.tr("Report &handled…"))
        self.handled_button.setObjectName("report_handled")
        self.handled_button.clicked.connect(self.report_current)
        self.request_buttons: dict[Action, QPushButton] = {}
        labels = {
            Action.REQUEST_EXTENSION: self.tr("Ask for an &extension…"),
            Action.REQUEST_RETURN: self.tr("Ask to re&turn…"),
            Action.REQUEST_SUSPENSION: self.tr("Ask for s&uspension…"),
        }
        self.history_button = QPushButton(self.tr("History…"))
        self.history_button.clicked.connect(self.open_current)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sign_button)
        buttons.addWidget(self.handled_button)
        for _kind, action in REQUESTS:
            button = QPushButton(labels[action])
            button.setObjectName(action.value)
            button.clicked.connect(lambda _=False, a=action: self.ask_current(a))
            self.request_buttons[action] = button
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.history_button)

        legend = note_label(
            self.tr(
                "Green: under 80 % of the time limit used · yellow: 80–100 % · red: overdue. "
                "Sign for a task, then report it handled with “after” photos; requests go to "
                "the command centre with the next sync."
            )
        )

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.error_label)
        layout.addWidget(legend)
        self.setFocusProxy(self.tree)
        self.watch_store()
        self._update_buttons()
        self.refresh()

    # -- reading --------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        store, now, language = self._store, self._clock(), self._language
        self._ops.run(
            lambda: task_list(store, now, language),
            self._show,
            key="rows",
            on_error=self._failed,
        )

    def _show(self, rows: list[HandlerTask]) -> None:
        chosen = self.current_case()
        self.rows = rows
        self.error_label.hide()
        self.tree.clear()
        for row in rows:
            self.tree.addTopLevelItem(self._row_item(row))
        self.stack.setCurrentWidget(self.tree if rows else self.empty_label)
        unsigned = sum(1 for r in rows if not r.signed)
        self.summary_label.setText(
            self.tr("Open: %1   ·   to sign for: %2")
            .replace("%1", str(len(rows)))
            .replace("%2", str(unsigned))
        )
        if chosen is not None:
            self.select_case(chosen)
        elif rows:
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self._update_buttons()
        self.counts_changed.emit(len(rows), unsigned)
        self.loaded.emit()

    def _row_item(self, row: HandlerTask) -> QTreeWidgetItem:
        category = category_text(self._store.taxonomy, row.category_code, self._language)
        summary = "  ·  ".join(
            p for p in (category, (row.description or "").replace("\n", " ")) if p
        )
        request = REQUEST_NAMES[row.request].text(self._language) if row.request else "—"
        if row.request:
            request = self.tr("%1 (waiting)").replace("%1", request)
        item = QTreeWidgetItem(
            [
                summary,
                local_time(row.deadline) if row.deadline is not None else "—",
                self.tr("%1 %").replace("%1", percent(row.used)) if row.used is not None else "—",
                self.tr("Yes") if row.signed else self.tr("Not yet"),
                request,
            ]
        )
        item.setIcon(0, QIcon(light_pixmap(row.light)))
        item.setData(0, ITEM_ROLE, row.case_id)
        item.setToolTip(0, "\n".join(p for p in (category, row.description, row.address) if p))
        if row.light is TrafficLight.RED:
            item.setForeground(1, QColor(LIGHT_COLOURS[TrafficLight.RED]))
        if row.waiting:
            item.setToolTip(3, self.tr("Waiting to be sent with the next sync"))
        return item

    def _failed(self, exc: BaseException) -> None:
        self._show_failure(self.tr("The tasks could not be read: %1"), exc)

    # -- selection ------------------------------------------------------------------------

    def current_case(self) -> str | None:
        item = self.tree.currentItem()
        value = item.data(0, ITEM_ROLE) if item is not None else None
        return str(value) if value else None

    def current_task(self) -> HandlerTask | None:
        case_id = self.current_case()
        return next((r for r in self.rows if r.case_id == case_id), None)

    def select_case(self, case_id: str) -> bool:
        for n in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(n)
            if item.data(0, ITEM_ROLE) == case_id:
                self.tree.setCurrentItem(item)
                return True
        return False

    def _update_buttons(self, *_args: object) -> None:
        task = self.current_task()
        signed = task is not None and task.signed
        open_request = task is not None and task.request is not None
        self.sign_button.setEnabled(task is not None and not signed)
        self.handled_button.setEnabled(signed)
        for button in self.request_buttons.values():
            button.setEnabled(signed and not open_request)
        self.history_button.setEnabled(task is not None)

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        case_id = item.data(0, ITEM_ROLE)
        if case_id:
            self.open_case.emit(str(case_id))

    @Slot()
    def open_current(self) -> None:
        item = self.tree.currentItem()
        if item is not None:
            self._activated(item, 0)

    # -- steps ----------------------------------------------------------------------------

    @Slot()
    def sign_for_current(self) -> None:
        case_id = self.current_case()
        if case_id is None:
            return
        store = self._store
        self.error_label.hide()
        self._ops.write(lambda: sign_for(store, case_id), self.acted.emit, on_error=self._refused)

    @Slot()
    def report_current(self) -> None:
        case_id = self.current_case()
        if case_id is None:
            return
        dialog = HandledDialog(self._store, self._tasks, self._language, case_id, self)
        dialog.recorded.connect(self.acted.emit)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.dialog = dialog
        dialog.destroyed.connect(lambda: setattr(self, "dialog", None))
        dialog.open()

    def ask_current(self, action: Action) -> None:
        case_id = self.current_case()
        if case_id is None:
            return
        dialog = DecisionDialog(
            self._store, self._tasks, self._language, case_id, action, parent=self
        )
        dialog.decided.connect(self.acted.emit)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.dialog = dialog
        dialog.destroyed.connect(lambda: setattr(self, "dialog", None))
        dialog.open()

    def _refused(self, exc: BaseException) -> None:
        text = error_text(exc, self._language)
        if isinstance(exc, TransitionError):
            text = exc.text(self._language)
        self._show_error(text)


__all__ = ["HandlerPanel"]
