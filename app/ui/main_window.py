"""The main window: the case list with search and a status filter, and an empty state."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QTableView,
    QToolBar,
    QWidget,
)

from app.domain.errors import CityPatrolError
from app.domain.lifecycle import STATUS_NAMES, CaseStatus
from app.domain.taxonomy import Taxonomy
from app.storage import CaseQuery, LocalStore
from app.storage.store import Account
from app.ui.case_model import CaseTableModel
from app.ui.tasks import TaskRunner

ROW_HEIGHT = 26
SEARCH_DELAY_MS = 250


class MainWindow(QMainWindow):
    def __init__(
        self, store: LocalStore, tasks: TaskRunner, taxonomy: Taxonomy, language: str
    ) -> None:
        super().__init__()
        self._language = language
        self._tasks = tasks
        self.setWindowTitle(self.tr("CityPatrol"))
        self.resize(1200, 720)

        self.model = CaseTableModel(store, tasks, taxonomy, language)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        vertical = self.table.verticalHeader()
        # Fixed row heights: the view never measures rows, so 100,000 cases open instantly.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(ROW_HEIGHT)
        vertical.hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        for column, width in enumerate((110, 200, 380, 220, 130, 60, 90)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)

        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty_label)
        self.setCentralWidget(self.stack)

        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search description or address…"))
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(360)
        self.status_filter = QComboBox()
        self.status_filter.addItem(self.tr("All statuses"), None)
        for status in CaseStatus:
            self.status_filter.addItem(STATUS_NAMES[status].text(language), status.value)
        toolbar = QToolBar(self.tr("Search"))
        toolbar.setObjectName("search_toolbar")
        toolbar.setMovable(False)
        toolbar.addWidget(QLabel(self.tr("Search:") + " "))
        toolbar.addWidget(self.search)
        toolbar.addSeparator()
        toolbar.addWidget(self.status_filter)
        spacer = QWidget()
        toolbar.addWidget(spacer)
        self.addToolBar(toolbar)

        self.account_label = QLabel()
        self.count_label = QLabel()
        self.statusBar().addPermanentWidget(self.account_label)
        self.statusBar().addPermanentWidget(self.count_label)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(self._search_timer.start)
        self.status_filter.currentIndexChanged.connect(self.apply_filters)
        self.model.loaded.connect(self._on_loaded)
        tasks.error.connect(self._on_error)
        self._build_menu()
        self.model.reload()
        tasks.run_db(store.account, self._show_account)

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        find = QAction(self.tr("&Find"), self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(lambda: self.search.setFocus(Qt.FocusReason.ShortcutFocusReason))
        file_menu.addAction(find)
        refresh = QAction(self.tr("&Refresh"), self)
        refresh.setShortcut(QKeySequence.StandardKey.Refresh)
        refresh.triggered.connect(self.model.reload)
        file_menu.addAction(refresh)
        file_menu.addSeparator()
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

    def current_query(self) -> CaseQuery:
        status = self.status_filter.currentData()
        return CaseQuery(
            text=self.search.text(),
            statuses=frozenset({CaseStatus(status)}) if status else frozenset(),
        )

    def apply_filters(self) -> None:
        self.model.set_query(self.current_query())

    def _on_loaded(self, count: int) -> None:
        filtered = bool(self.search.text().strip() or self.status_filter.currentData())
        if count:
            self.stack.setCurrentWidget(self.table)
        elif filtered:
            self.empty_label.setText(self.tr("No cases match the search."))
            self.stack.setCurrentWidget(self.empty_label)
        else:
            self.empty_label.setText(
                self.tr(
                    "No cases yet.\nThe cases you record on patrol will be listed here, even without a network."
                )
            )
            self.stack.setCurrentWidget(self.empty_label)
        self.count_label.setText(self.tr("%n case(s)", "", count))

    def _show_account(self, account: Account | None) -> None:
        if account is None:
            self.account_label.setText(self.tr("Not signed in — working offline"))
            return
        name = f"{account.display_name} ({account.username})"
        self.account_label.setText(
            self.tr("Signed in as %1 — %2").replace("%1", name).replace("%2", account.server_url)
        )

    def _on_error(self, exc: BaseException) -> None:
        if isinstance(exc, CityPatrolError):
            text = exc.text(self._language)
        else:
            text = self.tr("Unexpected error: %1").replace("%1", str(exc))
        self.statusBar().showMessage(text, 10_000)
        QMessageBox.warning(self, self.tr("CityPatrol"), text)
