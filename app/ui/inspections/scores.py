"""The scores and year-end assessment view (年终考核): departments ranked from case indicators
and inspection scores with how each figure was made, those listed for 通报批评, and the
objects inspected that year ranked (mean, lowest, trend). Read through
app.storage.inspection_scores in the background."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.deadlines import TrafficLight
from app.domain.scoring import COMPONENT_NAMES
from app.storage import LocalStore
from app.storage.inspection_scores import (
    AssessmentData,
    contractor_month,
    write_contractor_csv,
    year_assessment,
)
from app.storage.store import Changes
from app.ui.common.style import LIGHT_COLOURS
from app.ui.common.widgets import bold, tree_view
from app.ui.panel import StorePanel
from app.ui.supervisor.base import Clock, utc_now
from app.ui.tasks import TaskRunner


def _dash(value: object) -> str:
    return "—" if value is None else str(value)


class AssessmentPanel(StorePanel):
    """One year's assessment: units ranked with their figures, 通报批评, objects ranked."""

    #: The year's figures were read and shown.
    loaded = Signal()

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        language: str,
        parent: QWidget | None = None,
        *,
        clock: Clock = utc_now,
    ) -> None:
        super().__init__(store, tasks, language, parent, error_name="assessment_error")
        self.data: AssessmentData | None = None

        self.year = QSpinBox()
        self.year.setObjectName("assessment_year")
        self.year.setRange(2000, 2100)
        self.year.setValue(clock().year)
        self.year.valueChanged.connect(self.refresh)
        self.weights_label = QLabel()
        self.weights_label.setObjectName("assessment_weights")
        self.weights_label.setWordWrap(True)
        self.units = tree_view(
            "assessment_units",
            [
                self.tr("Rank"),
                self.tr("Unit"),
                self.tr("Score"),
                self.tr("Inspections"),
                self.tr("How it was made"),
            ],
            (50, 160, 70, 80, 500),
            4,
            nested=False,
        )
        self.criticised_label = QLabel()
        self.criticised_label.setObjectName("criticised")
        self.criticised_label.setWordWrap(True)
        self.objects = tree_view(
            "assessment_objects",
            [
                self.tr("Rank"),
                self.tr("Object"),
                self.tr("Inspections"),
                self.tr("Mean"),
                self.tr("Lowest"),
                self.tr("Trend"),
            ],
            (50, 220, 80, 80, 80, 80),
            1,
            nested=False,
        )
        self.month = QComboBox()
        self.month.setObjectName("contractor_month")
        for m in range(1, 13):
            self.month.addItem(self.tr("Month %1").replace("%1", str(m)), m)
        self.month.setCurrentIndex(clock().month - 1)
        self.export_button = QPushButton(self.tr("Contractors' scores (&CSV)…"))
        self.export_button.setObjectName("contractors_csv")
        self.export_button.clicked.connect(self.choose_export)
        self.export_label = QLabel()
        self.export_label.setObjectName("contractors_written")
        contractors = QHBoxLayout()
        contractors.addWidget(
            QLabel(self.tr("市场化保洁 — monthly scores and payment deductions:"))
        )
        contractors.addWidget(self.month)
        contractors.addWidget(self.export_button)
        contractors.addWidget(self.export_label, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(
            self.header(self.tr("Year-end assessment"), QLabel(self.tr("Year:")), self.year)
        )
        layout.addWidget(self.weights_label)
        layout.addWidget(self.units, 2)
        layout.addWidget(self.criticised_label)
        layout.addWidget(bold(QLabel(self.tr("Objects inspected, ranked by mean score"))))
        layout.addWidget(self.objects, 1)
        layout.addLayout(contractors)
        layout.addWidget(self.error_label)
        self.watch_store()
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        store, year = self._store, self.year.value()
        self._ops.run(
            lambda: year_assessment(store, year), self._show, key="year", on_error=self._failed
        )

    def refreshes_on(self, changes: Changes) -> bool:
        return changes.inspections or changes.everything or changes.reference or changes.steps

    def _show(self, data: AssessmentData) -> None:
        self.data = data
        language = self._language
        self.error_label.hide()
        self.weights_label.setText(
            self.tr("Weights: %1").replace(
                "%1",
                " · ".join(
                    f"{COMPONENT_NAMES[c].text(language)} {w}%"
                    for c, w in data.settings.weights.values.items()
                ),
            )
        )
        self.units.clear()
        for line in data.units:
            unit = line.unit
            item = QTreeWidgetItem(
                [
                    _dash(unit.rank),
                    unit.name,
                    _dash(unit.score),
                    str(line.inspections),
                    unit.explain().text(language),
                ]
            )
            item.setToolTip(4, unit.explain().text(language))
            if unit.criticised:
                for column in range(5):
                    item.setForeground(column, QColor(LIGHT_COLOURS[TrafficLight.RED]))
            self.units.addTopLevelItem(item)
        names = [line.unit.name for line in data.criticised()]
        self.criticised_label.setText(
            self.tr("Named for criticism (通报批评): %1").replace(
                "%1", "、".join(names) if names else self.tr("none")
            )
        )
        self.objects.clear()
        for o in data.objects:
            self.objects.addTopLevelItem(
                QTreeWidgetItem(
                    [
                        _dash(o.rank),
                        o.name,
                        str(o.inspections),
                        _dash(o.mean),
                        _dash(o.lowest),
                        _dash(o.trend),
                    ]
                )
            )
        ranked = sum(1 for line in data.units if line.unit.rank is not None)
        self.summary_label.setText(
            self.tr("Units ranked: %1 · objects inspected: %2")
            .replace("%1", str(ranked))
            .replace("%2", str(sum(1 for o in data.objects if o.inspections)))
        )
        self.loaded.emit()

    @Slot()
    def choose_export(self) -> None:
        name = f"contractors-{self.year.value()}-{self.month.currentData():02d}.csv"
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Contractors' monthly scores"), name, "CSV (*.csv)"
        )
        if path:
            self.export_contractors(Path(path))

    def export_contractors(self, out: Path) -> None:
        """The chosen month's contractors' scores and payment deductions as CSV."""
        store, year, month = self._store, self.year.value(), int(self.month.currentData())
        self._ops.run(
            lambda: write_contractor_csv(contractor_month(store, year, month), out),
            lambda path: self.export_label.setText(self.tr("Written: %1").replace("%1", str(path))),
            on_error=self._failed,
        )

    def _failed(self, exc: BaseException) -> None:
        self._show_failure(self.tr("The assessment could not be computed: %1"), exc)
