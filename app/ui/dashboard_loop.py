"""The dashboard's section on the departments' part of the loop (issue 15).

Three boxes under the dashboard's tiles, for the dashboard's period and moment: 签收及时率
sign-for timeliness (the rate, signed on time of due to sign, and the departments that signed
late, the most first), 部门自主处置率 handled by the department (the rate, and of how many
handlings), and the requests by kind (requested, approved) with the refusals and the approval
rate. The figures are :class:`app.domain.loop_indicators.LoopIndicators`, computed by
:func:`app.storage.handling.loop_indicators` in the database lane with the dashboard's other
figures (app.ui.dashboard.load_dashboard) — the same function ``citypatrol report indicators``
and the bulletin use, so the three agree. The section only shows them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.domain.lifecycle import REQUEST_NAMES, RequestKind
from app.domain.loop_indicators import LoopIndicators
from app.ui.common.style import MUTED
from app.ui.common.text import NO_VALUE, rate_text
from app.ui.common.widgets import FigureBox, bold

#: At most this many late departments are named (the rest are counted).
LATE_NAMED = 5


class _Box(FigureBox):
    """A caption, a large figure and lines of detail under it."""

    def detail(self) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.addWidget(label)
        return label


class LoopSection(QWidget):
    """签收及时率, 部门自主处置率 and the requests of the dashboard's period."""

    def __init__(self, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._language = language
        self.title = bold(QLabel(self.tr("Departments in the loop")))
        self.sign_for = _Box(
            self.tr("Sign-for timeliness"),
            self.tr(
                "Of the dispatches whose sign-for was due in the period, the share the "
                "department signed for within the limit"
            ),
        )
        self.sign_for_detail = self.sign_for.detail()
        self.late_label = self.sign_for.detail()
        self.handled = _Box(
            self.tr("Handled by the department"),
            self.tr(
                "Of the handlings reported in the period, the share the department reported "
                "itself (the rest a supervisor reported on its behalf)"
            ),
        )
        self.handled_detail = self.handled.detail()
        self.requests = _Box(
            self.tr("Requests"),
            self.tr("The departments' requests made in the period, and the answers given in it"),
        )
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)
        for column, text in enumerate((self.tr("Requested"), self.tr("Approved")), start=1):
            header = QLabel(text)
            header.setStyleSheet(MUTED)
            header.setAlignment(Qt.AlignmentFlag.AlignRight)
            grid.addWidget(header, 0, column)
        #: Kind → (requested, approved) labels.
        self.request_labels: dict[RequestKind, tuple[QLabel, QLabel]] = {}
        for row, kind in enumerate(RequestKind, start=1):
            grid.addWidget(QLabel(REQUEST_NAMES[kind].text(language)), row, 0)
            cells = (QLabel("0"), QLabel("0"))
            for column, cell in enumerate(cells, start=1):
                cell.setAlignment(Qt.AlignmentFlag.AlignRight)
                grid.addWidget(cell, row, column)
            self.request_labels[kind] = cells
        grid.setColumnStretch(0, 1)
        self.requests.body.addLayout(grid)
        self.refused_label = self.requests.detail()
        # The big figure of the requests box: how many there were.
        self.requests.value.setText("0")

        boxes = QHBoxLayout()
        boxes.setSpacing(8)
        for box in (self.sign_for, self.handled, self.requests):
            box.body.addStretch(1)  # the figures at the top, boxes of one height
            boxes.addWidget(box, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.title)
        layout.addLayout(boxes)

    def show_loop(self, loop: LoopIndicators, names: dict[str | None, str]) -> None:
        """The figures of ``loop``; ``names``: department id → name."""
        total = loop.total
        hours = loop.limit.total_seconds() / 3600
        self.sign_for.value.setText(rate_text(total.sign_for_rate))
        self.sign_for_detail.setText(
            self.tr("%1 of %2 signed for within %3 h")
            .replace("%1", str(total.signed_on_time))
            .replace("%2", str(total.due_to_sign))
            .replace("%3", f"{hours:g}")
        )
        late = loop.late_sign_for()
        if late:
            named = [f"{names.get(d, d or NO_VALUE)} {n}" for d, n in late[:LATE_NAMED]]
            if len(late) > LATE_NAMED:
                named.append(self.tr("%n more", "", len(late) - LATE_NAMED))
            self.late_label.setText(self.tr("Late: %1").replace("%1", ", ".join(named)))
        else:
            self.late_label.setText(self.tr("No department signed late"))
        self.handled.value.setText(rate_text(total.handled_by_department_rate))
        self.handled_detail.setText(
            self.tr("%1 of %2 handlings reported by the department")
            .replace("%1", str(total.handled_by_department))
            .replace("%2", str(total.handled))
        )
        self.requests.value.setText(str(sum(total.requests.values())))
        for kind, (requested, approved) in self.request_labels.items():
            requested.setText(str(total.requests.get(kind, 0)))
            approved.setText(str(total.approved.get(kind, 0)))
        self.refused_label.setText(
            self.tr("Refused: %1 · approval rate %2")
            .replace("%1", str(total.refused))
            .replace("%2", rate_text(total.approval_rate))
        )
        for box, detail in (
            (self.sign_for, f"{self.sign_for_detail.text()}. {self.late_label.text()}"),
            (self.handled, self.handled_detail.text()),
            (self.requests, self.refused_label.text()),
        ):
            box.setAccessibleDescription(f"{box.value.text()}. {detail}")
