"""The colours every window uses, and the coloured dots drawn from them.

One value per meaning, so an error is the same red in the sync bar, the case editor and the
supervisor's history, and the traffic light the same green/yellow/red wherever a deadline shows.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPixmap

from app.domain.deadlines import TrafficLight
from app.storage.states import OutboxState

#: Errors, refusals, overdue deadlines.
ERROR_COLOUR = "#b3261e"
#: Warnings that need no action now (a poor position, a sync that will retry).
WARNING_COLOUR = "#8a5a00"
#: Confirmed by the server, online, closed: done and well.
CONFIRMED_COLOUR = "#2e7d32"
#: Secondary text: hints, summaries, "nothing here" placeholders.
MUTED = "color: palette(placeholder-text);"
#: A dot with nothing to say (no deadline, state unknown).
NEUTRAL_COLOUR = "#9e9e9e"

#: The traffic light's colours (green under 80 % of the limit used, yellow to 100 %, red over).
LIGHT_COLOURS = {
    TrafficLight.GREEN: CONFIRMED_COLOUR,
    TrafficLight.YELLOW: "#e0a100",
    TrafficLight.RED: "#c62828",
}
#: The colours of a decision not confirmed by the server yet, and of one it refused.
STATE_COLOURS = {
    OutboxState.PENDING: "#9a6400",
    OutboxState.SENDING: "#1565c0",
    OutboxState.FAILED: ERROR_COLOUR,
}


def dot_pixmap(colour: str, size: int = 12, *, hidpi: bool = False) -> QPixmap:
    """A round dot of ``colour``, ``size`` pixels across (``hidpi``: drawn at twice the pixels,
    sharp on high-DPI screens, for dots that stand alone in a status bar)."""
    scale = 2 if hidpi else 1
    pixmap = QPixmap(size * scale, size * scale)
    if hidpi:
        pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return pixmap


def light_pixmap(light: TrafficLight | None, size: int = 12) -> QPixmap:
    """A round dot in the traffic light's colour (grey: no deadline)."""
    return dot_pixmap(LIGHT_COLOURS[light] if light is not None else NEUTRAL_COLOUR, size)
