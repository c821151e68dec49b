"""The review queue (受理): newly submitted cases beside the selected one; accept, reject, return.

The queue is newest first; the details pane shows the selected case (category, description,
address, position, inspector, photos) and the open cases of the same category nearby that may
be the same problem. Keyboard-driven: J/K or Down/Up move, A accepts, R rejects and T returns
for correction (both ask for the opinion in a field under the details, Ctrl+Enter confirms, Esc
cancels); several selected cases are accepted at once. After a decision the next case is
selected.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import DomainError
from app.domain.lifecycle import Action
from app.storage import LocalStore
from app.storage.store import Changes
from app.storage.supervision import (
    BulkAcceptance,
    ReviewItem,
    accept_all,
    record_decision,
    review_queue,
)
from app.ui.common.style import MUTED
from app.ui.common.text import action_text, category_text, error_text, local_time
from app.ui.common.widgets import bold, error_label, placeholder, stack
from app.ui.panel import StorePanel
from app.ui.supervisor.base import ITEM_ROLE
from app.ui.supervisor.review_details import ReviewDetail, ReviewDetails, load_detail
from app.ui.tasks import TaskRunner

#: Actions the review panel takes itself (the others open a DecisionDialog).
REVIEW_ACTIONS = (Action.ACCEPT, Action.REJECT, Action.RETURN)


class ReviewPanel(StorePanel):
    """The review queue (newest first) and the selected case; accept, reject, return."""

    #: A decision was recorded (the store's :class:`Changes`, already announced on the store's
    #: events): the sync should send it.
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
        super().__init__(store, tasks, language, parent, error_name="review_error")
        self._ops.busy_changed.connect(self._show_busy)
        #: The row to select after the next reload (the one after a decided case).
        self._select_row: int | None = None
        self._opinion_action: Action | None = None
        self._load_failed = False
        #: The case whose details are shown.
        self._shown: ReviewItem | None = None
        self.items: list[ReviewItem] = []

        header = self.header(self.tr("Review"))

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
        self.empty_label = placeholder(
            self.tr(
                "No submitted cases are waiting for review.\n"
                "New reports from the inspectors arrive with the next sync."
            )
        )
        self.list_stack = stack(self.view, self.empty_label)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list_stack)
        splitter.addWidget(self._details_pane())
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([420, 640])

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
        self.watch_store()
        self.refresh()

    # -- building ---------------------------------------------------------------------------------

    def _details_pane(self) -> QWidget:
        self.details = ReviewDetails(self._store, self._tasks, self._language)
        self.details.open_case.connect(self.open_case)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(self.details)

        self.opinion_box = QFrame()
        self.opinion_box.setObjectName("opinion_box")
        self.opinion_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.opinion_title = bold(QLabel())
        self.opinion_edit = QPlainTextEdit()
        self.opinion_edit.setObjectName("review_opinion")
        self.opinion_edit.setTabChangesFocus(True)
        self.opinion_edit.setFixedHeight(self.opinion_edit.fontMetrics().lineSpacing() * 3 + 16)
        self.opinion_edit.textChanged.connect(self._opinion_changed)
        self.opinion_title.setBuddy(self.opinion_edit)
        self.opinion_error = error_label("opinion_error")
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

        self.details_empty = placeholder(self.tr("Select a case to see its details."))
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
        store = self._store
        self._ops.run(lambda: review_queue(store), self._show, key="queue", on_error=self._failed)

    def _show(self, items: list[ReviewItem]) -> None:
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

    def _failed(self, exc: BaseException) -> None:
        self._select_row = None
        self._load_failed = True
        self._show_failure(self.tr("The review queue could not be read: %1"), exc)

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
        if item is None:
            self._ops.cancel("detail")  # an earlier case's details, still being read, stay away
            self.details_stack.setCurrentWidget(self.details_empty)
            return
        self.details_stack.setCurrentIndex(0)
        self.details.show_item(item)
        store = self._store
        self._ops.run(
            lambda: load_detail(store, item),
            self._show_loaded,
            key="detail",
            on_error=self._detail_failed,
        )

    def _show_loaded(self, detail: ReviewDetail) -> None:
        self.details.show_loaded(detail)

    def _detail_failed(self, exc: BaseException) -> None:
        self.details.show_failure(error_text(exc, self._language))

    # -- decisions --------------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        item = self.current_item()
        busy = self._ops.busy
        ready = item is not None and not busy
        for button in (self.accept_button, self.reject_button, self.return_button):
            button.setEnabled(ready)
        self.details_button.setEnabled(item is not None)
        count = len(self.view.selectedItems())
        self.bulk_button.setEnabled(count > 0 and not busy)
        self.bulk_button.setText(
            self.tr("Accept &selected (%1)").replace("%1", str(count))
            if count > 1
            else self.tr("Accept &selected")
        )
        self.opinion_confirm.setEnabled(not busy and bool(self.opinion_edit.toPlainText().strip()))

    @Slot()
    def open_current(self) -> None:
        item = self.current_item()
        if item is not None:
            self.open_case.emit(item.case_id)

    @Slot()
    def accept_current(self) -> None:
        """Accept (受理) the selected case; the next one is selected."""
        item = self.current_item()
        if item is None or self._ops.busy or self._opinion_action is not None:
            return
        self._decide(item, Action.ACCEPT, "")

    @Slot()
    def ask_opinion(self, action: Action) -> None:
        """Reject or return the selected case: ask for the opinion under the details."""
        item = self.current_item()
        if item is None or self._ops.busy:
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
        if item is None or action is None or self._ops.busy:
            return
        self._decide(item, action, self.opinion_edit.toPlainText().strip())

    def _opinion_changed(self) -> None:
        if self.opinion_edit.toPlainText().strip():
            self.opinion_error.hide()
        self._update_buttons()

    def _decide(self, item: ReviewItem, action: Action, opinion: str) -> None:
        row = self.view.currentRow()
        store, case_id = self._store, item.case_id
        self._ops.write(
            lambda: record_decision(store, case_id, action, opinion=opinion),
            lambda changes: self._decided(row, item, action, changes),
            on_error=self._decision_failed,
            busy=True,
        )

    def _decided(self, row: int, item: ReviewItem, action: Action, changes: Changes) -> None:
        # The write was announced before this runs: the queue is being read again already (a
        # decision moves the workflow, see StorePanel.refreshes_on); the row after the decided
        # one is selected when it comes.
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

    def _decision_failed(self, exc: BaseException) -> None:
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
        if not chosen or self._ops.busy:
            return
        first = min(self.view.row(i) for i in self.view.selectedItems())
        store, ids = self._store, [i.case_id for i in chosen]
        names = {
            i.case_id: category_text(self._store.taxonomy, i.category_code, self._language)
            or i.description[:30]
            for i in chosen
        }

        def done(result: BulkAcceptance) -> None:
            accepted, refused = result.accepted, result.refused
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
                # Announced already, so the queue is being read again (see _decided).
                self.decided.emit(result.changes)
            else:
                self.refresh()  # nothing written: the queue as it is now, all the same

        self._ops.write(
            lambda: accept_all(store, ids), done, on_error=self._decision_failed, busy=True
        )

    # -- state ------------------------------------------------------------------------------------

    def _show_busy(self, busy: bool) -> None:
        if busy:
            self.error_label.hide()
        self._update_buttons()

    def _show_message(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setStyleSheet(MUTED)
        self.message_label.show()
