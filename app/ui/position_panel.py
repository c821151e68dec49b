"""The position panel of the case editor: where the problem is, how well that is known, and from where.

It shows the case's position (latitude/longitude, accuracy, source, time) with a warning when
the accuracy is poor, and offers four ways to set it: the receiver's current fix, a photo's
position, typing it in, or a click on a small map — or dragging the marker there (the data
folder's current basemap; on a GCJ-02 basemap the map converts the point back to WGS84 before
it arrives here). It writes nothing itself: the editor receives :attr:`fix_chosen`
and stores the position with ``LocalStore.set_case_position`` (which never lets an automatic
position silently replace a typed or a more accurate one).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.capture.positions import (
    DEFAULT_POOR_ACCURACY_M,
    Fix,
    FixQuality,
    PositionSource,
    is_poor,
)
from app.domain.taxonomy import Taxonomy
from app.domain.validation import CaseFields, validate_case
from app.geo.basemaps import open_registered
from app.ui.map_view import MapView
from app.ui.tasks import TaskRunner

#: How often the panel asks ``current_fix`` for the receiver's position (to enable its button).
POLL_MS = 2000


def format_coordinates(lat: float, lon: float) -> str:
    return f"{lat:.6f}, {lon:.6f}"


def format_accuracy(accuracy_m: float | None) -> str:
    if accuracy_m is None or not math.isfinite(accuracy_m):
        return ""
    return f"±{accuracy_m:.0f} m" if accuracy_m >= 10 else f"±{accuracy_m:.1f} m"


def format_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    local = moment.astimezone()
    if local.date() == datetime.now(UTC).astimezone().date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")


def _shows_poor(fix: Fix, threshold_m: float) -> bool:
    """Poor accuracy deserves a warning; a typed position without an accuracy is vouched for."""
    if fix.source is PositionSource.MANUAL and fix.accuracy_m is None:
        return False
    return is_poor(fix, threshold_m)


class PositionPanel(QWidget):
    """The case's position and the buttons that set it."""

    #: A position the user chose (current, photo or typed); the editor stores it.
    fix_chosen = Signal(object)

    def __init__(
        self,
        language: str,
        *,
        current_fix: Callable[[], Fix | None] | None = None,
        poor_accuracy_m: float = DEFAULT_POOR_ACCURACY_M,
        parent: QWidget | None = None,
        tasks: TaskRunner | None = None,
        data_dir: Path | None = None,
    ) -> None:
        """With ``tasks`` and ``data_dir`` the panel offers a map to pick the position on."""
        super().__init__(parent)
        self._language = language
        self._current_fix_source = current_fix
        self._poor_accuracy_m = poor_accuracy_m
        self._position: Fix | None = None
        self._current: Fix | None = None
        self._photo: Fix | None = None
        self._photo_positions: list[tuple[float, float]] = []
        self._read_only = False
        self.dialog: ManualPositionDialog | None = None

        self.coordinates_label = QLabel()
        self.coordinates_label.setObjectName("position_coordinates")
        self.coordinates_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label = QLabel()
        self.detail_label.setObjectName("position_detail")
        self.detail_label.setWordWrap(True)
        self.warning_label = QLabel()
        self.warning_label.setObjectName("position_warning")
        self.warning_label.setWordWrap(True)
        self.warning_label.hide()
        self.note_label = QLabel()
        self.note_label.setObjectName("position_note")
        self.note_label.setWordWrap(True)
        self.note_label.hide()
        self.error_label = QLabel()
        self.error_label.setObjectName("field_error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        self.current_button = QPushButton(self.tr("Use &current position"))
        self.current_button.setObjectName("use_current_position")
        self.photo_button = QPushButton(self.tr("Use p&hoto position"))
        self.photo_button.setObjectName("use_photo_position")
        self.manual_button = QPushButton(self.tr("&Enter manually…"))
        self.manual_button.setObjectName("enter_position")
        self.gps_label = QLabel()
        self.gps_label.setObjectName("gps_status")
        self.gps_label.setWordWrap(True)

        self.map_button = QPushButton(self.tr("Pick on &map"))
        self.map_button.setObjectName("pick_on_map")
        self.map_button.setCheckable(True)
        self.map_button.setVisible(tasks is not None and data_dir is not None)
        self.picker: MapView | None = None
        self._tasks, self._data_dir = tasks, data_dir

        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        for button in (self.current_button, self.photo_button, self.manual_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.coordinates_label)
        layout.addWidget(self.detail_label)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.note_label)
        layout.addWidget(self.error_label)
        layout.addSpacing(4)
        layout.addLayout(buttons)
        # On a row of its own: four buttons do not fit the editor's position column in English.
        map_row = QHBoxLayout()
        map_row.addWidget(self.map_button)
        map_row.addStretch(1)
        layout.addLayout(map_row)
        layout.addWidget(self.gps_label)
        self._layout = layout

        self.current_button.clicked.connect(self.use_current_position)
        self.photo_button.clicked.connect(self.use_photo_position)
        self.manual_button.clicked.connect(self.enter_manually)
        self.map_button.toggled.connect(self.show_map)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._poll_current)
        if current_fix is not None:
            self._poll.start()
            self._current = current_fix()
        self._refresh()

    # -- slots --------------------------------------------------------------------------

    def set_position(self, fix: Fix | None) -> None:
        """The case's position as stored (None: not set yet)."""
        self._position = fix
        self._refresh()
        if self.picker is not None:
            self.picker.set_markers([(fix.lat, fix.lon)] if fix is not None else [])

    def position(self) -> Fix | None:
        return self._position

    def set_current_fix(self, fix: Fix | None) -> None:
        """The receiver's latest fix (fed from GPS); None when there is none."""
        self._current = fix
        self._refresh()

    def set_photo_fix(self, fix: Fix | None) -> None:
        """The position of the case's best-placed photo, if any photo has one."""
        self._photo = fix
        self._refresh()

    def set_photo_positions(self, positions: list[tuple[float, float]]) -> None:
        """Where the case's photos were taken (drawn on the picking map)."""
        self._photo_positions = positions
        if self.picker is not None:
            self.picker.set_photos(positions)

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self._refresh()

    def set_errors(self, messages: list[str]) -> None:
        """Validation errors of the position fields, shown under the position."""
        self.error_label.setText("\n".join(messages))
        self.error_label.setVisible(bool(messages))

    def show_note(self, text: str) -> None:
        """A remark about the last choice (say, that a more accurate position was kept)."""
        self.note_label.setText(text)
        self.note_label.setVisible(bool(text))

    def use_current_position(self) -> None:
        if self._current_fix_source is not None:
            self._current = self._current_fix_source() or self._current
        if self._current is not None and not self._read_only:
            self.fix_chosen.emit(self._current)
        self._refresh()

    def use_photo_position(self) -> None:
        if self._photo is not None and not self._read_only:
            self.fix_chosen.emit(self._photo)

    def enter_manually(self) -> None:
        """Open the dialog to type a position (non-blocking; its result is emitted)."""
        if self._read_only:
            return
        dialog = ManualPositionDialog(self._language, self._position, self)
        dialog.accepted.connect(lambda: self._typed(dialog))
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    def show_map(self, shown: bool = True) -> None:
        """Show (or hide) the small map where a click sets a manual position."""
        if shown and self.picker is None and self._tasks is not None and self._data_dir:
            # A small map needs few tiles: a smaller cache than the Map tab's.
            self.picker = MapView(
                self._tasks, self._language, self, picking=True, cache_bytes=16 << 20
            )
            self.picker.setObjectName("position_map")
            self.picker.setMinimumHeight(240)
            self.picker.position_picked.connect(self._picked)
            self.picker.set_photos(self._photo_positions)
            self._layout.addWidget(self.picker)
            data_dir = self._data_dir
            self.picker.set_basemap_later(lambda: open_registered(data_dir))
        if self.picker is not None:
            self.picker.setVisible(shown)
            self._show_on_map()
        if self.map_button.isChecked() != shown:
            self.map_button.setChecked(shown)

    def _show_on_map(self) -> None:
        picker, fix = self.picker, self._position
        if picker is None:
            return
        picker.picking = not self._read_only
        picker.set_markers([(fix.lat, fix.lon)] if fix is not None else [])
        if fix is not None:
            picker.center_on(fix.lat, fix.lon, max(picker.view.zoom, 17))
        elif self._current is not None:
            picker.center_on(self._current.lat, self._current.lon, max(picker.view.zoom, 17))

    def _picked(self, lat: float, lon: float) -> None:
        """A click on the map: a manual position (it always wins over automatic ones)."""
        if self._read_only:
            return
        self.fix_chosen.emit(
            Fix(
                lat=round(lat, 7),
                lon=round(lon, 7),
                accuracy_m=None,
                altitude_m=None,
                time=datetime.now(UTC),
                quality=FixQuality.MANUAL,
                source=PositionSource.MANUAL,
                mode=2,
            )
        )

    # -- internals ----------------------------------------------------------------------

    def _typed(self, dialog: ManualPositionDialog) -> None:
        fix = dialog.fix()
        if fix is not None:
            self.fix_chosen.emit(fix)

    def _poll_current(self) -> None:
        if self._current_fix_source is not None:
            self._current = self._current_fix_source()
            self._refresh()

    def _source_name(self, source: PositionSource) -> str:
        return {
            PositionSource.GPS: self.tr("GPS receiver"),
            PositionSource.OS: self.tr("location service"),
            PositionSource.PHOTO: self.tr("photo"),
            PositionSource.MANUAL: self.tr("entered by hand"),
            PositionSource.TRACK: self.tr("patrol track"),
        }[source]

    def _refresh(self) -> None:
        fix = self._position
        if fix is None:
            self.coordinates_label.setText(self.tr("No position yet"))
            self.detail_label.setText(
                self.tr("Use the current position, a photo's position, or enter it by hand.")
            )
            self.warning_label.hide()
        else:
            self.coordinates_label.setText(format_coordinates(fix.lat, fix.lon))
            accuracy = format_accuracy(fix.accuracy_m) or self.tr("accuracy unknown")
            parts = [accuracy, self._source_name(fix.source)]
            if fix.time is not None:
                parts.append(format_time(fix.time))
            self.detail_label.setText(" · ".join(parts))
            poor = _shows_poor(fix, self._poor_accuracy_m)
            if poor and fix.accuracy_m is not None and math.isfinite(fix.accuracy_m):
                self.warning_label.setText(
                    self.tr(
                        "Poor accuracy: %1, worse than %2 m. Check the spot, or enter the position by hand."
                    )
                    .replace("%1", format_accuracy(fix.accuracy_m))
                    .replace("%2", f"{self._poor_accuracy_m:g}")
                )
            elif poor:
                self.warning_label.setText(
                    self.tr(
                        "The accuracy of this position is unknown. Check the spot, or enter the position by hand."
                    )
                )
            self.warning_label.setVisible(poor)
        editable = not self._read_only
        self.current_button.setEnabled(editable and self._current is not None)
        self.photo_button.setEnabled(editable and self._photo is not None)
        self.manual_button.setEnabled(editable)
        self.map_button.setEnabled(editable or self.picker is not None)
        if self.picker is not None:
            self.picker.picking = editable
        self.photo_button.setToolTip(
            self.tr("Position of the photo: %1").replace(
                "%1", format_coordinates(self._photo.lat, self._photo.lon)
            )
            if self._photo is not None
            else self.tr("No photo of this case has a position")
        )
        if self._current is None:
            self.gps_label.setText(self.tr("No current position from GPS."))
        else:
            accuracy = format_accuracy(self._current.accuracy_m) or self.tr("accuracy unknown")
            self.gps_label.setText(
                self.tr("Current position: %1 (%2)")
                .replace("%1", format_coordinates(self._current.lat, self._current.lon))
                .replace("%2", accuracy)
            )
        self.gps_label.setVisible(editable)


@dataclass(frozen=True, slots=True)
class _Parsed:
    lat: float | None
    lon: float | None
    accuracy_m: float | None


class ManualPositionDialog(QDialog):
    """Type a latitude, longitude and (optionally) an accuracy; each error shows by its field."""

    def __init__(self, language: str, initial: Fix | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._language = language
        self._fix: Fix | None = None
        self.setWindowTitle(self.tr("Enter position"))
        self.lat_edit = QLineEdit()
        self.lat_edit.setObjectName("manual_lat")
        self.lat_edit.setPlaceholderText(self.tr("e.g. 32.041234"))
        self.lon_edit = QLineEdit()
        self.lon_edit.setObjectName("manual_lon")
        self.lon_edit.setPlaceholderText(self.tr("e.g. 118.784567"))
        self.accuracy_edit = QLineEdit()
        self.accuracy_edit.setObjectName("manual_accuracy")
        self.accuracy_edit.setPlaceholderText(self.tr("optional"))
        if initial is not None:
            self.lat_edit.setText(f"{initial.lat:.6f}")
            self.lon_edit.setText(f"{initial.lon:.6f}")
            if initial.accuracy_m is not None and math.isfinite(initial.accuracy_m):
                self.accuracy_edit.setText(f"{initial.accuracy_m:g}")
        self.errors: dict[str, QLabel] = {}
        grid = QGridLayout()
        grid.setVerticalSpacing(2)
        rows = (
            ("lat", self.tr("&Latitude (°):"), self.lat_edit),
            ("lon", self.tr("L&ongitude (°):"), self.lon_edit),
            ("accuracy_m", self.tr("&Accuracy (m):"), self.accuracy_edit),
        )
        for row, (name, text, edit) in enumerate(rows):
            label = QLabel(text)
            label.setBuddy(edit)
            error = QLabel()
            error.setObjectName("field_error")
            error.setWordWrap(True)
            error.hide()
            self.errors[name] = error
            grid.addWidget(label, row * 2, 0)
            grid.addWidget(edit, row * 2, 1)
            grid.addWidget(error, row * 2 + 1, 1)
        hint = QLabel(
            self.tr("WGS84 decimal degrees, as a GPS shows them. You may paste “lat, lon”.")
        )
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(hint)
        layout.addWidget(self.buttons)
        self.lat_edit.editingFinished.connect(self._split_pair)
        self.setMinimumWidth(420)

    def fix(self) -> Fix | None:
        """The typed position once the dialog was accepted."""
        return self._fix

    def try_accept(self) -> None:
        parsed, errors = self._parse()
        for name, label in self.errors.items():
            label.setText("\n".join(errors.get(name, [])))
            label.setVisible(name in errors)
        if errors or parsed.lat is None or parsed.lon is None:
            for name, edit in (
                ("lat", self.lat_edit),
                ("lon", self.lon_edit),
                ("accuracy_m", self.accuracy_edit),
            ):
                if name in errors:
                    edit.setFocus(Qt.FocusReason.OtherFocusReason)
                    break
            return
        self._fix = Fix(
            lat=parsed.lat,
            lon=parsed.lon,
            accuracy_m=parsed.accuracy_m,
            altitude_m=None,
            time=datetime.now(UTC),
            quality=FixQuality.MANUAL,
            source=PositionSource.MANUAL,
            mode=2,
        )
        self.accept()

    def _split_pair(self) -> None:
        """``32.04, 118.78`` typed or pasted into the latitude: the pair goes to both fields."""
        text = self.lat_edit.text()
        for separator in (",", "，", " "):
            parts = [p for p in text.split(separator) if p.strip()]
            if len(parts) == 2 and all(_number(p) is not None for p in parts):
                self.lat_edit.setText(parts[0].strip())
                self.lon_edit.setText(parts[1].strip())
                return

    def _parse(self) -> tuple[_Parsed, dict[str, list[str]]]:
        self._split_pair()
        errors: dict[str, list[str]] = {}
        values: dict[str, float | None] = {}
        for name, edit, required in (
            ("lat", self.lat_edit, True),
            ("lon", self.lon_edit, True),
            ("accuracy_m", self.accuracy_edit, False),
        ):
            text = edit.text().strip()
            if not text:
                values[name] = None
                if required:
                    errors.setdefault(name, []).append(self.tr("Required"))
                continue
            number = _number(text)
            if number is None:
                errors.setdefault(name, []).append(self.tr("Enter a number, such as 32.041234"))
            values[name] = number
        parsed = _Parsed(values["lat"], values["lon"], values["accuracy_m"])
        # The domain's range rules, for each number given (a missing one stands in as 0).
        fields = CaseFields(
            lat=0.0 if parsed.lat is None else parsed.lat,
            lon=0.0 if parsed.lon is None else parsed.lon,
            accuracy_m=parsed.accuracy_m,
        )
        for error in validate_case(fields, _NO_TAXONOMY, for_submission=False):
            if error.field in self.errors:
                errors.setdefault(error.field, []).append(error.message.text(self._language))
        return parsed, errors


def _number(text: str) -> float | None:
    try:
        value = float(text.strip().removesuffix("°"))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


#: The position checks of the domain rules need no categories.
_NO_TAXONOMY = Taxonomy([])
