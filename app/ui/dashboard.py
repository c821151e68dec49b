"""The supervisor's dashboard: the performance indicators (考核指标) of a period at a glance.

A period chooser (this week, this month, this quarter, last quarter or a custom range of days,
all in the city's time zone), KPI tiles (上报数 … 平均处置时长), three charts — the weekly trend,
the departments ranked by on-time handling rate (按期处置率) and the ten categories with the most
reports — and a sortable table of the departments' figures.

Everything is computed from the step log by store-level functions (:mod:`app.storage.reports`)
in the database lane; the widget only shows the result. It loads the first time it is shown,
then again whenever the period changes or :meth:`DashboardWidget.refresh` is called, and after a
write that touches the workflow (steps, reference data; see :meth:`DashboardWidget._store_changed`)
— at once when it is on screen, else the next time it is shown. The "Bulletin PDF…" and
"Export…" buttons only emit signals: the main window wires them up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QMargins,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QColor, QFont, QPainter, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.domain.indicators import (
    Counts,
    Indicators,
    Period,
    cutoff,
    month,
    quarter,
    rank_departments,
    week_of,
)
from app.domain.loop_indicators import LoopIndicators
from app.domain.sites import RoundCounts
from app.domain.taxonomy import Taxonomy
from app.storage import LocalStore
from app.storage.handling import loop_indicators
from app.storage.reports import as_of, department_names, indicators, total_rounds, weekly_trend
from app.storage.store import Changes
from app.ui.common.style import CONFIRMED_COLOUR, MUTED
from app.ui.common.text import NO_VALUE, error_text, rate_text
from app.ui.common.widgets import FigureBox, bold, error_label
from app.ui.dashboard_loop import LoopSection
from app.ui.events import StoreEvents, workflow_changed
from app.ui.operations import Operations
from app.ui.tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex

#: The city's time zone: weeks, months and quarters start at its midnight.
CITY_TZ = ZoneInfo("Asia/Shanghai")
#: The trend shows at least this many weeks, ending with the chosen period.
TREND_WEEKS = 13
#: The trend's axis names at most this many weeks.
TREND_LABELS = 9
#: How many categories the category chart shows.
TOP_CATEGORIES = 10
#: Colours of the trend's series and of the two bar charts.
RECEIVED_COLOUR = "#1565c0"
CLOSED_COLOUR = CONFIRMED_COLOUR
ON_TIME_COLOUR = "#ef6c00"
CATEGORY_COLOUR = "#6a1b9a"
#: Changing a date of the custom range waits this long for the next change before loading.
DATE_DELAY_MS = 400
#: The raw value a table column sorts by.
SORT_ROLE = Qt.ItemDataRole.UserRole + 1


class PeriodKind:
    """The choices of the period chooser (in its order)."""

    THIS_WEEK = "this_week"
    THIS_MONTH = "this_month"
    THIS_QUARTER = "this_quarter"
    LAST_QUARTER = "last_quarter"
    CUSTOM = "custom"


# -- periods (pure functions, no Qt) ---------------------------------------------------------


def local_midnight(day: date, tz: ZoneInfo = CITY_TZ) -> datetime:
    return datetime.combine(day, time(), tz)


def preset_period(kind: str, now: datetime, tz: ZoneInfo = CITY_TZ) -> Period:
    """The period a preset of the chooser means at ``now`` (not :attr:`PeriodKind.CUSTOM`)."""
    local = now.astimezone(tz)
    q = (local.month - 1) // 3 + 1
    if kind == PeriodKind.THIS_WEEK:
        return week_of(local.date(), tz)
    if kind == PeriodKind.THIS_MONTH:
        return month(local.year, local.month, tz)
    if kind == PeriodKind.THIS_QUARTER:
        return quarter(local.year, q, tz)
    if kind == PeriodKind.LAST_QUARTER:
        return quarter(local.year, q - 1, tz) if q > 1 else quarter(local.year - 1, 4, tz)
    raise ValueError(f"not a preset period: {kind}")


def day_range(first: date, last: date, tz: ZoneInfo = CITY_TZ) -> Period:
    """From the start of ``first`` to the end of ``last`` (both included; swapped if reversed)."""
    if last < first:
        first, last = last, first
    return Period(local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz))


def python_date(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


def trend_period(period: Period, now: datetime | None = None, tz: ZoneInfo = CITY_TZ) -> Period:
    """Whole weeks covering ``period``, and at least :data:`TREND_WEEKS` of them up to its end.

    Weeks that start after ``now`` are left out (they would only show zeros).
    """
    end = max(cutoff(period, now), period.start)
    last = (end - timedelta(microseconds=1)).astimezone(tz).date()
    end_monday = last - timedelta(days=last.weekday()) + timedelta(days=7)
    first = period.start.astimezone(tz).date()
    start_monday = min(
        first - timedelta(days=first.weekday()), end_monday - timedelta(weeks=TREND_WEEKS)
    )
    return Period(local_midnight(start_monday, tz), local_midnight(end_monday, tz))


# -- what the widget shows, and how it is read -------------------------------------------------


@dataclass(frozen=True)
class DashboardData:
    """Everything one refresh shows: the indicators of the period and the weekly trend."""

    period: Period
    indicators: Indicators
    trend: list[tuple[Period, Counts]]
    #: Department id → name in the interface language (``None``: cases not dispatched).
    department_names: dict[str | None, str] = field(default_factory=dict)
    #: Key-site rounds (重点部位) of the period as of "now", every inspector's: due, done, missed.
    rounds: RoundCounts = field(default_factory=RoundCounts)
    #: The departments' part of the loop (issue 15): sign-for, handled by them, requests.
    loop: LoopIndicators | None = None


#: Reads the dashboard's data for a period at a time ("now"); runs in the database lane.
Loader = Callable[[Period, datetime], DashboardData]


def load_dashboard(
    store: LocalStore, period: Period, language: str, now: datetime | None = None
) -> DashboardData:
    """The indicators of ``period`` and the weekly trend around it as of ``now`` (default: the
    store's clock), Qt-free, for the db lane. The tiles and the trend are taken at one moment."""
    moment = as_of(store, now)
    return DashboardData(
        period=period,
        indicators=indicators(store, period, now=moment),
        trend=weekly_trend(store, trend_period(period, moment), now=moment, tz=CITY_TZ),
        department_names=department_names(store, language),
        rounds=total_rounds(store, period, moment),
        loop=loop_indicators(store, period, now=moment),
    )


def top_categories(
    by_category: dict[str | None, Counts], limit: int = TOP_CATEGORIES
) -> list[tuple[str, int]]:
    """``(code, reports)`` of the categories with the most reports (at most ``limit``)."""
    counted = [(code, c.reports) for code, c in by_category.items() if code and c.reports > 0]
    counted.sort(key=lambda r: (-r[1], r[0]))
    return counted[:limit]


# -- the department table ----------------------------------------------------------------------


class DepartmentTableModel(QAbstractTableModel):
    """One row per department: what was due, handled on time, handled, reworked, closed, overdue."""

    COLUMNS = 9

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, Counts]] = []
        self._headers = [
            self.tr("Department"),
            self.tr("Due"),
            self.tr("On time"),
            self.tr("On-time rate"),
            self.tr("Handled"),
            self.tr("Reworked"),
            self.tr("Rework rate"),
            self.tr("Closed"),
            self.tr("Overdue"),
        ]

    def set_rows(self, rows: list[tuple[str, Counts]]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.COLUMNS

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < self.COLUMNS:
            if role == Qt.ItemDataRole.DisplayRole:
                return self._headers[section]
            if role == Qt.ItemDataRole.TextAlignmentRole and section > 0:
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return super().headerData(section, orientation, role)

    def _value(self, name: str, c: Counts, column: int) -> str | int | float | None:
        values: tuple[str | int | float | None, ...] = (
            name,
            c.due_to_handle,
            c.handled_on_time,
            c.on_time_rate,
            c.handled,
            c.reworked,
            c.rework_rate,
            c.closed,
            c.overdue,
        )
        return values[column]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        name, counts = self.rows[index.row()]
        column = index.column()
        value = self._value(name, counts, column)
        if role == Qt.ItemDataRole.DisplayRole:
            if column in (3, 6):
                return rate_text(value if isinstance(value, float) else None)
            return value if isinstance(value, str) else str(value)
        if role == SORT_ROLE:
            if column in (3, 6):  # "—" sorts below every rate
                return -1.0 if value is None else value
            return value
        if role == Qt.ItemDataRole.TextAlignmentRole and column > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


# -- the tiles ---------------------------------------------------------------------------------


class KpiTile(FigureBox):
    """A caption over a large figure."""

    def __init__(self, caption: str, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(caption, tooltip, parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_value(self, text: str) -> None:
        self.value.setText(text)
        self.setAccessibleDescription(text)


# -- the widget --------------------------------------------------------------------------------


class DashboardWidget(QWidget):
    """KPI tiles, charts and the department table of one period, computed in the database lane."""

    #: The user asked for the bulletin (定期通报) PDF of the shown period (a :class:`Period`).
    bulletin_requested = Signal(object)
    #: The user asked to export the data.
    export_requested = Signal()
    #: After each successful refresh, with the :class:`DashboardData` shown.
    loaded = Signal(object)

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        language: str,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        loader: Loader | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._tasks = tasks
        self._language = language
        self._taxonomy: Taxonomy = store.taxonomy
        self._clock = clock or (lambda: datetime.now(UTC))
        self._loader: Loader = loader or (
            lambda period, now: load_dashboard(store, period, language, now)
        )
        self._ops = Operations(self, tasks, language)
        self._ops.busy_changed.connect(self._show_busy)
        self._shown_once = False
        #: A write changed the workflow while the figures were not on screen.
        self._stale = False
        self.data: DashboardData | None = None

        # Header: the period chooser, refresh, the state, and the two actions.
        self.title = bold(QLabel(self.tr("Performance dashboard")), 1.25)
        self.period_combo = QComboBox()
        self.period_combo.setAccessibleName(self.tr("Period"))
        for kind, text in (
            (PeriodKind.THIS_WEEK, self.tr("This week")),
            (PeriodKind.THIS_MONTH, self.tr("This month")),
            (PeriodKind.THIS_QUARTER, self.tr("This quarter")),
            (PeriodKind.LAST_QUARTER, self.tr("Last quarter")),
            (PeriodKind.CUSTOM, self.tr("Custom range")),
        ):
            self.period_combo.addItem(text, kind)
        self.period_combo.setCurrentIndex(self.period_combo.findData(PeriodKind.THIS_MONTH))
        self.from_label = QLabel(self.tr("From"))
        self.to_label = QLabel(self.tr("to"))
        self.from_edit = QDateEdit()
        self.to_edit = QDateEdit()
        for edit, name in (
            (self.from_edit, self.tr("First day")),
            (self.to_edit, self.tr("Last day")),
        ):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(name)
            edit.dateChanged.connect(self._date_changed)
        self.refresh_button = QPushButton(self.tr("&Refresh"))
        self.refresh_button.setToolTip(self.tr("Compute the indicators again"))
        self.refresh_button.clicked.connect(self.refresh)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedWidth(80)
        self.busy_bar.setMaximumHeight(12)
        self.busy_bar.hide()
        self.status_label = QLabel()
        self.status_label.setStyleSheet(MUTED)
        self.export_button = QPushButton(self.tr("E&xport…"))
        self.export_button.setToolTip(self.tr("Export the data to a file"))
        self.export_button.clicked.connect(self.export_requested)
        self.bulletin_button = QPushButton(self.tr("&Bulletin PDF…"))
        self.bulletin_button.setToolTip(
            self.tr("Write the periodic bulletin of the chosen period as a PDF")
        )
        self.bulletin_button.clicked.connect(self._request_bulletin)

        # Two rows, so the header fits a 1024-px screen beside the navigation: the title and
        # the actions, then the period and its state.
        title_row = QHBoxLayout()
        title_row.addWidget(self.title, 1)
        title_row.addWidget(self.export_button)
        title_row.addWidget(self.bulletin_button)
        period_row = QHBoxLayout()
        period_row.addWidget(self.period_combo)
        period_row.addWidget(self.from_label)
        period_row.addWidget(self.from_edit)
        period_row.addWidget(self.to_label)
        period_row.addWidget(self.to_edit)
        period_row.addWidget(self.refresh_button)
        period_row.addSpacing(8)
        period_row.addWidget(self.busy_bar)
        period_row.addWidget(self.status_label, 1)
        header = QVBoxLayout()
        header.setSpacing(4)
        header.addLayout(title_row)
        header.addLayout(period_row)

        self.error_label = error_label()
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # The tiles, two rows of six (the last: missed key-site rounds).
        self.tiles: dict[str, KpiTile] = {}
        tiles = QGridLayout()
        tiles.setSpacing(8)
        for n, (key, caption, tooltip) in enumerate(
            (
                ("reports", self.tr("Received"), self.tr("Cases first submitted in the period")),
                ("accepted", self.tr("Accepted"), self.tr("Reports accepted in the period")),
                ("registered", self.tr("Registered"), self.tr("Cases registered in the period")),
                ("closed", self.tr("Closed"), self.tr("Cases closed in the period")),
                (
                    "closure_rate",
                    self.tr("Closure rate"),
                    self.tr("Of the cases registered in the period, the share closed"),
                ),
                (
                    "on_time_rate",
                    self.tr("On-time rate"),
                    self.tr("Of the assignments due in the period, the share handled on time"),
                ),
                (
                    "rework_rate",
                    self.tr("Rework rate"),
                    self.tr("Reworks per handled assignment in the period"),
                ),
                (
                    "valid_report_rate",
                    self.tr("Valid-report rate"),
                    self.tr("Accepted of the reports accepted or rejected in the period"),
                ),
                (
                    "overdue",
                    self.tr("Overdue"),
                    self.tr("Assignments past their deadline and not yet handled"),
                ),
                (
                    "mean_handling",
                    self.tr("Mean handling time"),
                    self.tr("From dispatch to handling, less the time suspended"),
                ),
                (
                    "missed_rounds",
                    self.tr("Missed key-site rounds"),
                    self.tr(
                        "Key-site rounds (重点部位) past their due time with no check, "
                        "of the rounds due in the period"
                    ),
                ),
            )
        ):
            tile = KpiTile(caption, tooltip)
            self.tiles[key] = tile
            tiles.addWidget(tile, n // 6, n % 6)
        # 签收及时率, 部门自主处置率 and the requests, under the tiles (app.ui.dashboard_loop).
        self.loop_section = LoopSection(language)

        # The charts.
        self.trend_chart = self._chart(self.tr("Weekly trend"))
        self.trend_view = self._chart_view(self.trend_chart, self.tr("Weekly trend"))
        self.department_chart = self._chart(self.tr("On-time rate by department"))
        self.department_view = self._chart_view(
            self.department_chart, self.tr("On-time rate by department")
        )
        top = self.tr("Top %1 categories by reports").replace("%1", str(TOP_CATEGORIES))
        self.category_chart = self._chart(top)
        self.category_view = self._chart_view(self.category_chart, top)
        self.trend_series: dict[str, QLineSeries] = {}
        self.department_set: QBarSet | None = None
        self.department_axis: QBarCategoryAxis | None = None
        self.category_set: QBarSet | None = None
        self.category_axis: QBarCategoryAxis | None = None

        # The department table.
        self.table_label = QLabel(self.tr("Departments"))
        table_font = self.table_label.font()
        table_font.setBold(True)
        self.table_label.setFont(table_font)
        self.department_model = DepartmentTableModel(self)
        self.department_proxy = QSortFilterProxyModel(self)
        self.department_proxy.setSourceModel(self.department_model)
        self.department_proxy.setSortRole(SORT_ROLE)
        self.department_table = QTableView()
        self.department_table.setModel(self.department_proxy)
        self.department_table.setSortingEnabled(True)
        self.department_table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
        self.department_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.department_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.department_table.setAlternatingRowColors(True)
        self.department_table.setWordWrap(False)
        rows_header = self.department_table.verticalHeader()
        rows_header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows_header.setDefaultSectionSize(self.fontMetrics().height() + 8)
        rows_header.hide()
        self.department_table.setAccessibleName(self.tr("Departments"))
        table_header = self.department_table.horizontalHeader()
        table_header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table_header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table_box = QVBoxLayout()
        table_box.setContentsMargins(0, 0, 0, 0)
        table_box.addWidget(self.table_label)
        table_box.addWidget(self.department_table, 1)

        top_row = QHBoxLayout()
        top_row.addWidget(self.trend_view, 1)
        top_row.addWidget(self.department_view, 1)
        bottom_row = QHBoxLayout()
        self.category_view.setMinimumWidth(400)
        bottom_row.addWidget(self.category_view, 1)
        bottom_row.addLayout(table_box, 2)
        charts = QVBoxLayout()
        charts.setSpacing(8)
        charts.addLayout(top_row, 1)
        charts.addLayout(bottom_row, 1)

        content = QWidget()
        body = QVBoxLayout(content)
        body.setContentsMargins(0, 0, 0, 0)
        body.addLayout(tiles)
        body.addWidget(self.loop_section)
        body.addLayout(charts, 1)
        content.setMinimumSize(760, 640)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setWidget(content)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.error_label)
        layout.addWidget(self.scroll_area, 1)

        self._date_timer = QTimer(self)
        self._date_timer.setSingleShot(True)
        self._date_timer.setInterval(DATE_DELAY_MS)
        self._date_timer.timeout.connect(self.refresh)
        self.period_combo.currentIndexChanged.connect(self._period_kind_changed)
        self._show_preset_dates()
        StoreEvents.of(store).changed.connect(self._store_changed)

    # -- charts ---------------------------------------------------------------------------

    def _chart(self, title: str) -> QChart:
        chart = QChart()
        chart.setTitle(title)
        title_font = QFont(self.font())
        title_font.setBold(True)
        chart.setTitleFont(title_font)
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.setBackgroundRoundness(0)
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
        if self.palette().color(QPalette.ColorRole.Window).lightness() < 128:
            chart.setTheme(QChart.ChartTheme.ChartThemeDark)
        return chart

    def _chart_view(self, chart: QChart, name: str) -> QChartView:
        view = QChartView(chart)
        view.setRenderHint(QPainter.RenderHint.Antialiasing)
        view.setMinimumHeight(260)
        view.setAccessibleName(name)
        return view

    @staticmethod
    def _clear(chart: QChart) -> None:
        chart.removeAllSeries()
        for axis in chart.axes():
            chart.removeAxis(axis)

    def _axis_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(max(font.pointSizeF() * 0.85, 7.0))
        return font

    def _show_trend(self, trend: list[tuple[Period, Counts]]) -> None:
        """One point per week at x = 0, 1, …; the axis names every few weeks by its Monday."""
        chart = self.trend_chart
        self._clear(chart)
        self.trend_series = {}
        x_axis = QCategoryAxis()
        x_axis.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        x_axis.setLabelsFont(self._axis_font())
        x_axis.setTitleText(self.tr("Week starting"))
        x_axis.setStartValue(0)
        step = max(1, -(-len(trend) // TREND_LABELS))
        for n in range(0, len(trend), step):
            x_axis.append(trend[n][0].start.astimezone(CITY_TZ).strftime("%m-%d"), n)
        x_axis.setRange(0, max(len(trend) - 1, 1))
        y_axis = QValueAxis()
        y_axis.setLabelFormat("%d")
        y_axis.setLabelsFont(self._axis_font())
        chart.addAxis(x_axis, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(y_axis, Qt.AlignmentFlag.AlignLeft)
        highest = 0
        lines: tuple[tuple[str, str, str, Callable[[Counts], int]], ...] = (
            ("reports", self.tr("Received"), RECEIVED_COLOUR, lambda c: c.reports),
            ("closed", self.tr("Closed"), CLOSED_COLOUR, lambda c: c.closed),
            (
                "handled_on_time",
                self.tr("Handled on time"),
                ON_TIME_COLOUR,
                lambda c: c.handled_on_time,
            ),
        )
        for key, name, colour, value in lines:
            series = QLineSeries()
            series.setName(name)
            series.setColor(QColor(colour))
            series.setPointsVisible(True)
            for n, (_, counts) in enumerate(trend):
                figure = value(counts)
                highest = max(highest, figure)
                series.append(float(n), float(figure))
            chart.addSeries(series)
            series.attachAxis(x_axis)
            series.attachAxis(y_axis)
            self.trend_series[key] = series
        y_axis.setRange(0, max(highest, 4))
        y_axis.applyNiceNumbers()

    def _horizontal_bars(
        self,
        chart: QChart,
        set_name: str,
        colour: str,
        rows: list[tuple[str, float]],
        *,
        percent_axis: bool,
    ) -> tuple[QBarSet, QBarCategoryAxis]:
        """Bars of ``rows``, the first at the top.

        A horizontal bar chart draws its first category at the bottom (and a category axis
        cannot be reversed), so the bar set and the axis hold the rows from the last to the first.
        """
        self._clear(chart)
        rows = rows[::-1]
        bar_set = QBarSet(set_name)
        bar_set.setColor(QColor(colour))
        bar_set.setLabelColor(self.palette().color(QPalette.ColorRole.Text))
        for _, value in rows:
            bar_set.append(value)
        series = QHorizontalBarSeries()
        series.append(bar_set)
        series.setLabelsVisible(True)
        series.setLabelsPosition(QHorizontalBarSeries.LabelsPosition.LabelsOutsideEnd)
        series.setLabelsFormat("@value%" if percent_axis else "@value")
        series.setBarWidth(0.7)
        chart.addSeries(series)
        categories = QBarCategoryAxis()
        categories.append([label for label, _ in rows])
        categories.setLabelsFont(self._axis_font())
        values = QValueAxis()
        values.setLabelsFont(self._axis_font())
        if percent_axis:
            values.setRange(0, 100)
            values.setLabelFormat("%d%%")
            values.setTickCount(6)
        else:
            values.setLabelFormat("%d")
            # Room for the labels beyond the longest bar.
            values.setRange(0, max((v for _, v in rows), default=0.0) * 1.15 + 1)
            values.applyNiceNumbers()
        chart.addAxis(categories, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(values, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(categories)
        series.attachAxis(values)
        chart.legend().hide()
        return bar_set, categories

    def _show_departments(self, data: DashboardData) -> None:
        # The bulletin's ranking (one function, so the two agree); the chart has a bar for each
        # ranked department — those with nothing due have no rate to draw.
        ranking = rank_departments(data.indicators.by_department, data.department_names)
        rows = [
            (r.name, round((r.counts.on_time_rate or 0.0) * 100, 1))
            for r in ranking
            if r.rank is not None
        ]
        self.department_set, self.department_axis = self._horizontal_bars(
            self.department_chart, self.tr("On-time rate"), ON_TIME_COLOUR, rows, percent_axis=True
        )
        # Every department gets room; the page scrolls when there are many.
        self.department_view.setMinimumHeight(max(260, 90 + 24 * len(rows)))

    def _show_categories(self, data: DashboardData) -> None:
        rows = []
        for code, count in top_categories(data.indicators.by_category):
            category = self._taxonomy.matter(code)
            label = f"{code} {category.display_name(self._language)}" if category else code
            rows.append((label, float(count)))
        self.category_set, self.category_axis = self._horizontal_bars(
            self.category_chart, self.tr("Received"), CATEGORY_COLOUR, rows, percent_axis=False
        )

    @staticmethod
    def _bars(bar_set: QBarSet | None, axis: QBarCategoryAxis | None) -> list[tuple[str, float]]:
        if bar_set is None or axis is None:
            return []
        labels = axis.categories()
        shown = [(labels[i], bar_set.at(i)) for i in range(min(bar_set.count(), len(labels)))]
        return shown[::-1]

    def department_bars(self) -> list[tuple[str, float]]:
        """The department chart as drawn, top to bottom: ``(name, on-time rate in %)``."""
        return self._bars(self.department_set, self.department_axis)

    def category_bars(self) -> list[tuple[str, float]]:
        """The category chart as drawn, top to bottom: ``(code and name, reports)``."""
        return self._bars(self.category_set, self.category_axis)

    # -- the period -----------------------------------------------------------------------

    def period_kind(self) -> str:
        return str(self.period_combo.currentData())

    def set_period_kind(self, kind: str) -> None:
        """Choose a period of the chooser (a :class:`PeriodKind`); it loads at once."""
        index = self.period_combo.findData(kind)
        if index < 0:
            raise ValueError(f"unknown period: {kind}")
        self.period_combo.setCurrentIndex(index)

    def set_custom_range(self, first: date, last: date) -> None:
        """Choose a custom range of days (both included); it loads at once."""
        for edit, day in ((self.from_edit, first), (self.to_edit, last)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)
        if self.period_kind() != PeriodKind.CUSTOM:
            self.set_period_kind(PeriodKind.CUSTOM)  # loads
        else:
            self.refresh()

    def current_period(self) -> Period:
        """The period the chooser shows now, in the city's time zone."""
        kind = self.period_kind()
        if kind == PeriodKind.CUSTOM:
            return day_range(python_date(self.from_edit.date()), python_date(self.to_edit.date()))
        return preset_period(kind, self._clock())

    def _show_preset_dates(self) -> None:
        custom = self.period_kind() == PeriodKind.CUSTOM
        for edit in (self.from_edit, self.to_edit):
            edit.setEnabled(custom)
        if custom:
            return
        period = self.current_period()
        first = period.start.astimezone(CITY_TZ).date()
        last = (period.end - timedelta(microseconds=1)).astimezone(CITY_TZ).date()
        for edit, day in ((self.from_edit, first), (self.to_edit, last)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    @Slot()
    def _period_kind_changed(self) -> None:
        self._show_preset_dates()
        self._date_timer.stop()
        self.refresh()

    @Slot()
    def _date_changed(self) -> None:
        if self.period_kind() == PeriodKind.CUSTOM:
            self._date_timer.start()

    @Slot()
    def _request_bulletin(self) -> None:
        self.bulletin_requested.emit(self.current_period())

    # -- loading --------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            if self.data is None and not self.is_busy():
                self.refresh()
        elif self._stale and self.data is not None:
            self._stale = False
            self.refresh()

    def _store_changed(self, changes: Changes) -> None:
        """Compute the figures again after a write that moves them (:func:`workflow_changed`):
        at once when they are on screen, else the next time they are shown, so they are
        computed when looked at and not at every save."""
        if not workflow_changed(changes):
            return
        if self.isVisible() and self.data is not None:
            self.refresh()
        else:
            self._stale = True

    def is_busy(self) -> bool:
        return self._ops.busy

    @Slot()
    def refresh(self) -> None:
        """Compute the indicators of the chosen period again (in the database lane)."""
        self._date_timer.stop()
        self._stale = False
        period = self.current_period()
        now = self._clock()
        loader = self._loader
        self.status_label.setText(self.tr("Computing…"))
        self._ops.run(
            lambda: loader(period, now),
            lambda data: self._show(data, now),
            key="figures",
            on_error=self._failed,
            busy=True,
        )

    def _show_busy(self, busy: bool) -> None:
        self.busy_bar.setVisible(busy)
        self.refresh_button.setEnabled(not busy)

    def _show(self, data: DashboardData, now: datetime) -> None:
        self.data = data
        self.error_label.hide()
        self._show_tiles(data.indicators.total)
        self.tiles["missed_rounds"].set_value(
            self.tr("%1 of %2")
            .replace("%1", str(data.rounds.missed))
            .replace("%2", str(data.rounds.due))
        )
        if data.loop is not None:
            self.loop_section.show_loop(data.loop, data.department_names)
        self._show_trend(data.trend)
        self._show_departments(data)
        self._show_categories(data)
        self._show_table(data)
        start = data.period.start.astimezone(CITY_TZ).date()
        last = (data.period.end - timedelta(microseconds=1)).astimezone(CITY_TZ).date()
        taken_at = cutoff(data.period, now).astimezone(CITY_TZ)
        self.status_label.setText(
            self.tr("%1 to %2, as of %3")
            .replace("%1", start.isoformat())
            .replace("%2", last.isoformat())
            .replace("%3", taken_at.strftime("%Y-%m-%d %H:%M"))
        )
        self.loaded.emit(data)

    def _failed(self, exc: BaseException) -> None:
        text = error_text(exc, self._language)
        self.error_label.setText(
            self.tr("The indicators could not be computed: %1").replace("%1", text or repr(exc))
        )
        self.error_label.show()
        self.status_label.setText("")

    def _show_tiles(self, total: Counts) -> None:
        self.tiles["reports"].set_value(str(total.reports))
        self.tiles["accepted"].set_value(str(total.accepted))
        self.tiles["registered"].set_value(str(total.registered))
        self.tiles["closed"].set_value(str(total.closed))
        self.tiles["closure_rate"].set_value(rate_text(total.closure_rate))
        self.tiles["on_time_rate"].set_value(rate_text(total.on_time_rate))
        self.tiles["rework_rate"].set_value(rate_text(total.rework_rate))
        self.tiles["valid_report_rate"].set_value(rate_text(total.valid_report_rate))
        self.tiles["overdue"].set_value(str(total.overdue))
        hours = total.mean_handling_hours
        self.tiles["mean_handling"].set_value(
            NO_VALUE if hours is None else self.tr("%1 h").replace("%1", f"{hours:.1f}")
        )

    def _show_table(self, data: DashboardData) -> None:
        rows: list[tuple[str, Counts]] = []
        for dept_id, counts in data.indicators.by_department.items():
            if dept_id is None:
                # Cases never dispatched: shown only when something of them is in the table.
                if not (counts.closed or counts.due_to_handle or counts.handled):
                    continue
                name = data.department_names.get(None) or self.tr("Not dispatched")
            else:
                name = data.department_names.get(dept_id, dept_id)
            rows.append((name, counts))
        rows.sort(key=lambda r: r[0])
        self.department_model.set_rows(rows)
