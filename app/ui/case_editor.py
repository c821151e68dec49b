"""The case editor: a new case or an existing one, saved as a draft while the inspector types.

Nothing typed is lost: about a second after the last edit (and at the latest every few
seconds while typing goes on, on Ctrl+S, and on close) the fields are saved through the store
— ``create_case`` the first time, ``update_case`` after — in the database lane. The store
coalesces unsent updates into one outbox entry, so saving often costs nothing on the wire.

The database lane runs one job at a time in order, so the case id lives in a holder that the
job creating the case fills in: every later job (a save, a position, a photo import) finds
it there, even when the main thread has not heard back yet. That is how a photo dropped onto
a brand-new case, or a position chosen before anything was typed, creates exactly one case.

Submitting validates with the domain rules (``validate_case(..., for_submission=True)``) and
shows each error next to its field; then ``submit_case``. A case no longer in the inspector's
hands (not draft or returned) opens read-only.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QShortcut,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.capture.positions import (
    DEFAULT_POOR_ACCURACY_M,
    Fix,
    FixQuality,
    PositionSource,
    haversine_m,
)
from app.domain.errors import CityPatrolError, DomainError, FieldError, ValidationError
from app.domain.lifecycle import INSPECTOR_EDITABLE, STATUS_NAMES, CaseStatus
from app.domain.taxonomy import Taxonomy
from app.domain.validation import (
    ADDRESS_MAX,
    DESCRIPTION_MAX,
    GRID_CODE_LENGTH,
    CaseFields,
    Urgency,
    validate_case,
)
from app.storage.store import CaseRow, Changes, LocalStore, PhotoRow, PositionUpdate, StepRow
from app.ui.category_picker import CategoryPicker, category_label
from app.ui.events import StoreEvents
from app.ui.operations import Operations
from app.ui.photo_strip import PhotoStrip
from app.ui.position_panel import PositionPanel, format_time
from app.ui.tasks import TaskRunner

#: Save this long after the last edit…
AUTOSAVE_MS = 1000
#: …and at the latest this long after the first unsaved edit, however fast the typing.
AUTOSAVE_MAX_MS = 5000
#: After a failed save (say, a full disk), try again after this long.
RETRY_MS = 5000
USAGE_LIMIT = 8
DUPLICATE_RADIUS_M = 30.0
DUPLICATE_DAYS = 7

#: Which label shows the errors of which field of :class:`CaseFields`.
_POSITION_FIELDS = frozenset({"position", "lat", "lon", "accuracy_m"})

STYLE = """
QLabel#editor_title { font-size: 17px; font-weight: 600; }
QLabel#status_chip { background: #e7eefc; color: #1e4fb8; border-radius: 9px; padding: 2px 10px; }
QLabel#status_chip[locked="true"] { background: #eceff3; color: #4a5361; }
QLabel#save_state { color: #5b6472; }
QLabel#section_title { font-weight: 600; color: #253041; }
QLabel#field_label { font-weight: 600; color: #253041; }
QLabel#field_error { color: #b3261e; }
QLabel#hint, QLabel#position_detail, QLabel#gps_status, QLabel#position_note { color: #5b6472; }
QLabel#counter { color: #5b6472; }
QLabel#counter[over="true"] { color: #b3261e; font-weight: 600; }
QLabel#category_value { font-size: 14px; font-weight: 600; }
QLabel#category_value[empty="true"] { font-weight: normal; color: #7a8392; }
QLabel#position_coordinates { font-size: 15px; font-weight: 600; }
QLabel#position_warning { background: #fff4e5; border: 1px solid #f0b35b; border-radius: 4px;
    padding: 6px 8px; color: #6b4100; }
QLabel#banner { border-radius: 4px; padding: 6px 10px; }
QLabel#banner[kind="info"] { background: #eaf1fd; border: 1px solid #c4d6f6; color: #1d3a6e; }
QLabel#banner[kind="error"] { background: #fdecea; border: 1px solid #f4c1bc; color: #8a1c13; }
QLabel#banner[kind="done"] { background: #e8f5ec; border: 1px solid #b9dfc4; color: #1e5631; }
QFrame#duplicates { background: #fff7ed; border: 1px solid #f0b35b; border-radius: 4px; }
QLabel#duplicates_title { font-weight: 600; color: #8a4b00; }
QFrame#refused_panel { background: #fdecea; border: 1px solid #f4c1bc; border-radius: 4px; }
QLabel#refused_text { color: #8a1c13; }
QLabel#photo_empty { border: 1px dashed #b4bcc8; border-radius: 4px; color: #5b6472; }
QListWidget#photo_list[dropTarget="true"], QLabel#photo_empty[dropTarget="true"] {
    border: 2px dashed #2f6fde; background: #f1f6ff; }
"""


@dataclass
class _CaseRef:
    """The case id as the database lane knows it (set by the job that creates the case)."""

    id: str | None = None
    #: What creating the case changed, until it is announced: the case may be created by a
    #: save, a position or a photo import, whichever runs first; the job that takes it (or
    #: the editor learning the id) announces it once. Taken from both threads, so locked.
    _created: Changes | None = None
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def create(self, store: LocalStore, fields: CaseFields) -> str:
        created = store.create_case(fields)
        with self._lock:
            self.id, self._created = created.id, created.changes
        return created.id

    def take_created(self) -> Changes:
        """What creating the case changed, if not announced yet (else nothing)."""
        with self._lock:
            created, self._created = self._created, None
        return created or Changes()


@dataclass(frozen=True, slots=True)
class _Saved:
    case_id: str
    created: bool
    changed: bool
    #: What the save changed (announced on the store's events; empty when nothing changed).
    changes: Changes = dataclasses.field(default_factory=Changes)


@dataclass(frozen=True, slots=True)
class _Positioned:
    case_id: str
    update: PositionUpdate
    created: Changes

    @property
    def changes(self) -> Changes:
        return self.created | self.update.changes


@dataclass(frozen=True, slots=True)
class _Submitted:
    row: CaseRow
    changes: Changes


@dataclass(frozen=True, slots=True)
class _Loaded:
    row: CaseRow
    position: Fix | None
    steps: list[StepRow]


def _text_only(fields: CaseFields) -> CaseFields:
    """The fields an autosave writes: positions go through ``set_case_position`` only."""
    return dataclasses.replace(fields, lat=None, lon=None, accuracy_m=None, observed_at=None)


class CaseEditor(QWidget):
    """Edit one case: category, description, urgency, address, position and photos."""

    #: The case was written (fields, position or photos); the case id.
    saved = Signal(str)
    #: The case was submitted; the case id.
    submitted = Signal(str)
    #: The editor was closed (after its last save was queued).
    closed = Signal()
    #: The user asked to open another case (a possible duplicate); its id.
    open_case_requested = Signal(str)

    def __init__(  # noqa: PLR0917 - the signature the main window calls, like a dialog's
        self,
        store: LocalStore,
        tasks: TaskRunner,
        taxonomy: Taxonomy,
        language: str,
        case_id: str | None = None,
        parent: QWidget | None = None,
        *,
        current_fix: Callable[[], Fix | None] | None = None,
        poor_accuracy_m: float = DEFAULT_POOR_ACCURACY_M,
        duplicate_radius_m: float = DUPLICATE_RADIUS_M,
        duplicate_days: float = DUPLICATE_DAYS,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._tasks = tasks
        self._taxonomy = taxonomy
        self._language = language
        self._poor_accuracy_m = poor_accuracy_m
        self._duplicate_radius_m = duplicate_radius_m
        self._duplicate_days = duplicate_days
        self._ref = _CaseRef(case_id)
        self._case_id = case_id
        self._row: CaseRow | None = None
        self._category: str | None = None
        self._position: Fix | None = None
        self._photos: list[PhotoRow] = []
        self._duplicates: list[CaseRow] = []
        self._editable = True
        self._loaded = case_id is None
        self._populating = False
        #: The fields last handed to the store (None: unknown, save at the next chance).
        self._queued: CaseFields | None = _text_only(CaseFields())
        self._pending_saves = 0
        self._submitting = False
        self._validate_live = False
        self._ops = Operations(self, tasks, language, store=store)
        self._closed = False
        self.setObjectName("case_editor")
        self.setWindowTitle(self.tr("Case"))
        self.setStyleSheet(STYLE)
        self.setAcceptDrops(True)

        self._build(current_fix)
        self._connect()
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.timeout.connect(self.save_now)
        self._max_timer = QTimer(self)
        self._max_timer.setSingleShot(True)
        self._max_timer.timeout.connect(self.save_now)

        self._ops.run(
            lambda: store.category_usage(USAGE_LIMIT),
            self.picker.set_usage,
            on_error=lambda _exc: None,  # the list is a convenience; the tree is all there
        )
        if case_id is None:
            self._show_header()
            self._set_editable(True)
            self.setFocusProxy(self.picker)
        else:
            self.body.setEnabled(False)
            self._load()

    # -- building -----------------------------------------------------------------------

    def _build(self, current_fix: Callable[[], Fix | None] | None) -> None:
        self.title_label = QLabel()
        self.title_label.setObjectName("editor_title")
        self.status_label = QLabel()
        self.status_label.setObjectName("status_chip")
        self.save_state_label = QLabel()
        self.save_state_label.setObjectName("save_state")
        self.submit_button = QPushButton(self.tr("&Submit"))
        self.submit_button.setObjectName("submit_case")
        self.submit_button.setToolTip(self.tr("Check the case and submit it (Ctrl+Enter)"))
        self.submit_button.setDefault(True)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.setObjectName("close_editor")
        self.close_button.setToolTip(self.tr("Close; the draft is kept (Ctrl+W)"))
        header = QHBoxLayout()
        header.setSpacing(10)
        header.addWidget(self.title_label)
        header.addWidget(self.status_label)
        header.addStretch(1)
        header.addWidget(self.save_state_label)
        header.addSpacing(8)
        header.addWidget(self.submit_button)
        header.addWidget(self.close_button)

        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()

        # Left: the category picker.
        self.picker = CategoryPicker(self._taxonomy, self._language)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 6, 0)
        left_layout.setSpacing(6)
        left_layout.addWidget(self._section(self.tr("Category")))
        left_layout.addWidget(self.picker, 1)
        left.setMinimumWidth(260)

        # Middle: the fields.
        self.category_value = QLabel()
        self.category_value.setObjectName("category_value")
        self.category_value.setWordWrap(True)
        self.category_error = self._error_label()
        self.description = QPlainTextEdit()
        self.description.setObjectName("description")
        self.description.setPlaceholderText(
            self.tr("What is the problem, how big, since when? (e.g. garbage pile about 2 m³)")
        )
        self.description.setTabChangesFocus(True)
        self.description.setMinimumHeight(90)
        self.description_counter = QLabel()
        self.description_counter.setObjectName("counter")
        self.description_error = self._error_label()
        self.urgency = QComboBox()
        self.urgency.setObjectName("urgency")
        for urgency, text in (
            (Urgency.NORMAL, self.tr("Normal")),
            (Urgency.URGENT, self.tr("Urgent")),
            (Urgency.EMERGENCY, self.tr("Emergency")),
        ):
            self.urgency.addItem(text, urgency.value)
        self.address = QLineEdit()
        self.address.setObjectName("address")
        self.address.setMaxLength(ADDRESS_MAX)
        self.address.setPlaceholderText(self.tr("Street, number, landmark"))
        self.address.setClearButtonEnabled(True)
        self.address_error = self._error_label()
        self.grid_code = QLineEdit()
        self.grid_code.setObjectName("grid_code")
        self.grid_code.setMaxLength(GRID_CODE_LENGTH)
        self.grid_code.setPlaceholderText(self.tr("15 digits, optional"))
        self.grid_code.setToolTip(
            self.tr("The grid cell (单元网格) of the problem: district, street, community, cell")
        )
        self.grid_code_error = self._error_label()
        self.observed_label = QLabel()
        self.observed_label.setObjectName("hint")
        self.general_error = self._error_label()

        category_caption = self._field_label(self.tr("Chosen category"))
        description_caption = self._field_label(self.tr("&Description"), self.description)
        urgency_caption = self._field_label(self.tr("&Urgency"), self.urgency)
        address_caption = self._field_label(self.tr("&Address"), self.address)
        grid_caption = self._field_label(self.tr("&Grid cell"), self.grid_code)
        middle = QWidget()
        form = QGridLayout(middle)
        form.setContentsMargins(6, 0, 6, 0)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(4)
        form.addWidget(self._section(self.tr("Details")), 0, 0, 1, 2)
        form.addWidget(category_caption, 1, 0, 1, 2)
        form.addWidget(self.category_value, 2, 0, 1, 2)
        form.addWidget(self.category_error, 3, 0, 1, 2)
        form.addWidget(description_caption, 4, 0, 1, 2)
        form.addWidget(self.description, 5, 0, 1, 2)
        counter_row = QHBoxLayout()
        counter_row.addWidget(self.description_error, 1)
        counter_row.addWidget(self.description_counter, 0, Qt.AlignmentFlag.AlignRight)
        form.addLayout(counter_row, 6, 0, 1, 2)
        form.addWidget(urgency_caption, 7, 0)
        form.addWidget(address_caption, 7, 1)
        form.addWidget(self.urgency, 8, 0)
        form.addWidget(self.address, 8, 1)
        form.addWidget(self.address_error, 9, 1)
        form.addWidget(grid_caption, 10, 0)
        form.addWidget(self.grid_code, 10, 1)
        form.addWidget(self.grid_code_error, 11, 1)
        form.addWidget(self.observed_label, 12, 0, 1, 2)
        form.addWidget(self.general_error, 13, 0, 1, 2)
        form.setRowStretch(5, 1)
        form.setColumnStretch(1, 1)
        middle.setMinimumWidth(360)

        # Right: the position and the duplicate check.
        self.position_panel = PositionPanel(
            self._language,
            current_fix=current_fix,
            poor_accuracy_m=self._poor_accuracy_m,
            tasks=self._tasks,
            data_dir=self._store.data_dir,
        )
        self.duplicates_box = QFrame()
        self.duplicates_box.setObjectName("duplicates")
        self.duplicates_title = QLabel()
        self.duplicates_title.setObjectName("duplicates_title")
        self.duplicates_title.setWordWrap(True)
        self.duplicates_hint = QLabel(
            self.tr("Open cases of this category nearby. Double-click one to open it.")
        )
        self.duplicates_hint.setObjectName("hint")
        self.duplicates_hint.setWordWrap(True)
        self.duplicates_list = QListWidget()
        self.duplicates_list.setObjectName("duplicates_list")
        self.duplicates_list.setWordWrap(True)
        self.duplicates_list.setAccessibleName(self.tr("Possibly already reported"))
        dup_layout = QVBoxLayout(self.duplicates_box)
        dup_layout.setContentsMargins(8, 6, 8, 8)
        dup_layout.setSpacing(4)
        dup_layout.addWidget(self.duplicates_title)
        dup_layout.addWidget(self.duplicates_hint)
        dup_layout.addWidget(self.duplicates_list)
        self.duplicates_box.hide()
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 0, 0, 0)
        right_layout.setSpacing(6)
        right_layout.addWidget(self._section(self.tr("Position")))
        right_layout.addWidget(self.position_panel)
        right_layout.addSpacing(6)
        right_layout.addWidget(self.duplicates_box)
        right_layout.addStretch(1)
        right.setMinimumWidth(340)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        for widget in (left, middle, right):
            self.splitter.addWidget(widget)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([320, 560, 420])

        self.photo_strip = PhotoStrip(self._store, self._tasks, self._language)
        self.photo_strip.set_case_source(self._case_job)
        self.photo_strip.set_case(self._case_id)

        self.body = QWidget()
        body_layout = QVBoxLayout(self.body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.setSpacing(8)
        body_layout.addWidget(self.splitter, 1)
        separator = QFrame()
        separator.setFrameShape(QFrame.Shape.HLine)
        separator.setFrameShadow(QFrame.Shadow.Sunken)
        body_layout.addWidget(separator)
        body_layout.addWidget(self.photo_strip)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self.banner)
        layout.addWidget(self.body, 1)

        # Keyboard: the order a person fills the case in, then the actions.
        chain: list[QWidget] = [
            self.picker.search,
            self.picker.tree,
            self.description,
            self.urgency,
            self.address,
            self.grid_code,
            self.position_panel.current_button,
            self.position_panel.photo_button,
            self.position_panel.manual_button,
            self.duplicates_list,
            self.photo_strip.list,
            self.photo_strip.add_button,
            self.photo_strip.folder_button,
            self.photo_strip.remove_button,
            self.photo_strip.dismiss_button,
            self.submit_button,
            self.close_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

        self.field_errors: dict[str, QLabel] = {
            "category_code": self.category_error,
            "description": self.description_error,
            "address": self.address_error,
            "grid_code": self.grid_code_error,
        }
        self._update_counter()
        self._show_category()

    def _section(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("section_title")
        return label

    def _field_label(self, text: str, buddy: QWidget | None = None) -> QLabel:
        label = QLabel(text)
        label.setObjectName("field_label")
        if buddy is not None:
            label.setBuddy(buddy)
        return label

    def _error_label(self) -> QLabel:
        label = QLabel()
        label.setObjectName("field_error")
        label.setWordWrap(True)
        label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        label.hide()
        return label

    def _connect(self) -> None:
        self.picker.category_chosen.connect(self._on_category)
        self.description.textChanged.connect(self._on_description)
        self.address.textChanged.connect(self._edited)
        self.grid_code.textChanged.connect(self._edited)
        self.urgency.currentIndexChanged.connect(self._on_urgency)
        self.position_panel.fix_chosen.connect(self.use_fix)
        self.photo_strip.photos_changed.connect(self._on_photos)
        self.photo_strip.changed.connect(self._on_photos_written)
        self.submit_button.clicked.connect(self.submit)
        self.close_button.clicked.connect(self.close)
        self.duplicates_list.itemDoubleClicked.connect(self._open_duplicate)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            open_key = QShortcut(QKeySequence(key), self.duplicates_list)
            open_key.setContext(Qt.ShortcutContext.WidgetShortcut)
            open_key.activated.connect(self._open_current_duplicate)
        shortcuts: list[tuple[QKeySequence, Callable[[], None]]] = [
            (QKeySequence(QKeySequence.StandardKey.Save), self._save_shortcut),
            (QKeySequence(QKeySequence.StandardKey.Close), self._close_shortcut),
            (QKeySequence("Ctrl+Return"), self.submit),
            (QKeySequence("Ctrl+Enter"), self.submit),
        ]
        for sequence, slot in shortcuts:
            shortcut = QShortcut(sequence, self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    # -- public API ---------------------------------------------------------------------

    def case_id(self) -> str | None:
        """The case's id (None for a new case not saved yet)."""
        return self._case_id

    def is_editable(self) -> bool:
        return self._editable

    def is_loaded(self) -> bool:
        return self._loaded

    def has_unsaved_changes(self) -> bool:
        """Edits not yet handed to the store (a save is due) or not yet written."""
        return self._save_timer.isActive() or self._pending_saves > 0

    def current_fields(self) -> CaseFields:
        """The fields as shown (the position is the case's stored one)."""
        fix = self._position
        return CaseFields(
            category_code=self._category,
            description=self.description.toPlainText(),
            address=self.address.text(),
            grid_code=self.grid_code.text().strip() or None,
            urgency=Urgency(self.urgency.currentData()),
            lat=fix.lat if fix else None,
            lon=fix.lon if fix else None,
            accuracy_m=fix.accuracy_m if fix else None,
        )

    def duplicates(self) -> list[CaseRow]:
        """The possible duplicates shown now."""
        return list(self._duplicates)

    def set_current_fix(self, fix: Fix | None) -> None:
        """The receiver's latest fix, for "Use current position" (fed from GPS)."""
        self.position_panel.set_current_fix(fix)

    def save_now(self) -> None:
        """Hand the fields to the store now, if they changed since the last save."""
        self._save_timer.stop()
        self._max_timer.stop()
        if not (self._editable and self._loaded) or self._submitting:
            return
        fields = _text_only(self.current_fields())
        if fields == self._queued:
            if self._pending_saves == 0 and self._case_id is not None:
                self._set_save_state(self.tr("All changes saved"))
            return
        self._queued = fields
        self._pending_saves += 1
        self._set_save_state(self.tr("Saving…"))
        self._ops.write(self._save_job(fields), self._on_saved, on_error=self._on_save_failed)

    def use_fix(self, fix: Fix) -> None:
        """Give the case this position (the store may keep a better one it has)."""
        if not (self._editable and self._loaded):
            return
        ensure, store, poor = self._case_job(), self._store, self._poor_accuracy_m
        ref = self._ref

        def job() -> _Positioned:
            case_id = ensure()
            update = store.set_case_position(case_id, fix, poor_accuracy_m=poor)
            return _Positioned(case_id, update, ref.take_created())

        self._ops.write(job, self._on_position_set, on_error=self._on_position_failed)

    def submit(self) -> None:
        """Validate for submission (errors shown by their fields), save, then submit."""
        if not (self._editable and self._loaded) or self._submitting:
            return
        self._save_timer.stop()
        self._max_timer.stop()
        fields = self.current_fields()
        errors = validate_case(fields, self._taxonomy, for_submission=True)
        self._validate_live = True
        self._show_errors(errors)
        if errors:
            self._show_banner(
                self.tr(
                    "%n field(s) need attention before the case can be submitted.", "", len(errors)
                ),
                "error",
            )
            self._focus_field(errors[0].field)
            self.save_now()  # not submittable yet, but kept as a draft
            return
        self._submitting = True
        self.submit_button.setEnabled(False)
        self.body.setEnabled(False)  # nothing typed while the case is being submitted
        self._set_save_state(self.tr("Submitting…"))
        text = _text_only(fields)
        self._queued = text
        save, ref, store = self._save_job(text), self._ref, self._store

        def job() -> _Submitted:
            saved = save()
            assert ref.id is not None
            changes = saved.changes | ref.take_created() | store.submit_case(ref.id)
            return _Submitted(store.get_case(ref.id), changes)

        self._ops.write(job, self._on_submitted, on_error=self._on_submit_failed)

    # -- loading ------------------------------------------------------------------------

    def _load(self) -> None:
        store, case_id = self._store, self._case_id
        assert case_id is not None

        def job() -> _Loaded:
            return _Loaded(
                store.get_case(case_id), store.case_position(case_id), store.steps(case_id)
            )

        self._ops.run(job, self._on_loaded, key="load", on_error=self._on_load_failed)

    def _on_loaded(self, loaded: _Loaded) -> None:
        row = loaded.row
        self._row = row
        self._populating = True
        try:
            self._category = row.category_code
            self.picker.set_current(row.category_code)
            self.description.setPlainText(row.description)
            self.urgency.setCurrentIndex(max(0, self.urgency.findData(row.urgency.value)))
            self.address.setText(row.address)
            self.grid_code.setText(row.grid_code or "")
        finally:
            self._populating = False
        self._queued = _text_only(self.current_fields())
        self._position = loaded.position
        self.position_panel.set_position(loaded.position)
        self._show_category()
        self._update_counter()
        self._loaded = True
        self.body.setEnabled(True)
        self._set_editable(row.status in INSPECTOR_EDITABLE)
        self._show_header()
        if row.status is CaseStatus.RETURNED:
            opinion = next(
                (s.opinion for s in reversed(loaded.steps) if s.to_status == "returned"), ""
            )
            text = self.tr("Returned for correction. Make the changes, then submit again.")
            if opinion:
                text += "\n" + self.tr("Supervisor’s opinion: %1").replace("%1", opinion)
            self._show_banner(text, "info")
        if self._editable:
            self.description.setFocus(Qt.FocusReason.OtherFocusReason)
            self.setFocusProxy(self.description)
            self._set_save_state("")
        self._check_duplicates()

    def _on_load_failed(self, exc: BaseException) -> None:
        self._show_banner(self._error_text(exc), "error")
        self._set_editable(False)

    # -- editing and autosave -------------------------------------------------------------

    def _on_category(self, code: str) -> None:
        if not self._editable:
            return
        self._category = code
        self._show_category()
        self._edited()
        self.save_now()
        self._check_duplicates()

    def _on_urgency(self, _index: int) -> None:
        self._edited()
        if not self._populating:
            self.save_now()

    def _on_description(self) -> None:
        text = self.description.toPlainText()
        excess = len(text) - DESCRIPTION_MAX
        if excess > 0 and not self._populating:
            # Like a line edit's maximum length: what goes past the limit is not taken in, so a
            # draft never becomes one the store must refuse (and could then not keep).
            cursor = self.description.textCursor()
            end = cursor.position()
            cursor.setPosition(max(0, end - excess))
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            cursor.removeSelectedText()  # re-enters this slot once, within the limit
            self.description_error.setText(
                self.tr("The description is limited to %1 characters.").replace(
                    "%1", str(DESCRIPTION_MAX)
                )
            )
            self.description_error.show()
            return
        self._update_counter()
        self._edited()

    def _edited(self) -> None:
        if self._populating or not (self._editable and self._loaded):
            return
        self._save_timer.start(AUTOSAVE_MS)
        if not self._max_timer.isActive():
            self._max_timer.start(AUTOSAVE_MAX_MS)
        self._set_save_state(self.tr("Editing…"))
        if self._validate_live:
            self._show_errors(
                validate_case(self.current_fields(), self._taxonomy, for_submission=True)
            )

    def _save_job(self, fields: CaseFields) -> Callable[[], _Saved]:
        ref, store = self._ref, self._store

        def job() -> _Saved:
            if ref.id is None:
                case_id = ref.create(store, fields)
                return _Saved(case_id, created=True, changed=True, changes=ref.take_created())
            current = store.get_case(ref.id)
            wanted = dataclasses.replace(
                fields, lat=current.lat, lon=current.lon, accuracy_m=current.accuracy_m
            )
            if wanted == dataclasses.replace(current.fields, observed_at=None):
                return _Saved(ref.id, created=False, changed=False)
            changes = store.update_case(ref.id, wanted)
            return _Saved(ref.id, created=False, changed=True, changes=changes)

        return job

    def _case_job(self) -> Callable[[], str]:
        """A job-side callable returning the case id, creating the case from the fields now."""
        ref, store = self._ref, self._store
        fields = _text_only(self.current_fields())

        def ensure() -> str:
            return ref.id if ref.id is not None else ref.create(store, fields)

        return ensure

    def _on_saved(self, saved: _Saved) -> None:
        self._pending_saves -= 1
        if self._adopt(saved.case_id) or saved.changed:
            self.saved.emit(saved.case_id)
        if self._pending_saves == 0 and not self._save_timer.isActive():
            self._set_save_state(self._saved_text())
            if not self._validate_live:
                self._show_errors([])

    def _on_save_failed(self, exc: BaseException) -> None:
        self._pending_saves -= 1
        self._queued = None  # save again at the next chance
        if isinstance(exc, DomainError) and exc.code == "not_editable" and self._case_id:
            self._load()  # submitted or taken over elsewhere: show the case as it now is
            return
        if isinstance(exc, ValidationError):
            self._show_errors(exc.errors)
            self._set_save_state(self.tr("Not saved: correct the marked fields"))
            return
        self._set_save_state(self.tr("Not saved — trying again"))
        self._show_banner(
            self.tr(
                "Could not save the draft: %1\nWhat you typed stays here and is saved again shortly."
            ).replace("%1", self._error_text(exc)),
            "error",
        )
        if not self._closed:
            self._save_timer.start(RETRY_MS)

    def _adopt(self, case_id: str) -> bool:
        """Learn the id of the case a job created; True the first time."""
        # A case created by a photo import is announced here (the strip's job cannot say).
        StoreEvents.of(self._store).announce(self._ref.take_created())
        if self._case_id == case_id:
            return False
        self._case_id = case_id
        self.photo_strip.set_case(case_id)
        self._show_header()
        return True

    # -- position -------------------------------------------------------------------------

    def _on_position_set(self, result: _Positioned) -> None:
        case_id, update = result.case_id, result.update
        new = self._adopt(case_id)
        self._position = update.kept
        self.position_panel.set_position(update.kept)
        self.position_panel.set_errors([])
        if update.replaced or new:
            self.saved.emit(case_id)
        if update.replaced:
            self.position_panel.show_note("")
        elif update.kept is not None and update.kept.source is PositionSource.MANUAL:
            self.position_panel.show_note(
                self.tr(
                    "The position entered by hand was kept. To change it, enter the new one by hand."
                )
            )
        else:
            self.position_panel.show_note(
                self.tr("The case keeps its position, which is more accurate.")
            )
        if self._validate_live:
            self._show_errors(
                validate_case(self.current_fields(), self._taxonomy, for_submission=True)
            )
        self._check_duplicates()

    def _on_position_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            self.position_panel.set_errors([e.message.text(self._language) for e in exc.errors])
        else:
            self.position_panel.set_errors([self._error_text(exc)])

    def _on_photos(self, photos: list[PhotoRow]) -> None:
        self._photos = photos
        self.position_panel.set_photo_fix(_best_photo_fix(photos))
        self.position_panel.set_photo_positions(
            [(p.lat, p.lon) for p in photos if p.lat is not None and p.lon is not None]
        )

    def _on_photos_written(self, case_id: str) -> None:
        self._adopt(case_id)
        self.saved.emit(case_id)

    # -- duplicate check ------------------------------------------------------------------

    def _check_duplicates(self) -> None:
        code, fix = self._category, self._position
        if not (self._editable and code and fix is not None):
            self._ops.cancel("duplicates")  # a check still running is out of date
            self._show_duplicates([])
            return
        store, ref = self._store, self._ref
        radius, days = self._duplicate_radius_m, self._duplicate_days

        def job() -> list[CaseRow]:
            return store.nearby_open_cases(
                code, fix.lat, fix.lon, radius_m=radius, days=days, exclude_id=ref.id
            )

        # Only the check of the latest category and position is shown.
        self._ops.run(job, self._show_duplicates, key="duplicates", on_error=lambda _exc: None)

    def _show_duplicates(self, rows: list[CaseRow]) -> None:
        self._duplicates = rows
        self.duplicates_list.clear()
        fix = self._position
        for row in rows:
            category = self._taxonomy.matter(row.category_code or "")
            name = category_label(category, self._language) if category else row.category_code
            distance = (
                haversine_m(fix.lat, fix.lon, row.lat, row.lon)
                if fix is not None and row.lat is not None and row.lon is not None
                else math.nan
            )
            facts = [
                self.tr("%1 m away").replace("%1", f"{distance:.0f}"),
                STATUS_NAMES[row.status].text(self._language),
                format_time(row.created_at),
            ]
            summary = (row.description or row.address).replace("\n", " ")
            if len(summary) > 60:
                summary = summary[:59] + "…"
            text = f"{name} · {' · '.join(facts)}"
            if summary:
                text += f"\n{summary}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            item.setToolTip("\n".join(filter(None, (row.description, row.address))))
            self.duplicates_list.addItem(item)
        self.duplicates_title.setText(
            self.tr("Possibly already reported: %n case(s) within %1 m", "", len(rows)).replace(
                "%1", f"{self._duplicate_radius_m:g}"
            )
        )
        shown = sum(self.duplicates_list.sizeHintForRow(i) for i in range(min(len(rows), 3)))
        self.duplicates_list.setFixedHeight(shown + 2 * self.duplicates_list.frameWidth() + 4)
        self.duplicates_box.setVisible(bool(rows))

    def _open_current_duplicate(self) -> None:
        item = self.duplicates_list.currentItem()
        if item is not None:
            self._open_duplicate(item)

    def _open_duplicate(self, item: QListWidgetItem) -> None:
        case_id = item.data(Qt.ItemDataRole.UserRole)
        if case_id:
            self.open_case_requested.emit(str(case_id))

    # -- submission -----------------------------------------------------------------------

    def _on_submitted(self, submitted: _Submitted) -> None:
        row = submitted.row
        self._submitting = False
        self.body.setEnabled(True)
        if self._adopt(row.id):
            self.saved.emit(row.id)
        self._row = row
        self._validate_live = False
        self._show_errors([])
        self._set_editable(row.status in INSPECTOR_EDITABLE)
        self._show_header()
        self._show_banner(self.tr("Submitted. It is sent to the server at the next sync."), "done")
        self.submitted.emit(row.id)

    def _on_submit_failed(self, exc: BaseException) -> None:
        self._submitting = False
        self.body.setEnabled(True)
        self.submit_button.setEnabled(self._editable)
        self._set_save_state(self.tr("Not submitted"))
        if isinstance(exc, DomainError) and exc.code == "not_editable" and self._case_id:
            # Submitted (or taken over) elsewhere meanwhile: show the case as it now is.
            self._load()
            self._show_banner(
                self.tr("Could not submit: %1").replace("%1", self._error_text(exc)), "error"
            )
            return
        self._queued = None  # whether the save before the submission went through is unknown
        self._save_timer.start(AUTOSAVE_MS)
        if isinstance(exc, ValidationError):
            self._show_errors(exc.errors)
            self._focus_field(exc.errors[0].field if exc.errors else "")
            return
        self._show_banner(
            self.tr("Could not submit: %1").replace("%1", self._error_text(exc)), "error"
        )

    # -- display --------------------------------------------------------------------------

    def _set_editable(self, editable: bool) -> None:
        self._editable = editable
        self.picker.set_read_only(not editable)
        self.description.setReadOnly(not editable)
        self.urgency.setEnabled(editable)
        self.address.setReadOnly(not editable)
        self.grid_code.setReadOnly(not editable)
        self.position_panel.set_read_only(not editable)
        self.photo_strip.set_read_only(not editable)
        self.setAcceptDrops(editable)
        self.submit_button.setVisible(editable)
        self.submit_button.setEnabled(editable and not self._submitting)
        if not editable:
            self._save_timer.stop()
            self._max_timer.stop()
            self.duplicates_box.hide()
            if self._row is not None:
                status = STATUS_NAMES[self._row.status].text(self._language)
                self._set_save_state("")
                self._show_banner(
                    self.tr(
                        "Status: %1. This case is no longer in your hands and cannot be edited."
                    ).replace("%1", status),
                    "info",
                )

    def _show_header(self) -> None:
        row = self._row
        if self._case_id is None:
            self.title_label.setText(self.tr("New case"))
            self.status_label.setText(STATUS_NAMES[CaseStatus.DRAFT].text(self._language))
            self.observed_label.hide()
        else:
            status = row.status if row is not None else CaseStatus.DRAFT
            self.title_label.setText(self.tr("Case %1").replace("%1", self._case_id[-6:].upper()))
            self.title_label.setToolTip(self._case_id)
            self.status_label.setText(STATUS_NAMES[status].text(self._language))
            observed = row.observed_at if row is not None else None
            if observed is not None:
                self.observed_label.setText(
                    self.tr("Observed %1").replace("%1", format_time(observed))
                )
            self.observed_label.setVisible(observed is not None)
        locked = not self._editable
        self.status_label.setProperty("locked", locked)
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
        self.setWindowTitle(self.title_label.text())

    def _show_category(self) -> None:
        category = self._taxonomy.matter(self._category or "")
        if category is None:
            self.category_value.setText(
                self.tr("None yet: choose one from the list on the left")
                if self._editable
                else self.tr("None")
            )
            self.category_value.setToolTip("")
        else:
            major = (
                category.major_name if self._language.startswith("zh") else category.major_name_en
            )
            self.category_value.setText(f"{category_label(category, self._language)}  ·  {major}")
            self.category_value.setToolTip(f"{category.name} / {category.name_en}")
        self.category_value.setProperty("empty", category is None)
        self.category_value.style().unpolish(self.category_value)
        self.category_value.style().polish(self.category_value)

    def _update_counter(self) -> None:
        length = len(self.description.toPlainText())
        self.description_counter.setText(f"{length} / {DESCRIPTION_MAX}")
        over = length > DESCRIPTION_MAX
        if self.description_counter.property("over") != over:
            self.description_counter.setProperty("over", over)
            self.description_counter.style().unpolish(self.description_counter)
            self.description_counter.style().polish(self.description_counter)

    def _show_errors(self, errors: list[FieldError]) -> None:
        by_label: dict[str, list[str]] = {}
        position: list[str] = []
        general: list[str] = []
        for error in errors:
            text = error.message.text(self._language)
            if error.field in self.field_errors:
                by_label.setdefault(error.field, []).append(text)
            elif error.field in _POSITION_FIELDS:
                position.append(text)
            else:
                general.append(text)
        for field, label in self.field_errors.items():
            label.setText("\n".join(by_label.get(field, [])))
            label.setVisible(field in by_label)
        self.position_panel.set_errors(position)
        self.general_error.setText("\n".join(general))
        self.general_error.setVisible(bool(general))
        if not errors and self.banner.property("kind") == "error" and self._validate_live:
            self.banner.hide()

    def _focus_field(self, field: str) -> None:
        widgets: dict[str, QWidget] = {
            "category_code": self.picker.search,
            "description": self.description,
            "address": self.address,
            "grid_code": self.grid_code,
        }
        widget = widgets.get(field)
        if widget is None and field in _POSITION_FIELDS:
            widget = self.position_panel.manual_button
        if widget is not None:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_banner(self, text: str, kind: str) -> None:
        self.banner.setText(text)
        self.banner.setProperty("kind", kind)
        self.banner.style().unpolish(self.banner)
        self.banner.style().polish(self.banner)
        self.banner.setVisible(bool(text))

    def _set_save_state(self, text: str) -> None:
        self.save_state_label.setText(text)

    def _saved_text(self) -> str:
        return self.tr("Draft saved %1").replace(
            "%1", datetime.now(UTC).astimezone().strftime("%H:%M:%S")
        )

    def _error_text(self, exc: BaseException) -> str:
        if isinstance(exc, CityPatrolError):
            return exc.text(self._language)
        return self.tr("Unexpected error: %1").replace("%1", str(exc))

    # -- shortcuts, drops and closing ---------------------------------------------------------

    def _save_shortcut(self) -> None:
        self.save_now()

    def _close_shortcut(self) -> None:
        self.close()

    # Photos dropped anywhere on the editor go to the photo strip.

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        self.photo_strip.dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self.photo_strip.dragMoveEvent(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.photo_strip.dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self.photo_strip.dropEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_now()
        self._closed = True
        super().closeEvent(event)
        self.closed.emit()


def _best_photo_fix(photos: list[PhotoRow]) -> Fix | None:
    """The position of the photo placed best (known accuracy first), as a :class:`Fix`."""
    placed = [p for p in photos if p.lat is not None and p.lon is not None]
    if not placed:
        return None

    def rank(photo: PhotoRow) -> float:
        accuracy = photo.accuracy_m
        return accuracy if accuracy is not None and math.isfinite(accuracy) else math.inf

    best = min(placed, key=rank)
    assert best.lat is not None and best.lon is not None
    try:
        source = PositionSource(best.position_source or PositionSource.PHOTO.value)
    except ValueError:
        source = PositionSource.PHOTO
    quality = FixQuality.ESTIMATED if source is PositionSource.TRACK else FixQuality.UNKNOWN
    return Fix(
        lat=best.lat,
        lon=best.lon,
        accuracy_m=best.accuracy_m,
        altitude_m=None,
        time=best.taken_at,
        quality=quality,
        source=source,
        mode=2,
    )
