"""The basemaps section of the settings: add a local MBTiles file or a vector layer (GeoJSON,
GeoPackage: grid cells, areas, roads), remove one.

The list lives in the data folder's ``basemaps.json`` (:mod:`app.geo.basemaps`), not in the
user's settings: it describes files of that data folder's computer, and the sync will add the
server's basemaps to the same list. A file is checked (and hashed) in the background before it
is listed; a damaged one is refused with the reason.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.geo.basemaps import Basemap, BasemapRegistry, Overlay
from app.geo.datum import Datum
from app.ui.operations import Lane, Operations
from app.ui.tasks import TaskRunner


class BasemapSettings(QGroupBox):
    """Registered basemaps, with Add and Remove; changes apply at once."""

    #: The list changed (the map tab lists the basemaps again).
    changed = Signal()

    def __init__(
        self, data_dir: Path, tasks: TaskRunner, language: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Basemaps"))
        self._registry = BasemapRegistry(data_dir)
        self._language = language
        self._ops = Operations(self, tasks, language, show_error=self._show_error)
        self.list = QListWidget()
        self.list.setObjectName("basemap_list")
        self.list.setMaximumHeight(96)
        self.datum = QComboBox()
        self.datum.addItem("WGS84 / CGCS2000", Datum.WGS84.value)
        self.datum.addItem(self.tr("GCJ-02 (AMap, Tencent)"), Datum.GCJ02.value)
        self.datum.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.datum.setToolTip(
            self.tr(
                "WGS84 / CGCS2000: GPS, 天地图 and government GIS basemaps. "
                "GCJ-02: AMap and Tencent basemaps (drawn shifted; positions stay WGS84)."
            )
        )
        self.add_button = QPushButton(self.tr("Add MBTiles file…"))
        self.add_button.setObjectName("add_basemap")
        self.layer_button = QPushButton(self.tr("Add layer…"))
        self.layer_button.setObjectName("add_layer")
        self.layer_button.setToolTip(self.tr("A GeoJSON file or a GeoPackage, in WGS84"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.status = QLabel()
        self.status.setWordWrap(True)
        # Two rows: in English the label, the datum and three buttons do not fit one.
        datum_row = QHBoxLayout()
        datum_row.addWidget(QLabel(self.tr("Datum of a new file:")))
        datum_row.addWidget(self.datum)
        datum_row.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.layer_button)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list)
        layout.addLayout(datum_row)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        self.add_button.clicked.connect(self._browse)
        self.layer_button.clicked.connect(self._browse_layer)
        self.remove_button.clicked.connect(self.remove_selected)
        self.list.currentRowChanged.connect(lambda row: self.remove_button.setEnabled(row >= 0))
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        for entry in self._registry.entries():
            datum = "GCJ-02" if entry.datum == Datum.GCJ02.value else "WGS84"
            item = QListWidgetItem(f"{entry.name}  —  {Path(entry.path).name}  ({datum})")
            item.setToolTip(f"{entry.path}\nSHA-256 {entry.sha256}\n{entry.attribution}")
            item.setData(256, ("basemap", entry.name))
            self.list.addItem(item)
        for overlay in self._registry.overlays():
            item = QListWidgetItem(
                self.tr("Layer: %1").replace("%1", overlay.name) + f"  —  {Path(overlay.path).name}"
            )
            item.setToolTip(overlay.path)
            item.setData(256, ("overlay", overlay.name))
            self.list.addItem(item)
        self.remove_button.setEnabled(self.list.currentRow() >= 0)

    def _browse(self) -> None:
        dialog = QFileDialog(self, self.tr("Add a basemap"))
        dialog.setNameFilter(self.tr("MBTiles basemaps (*.mbtiles)"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self.add_file(Path(path)))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _browse_layer(self) -> None:
        dialog = QFileDialog(self, self.tr("Add a layer"))
        dialog.setNameFilter(self.tr("GeoPackage or GeoJSON (*.gpkg *.geojson *.json)"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(lambda path: self.add_layer(Path(path)))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def add_layer(self, path: Path) -> None:
        """Check and list a GeoJSON file or every layer of a GeoPackage (in the background)."""
        registry = self._registry
        self.status.setText(self.tr("Checking %1…").replace("%1", path.name))
        self.layer_button.setEnabled(False)
        self._ops.run(
            lambda: registry.add_overlay(path),
            self._layers_added,
            lane=Lane.DOCUMENTS,
            on_error=self._refused,
        )

    def _layers_added(self, added: list[Overlay]) -> None:
        self.layer_button.setEnabled(True)
        self.status.setStyleSheet("")
        self.status.setText(self.tr("Added %n layer(s).", "", len(added)))
        self.refresh()
        self.changed.emit()

    def add_file(self, path: Path) -> None:
        """Check, hash and list ``path`` (in the background; refused with the reason)."""
        registry, datum = self._registry, Datum(self.datum.currentData())
        self.status.setText(self.tr("Checking %1…").replace("%1", path.name))
        self.add_button.setEnabled(False)
        self._ops.run(
            lambda: registry.add(path, datum=datum),
            self._added,
            lane=Lane.DOCUMENTS,
            on_error=self._refused,
        )

    def _added(self, entry: Basemap) -> None:
        self.add_button.setEnabled(True)
        self.status.setStyleSheet("")
        self.status.setText(self.tr("Added “%1”.").replace("%1", entry.name))
        self.refresh()
        self.changed.emit()

    def _refused(self, exc: BaseException) -> None:
        self.add_button.setEnabled(True)
        self.layer_button.setEnabled(True)
        self._ops.show_failure(exc)

    def _show_error(self, text: str) -> None:
        self.status.setStyleSheet("color: #b3261e;")
        self.status.setText(text)

    def remove_selected(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        kind, name = item.data(256)
        if kind == "overlay":
            self._registry.remove_overlay(str(name))
        else:
            self._registry.remove(str(name))
        self.refresh()
        self.changed.emit()
