"""The inspection view (督导检查): choose a template and an object, open (明察) or unannounced
(暗访), then record deductions — an item, a note, a photo, a position — and watch the running
score with its arithmetic. Finish queues it for the server; a supervisor publishes it; a
deduction becomes a case in one step. All reads and writes go through app.storage.inspections
in the background (Operations); nothing here touches SQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.capture.positions import Fix
from app.domain.checklists import OBJECT_KIND_NAMES, ChecklistTemplate
from app.domain.inspections import MODE_NAMES, STATE_NAMES, InspectionMode, InspectionState
from app.domain.lifecycle import Role
from app.storage import LocalStore
from app.storage import inspections as records
from app.storage.store import Changes
from app.ui.common.text import error_text, local_time
from app.ui.common.widgets import bold, tree_view
from app.ui.panel import StorePanel
from app.ui.position_panel import PositionPanel
from app.ui.supervisor.base import ITEM_ROLE
from app.ui.tasks import TaskRunner


class InspectionsPanel(StorePanel):
    """Begin, record, finish and publish scored inspections."""

    #: The current inspection was read and shown (its id).
    shown = Signal(str)
    #: A case was created from a deduction (its id): the main window may open it.
    case_created = Signal(str)

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        language: str,
        parent: QWidget | None = None,
        *,
        current_fix: Callable[[], Fix | None] | None = None,
    ) -> None:
        super().__init__(
            store, tasks, language, parent, error_name="inspection_error", errors_here=True
        )
        self._templates: list[ChecklistTemplate] = []
        self._objects: list[records.InspectableObject] = []
        self.current: records.InspectionView | None = None
        self.photo: Path | None = None

        # -- beginning one
        self.template_combo = QComboBox()
        self.template_combo.setObjectName("template_combo")
        self.template_combo.currentIndexChanged.connect(self._fill_objects)
        self.object_combo = QComboBox()
        self.object_combo.setObjectName("object_combo")
        # Hundreds of grid cells and units: type any part of a name or code to find one.
        self.object_combo.setEditable(True)
        self.object_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        completer = self.object_combo.completer()
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.object_combo.lineEdit().setPlaceholderText(self.tr("Type a name or code"))
        self.mode_combo = QComboBox()
        self.mode_combo.setObjectName("mode_combo")
        self.mode_combo.addItem(self.tr("Open (明察)"), InspectionMode.OPEN)
        self.mode_combo.addItem(self.tr("Unannounced (暗访)"), InspectionMode.UNANNOUNCED)
        self.begin_button = QPushButton(self.tr("&Begin inspection"))
        self.begin_button.setObjectName("begin_inspection")
        self.begin_button.clicked.connect(self.begin)
        start = QGroupBox(self.tr("New inspection"))
        form = QFormLayout(start)
        form.addRow(self.tr("Checklist:"), self.template_combo)
        form.addRow(self.tr("Object:"), self.object_combo)
        form.addRow(self.tr("Mode:"), self.mode_combo)
        form.addRow(self.begin_button)
        self.team_label = QLabel(
            self.tr(
                "Scored inspections are recorded by the inspection team (督导检查组). "
                "An administrator adds an inspector to it; then sign in again."
            )
        )
        self.team_label.setObjectName("team_label")
        self.team_label.setWordWrap(True)
        self.team_label.hide()
        form.addRow(self.team_label)
        self.start_box = start

        self.list = tree_view(
            "inspections",
            [
                self.tr("Object"),
                self.tr("Mode"),
                self.tr("State"),
                self.tr("Score"),
                self.tr("Date"),
            ],
            (170, 60, 70, 70, 110),
            0,
            nested=False,
        )
        self.list.currentItemChanged.connect(self._picked)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(start)
        left_layout.addWidget(self.list, 1)

        # -- the current one
        self.heading = bold(QLabel(self.tr("No inspection chosen")), 1.1)
        self.heading.setObjectName("inspection_heading")
        self.heading.setWordWrap(True)
        self.score_label = bold(QLabel(), 1.4)
        self.score_label.setObjectName("running_score")
        self.how_label = QLabel()
        self.how_label.setObjectName("score_how")
        self.how_label.setWordWrap(True)
        self.deductions = tree_view(
            "deductions",
            [
                self.tr("Item"),
                self.tr("Note"),
                self.tr("Position"),
                self.tr("Photo"),
                self.tr("Case"),
            ],
            (260, 150, 150, 60, 80),
            1,
            nested=False,
        )
        self.item_combo = QComboBox()
        self.item_combo.setObjectName("item_combo")
        self.note_edit = QLineEdit()
        self.note_edit.setObjectName("deduction_note")
        self.note_edit.setPlaceholderText(self.tr("What was found, where"))
        self.photo_button = QPushButton(self.tr("&Photo…"))
        self.photo_button.clicked.connect(self.choose_photo)
        self.photo_label = QLabel(self.tr("No photo"))
        self.position = PositionPanel(language, current_fix=current_fix)
        self.position.fix_chosen.connect(self.position.set_position)
        self.add_button = QPushButton(self.tr("&Add deduction"))
        self.add_button.setObjectName("add_deduction")
        self.add_button.clicked.connect(self.add_deduction)
        recording = QGroupBox(self.tr("Record a deduction"))
        self.recording = recording
        rec = QFormLayout(recording)
        rec.addRow(self.tr("Item:"), self.item_combo)
        rec.addRow(self.tr("Note:"), self.note_edit)
        photo_row = QHBoxLayout()
        photo_row.addWidget(self.photo_button)
        photo_row.addWidget(self.photo_label, 1)
        rec.addRow(self.tr("Photo:"), photo_row)
        rec.addRow(self.tr("Position:"), self.position)
        rec.addRow(self.add_button)

        self.category_combo = QComboBox()
        self.category_combo.setObjectName("case_category")
        # The long category names show in the list; the field itself stays narrow (1024 px).
        self.category_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.category_combo.setMinimumContentsLength(14)
        self.category_combo.view().setMinimumWidth(360)
        for matter in store.taxonomy.matters:
            self.category_combo.addItem(
                f"{matter.code} {matter.display_name(language)}", matter.code
            )
        self.remove_button = QPushButton(self.tr("&Remove deduction"))
        self.remove_button.clicked.connect(self.remove_deduction)
        self.case_button = QPushButton(self.tr("Create &case"))
        self.case_button.setObjectName("case_from_deduction")
        self.case_button.clicked.connect(self.create_case)
        self.finish_button = QPushButton(self.tr("&Finish inspection"))
        self.finish_button.setObjectName("finish_inspection")
        self.finish_button.clicked.connect(self.finish)
        self.publish_button = QPushButton(self.tr("P&ublish"))
        self.publish_button.setObjectName("publish_inspection")
        self.publish_button.clicked.connect(self.publish)
        actions = QHBoxLayout()
        for widget in (self.remove_button, self.category_combo, self.case_button):
            actions.addWidget(widget)
        actions.addStretch(1)
        actions.addWidget(self.finish_button)
        actions.addWidget(self.publish_button)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.heading)
        right_layout.addWidget(self.score_label)
        right_layout.addWidget(self.how_label)
        self.preview = QLabel()
        self.preview.setObjectName("deduction_photo")
        self.preview.setFixedSize(260, 200)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.deductions.currentItemChanged.connect(self._preview)
        found = QHBoxLayout()
        found.addWidget(self.deductions, 1)
        found.addWidget(self.preview)
        right_layout.addLayout(found, 1)
        right_layout.addLayout(actions)
        right_layout.addWidget(recording)
        right_layout.addWidget(self.error_label)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([430, 930])
        layout = QVBoxLayout(self)
        layout.addLayout(self.header(self.tr("Inspections")))
        layout.addWidget(splitter, 1)
        self.watch_store()
        self._show_current()
        self.refresh()

    # -- reading ---------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        store = self._store
        self._ops.run(
            lambda: (
                records.checklist_templates(store),
                records.inspectable_objects(store),
                records.list_inspections(store),
                records.may_record(store),
            ),
            lambda result: self._show_lists(*result),
            key="lists",
        )

    def refreshes_on(self, changes: Changes) -> bool:
        return changes.inspections or changes.everything or changes.reference

    def _show_lists(
        self,
        templates: list[ChecklistTemplate],
        objects: list[records.InspectableObject],
        views: list[records.InspectionView],
        may_record: bool,
    ) -> None:
        self._templates, self._objects = templates, objects
        for widget in (self.template_combo, self.object_combo, self.mode_combo):
            widget.setEnabled(may_record)
        self.team_label.setVisible(not may_record)
        chosen = self.template_combo.currentData()
        self.template_combo.blockSignals(True)
        self.template_combo.clear()
        for t in templates:
            self.template_combo.addItem(f"{t.name.text(self._language)} (v{t.version})", t.code)
        self.template_combo.setCurrentIndex(max(0, self.template_combo.findData(chosen)))
        self.template_combo.blockSignals(False)
        self._fill_objects()
        current = self.current.id if self.current else None
        self.list.blockSignals(True)
        self.list.clear()
        for v in views:
            item = QTreeWidgetItem(
                [
                    v.object_name,
                    MODE_NAMES[v.mode].text(self._language),
                    STATE_NAMES[v.state].text(self._language),
                    f"{v.sheet.percent}%",
                    local_time(v.finished_at or v.started_at),
                ]
            )
            item.setData(0, ITEM_ROLE, v.id)
            self.list.addTopLevelItem(item)
            if v.id == current:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self.summary_label.setText(self.tr("Inspections: %1").replace("%1", str(len(views))))
        self.begin_button.setEnabled(may_record and bool(templates))
        if current is not None:
            self.show_inspection(current)

    def _fill_objects(self, *_args: object) -> None:
        template = self._template()
        self.object_combo.clear()
        for o in self._objects:
            if template is None or o.kind is template.object_kind:
                kind = OBJECT_KIND_NAMES[o.kind].text(self._language)
                self.object_combo.addItem(f"{o.name} · {kind}", f"{o.kind}:{o.id}")

    def _template(self) -> ChecklistTemplate | None:
        code = self.template_combo.currentData()
        return next((t for t in self._templates if t.code == code), None)

    def _picked(self, item: QTreeWidgetItem | None, _previous: object = None) -> None:
        if item is not None:
            self.show_inspection(str(item.data(0, ITEM_ROLE)))

    def show_inspection(self, inspection_id: str) -> None:
        store = self._store
        self._ops.run(
            lambda: records.inspection_view(store, inspection_id),
            self._show_view,
            key="view",
        )

    def _show_view(self, view: records.InspectionView) -> None:
        self.current = view
        self._show_current()
        self.shown.emit(view.id)

    def _show_current(self) -> None:
        view = self.current
        recording = view is not None and view.mine and view.state is InspectionState.OPEN
        for widget in (self.add_button, self.item_combo, self.note_edit, self.photo_button):
            widget.setEnabled(recording)
        self.remove_button.setEnabled(recording)
        self.recording.setVisible(recording)
        self.finish_button.setEnabled(recording)
        supervisor = self._store.actor.role is Role.SUPERVISOR
        self.publish_button.setVisible(supervisor)
        self.publish_button.setEnabled(
            supervisor and view is not None and view.state is InspectionState.FINISHED
        )
        self.case_button.setEnabled(view is not None and view.mine)
        self.deductions.clear()
        if view is None:
            self.score_label.setText("")
            self.how_label.setText("")
            return
        language = self._language
        self.heading.setText(
            self.tr("%1 — %2 v%3 · %4 · %5")
            .replace("%1", view.object_name)
            .replace("%2", view.template.name.text(language))
            .replace("%3", str(view.template.version))
            .replace("%4", MODE_NAMES[view.mode].text(language))
            .replace("%5", STATE_NAMES[view.state].text(language))
        )
        sheet = view.sheet
        self.score_label.setText(
            self.tr("Score %1 / %2 (%3 %)")
            .replace("%1", str(sheet.score))
            .replace("%2", str(sheet.total))
            .replace("%3", str(sheet.percent))
        )
        self.how_label.setText(sheet.explain().text(language))
        chosen = self.item_combo.currentData()
        self.item_combo.clear()
        for item in view.template.items():
            veto = self.tr(" (veto)") if item.veto else ""
            self.item_combo.addItem(
                f"{item.code} {item.text.text(language)} −{item.deduction}{veto}", item.code
            )
        self.item_combo.setCurrentIndex(max(0, self.item_combo.findData(chosen)))
        for d in view.deductions:
            where = f"{d.lat:.5f}, {d.lon:.5f}" if d.lat is not None and d.lon is not None else "—"
            row = QTreeWidgetItem(
                [
                    f"{d.item_code} {d.item_text.text(language)}",
                    d.note,
                    where,
                    self.tr("yes") if d.photo_sha256 else "—",
                    d.case_id[-8:] if d.case_id else "",
                ]
            )
            if d.thumbnail is not None:
                row.setIcon(3, QIcon(QPixmap(str(d.thumbnail))))
            row.setData(0, ITEM_ROLE, d.id)
            row.setData(1, ITEM_ROLE, str(d.thumbnail or d.photo_path or ""))
            self.deductions.addTopLevelItem(row)
        if view.deductions:
            self.deductions.setCurrentItem(self.deductions.topLevelItem(0))

    def _preview(self, item: QTreeWidgetItem | None, _previous: object = None) -> None:
        path = "" if item is None else str(item.data(1, ITEM_ROLE) or "")
        pixmap = QPixmap(path) if path else QPixmap()
        if pixmap.isNull():
            self.preview.setText(self.tr("No photo") if item is not None else "")
            return
        self.preview.setPixmap(
            pixmap.scaled(
                self.preview.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    # -- writing ---------------------------------------------------------------------------

    @Slot()
    def begin(self) -> None:
        template = self._template()
        # What the field shows, not a stale choice behind half-typed text.
        shown = self.object_combo.findText(
            self.object_combo.currentText(), Qt.MatchFlag.MatchExactly
        )
        key = self.object_combo.itemData(shown) if shown >= 0 else None
        target = next((o for o in self._objects if f"{o.kind}:{o.id}" == key), None)
        if template is None or target is None:
            self._show_error(self.tr("Choose a checklist and an object first."))
            return
        mode = InspectionMode(self.mode_combo.currentData())
        store = self._store
        self._ops.write(
            lambda: records.begin_inspection(store, template, target, mode),
            lambda created: self._begun(created.id),
        )

    def _begun(self, inspection_id: str) -> None:
        self.error_label.hide()
        self.current = None
        self.show_inspection(inspection_id)

    @Slot()
    def choose_photo(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, self.tr("Photo of the problem"), "", self.tr("Photos (*.jpg *.jpeg *.png *.heic)")
        )
        if path:
            self.set_photo(Path(path))

    def set_photo(self, path: Path | None) -> None:
        self.photo = path
        self.photo_label.setText(path.name if path else self.tr("No photo"))

    @Slot()
    def add_deduction(self) -> None:
        view = self.current
        if view is None:
            return
        store, item, note = self._store, str(self.item_combo.currentData()), self.note_edit.text()
        photo, fix = self.photo, self.position.position()
        self._ops.write(
            lambda: records.add_deduction(store, view.id, item, note=note, photo=photo, fix=fix),
            lambda _created: self._added(),
        )

    def _added(self) -> None:
        self.note_edit.clear()
        self.set_photo(None)
        self.error_label.hide()

    def _selected_deduction(self) -> str | None:
        item = self.deductions.currentItem()
        return None if item is None else str(item.data(0, ITEM_ROLE))

    @Slot()
    def remove_deduction(self) -> None:
        deduction = self._selected_deduction()
        if deduction is not None:
            store = self._store
            self._ops.write(lambda: records.remove_deduction(store, deduction))

    @Slot()
    def create_case(self) -> None:
        deduction = self._selected_deduction()
        if deduction is None:
            self._show_error(self.tr("Choose a deduction first."))
            return
        store, category = self._store, str(self.category_combo.currentData())
        self._ops.write(
            lambda: records.case_from_deduction(store, deduction, category),
            lambda created: self.case_created.emit(created.id),
        )

    @Slot()
    def finish(self) -> None:
        if self.current is not None:
            store, inspection_id = self._store, self.current.id
            self._ops.write(lambda: records.finish_inspection(store, inspection_id))

    @Slot()
    def publish(self) -> None:
        if self.current is not None:
            store, inspection_id = self._store, self.current.id
            self._ops.write(lambda: records.publish_inspection(store, inspection_id))

    def error_of(self, exc: BaseException) -> str:
        return error_text(exc, self._language)
