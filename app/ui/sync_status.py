"""The sync part of the status bar: online or not, what is waiting, the last sync, progress.

:class:`SyncStatusWidget` only displays; :meth:`SyncStatusWidget.bind` connects it to a
:class:`~app.ui.sync_controller.SyncController`, which does the work. A failed cycle is
explained in the user's words (the report's own lines) with what to do about it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QLocale, QSize, Qt, Signal, Slot
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QStyle,
    QToolButton,
    QWidget,
)

from app.storage.ledger import DeliverySummary
from app.sync.errors import ErrorKind
from app.ui.common.style import (
    CONFIRMED_COLOUR,
    ERROR_COLOUR,
    NEUTRAL_COLOUR,
    WARNING_COLOUR,
    dot_pixmap,
)

if TYPE_CHECKING:
    from app.sync.engine import Progress, SyncReport
    from app.ui.sync_controller import SyncController

ONLINE_COLOUR = CONFIRMED_COLOUR
OFFLINE_COLOUR = NEUTRAL_COLOUR
UNKNOWN_COLOUR = "#c8c8c8"
PROBLEM_WIDTH = 480  # the problem line is elided beyond this (the whole text is in the tooltip)
PERMILLE = 1000


def _separator() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.VLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    line.setFixedHeight(16)
    return line


def _megabytes(n: int) -> str:
    return f"{n / 1e6:.1f}"


class SyncStatusWidget(QWidget):
    """Online/offline, pending items, last sync, progress, "Sync now" — for the status bar."""

    #: The "Sync now" button was clicked (``bind`` connects it to the controller).
    sync_requested = Signal()

    def __init__(self, language: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._language = language or QLocale().name()
        self.online: bool | None = None
        self.summary: DeliverySummary | None = None
        self.last_sync: datetime | None = None
        self.last_progress: Progress | None = None
        self.report: SyncReport | None = None
        self.problem_lines: list[str] = []
        self._problem_text = ""

        self.online_icon = QLabel()
        self.online_label = QLabel()
        self.pending_label = QLabel()
        self.last_sync_label = QLabel()
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, PERMILLE)
        self.progress_bar.setTextVisible(True)
        self.progress_bar.setFixedWidth(250)
        self.progress_bar.setMaximumHeight(18)
        self.progress_bar.hide()
        self.problem_label = QLabel()
        self.problem_label.setTextFormat(Qt.TextFormat.PlainText)
        self.problem_label.hide()
        self.details_button = QToolButton()
        self.details_button.setText(self.tr("Details…"))
        self.details_button.setAutoRaise(True)
        self.details_button.clicked.connect(self.show_details)
        self.details_button.hide()
        self.sync_button = QToolButton()
        self.sync_button.setText(self.tr("Sync now"))
        self.sync_button.setToolTip(self.tr("Send your work to the server and fetch updates now"))
        self.sync_button.setIcon(self._icon(QStyle.StandardPixmap.SP_BrowserReload))
        self.sync_button.setIconSize(QSize(14, 14))
        self.sync_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.sync_button.clicked.connect(self.sync_requested)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(6)
        layout.addWidget(self.online_icon)
        layout.addWidget(self.online_label)
        layout.addSpacing(4)
        layout.addWidget(_separator())
        layout.addWidget(self.pending_label)
        layout.addWidget(_separator())
        layout.addWidget(self.last_sync_label)
        layout.addWidget(self.progress_bar)
        layout.addSpacing(4)
        layout.addWidget(self.problem_label)
        layout.addWidget(self.details_button)
        layout.addWidget(self.sync_button)
        layout.addStretch(1)  # wider than needed (outside a status bar): keep it together

        self.set_online(None)
        self.set_summary(None, None)

    def _icon(self, which: QStyle.StandardPixmap) -> QIcon:
        return self.style().standardIcon(which)

    # -- wiring -------------------------------------------------------------------------------

    def bind(self, controller: SyncController) -> None:
        """Show what ``controller`` does; the button asks it to sync now."""
        controller.online_changed.connect(self.set_online)
        controller.summary_changed.connect(self.set_summary)
        controller.started.connect(self.on_started)
        controller.progress.connect(self.on_progress)
        controller.finished.connect(self.on_finished)
        self.sync_requested.connect(controller.sync_now)
        self.set_online(controller.online)
        if controller.summary is not None:
            self.set_summary(controller.summary, controller.last_sync)
        if controller.running:
            self.on_started()

    # -- slots --------------------------------------------------------------------------------

    @Slot(object)
    def set_online(self, online: bool | None) -> None:
        self.online = online
        if online is None:
            colour, text = UNKNOWN_COLOUR, self.tr("Connecting…")
            tip = self.tr("Checking whether the server can be reached")
        elif online:
            colour, text = ONLINE_COLOUR, self.tr("Online")
            tip = self.tr("The server can be reached: your work is sent automatically")
        else:
            colour, text = OFFLINE_COLOUR, self.tr("Offline")
            tip = self.tr(
                "Working offline: everything is saved on this laptop and is sent "
                "automatically when the server can be reached again"
            )
        self.online_icon.setPixmap(dot_pixmap(colour, 10, hidpi=True))
        self.online_label.setText(text)
        for widget in (self.online_icon, self.online_label):
            widget.setToolTip(tip)

    @Slot(object, object)
    def set_summary(self, summary: DeliverySummary | None, last_sync: datetime | None) -> None:
        self.summary, self.last_sync = summary, last_sync
        self.pending_label.setText(self.pending_text(summary))
        if summary is not None and summary.pending_photos:
            self.pending_label.setToolTip(
                self.tr("Photos waiting: %1 MB").replace(
                    "%1", _megabytes(summary.pending_photo_bytes)
                )
            )
        else:
            self.pending_label.setToolTip("")
        attention = self._attention(summary)
        self.pending_label.setStyleSheet(f"color: {WARNING_COLOUR};" if attention else "")
        if last_sync is None:
            self.last_sync_label.setText(self.tr("Never synced"))
            self.last_sync_label.setToolTip("")
        else:
            local = last_sync.astimezone()
            self.last_sync_label.setText(self.tr("Last sync %1").replace("%1", _when(local)))
            self.last_sync_label.setToolTip(local.strftime("%Y-%m-%d %H:%M:%S"))

    @staticmethod
    def _attention(summary: DeliverySummary | None) -> int:
        if summary is None:
            return 0
        return summary.failed_changes + summary.failed_photos + summary.conflicts

    def pending_text(self, summary: DeliverySummary | None) -> str:
        """ "3 changes, 2 photos waiting", "All delivered", plus what needs attention."""
        if summary is None:
            return "…"
        changes = self.tr("%n change(s)", "", summary.pending_changes)
        photos = self.tr("%n photo(s)", "", summary.pending_photos)
        if summary.pending_changes and summary.pending_photos:
            text = self.tr("%1, %2 waiting").replace("%1", changes).replace("%2", photos)
        elif summary.pending_changes:
            text = self.tr("%1 waiting").replace("%1", changes)
        elif summary.pending_photos:
            text = self.tr("%1 waiting").replace("%1", photos)
        else:
            text = self.tr("All delivered")
        attention = self._attention(summary)
        if attention:
            text += " · " + self.tr("%n need(s) attention", "", attention)
        return text

    @Slot()
    def on_started(self) -> None:
        self.last_progress = None
        self.sync_button.setEnabled(False)
        self.sync_button.setText(self.tr("Syncing…"))
        self.progress_bar.setRange(0, 0)  # busy until the first report
        self.progress_bar.setFormat(self.tr("Connecting…"))
        self.progress_bar.show()
        self.last_sync_label.hide()

    @Slot(object)
    def on_progress(self, progress: Progress) -> None:
        self.last_progress = progress
        bar = self.progress_bar
        if progress.phase == "photos":
            current = min(progress.items_done + 1, progress.items_total)
            bar.setRange(0, PERMILLE)
            bar.setValue(_permille(progress.bytes_done, progress.bytes_total))
            bar.setFormat(
                self.tr("Photo %1/%2 · %3/%4 MB")
                .replace("%1", str(current))
                .replace("%2", str(progress.items_total))
                .replace("%3", _megabytes(progress.bytes_done))
                .replace("%4", _megabytes(progress.bytes_total))
            )
            if progress.current:
                bar.setToolTip(progress.current)
        elif progress.phase == "basemaps":  # app.sync.basemaps: a basemap from the server
            bar.setRange(0, PERMILLE)
            bar.setValue(_permille(progress.bytes_done, progress.bytes_total))
            bar.setFormat(
                self.tr("Basemap %1 · %2/%3 MB")
                .replace("%1", progress.current or "")
                .replace("%2", _megabytes(progress.bytes_done))
                .replace("%3", _megabytes(progress.bytes_total))
            )
        elif progress.phase == "push":
            bar.setRange(0, PERMILLE)
            bar.setValue(_permille(progress.items_done, progress.items_total))
            bar.setFormat(
                self.tr("Sending changes %1/%2")
                .replace("%1", str(progress.items_done))
                .replace("%2", str(progress.items_total))
            )
        else:
            bar.setRange(0, 0)
            bar.setFormat(self.tr("Receiving updates…"))

    @Slot(object)
    def on_finished(self, report: SyncReport) -> None:
        self.report = report
        self.progress_bar.hide()
        self.progress_bar.setToolTip("")
        self.last_sync_label.show()
        self.sync_button.setEnabled(True)
        self.sync_button.setText(self.tr("Sync now"))
        if report.left is not None:
            self.set_summary(report.left, self.last_sync)
        self._show_problem(report)

    # -- failures in words --------------------------------------------------------------------

    def advice(self, report: SyncReport) -> tuple[str, str, bool]:
        """For a report that is not ok: what happened (briefly), what to do, and whether it is
        serious (shown in red) or will sort itself out (amber). The report's own lines give
        the whole story (tooltip and "Details…")."""
        error = report.error
        left = report.left
        if error is not None:
            if error.code == "not_signed_in":
                return self.tr("Not signed in"), self.tr("Sign in to a server to sync."), True
            if error.kind is ErrorKind.AUTH:
                return self.tr("Session expired"), self.tr("Sign in again."), True
            if error.code == "unreachable":
                return (
                    self.tr("Cannot reach the server"),
                    self.tr("Will retry automatically."),
                    False,
                )
            if error.kind is ErrorKind.RETRYABLE:
                return self.tr("Sync interrupted"), self.tr("Will retry automatically."), False
            return (
                self.tr("The server refused a request"),
                self.tr("Open the case to see why."),
                True,
            )
        if left is not None and (left.failed_changes or left.failed_photos):
            return (
                self.tr("The server refused some changes"),
                self.tr("Open the case to see why."),
                True,
            )
        if left is not None and left.conflicts:
            return (
                self.tr("Some edits conflict with the office's decisions"),
                self.tr("Open the case to see why."),
                True,
            )
        if report.photos_held_back:
            return (
                self.tr("Photos held back on a metered connection"),
                self.tr("Change this in Settings."),
                False,
            )
        return self.tr("Sync did not finish"), self.tr("Will retry automatically."), False

    def _show_problem(self, report: SyncReport) -> None:
        if report.ok:
            self.problem_lines = []
            self._problem_text = ""
            self.problem_label.hide()
            self.details_button.hide()
            return
        lines = report.lines(self._language)
        what, hint, serious = self.advice(report)
        self.problem_lines = [*lines[1:], hint]
        self._problem_text = f"{what} — {hint}"
        colour = ERROR_COLOUR if serious else WARNING_COLOUR
        self.problem_label.setStyleSheet(f"color: {colour};")
        metrics = self.problem_label.fontMetrics()
        self.problem_label.setText(
            metrics.elidedText(self._problem_text, Qt.TextElideMode.ElideRight, PROBLEM_WIDTH)
        )
        self.problem_label.setToolTip("\n".join([*lines, hint]))
        self.details_button.setToolTip(self.problem_label.toolTip())
        self.problem_label.show()
        self.details_button.show()

    @property
    def problem_text(self) -> str:
        """The whole problem line (the label may be elided)."""
        return self._problem_text

    @Slot()
    def show_details(self) -> None:
        if self.report is None:
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Sync"))
        box.setText(self._problem_text)
        box.setInformativeText("\n".join(self.report.lines(self._language)))
        box.setStandardButtons(QMessageBox.StandardButton.Close)
        box.open()


def _permille(done: int, total: int) -> int:
    if total <= 0:
        return PERMILLE
    return max(0, min(PERMILLE, round(PERMILLE * done / total)))


def _when(local: datetime) -> str:
    """``14:32`` today, ``03-05 14:32`` this year, else the full date."""
    now = datetime.now(local.tzinfo)
    if local.date() == now.date():
        return local.strftime("%H:%M")
    if local.year == now.year:
        return local.strftime("%m-%d %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")
