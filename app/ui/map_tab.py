"""The inspector's Map tab: the cases (with the list's filters), the patrol track as it grows,
the current GPS position, and a choice of basemap.

The cases are read again when the store announces a change to cases (:class:`StoreEvents`) —
only while the tab is shown; a change while it is hidden marks it stale and it reads when
shown. The track is read when a write touches the patrol's track.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.capture.positions import Fix
from app.capture.tracks import TrackPoint
from app.geo.basemaps import BasemapRegistry, open_registered
from app.geo.errors import MapError
from app.geo.mbtiles import MBTiles
from app.geo.vector import VectorLayer
from app.maprender.render import default_style
from app.storage import CaseQuery, Changes, LocalStore
from app.storage.map_points import case_points
from app.ui.events import StoreEvents
from app.ui.map_view import MapView
from app.ui.operations import Lane, Operations
from app.ui.patrol import GpsFeed, PatrolController
from app.ui.tasks import TaskRunner


class MapPanel(QWidget):
    """The Map tab of the main window."""

    #: A case marker was clicked: open the case.
    open_case = Signal(str)

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        language: str,
        *,
        query: Callable[[], CaseQuery] = CaseQuery,
        patrol: PatrolController | None = None,
        gps: GpsFeed | None = None,
        parent: QWidget | None = None,
        prefetch: bool = True,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._language = language
        self._query = query
        self._patrol = patrol
        self._ops = Operations(self, tasks, language, show_error=self._show_error)
        self._stale = True
        self._show_pending: str | None = None
        self._registry = BasemapRegistry(store.data_dir)

        self.map = MapView(tasks, language, self)
        self.map.setObjectName("case_map")
        self.basemap_combo = QComboBox()
        self.basemap_combo.setObjectName("basemap_choice")
        self.basemap_combo.setMinimumContentsLength(16)
        self.track_check = QCheckBox(self.tr("Patrol track"))
        self.track_check.setChecked(True)
        self.layers_check = QCheckBox(self.tr("Layers"))
        self.layers_check.setToolTip(
            self.tr(
                "The office's grid cells and the vector layers added in the settings (areas, roads)"
            )
        )
        self.layers_check.setChecked(True)
        self._overlays: list[VectorLayer] = []
        # The grid cells the server distributes (app.storage.grids), drawn under the layers.
        self._grid: VectorLayer | None = None
        self.count_label = QLabel()
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #b3261e;")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        bar = QHBoxLayout()
        bar.setContentsMargins(8, 6, 8, 2)
        bar.addWidget(QLabel(self.tr("Basemap:")))
        bar.addWidget(self.basemap_combo)
        bar.addSpacing(12)
        bar.addWidget(self.track_check)
        bar.addWidget(self.layers_check)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.error_label)
        layout.addWidget(self.map, 1)

        self.map.case_clicked.connect(self.open_case)
        self.map.cases_loaded.connect(self._show_count)
        self.basemap_combo.activated.connect(self._basemap_chosen)
        self.track_check.toggled.connect(lambda _on: self._read_track())
        self.layers_check.toggled.connect(lambda _on: self._show_overlays())
        StoreEvents.of(store).changed.connect(self._store_changed)
        if gps is not None:
            gps.fix.connect(self.show_fix)
        if patrol is not None:
            patrol.changed.connect(self._patrol_changed)
        self.reload_basemaps()
        self.reload_overlays()
        self.reload_grid()
        # Read the cases in the background before the tab is first shown: 100,000 cases take
        # a second to read and cluster, and by the time the inspector opens the tab they are
        # ready to draw. ``prefetch=False``: the owner says when (the main window lets its case
        # list show first — the reading holds the database lane and Python's lock for that
        # second; start-up, bench/ui.py).
        if prefetch:
            QTimer.singleShot(0, self, self.prefetch)

    def prefetch(self) -> None:
        """Read the cases now, in the background, unless they are read already."""
        if self._stale:
            self.refresh()

    # -- basemaps ------------------------------------------------------------------------------

    def reload_basemaps(self) -> None:
        """List the registered basemaps (the settings may have added one) and show the current."""
        try:
            entries = self._registry.entries()
            current = self._registry.current()
        except MapError as exc:
            self._show_error(exc.text(self._language))
            return
        self.basemap_combo.clear()
        for entry in entries:
            self.basemap_combo.addItem(entry.name, entry.name)
        if not entries:
            self.basemap_combo.addItem(self.tr("(none — add one in Settings)"), None)
        self.basemap_combo.setEnabled(bool(entries))
        if current is not None:
            self.basemap_combo.setCurrentIndex(self.basemap_combo.findData(current.name))
            shown = self.map.basemap
            if shown is None or shown.path.resolve() != current.file.resolve():
                self._open(current.name)

    def registry_changed(self) -> None:
        """Basemaps or layers were added or removed in the settings."""
        self.reload_basemaps()
        self.reload_overlays()

    def reload_overlays(self) -> None:
        """Read the registered vector layers again (in the background: files of any size)."""
        registry = self._registry

        def read() -> tuple[list[VectorLayer], list[str]]:
            layers, refused = [], []
            for overlay in registry.overlays():
                try:
                    layers.append(overlay.read())
                except MapError as exc:
                    refused.append(exc.text(self._language))
            return layers, refused

        self._ops.run(read, self._overlays_read, lane=Lane.DOCUMENTS, key="overlays")

    def reload_grid(self) -> None:
        """Read the server's grid cells again (after a sync brought a change)."""
        self._ops.run(self._store.grid_layer, self._grid_read, key="grid")

    def _grid_read(self, layer: VectorLayer | None) -> None:
        self._grid = layer
        self._show_overlays()

    def _overlays_read(self, result: tuple[list[VectorLayer], list[str]]) -> None:
        self._overlays, refused = result
        if refused:
            self._show_error("\n".join(refused))
        self._show_overlays()

    def _show_overlays(self) -> None:
        self.map.clear_overlays()
        layers = [self._grid, *self._overlays] if self._grid is not None else self._overlays
        if self.layers_check.isChecked():
            for layer in layers:
                self.map.add_overlay(layer, default_style(layer))
        self.layers_check.setEnabled(bool(layers))

    def _basemap_chosen(self, index: int) -> None:
        name = self.basemap_combo.itemData(index)
        if name:
            self._registry.set_current(str(name))
            self._open(str(name))

    def _open(self, name: str) -> None:
        data_dir = self._store.data_dir
        # Opening checks the file (header, metadata, first tile): off the main thread.
        self._ops.run(
            lambda: open_registered(data_dir, name),
            self._opened,
            lane=Lane.TILES,
            key="basemap",
        )

    def _opened(self, basemap: MBTiles | None) -> None:
        self.error_label.hide()
        self.map.set_basemap(basemap)

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    # -- cases ---------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the cases again with the list's current filters."""
        self._stale = False
        store, query = self._store, self._query()  # read the filters before the work starts
        self.map.load_cases(lambda: case_points(store, query))

    def filters_changed(self) -> None:
        """The list's filters changed: read again now if shown, else when shown."""
        self._stale = True
        if self.isVisible():
            self.refresh()

    def _show_count(self, count: int) -> None:
        if self._show_pending is not None:
            self.show_case(self._show_pending)
        self.count_label.setText(self.tr("%n case(s) on the map", "", count))

    def _store_changed(self, changes: Changes) -> None:
        if changes.reference or changes.everything:  # a sync may have brought a basemap
            self.reload_basemaps()
            self.reload_grid()  # or grid cells
        if changes.everything or changes.cases or changes.created:
            self._stale = True
            if self.isVisible():
                self.refresh()
        if self._patrol is not None and self._patrol.track_id in changes.tracks:
            self._read_track()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def select_case(self, case_id: str | None) -> None:
        self.map.set_selected(case_id)

    def show_case(self, case_id: str) -> None:
        """Zoom to a case and highlight it (once the cases are read, if they are not yet)."""
        self._show_pending = case_id
        if self.map.layers.cases is not None and self.map.zoom_to_case(case_id):
            self._show_pending = None

    # -- track and position --------------------------------------------------------------------

    def _patrol_changed(self) -> None:
        if self._patrol is not None and self._patrol.track_id is None:
            self.map.set_track([])

    def _read_track(self) -> None:
        track_id = self._patrol.track_id if self._patrol is not None else None
        if track_id is None or not self.track_check.isChecked():
            self.map.set_track([])
            return
        store = self._store
        self._ops.run(lambda: store.track_points(track_id), self._show_track, key="track")

    def _show_track(self, points: list[TrackPoint]) -> None:
        segments: dict[int, list[tuple[float, float]]] = {}
        for p in points:
            segments.setdefault(p.segment, []).append((p.lat, p.lon))
        self.map.set_track(list(segments.values()))

    def show_fix(self, fix: Fix) -> None:
        """The receiver's latest position, with its accuracy circle."""
        self.map.set_position(fix.lat, fix.lon, fix.accuracy_m)
