"""The checklist template editor (issue 18: templates "editable in the app"; opened from the
admin's Checklists tab, app.ui.inspections.checklists_tab). The dialog edits one template — its
code, names, object kind, total, and its sections and items in one tree — checks it as you type with :mod:`app.domain.checklists`
(every problem with its path; a click on one selects the entry), previews the most each
section can deduct, and publishes it through the network lane (:mod:`app.sync.checklists`).
Offline, or refused (a version taken meanwhile, a document the server finds wrong), the dialog
says so in both languages and keeps the edit. Nothing here touches SQL."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.checklists import (
    OBJECT_KIND_NAMES,
    ChecklistError,
    ChecklistTemplate,
    ObjectKind,
    Problem,
    parse_template,
    read_document,
    section_max_deduction,
    template_document,
    template_json,
    template_yaml,
)
from app.domain.errors import Message
from app.storage import LocalStore
from app.sync.errors import ErrorKind, SyncError
from app.ui.common.text import error_text
from app.ui.common.widgets import bold, error_label, tree_view
from app.ui.events import StoreEvents
from app.ui.operations import Lane, Operations
from app.ui.tasks import TaskRunner

#: The editor tree's columns.
CODE, TEXT_ZH, TEXT_EN, POINTS, DEDUCTION, CAP, VETO = range(7)
_ITEM_KEYS = {POINTS: "points", DEDUCTION: "deduction", CAP: "cap"}
_PATH = re.compile(r"^\$\.sections\[(\d+)\](?:\.items\[(\d+)\])?")


def _text(value: Any, key: str) -> str:
    """One language of a name or text as the document has it (a string is both)."""
    if isinstance(value, dict):
        text = value.get(key)
        return str(text) if isinstance(text, str) else ""
    return str(value) if isinstance(value, str) else ""


def _number(value: Any) -> str:
    return "" if value is None or isinstance(value, bool) else str(value)


def blank_document() -> dict[str, Any]:
    """A new template: one section with one item, for the admin to fill in."""
    return {
        "code": "",
        "version": 1,
        "name": {"zh": "", "en": ""},
        "object_kind": str(ObjectKind.STREET_SECTION),
        "sections": [
            {
                "code": "A",
                "name": {"zh": "", "en": ""},
                "items": [{"code": "A1", "text": {"zh": "", "en": ""}, "points": "10"}],
            }
        ],
    }


def next_version_document(template: ChecklistTemplate) -> dict[str, Any]:
    """``template`` as a document to edit at its next version."""
    return {**template_document(template), "version": template.version + 1}


def save_template(path: Path, template: ChecklistTemplate) -> None:
    """Write ``template`` to ``path``: YAML for a .yaml/.yml name, else JSON."""
    text = (
        template_yaml(template)
        if path.suffix.lower() in (".yaml", ".yml")
        else template_json(template)
    )
    path.write_text(text, encoding="utf-8")


def read_file(path: Path) -> Any:
    """A template file's document, not yet checked (ChecklistError when unreadable)."""
    if path.stat().st_size > 1 << 20:
        raise ChecklistError(
            [Problem("$", Message(f"{path} 超过 1 MiB，不是检查表", f"{path} is over 1 MiB"))]
        )
    return read_document(path.name, path.read_bytes())


def ask_save_path(parent: QWidget, template: ChecklistTemplate) -> Path | None:
    """Where the user chose to save ``template`` (JSON, or YAML by the name); None if not."""
    chosen, _ = QFileDialog.getSaveFileName(
        parent,
        QCoreApplication.translate("TemplateEditor", "Save checklist"),
        f"{template.code}-v{template.version}.json",
        QCoreApplication.translate("TemplateEditor", "Checklists (*.json *.yaml *.yml)"),
    )
    return Path(chosen) if chosen else None


class TemplateEditor(QDialog):
    """Edit one template and publish it; the edit stays until published or closed."""

    #: The server stored the edit (the version now on this laptop too).
    published = Signal(object)
    #: Every check of the edit (live validation), with the problems found (empty: valid).
    checked = Signal(list)

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        language: str,
        document: dict[str, Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._language = language
        self._ops = Operations(self, tasks, language, store=store, show_error=self._show_error)
        self._filling = False
        self.template: ChecklistTemplate | None = None
        self.problems: list[Problem] = []
        self.setWindowTitle(self.tr("Checklist template"))
        self.resize(1100, 760)

        self.code_edit = QLineEdit()
        self.code_edit.setObjectName("template_code")
        self.version_spin = QSpinBox()
        self.version_spin.setObjectName("template_version")
        self.version_spin.setRange(1, 1_000_000)
        self.name_zh = QLineEdit()
        self.name_zh.setObjectName("template_name_zh")
        self.name_en = QLineEdit()
        self.name_en.setObjectName("template_name_en")
        self.kind_combo = QComboBox()
        self.kind_combo.setObjectName("template_kind")
        for kind in ObjectKind:
            self.kind_combo.addItem(f"{OBJECT_KIND_NAMES[kind].text(language)} ({kind})", kind)
        self.total_edit = QLineEdit()
        self.total_edit.setObjectName("template_total")
        self.total_edit.setPlaceholderText(self.tr("the sum of the items' points"))
        head = QFormLayout()
        head.addRow(self.tr("Code:"), self.code_edit)
        head.addRow(self.tr("Version:"), self.version_spin)
        head.addRow(self.tr("Name (Chinese):"), self.name_zh)
        head.addRow(self.tr("Name (English):"), self.name_en)
        head.addRow(self.tr("Object kind:"), self.kind_combo)
        head.addRow(self.tr("Total points:"), self.total_edit)

        self.tree = tree_view(
            "template_tree",
            [
                self.tr("Code"),
                self.tr("Text (Chinese)"),
                self.tr("Text (English)"),
                self.tr("Points"),
                self.tr("Deduction each"),
                self.tr("Cap"),
                self.tr("Veto (一票否决)"),
            ],
            (90, 260, 220, 60, 100, 60, 110),
            TEXT_ZH,
            nested=True,
        )
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.itemDoubleClicked.connect(self._edit_cell)
        self.tree.itemChanged.connect(self._changed)
        self.add_section_button = QPushButton(self.tr("Add &section"))
        self.add_section_button.clicked.connect(self.add_section)
        self.add_item_button = QPushButton(self.tr("Add &item"))
        self.add_item_button.setObjectName("add_item")
        self.add_item_button.clicked.connect(self.add_item)
        self.remove_button = QPushButton(self.tr("&Remove"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.up_button = QPushButton(self.tr("Move &up"))
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button = QPushButton(self.tr("Move &down"))
        self.down_button.clicked.connect(lambda: self.move_selected(1))
        buttons = QHBoxLayout()
        for button in (
            self.add_section_button,
            self.add_item_button,
            self.remove_button,
            self.up_button,
            self.down_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        hint = QLabel(
            self.tr(
                "Double-click a cell to edit it. An empty deduction or cap means the item's "
                "points; tick the veto of an item that fails the whole check."
            )
        )
        hint.setWordWrap(True)

        self.problem_list = QListWidget()
        self.problem_list.setObjectName("template_problems")
        self.problem_list.setWordWrap(True)
        self.problem_list.itemActivated.connect(self._go_to_problem)
        self.problem_list.itemClicked.connect(self._go_to_problem)
        self.check_label = bold(QLabel())
        self.check_label.setObjectName("template_check")
        self.preview_label = QLabel()
        self.preview_label.setObjectName("template_preview")
        self.preview_label.setWordWrap(True)
        self.preview_label.setTextFormat(Qt.TextFormat.PlainText)
        problems_box = QGroupBox(self.tr("Check"))
        problems_layout = QVBoxLayout(problems_box)
        problems_layout.addWidget(self.check_label)
        problems_layout.addWidget(self.problem_list, 1)
        preview_box = QGroupBox(self.tr("Most deducted per section"))
        preview_layout = QVBoxLayout(preview_box)
        preview_layout.addWidget(self.preview_label)
        preview_layout.addStretch(1)

        self.status_label = QLabel()
        self.status_label.setObjectName("template_status")
        self.status_label.setWordWrap(True)
        self.error_label = error_label("template_error")
        self.save_button = QPushButton(self.tr("Save to &file…"))
        self.save_button.clicked.connect(self._choose_save)
        self.publish_button = QPushButton(self.tr("&Publish"))
        self.publish_button.setObjectName("publish_template")
        self.publish_button.setDefault(True)
        self.publish_button.clicked.connect(self.publish)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.clicked.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.publish_button)
        bottom.addWidget(self.close_button)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(head)
        left_layout.addWidget(self.tree, 1)
        left_layout.addLayout(buttons)
        left_layout.addWidget(hint)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(problems_box, 2)
        right_layout.addWidget(preview_box, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([760, 420])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.error_label)
        layout.addLayout(bottom)

        for edit in (self.code_edit, self.name_zh, self.name_en, self.total_edit):
            edit.textChanged.connect(self.validate)
        self.version_spin.valueChanged.connect(self.validate)
        self.kind_combo.currentIndexChanged.connect(self.validate)
        self._ops.busy_changed.connect(self._busy)
        self.load(document)

    # -- the document ------------------------------------------------------------------------

    def load(self, document: dict[str, Any]) -> None:
        """Show ``document`` (a decoded template, checked or not) for editing."""
        self._filling = True
        try:
            raw = document if isinstance(document, dict) else {}
            self.code_edit.setText(str(raw.get("code") or ""))
            version = raw.get("version")
            self.version_spin.setValue(version if isinstance(version, int) and version > 0 else 1)
            self.name_zh.setText(_text(raw.get("name"), "zh"))
            self.name_en.setText(_text(raw.get("name"), "en"))
            kind = self.kind_combo.findData(str(raw.get("object_kind") or ""))
            self.kind_combo.setCurrentIndex(max(kind, 0))
            self.total_edit.setText(_number(raw.get("total")))
            self.tree.clear()
            sections = raw.get("sections")
            for section in sections if isinstance(sections, list) else []:
                if not isinstance(section, dict):
                    continue
                parent = self._section_row(section)
                items = section.get("items")
                for item in items if isinstance(items, list) else []:
                    if isinstance(item, dict):
                        self._item_row(parent, item)
            self.tree.expandAll()
        finally:
            self._filling = False
        self.validate()

    def _section_row(self, section: dict[str, Any], index: int | None = None) -> QTreeWidgetItem:
        row = QTreeWidgetItem()
        row.setText(CODE, str(section.get("code") or ""))
        row.setText(TEXT_ZH, _text(section.get("name"), "zh"))
        row.setText(TEXT_EN, _text(section.get("name"), "en"))
        font = row.font(CODE)
        font.setBold(True)
        for column in (CODE, TEXT_ZH, TEXT_EN):
            row.setFont(column, font)
        if index is None:
            self.tree.addTopLevelItem(row)
        else:
            self.tree.insertTopLevelItem(index, row)
        return row

    def _item_row(
        self, parent: QTreeWidgetItem, item: dict[str, Any], index: int | None = None
    ) -> QTreeWidgetItem:
        row = QTreeWidgetItem()
        row.setText(CODE, str(item.get("code") or ""))
        row.setText(TEXT_ZH, _text(item.get("text"), "zh"))
        row.setText(TEXT_EN, _text(item.get("text"), "en"))
        row.setText(POINTS, _number(item.get("points")))
        points = _number(item.get("points"))
        for column, key in ((DEDUCTION, "deduction"), (CAP, "cap")):
            value = _number(item.get(key))
            # An explicit value equal to the points is the default: shown empty, read the same.
            row.setText(column, "" if value == points else value)
        row.setFlags(row.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        row.setCheckState(
            VETO, Qt.CheckState.Checked if item.get("veto") is True else Qt.CheckState.Unchecked
        )
        if index is None:
            parent.addChild(row)
        else:
            parent.insertChild(index, row)
        return row

    def document(self) -> dict[str, Any]:
        """The edit as a template document (what the file format and the server read)."""

        def message(row: QTreeWidgetItem) -> dict[str, str]:
            zh, en = row.text(TEXT_ZH).strip(), row.text(TEXT_EN).strip()
            return {"zh": zh, "en": en or zh}

        sections = []
        for s in range(self.tree.topLevelItemCount()):
            section = self.tree.topLevelItem(s)
            items = []
            for i in range(section.childCount()):
                row = section.child(i)
                item: dict[str, Any] = {"code": row.text(CODE).strip(), "text": message(row)}
                for column, key in _ITEM_KEYS.items():
                    value = row.text(column).strip()
                    if value or column == POINTS:
                        item[key] = value
                item["veto"] = row.checkState(VETO) == Qt.CheckState.Checked
                items.append(item)
            name = message(section)
            sections.append({"code": section.text(CODE).strip(), "name": name, "items": items})
        zh, en = self.name_zh.text().strip(), self.name_en.text().strip()
        document: dict[str, Any] = {
            "code": self.code_edit.text().strip(),
            "version": self.version_spin.value(),
            "name": {"zh": zh, "en": en or zh},
            "object_kind": str(self.kind_combo.currentData()),
            "sections": sections,
        }
        if self.total_edit.text().strip():
            document["total"] = self.total_edit.text().strip()
        return document

    # -- editing -------------------------------------------------------------------------------

    def _edit_cell(self, row: QTreeWidgetItem, column: int) -> None:
        if column == VETO or (row.parent() is None and column > TEXT_EN):
            return  # a section has no points; the veto is its check box
        row.setFlags(row.flags() | Qt.ItemFlag.ItemIsEditable)
        self.tree.editItem(row, column)

    def _changed(self, _row: QTreeWidgetItem, _column: int) -> None:
        if not self._filling:
            self.validate()

    def _selected_section(self) -> QTreeWidgetItem | None:
        row = self.tree.currentItem()
        if row is None:
            count = self.tree.topLevelItemCount()
            return self.tree.topLevelItem(count - 1) if count else None
        return row if row.parent() is None else row.parent()

    @Slot()
    def add_section(self) -> QTreeWidgetItem:
        codes = {self.tree.topLevelItem(i).text(CODE) for i in range(self.tree.topLevelItemCount())}
        code = next(
            c for c in (chr(65 + n) if n < 26 else f"S{n}" for n in range(99)) if c not in codes
        )
        self._filling = True
        try:
            row = self._section_row({"code": code, "name": ""})
            self._item_row(row, {"code": f"{code}1", "text": "", "points": "10"})
            row.setExpanded(True)
        finally:
            self._filling = False
        self.tree.setCurrentItem(row)
        self.validate()
        return row

    @Slot()
    def add_item(self) -> QTreeWidgetItem | None:
        """A new item at the end of the selected section (or after the selected item)."""
        section = self._selected_section()
        if section is None:
            return self.add_section().child(0)
        current = self.tree.currentItem()
        index = (
            section.indexOfChild(current) + 1
            if current is not None and current.parent() is section
            else section.childCount()
        )
        taken = self._item_codes()
        number = section.childCount() + 1
        while f"{section.text(CODE)}{number}" in taken:
            number += 1
        self._filling = True
        try:
            row = self._item_row(
                section,
                {"code": f"{section.text(CODE)}{number}", "text": "", "points": "10"},
                index,
            )
        finally:
            self._filling = False
        section.setExpanded(True)
        self.tree.setCurrentItem(row, TEXT_ZH)
        self.validate()
        return row

    def _item_codes(self) -> set[str]:
        return {
            self.tree.topLevelItem(s).child(i).text(CODE)
            for s in range(self.tree.topLevelItemCount())
            for i in range(self.tree.topLevelItem(s).childCount())
        }

    @Slot()
    def remove_selected(self) -> None:
        row = self.tree.currentItem()
        if row is None:
            return
        parent = row.parent()
        if parent is None:
            self.tree.takeTopLevelItem(self.tree.indexOfTopLevelItem(row))
        else:
            parent.removeChild(row)
        self.validate()

    def move_selected(self, step: int) -> None:
        """Move the selected section, or item within its section, ``step`` places."""
        row = self.tree.currentItem()
        if row is None:
            return
        parent = row.parent()
        if parent is None:
            index = self.tree.indexOfTopLevelItem(row)
            target = index + step
            if not 0 <= target < self.tree.topLevelItemCount():
                return
            self.tree.takeTopLevelItem(index)
            self.tree.insertTopLevelItem(target, row)
            row.setExpanded(True)
        else:
            index = parent.indexOfChild(row)
            target = index + step
            if not 0 <= target < parent.childCount():
                return
            parent.takeChild(index)
            parent.insertChild(target, row)
        self.tree.setCurrentItem(row)
        self.validate()

    # -- checking ------------------------------------------------------------------------------

    @Slot()
    def validate(self) -> list[Problem]:
        """Check the edit with the format's own rules; show every problem and the preview."""
        if self._filling:
            return self.problems
        try:
            self.template = parse_template(self.document())
            self.problems = []
        except ChecklistError as exc:
            self.template = None
            self.problems = exc.problems
        self._show_problems(self.problems)
        self._show_preview()
        self.publish_button.setEnabled(self.template is not None and not self._ops.busy)
        self.save_button.setEnabled(self.template is not None)
        self.checked.emit(self.problems)
        return self.problems

    def _show_problems(self, problems: list[Problem]) -> None:
        self.problem_list.clear()
        for problem in problems:
            entry = QListWidgetItem(f"{problem.path}: {problem.message.text(self._language)}")
            entry.setData(Qt.ItemDataRole.UserRole, problem.path)
            self.problem_list.addItem(entry)
        if problems:
            self.check_label.setText(
                self.tr("%n problem(s) to fix before publishing", "", len(problems))
            )
        else:
            self.check_label.setText(self.tr("No problems: ready to publish"))

    def _show_preview(self) -> None:
        template = self.template
        if template is None:
            self.preview_label.setText(self.tr("Shown once the problems are fixed."))
            return
        lines = []
        for section in template.sections:
            points = sum((i.points for i in section.items), Decimal(0))
            vetoes = [i.code for i in section.items if i.veto]
            if len(vetoes) < len(section.items):
                line = self.tr("%1 %2: at most %3 of its %4 points")
                line = line.replace("%3", str(section_max_deduction(section)))
                line = line.replace("%4", str(points))
                if vetoes:
                    line += self.tr("; veto %1 makes the score 0")
            else:
                line = self.tr("%1 %2: veto %3 makes the score 0")
                line = line.replace("%3", ", ".join(vetoes))
            line = line.replace("%1", section.code, 1).replace(
                "%2", section.name.text(self._language), 1
            )
            lines.append(line.replace("%1", ", ".join(vetoes)))
        lines.append(self.tr("Total: %1 points").replace("%1", str(template.total)))
        self.preview_label.setText("\n".join(lines))

    def _go_to_problem(self, entry: QListWidgetItem) -> None:
        match = _PATH.match(str(entry.data(Qt.ItemDataRole.UserRole)))
        if match is None:
            return
        section = self.tree.topLevelItem(int(match.group(1)))
        if section is None:
            return
        row = section.child(int(match.group(2))) if match.group(2) is not None else section
        if row is not None:
            self.tree.setCurrentItem(row)
            self.tree.scrollToItem(row)

    # -- publishing and files --------------------------------------------------------------------

    @Slot()
    def publish(self) -> None:
        """Send the edit to the server (network lane); the dialog keeps it until it is stored."""
        if self.validate() or self.template is None:
            self._show_error(self.tr("Fix the problems listed first: nothing was published."))
            return
        from app.sync.checklists import publish_template  # httpx: when an admin publishes

        store = self._store
        self.error_label.hide()
        self.status_label.setText(self.tr("Publishing…"))

        def announce(result: Any) -> None:
            StoreEvents.of(store).announce(result.changes)  # stored even if the dialog closed

        self._ops.run(
            partial(publish_template, store, self.template),
            self._published,
            lane=Lane.NET,
            on_error=self._refused,
            busy=True,
            always=announce,
        )

    def _published(self, result: Any) -> None:
        template: ChecklistTemplate = result.template
        name = template.name.text(self._language)
        if result.new:
            text = self.tr("Published %1 version %2: it reaches every laptop with its next sync.")
        else:
            text = self.tr("%1 version %2 was on the server already, exactly so: nothing changed.")
        self.status_label.setText(text.replace("%1", name).replace("%2", str(template.version)))
        self.published.emit(template)

    def _refused(self, exc: BaseException) -> None:
        from app.sync.checklists import ChecklistVersionError

        self.status_label.setText(self.tr("Not published: your edit is still here."))
        reason = error_text(exc, self._language)
        if isinstance(exc, ChecklistError):
            self._show_problems(exc.problems)
            text = self.tr("The server found problems in the checklist (listed): %1")
        elif isinstance(exc, ChecklistVersionError):
            text = self.tr(
                "Someone published this version first. Set the version to %2 to publish your "
                "edit after theirs. %1"
            ).replace("%2", str(exc.latest + 1))
        elif isinstance(exc, SyncError) and exc.kind is ErrorKind.RETRYABLE:
            text = self.tr("No connection to the server; publish again when online. %1")
        elif isinstance(exc, SyncError) and exc.kind is ErrorKind.AUTH:
            text = self.tr("Sign in as an administrator to publish. %1")
        else:
            text = self.tr("The server refused the checklist. %1")
        self._show_error(text.replace("%1", reason))

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def _busy(self, busy: bool) -> None:
        self.publish_button.setEnabled(not busy and self.template is not None)

    def _choose_save(self) -> None:
        self.save_to_file()

    def save_to_file(self, path: Path | None = None) -> None:
        template = self.template
        if template is None:
            return
        if path is None:
            path = ask_save_path(self, template)
            if path is None:
                return
        self._ops.run(
            partial(save_template, path, template),
            lambda _none: self.status_label.setText(
                self.tr("Saved to %1").replace("%1", str(path))
            ),
        )
