"""The main window's navigation: its pages in groups, listed down the left, one shown at a time.

A supervisor has a dozen pages (cases, tasks, the map, inspections, review, requests, deadlines,
the office map, the dashboard, coverage, assessment…): one row of tabs holds them only on a wide
screen and makes them hard to find. The navigator lists them by group under a header each —
巡查 Patrol, 处置 Department, 指挥 Office, 统计 Analysis, 管理 Administration — in a list on the
left, the way mail, chat and GIS desktop clients do, and shows the chosen page in a stack beside
it. The list is as narrow as its titles, so the window works from 1024 px wide.

The groups keep their order whatever order pages are added in; a group without pages has no
header. Each page sits in a scroll area of its own, so a page that needs more room than a small
screen gives scrolls instead of widening the window past the screen. The arrow keys, Home and End move between pages (the headers are skipped: they cannot
be chosen), and a page's title carries its counts ("Review (3)").

For the code and the tests written against the former QTabWidget the navigator answers the
part of its API they use — :meth:`setCurrentWidget`, :meth:`currentWidget`, :meth:`indexOf`,
:meth:`tabText`, :meth:`setTabText`, :meth:`count`, :meth:`widget`, :meth:`setCurrentIndex` and
:attr:`currentChanged` — where an index is the order pages were added in (0 = the first added).
"""

from __future__ import annotations

import enum

from PySide6.QtCore import QCoreApplication, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QScrollArea,
    QStackedWidget,
    QWidget,
)

#: The widest a title is given room for before it wraps (in pixels).
MAX_LIST_WIDTH = 220
#: A page item's data: the page widget it shows (None: a group's header).
PAGE_ROLE = Qt.ItemDataRole.UserRole + 1


class NavGroup(enum.IntEnum):
    """The navigation's groups, in the order they are listed."""

    PATROL = 1  # 巡查: the inspector's cases, tasks, map, scored inspections
    DEPARTMENT = 2  # 处置: a department's tasks
    OFFICE = 3  # 指挥: the office's review, requests, deadlines, map
    ANALYSIS = 4  # 统计: the dashboard, coverage, assessment
    ADMIN = 5  # 管理: administration (checklists…)


def group_title(group: NavGroup) -> str:
    translate = QCoreApplication.translate
    return {
        NavGroup.PATROL: translate("Navigator", "Patrol"),
        NavGroup.DEPARTMENT: translate("Navigator", "Department"),
        NavGroup.OFFICE: translate("Navigator", "Office"),
        NavGroup.ANALYSIS: translate("Navigator", "Analysis"),
        NavGroup.ADMIN: translate("Navigator", "Administration"),
    }[group]


class _PageList(QListWidget):
    """The list of pages: Home and End go to the first and the last page, not to a header
    (the arrow keys skip the headers by themselves: they are disabled items)."""

    def moveCursor(
        self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        Move = QAbstractItemView.CursorAction  # noqa: N806
        if action in (Move.MoveHome, Move.MoveEnd):
            rows = range(self.count())
            for row in rows if action == Move.MoveHome else reversed(rows):
                item = self.item(row)
                if item.flags() & Qt.ItemFlag.ItemIsEnabled:
                    return self.indexFromItem(item)
        return super().moveCursor(action, modifiers)


class Navigator(QWidget):
    """A list of pages by group on the left and the chosen page beside it."""

    #: The page shown changed: its index (the order pages were added in).
    currentChanged = Signal(int)  # noqa: N815 - QTabWidget's name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = _PageList()
        self.list.setObjectName("navigation")
        self.list.setAccessibleName(self.tr("Navigation"))
        self.list.setAccessibleDescription(self.tr("The pages of the window, by group"))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setUniformItemSizes(False)
        self.list.setSpacing(1)
        self.list.setFrameShape(QFrame.Shape.NoFrame)
        self.list.setSizeAdjustPolicy(QListWidget.SizeAdjustPolicy.AdjustIgnored)
        self.pages = QStackedWidget()
        #: Page widgets in the order they were added (QTabWidget's indexes).
        self._order: list[QWidget] = []
        self._items: dict[int, QListWidgetItem] = {}  # id(page) → its item
        self._headers: dict[NavGroup, QListWidgetItem] = {}
        self._groups: dict[int, NavGroup] = {}  # id(page) → its group
        self._frames: dict[int, QScrollArea] = {}  # id(page) → the scroll area it sits in
        self._width = 0  # the list's width: it grows with the titles, never shrinks
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.list)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.VLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(line)
        layout.addWidget(self.pages, 1)
        self.list.currentItemChanged.connect(self._item_chosen)
        self._fit_width()

    # -- pages ----------------------------------------------------------------------------

    def add_page(self, group: NavGroup, page: QWidget, title: str) -> None:
        """List ``page`` as ``title`` at the end of ``group`` (the group's header first, if
        it is the group's first page). The first page added is shown."""
        if id(page) in self._items:
            raise ValueError(f"{title!r} is already a page")
        header = self._headers.get(group)
        if header is None:
            header = QListWidgetItem(group_title(group))
            header.setFlags(Qt.ItemFlag.NoItemFlags)  # not chosen; the arrow keys skip it
            font = QFont(self.list.font())
            font.setBold(True)
            font.setPointSizeF(font.pointSizeF() * 0.9)
            header.setFont(font)
            header.setForeground(self.palette().brush(QPalette.ColorRole.Mid).color().darker(150))
            # Room above a header separates the groups.
            header.setSizeHint(QSize(0, QFontMetrics(font).height() + 14))
            header.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
            self.list.insertItem(self._end_of_groups_before(group), header)
            self._headers[group] = header
        item = QListWidgetItem(title)
        item.setData(PAGE_ROLE, page)
        item.setSizeHint(QSize(0, self.list.fontMetrics().height() + 10))
        self.list.insertItem(self._end_of(group), item)
        self._items[id(page)] = item
        self._groups[id(page)] = group
        self.set_title(page, title)
        self._order.append(page)
        frame = QScrollArea()
        frame.setWidgetResizable(True)  # the page fills it, scrolls only below its minimum
        frame.setFrameShape(QFrame.Shape.NoFrame)
        frame.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        frame.setWidget(page)
        self._frames[id(page)] = frame
        self.pages.addWidget(frame)
        self._fit_width()
        if len(self._order) == 1:
            self.setCurrentWidget(page)

    def _end_of_groups_before(self, group: NavGroup) -> int:
        """The row where ``group``'s header goes: after every group listed before it."""
        row = 0
        for other in sorted(self._headers):
            if other < group:
                row = self._end_of(other)
        return row

    def _end_of(self, group: NavGroup) -> int:
        """The row after ``group``'s last item."""
        row = self.list.row(self._headers[group]) + 1
        while row < self.list.count():
            page = self.list.item(row).data(PAGE_ROLE)
            if page is None or self._groups.get(id(page)) is not group:
                break
            row += 1
        return row

    def set_title(self, page: QWidget, title: str) -> None:
        """The page's title in the list (with its counts): the list widens for it, up to
        :data:`MAX_LIST_WIDTH`, and never narrows, so it does not jump as counts change."""
        item = self._items[id(page)]
        item.setText(title)
        item.setToolTip(title)  # in full, where a long one is cut short
        item.setData(
            Qt.ItemDataRole.AccessibleTextRole, f"{title} ({group_title(self._groups[id(page)])})"
        )
        self._fit_width()

    def title(self, page: QWidget) -> str:
        return self._items[id(page)].text()

    def group_of(self, page: QWidget) -> NavGroup:
        return self._groups[id(page)]

    def listed(self) -> list[tuple[str, QWidget | None]]:
        """The list top to bottom: ``(text, page)``, a header's page being None."""
        return [
            (self.list.item(row).text(), self.list.item(row).data(PAGE_ROLE))
            for row in range(self.list.count())
        ]

    def item_of(self, page: QWidget) -> QListWidgetItem:
        return self._items[id(page)]

    def step(self, offset: int) -> None:
        """The next (1) or previous (-1) page of the list, wrapping around."""
        shown = [page for _, page in self.listed() if page is not None]
        current = self.currentWidget()
        if not shown or current is None:
            return
        index = shown.index(current) if current in shown else 0
        self.setCurrentWidget(shown[(index + offset) % len(shown)])

    def _item_chosen(self, item: QListWidgetItem | None, _previous: object) -> None:
        page = item.data(PAGE_ROLE) if item is not None else None
        if item is None or page is None:
            return
        self.pages.setAccessibleName(item.text())
        frame = self._frames[id(page)]
        if self.pages.currentWidget() is not frame:
            self.pages.setCurrentWidget(frame)
            self.currentChanged.emit(self._order.index(page))

    def _fit_width(self) -> None:
        """As wide as the longest title (headers in their bold font), never narrower than
        before, at most :data:`MAX_LIST_WIDTH` (longer titles are cut short, with "…")."""
        widest = 0
        for row in range(self.list.count()):
            item = self.list.item(row)
            widest = max(widest, QFontMetrics(item.font()).horizontalAdvance(item.text()))
        self._width = min(max(widest + 28, 120, self._width), MAX_LIST_WIDTH)
        self.list.setFixedWidth(self._width)

    # -- the part of QTabWidget's API the window's code and its tests use -----------------

    def setCurrentWidget(self, page: QWidget) -> None:
        item = self._items[id(page)]
        self.list.setCurrentItem(item)
        item.setSelected(True)

    def currentWidget(self) -> QWidget | None:
        frame = self.pages.currentWidget()
        return frame.widget() if isinstance(frame, QScrollArea) else None

    def setCurrentIndex(self, index: int) -> None:
        self.setCurrentWidget(self._order[index])

    def currentIndex(self) -> int:
        current = self.currentWidget()
        return self._order.index(current) if current in self._order else -1

    def indexOf(self, page: QWidget) -> int:
        return self._order.index(page) if page in self._order else -1

    def count(self) -> int:
        return len(self._order)

    def widget(self, index: int) -> QWidget | None:
        return self._order[index] if 0 <= index < len(self._order) else None

    def tabText(self, index: int) -> str:
        return self.title(self._order[index])

    def setTabText(self, index: int, title: str) -> None:
        self.set_title(self._order[index], title)
