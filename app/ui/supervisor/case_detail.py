"""A case's whole history: the server's steps, then the decisions still on their way or refused,
the deadline with its traffic light, comments, the photos before and after, the case's PDF
report, and a button for each action the supervisor may take now.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QColor, QFont, QImage
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.documents.pdf import write_case_report
from app.domain.deadlines import TrafficLight
from app.domain.lifecycle import (
    ANSWERS,
    APPROVAL_OF_REQUEST,
    Action,
    CaseStatus,
    RequestKind,
    Role,
    allowed_actions,
)
from app.storage import LocalStore
from app.storage.bulletin import case_report_data
from app.storage.deadlines import DeadlineState, deadline_state
from app.storage.handling import pending_request
from app.storage.states import HANDLED_PHOTO_ROLE, DeliveryState, OutboxState
from app.storage.store import CaseRow, Changes, PhotoRow
from app.storage.supervision import TimelineEntry, timeline
from app.ui.common.style import ERROR_COLOUR, MUTED, STATE_COLOURS
from app.ui.common.text import (
    action_text,
    category_text,
    error_text,
    local_time,
    percent,
    reason_text,
    role_text,
    status_text,
)
from app.ui.common.thumbnails import ThumbnailList, load_thumbnails
from app.ui.common.widgets import TrafficLightLabel, bold, error_label, selectable, tree_view
from app.ui.events import StoreEvents
from app.ui.operations import Lane, Operations
from app.ui.supervisor.base import ITEM_ROLE, Clock, utc_now
from app.ui.supervisor.decision import DecisionDialog
from app.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CaseDetail:
    case: CaseRow
    entries: list[TimelineEntry]
    photos: list[tuple[PhotoRow, QImage]]
    comments: list[Any]
    deadline: DeadlineState | None
    now: datetime
    #: The department's request waiting for an answer (issue 15).
    request: RequestKind | None = None
    #: The 门前三包 unit whose frontage holds the case's position (its name), if any.
    unit: str = ""


class CaseDetailDialog(QDialog):
    """A case's history, deadline and traffic light, comments, photos, and the actions now."""

    #: A decision was recorded from this dialog (the store's :class:`Changes`, already
    #: announced on the store's events).
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
        self._ops = Operations(self, tasks, language)
        self.detail: CaseDetail | None = None
        self.decision: DecisionDialog | None = None
        self.action_buttons: dict[Action, QPushButton] = {}
        self.setWindowTitle(self.tr("Case history"))
        self.resize(1040, 720)

        self.heading = bold(QLabel(self.tr("Loading the case…")), 1.2)
        self.heading.setWordWrap(True)
        self.status_label = bold(QLabel())
        self.status_label.setObjectName("case_status")
        self.description_label = selectable(QLabel())
        self.facts_label = selectable(QLabel())
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

        headers = [
            self.tr("When"),
            self.tr("Action"),
            self.tr("By"),
            self.tr("Opinion"),
            self.tr("Department / inspector"),
            self.tr("Deadline"),
            self.tr("State"),
        ]
        widths = (130, 175, 110, 220, 180, 130, 150)
        self.timeline = tree_view("timeline", headers, widths, 3, nested=False)
        self.timeline.setWordWrap(False)
        history = QGroupBox(self.tr("History"))
        QVBoxLayout(history).addWidget(self.timeline)

        self.before_list = ThumbnailList(
            tasks, language, self.tr("No photos as reported."), store=store
        )
        self.before_list.setAccessibleName(self.tr("Photos before"))
        self.after_list = ThumbnailList(
            tasks, language, self.tr("No photos after the work yet."), store=store
        )
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

        self.error_label = error_label("detail_error")
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
        StoreEvents.of(store).changed.connect(self._store_changed)
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
        """Write the case's PDF report (fields, timeline, photos) in the documents lane."""
        store, case_id, language = self._store, self.case_id, self._language
        self.pdf_button.setEnabled(False)
        self._ops.run(
            lambda: write_case_report(store, case_id, out, language),
            self._pdf_written,
            lane=Lane.DOCUMENTS,
            on_error=self._pdf_failed,
        )

    def _pdf_written(self, path: Path) -> None:
        self.pdf_button.setEnabled(True)
        self.error_label.setStyleSheet("")
        self.error_label.setText(self.tr("PDF written: %1").replace("%1", str(path)))
        self.error_label.show()
        self.pdf_written.emit(path)

    def _pdf_failed(self, exc: BaseException) -> None:
        self.pdf_button.setEnabled(True)
        self.error_label.setText(error_text(exc, self._language))
        self.error_label.show()

    def load(self) -> None:
        """Read the case, its history, photos and comments again (in the database lane)."""
        store, case_id, language, now = self._store, self.case_id, self._language, self._clock()

        def read() -> CaseDetail:
            entries = timeline(store, case_id, language)
            case = store.get_case(case_id)
            unit = store.unit(case.unit_id)
            return CaseDetail(
                case,
                entries,
                load_thumbnails(store, case_id),
                _comments(store, case_id, language),
                deadline_state(entries, now),
                now,
                pending_request(store, case_id),
                unit.name if unit is not None else "",
            )

        self._ops.run(read, self._show, key="detail", on_error=self._failed)

    def _store_changed(self, changes: Changes) -> None:
        """Read the case again after a write that concerns it (a decision taken here or in
        the review queue, a sync that brought its steps)."""
        if changes.everything or self.case_id in changes.cases:
            self.load()

    def _show(self, detail: CaseDetail) -> None:
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
        if case.grid_code:
            facts.append(self.tr("Grid cell %1").replace("%1", case.grid_code))
        if detail.unit:
            facts.append(self.tr("门前三包 unit: %1").replace("%1", detail.unit))
        author = next((e.who for e in detail.entries if e.action == Action.SUBMIT.value), "")
        if author:
            facts.append(self.tr("Reported by %1").replace("%1", author))
        if case.submitted_at is not None:
            facts.append(self.tr("Submitted %1").replace("%1", local_time(case.submitted_at)))
        self.facts_label.setText("   ·   ".join(facts))
        self._show_deadline(detail.deadline)
        self._show_timeline(detail.entries)
        # The department's photos of its handling (issue 15) show the result too.
        later = ("after", HANDLED_PHOTO_ROLE)
        before = [(r, i) for r, i in detail.photos if r.role not in later]
        after = [(r, i) for r, i in detail.photos if r.role in later]
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
        self._show_actions(case.status, detail.request)
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
            if entry.state != DeliveryState.CONFIRMED and not entry.who:
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
            if entry.state != DeliveryState.CONFIRMED:
                colour = QColor(STATE_COLOURS.get(entry.state, ERROR_COLOUR))
                font = QFont(self.timeline.font())
                font.setItalic(entry.state != OutboxState.FAILED)
                font.setBold(entry.state == OutboxState.FAILED)
                for column in range(self.COLUMNS):
                    row.setForeground(column, colour)
                    row.setFont(column, font)
                if entry.state == OutboxState.FAILED:
                    reason = reason_text(entry.error, language)
                    row.setToolTip(6, self.tr("Refused by the server: %1").replace("%1", reason))
            self.timeline.addTopLevelItem(row)
        last = self.timeline.topLevelItem(self.timeline.topLevelItemCount() - 1)
        if last is not None:
            self.timeline.scrollToItem(last)

    def _state_text(self, entry: TimelineEntry) -> str:
        if entry.state == DeliveryState.CONFIRMED:
            return self.tr("Confirmed")
        if entry.state == OutboxState.PENDING:
            return self.tr("Waiting to be sent")
        if entry.state == OutboxState.SENDING:
            return self.tr("Sending…")
        if entry.state == OutboxState.FAILED:
            reason = reason_text(entry.error, self._language)
            return self.tr("Refused: %1").replace("%1", reason) if reason else self.tr("Refused")
        return entry.state

    def _show_actions(self, status: CaseStatus, request: RequestKind | None = None) -> None:
        for button in self.action_buttons.values():
            self.actions_box.removeWidget(button)
            button.deleteLater()
        self.action_buttons = {}
        # A department's handler takes its steps in its task list (issue 15), not here.
        handler = self._store.actor.role is Role.HANDLER
        actions = [] if handler else allowed_actions(status, Role.SUPERVISOR)
        # The answers to a department's request: only when one waits, and only its own kind.
        fitting = {Action.REFUSE_REQUEST, APPROVAL_OF_REQUEST[request]} if request else set()
        actions = [a for a in actions if a not in ANSWERS or a in fitting]
        for action in actions:
            button = QPushButton(action_text(action, self._language) + "…")
            button.setObjectName(f"action_{action.value}")
            button.clicked.connect(lambda _=False, a=action: self.decide(a))
            self.actions_box.addWidget(button)
            self.action_buttons[action] = button
        self.no_actions.setVisible(not actions)

    def _failed(self, exc: BaseException) -> None:
        self.heading.setText(self.tr("The case could not be read"))
        self.error_label.setText(error_text(exc, self._language))
        self.error_label.show()

    # -- deciding ---------------------------------------------------------------------------------

    def decide(self, action: Action) -> DecisionDialog:
        """Open the decision dialog for ``action``; the history is read again once it is taken."""
        # The open decision dialog (one at a time); it deletes itself on close, so the
        # reference may outlive it — a window reference, not a result to check.
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
        # The decision's write was announced: this dialog reads the case again by itself
        # (_store_changed), like every other view of the case.
        self.decided.emit(changes)


def _comments(store: LocalStore, case_id: str, language: str) -> list[Any]:
    """The case's comments (``at``, ``author``, ``role``, ``text``) as the case report reads them.

    Secondary to the history: if they cannot be read, the history is still shown.
    """
    try:
        return list(case_report_data(store, case_id, language).comments)
    except Exception:
        log.exception("the comments of case %s could not be read", case_id)
        return []
