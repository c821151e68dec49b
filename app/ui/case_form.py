"""The case editor's fields: the chosen category, description, urgency, address and grid cell,
each with its error label, and the style sheet the whole editor wears.

Part of the case editor (:mod:`app.ui.case_editor`): its strings stay in the ``CaseEditor``
translation context (hence ``QCoreApplication.translate("CaseEditor", …)`` instead of ``tr``),
so the split changed no translation.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import FieldError
from app.domain.taxonomy import Taxonomy
from app.domain.validation import ADDRESS_MAX, DESCRIPTION_MAX, GRID_CODE_LENGTH, Urgency
from app.ui.category_picker import category_label
from app.ui.common.style import ERROR_COLOUR

#: Fields whose errors the position panel shows.
POSITION_FIELDS = frozenset({"position", "lat", "lon", "accuracy_m"})

STYLE = """
QLabel#editor_title { font-size: 17px; font-weight: 600; }
QLabel#status_chip { background: #e7eefc; color: #1e4fb8; border-radius: 9px; padding: 2px 10px; }
QLabel#status_chip[locked="true"] { background: #eceff3; color: #4a5361; }
QLabel#save_state { color: #5b6472; }
QLabel#section_title { font-weight: 600; color: #253041; }
QLabel#field_label { font-weight: 600; color: #253041; }
QLabel#hint, QLabel#position_detail, QLabel#gps_status, QLabel#position_note { color: #5b6472; }
QLabel#counter { color: #5b6472; }
QLabel#category_value { font-size: 14px; font-weight: 600; }
QLabel#category_value[empty="true"] { font-weight: normal; color: #7a8392; }
QLabel#position_coordinates { font-size: 15px; font-weight: 600; }
QLabel#position_warning { background: #fff4e5; border: 1px solid #f0b35b; border-radius: 4px;
    padding: 6px 8px; color: #6b4100; }
QLabel#banner { border-radius: 4px; padding: 6px 10px; }
QLabel#banner[kind="info"] { background: #eaf1fd; border: 1px solid #c4d6f6; color: #1d3a6e; }
QLabel#banner[kind="error"] { background: #fdecea; border: 1px solid #f4c1bc; color: #8a1c13; }
QLabel#banner[kind="done"] { background: #e8f5ec; border: 1px solid #b9dfc4; color: #1e5631; }
QFrame#duplicates { background: #fff7ed; border: 1px solid #f0b35b; border-radius: 4px; }
QLabel#duplicates_title { font-weight: 600; color: #8a4b00; }
QFrame#refused_panel { background: #fdecea; border: 1px solid #f4c1bc; border-radius: 4px; }
QLabel#refused_text { color: #8a1c13; }
QLabel#photo_empty { border: 1px dashed #b4bcc8; border-radius: 4px; color: #5b6472; }
QListWidget#photo_list[dropTarget="true"], QLabel#photo_empty[dropTarget="true"] {
    border: 2px dashed #2f6fde; background: #f1f6ff; }
"""
# Errors in the shared error colour (app.ui.common.style), like every other window's.
STYLE += (
    f"QLabel#field_error {{ color: {ERROR_COLOUR}; }}\n"
    f'QLabel#counter[over="true"] {{ color: {ERROR_COLOUR}; font-weight: 600; }}\n'
)


def section(text: str) -> QLabel:
    """A section's title ("Category", "Details", "Position")."""
    label = QLabel(text)
    label.setObjectName("section_title")
    return label


def field_label(text: str, buddy: QWidget | None = None) -> QLabel:
    label = QLabel(text)
    label.setObjectName("field_label")
    if buddy is not None:
        label.setBuddy(buddy)
    return label


def field_error_label() -> QLabel:
    """A hidden error label under a field (coloured by the style sheet's ``field_error``)."""
    label = QLabel()
    label.setObjectName("field_error")
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    label.hide()
    return label


def restyle(widget: QWidget) -> None:
    """Apply the style sheet again after a dynamic property it selects on changed."""
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class CaseForm(QWidget):
    """The middle column of the case editor: the chosen category and the case's fields."""

    def __init__(self, taxonomy: Taxonomy, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._taxonomy = taxonomy
        self._language = language
        self.category_value = QLabel()
        self.category_value.setObjectName("category_value")
        self.category_value.setWordWrap(True)
        self.category_error = field_error_label()
        self.description = QPlainTextEdit()
        self.description.setObjectName("description")
        self.description.setPlaceholderText(
            QCoreApplication.translate(
                "CaseEditor",
                "What is the problem, how big, since when? (e.g. garbage pile about 2 m³)",
            )
        )
        self.description.setTabChangesFocus(True)
        self.description.setMinimumHeight(90)
        self.description_counter = QLabel()
        self.description_counter.setObjectName("counter")
        self.description_error = field_error_label()
        self.urgency = QComboBox()
        self.urgency.setObjectName("urgency")
        for urgency, text in (
            (Urgency.NORMAL, QCoreApplication.translate("CaseEditor", "Normal")),
            (Urgency.URGENT, QCoreApplication.translate("CaseEditor", "Urgent")),
            (Urgency.EMERGENCY, QCoreApplication.translate("CaseEditor", "Emergency")),
        ):
            self.urgency.addItem(text, urgency.value)
        self.address = QLineEdit()
        self.address.setObjectName("address")
        self.address.setMaxLength(ADDRESS_MAX)
        self.address.setPlaceholderText(
            QCoreApplication.translate("CaseEditor", "Street, number, landmark")
        )
        self.address.setClearButtonEnabled(True)
        self.address_error = field_error_label()
        # The address the office's road layer proposes for the position (app.geo.roads).
        # (a link: clicking it takes the address).
        self.address_suggestion = QLabel()
        self.address_suggestion.setObjectName("address_suggestion")
        self.address_suggestion.setWordWrap(True)
        self.address_suggestion.setTextFormat(Qt.TextFormat.RichText)
        self.address_suggestion.hide()
        self.grid_code = QLineEdit()
        self.grid_code.setObjectName("grid_code")
        self.grid_code.setMaxLength(GRID_CODE_LENGTH)
        self.grid_code.setPlaceholderText(
            QCoreApplication.translate("CaseEditor", "15 digits, optional")
        )
        self.grid_code.setToolTip(
            QCoreApplication.translate(
                "CaseEditor",
                "The grid cell (单元网格) of the problem: district, street, community, cell",
            )
        )
        self.grid_code_error = field_error_label()
        # Where the grid code came from (the position's cell, typed, outside every cell) and
        # the 门前三包 unit of the position (app.ui.case_place).
        self.grid_place = QLabel()
        self.grid_place.setObjectName("hint")
        self.grid_place.setWordWrap(True)
        self.observed_label = QLabel()
        self.observed_label.setObjectName("hint")
        self.general_error = field_error_label()

        form = QGridLayout(self)
        form.setContentsMargins(6, 0, 6, 0)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(4)
        form.addWidget(section(QCoreApplication.translate("CaseEditor", "Details")), 0, 0, 1, 2)
        form.addWidget(
            field_label(QCoreApplication.translate("CaseEditor", "Chosen category")), 1, 0, 1, 2
        )
        form.addWidget(self.category_value, 2, 0, 1, 2)
        form.addWidget(self.category_error, 3, 0, 1, 2)
        form.addWidget(
            field_label(QCoreApplication.translate("CaseEditor", "&Description"), self.description),
            4,
            0,
            1,
            2,
        )
        form.addWidget(self.description, 5, 0, 1, 2)
        counter_row = QHBoxLayout()
        counter_row.addWidget(self.description_error, 1)
        counter_row.addWidget(self.description_counter, 0, Qt.AlignmentFlag.AlignRight)
        form.addLayout(counter_row, 6, 0, 1, 2)
        form.addWidget(
            field_label(QCoreApplication.translate("CaseEditor", "&Urgency"), self.urgency), 7, 0
        )
        form.addWidget(
            field_label(QCoreApplication.translate("CaseEditor", "&Address"), self.address), 7, 1
        )
        form.addWidget(self.urgency, 8, 0)
        form.addWidget(self.address, 8, 1)
        address_notes = QVBoxLayout()
        address_notes.setSpacing(0)
        address_notes.addWidget(self.address_suggestion)
        address_notes.addWidget(self.address_error)
        form.addLayout(address_notes, 9, 1)
        form.addWidget(
            field_label(QCoreApplication.translate("CaseEditor", "&Grid cell"), self.grid_code),
            10,
            0,
        )
        form.addWidget(self.grid_code, 10, 1)
        form.addWidget(self.grid_code_error, 11, 1)
        form.addWidget(self.grid_place, 12, 1)
        form.addWidget(self.observed_label, 13, 0, 1, 2)
        form.addWidget(self.general_error, 14, 0, 1, 2)
        form.setRowStretch(5, 1)
        form.setColumnStretch(1, 1)
        self.setMinimumWidth(360)

        #: Which label shows the errors of which field of :class:`CaseFields`.
        self.field_errors: dict[str, QLabel] = {
            "category_code": self.category_error,
            "description": self.description_error,
            "address": self.address_error,
            "grid_code": self.grid_code_error,
        }

    def set_read_only(self, read_only: bool) -> None:
        self.description.setReadOnly(read_only)
        self.urgency.setEnabled(not read_only)
        self.address.setReadOnly(read_only)
        self.grid_code.setReadOnly(read_only)

    def show_category(self, code: str | None, editable: bool) -> None:
        category = self._taxonomy.matter(code or "")
        if category is None:
            self.category_value.setText(
                QCoreApplication.translate(
                    "CaseEditor", "None yet: choose one from the list on the left"
                )
                if editable
                else QCoreApplication.translate("CaseEditor", "None")
            )
            self.category_value.setToolTip("")
        else:
            major = (
                category.major_name if self._language.startswith("zh") else category.major_name_en
            )
            self.category_value.setText(f"{category_label(category, self._language)}  ·  {major}")
            self.category_value.setToolTip(f"{category.name} / {category.name_en}")
        self.category_value.setProperty("empty", category is None)
        restyle(self.category_value)

    def update_counter(self) -> None:
        length = len(self.description.toPlainText())
        self.description_counter.setText(f"{length} / {DESCRIPTION_MAX}")
        over = length > DESCRIPTION_MAX
        if self.description_counter.property("over") != over:
            self.description_counter.setProperty("over", over)
            restyle(self.description_counter)

    def show_errors(self, errors: list[FieldError]) -> list[str]:
        """Show each error under its field; returns the texts of the position's errors (the
        position panel shows them)."""
        by_label: dict[str, list[str]] = {}
        position: list[str] = []
        general: list[str] = []
        for error in errors:
            text = error.message.text(self._language)
            if error.field in self.field_errors:
                by_label.setdefault(error.field, []).append(text)
            elif error.field in POSITION_FIELDS:
                position.append(text)
            else:
                general.append(text)
        for field, label in self.field_errors.items():
            label.setText("\n".join(by_label.get(field, [])))
            label.setVisible(field in by_label)
        self.general_error.setText("\n".join(general))
        self.general_error.setVisible(bool(general))
        return position
