"""The user's settings: a small typed wrapper over QSettings, and the dialog that edits them.

:class:`Settings` takes the :class:`QSettings` to use, so tests (and a portable install) can
keep them in an ini file instead of the user's real settings. Nothing secret is kept here: the
session token lives in the OS keyring or the credentials file (``app.sync.credentials``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.capture.positions import DEFAULT_POOR_ACCURACY_M
from app.config import default_data_dir, system_language
from app.ui.common.style import MUTED, WARNING_COLOUR
from app.ui.common.widgets import error_label

if TYPE_CHECKING:
    # Pillow comes with it: imported when the photo setting is used, not with the window.
    from app.capture.photos import UploadSizePolicy
    from app.sync.engine import Originals  # httpx comes with it: imported when used

ORGANISATION = APPLICATION = "CityPatrol"
LANGUAGES = ("", "zh_CN", "en")  # "" = the system's language


def parse_server_url(text: str) -> str | None:
    """``http(s)://host[:port]`` normalised (no trailing slash), or None when it is not one."""
    text = text.strip()
    try:
        parts = urlsplit(text)
        port = parts.port  # raises for a port out of range or not a number
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.username or parts.password or parts.query or parts.fragment:
        return None
    if parts.path not in ("", "/") or " " in text:
        return None
    host = parts.hostname
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


class Settings:
    """The app's settings, typed. ``qsettings`` defaults to the user's (CityPatrol/CityPatrol)."""

    def __init__(self, qsettings: QSettings | None = None) -> None:
        self.qsettings = qsettings or QSettings(ORGANISATION, APPLICATION)

    @classmethod
    def from_file(cls, path: Path) -> Settings:
        """Settings kept in an ini file (tests, a portable install)."""
        return cls(QSettings(str(path), QSettings.Format.IniFormat))

    def _str(self, key: str, default: str = "") -> str:
        value = self.qsettings.value(key, default)
        return str(value) if value is not None else default

    def _set(self, key: str, value: object) -> None:
        self.qsettings.setValue(key, value)

    def sync(self) -> None:
        """Write pending changes to disk now."""
        self.qsettings.sync()

    # -- server ---------------------------------------------------------------------------

    @property
    def server_url(self) -> str:
        return self._str("sync/server_url")

    @server_url.setter
    def server_url(self, value: str) -> None:
        self._set("sync/server_url", value.strip().rstrip("/"))

    @property
    def last_user(self) -> str:
        """The user name last signed in with (the sign-in dialog fills it in)."""
        return self._str("sync/last_user")

    @last_user.setter
    def last_user(self, value: str) -> None:
        self._set("sync/last_user", value.strip())

    # -- photos and positions -------------------------------------------------------------

    @property
    def upload_policy(self) -> UploadSizePolicy:
        from app.capture.photos import UploadSizePolicy

        try:
            return UploadSizePolicy(self._str("photos/upload_policy", UploadSizePolicy.ORIGINAL))
        except ValueError:
            return UploadSizePolicy.ORIGINAL

    @upload_policy.setter
    def upload_policy(self, value: UploadSizePolicy) -> None:
        from app.capture.photos import UploadSizePolicy

        self._set("photos/upload_policy", UploadSizePolicy(value).value)

    @property
    def hold_photos_on_metered(self) -> bool:
        value = self.qsettings.value("photos/hold_on_metered", True)
        if isinstance(value, str):  # ini files give text back
            return value.strip().lower() not in ("false", "0", "no", "off")
        return bool(value)

    @hold_photos_on_metered.setter
    def hold_photos_on_metered(self, value: bool) -> None:
        self._set("photos/hold_on_metered", bool(value))

    @property
    def originals(self) -> Originals:
        """Which photos of others' cases the sync downloads whole (thumbnails always come)."""
        from app.sync.engine import Originals

        try:
            return Originals(self._str("photos/originals", Originals.OPEN_CASES))
        except ValueError:
            return Originals.OPEN_CASES

    @originals.setter
    def originals(self, value: Originals) -> None:
        from app.sync.engine import Originals

        self._set("photos/originals", Originals(value).value)

    @property
    def poor_accuracy_m(self) -> float:
        try:
            value = float(self._str("positions/poor_accuracy_m", str(DEFAULT_POOR_ACCURACY_M)))
        except ValueError:
            return DEFAULT_POOR_ACCURACY_M
        return value if value > 0 else DEFAULT_POOR_ACCURACY_M

    @poor_accuracy_m.setter
    def poor_accuracy_m(self, value: float) -> None:
        self._set("positions/poor_accuracy_m", float(value))

    # -- GPS receiver ---------------------------------------------------------------------

    @property
    def gps_port(self) -> str:
        """The receiver's serial port (``/dev/ttyUSB0``, ``COM3``), or "" for none."""
        return self._str("gps/port")

    @gps_port.setter
    def gps_port(self, value: str) -> None:
        self._set("gps/port", value.strip())

    @property
    def gps_baudrate(self) -> int:
        try:
            value = int(self._str("gps/baudrate", "4800"))
        except ValueError:
            return 4800
        return value if value in (4800, 9600, 19200, 38400, 57600, 115200) else 4800

    @gps_baudrate.setter
    def gps_baudrate(self, value: int) -> None:
        self._set("gps/baudrate", int(value))

    @property
    def gps_replay_file(self) -> str:
        """An NMEA log replayed as if it were the receiver (training, demos), or ""."""
        return self._str("gps/replay_file")

    @gps_replay_file.setter
    def gps_replay_file(self, value: str) -> None:
        self._set("gps/replay_file", value.strip())

    # -- language and data folder (read at start-up) ---------------------------------------

    @property
    def language(self) -> str:
        """``zh_CN``, ``en``, or "" for the system's language."""
        value = self._str("ui/language")
        return value if value in LANGUAGES else ""

    @language.setter
    def language(self, value: str) -> None:
        if value not in LANGUAGES:
            raise ValueError(f"unknown language {value!r}")
        self._set("ui/language", value)

    def effective_language(self) -> str:
        return self.language or system_language()

    @property
    def data_dir(self) -> str:
        """The data folder chosen by the user, or "" for the default one."""
        return self._str("storage/data_dir")

    @data_dir.setter
    def data_dir(self, value: str) -> None:
        self._set("storage/data_dir", value.strip())

    def effective_data_dir(self) -> Path:
        return Path(self.data_dir) if self.data_dir else default_data_dir()


def check_data_dir(text: str) -> bool:
    """Whether ``text`` can be a data folder: empty (the default) or an absolute folder path."""
    text = text.strip()
    if not text:
        return True
    path = Path(text).expanduser()
    if not path.is_absolute():
        return False
    return path.is_dir() or not path.exists()


class SettingsDialog(QDialog):
    """Edits :class:`Settings`; OK saves them only when every field is valid."""

    def __init__(
        self,
        settings: Settings,
        parent: QWidget | None = None,
        *,
        basemaps: QWidget | None = None,
    ) -> None:
        """``basemaps``: the data folder's basemap list (app.ui.basemap_settings), shown
        under the positions when given; its changes apply at once, not on OK."""
        super().__init__(parent)
        self.settings = settings
        self.basemaps = basemaps
        self.setWindowTitle(self.tr("Settings"))
        self.setMinimumWidth(560)
        self._initial_language = settings.language
        self._initial_data_dir = settings.data_dir

        # Server
        self.server_url = QLineEdit(settings.server_url)
        self.server_url.setPlaceholderText("https://citypatrol.example.gov.cn")
        self.server_url.setClearButtonEnabled(True)
        self.server_error = error_label()
        server_box = QGroupBox(self.tr("Server"))
        server_form = _form(server_box)
        server_form.addRow(self.tr("Server address:"), self.server_url)
        server_form.addRow("", self.server_error)

        # Photos
        from app.capture.photos import UploadSizePolicy

        self.upload_policy = QComboBox()
        for policy, text in (
            (UploadSizePolicy.ORIGINAL, self.tr("Original size (best evidence, largest)")),
            (UploadSizePolicy.LONG_EDGE_2560, self.tr("Long edge 2560 px")),
            (UploadSizePolicy.LONG_EDGE_1600, self.tr("Long edge 1600 px (smallest)")),
        ):
            self.upload_policy.addItem(text, policy.value)
        self.upload_policy.setCurrentIndex(
            self.upload_policy.findData(settings.upload_policy.value)
        )
        self.hold_photos = QCheckBox(
            self.tr("Hold photos back on metered connections (case records still go)")
        )
        self.hold_photos.setChecked(settings.hold_photos_on_metered)
        from app.sync.engine import Originals

        self.originals = QComboBox()
        for originals, text in (
            (Originals.OPEN_CASES, self.tr("Of open cases (thumbnails of the others)")),
            (Originals.ALL, self.tr("All (every original of every case)")),
            (Originals.ON_DEMAND, self.tr("Only when opened (thumbnails first)")),
        ):
            self.originals.addItem(text, originals.value)
        self.originals.setCurrentIndex(self.originals.findData(settings.originals.value))
        self.originals.setToolTip(
            self.tr("Which photos of others' cases the sync downloads in full")
        )
        photo_box = QGroupBox(self.tr("Photos"))
        photo_form = _form(photo_box)
        photo_form.addRow(self.tr("Upload size:"), self.upload_policy)
        photo_form.addRow("", self.hold_photos)
        photo_form.addRow(self.tr("Download originals:"), self.originals)

        # Positions
        self.poor_accuracy = QDoubleSpinBox()
        self.poor_accuracy.setRange(1.0, 1000.0)
        self.poor_accuracy.setDecimals(0)
        self.poor_accuracy.setSingleStep(5.0)
        self.poor_accuracy.setSuffix(self.tr(" m"))
        self.poor_accuracy.setValue(settings.poor_accuracy_m)
        self.poor_accuracy.setFixedWidth(110)
        accuracy_hint = QLabel(self.tr("Positions less accurate than this get a warning."))
        accuracy_hint.setStyleSheet(MUTED)
        accuracy_row = QHBoxLayout()
        accuracy_row.setContentsMargins(0, 0, 0, 0)
        accuracy_row.addWidget(self.poor_accuracy)
        accuracy_row.addWidget(accuracy_hint, 1)
        accuracy = QWidget()
        accuracy.setLayout(accuracy_row)
        position_box = QGroupBox(self.tr("Positions"))
        position_form = _form(position_box)
        position_form.addRow(self.tr("Poor accuracy:"), accuracy)

        # Language and data folder
        self.language = QComboBox()
        system = "中文（简体）" if system_language().startswith("zh") else "English"
        self.language.addItem(self.tr("System default (%1)").replace("%1", system), "")
        self.language.addItem("中文（简体）", "zh_CN")  # each language in its own words
        self.language.addItem("English", "en")
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        self.data_dir = QLineEdit(settings.data_dir)
        self.data_dir.setPlaceholderText(str(default_data_dir()))
        self.data_dir.setClearButtonEnabled(True)
        self.data_dir.setToolTip(self.tr("Leave empty to use the default folder."))
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.setContentsMargins(0, 0, 0, 0)
        folder_row.addWidget(self.data_dir, 1)
        folder_row.addWidget(browse)
        folder = QWidget()
        folder.setLayout(folder_row)
        self.data_dir_error = error_label()
        general_box = QGroupBox(self.tr("Language and data"))
        general_form = _form(general_box)
        general_form.addRow(self.tr("Language:"), self.language)
        general_form.addRow(self.tr("Data folder:"), folder)
        general_form.addRow("", self.data_dir_error)

        _align_labels(server_form, photo_form, position_form, general_form)

        self.restart_note = QLabel(
            self.tr("Language and data folder changes take effect after restart.")
        )
        self.restart_note.setWordWrap(True)
        self.restart_note.setStyleSheet(f"color: {WARNING_COLOUR};")
        self.restart_note.setVisible(False)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        for box in (server_box, photo_box, position_box, basemaps, general_box):
            if box is not None:
                layout.addWidget(box)
        layout.addWidget(self.restart_note)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self.server_url.textChanged.connect(lambda _text: self.server_error.hide())
        self.data_dir.textChanged.connect(lambda _text: self.data_dir_error.hide())
        self.language.currentIndexChanged.connect(self._update_restart_note)
        self.data_dir.textChanged.connect(self._update_restart_note)

    @property
    def restart_needed(self) -> bool:
        """Whether the edits include something read only at start-up."""
        return (
            self.language.currentData() != self._initial_language
            or self.data_dir.text().strip() != self._initial_data_dir
        )

    def _update_restart_note(self) -> None:
        self.restart_note.setVisible(self.restart_needed)

    def _browse(self) -> None:
        start = self.data_dir.text().strip() or str(default_data_dir().parent)
        chosen = QFileDialog.getExistingDirectory(self, self.tr("Choose the data folder"), start)
        if chosen:
            self.data_dir.setText(chosen)

    def validate(self) -> bool:
        """Check every field, show what is wrong next to it; True when all are valid."""
        ok = True
        url = self.server_url.text().strip()
        if url and parse_server_url(url) is None:
            self.server_error.setText(
                self.tr(
                    "Enter the server address as http://host or https://host, with an "
                    "optional :port — for example https://citypatrol.example.gov.cn:8443"
                )
            )
            self.server_error.show()
            self.server_url.setFocus()
            ok = False
        if not check_data_dir(self.data_dir.text()):
            self.data_dir_error.setText(
                self.tr("Choose a folder by its full path (or leave empty for the default).")
            )
            self.data_dir_error.show()
            if ok:
                self.data_dir.setFocus()
            ok = False
        return ok

    def save(self) -> None:
        from app.capture.photos import UploadSizePolicy

        settings = self.settings
        url = self.server_url.text().strip()
        settings.server_url = (parse_server_url(url) or "") if url else ""
        settings.upload_policy = UploadSizePolicy(self.upload_policy.currentData())
        settings.hold_photos_on_metered = self.hold_photos.isChecked()
        from app.sync.engine import Originals

        settings.originals = Originals(self.originals.currentData())
        settings.poor_accuracy_m = self.poor_accuracy.value()
        settings.language = str(self.language.currentData())
        settings.data_dir = self.data_dir.text().strip()
        settings.sync()

    def accept(self) -> None:
        if not self.validate():
            return
        self.save()
        super().accept()


def _form(box: QGroupBox) -> QFormLayout:
    form = QFormLayout(box)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return form


def _align_labels(*forms: QFormLayout) -> None:
    """One label column across the group boxes, so the fields line up."""
    labels: list[QWidget] = []
    for form in forms:
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            widget = item.widget() if item is not None else None
            if widget is not None:
                labels.append(widget)
    width = max((label.sizeHint().width() for label in labels), default=0)
    for label in labels:
        label.setMinimumWidth(width)
