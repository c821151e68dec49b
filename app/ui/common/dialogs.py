"""A dialog that records one write and closes: the re-inspection result, a supervisor's decision.

What such dialogs share: their background work runs on :class:`~app.ui.operations.Operations`
(the write announced on the store's events), while the write runs the dialog is busy — a
"Saving…" note, OK and Cancel disabled, Esc ignored, so a result being saved finishes first —
and once it is recorded the dialog keeps its Changes, says so, and accepts.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPushButton, QWidget

from app.storage import LocalStore
from app.storage.store import Changes
from app.ui.common.style import MUTED
from app.ui.operations import Operations
from app.ui.tasks import TaskRunner


class RecordDialog(QDialog):
    """Base of a dialog that records one write. Subclasses build the last row with
    :meth:`bottom_row`, set
    :attr:`saving_text` (in their own translation context) and enable their buttons in
    :meth:`_update_state`."""

    def __init__(
        self, store: LocalStore, tasks: TaskRunner, language: str, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._tasks = tasks
        self._language = language
        self._ops = Operations(self, tasks, language, store=store)
        self._ops.busy_changed.connect(self._show_busy)
        #: What the recorded write changed (None until it is recorded).
        self.changes: Changes | None = None
        self.saving_text = ""

    def bottom_row(self, ok_text: str) -> tuple[QHBoxLayout, QPushButton]:
        """The dialog's last row: the status note, then OK (``ok_text``, the default; it
        submits) and Cancel; returns the row and the OK button."""
        self.buttons = QDialogButtonBox()
        ok = self.buttons.addButton(ok_text, QDialogButtonBox.ButtonRole.AcceptRole)
        ok.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.status_label = QLabel()
        self.status_label.setStyleSheet(MUTED)
        row = QHBoxLayout()
        row.addWidget(self.status_label, 1)
        row.addWidget(self.buttons)
        return row, ok

    def submit(self) -> None:
        """Check the form and :meth:`record` the write (the OK button's action)."""

    def record(
        self,
        write: Callable[[], Changes],
        done: SignalInstance,
        on_error: Callable[[BaseException], None],
    ) -> None:
        """Run ``write`` (busy meanwhile); once recorded, emit its Changes on ``done`` and
        close with accept()."""

        def recorded(changes: Changes) -> None:
            self.changes = changes
            done.emit(changes)
            self.accept()

        self._ops.write(write, recorded, on_error=on_error, busy=True)

    def _show_busy(self, busy: bool) -> None:
        self.status_label.setText(self.saving_text if busy else "")
        self._update_state()

    def _update_state(self) -> None:
        """Enable what may be used now (see :attr:`_ops` ``.busy``)."""

    def reject(self) -> None:
        if not self._ops.busy:  # a result being saved finishes first
            super().reject()
