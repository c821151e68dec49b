"""The deadlines (督办): dispatched cases overdue and due soon, by department, a traffic light each.

The rows come from :func:`app.storage.deadlines.deadline_rows` (one read however many cases
there are); this screen only groups, filters and shows them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QIcon
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.deadlines import TrafficLight
from app.storage import LocalStore
from app.storage.deadlines import DeadlineRow, deadline_rows
from app.storage.supervision import DepartmentRow, departments
from app.ui.common.style import LIGHT_COLOURS, light_pixmap
from app.ui.common.text import category_text, local_time, percent, status_text
from app.ui.common.widgets import note_label, placeholder, stack, tree_view
from app.ui.panel import StorePanel
from app.ui.supervisor.base import ITEM_ROLE, Clock, utc_now
from app.ui.tasks import TaskRunner


class AssignmentsPanel(StorePanel):
    """Dispatched cases overdue and due soon, filterable by department; a traffic light each."""

    #: The user asked for a case's history (its id).
    open_case = Signal(str)
    #: After each reload: how many are overdue, and how many due soon.
    counts_changed = Signal(int, int)
    #: The list was read and shown.
    loaded = Signal()

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        language: str,
        parent: QWidget | None = None,
        *,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(store, tasks, language, parent, error_name="assignments_error")
        self._clock = clock
        self.rows: list[DeadlineRow] = []

        self.department_filter = QComboBox()
        self.department_filter.setObjectName("department_filter")
        self.department_filter.setAccessibleName(self.tr("Department"))
        self.department_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.department_filter.addItem(self.tr("All departments"), None)
        self.department_filter.currentIndexChanged.connect(self._populate)
        self.show_all = QComboBox()
        self.show_all.setObjectName("scope_filter")
        self.show_all.addItem(self.tr("Overdue and due soon"), False)
        self.show_all.addItem(self.tr("All open assignments"), True)
        self.show_all.currentIndexChanged.connect(self._populate)
        header = self.header(
            self.tr("Deadlines"),
            QLabel(self.tr("Department:")),
            self.department_filter,
            self.show_all,
        )

        headers = [
            self.tr("Case"),
            self.tr("Department"),
            self.tr("Deadline"),
            self.tr("Time used"),
            self.tr("Status"),
        ]
        self.tree = tree_view("assignments", headers, (420, 220, 150, 110, 120), 0, nested=True)
        self.tree.itemActivated.connect(self._activated)
        self.empty_label = placeholder(self.tr("No dispatched case is overdue or due soon."))
        self.stack = stack(self.tree, self.empty_label)
        legend = note_label(
            self.tr(
                "Green: under 80 % of the time limit used · yellow: 80–100 % · red: overdue. "
                "Double-click a case for its history."
            )
        )

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(legend)
        self.setFocusProxy(self.tree)
        self.watch_store()
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        store, now, language = self._store, self._clock(), self._language
        self._ops.run(
            lambda: (deadline_rows(store, now, language), departments(store)),
            lambda result: self._show(*result),
            key="rows",
            on_error=self._failed,
        )

    def _show(self, rows: list[DeadlineRow], known: list[DepartmentRow]) -> None:
        self.rows = rows
        chosen = self.department_filter.currentData()
        self.department_filter.blockSignals(True)
        while self.department_filter.count() > 1:
            self.department_filter.removeItem(1)
        for department in known:
            self.department_filter.addItem(department.display(self._language), department.id)
        index = self.department_filter.findData(chosen) if chosen is not None else 0
        self.department_filter.setCurrentIndex(max(index, 0))
        self.department_filter.blockSignals(False)
        self.error_label.hide()
        overdue = sum(1 for r in rows if r.overdue)
        soon = sum(1 for r in rows if r.due_soon and not r.overdue)
        self.summary_label.setText(
            self.tr("Overdue: %1   ·   due soon: %2   ·   open: %3")
            .replace("%1", str(overdue))
            .replace("%2", str(soon))
            .replace("%3", str(len(rows)))
        )
        self._populate()
        self.counts_changed.emit(overdue, soon)
        self.loaded.emit()

    def _populate(self, *_args: object) -> None:
        department = self.department_filter.currentData()
        everything = bool(self.show_all.currentData())
        rows = [r for r in self.rows if department is None or r.department_id == department]
        groups = [
            (self.tr("Overdue"), [r for r in rows if r.overdue], TrafficLight.RED),
            (
                self.tr("Due soon"),
                [r for r in rows if r.due_soon and not r.overdue],
                TrafficLight.YELLOW,
            ),
        ]
        if everything:
            groups.append(
                (
                    self.tr("On schedule"),
                    [r for r in rows if not r.overdue and not r.due_soon],
                    TrafficLight.GREEN,
                )
            )
        self.tree.clear()
        shown = 0
        for title, members, light in groups:
            if not members:
                continue
            group = QTreeWidgetItem([f"{title} ({len(members)})"])
            group.setIcon(0, QIcon(light_pixmap(light)))
            group.setFirstColumnSpanned(True)
            font = QFont(self.tree.font())
            font.setBold(True)
            group.setFont(0, font)
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(group)
            group.setFirstColumnSpanned(True)
            for row in members:  # by deadline, as open_assignments() sorts them
                group.addChild(self._row_item(row))
                shown += 1
            group.setExpanded(True)
        self.stack.setCurrentWidget(self.tree if shown else self.empty_label)
        self.empty_label.setText(
            self.tr("No open assignment for this department.")
            if department is not None and everything
            else self.tr("No dispatched case is overdue or due soon.")
        )

    def _row_item(self, row: DeadlineRow) -> QTreeWidgetItem:
        category = category_text(self._store.taxonomy, row.category_code, self._language)
        summary = "  ·  ".join(
            p for p in (category, (row.description or "").replace("\n", " ")) if p
        )
        item = QTreeWidgetItem(
            [
                summary,
                row.department or "—",
                local_time(row.deadline) if row.deadline is not None else "—",
                self.tr("%1 %").replace("%1", percent(row.used)) if row.used is not None else "—",
                status_text(row.status, self._language),
            ]
        )
        item.setIcon(0, QIcon(light_pixmap(row.light)))
        item.setData(0, ITEM_ROLE, row.case_id)
        item.setToolTip(1, row.department)
        item.setToolTip(0, "\n".join(p for p in (category, row.description, row.address) if p))
        if row.overdue:
            item.setForeground(2, QColor(LIGHT_COLOURS[TrafficLight.RED]))
        return item

    def _activated(self, item: QTreeWidgetItem, _column: int) -> None:
        case_id = item.data(0, ITEM_ROLE)
        if case_id:
            self.open_case.emit(str(case_id))

    @Slot()
    def open_current(self) -> None:
        item = self.tree.currentItem()
        if item is not None:
            self._activated(item, 0)

    def _failed(self, exc: BaseException) -> None:
        self._show_failure(self.tr("The deadlines could not be read: %1"), exc)
