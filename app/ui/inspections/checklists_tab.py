"""The admin's Checklists tab (issue 18): the checklist templates on this laptop — the latest
version of each, read through app.storage — with New…, Edit… (the template at its next
version), Import file… (JSON or YAML; a broken file opens with its problems) and Save to file…
(JSON, or YAML by the name). Editing is :class:`~app.ui.inspections.template_editor.TemplateEditor`."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.checklists import OBJECT_KIND_NAMES, ChecklistTemplate
from app.storage import LocalStore
from app.storage.inspections import checklist_templates
from app.storage.store import Changes
from app.ui.common.widgets import tree_view
from app.ui.inspections.template_editor import (
    TemplateEditor,
    ask_save_path,
    blank_document,
    next_version_document,
    read_file,
    save_template,
)
from app.ui.panel import StorePanel
from app.ui.tasks import TaskRunner


class ChecklistsPanel(StorePanel):
    """The admin's Checklists tab: the templates on this laptop and the editor."""

    #: The templates were read and listed (how many).
    listed = Signal(int)

    def __init__(
        self, store: LocalStore, tasks: TaskRunner, language: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            store, tasks, language, parent, error_name="checklists_error", errors_here=True
        )
        self.templates: list[ChecklistTemplate] = []
        #: The editor opened last (tests, the screenshot tool).
        self.editor: TemplateEditor | None = None

        self.list = tree_view(
            "checklists",
            [
                self.tr("Name"),
                self.tr("Code"),
                self.tr("Object kind"),
                self.tr("Version"),
                self.tr("Items"),
                self.tr("Total"),
            ],
            (320, 180, 200, 70, 60, 70),
            0,
            nested=False,
        )
        self.list.itemDoubleClicked.connect(lambda *_: self.edit_selected())
        self.list.currentItemChanged.connect(lambda *_: self._enable())
        self.new_button = QPushButton(self.tr("&New…"))
        self.new_button.clicked.connect(self.new_template)
        self.edit_button = QPushButton(self.tr("&Edit…"))
        self.edit_button.setObjectName("edit_template")
        self.edit_button.clicked.connect(self.edit_selected)
        self.import_button = QPushButton(self.tr("&Import file…"))
        self.import_button.clicked.connect(self._choose_import)
        self.save_button = QPushButton(self.tr("&Save to file…"))
        self.save_button.clicked.connect(self._choose_save)
        self.note_label = QLabel(
            self.tr(
                "The latest version of each template on this laptop. Editing makes the next "
                "version; inspections already begun keep the version they began with."
            )
        )
        self.note_label.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.new_button, self.edit_button, self.import_button, self.save_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(self.header(self.tr("Checklist templates")))
        layout.addWidget(self.note_label)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.error_label)
        self.watch_store()
        self._enable()
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        store = self._store
        self._ops.run(lambda: checklist_templates(store), self._show, key="list")

    def refreshes_on(self, changes: Changes) -> bool:
        return changes.reference or changes.everything

    def _show(self, templates: list[ChecklistTemplate]) -> None:
        selected = self.selected()
        self.templates = templates
        self.list.clear()
        for template in templates:
            row = QTreeWidgetItem(
                [
                    template.name.text(self._language),
                    template.code,
                    OBJECT_KIND_NAMES[template.object_kind].text(self._language),
                    str(template.version),
                    str(len(template.items())),
                    str(template.total),
                ]
            )
            row.setData(0, Qt.ItemDataRole.UserRole, template.code)
            self.list.addTopLevelItem(row)
            if selected is not None and selected.code == template.code:
                self.list.setCurrentItem(row)
        self.summary_label.setText(self.tr("%n template(s)", "", len(templates)))
        self._enable()
        self.listed.emit(len(templates))

    def selected(self) -> ChecklistTemplate | None:
        row = self.list.currentItem()
        if row is None:
            return None
        code = row.data(0, Qt.ItemDataRole.UserRole)
        return next((t for t in self.templates if t.code == code), None)

    def _enable(self) -> None:
        chosen = self.selected() is not None
        self.edit_button.setEnabled(chosen)
        self.save_button.setEnabled(chosen)

    def open_editor(self, document: dict[str, Any]) -> TemplateEditor:
        self.error_label.hide()
        editor = TemplateEditor(self._store, self._tasks, self._language, document, self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self.editor = editor
        editor.show()
        return editor

    @Slot()
    def new_template(self) -> TemplateEditor:
        return self.open_editor(blank_document())

    @Slot()
    def edit_selected(self) -> TemplateEditor | None:
        """The selected template in the editor, at its next version."""
        template = self.selected()
        if template is None:
            return None
        return self.open_editor(next_version_document(template))

    def _choose_import(self) -> None:
        self.import_file()

    def _choose_save(self) -> None:
        self.save_selected()

    def import_file(self, path: Path | None = None) -> None:
        """A JSON or YAML template file into the editor (with its problems, if any)."""
        if path is None:
            chosen, _ = QFileDialog.getOpenFileName(
                self,
                self.tr("Import checklist"),
                "",
                self.tr("Checklists (*.json *.yaml *.yml)"),
            )
            if not chosen:
                return
            path = Path(chosen)
        self._ops.run(partial(read_file, path), self._imported, key="import")

    def _imported(self, document: Any) -> None:
        if not isinstance(document, dict):
            self._show_error(
                self.tr("This file does not hold a checklist (a JSON or YAML object).")
            )
            return
        self.open_editor(document)

    def save_selected(self, path: Path | None = None) -> None:
        template = self.selected()
        if template is None:
            return
        if path is None:
            path = ask_save_path(self, template)
            if path is None:
                return
        self._ops.run(partial(save_template, path, template), lambda _none: None)
