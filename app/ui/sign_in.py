"""Signing in to a server, and the banner shown when the session has expired.

:class:`SignInDialog` asks for the server, user name and password; the sign-in itself
(:func:`app.sync.session.sign_in`: the server, the keyring or credentials file, the account in
the local store) runs in the network lane. The server and the user name are remembered in the
settings; the password never is. After the first sign-in the app works fully offline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QLocale, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import CityPatrolError
from app.storage import LocalStore
from app.storage.store import Account
from app.sync.connection import ConnectionSettings, load_connection
from app.sync.errors import ErrorKind, SyncError
from app.ui.common.style import MUTED
from app.ui.common.widgets import error_label
from app.ui.operations import Lane, Operations
from app.ui.settings import Settings, parse_server_url
from app.ui.tasks import TaskRunner

if TYPE_CHECKING:
    from app.ui.sync_controller import SyncController


class SignInDialog(QDialog):
    """Server URL, user name and password; accept()s once the server has said yes."""

    #: Emitted on success, before the dialog closes: the signed-in :class:`Account`.
    signed_in = Signal(object)

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        language: str | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._tasks = tasks
        self._settings = settings
        self._language = language or QLocale().name()
        self._ops = Operations(self, tasks, self._language)
        self._ops.busy_changed.connect(self._show_busy)
        self._cancelled = False
        self.account: Account | None = None
        self.token_location = ""
        self.setWindowTitle(self.tr("Sign in"))
        self.setMinimumWidth(460)

        heading = QLabel(self.tr("Sign in to the CityPatrol server"))
        font = heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        heading.setFont(font)
        intro = QLabel(
            self.tr(
                "Sign in once with your inspector account; afterwards you can work without a "
                "network. Your password is not stored on this laptop."
            )
        )
        intro.setWordWrap(True)
        intro.setStyleSheet(MUTED)

        self.server_url = QLineEdit(settings.server_url)
        self.server_url.setPlaceholderText("https://citypatrol.example.gov.cn")
        self.user = QLineEdit(settings.last_user)
        self.user.setPlaceholderText(self.tr("User name"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(self.tr("Password"))
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow(self.tr("Server:"), self.server_url)
        form.addRow(self.tr("User name:"), self.user)
        form.addRow(self.tr("Password:"), self.password)
        # How to reach the server safely (app.sync.connection, kept in the data folder): a city
        # running its own certificate authority gives its CA file; plain HTTP to another
        # computer must be allowed on purpose.
        connection = load_connection(store.data_dir)
        self.ca_bundle = QLineEdit(connection.ca_bundle or "")
        self.ca_bundle.setPlaceholderText(self.tr("The system's certificates"))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse_ca_bundle)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_bundle, 1)
        ca_row.addWidget(browse)
        form.addRow(self.tr("CA certificate:"), ca_row)
        self.allow_insecure_http = QCheckBox(
            self.tr("Allow unencrypted HTTP to other computers (not recommended)")
        )
        self.allow_insecure_http.setChecked(connection.allow_insecure_http)
        form.addRow("", self.allow_insecure_http)

        self.error_label = error_label()
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label = QLabel()
        self.status_label.hide()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.sign_in_button = QPushButton(self.tr("Sign in"))
        self.sign_in_button.setDefault(True)
        self.buttons.addButton(self.sign_in_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(heading)
        layout.addWidget(intro)
        layout.addSpacing(4)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.status_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        for field in (self.server_url, self.user, self.password):
            field.textEdited.connect(lambda _text: self.error_label.hide())
        self._focus_first_empty()
        if not settings.server_url:
            self._ops.run(store.account, self._prefill)

    def _browse_ca_bundle(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self,
            self.tr("Certificate authority file"),
            self.ca_bundle.text(),
            self.tr("Certificates (*.pem *.crt *.cer);;All files (*)"),
        )
        if path:
            self.ca_bundle.setText(path)

    def connection(self) -> ConnectionSettings:
        """The connection settings as entered (kept by the sign-in when it succeeds)."""
        return ConnectionSettings(
            ca_bundle=self.ca_bundle.text().strip() or None,
            allow_insecure_http=self.allow_insecure_http.isChecked(),
        )

    @property
    def busy(self) -> bool:
        """Whether a sign-in is under way."""
        return self._ops.busy

    def _prefill(self, account: Account | None) -> None:
        """No server in the settings: offer the one this laptop was signed in to."""
        if account is None:
            return
        if not self.server_url.text():
            self.server_url.setText(account.server_url)
        if not self.user.text():
            self.user.setText(account.username)
        self._focus_first_empty()

    def _focus_first_empty(self) -> None:
        for field in (self.server_url, self.user, self.password):
            if not field.text():
                field.setFocus()
                return
        self.password.setFocus()

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()

    def _show_busy(self, busy: bool) -> None:
        for field in (self.server_url, self.user, self.password, self.sign_in_button):
            field.setEnabled(not busy)
        self.status_label.setText(self.tr("Signing in…"))
        self.status_label.setVisible(busy)

    @Slot()
    def submit(self) -> None:
        """Check the fields, then sign in in the network lane."""
        if self.busy:
            return
        url = parse_server_url(self.server_url.text())
        user = self.user.text().strip()
        password = self.password.text()
        if url is None:
            self.show_error(
                self.tr(
                    "Enter the server address as http://host or https://host, with an "
                    "optional :port — for example https://citypatrol.example.gov.cn:8443"
                )
            )
            self.server_url.setFocus()
            return
        if not user or not password:
            self.show_error(self.tr("Enter your user name and password."))
            (self.user if not user else self.password).setFocus()
            return
        self.error_label.hide()
        self._cancelled = False
        store, settings, connection = self._store, self._settings, self.connection()

        def remember(_result: tuple[Account, str]) -> None:
            # The laptop is signed in now, whatever became of the dialog.
            settings.server_url = url
            settings.last_user = user
            settings.sync()

        from app.sync.session import sign_in  # httpx and keyring: when signing in (start-up)

        self._ops.run(
            lambda: sign_in(store, url, user, password, connection),
            self._done,
            lane=Lane.NET,
            on_error=self._failed,
            busy=True,
            always=remember,
        )

    def _done(self, result: tuple[Account, str]) -> None:
        account, where = result
        self.account, self.token_location = account, where
        self.password.clear()
        self.signed_in.emit(account)  # even after Cancel: the laptop is signed in now
        if not self._cancelled:
            self.accept()

    def _failed(self, exc: BaseException) -> None:
        if self._cancelled:
            return
        self.show_error(self.explain(exc))
        if isinstance(exc, SyncError) and exc.kind is ErrorKind.AUTH:
            self.password.selectAll()
            self.password.setFocus()

    def explain(self, exc: BaseException) -> str:
        """A failed sign-in in words, with what to do."""
        if isinstance(exc, SyncError):
            if exc.kind is ErrorKind.AUTH:
                return self.tr("Wrong user name or password. Check them and try again.")
            if exc.code == "unreachable":
                return self.tr(
                    "Cannot reach the server at %1. Check the address and your network "
                    "connection, then try again."
                ).replace("%1", self.server_url.text().strip())
            if "(429)" in exc.message.en:  # the server slows down repeated wrong passwords
                return self.tr("Too many failed attempts. Wait a few minutes, then try again.")
            if exc.kind is ErrorKind.RETRYABLE:
                return self.tr("The server has a problem right now. Try again in a moment.")
            return exc.text(self._language)
        if isinstance(exc, CityPatrolError):
            return exc.text(self._language)
        return self.tr("Sign-in failed: %1").replace("%1", str(exc))

    def reject(self) -> None:
        self._cancelled = self.busy  # a late answer must not reopen or accept the dialog
        super().reject()


class SessionBanner(QFrame):
    """ "Your session has expired — sign in again to sync", shown on ``session_expired``."""

    #: The banner's "Sign in" button was clicked: open a :class:`SignInDialog`.
    sign_in_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SessionBanner")
        self.setStyleSheet(
            "#SessionBanner { background: #fff4ce; border-bottom: 1px solid #e6c96a; }"
            "#SessionBanner QLabel { color: #4a3800; }"
        )
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        icon = QLabel()
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(20, 20)
        )
        self.message = QLabel(
            self.tr(
                "Your session has expired — sign in again to sync. "
                "Your work is kept on this laptop."
            )
        )
        self.message.setWordWrap(True)
        self.sign_in_button = QPushButton(self.tr("Sign in…"))
        self.sign_in_button.clicked.connect(self.sign_in_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.addWidget(icon)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.sign_in_button)
        self.hide()

    def bind(self, controller: SyncController) -> None:
        """Show on ``session_expired``; hide once a cycle gets past the session check."""
        controller.session_expired.connect(self.show)
        controller.finished.connect(self._on_finished)

    def _on_finished(self, report: object) -> None:
        error = getattr(report, "error", None)
        if error is None or getattr(error, "kind", None) is not ErrorKind.AUTH:
            self.hide()
