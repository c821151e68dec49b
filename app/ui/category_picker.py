"""The category picker: major classes and their matters, searchable, the user's most used first.

Only 管理事项 (matter) codes are selectable for a case; a major class is a heading. The search
box filters by code, Chinese name or English name (of the item or of its major class). The
picker holds no store: the editor feeds it the user's most used categories with
:meth:`CategoryPicker.set_usage` (from ``LocalStore.category_usage``).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QTreeWidgetItemIterator,
    QVBoxLayout,
    QWidget,
)

from app.domain.taxonomy import Category, Taxonomy

CODE_ROLE = Qt.ItemDataRole.UserRole
#: Lower-case text an item matches against (code, both names, both major-class names).
SEARCH_ROLE = Qt.ItemDataRole.UserRole + 1
USAGE_LIMIT = 8


def _is_zh(language: str) -> bool:
    return language.lower().startswith("zh")


def category_label(category: Category, language: str) -> str:
    """``06010 暴露垃圾`` or ``06010 Exposed garbage``."""
    return f"{category.code} {category.display_name(language)}"


class CategoryPicker(QWidget):
    """A search box over a tree: "Most used" on top, then each major class with its matters."""

    #: The user chose a matter code (click, Enter, or Enter in the search box).
    category_chosen = Signal(str)

    def __init__(self, taxonomy: Taxonomy, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._taxonomy = taxonomy
        self._language = language
        self._current: str | None = None
        self._read_only = False

        self.search = QLineEdit()
        self.search.setObjectName("category_search")
        self.search.setPlaceholderText(self.tr("Search code or name…"))
        self.search.setClearButtonEnabled(True)
        self.search.setToolTip(
            self.tr("Type a code (06010) or part of a name, in Chinese or English.")
        )
        self.tree = QTreeWidget()
        self.tree.setObjectName("category_tree")
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(1)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setAccessibleName(self.tr("Categories"))
        self.empty_label = QLabel()
        self.empty_label.setObjectName("category_empty")
        self.empty_label.setWordWrap(True)
        self.empty_label.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty_label)
        self.setFocusProxy(self.search)

        self._usage_node = QTreeWidgetItem([self.tr("Most used")])
        self._usage_node.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self._usage_node.setFont(0, _bold(self.tree.font()))
        self._usage_node.setToolTip(0, self.tr("The categories of your own cases, most used first"))
        self.tree.addTopLevelItem(self._usage_node)
        self._usage_node.setHidden(True)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._majors: list[QTreeWidgetItem] = []
        self._build()

        self.search.textChanged.connect(self.set_filter)
        self.search.installEventFilter(self)
        self.tree.itemClicked.connect(self._on_item)
        self.tree.itemActivated.connect(self._on_item)

    # -- building -----------------------------------------------------------------------

    def _build(self) -> None:
        zh = _is_zh(self._language)
        majors = {code: (name, name_en) for code, name, name_en in self._taxonomy.major_classes()}
        nodes: dict[str, QTreeWidgetItem] = {}
        for code, (name, name_en) in majors.items():
            node = QTreeWidgetItem([f"{code} {name if zh else name_en}"])
            node.setFlags(Qt.ItemFlag.ItemIsEnabled)
            node.setToolTip(0, f"{code} {name} / {name_en}")
            node.setData(0, SEARCH_ROLE, f"{code} {name} {name_en}".casefold())
            self.tree.addTopLevelItem(node)
            nodes[code] = node
            self._majors.append(node)
        for category in self._taxonomy.matters:
            item = self._matter_item(category)
            nodes[category.major_code].addChild(item)
            self._items[category.code] = item

    def _matter_item(self, category: Category, suffix: str = "") -> QTreeWidgetItem:
        item = QTreeWidgetItem([category_label(category, self._language) + suffix])
        item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        item.setData(0, CODE_ROLE, category.code)
        item.setToolTip(
            0,
            f"{category.code} {category.name} / {category.name_en}\n"
            f"{category.major_code} {category.major_name} / {category.major_name_en}",
        )
        item.setData(
            0,
            SEARCH_ROLE,
            " ".join(
                (
                    category.code,
                    category.name,
                    category.name_en,
                    category.major_name,
                    category.major_name_en,
                )
            ).casefold(),
        )
        return item

    # -- public API ---------------------------------------------------------------------

    def current_code(self) -> str | None:
        return self._current

    def set_current(self, code: str | None) -> None:
        """Show ``code`` as the chosen category (no signal)."""
        self._current = code if code and self._taxonomy.is_case_category(code) else None
        item = self._items.get(self._current or "")
        for other in self._all_code_items():
            font = other.font(0)
            font.setBold(item is not None and other.data(0, CODE_ROLE) == self._current)
            other.setFont(0, font)
        if item is None:
            self.tree.clearSelection()
            return
        parent = item.parent()
        if parent is not None and not self.search.text().strip():
            parent.setExpanded(True)
        self.tree.setCurrentItem(item)
        self.tree.scrollToItem(item)

    def set_usage(self, usage: list[tuple[str, int]]) -> None:
        """The user's most used categories ``(code, cases)``, most used first."""
        self._usage_node.takeChildren()
        for code, count in usage[:USAGE_LIMIT]:
            category = self._taxonomy.matter(code)
            if category is None:
                continue
            item = self._matter_item(category, f"  ({count})")
            item.setToolTip(
                0,
                item.toolTip(0) + "\n" + self.tr("%n case(s) of yours", "", count),
            )
            self._usage_node.addChild(item)
        self._usage_node.setExpanded(True)
        self.set_filter(self.search.text())
        self.set_current(self._current)

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.search.setEnabled(not read_only)
        self.tree.setEnabled(not read_only)

    def set_filter(self, text: str) -> None:
        """Show only the matters whose code or names contain ``text`` (any case)."""
        needle = text.strip().casefold()
        shown = 0
        for node in (self._usage_node, *self._majors):
            node_matches = bool(needle) and needle in str(node.data(0, SEARCH_ROLE) or "")
            visible_children = 0
            for child in _children(node):
                visible = not needle or node_matches or needle in str(child.data(0, SEARCH_ROLE))
                child.setHidden(not visible)
                visible_children += visible
            node.setHidden(visible_children == 0)
            if node is not self._usage_node:
                shown += visible_children
            node.setExpanded(bool(needle) or node is self._usage_node)
        if not needle and self._current in self._items:
            parent = self._items[self._current].parent()
            if parent is not None:
                parent.setExpanded(True)
        if needle and not shown:
            self.empty_label.setText(self.tr("No category matches “%1”.").replace("%1", text))
        self.empty_label.setVisible(bool(needle) and not shown)

    def visible_codes(self) -> list[str]:
        """Codes shown now, in display order ("Most used" first; duplicates kept)."""
        return [str(item.data(0, CODE_ROLE)) for item in self._all_code_items() if _shown(item)]

    def item_for(self, code: str) -> QTreeWidgetItem | None:
        """The tree item of a matter in its major class (not the "Most used" copy)."""
        return self._items.get(code)

    def choose(self, code: str) -> bool:
        """Choose ``code`` as if the user had picked it; False for a code that is not a matter."""
        if self._read_only or not self._taxonomy.is_case_category(code):
            return False
        self.set_current(code)
        self.category_chosen.emit(code)
        return True

    # -- events -------------------------------------------------------------------------

    def _all_code_items(self) -> list[QTreeWidgetItem]:
        found = []
        iterator = QTreeWidgetItemIterator(self.tree)
        while iterator.value():
            item = iterator.value()
            if item.data(0, CODE_ROLE):
                found.append(item)
            iterator += 1
        return found

    def _on_item(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        code = item.data(0, CODE_ROLE)
        if code:
            self.choose(str(code))
        else:
            item.setExpanded(not item.isExpanded())

    def _first_visible(self) -> QTreeWidgetItem | None:
        return next((item for item in self._all_code_items() if _shown(item)), None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                first = self._first_visible()
                if first is not None and self.search.text().strip():
                    self.choose(str(first.data(0, CODE_ROLE)))
                    return True
            elif key == Qt.Key.Key_Down:
                first = self._first_visible()
                if first is not None:
                    self.tree.setCurrentItem(first)
                self.tree.setFocus(Qt.FocusReason.TabFocusReason)
                return True
        return super().eventFilter(watched, event)


def _children(node: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    return [child for i in range(node.childCount()) if (child := node.child(i)) is not None]


def _shown(item: QTreeWidgetItem) -> bool:
    parent = item.parent()
    return not item.isHidden() and parent is not None and not parent.isHidden()


def _bold(font: QFont) -> QFont:
    bold = QFont(font)
    bold.setBold(True)
    return bold
