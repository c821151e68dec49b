"""The tasks inbox: cases returned for correction and re-inspections assigned to the inspector.

Each item shows its kind, the case (category, description, address), the office's latest
opinion and — for a re-inspection — the department's deadline. Enter or a double-click acts on
the selected item: a returned case is opened for correction (:attr:`InboxWidget.open_case`), a
re-inspection is started (:attr:`InboxWidget.reinspect`). The list is read in the database lane.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.taxonomy import Taxonomy
from app.storage import LocalStore
from app.storage.inbox import InboxItem, InboxKind, inbox
from app.storage.store import Changes
from app.ui.common.style import ERROR_COLOUR
from app.ui.common.text import category_text, local_time
from app.ui.common.widgets import placeholder, stack
from app.ui.panel import StorePanel
from app.ui.tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex
#: The item behind a row (an :class:`InboxItem`).
ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
ROW_HEIGHT = 76
#: Accent colours of the two kinds (the stripe and the badge), readable on light and dark.
KIND_COLOURS = {InboxKind.RETURNED: "#c05a00", InboxKind.REINSPECTION: "#1565c0"}


class InboxModel(QAbstractListModel):
    """The inbox items, newest first (replaced as a whole by :meth:`set_items`)."""

    def __init__(self, taxonomy: Taxonomy, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._taxonomy = taxonomy
        self._language = language
        self.items: list[InboxItem] = []

    def set_items(self, items: list[InboxItem]) -> None:
        self.beginResetModel()
        self.items = items
        self.endResetModel()

    def kind_text(self, kind: InboxKind) -> str:
        if kind is InboxKind.RETURNED:
            return self.tr("Returned for correction")
        return self.tr("Re-inspection")

    def category(self, item: InboxItem) -> str:
        return category_text(self._taxonomy, item.category_code, self._language)

    def department(self, item: InboxItem) -> str:
        return item.department.text(self._language) if item.department else ""

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.items):
            return None
        item = self.items[index.row()]
        if role == ITEM_ROLE:
            return item
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            # What keyboard search and screen readers get; the delegate draws the item itself.
            parts = [self.kind_text(item.kind), self.category(item), item.description]
            if item.opinion:
                parts.append(item.opinion)
            return " — ".join(p for p in parts if p)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [item.description]
            if item.address:
                lines.append(self.tr("Address: %1").replace("%1", item.address))
            if item.opinion:
                lines.append(self.tr("Opinion: %1").replace("%1", item.opinion))
            return "\n".join(lines)
        return None


class InboxDelegate(QStyledItemDelegate):
    """Draws an item as a card: kind badge and category, the case, the opinion, the deadline."""

    PADDING = 10
    STRIPE = 4

    def __init__(self, model: InboxModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model

    LINE_GAP = 4

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        # The same for every row (the view never measures rows): three lines and the padding.
        content = 3 * option.fontMetrics.height() + 2 * self.LINE_GAP
        return QSize(option.rect.width(), max(ROW_HEIGHT, content + 2 * self.PADDING))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        item = index.data(ITEM_ROLE)
        if not isinstance(item, InboxItem):
            super().paint(painter, option, index)
            return
        painter.save()
        style = option.widget.style() if option.widget else QApplication.style()
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, opt.widget)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        text_colour = palette.color(
            QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        )
        muted = QColor(text_colour)
        muted.setAlphaF(0.7)
        accent = QColor(KIND_COLOURS[item.kind])
        rect = option.rect
        painter.fillRect(QRect(rect.left(), rect.top() + 1, self.STRIPE, rect.height() - 2), accent)
        # The separator between cards.
        line = QColor(palette.color(QPalette.ColorRole.Mid))
        line.setAlphaF(0.5)
        painter.setPen(line)
        painter.drawLine(rect.left(), rect.bottom(), rect.right(), rect.bottom())

        left = rect.left() + self.STRIPE + self.PADDING
        right = rect.right() - self.PADDING
        base = QFont(option.font)
        bold = QFont(base)
        bold.setBold(True)
        small = QFont(base)
        small.setPointSizeF(max(base.pointSizeF() * 0.9, 7.0))
        line_height = QFontMetrics(base).height()
        content = 3 * line_height + 2 * self.LINE_GAP
        top = rect.top() + max(self.PADDING // 2, (rect.height() - content) // 2)

        # Line 1: badge, category; on the right the deadline or when it arrived.
        badge_text = self._model.kind_text(item.kind)
        painter.setFont(small)
        small_metrics = QFontMetrics(small)
        badge = QRect(left, top, small_metrics.horizontalAdvance(badge_text) + 14, line_height)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # On the selection colour the badge gets a white outline, so it stays visible.
        painter.setPen(QColor("white") if selected else Qt.PenStyle.NoPen)
        painter.setBrush(accent)
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(QColor("white"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, badge_text)

        when, when_colour, overdue = self._when(item, text_colour, muted)
        if selected:  # the accent colours are unreadable on the selection colour
            when_colour = text_colour
        when_font = bold if overdue else base
        painter.setFont(when_font)
        when_width = QFontMetrics(when_font).horizontalAdvance(when)
        painter.setPen(when_colour)
        painter.drawText(
            QRect(right - when_width, top, when_width, line_height),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            when,
        )
        painter.setFont(bold)
        painter.setPen(text_colour)
        title_left = badge.right() + 10
        title_width = max(0, right - when_width - 16 - title_left)
        title = QFontMetrics(bold).elidedText(
            self._model.category(item) or self.tr("No category"),
            Qt.TextElideMode.ElideRight,
            title_width,
        )
        painter.drawText(
            QRect(title_left, top, title_width, line_height),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            title,
        )

        # Line 2: the description and the address.
        top += line_height + self.LINE_GAP
        painter.setFont(base)
        summary = item.description.replace("\n", " ")
        if item.address:
            summary = f"{summary}  ·  {item.address}" if summary else item.address
        painter.setPen(text_colour)
        painter.drawText(
            QRect(left, top, right - left, line_height),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            QFontMetrics(base).elidedText(summary, Qt.TextElideMode.ElideRight, right - left),
        )

        # Line 3: the office's opinion (or that it gave none).
        top += line_height + self.LINE_GAP
        italic = QFont(base)
        italic.setItalic(bool(item.opinion))
        painter.setFont(italic)
        painter.setPen(muted)
        if item.opinion:
            said = self.tr("Supervisor: “%1”").replace("%1", item.opinion.replace("\n", " "))
        else:
            said = self.tr("No opinion given")
        department = self._model.department(item)
        if department:
            said = f"{said}  ·  {department}"
        painter.drawText(
            QRect(left, top, right - left, line_height),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            QFontMetrics(italic).elidedText(said, Qt.TextElideMode.ElideRight, right - left),
        )
        painter.restore()

    def _when(self, item: InboxItem, normal: QColor, muted: QColor) -> tuple[str, QColor, bool]:
        """What the right of the first line says, its colour, and whether it is overdue."""
        if item.deadline is None:
            return self.tr("Returned %1").replace("%1", local_time(item.since)), muted, False
        when = local_time(item.deadline)
        if item.deadline < datetime.now(UTC):
            return self.tr("Overdue since %1").replace("%1", when), QColor(ERROR_COLOUR), True
        return self.tr("Deadline %1").replace("%1", when), normal, False


class InboxWidget(StorePanel):
    """The inbox list with its actions; :meth:`refresh` reads it again from the store."""

    #: A returned case to correct (its id): the case editor opens it.
    open_case = Signal(str)
    #: A re-inspection to do (its id): the re-inspection dialog opens for it.
    reinspect = Signal(str)
    #: After each refresh: how many returned cases and re-inspections there are.
    counts_changed = Signal(int, int)

    def __init__(
        self, store: LocalStore, tasks: TaskRunner, language: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(store, tasks, language, parent)
        self.refresh_button.setText(self.tr("&Refresh"))
        self.refresh_button.setToolTip(self.tr("Read the inbox again from this laptop's store"))
        header = self.header(self.tr("Tasks"))

        self.model = InboxModel(store.taxonomy, language, self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(InboxDelegate(self.model, self.view))
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setMouseTracking(True)
        self.view.setAccessibleName(self.tr("Tasks inbox"))
        self.view.activated.connect(self._activate)
        self.view.selectionModel().currentChanged.connect(self._update_buttons)

        self.empty_label = placeholder(
            self.tr(
                "Nothing to do.\nCases returned to you for correction and re-inspections "
                "assigned to you appear here after a sync."
            )
        )
        self.stack = stack(self.view, self.empty_label)

        self.open_button = QPushButton(self.tr("&Correct and resubmit…"))
        self.open_button.setToolTip(self.tr("Open the returned case to correct it"))
        self.open_button.clicked.connect(self._open_current)
        self.reinspect_button = QPushButton(self.tr("Re-&inspect…"))
        self.reinspect_button.setToolTip(
            self.tr("Record the result of the re-inspection with “after” photos")
        )
        self.reinspect_button.clicked.connect(self._reinspect_current)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.reinspect_button)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.error_label)
        layout.addLayout(buttons)
        self.setFocusProxy(self.view)
        self._update_buttons()
        self.watch_store()
        # Once the event loop runs: the database lane is one queue, and in the main window the
        # case list's first screen (queued at the end of its set-up) goes first (start-up).
        QTimer.singleShot(0, self, self.refresh)

    def add_section(self, widget: QWidget) -> None:
        """Another list of the inspector's tasks under the inbox (the key-site rounds)."""
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.addWidget(widget)

    # -- loading --------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Read the inbox again (in the database lane); the selection is kept when it can be."""
        store = self._store
        self._ops.run(lambda: inbox(store), self._show, key="inbox", on_error=self._failed)

    def refreshes_on(self, changes: Changes) -> bool:
        """Only what can change the inbox: steps (a case returned, a re-inspection assigned or
        done) or a case it lists (its description, photos)."""
        listed = {item.case_id for item in self.model.items}
        return bool(changes.everything or changes.steps or changes.cases & listed)

    def _show(self, items: list[InboxItem]) -> None:
        selected = self.current_item()
        self.model.set_items(items)
        self.error_label.hide()
        self.stack.setCurrentWidget(self.view if items else self.empty_label)
        returned = sum(1 for i in items if i.kind is InboxKind.RETURNED)
        reinspections = len(items) - returned
        if items:
            self.summary_label.setText(
                self.tr("Returned for correction: %1").replace("%1", str(returned))
                + "   ·   "
                + self.tr("Re-inspections: %1").replace("%1", str(reinspections))
            )
        else:
            self.summary_label.setText("")
        row = next(
            (n for n, i in enumerate(items) if selected and i.case_id == selected.case_id), 0
        )
        if items:
            self.view.setCurrentIndex(self.model.index(row))
        self._update_buttons()
        self.counts_changed.emit(returned, reinspections)

    def _failed(self, exc: BaseException) -> None:
        self._show_failure(self.tr("The inbox could not be read: %1"), exc)

    # -- actions --------------------------------------------------------------------------

    def current_item(self) -> InboxItem | None:
        item = self.view.currentIndex().data(ITEM_ROLE)
        return item if isinstance(item, InboxItem) else None

    def _update_buttons(self) -> None:
        item = self.current_item()
        self.open_button.setEnabled(item is not None and item.kind is InboxKind.RETURNED)
        self.reinspect_button.setEnabled(item is not None and item.kind is InboxKind.REINSPECTION)

    def _activate(self, index: QModelIndex) -> None:
        item = index.data(ITEM_ROLE)
        if not isinstance(item, InboxItem):
            return
        if item.kind is InboxKind.RETURNED:
            self.open_case.emit(item.case_id)
        else:
            self.reinspect.emit(item.case_id)

    def _open_current(self) -> None:
        item = self.current_item()
        if item is not None and item.kind is InboxKind.RETURNED:
            self.open_case.emit(item.case_id)

    def _reinspect_current(self) -> None:
        item = self.current_item()
        if item is not None and item.kind is InboxKind.REINSPECTION:
            self.reinspect.emit(item.case_id)
