"""Small widgets every window builds the same way: error labels, headings, a panel's header row,
"nothing here" placeholders, tree views, the traffic light, a figure in a box."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QIcon, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.deadlines import TrafficLight
from app.ui.common.style import ERROR_COLOUR, LIGHT_COLOURS, MUTED, light_pixmap
from app.ui.common.text import NO_VALUE


def error_label(name: str = "") -> QLabel:
    """A hidden, word-wrapped label in the error colour, shown with a refusal next to its field
    (errors are said inline, never in a modal box). ``name``: its object name, for tests."""
    label = QLabel()
    if name:
        label.setObjectName(name)
    label.setStyleSheet(f"color: {ERROR_COLOUR};")
    label.setWordWrap(True)
    label.hide()
    return label


def bold(label: QLabel, scale: float = 1.0) -> QLabel:
    """``label`` in bold, ``scale`` times its size (headings and titles)."""
    font = QFont(label.font())
    font.setBold(True)
    if scale != 1.0:
        font.setPointSizeF(font.pointSizeF() * scale)
    label.setFont(font)
    return label


def panel_header(title: QLabel, summary: QLabel, *trailing: QWidget) -> QHBoxLayout:
    """A panel's top row: its title, a muted summary taking the free room, then ``trailing``
    (filters, the Refresh button) on the right."""
    summary.setStyleSheet(MUTED)
    header = QHBoxLayout()
    header.addWidget(title)
    header.addSpacing(12)
    header.addWidget(summary, 1)
    for widget in trailing:
        header.addWidget(widget)
    return header


def note_label(text: str) -> QLabel:
    """A muted, word-wrapped note under a panel's list (what its colours and buttons mean)."""
    label = QLabel(text)
    label.setStyleSheet(MUTED)
    label.setWordWrap(True)
    return label


def placeholder(text: str = "") -> QLabel:
    """A muted, centred, word-wrapped "nothing here" text, shown instead of an empty list."""
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setStyleSheet(MUTED)
    return label


def stack(*widgets: QWidget) -> QStackedWidget:
    """``widgets`` in one place, one shown at a time (a list and its placeholder)."""
    pages = QStackedWidget()
    for widget in widgets:
        pages.addWidget(widget)
    return pages


def paint_placeholder(view: QAbstractScrollArea, text: str, margin: int = 8) -> None:
    """Write ``text`` across an empty view's viewport in the placeholder colour (from the
    view's paintEvent, after the view painted itself)."""
    painter = QPainter(view.viewport())
    painter.setPen(view.palette().color(QPalette.ColorRole.PlaceholderText))
    painter.drawText(
        view.viewport().rect().adjusted(margin, margin, -margin, -margin),
        Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
        text,
    )


def tree_view(
    name: str, headers: Sequence[str], widths: Sequence[int], stretch: int, *, nested: bool
) -> QTreeWidget:
    """A tree of rows with alternating colours and fixed row heights: ``headers`` with their
    ``widths``, column ``stretch`` taking the free room; ``nested``: rows under group rows."""
    tree = QTreeWidget()
    tree.setObjectName(name)
    tree.setRootIsDecorated(nested)
    tree.setAlternatingRowColors(True)
    tree.setUniformRowHeights(True)
    tree.setHeaderLabels(list(headers))
    head = tree.header()
    head.setStretchLastSection(False)
    for column, width in enumerate(widths):
        head.resizeSection(column, width)
    head.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return tree


def selectable(label: QLabel) -> QLabel:
    """``label`` word-wrapped and selectable with the mouse (values a user may copy)."""
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def stacked(*widgets: QWidget) -> QWidget:
    """``widgets`` one above the other with no margins (a field with its note and error)."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    for widget in widgets:
        layout.addWidget(widget)
    return box


def thumbnail_icon(image: QImage | None, size: QSize) -> QIcon:
    """A photo's thumbnail scaled into ``size`` (an empty icon when it could not be read)."""
    if image is None or image.isNull():
        return QIcon()
    return QIcon(
        QPixmap.fromImage(image).scaled(
            size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    )


class FigureBox(QFrame):
    """A framed caption over a large figure (the dashboard's tiles and its loop section's
    boxes); more lines go in :attr:`body`, under the figure."""

    def __init__(self, caption: str, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.caption = QLabel(caption)
        self.caption.setStyleSheet(MUTED)
        self.value = QLabel(NO_VALUE)
        font = QFont(self.value.font())
        font.setPointSizeF(font.pointSizeF() * 1.7)
        font.setBold(True)
        self.value.setFont(font)
        self.setToolTip(tooltip)
        self.setAccessibleName(caption)
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(10, 6, 10, 6)
        self.body.setSpacing(2)
        self.body.addWidget(self.caption)
        self.body.addWidget(self.value)


class TrafficLightLabel(QWidget):
    """A coloured dot and a text: "Deadline 2030-01-07 17:00 · time used 85 %"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.light: TrafficLight | None = None
        self.dot = QLabel()
        self.dot.setFixedSize(14, 14)
        self.text = QLabel()
        self.text.setObjectName("traffic_light_text")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.dot)
        layout.addWidget(self.text, 1)

    def set_state(self, light: TrafficLight | None, text: str) -> None:
        self.light = light
        self.dot.setPixmap(light_pixmap(light, 14))
        self.text.setText(text)
        colour = LIGHT_COLOURS[light] if light is not None else None
        self.text.setStyleSheet(
            f"color: {colour}; font-weight: bold;" if light is TrafficLight.RED else ""
        )
