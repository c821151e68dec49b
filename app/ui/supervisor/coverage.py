"""The Coverage view (巡查覆盖): per inspector patrol distance, time on patrol and cells visited
in a period, the grid's share covered, and the blind spots (盲区) — cells of an inspector's
responsibility nobody visited for N days.

The figures come from :func:`app.storage.coverage.coverage` (the tracks of the period from the
store, computed by :mod:`app.domain.coverage`) in the database lane.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QLabel,
    QSpinBox,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.coverage import DEFAULT_BLIND_DAYS
from app.domain.deadlines import WorkingCalendar
from app.storage import LocalStore
from app.storage.coverage import Coverage, coverage
from app.storage.store import Changes
from app.ui.common.style import ERROR_COLOUR
from app.ui.common.text import local_time
from app.ui.common.widgets import bold, tree_view
from app.ui.panel import StorePanel
from app.ui.supervisor.base import Clock, utc_now
from app.ui.tasks import TaskRunner


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


class CoveragePanel(StorePanel):
    """Who patrolled how far and how long, which cells, and the blind spots, for a period."""

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        language: str,
        parent: QWidget | None = None,
        *,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(
            store, tasks, language, parent, error_name="coverage_error", errors_here=True
        )
        self._clock = clock
        self._stale = True
        self.result: Coverage | None = None

        today = clock().astimezone(WorkingCalendar().tz).date()
        self.summary_label.setObjectName("coverage_summary")
        self.first_day = QDateEdit(_qdate(today - timedelta(days=6)))
        self.last_day = QDateEdit(_qdate(today))
        for edit, name in ((self.first_day, "coverage_from"), (self.last_day, "coverage_to")):
            edit.setObjectName(name)
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.first_day.setAccessibleName(self.tr("First day"))
        self.last_day.setAccessibleName(self.tr("Last day"))
        self.blind_days = QSpinBox()
        self.blind_days.setObjectName("coverage_blind_days")
        self.blind_days.setRange(1, 90)
        self.blind_days.setValue(DEFAULT_BLIND_DAYS)
        self.blind_days.setSuffix(self.tr(" days"))
        self.blind_days.setToolTip(
            self.tr("A responsible cell nobody visited for this many days is a blind spot")
        )
        header = self.header(
            self.tr("Patrol coverage"),
            QLabel(self.tr("From:")),
            self.first_day,
            QLabel(self.tr("To:")),
            self.last_day,
            QLabel(self.tr("Blind spot after:")),
            self.blind_days,
        )
        self.inspectors = tree_view(
            "coverage_inspectors",
            [
                self.tr("Inspector"),
                self.tr("Patrol distance (km)"),
                self.tr("Time on patrol (h)"),
                self.tr("Tracks"),
                self.tr("Cells visited"),
                self.tr("Blind spots"),
                self.tr("Rounds due"),
                self.tr("Rounds done"),
                self.tr("Rounds missed"),
            ],
            [180, 140, 140, 80, 110, 100, 100, 100, 110],
            0,
            nested=False,
        )
        self.blind = tree_view(
            "coverage_blind_spots",
            [self.tr("Blind spot (cell)"), self.tr("Last visit")],
            [260, 160],
            0,
            nested=True,
        )
        blind_title = bold(QLabel(self.tr("Blind spots by inspector")))
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.error_label)
        layout.addWidget(self.inspectors, 3)
        layout.addWidget(blind_title)
        layout.addWidget(self.blind, 2)

        for edit in (self.first_day, self.last_day):
            edit.dateChanged.connect(self.refresh)
        self.blind_days.valueChanged.connect(self.refresh)
        self.watch_store()

    def period(self) -> tuple[datetime, datetime]:
        tz = WorkingCalendar().tz
        first = self.first_day.date().toPython()
        last = self.last_day.date().toPython()
        return (
            datetime.combine(first, time(), tz),
            datetime.combine(last + timedelta(days=1), time(), tz),
        )

    def refresh(self) -> None:
        self._stale = False
        start, end = self.period()
        if end <= start:
            self._show_error(self.tr("The last day is before the first day"))
            return
        store, days = self._store, self.blind_days.value()
        self._ops.run(
            lambda: coverage(store, start, end, blind_days=days), self._show, key="coverage"
        )

    def _show(self, result: Coverage) -> None:
        self.result = result
        self.error_label.hide()
        report = result.report
        rows = result.rows()
        self.inspectors.clear()
        self.blind.clear()
        for name, row, rounds in rows:
            item = QTreeWidgetItem(
                [
                    name,
                    f"{row.distance_m / 1000:.2f}",
                    f"{row.patrol_s / 3600:.1f}",
                    str(row.tracks),
                    str(len(row.cells_visited)),
                    str(len(row.blind_spots)),
                    str(rounds.due),
                    str(rounds.done),
                    str(rounds.missed),
                ]
            )
            for column in range(1, 9):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
            if rounds.missed:
                item.setForeground(8, QColor(ERROR_COLOUR))
            self.inspectors.addTopLevelItem(item)
            if row.blind_spots:
                group = QTreeWidgetItem([name, ""])
                for code, last in sorted(row.blind_spots.items()):
                    group.addChild(
                        QTreeWidgetItem(
                            [code, local_time(last) if last else self.tr("never visited")]
                        )
                    )
                self.blind.addTopLevelItem(group)
                group.setExpanded(True)
        inspectors = len(rows)
        distance = sum(r.distance_m for r in report.inspectors) / 1000
        if not result.has_grid:
            self.summary_label.setText(
                self.tr(
                    "%n inspector(s), %1 km patrolled; no grid cells yet", "", inspectors
                ).replace("%1", f"{distance:.1f}")
            )
            return
        self.summary_label.setText(
            self.tr(
                "%n inspector(s), %1 km patrolled; %2 of the cells visited, %3 not", "", inspectors
            )
            .replace("%1", f"{distance:.1f}")
            .replace("%2", f"{report.covered_share:.0%}")
            .replace("%3", str(len(report.unvisited)))
        )

    def _store_changed(self, changes: Changes) -> None:
        if changes.tracks or changes.everything or changes.reference:
            self._stale = True
            if self.isVisible():
                self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()
