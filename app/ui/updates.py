"""A newer CityPatrol offered by the server: the status-bar notice, the update dialog and
Help → Check for updates.

The sync reports an offer (app.sync.updates, ``SyncReport.update``); :class:`UpdateNotifier`
shows it as a button in the status bar — nothing pops up in the middle of an inspector's work.
The button (or the Help menu's check) opens :class:`UpdateDialog`, which is not modal: on the
user's say it downloads the installer through the server in the network lane (resumed after a
cut, checked by SHA-256) into the data folder's ``updates/`` and offers to open that folder.
It never runs the installer.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QStatusBar,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.storage import LocalStore
from app.ui.common.style import ERROR_COLOUR
from app.ui.common.text import error_text
from app.ui.operations import Lane, Operations
from app.version import app_version

if TYPE_CHECKING:
    # app.sync (and httpx) are imported when an update is checked or downloaded, not with
    # the window (start-up).
    from app.sync.engine import SyncReport
    from app.sync.updates import UpdateOffer
    from app.ui.sync_controller import SyncController


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.1f}"


class UpdateDialog(QDialog):
    """What is offered, and the download on the user's say (see the module)."""

    # (bytes done, size) from the network lane; delivered queued to the dialog.
    _moved = Signal(int, int)
    # The installer's path once it is downloaded and checked.
    downloaded = Signal(object)

    def __init__(
        self,
        store: LocalStore,
        ops: Operations,
        offer: UpdateOffer,
        language: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._store, self._ops, self.offer, self._language = store, ops, offer, language
        self._stop = threading.Event()
        self.saved: Path | None = None
        self.setWindowTitle(self.tr("Update available"))
        self.setWindowModality(Qt.WindowModality.NonModal)
        layout = QVBoxLayout(self)
        self.summary = QLabel(
            self.tr("CityPatrol %1 is available; this computer has %2.")
            .replace("%1", offer.version)
            .replace("%2", app_version())
        )
        layout.addWidget(self.summary)
        self.explanation = QLabel(
            self.tr(
                "The installer (%1 MB) is downloaded through your server and checked. Nothing is installed until you run it yourself."
            ).replace("%1", _megabytes(offer.size))
        )
        self.explanation.setWordWrap(True)
        layout.addWidget(self.explanation)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox()
        self.download_button = QPushButton(self.tr("&Download"))
        self.open_button = QPushButton(self.tr("&Open folder"))
        self.close_button = QPushButton(self.tr("&Later"))
        for button, role in (
            (self.download_button, QDialogButtonBox.ButtonRole.AcceptRole),
            (self.open_button, QDialogButtonBox.ButtonRole.ActionRole),
            (self.close_button, QDialogButtonBox.ButtonRole.RejectRole),
        ):
            self.buttons.addButton(button, role)
        self.open_button.setVisible(False)  # once the installer is saved
        self.download_button.clicked.connect(self.download)
        self.open_button.clicked.connect(self.open_folder)
        self.close_button.clicked.connect(self.close)
        layout.addWidget(self.buttons)
        self._moved.connect(self._show_progress)
        self.setMinimumWidth(460)

    def download(self) -> None:
        self.download_button.setEnabled(False)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.status.setStyleSheet("")
        self.status.setText(self.tr("Downloading…"))
        self._stop = threading.Event()  # a new try after closing and reopening the dialog
        from app.sync.updates import download_store_update

        store, offer, stop, moved = self._store, self.offer, self._stop, self._moved.emit
        self._ops.run(
            lambda: download_store_update(store, offer, moved, stop),
            self._done,
            lane=Lane.NET,
            key=("update", offer.sha256),
            on_error=self._failed,
        )

    def open_folder(self) -> None:
        if self.saved is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.saved.parent)))

    def closeEvent(self, event: QCloseEvent) -> None:
        self._stop.set()  # a running download stops at its next retry; its part is kept
        super().closeEvent(event)

    def _show_progress(self, done: int, size: int) -> None:
        self.progress.setValue(int(done * 1000 / size) if size else 0)
        self.status.setText(
            self.tr("Downloading… %1 of %2 MB")
            .replace("%1", _megabytes(done))
            .replace("%2", _megabytes(size))
        )

    def _done(self, path: Path) -> None:
        self.saved = path
        self.progress.setValue(1000)
        self.status.setText(
            self.tr(
                "Saved and checked: %1\nTo update, close CityPatrol and run this installer."
            ).replace("%1", str(path))
        )
        self.download_button.setVisible(False)
        self.open_button.setVisible(True)
        self.close_button.setText(self.tr("&Close"))
        self.adjustSize()
        self.downloaded.emit(path)

    def _failed(self, exc: BaseException) -> None:
        self.progress.setVisible(False)
        self.status.setStyleSheet(f"color: {ERROR_COLOUR}")
        self.status.setText(error_text(exc, self._language))
        self.download_button.setText(self.tr("&Try again"))
        self.download_button.setEnabled(True)
        self.adjustSize()


class UpdateNotifier(QObject):
    """The status-bar notice of an offered update and Help → Check for updates."""

    def __init__(self, parent: QWidget, store: LocalStore, ops: Operations, language: str) -> None:
        super().__init__(parent)
        self._window, self._store, self._ops, self._language = parent, store, ops, language
        self.offer: UpdateOffer | None = None
        self.dialog: UpdateDialog | None = None
        self.notice = QToolButton()
        self.notice.setAutoRaise(True)
        self.notice.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.notice.setIcon(parent.style().standardIcon(QStyle.StandardPixmap.SP_ArrowDown))
        font = self.notice.font()
        font.setBold(True)
        self.notice.setFont(font)
        self.notice.setVisible(False)
        self.notice.clicked.connect(self.show_dialog)
        self.check_action: QAction | None = None

    def install(self, status_bar: QStatusBar, help_menu: QMenu, sync: SyncController) -> None:
        """Put the notice in ``status_bar`` and the check in ``help_menu``; listen to ``sync``."""
        status_bar.addPermanentWidget(self.notice)
        self.check_action = help_menu.addAction(self.tr("Check for &updates…"), self.check_now)
        sync.finished.connect(self._synced)

    def _synced(self, report: SyncReport) -> None:
        if report.update is not None:
            self.show_offer(report.update)

    def show_offer(self, offer: UpdateOffer) -> None:
        """Tell the user, without interrupting them: the status-bar button."""
        self.offer = offer
        self.notice.setText(self.tr("Update %1 available").replace("%1", offer.version))
        self.notice.setToolTip(
            self.tr("A newer CityPatrol is offered by your server: click to download it")
        )
        self.notice.setVisible(True)

    def show_dialog(self) -> UpdateDialog | None:
        if self.offer is None:
            return None
        if self.dialog is None or self.dialog.offer != self.offer:
            if self.dialog is not None:
                self.dialog.close()
            self.dialog = UpdateDialog(
                self._store, self._ops, self.offer, self._language, self._window
            )
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def check_now(self) -> None:
        """Help → Check for updates: ask the server now (network lane)."""
        from app.sync.updates import check_store_update

        self._ops.run(
            lambda: check_store_update(self._store),
            self._checked,
            lane=Lane.NET,
            key="update-check",
            on_error=self._check_failed,
        )

    def _checked(self, offer: UpdateOffer | None) -> None:
        if offer is None:
            QMessageBox.information(
                self._window,
                self.tr("Check for updates"),
                self.tr("CityPatrol %1 is the newest version your server offers.").replace(
                    "%1", app_version()
                ),
            )
            return
        self.show_offer(offer)
        self.show_dialog()

    def _check_failed(self, exc: BaseException) -> None:
        QMessageBox.warning(
            self._window, self.tr("Check for updates"), error_text(exc, self._language)
        )
