"""What the desktop panels over the store share: one :class:`StorePanel` base.

A panel (the department's tasks, the requests, the deadlines, the coverage, the assessment, the
checklist templates, the inbox) keeps the store, the task runner and the language; runs its
reads through one :class:`~app.ui.operations.Operations`; has a header (a bold title, a muted
summary, its filters and a Refresh button), an error label; and reads again when a write it
cares about is announced on the store's :class:`~app.ui.events.StoreEvents`. The subclass
builds its own lists and buttons, lays them out, and says what it reads (:meth:`refresh`) and
which changes make it read again (:meth:`refreshes_on`).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from app.storage import LocalStore
from app.storage.store import Changes
from app.ui.common.text import error_text
from app.ui.common.widgets import bold, error_label, panel_header
from app.ui.events import StoreEvents, workflow_changed
from app.ui.operations import Operations
from app.ui.tasks import TaskRunner


class StorePanel(QWidget):
    """A panel reading the local store in the background, with a header and an error label.

    ``error_name`` is the error label's object name (tests find it by it). With
    ``errors_here`` a failure that has no ``on_error`` is said in the error label; without,
    it goes to the task runner's ``error`` signal (the main window shows it).
    """

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        language: str,
        parent: QWidget | None = None,
        *,
        error_name: str = "",
        errors_here: bool = False,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._tasks = tasks
        self._language = language
        self._ops = Operations(
            self, tasks, language, store=store, show_error=self._show_error if errors_here else None
        )
        self.title = bold(QLabel(), 1.25)
        self.summary_label = QLabel()
        # Here, not in each panel: the translation context is this class (tr would take the
        # subclass's name at run time, lupdate this one's).
        self.refresh_button = QPushButton(QCoreApplication.translate("StorePanel", "Re&fresh"))
        self.refresh_button.clicked.connect(self.refresh)
        self.error_label = error_label(error_name)

    def header(self, title: str, *trailing: QWidget) -> QHBoxLayout:
        """The top row: ``title``, the summary, ``trailing`` (filters), the Refresh button."""
        self.title.setText(title)
        return panel_header(self.title, self.summary_label, *trailing, self.refresh_button)

    def watch_store(self) -> None:
        """Read again on the store's changes that :meth:`refreshes_on` (once set up)."""
        StoreEvents.of(self._store).changed.connect(self._store_changed)

    def refresh(self) -> None:
        """Read what the panel shows again (in the background)."""
        raise NotImplementedError

    def refreshes_on(self, changes: Changes) -> bool:
        """Whether ``changes`` can change what the panel shows (by default: the step log and
        reference data, see :func:`app.ui.events.workflow_changed`)."""
        return workflow_changed(changes)

    def _store_changed(self, changes: Changes) -> None:
        if self.refreshes_on(changes):
            self.refresh()

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def _show_failure(self, text: str, exc: BaseException) -> None:
        """``text`` with ``%1`` replaced by the failure in words, in the error label."""
        self._show_error(text.replace("%1", error_text(exc, self._language)))
