"""The supervisor's workspace (受理、立案、派遣、结案): the review queue, decisions, a case's history.

- :class:`ReviewPanel` — the newly submitted cases, newest first, beside the selected case's
  details (category, description, address, position, inspector, photos) and the open cases of
  the same category nearby that may be the same problem. Keyboard-driven: J/K or Down/Up move,
  A accepts, R rejects and T returns for correction (both ask for the opinion in a field under
  the details, Ctrl+Enter confirms, Esc cancels); several selected cases are accepted at once.
  After a decision the next case is selected.
- :class:`DecisionDialog` — one decision (dispatch, extend, handle, re-inspection …) with only
  the fields that action needs; the deadline of a dispatch or a rework is proposed from the
  time-limit rules and the working calendar. The shared state machine checks it and its
  refusal is shown next to the field.
- :class:`CaseDetailDialog` — a case's whole history (the server's steps, then the decisions
  still on their way or refused), the deadline with its traffic light, comments, the photos
  before and after, and a button for each action the supervisor may take now.
- :class:`AssignmentsPanel` — the dispatched cases that are overdue or due soon, by department.

Every read and write runs in the database lane through the Qt-free store functions of
:mod:`app.storage.supervision` and :mod:`app.storage.reports`; a decision goes to the server
with the next sync. Errors are shown inline, never in a modal message box.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QDateTime, QItemSelectionModel, QSize, Qt, QTime, Signal, Slot
from PySide6.QtGui import QColor, QFont, QIcon, QImage, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.capture.positions import haversine_m
from app.domain.deadlines import TrafficLight, elapsed_fraction, traffic_light
from app.domain.errors import CityPatrolError, DomainError, TransitionError
from app.domain.indicators import assignments
from app.domain.lifecycle import (
    ACTION_NAMES,
    ROLE_NAMES,
    STATUS_NAMES,
    Action,
    CaseStatus,
    Role,
    allowed_actions,
)
from app.storage import LocalStore
from app.storage.store import CaseRow, Changes, PhotoRow
from app.storage.supervision import (
    BulkAcceptance,
    DecisionError,
    DepartmentRow,
    Person,
    ReviewItem,
    TimelineEntry,
    accept_all,
    departments,
    inspectors,
    record_decision,
    review_queue,
    timeline,
)
from app.ui.inbox import ERROR_COLOUR, category_text, local_time
from app.ui.ledger_dialog import reason_text
from app.ui.photo_strip import PhotoViewer
from app.ui.tasks import TaskRunner

Clock = Callable[[], datetime]
log = logging.getLogger(__name__)

ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
THUMB = QSize(120, 90)
#: Nearby open cases of the same category are possible duplicates (store.nearby_open_cases).
DUPLICATE_RADIUS_M = 30.0
DUPLICATE_DAYS = 7

#: The traffic light's colours (green under 80 % of the limit used, yellow to 100 %, red over).
LIGHT_COLOURS = {
    TrafficLight.GREEN: "#2e7d32",
    TrafficLight.YELLOW: "#e0a100",
    TrafficLight.RED: "#c62828",
}
#: The colours of a decision not confirmed by the server yet, and of one it refused.
STATE_COLOURS = {"pending": "#9a6400", "sending": "#1565c0", "failed": ERROR_COLOUR}
MUTED = "color: palette(placeholder-text);"

#: What each supervisor action needs (the requirements of app.domain.lifecycle.TRANSITIONS).
OPINION_REQUIRED = frozenset(
    {
        Action.REJECT,
        Action.RETURN,
        Action.VOID,
        Action.EXTEND,
        Action.SUSPEND,
        Action.HANDLE,
        Action.REWORK,
    }
)
NEEDS_DEPARTMENT = frozenset({Action.DISPATCH})
NEEDS_DEADLINE = frozenset({Action.DISPATCH, Action.EXTEND, Action.REWORK})
NEEDS_ASSIGNEE = frozenset({Action.REQUEST_REINSPECTION})
#: Actions whose deadline is proposed from the time-limit rules and the working calendar.
PROPOSED_DEADLINE = frozenset({Action.DISPATCH, Action.REWORK})
#: The time a deadline gets when only its day is picked (the end of the working day).
END_OF_DAY = QTime(17, 0)
#: Actions the review panel takes itself (the others open a DecisionDialog).
REVIEW_ACTIONS = (Action.ACCEPT, Action.REJECT, Action.RETURN)


def utc_now() -> datetime:
    return datetime.now(UTC)


def action_text(action: Action | str, language: str) -> str:
    """The action's name in ``language``, capitalised in English (for buttons and titles)."""
    try:
        text = ACTION_NAMES[Action(action)].text(language)
    except ValueError:
        return str(action)
    return text[:1].upper() + text[1:]


def status_text(status: CaseStatus | str, language: str) -> str:
    try:
        return STATUS_NAMES[CaseStatus(status)].text(language)
    except ValueError:
        return str(status)


def role_text(role: str, language: str) -> str:
    try:
        return ROLE_NAMES[Role(role)].text(language)
    except ValueError:
        return role


def error_text(exc: BaseException, language: str) -> str:
    if isinstance(exc, CityPatrolError):
        return exc.text(language)
    return str(exc) or type(exc).__name__


def to_qdatetime(value: datetime) -> QDateTime:
    return QDateTime.fromSecsSinceEpoch(int(value.timestamp()))


def from_qdatetime(value: QDateTime) -> datetime:
    return datetime.fromtimestamp(value.toSecsSinceEpoch(), UTC)


def light_pixmap(light: TrafficLight | None, size: int = 12) -> QPixmap:
    """A round dot in the traffic light's colour (grey: no deadline)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(LIGHT_COLOURS[light] if light is not None else "#9e9e9e"))
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return pixmap


def _icon(image: QImage | None) -> QIcon:
    if image is None or image.isNull():
        return QIcon()
    return QIcon(
        QPixmap.fromImage(image).scaled(
            THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    )


def _error_label(name: str = "field_error") -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setStyleSheet(f"color: {ERROR_COLOUR};")
    label.setWordWrap(True)
    label.hide()
    return label


def _bold(label: QLabel, scale: float = 1.0) -> QLabel:
    font = QFont(label.font())
    font.setBold(True)
    if scale != 1.0:
        font.setPointSizeF(font.pointSizeF() * scale)
    label.setFont(font)
    return label


def _selectable(label: QLabel) -> QLabel:
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _thumbnails(store: LocalStore, case_id: str) -> list[tuple[PhotoRow, QImage]]:
    """The case's photos with their thumbnails, decoded in the database lane (QImage may be)."""
    return [(row, QImage(str(row.thumbnail))) for row in store.photos(case_id)]


# -- the deadline of a case ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeadlineState:
    """The case's current assignment as its history tells it: deadline, light, limit used."""

    department: str
    start: datetime
    deadline: datetime
    light: TrafficLight
    #: The fraction of the time limit used (1.0 = 100 %).
    used: float
    handled: bool


def deadline_state(entries: Sequence[TimelineEntry], now: datetime) -> DeadlineState | None:
    """The latest assignment (dispatch or rework, …, handle) of a case's history, or None.

    Decisions refused by the server do not count; those not confirmed yet do (they are the
    case's state on this laptop). Suspension stops the clock (app.domain.indicators).
    """
    steps = [
        (e.action, e.at, e.department or None, e.deadline) for e in entries if e.state != "failed"
    ]
    if not steps:
        return None
    spells = assignments(steps, max(now, steps[-1][1]) + timedelta(microseconds=1))
    if not spells or spells[-1].deadline is None:
        return None
    spell = spells[-1]
    deadline = spell.deadline
    assert deadline is not None
    department = spell.department_id or ""
    at = spell.handled_at or now
    return DeadlineState(
        department,
        spell.start,
        deadline,
        traffic_light(spell.start, deadline, at, spell.credited_seconds),
        elapsed_fraction(spell.start, deadline, at, spell.credited_seconds),
        spell.handled_at is not None,
    )


class TrafficLightLabel(QWidget):
    """A coloured dot and a text: "Deadline 2030-01-07 17:00 · time used 85 %"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.light: TrafficLight | None = None
        self.dot = QLabel()
        self.dot.setFixedSize(14, 14)
        self.text = QLabel()
        self.text.setObjectName("traffic_light_text")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.dot)
        layout.addWidget(self.text, 1)

    def set_state(self, light: TrafficLight | None, text: str) -> None:
        self.light = light
        self.dot.setPixmap(light_pixmap(light, 14))
        self.text.setText(text)
        colour = LIGHT_COLOURS[light] if light is not None else None
        self.text.setStyleSheet(
            f"color: {colour}; font-weight: bold;" if light is TrafficLight.RED else ""
        )


def percent(fraction: float) -> str:
    """``0.853`` → ``"85"`` (a limit of no length, deadline at or before the start: "—")."""
    if not math.isfinite(fraction):
        return "—"
    return str(round(max(fraction, 0.0) * 100))


# -- photos ---------------------------------------------------------------------------------------


class ThumbnailList(QListWidget):
    """A case's photos as thumbnails; a double-click (or Enter) opens the large viewer."""

    def __init__(
        self,
        tasks: TaskRunner,
        language: str,
        placeholder: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._language = language
        self.placeholder = placeholder
        self.rows: list[PhotoRow] = []
        self.viewer: PhotoViewer | None = None
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setIconSize(THUMB)
        self.setGridSize(QSize(THUMB.width() + 14, THUMB.height() + 30))
        self.setUniformItemSizes(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setDragDropMode(QAbstractItemView.DragDropMode.NoDragDrop)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFixedHeight(THUMB.height() + 50)
        self.itemActivated.connect(lambda item: self.open_viewer(self.row(item)))

    def set_photos(self, photos: Sequence[tuple[PhotoRow, QImage]]) -> None:
        self.clear()
        self.rows = [row for row, _ in photos]
        for row, image in photos:
            # The office's copy of a photo has no file name: its time (if known) is shown.
            caption = row.original_name or (local_time(row.taken_at) if row.taken_at else "")
            item = QListWidgetItem(_icon(image), caption)
            lines = [row.original_name]
            if row.taken_at is not None:
                lines.append(local_time(row.taken_at))
            if row.lat is not None and row.lon is not None:
                lines.append(f"{row.lat:.6f}, {row.lon:.6f}")
            item.setToolTip("\n".join(line for line in lines if line))
            self.addItem(item)
        self.viewport().update()

    def open_viewer(self, row: int | None = None) -> PhotoViewer | None:
        if row is None:
            row = self.currentRow()
        if not 0 <= row < len(self.rows):
            return None
        if self.viewer is not None and shiboken6.isValid(self.viewer):
            self.viewer.close()
        self.viewer = PhotoViewer(self._tasks, self._language, self.rows, row, self)
        self.viewer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.viewer.show()
        return self.viewer

    def paintEvent(self, event: Any) -> None:
        super().paintEvent(event)
        if self.count():
            return
        painter = QPainter(self.viewport())
        painter.setPen(self.palette().color(self.palette().ColorRole.PlaceholderText))
        painter.drawText(
            self.viewport().rect().adjusted(8, 8, -8, -8),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            self.placeholder,
        )


# -- the review queue -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReviewDetail:
    """What the details pane loads for one case of the queue."""

    case_id: str
    photos: list[tuple[PhotoRow, QImage]]
    nearby: list[tuple[CaseRow, float]]


class ReviewPanel(QWidget):
    """The review queue (newest first) and the selected case; accept, reject, return."""

    #: A decision was recorded (the store's :class:`Changes`): the sync should send it.
    decided = Signal(object)
    #: The user asked for a case's whole history (its id).
    open_case = Signal(str)
    #: After each reload: how many cases wait for review.
    count_changed = Signal(int)
    #: The queue was read and shown (after each refresh).
    loaded = Signal()

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        language: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._tasks = tasks
        self._language = language
        self._generation = 0
        self._detail_generation = 0
        self._busy = False
        #: The row to select after the next reload (the one after a decided case).
        self._select_row: int | None = None
        self._opinion_action: Action | None = None
        self._load_failed = False
        #: The case whose details are shown.
        self._shown: ReviewItem | None = None
        self.items: list[ReviewItem] = []

        self.title = _bold(QLabel(self.tr("Review")), 1.25)
        self.summary_label = QLabel()
        self.summary_label.setStyleSheet(MUTED)
        self.refresh_button = QPushButton(self.tr("Re&fresh"))
        self.refresh_button.clicked.connect(self.refresh)
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addSpacing(12)
        header.addWidget(self.summary_label, 1)
        header.addWidget(self.refresh_button)

        self.view = QListWidget()
        self.view.setObjectName("review_queue")
        self.view.setAccessibleName(self.tr("Submitted cases waiting for review"))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setMinimumWidth(300)
        self.view.setStyleSheet(
            "QListWidget#review_queue::item { padding: 6px 8px;"
            " border-bottom: 1px solid palette(midlight); }"
            "QListWidget#review_queue::item:selected { background: palette(highlight);"
            " color: palette(highlighted-text); }"
        )
        self.view.currentItemChanged.connect(self._current_changed)
        self.view.itemSelectionChanged.connect(self._update_buttons)
        self.view.itemDoubleClicked.connect(lambda _item: self.open_current())
        self.empty_label = QLabel(
            self.tr(
                "No submitted cases are waiting for review.\n"
                "New reports from the inspectors arrive with the next sync."
            )
        )
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setStyleSheet(MUTED)
        self.list_stack = QStackedWidget()
        self.list_stack.addWidget(self.view)
        self.list_stack.addWidget(self.empty_label)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list_stack)
        splitter.addWidget(self._details_pane())
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([420, 640])

        self.error_label = _error_label("review_error")
        self.message_label = QLabel()
        self.message_label.setObjectName("review_message")
        self.message_label.setWordWrap(True)
        self.message_label.hide()

        self.accept_button = QPushButton(self.tr("&Accept (A)"))
        self.accept_button.setToolTip(self.tr("Accept the selected case (受理)"))
        self.accept_button.clicked.connect(self.accept_current)
        self.reject_button = QPushButton(self.tr("&Reject… (R)"))
        self.reject_button.setToolTip(self.tr("Reject the case, with the reason"))
        self.reject_button.clicked.connect(lambda: self.ask_opinion(Action.REJECT))
        self.return_button = QPushButton(self.tr("Re&turn for correction… (T)"))
        self.return_button.setToolTip(
            self.tr("Send the case back to the inspector, saying what to correct")
        )
        self.return_button.clicked.connect(lambda: self.ask_opinion(Action.RETURN))
        self.bulk_button = QPushButton(self.tr("Accept &selected"))
        self.bulk_button.setToolTip(self.tr("Accept every selected case at once"))
        self.bulk_button.clicked.connect(self.accept_selected)
        self.details_button = QPushButton(self.tr("&History…"))
        self.details_button.setToolTip(self.tr("The case's whole history and every action"))
        self.details_button.clicked.connect(self.open_current)
        self.keys_label = QLabel(self.tr("J/K or ↓/↑: next/previous case"))
        self.keys_label.setStyleSheet(MUTED)
        buttons = QHBoxLayout()
        buttons.addWidget(self.keys_label, 1)
        buttons.addWidget(self.details_button)
        buttons.addWidget(self.bulk_button)
        buttons.addWidget(self.return_button)
        buttons.addWidget(self.reject_button)
        buttons.addWidget(self.accept_button)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.message_label)
        layout.addLayout(buttons)
        self.setFocusProxy(self.view)

        for keys, slot in (
            ("J", lambda: self.step(1)),
            ("K", lambda: self.step(-1)),
            ("A", self.accept_current),
            ("R", lambda: self.ask_opinion(Action.REJECT)),
            ("T", lambda: self.ask_opinion(Action.RETURN)),
        ):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            confirm = QShortcut(QKeySequence(keys), self.opinion_edit)
            confirm.setContext(Qt.ShortcutContext.WidgetShortcut)
            confirm.activated.connect(self.confirm_opinion)
        cancel = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.opinion_box)
        cancel.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        cancel.activated.connect(self.cancel_opinion)
        self._show_details(None)
        self.refresh()

    # -- building ---------------------------------------------------------------------------------

    def _details_pane(self) -> QWidget:
        self.heading = _bold(QLabel(), 1.2)
        self.heading.setWordWrap(True)
        self.waiting_label = QLabel()
        self.waiting_label.setStyleSheet(f"color: {STATE_COLOURS['pending']};")
        self.description_label = _selectable(QLabel())
        self.address_label = _selectable(QLabel())
        self.position_label = _selectable(QLabel())
        self.inspector_label = _selectable(QLabel())
        self.submitted_label = _selectable(QLabel())
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.addRow(self.tr("Description:"), self.description_label)
        form.addRow(self.tr("Address:"), self.address_label)
        form.addRow(self.tr("Position:"), self.position_label)
        form.addRow(self.tr("Inspector:"), self.inspector_label)
        form.addRow(self.tr("Submitted:"), self.submitted_label)

        self.photos_title = _bold(QLabel(self.tr("Photos")))
        self.photo_list = ThumbnailList(
            self._tasks, self._language, self.tr("No photos on this laptop.")
        )
        self.photo_list.setAccessibleName(self.tr("Photos of the case"))
        self.nearby_title = _bold(QLabel(self.tr("Possible duplicates nearby")))
        self.nearby_hint = QLabel(
            self.tr("Open cases of the same category within %1 m, reported in the last %2 days")
            .replace("%1", str(int(DUPLICATE_RADIUS_M)))
            .replace("%2", str(DUPLICATE_DAYS))
        )
        self.nearby_hint.setStyleSheet(MUTED)
        self.nearby_hint.setWordWrap(True)
        self.nearby_list = QListWidget()
        self.nearby_list.setObjectName("nearby_cases")
        self.nearby_list.setAccessibleName(self.tr("Possible duplicates nearby"))
        self.nearby_list.setMaximumHeight(110)
        self.nearby_list.itemActivated.connect(
            lambda item: self.open_case.emit(str(item.data(ITEM_ROLE)))
        )
        self.nearby_none = QLabel(self.tr("None: no open case of this category nearby."))
        self.nearby_none.setStyleSheet(MUTED)

        box = QWidget()
        inner = QVBoxLayout(box)
        inner.setContentsMargins(12, 8, 12, 8)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.waiting_label)
        inner.addLayout(top)
        inner.addLayout(form)
        inner.addSpacing(6)
        inner.addWidget(self.photos_title)
        inner.addWidget(self.photo_list)
        inner.addSpacing(6)
        inner.addWidget(self.nearby_title)
        inner.addWidget(self.nearby_hint)
        inner.addWidget(self.nearby_list)
        inner.addWidget(self.nearby_none)
        inner.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(box)

        self.opinion_box = QFrame()
        self.opinion_box.setObjectName("opinion_box")
        self.opinion_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.opinion_title = _bold(QLabel())
        self.opinion_edit = QPlainTextEdit()
        self.opinion_edit.setObjectName("review_opinion")
        self.opinion_edit.setTabChangesFocus(True)
        self.opinion_edit.setFixedHeight(self.opinion_edit.fontMetrics().lineSpacing() * 3 + 16)
        self.opinion_edit.textChanged.connect(self._opinion_changed)
        self.opinion_title.setBuddy(self.opinion_edit)
        self.opinion_error = _error_label("opinion_error")
        self.opinion_confirm = QPushButton()
        self.opinion_confirm.setObjectName("confirm_opinion")
        self.opinion_confirm.clicked.connect(self.confirm_opinion)
        self.opinion_cancel = QPushButton(self.tr("Cancel (Esc)"))
        self.opinion_cancel.clicked.connect(self.cancel_opinion)
        opinion_buttons = QHBoxLayout()
        hint = QLabel(self.tr("Ctrl+Enter confirms"))
        hint.setStyleSheet(MUTED)
        opinion_buttons.addWidget(hint, 1)
        opinion_buttons.addWidget(self.opinion_cancel)
        opinion_buttons.addWidget(self.opinion_confirm)
        opinion_layout = QVBoxLayout(self.opinion_box)
        opinion_layout.addWidget(self.opinion_title)
        opinion_layout.addWidget(self.opinion_edit)
        opinion_layout.addWidget(self.opinion_error)
        opinion_layout.addLayout(opinion_buttons)
        self.opinion_box.hide()

        self.details_empty = QLabel(self.tr("Select a case to see its details."))
        self.details_empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.details_empty.setStyleSheet(MUTED)
        details = QWidget()
        details_layout = QVBoxLayout(details)
        details_layout.setContentsMargins(0, 0, 0, 0)
        details_layout.addWidget(scroll, 1)
        details_layout.addWidget(self.opinion_box)
        self.details_stack = QStackedWidget()
        self.details_stack.addWidget(details)
        self.details_stack.addWidget(self.details_empty)
        self.details_stack.setMinimumWidth(420)
        return self.details_stack

    # -- loading ----------------------------------------------------------------------------------

    @Slot()
    def refresh(self) -> None:
        """Read the queue again (the selection is kept, or moves to the case after a decided one)."""
        self._generation += 1
        generation, store = self._generation, self._store
        self._tasks.run_db(
            lambda: review_queue(store),
            lambda items: self._show(generation, items),
            lambda exc: self._failed(generation, exc),
        )

    def _show(self, generation: int, items: list[ReviewItem]) -> None:
        if not shiboken6.isValid(self) or generation != self._generation:
            return
        current = self.current_item()
        had_focus = self.view.hasFocus()
        self.items = items
        self.view.blockSignals(True)
        self.view.clear()
        for item in items:
            self.view.addItem(self._list_item(item))
        self.view.blockSignals(False)
        self.list_stack.setCurrentWidget(self.view if items else self.empty_label)
        self.summary_label.setText(
            self.tr("%n case(s) waiting for review", "", len(items)) if items else ""
        )
        if self._load_failed:  # a decision's refusal stays until the next decision
            self._load_failed = False
            self.error_label.hide()
        if items:
            if self._select_row is not None:
                row = min(self._select_row, len(items) - 1)
            else:
                row = next(
                    (
                        n
                        for n, i in enumerate(items)
                        if current is not None and i.case_id == current.case_id
                    ),
                    0,
                )
            self.view.setCurrentRow(row, self._select_flags())
        self._select_row = None
        self._current_changed()
        if had_focus or (items and self.isVisible() and self.focusWidget() is None):
            self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        self.count_changed.emit(len(items))
        self.loaded.emit()

    def _list_item(self, item: ReviewItem) -> QListWidgetItem:
        category = category_text(self._store.taxonomy, item.category_code, self._language)
        summary = item.description.replace("\n", " ")
        when = local_time(item.submitted_at) if item.submitted_at else ""
        parts = [p for p in (item.author, when) if p]
        parts.append(self.tr("%n photo(s)", "", item.photo_count))
        if item.waiting:
            parts.append(self.tr("decision waiting to be sent"))
        line = QListWidgetItem(
            f"{category or self.tr('No category')}\n{summary}\n{'  ·  '.join(parts)}"
        )
        line.setData(ITEM_ROLE, item)
        line.setToolTip("\n".join(p for p in (category, item.description, item.address) if p))
        return line

    def _failed(self, generation: int, exc: BaseException) -> None:
        if not shiboken6.isValid(self) or generation != self._generation:
            return
        self._select_row = None
        self._load_failed = True
        self._show_error(
            self.tr("The review queue could not be read: %1").replace(
                "%1", error_text(exc, self._language)
            )
        )

    @staticmethod
    def _select_flags() -> QItemSelectionModel.SelectionFlag:
        return QItemSelectionModel.SelectionFlag.ClearAndSelect

    # -- the selected case ------------------------------------------------------------------------

    def current_item(self) -> ReviewItem | None:
        item = self.view.currentItem()
        value = item.data(ITEM_ROLE) if item is not None else None
        return value if isinstance(value, ReviewItem) else None

    def selected_items(self) -> list[ReviewItem]:
        rows = sorted(self.view.row(i) for i in self.view.selectedItems())
        return [self.items[r] for r in rows if 0 <= r < len(self.items)]

    def select_case(self, case_id: str) -> bool:
        for row, item in enumerate(self.items):
            if item.case_id == case_id:
                self.view.setCurrentRow(row, self._select_flags())
                return True
        return False

    @Slot()
    def step(self, step: int) -> None:
        """Select the next (1) or previous (-1) case."""
        if not self.items:
            return
        row = self.view.currentRow()
        row = 0 if row < 0 else max(0, min(len(self.items) - 1, row + step))
        self.view.setCurrentRow(row, self._select_flags())

    def _current_changed(self, *_args: object) -> None:
        """Another case is selected, or the queue was read again."""
        item = self.current_item()
        if item != self._shown:
            # An opinion being typed stays while its case stays selected (a sync may reload
            # the queue meanwhile); it goes with a move to another case.
            before = self._shown.case_id if self._shown is not None else None
            same_case = item is not None and item.case_id == before
            if self._opinion_action is not None and not same_case:
                self.cancel_opinion()
            self._shown = item
            self._show_details(item)
        self._update_buttons()

    def _show_details(self, item: ReviewItem | None) -> None:
        self._detail_generation += 1
        if item is None:
            self.details_stack.setCurrentWidget(self.details_empty)
            return
        self.details_stack.setCurrentIndex(0)
        language = self._language
        category = category_text(self._store.taxonomy, item.category_code, language)
        self.heading.setText(category or self.tr("No category"))
        self.waiting_label.setText(self.tr("Decision waiting to be sent") if item.waiting else "")
        self.description_label.setText(item.description or self.tr("(no description)"))
        self.address_label.setText(item.address or "—")
        if item.lat is not None and item.lon is not None:
            position = f"{item.lat:.6f}, {item.lon:.6f}"
            if item.accuracy_m is not None:
                position += "  " + self.tr("(±%1 m)").replace("%1", f"{item.accuracy_m:.0f}")
        else:
            position = self.tr("No position")
        self.position_label.setText(position)
        self.inspector_label.setText(item.author or "—")
        self.submitted_label.setText(local_time(item.submitted_at) if item.submitted_at else "—")
        self.photos_title.setText(self.tr("Photos (%1)").replace("%1", str(item.photo_count)))
        self.photo_list.set_photos([])
        self.nearby_list.clear()
        self.nearby_list.hide()
        self.nearby_none.setText(self.tr("Looking…"))
        self.nearby_none.show()

        generation, store = self._detail_generation, self._store

        def load() -> ReviewDetail:
            photos = _thumbnails(store, item.case_id)
            nearby: list[tuple[CaseRow, float]] = []
            if item.category_code and item.lat is not None and item.lon is not None:
                lat, lon = item.lat, item.lon
                rows = store.nearby_open_cases(
                    item.category_code,
                    lat,
                    lon,
                    radius_m=DUPLICATE_RADIUS_M,
                    days=DUPLICATE_DAYS,
                    exclude_id=item.case_id,
                )
                nearby = [
                    (r, haversine_m(lat, lon, r.lat, r.lon))
                    for r in rows
                    if r.lat is not None and r.lon is not None
                ]
            return ReviewDetail(item.case_id, photos, nearby)

        self._tasks.run_db(
            load,
            lambda detail: self._show_loaded(generation, detail),
            lambda exc: self._detail_failed(generation, exc),
        )

    def _show_loaded(self, generation: int, detail: ReviewDetail) -> None:
        if not shiboken6.isValid(self) or generation != self._detail_generation:
            return
        self.photo_list.set_photos(detail.photos)
        self.photos_title.setText(self.tr("Photos (%1)").replace("%1", str(len(detail.photos))))
        self.nearby_list.clear()
        for row, distance in detail.nearby:
            category = category_text(self._store.taxonomy, row.category_code, self._language)
            text = "  ·  ".join(
                p
                for p in (
                    self.tr("%1 m").replace("%1", f"{distance:.0f}"),
                    status_text(row.status, self._language),
                    local_time(row.created_at),
                    row.description.replace("\n", " ") or category,
                )
                if p
            )
            item = QListWidgetItem(text)
            item.setData(ITEM_ROLE, row.id)
            item.setToolTip(
                "\n".join(p for p in (category, row.description, row.address) if p)
                + "\n"
                + self.tr("Double-click to see its history")
            )
            self.nearby_list.addItem(item)
        self.nearby_list.setVisible(bool(detail.nearby))
        self.nearby_title.setText(
            self.tr("Possible duplicates nearby (%1)").replace("%1", str(len(detail.nearby)))
            if detail.nearby
            else self.tr("Possible duplicates nearby")
        )
        self.nearby_none.setText(self.tr("None: no open case of this category nearby."))
        self.nearby_none.setVisible(not detail.nearby)

    def _detail_failed(self, generation: int, exc: BaseException) -> None:
        if shiboken6.isValid(self) and generation == self._detail_generation:
            self.nearby_none.setText(error_text(exc, self._language))
            self.nearby_none.show()

    # -- decisions --------------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        item = self.current_item()
        ready = item is not None and not self._busy
        for button in (self.accept_button, self.reject_button, self.return_button):
            button.setEnabled(ready)
        self.details_button.setEnabled(item is not None)
        count = len(self.view.selectedItems())
        self.bulk_button.setEnabled(count > 0 and not self._busy)
        self.bulk_button.setText(
            self.tr("Accept &selected (%1)").replace("%1", str(count))
            if count > 1
            else self.tr("Accept &selected")
        )
        self.opinion_confirm.setEnabled(
            not self._busy and bool(self.opinion_edit.toPlainText().strip())
        )

    @Slot()
    def open_current(self) -> None:
        item = self.current_item()
        if item is not None:
            self.open_case.emit(item.case_id)

    @Slot()
    def accept_current(self) -> None:
        """Accept (受理) the selected case; the next one is selected."""
        item = self.current_item()
        if item is None or self._busy or self._opinion_action is not None:
            return
        self._decide(item, Action.ACCEPT, "")

    @Slot()
    def ask_opinion(self, action: Action) -> None:
        """Reject or return the selected case: ask for the opinion under the details."""
        item = self.current_item()
        if item is None or self._busy:
            return
        self._opinion_action = action
        if action is Action.REJECT:
            self.opinion_title.setText(self.tr("Reason for rejecting (required):"))
            self.opinion_edit.setPlaceholderText(
                self.tr(
                    "Why the report is not accepted: not a problem, a duplicate, outside the area…"
                )
            )
            self.opinion_confirm.setText(self.tr("Reject"))
        else:
            self.opinion_title.setText(self.tr("What the inspector must correct (required):"))
            self.opinion_edit.setPlaceholderText(
                self.tr("For example: add the house number and a close-up photo")
            )
            self.opinion_confirm.setText(self.tr("Return for correction"))
        self.opinion_edit.clear()
        self.opinion_error.hide()
        self.opinion_box.show()
        self._update_buttons()
        self.opinion_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)

    @Slot()
    def cancel_opinion(self) -> None:
        self._opinion_action = None
        self.opinion_box.hide()
        self.opinion_error.hide()
        if self.isVisible():
            self.view.setFocus(Qt.FocusReason.OtherFocusReason)

    @Slot()
    def confirm_opinion(self) -> None:
        item = self.current_item()
        action = self._opinion_action
        if item is None or action is None or self._busy:
            return
        self._decide(item, action, self.opinion_edit.toPlainText().strip())

    def _opinion_changed(self) -> None:
        if self.opinion_edit.toPlainText().strip():
            self.opinion_error.hide()
        self._update_buttons()

    def _decide(self, item: ReviewItem, action: Action, opinion: str) -> None:
        row = self.view.currentRow()
        store, case_id = self._store, item.case_id
        self._set_busy(True)
        self._tasks.run_db(
            lambda: record_decision(store, case_id, action, opinion=opinion),
            lambda changes: self._decided(row, item, action, changes),
            self._decision_failed,
        )

    def _decided(self, row: int, item: ReviewItem, action: Action, changes: Changes) -> None:
        if not shiboken6.isValid(self):
            return
        self._set_busy(False)
        self._opinion_action = None
        self.opinion_box.hide()
        category = category_text(self._store.taxonomy, item.category_code, self._language)
        self._show_message(
            self.tr("%1: %2 — it goes to the server with the next sync.")
            .replace("%1", action_text(action, self._language))
            .replace("%2", category or item.description[:30])
        )
        self._select_row = max(row, 0)
        self.decided.emit(changes)
        self.refresh()

    def _decision_failed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self._set_busy(False)
        text = error_text(exc, self._language)
        if self._opinion_action is not None and isinstance(exc, DomainError):
            self.opinion_error.setText(text)
            self.opinion_error.show()
            self.opinion_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            self._show_error(text)
        self.refresh()  # the case may have been decided meanwhile (by the sync)

    @Slot()
    def accept_selected(self) -> None:
        """Accept every selected case at once; those that cannot be are named with the reason."""
        chosen = self.selected_items()
        if not chosen or self._busy:
            return
        first = min(self.view.row(i) for i in self.view.selectedItems())
        store, ids = self._store, [i.case_id for i in chosen]
        names = {
            i.case_id: category_text(self._store.taxonomy, i.category_code, self._language)
            or i.description[:30]
            for i in chosen
        }
        self._set_busy(True)

        def done(result: BulkAcceptance) -> None:
            if not shiboken6.isValid(self):
                return
            accepted, refused = result.accepted, result.refused
            self._set_busy(False)
            text = self.tr("Accepted %n case(s).", "", len(accepted))
            if refused:
                lines = [
                    f"• {names.get(case_id, case_id)}: {message.text(self._language)}"
                    for case_id, message in refused.items()
                ]
                self._show_error(self.tr("Not accepted:") + "\n" + "\n".join(lines))
            self._show_message(text)
            self._select_row = first
            if accepted:
                self.decided.emit(Changes(frozenset(accepted), steps=True, outbox=True))
            self.refresh()

        self._tasks.run_db(lambda: accept_all(store, ids), done, self._decision_failed)

    # -- state ------------------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        if busy:
            self.error_label.hide()
        self._update_buttons()

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def _show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setStyleSheet(MUTED)
        self.message_label.show()


# -- one decision ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecisionContext:
    """What a decision dialog loads: the case, the choices, the proposal, the current deadline."""

    case: CaseRow
    departments: list[DepartmentRow]
    inspectors: list[Person]
    proposal: datetime | None
    current: DeadlineState | None


class DecisionDialog(QDialog):
    """One decision on one case, with only the fields its action needs, checked inline."""

    #: The decision was recorded (the store's :class:`Changes`); then the dialog closes.
    decided = Signal(object)
    #: The case and the choices were read (the fields are filled).
    loaded = Signal()

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        language: str,
        case_id: str,
        action: Action,
        *,
        parent: QWidget | None = None,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._tasks = tasks
        self._language = language
        self._clock = clock
        self.case_id = case_id
        self.action = action
        self._loaded = False
        self._busy = False
        self._proposal: datetime | None = None
        self.changes: Changes | None = None
        name = action_text(action, language)
        self.setWindowTitle(self.tr("%1 — decision").replace("%1", name))
        self.setMinimumSize(600, 360)

        self.heading = _bold(QLabel(self.tr("Loading the case…")), 1.15)
        self.heading.setWordWrap(True)
        self.case_label = QLabel()
        self.case_label.setWordWrap(True)
        self.case_label.setStyleSheet(MUTED)

        self.department_combo = QComboBox()
        self.department_combo.setObjectName("department")
        self.department_combo.setPlaceholderText(self.tr("Choose the responsible department"))
        self.department_combo.currentIndexChanged.connect(self._changed)
        self.department_error = _error_label("department_error")
        self.department_info = QLabel()
        self.department_info.setWordWrap(True)

        self.deadline_edit = QDateTimeEdit()
        self.deadline_edit.setObjectName("deadline")
        self.deadline_edit.setCalendarPopup(True)
        self.deadline_edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        # The minimum (the start of today) stands for "no deadline chosen yet".
        today = QDateTime.currentDateTime()
        today.setTime(QTime(0, 0))
        self.deadline_edit.setMinimumDateTime(today)
        self.deadline_edit.setSpecialValueText(self.tr("Choose a deadline"))
        self.deadline_edit.setDateTime(today)
        self.deadline_edit.dateTimeChanged.connect(self._deadline_changed)
        self._deadline_was_empty = True
        self.deadline_note = QLabel()
        self.deadline_note.setObjectName("deadline_note")
        self.deadline_note.setWordWrap(True)
        self.deadline_note.setStyleSheet(MUTED)
        self.deadline_error = _error_label("deadline_error")

        self.assignee_combo = QComboBox()
        self.assignee_combo.setObjectName("assignee")
        self.assignee_combo.setPlaceholderText(self.tr("Choose the inspector"))
        self.assignee_combo.currentIndexChanged.connect(self._changed)
        self.assignee_error = _error_label("assignee_error")

        self.opinion_edit = QPlainTextEdit()
        self.opinion_edit.setObjectName("opinion")
        self.opinion_edit.setTabChangesFocus(True)
        self.opinion_edit.setFixedHeight(self.opinion_edit.fontMetrics().lineSpacing() * 4 + 16)
        self.opinion_edit.setPlaceholderText(self._opinion_placeholder())
        self.opinion_edit.textChanged.connect(self._changed)
        self.opinion_error = _error_label("opinion_error")

        department_row = self._stack(self.department_combo, self.department_error)
        deadline_row = self._stack(self.deadline_edit, self.deadline_note, self.deadline_error)
        assignee_row = self._stack(self.assignee_combo, self.assignee_error)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.addRow(self.tr("&Department:"), department_row)
        self.form.addRow(self.tr("Department:"), self.department_info)
        self.form.addRow(
            self.tr("D&eadline:"),
            deadline_row,
        )
        self.form.addRow(self.tr("Re-&inspection by:"), assignee_row)
        opinion_title = (
            self.tr("&Opinion (required):")
            if action in OPINION_REQUIRED
            else self.tr("&Opinion (optional):")
        )
        self.form.addRow(opinion_title, self._stack(self.opinion_edit, self.opinion_error))
        self.form.setRowVisible(department_row, action in NEEDS_DEPARTMENT)
        self.form.setRowVisible(self.department_info, action is Action.REWORK)
        self.form.setRowVisible(deadline_row, action in NEEDS_DEADLINE)
        self.form.setRowVisible(assignee_row, action in NEEDS_ASSIGNEE)

        self.error_label = _error_label("dialog_error")
        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton(name, QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setObjectName("decide")
        self.ok_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.status_label = QLabel()
        self.status_label.setStyleSheet(MUTED)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.buttons)

        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.case_label)
        layout.addSpacing(6)
        layout.addLayout(self.form)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        layout.addLayout(bottom)
        self._update_state()
        self.load()

    @staticmethod
    def _stack(*widgets: QWidget) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for widget in widgets:
            layout.addWidget(widget)
        return box

    def _opinion_placeholder(self) -> str:
        placeholders = {
            Action.REJECT: self.tr("Why the report is not accepted"),
            Action.RETURN: self.tr("What the inspector must correct"),
            Action.VOID: self.tr("Why the case is void"),
            Action.EXTEND: self.tr("Why the department needs more time"),
            Action.SUSPEND: self.tr("Why the case is suspended (挂账)"),
            Action.HANDLE: self.tr("What the department did, as it reported"),
            Action.REWORK: self.tr("What is still wrong, for the department to rework"),
        }
        return placeholders.get(self.action, self.tr("A note for the case's history"))

    # -- loading ----------------------------------------------------------------------------------

    def load(self) -> None:
        store, case_id, action, language = self._store, self.case_id, self.action, self._language
        now = self._clock()

        def read() -> DecisionContext:
            proposal = None
            if action in PROPOSED_DEADLINE:
                from app.storage import reports

                proposal = reports.propose_deadline(store, case_id, now)
            current = deadline_state(timeline(store, case_id, language), now)
            return DecisionContext(
                store.get_case(case_id),
                departments(store) if action in NEEDS_DEPARTMENT else [],
                inspectors(store) if action in NEEDS_ASSIGNEE else [],
                proposal,
                current,
            )

        self._tasks.run_db(read, self._show, self._load_failed)

    def _show(self, context: DecisionContext) -> None:
        if not shiboken6.isValid(self):
            return
        case = context.case
        category = category_text(self._store.taxonomy, case.category_code, self._language)
        self.heading.setText(category or self.tr("No category"))
        details = [status_text(case.status, self._language)]
        if case.address:
            details.append(case.address)
        details.append(case.description.replace("\n", " ")[:80])
        self.case_label.setText("  ·  ".join(d for d in details if d))
        for department in context.departments:
            self.department_combo.addItem(
                f"{department.display(self._language)} ({department.code})", department.id
            )
        self.department_combo.setCurrentIndex(-1)
        author_row = -1
        for n, person in enumerate(context.inspectors):
            self.assignee_combo.addItem(person.name, person.id)
            if person.id == case.author_id:
                author_row = n
        # The inspector who reported the case re-inspects it, unless the supervisor chooses.
        self.assignee_combo.setCurrentIndex(author_row)
        current = context.current
        if current is not None:
            self.department_info.setText(
                self.tr("%1 (the same department reworks the case)").replace(
                    "%1", current.department or "—"
                )
            )
        else:
            self.department_info.setText("—")
        self._fill_deadline(context)
        self._loaded = True
        self._update_state()
        self.loaded.emit()
        first = {
            Action.DISPATCH: self.department_combo,
            Action.REQUEST_REINSPECTION: self.assignee_combo,
        }.get(self.action, self.opinion_edit)
        first.setFocus(Qt.FocusReason.OtherFocusReason)

    def _fill_deadline(self, context: DecisionContext) -> None:
        if self.action not in NEEDS_DEADLINE:
            return
        current = context.current.deadline if context.current is not None else None
        notes = []
        if self.action in PROPOSED_DEADLINE:
            self._proposal = context.proposal
            if context.proposal is not None:
                self.deadline_edit.setDateTime(to_qdatetime(context.proposal))
                notes.append(
                    self.tr(
                        "Proposed from the time-limit rules and the working calendar: %1. "
                        "You may change it."
                    ).replace("%1", local_time(context.proposal))
                )
            else:
                notes.append(
                    self.tr("No time-limit rule applies to this case: choose the deadline.")
                )
        elif current is not None:
            # Extending: a day more than the current deadline, to change as needed.
            self.deadline_edit.setDateTime(to_qdatetime(current + timedelta(days=1)))
        if current is not None and self.action is not Action.DISPATCH:
            notes.append(self.tr("Current deadline: %1").replace("%1", local_time(current)))
        self.deadline_note.setText("\n".join(notes))
        self.deadline_note.setVisible(bool(notes))

    def _load_failed(self, exc: BaseException) -> None:
        if shiboken6.isValid(self):
            self.heading.setText(self.tr("The case could not be read"))
            self._show_error(error_text(exc, self._language))

    # -- values -----------------------------------------------------------------------------------

    def is_loaded(self) -> bool:
        """Whether the case and the choices have been read (the fields are filled)."""
        return self._loaded

    def deadline(self) -> datetime | None:
        """The chosen deadline (None: not chosen yet); the proposal exactly when kept."""
        if self.deadline_edit.dateTime() <= self.deadline_edit.minimumDateTime():
            return None
        chosen = from_qdatetime(self.deadline_edit.dateTime())
        proposal = self._proposal
        if proposal is not None and abs((chosen - proposal).total_seconds()) < 60:
            return proposal
        return chosen

    def opinion(self) -> str:
        return self.opinion_edit.toPlainText().strip()

    def department_id(self) -> str | None:
        data = self.department_combo.currentData()
        return str(data) if self.action in NEEDS_DEPARTMENT and data else None

    def assignee_id(self) -> str | None:
        data = self.assignee_combo.currentData()
        return str(data) if self.action in NEEDS_ASSIGNEE and data else None

    def missing(self) -> list[str]:
        """The required fields still empty (OK stays disabled while any is)."""
        out = []
        if self.action in OPINION_REQUIRED and not self.opinion():
            out.append("opinion")
        if self.action in NEEDS_DEPARTMENT and self.department_id() is None:
            out.append("department")
        if self.action in NEEDS_DEADLINE and self.deadline() is None:
            out.append("deadline")
        if self.action in NEEDS_ASSIGNEE and self.assignee_id() is None:
            out.append("assignee")
        return out

    # -- deciding ---------------------------------------------------------------------------------

    @Slot()
    def submit(self) -> None:
        """Check the decision with the shared rules and record it (in the database lane)."""
        if not self._loaded or self._busy or self.missing():
            return
        self._clear_errors()
        deadline = self.deadline() if self.action in NEEDS_DEADLINE else None
        if deadline is not None and deadline <= self._clock():
            self._field_error("deadline", self.tr("The deadline must be in the future."))
            return
        store, case_id, action = self._store, self.case_id, self.action
        opinion, department_id, assignee_id = (
            self.opinion(),
            self.department_id(),
            self.assignee_id(),
        )
        self._set_busy(True)
        self._tasks.run_db(
            lambda: record_decision(
                store,
                case_id,
                action,
                opinion=opinion,
                department_id=department_id,
                deadline=deadline,
                assignee_id=assignee_id,
            ),
            self._recorded,
            self._refused,
        )

    def _recorded(self, changes: Changes) -> None:
        if not shiboken6.isValid(self):
            return
        self._set_busy(False)
        self.changes = changes
        self.decided.emit(changes)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self._set_busy(False)
        self._field_error(self._field_of(exc), error_text(exc, self._language))

    def _field_of(self, exc: BaseException) -> str:
        """The field a refusal is about (shown next to it), or "" for the whole decision."""
        if isinstance(exc, DecisionError):
            return {"unknown_department": "department", "not_an_inspector": "assignee"}.get(
                exc.code, ""
            )
        if isinstance(exc, TransitionError) and exc.code == "missing_requirement":
            if self.action in OPINION_REQUIRED and not self.opinion():
                return "opinion"
            if self.action in NEEDS_DEPARTMENT and self.department_id() is None:
                return "department"
            if self.action in NEEDS_ASSIGNEE:
                return "assignee"
            if self.action in NEEDS_DEADLINE:
                return "deadline"
        return ""

    def _field_error(self, field: str, text: str) -> None:
        label, widget = {
            "opinion": (self.opinion_error, self.opinion_edit),
            "department": (self.department_error, self.department_combo),
            "deadline": (self.deadline_error, self.deadline_edit),
            "assignee": (self.assignee_error, self.assignee_combo),
        }.get(field, (self.error_label, None))
        label.setText(text)
        label.show()
        if widget is not None:
            widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def _clear_errors(self) -> None:
        for label in (
            self.opinion_error,
            self.department_error,
            self.deadline_error,
            self.assignee_error,
            self.error_label,
        ):
            label.hide()

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def _changed(self, *_args: object) -> None:
        self._update_state()

    def _deadline_changed(self, value: QDateTime) -> None:
        empty = value <= self.deadline_edit.minimumDateTime()
        if self._deadline_was_empty and not empty and value.time() == QTime(0, 0):
            # A day picked in the calendar, from "choose a deadline": the end of its working day.
            self._deadline_was_empty = False
            self.deadline_edit.setTime(END_OF_DAY)
            return
        self._deadline_was_empty = empty
        self.deadline_error.hide()
        self._update_state()

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.status_label.setText(self.tr("Saving…") if busy else "")
        self._update_state()

    def _update_state(self) -> None:
        self.ok_button.setEnabled(self._loaded and not self._busy and not self.missing())
        self.cancel_button.setEnabled(not self._busy)

    def reject(self) -> None:
        if not self._busy:
            super().reject()


# -- a case's whole history ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: CaseRow
    entries: list[TimelineEntry]
    photos: list[tuple[PhotoRow, QImage]]
    comments: list[Any]
    deadline: DeadlineState | None
    now: datetime


class CaseDetailDialog(QDialog):
    """A case's history, deadline and traffic light, comments, photos, and the actions now."""

    #: A decision was recorded from this dialog (the store's :class:`Changes`).
    decided = Signal(object)
    #: The case was (re)read and shown.
    loaded = Signal()
    #: The case's PDF report was written; its path.
    pdf_written = Signal(object)

    COLUMNS = 7

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        language: str,
        case_id: str,
        parent: QWidget | None = None,
        *,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._tasks = tasks
        self._language = language
        self._clock = clock
        self.case_id = case_id
        self._generation = 0
        self.detail: CaseDetail | None = None
        self.decision: DecisionDialog | None = None
        self.action_buttons: dict[Action, QPushButton] = {}
        self.setWindowTitle(self.tr("Case history"))
        self.resize(1040, 720)

        self.heading = _bold(QLabel(self.tr("Loading the case…")), 1.2)
        self.heading.setWordWrap(True)
        self.status_label = _bold(QLabel())
        self.status_label.setObjectName("case_status")
        self.description_label = _selectable(QLabel())
        self.facts_label = _selectable(QLabel())
        self.facts_label.setStyleSheet(MUTED)
        self.light = TrafficLightLabel()
        self.light.setObjectName("traffic_light")
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.status_label)
        header = QVBoxLayout()
        header.addLayout(top)
        header.addWidget(self.description_label)
        header.addWidget(self.facts_label)
        header.addWidget(self.light)

        self.timeline = QTreeWidget()
        self.timeline.setObjectName("timeline")
        self.timeline.setRootIsDecorated(False)
        self.timeline.setAlternatingRowColors(True)
        self.timeline.setUniformRowHeights(True)
        self.timeline.setWordWrap(False)
        self.timeline.setHeaderLabels(
            [
                self.tr("When"),
                self.tr("Action"),
                self.tr("By"),
                self.tr("Opinion"),
                self.tr("Department / inspector"),
                self.tr("Deadline"),
                self.tr("State"),
            ]
        )
        head = self.timeline.header()
        head.setStretchLastSection(False)
        for column, width in enumerate((130, 175, 110, 220, 180, 130, 150)):
            head.resizeSection(column, width)
        head.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        history = QGroupBox(self.tr("History"))
        QVBoxLayout(history).addWidget(self.timeline)

        self.before_list = ThumbnailList(tasks, language, self.tr("No photos as reported."))
        self.before_list.setAccessibleName(self.tr("Photos before"))
        self.after_list = ThumbnailList(tasks, language, self.tr("No photos after the work yet."))
        self.after_list.setAccessibleName(self.tr("Photos after"))
        self.before_group = QGroupBox(self.tr("Before"))
        QVBoxLayout(self.before_group).addWidget(self.before_list)
        self.after_group = QGroupBox(self.tr("After"))
        QVBoxLayout(self.after_group).addWidget(self.after_list)
        photos = QHBoxLayout()
        photos.addWidget(self.before_group, 1)
        photos.addWidget(self.after_group, 1)

        self.comments_list = QListWidget()
        self.comments_list.setObjectName("comments")
        self.comments_list.setWordWrap(True)
        self.comments_list.setMaximumHeight(90)
        self.comments_group = QGroupBox(self.tr("Comments"))
        QVBoxLayout(self.comments_group).addWidget(self.comments_list)

        self.error_label = _error_label("detail_error")
        self.actions_label = QLabel(self.tr("Actions now:"))
        self.actions_box = QHBoxLayout()
        self.actions_box.setSpacing(6)
        self.no_actions = QLabel(self.tr("No action for the supervisor in this state."))
        self.no_actions.setStyleSheet(MUTED)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.clicked.connect(self.close)
        self.pdf_button = QPushButton(self.tr("&PDF report…"))
        self.pdf_button.setObjectName("pdf_report")
        self.pdf_button.setToolTip(self.tr("The case, its whole history and its photos as a PDF"))
        self.pdf_button.clicked.connect(self._ask_pdf)
        bottom = QHBoxLayout()
        bottom.addWidget(self.actions_label)
        bottom.addLayout(self.actions_box)
        bottom.addWidget(self.no_actions)
        bottom.addStretch(1)
        bottom.addWidget(self.pdf_button)
        bottom.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(history, 1)
        layout.addLayout(photos)
        layout.addWidget(self.comments_group)
        layout.addWidget(self.error_label)
        layout.addLayout(bottom)
        self.load()

    # -- loading ----------------------------------------------------------------------------------

    @Slot()
    def _ask_pdf(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("PDF report of the case"),
            str(Path.home() / f"case-{self.case_id[-8:]}.pdf"),
            "PDF (*.pdf)",
        )
        if path:
            self.write_pdf(Path(path))

    def write_pdf(self, out: Path) -> None:
        """Write the case's PDF report (fields, timeline, photos) in the background."""
        from app.ui.export_dialog import write_case_report

        self.pdf_button.setEnabled(False)
        write_case_report(
            self._store,
            self._tasks,
            self.case_id,
            out,
            language=self._language,
            on_done=self._pdf_written,
            on_error=self._pdf_failed,
        )

    def _pdf_written(self, path: Path) -> None:
        if not shiboken6.isValid(self):
            return
        self.pdf_button.setEnabled(True)
        self.error_label.setStyleSheet("")
        self.error_label.setText(self.tr("PDF written: %1").replace("%1", str(path)))
        self.error_label.show()
        self.pdf_written.emit(path)

    def _pdf_failed(self, exc: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self.pdf_button.setEnabled(True)
        self.error_label.setText(error_text(exc, self._language))
        self.error_label.show()

    def load(self) -> None:
        """Read the case, its history, photos and comments again (in the database lane)."""
        self._generation += 1
        generation = self._generation
        store, case_id, language, now = self._store, self.case_id, self._language, self._clock()

        def read() -> CaseDetail:
            entries = timeline(store, case_id, language)
            return CaseDetail(
                store.get_case(case_id),
                entries,
                _thumbnails(store, case_id),
                _comments(store, case_id, language),
                deadline_state(entries, now),
                now,
            )

        self._tasks.run_db(
            read,
            lambda detail: self._show(generation, detail),
            lambda exc: self._failed(generation, exc),
        )

    def _show(self, generation: int, detail: CaseDetail) -> None:
        if not shiboken6.isValid(self) or generation != self._generation:
            return
        self.detail = detail
        language = self._language
        case = detail.case
        category = category_text(self._store.taxonomy, case.category_code, language)
        self.heading.setText(category or self.tr("No category"))
        self.setWindowTitle(self.tr("Case history — %1").replace("%1", category or case.id))
        self.status_label.setText(status_text(case.status, language))
        self.description_label.setText(case.description or self.tr("(no description)"))
        facts = []
        if case.address:
            facts.append(case.address)
        if case.lat is not None and case.lon is not None:
            position = f"{case.lat:.6f}, {case.lon:.6f}"
            if case.accuracy_m is not None:
                position += " " + self.tr("(±%1 m)").replace("%1", f"{case.accuracy_m:.0f}")
            facts.append(position)
        author = next((e.who for e in detail.entries if e.action == Action.SUBMIT.value), "")
        if author:
            facts.append(self.tr("Reported by %1").replace("%1", author))
        if case.submitted_at is not None:
            facts.append(self.tr("Submitted %1").replace("%1", local_time(case.submitted_at)))
        self.facts_label.setText("   ·   ".join(facts))
        self._show_deadline(detail.deadline)
        self._show_timeline(detail.entries)
        before = [(r, i) for r, i in detail.photos if r.role != "after"]
        after = [(r, i) for r, i in detail.photos if r.role == "after"]
        self.before_list.set_photos(before)
        self.after_list.set_photos(after)
        self.before_group.setTitle(self.tr("Before (%1)").replace("%1", str(len(before))))
        self.after_group.setTitle(self.tr("After (%1)").replace("%1", str(len(after))))
        self.comments_list.clear()
        for comment in detail.comments:
            self.comments_list.addItem(
                f"{local_time(comment.at)}  {comment.author}"
                f" ({role_text(comment.role, language)}): {comment.text}"
            )
        self.comments_group.setVisible(bool(detail.comments))
        self._show_actions(case.status)
        self.error_label.hide()
        self.loaded.emit()

    def _show_deadline(self, state: DeadlineState | None) -> None:
        if state is None:
            self.light.set_state(None, self.tr("No deadline: the case has not been dispatched."))
            return
        parts = []
        if state.department:
            parts.append(state.department)
        parts.append(self.tr("Deadline %1").replace("%1", local_time(state.deadline)))
        measured = math.isfinite(state.used)  # not when the deadline is before the dispatch
        if state.handled and measured:
            parts.append(
                self.tr("handled after %1 % of the time limit").replace("%1", percent(state.used))
            )
        elif not state.handled:
            if measured:
                parts.append(self.tr("time used %1 %").replace("%1", percent(state.used)))
            if state.light is TrafficLight.RED:
                parts.append(self.tr("overdue"))
        self.light.set_state(state.light, "  ·  ".join(parts))

    def _show_timeline(self, entries: Sequence[TimelineEntry]) -> None:
        self.timeline.clear()
        language = self._language
        for entry in entries:
            role = role_text(entry.role, language) if entry.role else ""
            who = entry.who or role
            if entry.state != "confirmed" and not entry.who:
                who = self.tr("You")
            target = entry.department
            if entry.assignee:
                target = self.tr("Re-inspection: %1").replace("%1", entry.assignee)
            row = QTreeWidgetItem(
                [
                    local_time(entry.at),
                    action_text(entry.action, language),
                    who,
                    entry.opinion.replace("\n", " "),
                    target,
                    local_time(entry.deadline) if entry.deadline else "",
                    self._state_text(entry),
                ]
            )
            row.setData(0, ITEM_ROLE, entry)
            row.setToolTip(2, f"{who} ({role})" if role else who)
            row.setToolTip(3, entry.opinion)
            row.setToolTip(4, target)
            if entry.state != "confirmed":
                colour = QColor(STATE_COLOURS.get(entry.state, ERROR_COLOUR))
                font = QFont(self.timeline.font())
                font.setItalic(entry.state != "failed")
                font.setBold(entry.state == "failed")
                for column in range(self.COLUMNS):
                    row.setForeground(column, colour)
                    row.setFont(column, font)
                if entry.state == "failed":
                    reason = reason_text(entry.error, language)
                    row.setToolTip(6, self.tr("Refused by the server: %1").replace("%1", reason))
            self.timeline.addTopLevelItem(row)
        last = self.timeline.topLevelItem(self.timeline.topLevelItemCount() - 1)
        if last is not None:
            self.timeline.scrollToItem(last)

    def _state_text(self, entry: TimelineEntry) -> str:
        if entry.state == "confirmed":
            return self.tr("Confirmed")
        if entry.state == "pending":
            return self.tr("Waiting to be sent")
        if entry.state == "sending":
            return self.tr("Sending…")
        if entry.state == "failed":
            reason = reason_text(entry.error, self._language)
            return self.tr("Refused: %1").replace("%1", reason) if reason else self.tr("Refused")
        return entry.state

    def _show_actions(self, status: CaseStatus) -> None:
        for button in self.action_buttons.values():
            self.actions_box.removeWidget(button)
            button.deleteLater()
        self.action_buttons = {}
        actions = allowed_actions(status, Role.SUPERVISOR)
        for action in actions:
            button = QPushButton(action_text(action, self._language) + "…")
            button.setObjectName(f"action_{action.value}")
            button.clicked.connect(lambda _=False, a=action: self.decide(a))
            self.actions_box.addWidget(button)
            self.action_buttons[action] = button
        self.no_actions.setVisible(not actions)

    def _failed(self, generation: int, exc: BaseException) -> None:
        if shiboken6.isValid(self) and generation == self._generation:
            self.heading.setText(self.tr("The case could not be read"))
            self.error_label.setText(error_text(exc, self._language))
            self.error_label.show()

    # -- deciding ---------------------------------------------------------------------------------

    def decide(self, action: Action) -> DecisionDialog:
        """Open the decision dialog for ``action``; the history is read again once it is taken."""
        if self.decision is not None and shiboken6.isValid(self.decision):
            self.decision.close()
        dialog = DecisionDialog(
            self._store,
            self._tasks,
            self._language,
            self.case_id,
            action,
            parent=self,
            clock=self._clock,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.decided.connect(self._decided)
        self.decision = dialog
        dialog.open()
        return dialog

    def _decided(self, changes: Changes) -> None:
        self.decided.emit(changes)
        self.load()


def _comments(store: LocalStore, case_id: str, language: str) -> list[Any]:
    """The case's comments (``at``, ``author``, ``role``, ``text``) as the case report reads them.

    Secondary to the history: if they cannot be read, the history is still shown.
    """
    from app.storage.bulletin import case_report_data

    try:
        return list(case_report_data(store, case_id, language).comments)
    except Exception:
        log.exception("the comments of case %s could not be read", case_id)
        return []


# -- deadlines ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeadlineRow:
    """An open assignment as the deadlines panel lists it (names resolved, limit used)."""

    case_id: str
    status: CaseStatus
    department_id: str | None
    department: str
    category_code: str | None
    description: str
    address: str
    deadline: datetime | None
    #: The fraction of the time limit used (None: the log has no dispatch to measure from).
    used: float | None
    light: TrafficLight
    overdue: bool
    due_soon: bool


def deadline_rows(store: LocalStore, now: datetime, language: str) -> list[DeadlineRow]:
    """The open assignments (:func:`app.storage.reports.open_assignments`) with what the panel
    shows of their cases (runs in the database lane)."""
    from app.storage import reports

    names = reports.department_names(store, language)
    out = []
    for row in reports.open_assignments(store, now):
        case = store.get_case(row.case_id)
        used = None
        if row.started_at is not None and row.recorded_deadline is not None:
            credit = (row.deadline or row.recorded_deadline) - row.recorded_deadline
            used = elapsed_fraction(
                row.started_at, row.recorded_deadline, now, credit.total_seconds()
            )
            used = used if math.isfinite(used) else None
        out.append(
            DeadlineRow(
                row.case_id,
                row.status,
                row.department_id,
                names.get(row.department_id, "") if row.department_id else "",
                row.category_code,
                case.description,
                case.address,
                row.deadline,
                used,
                row.light,
                row.overdue,
                row.due_soon,
            )
        )
    return out


class AssignmentsPanel(QWidget):
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
        super().__init__(parent)
        self._store = store
        self._tasks = tasks
        self._language = language
        self._clock = clock
        self._generation = 0
        self.rows: list[DeadlineRow] = []

        self.title = _bold(QLabel(self.tr("Deadlines")), 1.25)
        self.summary_label = QLabel()
        self.summary_label.setStyleSheet(MUTED)
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
        self.refresh_button = QPushButton(self.tr("Re&fresh"))
        self.refresh_button.clicked.connect(self.refresh)
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addSpacing(12)
        header.addWidget(self.summary_label, 1)
        header.addWidget(QLabel(self.tr("Department:")))
        header.addWidget(self.department_filter)
        header.addWidget(self.show_all)
        header.addWidget(self.refresh_button)

        self.tree = QTreeWidget()
        self.tree.setObjectName("assignments")
        self.tree.setRootIsDecorated(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setHeaderLabels(
            [
                self.tr("Case"),
                self.tr("Department"),
                self.tr("Deadline"),
                self.tr("Time used"),
                self.tr("Status"),
            ]
        )
        head = self.tree.header()
        head.setStretchLastSection(False)
        for column, width in enumerate((420, 220, 150, 110, 120)):
            head.resizeSection(column, width)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.itemActivated.connect(self._activated)
        self.empty_label = QLabel(self.tr("No dispatched case is overdue or due soon."))
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setStyleSheet(MUTED)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.tree)
        self.stack.addWidget(self.empty_label)
        self.error_label = _error_label("assignments_error")
        legend = QLabel(
            self.tr(
                "Green: under 80 % of the time limit used · yellow: 80–100 % · red: overdue. "
                "Double-click a case for its history."
            )
        )
        legend.setStyleSheet(MUTED)
        legend.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(legend)
        self.setFocusProxy(self.tree)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        self._generation += 1
        generation, store, now = self._generation, self._store, self._clock()
        language = self._language
        self._tasks.run_db(
            lambda: (deadline_rows(store, now, language), departments(store)),
            lambda result: self._show(generation, *result),
            lambda exc: self._failed(generation, exc),
        )

    def _show(self, generation: int, rows: list[DeadlineRow], known: list[DepartmentRow]) -> None:
        if not shiboken6.isValid(self) or generation != self._generation:
            return
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

    def _failed(self, generation: int, exc: BaseException) -> None:
        if shiboken6.isValid(self) and generation == self._generation:
            self.error_label.setText(
                self.tr("The deadlines could not be read: %1").replace(
                    "%1", error_text(exc, self._language)
                )
            )
            self.error_label.show()


__all__ = [
    "AssignmentsPanel",
    "CaseDetailDialog",
    "DecisionDialog",
    "ReviewPanel",
    "TrafficLightLabel",
    "deadline_state",
]
