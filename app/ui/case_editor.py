"""The case editor: a new case or an existing one, saved as a draft while the inspector types.

Nothing typed is lost: about a second after the last edit (and at the latest every few
seconds while typing goes on, on Ctrl+S, and on close) the fields are saved through the store
— ``create_case`` the first time, ``update_case`` after — in the database lane. The store
coalesces unsent updates into one outbox entry, so saving often costs nothing on the wire.

The database lane runs one job at a time in order, so the case id lives in a holder that the
job creating the case fills in: every later job (a save, a position, a photo import) finds
it there, even when the main thread has not heard back yet. That is how a photo dropped onto
a brand-new case, or a position chosen before anything was typed, creates exactly one case.

The pieces: the fields form (:mod:`app.ui.case_form`), the duplicate check
(:mod:`app.ui.case_duplicates`) and what the save jobs run in the database lane
(:mod:`app.ui.case_jobs`); this module wires them together with the category picker, the
position panel and the photo strip.

Submitting validates with the domain rules (``validate_case(..., for_submission=True)``) and
shows each error next to its field; then ``submit_case``. A case no longer in the inspector's
hands (not draft or returned) opens read-only.
"""

from __future__ import annotations

import dataclasses
import html
import itertools
from collections.abc import Callable
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
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.capture.positions import (
    DEFAULT_POOR_ACCURACY_M,
    Fix,
    PositionSource,
)
from app.domain.errors import DomainError, FieldError, ValidationError
from app.domain.grids import GridSource
from app.domain.lifecycle import INSPECTOR_EDITABLE, CaseStatus
from app.domain.taxonomy import Taxonomy
from app.domain.validation import (
    DESCRIPTION_MAX,
    CaseFields,
    Urgency,
    validate_case,
)
from app.storage.store import CaseRow, LocalStore, PhotoRow
from app.ui.case_duplicates import DUPLICATE_DAYS, DUPLICATE_RADIUS_M, DuplicateBox, nearby_job
from app.ui.case_form import POSITION_FIELDS, STYLE, CaseForm, restyle, section
from app.ui.case_jobs import (
    AUTOSAVE_MAX_MS,
    AUTOSAVE_MS,
    RETRY_MS,
    CaseRef,
    Loaded,
    Positioned,
    Saved,
    Submitted,
    best_photo_fix,
    save_job,
    text_only,
)
from app.ui.case_place import PlaceInfo, place_job, place_text
from app.ui.category_picker import CategoryPicker
from app.ui.common.text import status_text, unexpected_error_text
from app.ui.events import StoreEvents
from app.ui.operations import Operations
from app.ui.photo_strip import PhotoStrip
from app.ui.position_panel import PositionPanel, format_time
from app.ui.tasks import TaskRunner

USAGE_LIMIT = 8


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
        self._ref = CaseRef(case_id)
        self._case_id = case_id
        self._row: CaseRow | None = None
        self._category: str | None = None
        self._position: Fix | None = None
        # The grid code the position gave (the field shows it until the inspector types).
        self._auto_code: str | None = None
        self._address_proposal: str | None = None
        self._photos: list[PhotoRow] = []
        self._duplicates: list[CaseRow] = []
        self._editable = True
        self._loaded = case_id is None
        self._populating = False
        #: The fields last handed to the store (None: unknown, save at the next chance).
        self._queued: CaseFields | None = text_only(CaseFields())
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
            self._refresh_place()
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
        left_layout.addWidget(section(self.tr("Category")))
        left_layout.addWidget(self.picker, 1)
        left.setMinimumWidth(260)

        # Middle: the fields (app.ui.case_form); its widgets are the editor's too.
        self.form = middle = CaseForm(self._taxonomy, self._language)
        self.category_value, self.category_error = middle.category_value, middle.category_error
        self.description, self.description_counter = middle.description, middle.description_counter
        self.description_error, self.urgency = middle.description_error, middle.urgency
        self.address, self.grid_code = middle.address, middle.grid_code
        self.observed_label, self.general_error = middle.observed_label, middle.general_error

        # Right: the position and the duplicate check.
        self.position_panel = PositionPanel(
            self._language,
            current_fix=current_fix,
            poor_accuracy_m=self._poor_accuracy_m,
            tasks=self._tasks,
            data_dir=self._store.data_dir,
        )
        # The duplicate check (app.ui.case_duplicates).
        self.duplicates_box = DuplicateBox(self._taxonomy, self._language)
        self.duplicates_title = self.duplicates_box.title
        self.duplicates_hint = self.duplicates_box.hint
        self.duplicates_list = self.duplicates_box.list
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(6, 0, 0, 0)
        right_layout.setSpacing(6)
        right_layout.addWidget(section(self.tr("Position")))
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

        self.field_errors = middle.field_errors
        self.form.update_counter()
        self._show_category()

    def _connect(self) -> None:
        self.picker.category_chosen.connect(self._on_category)
        self.description.textChanged.connect(self._on_description)
        self.address.textChanged.connect(self._edited)
        self.address.textChanged.connect(self._show_address_suggestion)
        self.form.address_suggestion.linkActivated.connect(self._use_address_suggestion)
        self.grid_code.textChanged.connect(self._edited)
        self.grid_code.textChanged.connect(self._refresh_place)
        self.urgency.currentIndexChanged.connect(self._on_urgency)
        self.position_panel.fix_chosen.connect(self.use_fix)
        self.photo_strip.photos_changed.connect(self._on_photos)
        self.photo_strip.changed.connect(self._on_photos_written)
        self.submit_button.clicked.connect(self.submit)
        self.close_button.clicked.connect(self.close)
        self.duplicates_box.open_requested.connect(self.open_case_requested)
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
        fields = text_only(self.current_fields())
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

        def job() -> Positioned:
            case_id = ensure()
            update = store.set_case_position(case_id, fix, poor_accuracy_m=poor)
            return Positioned(case_id, update, ref.take_created())

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
        text = text_only(fields)
        self._queued = text
        save, ref, store = self._save_job(text), self._ref, self._store

        def job() -> Submitted:
            saved = save()
            assert ref.id is not None
            changes = saved.changes | ref.take_created() | store.submit_case(ref.id)
            return Submitted(store.get_case(ref.id), changes)

        self._ops.write(job, self._on_submitted, on_error=self._on_submit_failed)

    # -- loading ------------------------------------------------------------------------

    def _load(self) -> None:
        store, case_id = self._store, self._case_id
        assert case_id is not None

        def job() -> Loaded:
            return Loaded(
                store.get_case(case_id), store.case_position(case_id), store.steps(case_id)
            )

        self._ops.run(job, self._on_loaded, key="load", on_error=self._on_load_failed)

    def _on_loaded(self, loaded: Loaded) -> None:
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
        self._queued = text_only(self.current_fields())
        self._position = loaded.position
        self.position_panel.set_position(loaded.position)
        self._show_category()
        self.form.update_counter()
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
        self._auto_code = row.grid_code if row.grid_source == GridSource.AUTO else None
        self._check_duplicates()
        self._refresh_place()

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
        self.form.update_counter()
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

    def _save_job(self, fields: CaseFields) -> Callable[[], Saved]:
        return save_job(self._ref, self._store, fields)

    def _case_job(self) -> Callable[[], str]:
        """A job-side callable returning the case id, creating the case from the fields now."""
        ref, store = self._ref, self._store
        fields = text_only(self.current_fields())

        def ensure() -> str:
            return ref.id if ref.id is not None else ref.create(store, fields)

        return ensure

    def _on_saved(self, saved: Saved) -> None:
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

    def _on_position_set(self, result: Positioned) -> None:
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
        self._refresh_place()

    def _on_position_failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            self.position_panel.set_errors([e.message.text(self._language) for e in exc.errors])
        else:
            self.position_panel.set_errors([self._error_text(exc)])

    def _on_photos(self, photos: list[PhotoRow]) -> None:
        self._photos = photos
        self.position_panel.set_photo_fix(best_photo_fix(photos))
        self.position_panel.set_photo_positions(
            [(p.lat, p.lon) for p in photos if p.lat is not None and p.lon is not None]
        )

    def _on_photos_written(self, case_id: str) -> None:
        self._adopt(case_id)
        self.saved.emit(case_id)

    # -- place: grid cell and 门前三包 unit (app.ui.case_place) --------------------------------

    def _refresh_place(self) -> None:
        """Look the position (and a typed code) up in the grid, in the database lane."""
        if self._populating:
            return
        fix = self._position
        job = place_job(
            self._store,
            fix.lat if fix else None,
            fix.lon if fix else None,
            self.grid_code.text().strip(),
        )
        self._ops.run(job, self._show_place, key="place", on_error=lambda _exc: None)

    def _show_place(self, info: PlaceInfo) -> None:
        """Fill the grid code from the position unless the inspector typed another one."""
        shown = self.grid_code.text().strip()
        auto = info.auto_code
        follows = self._editable and shown == info.typed and shown in ("", self._auto_code)
        if follows and shown != (auto or ""):
            self._populating = True  # the store has done the same lookup: no save
            try:
                self.grid_code.setText(auto or "")
            finally:
                self._populating = False
            info = dataclasses.replace(info, typed=auto or "")
        self._auto_code = auto
        self.form.grid_place.setText(place_text(info, self._position is not None))
        self._address_proposal = info.address
        self._show_address_suggestion()

    def _show_address_suggestion(self) -> None:
        """Offer the road layer's address while the field does not hold it already."""
        proposal = self._address_proposal
        button = self.form.address_suggestion
        offer = bool(proposal) and self._editable and self.address.text().strip() != proposal
        if offer and proposal:
            link = f'<a href="use">{html.escape(proposal)}</a>'
            button.setText(
                html.escape(self.tr("Suggested from the road layer: %1")).replace("%1", link)
            )
            button.setToolTip(self.tr("Click to use this address"))
        button.setVisible(offer)

    def _use_address_suggestion(self, _link: str = "") -> None:
        if self._address_proposal and self._editable:
            self.address.setText(self._address_proposal)  # saved like typing

    # -- duplicate check ------------------------------------------------------------------

    def _check_duplicates(self) -> None:
        code, fix = self._category, self._position
        if not (self._editable and code and fix is not None):
            self._ops.cancel("duplicates")  # a check still running is out of date
            self._show_duplicates([])
            return
        job = nearby_job(
            self._store, self._ref, code, fix, self._duplicate_radius_m, self._duplicate_days
        )
        # Only the check of the latest category and position is shown.
        self._ops.run(job, self._show_duplicates, key="duplicates", on_error=lambda _exc: None)

    def _show_duplicates(self, rows: list[CaseRow]) -> None:
        self._duplicates = rows
        title = self.tr("Possibly already reported: %n case(s) within %1 m", "", len(rows)).replace(
            "%1", f"{self._duplicate_radius_m:g}"
        )
        self.duplicates_box.show_rows(rows, self._position, title)

    # -- submission -----------------------------------------------------------------------

    def _on_submitted(self, submitted: Submitted) -> None:
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
        self.form.set_read_only(not editable)
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
                status = status_text(self._row.status, self._language)
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
            self.status_label.setText(status_text(CaseStatus.DRAFT, self._language))
            self.observed_label.hide()
        else:
            status = row.status if row is not None else CaseStatus.DRAFT
            self.title_label.setText(self.tr("Case %1").replace("%1", self._case_id[-6:].upper()))
            self.title_label.setToolTip(self._case_id)
            self.status_label.setText(status_text(status, self._language))
            observed = row.observed_at if row is not None else None
            if observed is not None:
                self.observed_label.setText(
                    self.tr("Observed %1").replace("%1", format_time(observed))
                )
            self.observed_label.setVisible(observed is not None)
        locked = not self._editable
        self.status_label.setProperty("locked", locked)
        restyle(self.status_label)
        self.setWindowTitle(self.title_label.text())

    def _show_category(self) -> None:
        self.form.show_category(self._category, self._editable)

    def _show_errors(self, errors: list[FieldError]) -> None:
        self.position_panel.set_errors(self.form.show_errors(errors))
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
        if widget is None and field in POSITION_FIELDS:
            widget = self.position_panel.manual_button
        if widget is not None:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_banner(self, text: str, kind: str) -> None:
        self.banner.setText(text)
        self.banner.setProperty("kind", kind)
        restyle(self.banner)
        self.banner.setVisible(bool(text))

    def _set_save_state(self, text: str) -> None:
        self.save_state_label.setText(text)

    def _saved_text(self) -> str:
        return self.tr("Draft saved %1").replace(
            "%1", datetime.now(UTC).astimezone().strftime("%H:%M:%S")
        )

    def _error_text(self, exc: BaseException) -> str:
        return unexpected_error_text(exc, self._language)

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
