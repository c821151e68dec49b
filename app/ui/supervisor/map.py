"""The supervisor's Map tab (监督指挥): every case on the map, an open assignment coloured by its
deadline's traffic light, with the review and deadline filters (status, category, department,
overdue, period) and a density view of where problems concentrate.

The points come from :func:`app.storage.map_points.supervisor_points` (the deadlines screen's
joined read for the lights, one query for the positions) in the database lane; the clusters
and the heat map are drawn by :mod:`app.maprender`. The basemap is the one chosen on this
computer (``basemaps.json``: the settings, or the server's distribution).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from PySide6.QtCore import QDate, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.deadlines import WorkingCalendar
from app.domain.lifecycle import CaseStatus
from app.geo.basemaps import open_registered
from app.geo.mbtiles import MBTiles
from app.storage import LocalStore
from app.storage.coverage import TrackOwner, day_tracks, track_inspectors
from app.storage.map_points import SupervisorFilter, mapped_categories, supervisor_points
from app.storage.store import Changes
from app.storage.supervision import DepartmentRow, departments
from app.ui.common.style import MUTED
from app.ui.common.text import category_text, status_text
from app.ui.common.widgets import error_label, note_label
from app.ui.events import StoreEvents, workflow_changed
from app.ui.map_view import MapView
from app.ui.operations import Lane, Operations
from app.ui.supervisor.base import Clock, utc_now
from app.ui.tasks import TaskRunner

#: The period filter's choices: days back from now (None: any time).
PERIODS: tuple[int | None, ...] = (None, 7, 30, 90, 365)


class SupervisorMapPanel(QWidget):
    """The supervisor's Map tab."""

    #: A case marker was clicked: open its history.
    open_case = Signal(str)

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
        self._language = language
        self._clock = clock
        self._ops = Operations(self, tasks, language, show_error=self._show_error)
        self._stale = True

        self.map = MapView(tasks, language, self)
        self.map.setObjectName("supervisor_map")
        self.status_filter = QComboBox()
        self.status_filter.setObjectName("map_status_filter")
        self.status_filter.setAccessibleName(self.tr("Status"))
        self.status_filter.addItem(self.tr("All statuses"), None)
        for status in CaseStatus:
            if status is not CaseStatus.DRAFT:  # drafts never reach the office
                self.status_filter.addItem(status_text(status, language), status.value)
        self.category_filter = QComboBox()
        self.category_filter.setObjectName("map_category_filter")
        self.category_filter.setAccessibleName(self.tr("Category"))
        self.category_filter.addItem(self.tr("All categories"), None)
        self.category_filter.setMaximumWidth(220)
        self.department_filter = QComboBox()
        self.department_filter.setObjectName("map_department_filter")
        self.department_filter.setAccessibleName(self.tr("Department"))
        self.department_filter.addItem(self.tr("All departments"), None)
        self.period_filter = QComboBox()
        self.period_filter.setObjectName("map_period_filter")
        self.period_filter.setAccessibleName(self.tr("Period"))
        for days in PERIODS:
            text = self.tr("Any time") if days is None else self.tr("Last %n day(s)", "", days)
            self.period_filter.addItem(text, days)
        self.overdue_check = QCheckBox(self.tr("Overdue only"))
        self.overdue_check.setObjectName("map_overdue_only")
        self.density_button = QPushButton(self.tr("Density"))
        self.density_button.setObjectName("map_density")
        self.density_button.setCheckable(True)
        self.density_button.setToolTip(
            self.tr("Show where problems concentrate (a heat map of the cases shown)")
        )
        self.count_label = QLabel()
        # Patrol tracks: one inspector's (or everyone's) on one day.
        self.track_filter = QComboBox()
        self.track_filter.setObjectName("map_track_inspector")
        self.track_filter.setAccessibleName(self.tr("Patrol tracks"))
        self.track_filter.addItem(self.tr("No patrol tracks"), None)
        self.track_filter.addItem(self.tr("Tracks of every inspector"), "")
        self.track_day = QDateEdit()
        self.track_day.setObjectName("map_track_day")
        self.track_day.setAccessibleName(self.tr("Day of the patrol tracks"))
        self.track_day.setCalendarPopup(True)
        self.track_day.setDisplayFormat("yyyy-MM-dd")
        today = self._clock().astimezone(WorkingCalendar().tz).date()
        self.track_day.setDate(QDate(today.year, today.month, today.day))
        self.track_label = QLabel()
        self.track_label.setStyleSheet(MUTED)
        self.error_label = error_label("supervisor_map_error")
        legend = note_label(
            self.tr(
                "Dispatched cases by their deadline: green under 80 % of the time limit, "
                "yellow 80–100 %, red overdue; other cases by status. A count ringed in red "
                "holds an overdue case."
            )
        )

        bar = QHBoxLayout()
        bar.setContentsMargins(8, 6, 8, 2)
        for widget in (
            self.status_filter,
            self.category_filter,
            self.department_filter,
            self.period_filter,
            self.overdue_check,
        ):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        bar.addWidget(self.density_button)
        track_bar = QHBoxLayout()
        track_bar.setContentsMargins(8, 0, 8, 2)
        track_bar.addWidget(QLabel(self.tr("Patrol tracks:")))
        track_bar.addWidget(self.track_filter)
        track_bar.addWidget(self.track_day)
        track_bar.addWidget(self.track_label)
        track_bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addLayout(track_bar)
        layout.addWidget(self.error_label)
        layout.addWidget(self.map, 1)
        layout.addWidget(legend)

        for combo in (
            self.status_filter,
            self.category_filter,
            self.department_filter,
            self.period_filter,
        ):
            combo.currentIndexChanged.connect(self.refresh)
        self.overdue_check.toggled.connect(self.refresh)
        self.track_filter.currentIndexChanged.connect(self.read_tracks)
        self.track_day.dateChanged.connect(self.read_tracks)
        self.density_button.toggled.connect(self.map.set_density)
        self.map.case_clicked.connect(self.open_case)
        self.map.cases_loaded.connect(self._show_count)
        StoreEvents.of(store).changed.connect(self._store_changed)
        self.reload_basemap()
        self._read_choices()
        self.refresh()

    # -- patrol tracks ------------------------------------------------------------------------

    def read_tracks(self) -> None:
        """Draw the chosen inspector's (or everyone's) tracks of the chosen day."""
        chosen = self.track_filter.currentData()
        if chosen is None:
            self.map.set_track([])
            self.track_label.clear()
            return
        day = self.track_day.date().toPython()
        tz = WorkingCalendar().tz
        start = datetime.combine(day, time(), tz)
        end = start + timedelta(days=1)
        store, inspector = self._store, chosen or None
        self._ops.run(
            lambda: day_tracks(store, start, end, inspector), self._show_tracks, key="tracks"
        )

    def _show_tracks(self, segments: list[list[tuple[float, float]]]) -> None:
        self.map.set_track(segments)
        points = sum(len(s) for s in segments)
        self.track_label.setText(self.tr("%n track point(s) that day", "", points))

    def _fill_inspectors(self, owners: list[TrackOwner]) -> None:
        combo = self.track_filter
        chosen = combo.currentData()
        combo.blockSignals(True)
        while combo.count() > 2:
            combo.removeItem(2)
        for owner in owners:
            combo.addItem(owner.name, owner.id)
        index = combo.findData(chosen) if chosen is not None else 0
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)

    # -- reading ---------------------------------------------------------------------------

    def current_filter(self) -> SupervisorFilter:
        status = self.status_filter.currentData()
        days = self.period_filter.currentData()
        return SupervisorFilter(
            statuses=frozenset({CaseStatus(status)}) if status else frozenset(),
            category=self.category_filter.currentData(),
            department_id=self.department_filter.currentData(),
            overdue_only=self.overdue_check.isChecked(),
            created_from=self._clock() - timedelta(days=days) if days else None,
        )

    def refresh(self) -> None:
        """Read the cases again with the filters as they are now."""
        self._stale = False
        store, now, chosen = self._store, self._clock(), self.current_filter()
        self.map.load_cases(lambda: supervisor_points(store, now, chosen))

    def reload_basemap(self) -> None:
        data_dir = self._store.data_dir
        self._ops.run(lambda: open_registered(data_dir), self._opened, lane=Lane.TILES, key="bm")

    def _opened(self, basemap: MBTiles | None) -> None:
        self.map.set_basemap(basemap)

    def _read_choices(self) -> None:
        store = self._store
        self._ops.run(
            lambda: (departments(store), mapped_categories(store)),
            lambda result: self._fill_choices(*result),
            key="choices",
        )
        self._ops.run(lambda: track_inspectors(store), self._fill_inspectors, key="inspectors")

    def _fill_choices(self, known: list[DepartmentRow], categories: list[str]) -> None:
        for combo, items in (
            (self.department_filter, [(d.display(self._language), d.id) for d in known]),
            (
                self.category_filter,
                [(category_text(self._store.taxonomy, c, self._language), c) for c in categories],
            ),
        ):
            chosen = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for text, data in items:
                combo.addItem(text, data)
            index = combo.findData(chosen) if chosen is not None else 0
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)

    def _show_count(self, count: int) -> None:
        self.error_label.hide()
        self.count_label.setText(self.tr("%n case(s) on the map", "", count))

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def _store_changed(self, changes: Changes) -> None:
        if changes.tracks or changes.everything:
            store = self._store
            self._ops.run(lambda: track_inspectors(store), self._fill_inspectors, key="inspectors")
            self.read_tracks()
        if workflow_changed(changes) or changes.created:
            self._stale = True
            if changes.reference or changes.everything:
                self._read_choices()
                self.reload_basemap()  # a sync may have brought (or removed) a basemap
            if self.isVisible():
                self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()
