"""The requests queue (申请审批): departments' extension, return and suspension requests.

The rows come from :func:`app.storage.handling.requests_queue`; approving or refusing opens the
decision dialog of the matching action (:data:`app.domain.lifecycle.APPROVAL_OF_REQUEST`, or
refuse with a reason), so the answer is checked and recorded like any decision and travels to
the department with the next sync.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.lifecycle import APPROVAL_OF_REQUEST, REQUEST_NAMES, Action
from app.storage import LocalStore
from app.storage.handling import RequestItem, requests_queue
from app.storage.supervision import DepartmentRow, departments
from app.ui.common.text import local_time
from app.ui.common.widgets import note_label, placeholder, stack, tree_view
from app.ui.panel import StorePanel
from app.ui.supervisor.base import ITEM_ROLE
from app.ui.supervisor.decision import DecisionDialog
from app.ui.tasks import TaskRunner


class RequestsPanel(StorePanel):
    """The departments' requests waiting for an answer, the oldest first."""

    #: The user asked for a case's history (its id).
    open_case = Signal(str)
    #: After each reload: how many requests wait.
    count_changed = Signal(int)
    #: The list was read and shown.
    loaded = Signal()
    #: An answer was recorded (the store's Changes).
    decided = Signal(object)

    def __init__(
        self, store: LocalStore, tasks: TaskRunner, language: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(store, tasks, language, parent, error_name="requests_error")
        self.items: list[RequestItem] = []
        #: The open answer dialog (None when none is open).
        self.decision: DecisionDialog | None = None

        header = self.header(self.tr("Requests"))
        headers = [
            self.tr("Request"),
            self.tr("Department"),
            self.tr("Case"),
            self.tr("Reason"),
            self.tr("Deadline → proposed"),
        ]
        self.tree = tree_view("requests", headers, (120, 200, 300, 260, 260), 2, nested=False)
        self.tree.itemActivated.connect(self._activated)
        self.tree.currentItemChanged.connect(self._update_buttons)
        self.empty_label = placeholder(self.tr("No request waits for an answer."))
        self.stack = stack(self.tree, self.empty_label)
        self.approve_button = QPushButton(self.tr("&Approve…"))
        self.approve_button.setObjectName("approve")
        self.approve_button.clicked.connect(self.approve_current)
        self.refuse_button = QPushButton(self.tr("&Refuse…"))
        self.refuse_button.setObjectName("refuse")
        self.refuse_button.clicked.connect(self.refuse_current)
        buttons = QHBoxLayout()
        buttons.addWidget(self.approve_button)
        buttons.addWidget(self.refuse_button)
        buttons.addStretch(1)
        legend = note_label(
            self.tr(
                "Approving an extension moves the deadline; approving a return puts the case "
                "back for dispatch; approving a suspension suspends it. A refusal needs a reason."
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

    @Slot()
    def refresh(self) -> None:
        store = self._store
        self._ops.run(
            lambda: (requests_queue(store), departments(store)),
            lambda result: self._show(*result),
            key="rows",
            on_error=self._failed,
        )

    def _show(self, items: list[RequestItem], known: list[DepartmentRow]) -> None:
        names = {d.id: d.display(self._language) for d in known}
        chosen = self.current_case()
        self.items = items
        self.error_label.hide()
        self.tree.clear()
        for item in items:
            deadlines = local_time(item.deadline) if item.deadline else "—"
            if item.proposed_deadline is not None:
                deadlines += " → " + local_time(item.proposed_deadline)
            row = QTreeWidgetItem(
                [
                    REQUEST_NAMES[item.kind].text(self._language),
                    names.get(item.department_id or "", "—"),
                    item.description.replace("\n", " "),
                    item.reason,
                    deadlines,
                ]
            )
            row.setData(0, ITEM_ROLE, item.case_id)
            row.setToolTip(3, item.reason)
            self.tree.addTopLevelItem(row)
        self.stack.setCurrentWidget(self.tree if items else self.empty_label)
        self.summary_label.setText(self.tr("Waiting: %1").replace("%1", str(len(items))))
        if (chosen is None or not self.select_case(chosen)) and items:
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self._update_buttons()
        self.count_changed.emit(len(items))
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self._show_failure(self.tr("The requests could not be read: %1"), exc)

    def current_case(self) -> str | None:
        item = self.tree.currentItem()
        value = item.data(0, ITEM_ROLE) if item is not None else None
        return str(value) if value else None

    def select_case(self, case_id: str) -> bool:
        for n in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(n)
            if item.data(0, ITEM_ROLE) == case_id:
                self.tree.setCurrentItem(item)
                return True
        return False

    def _update_buttons(self, *_args: object) -> None:
        chosen = self.current_case() is not None
        self.approve_button.setEnabled(chosen)
        self.refuse_button.setEnabled(chosen)

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        case_id = item.data(0, ITEM_ROLE)
        if case_id:
            self.open_case.emit(str(case_id))

    @Slot()
    def approve_current(self) -> None:
        case_id = self.current_case()
        item = next((i for i in self.items if i.case_id == case_id), None)
        if item is not None:
            self._answer(item.case_id, APPROVAL_OF_REQUEST[item.kind])

    @Slot()
    def refuse_current(self) -> None:
        case_id = self.current_case()
        if case_id is not None:
            self._answer(case_id, Action.REFUSE_REQUEST)

    def _answer(self, case_id: str, action: Action) -> None:
        dialog = DecisionDialog(
            self._store, self._tasks, self._language, case_id, action, parent=self
        )
        dialog.decided.connect(self.decided.emit)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.decision = dialog
        dialog.destroyed.connect(lambda: setattr(self, "decision", None))
        dialog.open()
