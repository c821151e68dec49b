"""Key-site rounds in the Tasks tab (重点部位常态化检查): the inspector's sites due today and this
week, each with its due time and whether it is done, due or missed — offline, from the sites
the feed brought and the checks recorded on this laptop.

A round is done by recording a check at the site with the receiver's current position: "No
problem found", or "Problem reported" once the problem was reported as a case there (its photos
are the evidence). A position outside the site is refused with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.capture.positions import Fix
from app.domain.deadlines import WorkingCalendar
from app.domain.sites import CheckOutcome, RoundState, SiteFrequency
from app.storage import LocalStore
from app.storage.sites import SiteRound, case_at_site, my_rounds, record_site_check
from app.storage.store import Changes
from app.ui.common.style import ERROR_COLOUR, MUTED
from app.ui.common.widgets import bold, error_label, tree_view
from app.ui.events import StoreEvents
from app.ui.operations import Operations
from app.ui.tasks import TaskRunner

STATE_COLOURS = {
    RoundState.DONE: "#2e7d32",
    RoundState.DUE: "#1565c0",
    RoundState.MISSED: ERROR_COLOUR,
}
_SITE_ROLE = Qt.ItemDataRole.UserRole + 1


def _now() -> datetime:
    return datetime.now(UTC)


class RoundsPanel(QWidget):
    """The inspector's key-site rounds and the buttons that record a check."""

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        language: str,
        position: Callable[[], Fix | None],
        parent: QWidget | None = None,
        *,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._position = position
        self._clock = clock
        self._ops = Operations(self, tasks, language, show_error=self._show_error, store=store)
        self.items: list[SiteRound] = []

        self.title = bold(QLabel(self.tr("Key-site rounds")))
        self.summary_label = QLabel()
        self.summary_label.setStyleSheet(MUTED)
        self.tree = tree_view(
            "rounds",
            [self.tr("Key site"), self.tr("Kind"), self.tr("Due by"), self.tr("State")],
            [220, 100, 150, 90],
            0,
            nested=False,
        )
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.ok_button = QPushButton(self.tr("&No problem found here"))
        self.ok_button.setToolTip(
            self.tr("Record the round as done at your current position: nothing to report")
        )
        self.ok_button.clicked.connect(lambda: self.record(CheckOutcome.NO_PROBLEM))
        self.problem_button = QPushButton(self.tr("&Problem reported here"))
        self.problem_button.setToolTip(
            self.tr("Record the round as done with the case you reported at the site today")
        )
        self.problem_button.clicked.connect(lambda: self.record(CheckOutcome.PROBLEM))
        self.error_label = error_label("rounds_error")
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addSpacing(12)
        header.addWidget(self.summary_label, 1)
        header.addWidget(self.ok_button)
        header.addWidget(self.problem_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.tree)
        layout.addWidget(self.error_label)
        StoreEvents.of(store).changed.connect(self._store_changed)
        self._update_buttons()
        self.hide()  # shown once the inspector has rounds
        self.refresh()

    def refresh(self) -> None:
        store, now = self._store, self._clock()
        self._ops.run(lambda: my_rounds(store, now), self._show, key="rounds")

    def _show(self, items: list[SiteRound]) -> None:
        chosen = self.current_site()
        self.items = items
        self.tree.clear()
        for item in items:
            site, r = item.site, item.round
            # Due times are the city's (the site file's HH:MM), whatever this computer's zone.
            local = r.due.astimezone(WorkingCalendar().tz)
            due = local.strftime(
                "%m-%d %H:%M" if site.frequency is SiteFrequency.WEEKLY else "%H:%M"
            )
            state = {
                RoundState.DONE: self.tr("Done"),
                RoundState.DUE: self.tr("Due"),
                RoundState.MISSED: self.tr("Missed"),
            }[r.state]
            row = QTreeWidgetItem([site.name, site.kind, due, state])
            row.setData(0, _SITE_ROLE, site.id)
            row.setForeground(3, QColor(STATE_COLOURS[r.state]))
            self.tree.addTopLevelItem(row)
            if site.id == chosen:
                self.tree.setCurrentItem(row)
        done = sum(i.round.state is RoundState.DONE for i in items)
        self.summary_label.setText(
            self.tr("%n round(s) today and this week", "", len(items))
            + " · "
            + self.tr("%n done", "", done)
        )
        self.setVisible(bool(items))
        self._update_buttons()

    def current_site(self) -> str | None:
        item = self.tree.currentItem()
        return None if item is None else str(item.data(0, _SITE_ROLE))

    def _update_buttons(self) -> None:
        enabled = self.current_site() is not None
        self.ok_button.setEnabled(enabled)
        self.problem_button.setEnabled(enabled)

    def record(self, outcome: CheckOutcome) -> None:
        """Record a check at the selected site with the current position."""
        site_id = self.current_site()
        if site_id is None:
            return
        fix = self._position()
        if fix is None:
            self._show_error(
                self.tr("No position yet: connect the GPS receiver and wait for a fix")
            )
            return
        store, now = self._store, self._clock()

        def write() -> Changes:
            case_id = None
            if outcome is CheckOutcome.PROBLEM:
                case_id = case_at_site(store, site_id, now - timedelta(hours=12))
            created = record_site_check(
                store,
                site_id,
                lat=fix.lat,
                lon=fix.lon,
                accuracy_m=fix.accuracy_m,
                outcome=outcome,
                case_id=case_id,
            )
            return created.changes

        self.error_label.hide()
        self._ops.write(write, key="check")  # the announced Changes refresh the list

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def _store_changed(self, changes: Changes) -> None:
        if changes.outbox or changes.reference or changes.everything:
            self.refresh()
