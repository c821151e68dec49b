"""The Help menu's own pieces: About CityPatrol and Copy diagnostics.

Kept out of main_window.py so the window only adds the menu and these actions to it.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, qVersion
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from app.diagnostics import store_diagnostics
from app.paths import resources_dir
from app.storage import LocalStore
from app.ui.operations import Operations
from app.version import app_version

HOMEPAGE = "https://citypatrol.example.gov.cn"


def app_icon() -> QIcon:
    """The application icon at every size rendered from its SVG (scripts/render_icons.py)."""
    icon = QIcon()
    hicolor = resources_dir() / "icons" / "hicolor"
    for png in sorted(hicolor.glob("*x*/apps/citypatrol.png")):
        icon.addFile(str(png))
    return icon


class AboutDialog(QDialog):
    """Version, licence and what CityPatrol is built on (with their licences)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("About CityPatrol"))
        layout = QVBoxLayout(self)
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(96, 96))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(icon)
        name = self.tr("CityPatrol 城市巡查")
        title = QLabel(f"<h2>{name}</h2>")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        self.version_label = QLabel(self.tr("Version %1").replace("%1", app_version()))
        self.version_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.version_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.version_label)
        body = "".join(
            f"<p>{part}</p>"
            for part in (
                self.tr("Offline-first city field inspection."),
                self.tr("Licence: proprietary; licensed to the city administration that runs it."),
                self.tr(
                    "Built with Qt %1 and PySide6, used under the GNU LGPL version 3; the Qt libraries in this installation can be replaced."
                ).replace("%1", qVersion()),
                self.tr(
                    "Maps: data © OpenStreetMap contributors, available under the Open Database License (ODbL); each basemap shows its own attribution."
                ),
                self.tr("Chinese text: Noto Sans CJK SC, under the SIL Open Font License 1.1."),
                self.tr(
                    "Also built on Python, SQLAlchemy, Alembic, Pillow, pillow-heif, keyring, platformdirs and pySerial, each under its own open-source licence."
                ),
            )
        )
        self.body = QLabel(body)
        self.body.setWordWrap(True)
        self.body.setTextFormat(Qt.TextFormat.RichText)
        self.body.setMinimumWidth(420)
        layout.addWidget(self.body)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class HelpActions:
    """Builds the Help menu's items for ``window`` (About, Copy diagnostics)."""

    def __init__(self, window: QMainWindow, store: LocalStore, ops: Operations) -> None:
        self._window = window
        self._store = store
        self._ops = ops
        self.last_diagnostics = ""

    def add_to(self, menu: QMenu) -> None:
        translate = QCoreApplication.translate
        menu.addAction(translate("HelpActions", "Copy &diagnostics"), self.copy_diagnostics)
        menu.addSeparator()
        menu.addAction(translate("HelpActions", "&About CityPatrol"), self.show_about)

    def show_about(self) -> None:
        AboutDialog(self._window).exec()

    def copy_diagnostics(self) -> None:
        # The store and the folder walk run in the database lane, off the main thread.
        store = self._store
        self._ops.run(
            lambda: store_diagnostics(store, qt_version=qVersion()), self._copied, key="diagnostics"
        )

    def _copied(self, text: str) -> None:
        self.last_diagnostics = text
        QGuiApplication.clipboard().setText(text)
        QMessageBox.information(
            self._window,
            QCoreApplication.translate("HelpActions", "Copy diagnostics"),
            QCoreApplication.translate(
                "HelpActions",
                "The diagnostics are on the clipboard: paste them into your support request. They hold no password or token.",
            ),
        )
