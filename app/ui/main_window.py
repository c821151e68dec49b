"""The main window: the case list with search and a status filter, and an empty state.

For a supervisor's account (known once ``store.account()`` is read) it also holds the
supervisor's workspace (app.ui.supervisor): the Review and Deadlines pages and the dashboard,
and an existing case opens in its history with the supervisor's actions instead of the editor.

The pages are listed by group down the left (app.ui.navigation): one method adds a page,
:meth:`MainWindow._add_page`, with its place in the View menu and its shortcut.

Nothing here reloads everything after a write. Each write announces what it changed on the
store's events (app.ui.events), and every view follows them itself — the case list, the inbox,
the supervisor's panels, the dashboard and the open case histories — each refreshing only when
the change concerns it. View → Refresh (:meth:`MainWindow.reload_all`) is the one full reload,
on the user's request.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QTableView,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.capture.tracks import TrackState
from app.domain.indicators import Period
from app.domain.lifecycle import STATUS_NAMES, CaseStatus, Role
from app.domain.taxonomy import Taxonomy
from app.logs import log_folder
from app.storage import CaseQuery, LocalStore
from app.storage.states import DeliveryState
from app.storage.store import Account, Changes
from app.ui.basemap_settings import BasemapSettings
from app.ui.case_model import CaseTableModel
from app.ui.common.text import unexpected_error_text
from app.ui.events import EVERYTHING, StoreEvents
from app.ui.export_dialog import BulletinDialog, ExportDialog
from app.ui.handler import HandlerPanel
from app.ui.help_menu import HelpActions, app_icon
from app.ui.inbox import InboxWidget
from app.ui.ledger_dialog import LedgerDialog
from app.ui.map_tab import MapPanel
from app.ui.navigation import NavGroup, Navigator
from app.ui.operations import Lane, Operations
from app.ui.patrol import GpsFeed, GpsSource, PatrolController, PatrolLabel
from app.ui.reinspection import ReinspectionDialog
from app.ui.rounds import RoundsPanel
from app.ui.settings import Settings, SettingsDialog
from app.ui.sign_in import SessionBanner, SignInDialog
from app.ui.supervisor import (
    AssignmentsPanel,
    CaseDetailDialog,
    RequestsPanel,
    ReviewPanel,
    SupervisorMapPanel,
)
from app.ui.supervisor.coverage import CoveragePanel
from app.ui.sync_controller import SyncController
from app.ui.sync_status import SyncStatusWidget
from app.ui.tasks import TaskRunner
from app.ui.updates import UpdateNotifier

if TYPE_CHECKING:
    from app.sync.session import SignOut
    from app.ui.inspections.checklists_tab import ChecklistsPanel

log = logging.getLogger(__name__)

ROW_HEIGHT = 26
SEARCH_DELAY_MS = 250
# How long after the case list has its first rows the hidden Map tab starts reading its cases.
MAP_PREFETCH_MS = 500


#: (days back, label) of the date filter; None = any time.
DATE_RANGES = (None, 0, 7, 30)
DELIVERY_FILTERS: tuple[frozenset[str], ...] = (
    frozenset(),
    frozenset({DeliveryState.PENDING, DeliveryState.SENDING}),
    frozenset({DeliveryState.CONFIRMED}),
    frozenset({DeliveryState.FAILED}),
    frozenset({DeliveryState.CONFLICT}),
)


class MainWindow(QMainWindow):
    sync: SyncController

    def __init__(
        self,
        store: LocalStore,
        tasks: TaskRunner,
        taxonomy: Taxonomy,
        language: str,
        settings: Settings | None = None,
        *,
        autosync: bool = True,
    ) -> None:
        super().__init__()
        self._language = language
        self._tasks = tasks
        self._store = store
        self._taxonomy = taxonomy
        self._ops = Operations(self, tasks, language)
        self.events = StoreEvents.of(store)
        # Without settings given (tests, the screenshot tool): the data folder's own file, so
        # the user's real settings are never touched.
        self.settings = settings or Settings.from_file(Path(store.data_dir) / "settings.ini")
        self.setWindowTitle(self.tr("CityPatrol"))
        self.setWindowIcon(app_icon())
        self.resize(1280, 760)
        self._editors: list[QWidget] = []
        self.last_error = ""
        # The supervisor's workspace: built when the signed-in account is a supervisor
        # (see _enable_supervisor); None for an inspector.
        self.review: ReviewPanel | None = None
        self.deadlines: AssignmentsPanel | None = None
        self.supervisor_map: SupervisorMapPanel | None = None
        #: The Coverage tab (app.ui.supervisor.coverage.CoveragePanel), for supervisors.
        self.coverage: CoveragePanel | None = None
        #: The dashboard tab (app.ui.dashboard.DashboardWidget), added for supervisors by
        #: _add_dashboard(); None until then.
        self.dashboard: QWidget | None = None
        #: Departments in the loop (issue 15): a supervisor's requests queue, a handler's tasks.
        self.requests: RequestsPanel | None = None
        self.handler: HandlerPanel | None = None
        # An admin's checklist templates (app.ui.inspections.checklists_tab.ChecklistsPanel).
        self.checklists: ChecklistsPanel | None = None
        #: The open case histories (one per case). They delete themselves on close, so the
        #: list is pruned of deleted windows before use: window tracking, not result checks.
        self.case_details: list[CaseDetailDialog] = []

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
        # The description and the address share what is left (on a 1024-px screen too).
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)

        self.table.doubleClicked.connect(self._open_index)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._case_menu)

        self.empty_label = QLabel()
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.empty_label)
        self.stack.setFocusProxy(self.table)

        self.inbox = InboxWidget(store, tasks, language)
        self.inbox.open_case.connect(self.open_case)
        self.inbox.reinspect.connect(self.reinspect)
        self.inbox.counts_changed.connect(self._show_inbox_counts)
        #: The pages by group (app.ui.navigation), each also in the View menu.
        self.nav = Navigator()
        self.view_menu = QMenu(self.tr("&View"), self)
        self.view_menu.addAction(
            self._action(self.tr("&Refresh"), QKeySequence.StandardKey.Refresh, self.reload_all)
        )
        self.view_menu.addSeparator()
        self._pages_end = self.view_menu.addSeparator()
        self._page_actions: dict[int, QAction] = {}  # id(page) → its View-menu action
        for text, shortcut, offset in (
            (self.tr("&Next page"), ("Ctrl+PgDown", "Ctrl+Tab"), 1),
            (self.tr("Pre&vious page"), ("Ctrl+PgUp", "Ctrl+Shift+Tab"), -1),
        ):
            action = self._action(text, None, lambda _=False, o=offset: self.nav.step(o))
            action.setShortcuts([QKeySequence(key) for key in shortcut])
            self.view_menu.addAction(action)
        self._add_page(NavGroup.PATROL, self.stack, self.tr("Cases"), "Ctrl+1")
        self._add_page(NavGroup.PATROL, self.inbox, self.tr("Tasks"), "Ctrl+2")

        self.banner = SessionBanner()
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.banner)
        layout.addWidget(self.nav, 1)
        self.setCentralWidget(central)

        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search description or address…"))
        self.search.setClearButtonEnabled(True)
        self.search.setMaximumWidth(360)
        self.search.setMinimumWidth(180)
        self.status_filter = QComboBox()
        self.status_filter.addItem(self.tr("All statuses"), None)
        for status in CaseStatus:
            self.status_filter.addItem(STATUS_NAMES[status].text(language), status.value)
        self.category_filter = QComboBox()
        self.category_filter.addItem(self.tr("All categories"), None)
        zh = language.startswith("zh")
        for major, name, name_en in taxonomy.major_classes():
            self.category_filter.addItem(name if zh or not name_en else name_en, major)
        self.date_filter = QComboBox()
        for days, label in zip(
            DATE_RANGES,
            (
                self.tr("Any time"),
                self.tr("Today"),
                self.tr("Last 7 days"),
                self.tr("Last 30 days"),
            ),
            strict=True,
        ):
            self.date_filter.addItem(label, days)
        self.delivery_filter = QComboBox()
        for index, label in enumerate(
            (
                self.tr("Any delivery"),
                self.tr("Not yet delivered"),
                self.tr("Confirmed"),
                self.tr("Refused"),
                self.tr("Conflict"),
            )
        ):
            self.delivery_filter.addItem(label, index)

        self.sort_order = QComboBox()
        for key, label in (
            ("newest", self.tr("Newest first")),
            ("oldest", self.tr("Oldest first")),
            ("updated", self.tr("Recently changed")),
        ):
            self.sort_order.addItem(label, key)

        self._build_actions()
        toolbar = QToolBar(self.tr("Main"))
        toolbar.setObjectName("main_toolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.new_action)
        toolbar.addAction(self.sync_action)
        toolbar.addAction(self.patrol_action)
        toolbar.addSeparator()
        toolbar.addWidget(self.search)
        for combo in (
            self.status_filter,
            self.category_filter,
            self.date_filter,
            self.delivery_filter,
            self.sort_order,
        ):
            # As wide as the "All …" choice, not the longest (a category's name), so the bar
            # fits a 1024-px screen; the list that opens shows every choice in full.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(1)
            combo.setMinimumWidth(combo.fontMetrics().horizontalAdvance(combo.itemText(0)) + 40)
            combo.view().setMinimumWidth(combo.view().sizeHintForColumn(0) + 24)
            toolbar.addWidget(combo)
            combo.currentIndexChanged.connect(self.apply_filters)
        self.addToolBar(toolbar)

        self.gps = GpsFeed(tasks, self)
        self.patrol = PatrolController(store, tasks, self.gps, self)
        # Key-site rounds (重点部位): in the Tasks tab, checked at the receiver's position.
        self.rounds = RoundsPanel(store, tasks, language, lambda: self.gps.last_fix)
        self.inbox.add_section(self.rounds)
        self.sync_status = SyncStatusWidget(language)
        self.patrol_label = PatrolLabel(self.patrol)
        self.account_label = QLabel()
        self.count_label = QLabel()
        self.statusBar().addWidget(self.sync_status, 1)
        self.statusBar().addPermanentWidget(self.patrol_label)
        self.statusBar().addPermanentWidget(self.account_label)
        self.statusBar().addPermanentWidget(self.count_label)
        self.patrol.changed.connect(self._show_patrol_state)
        self.patrol.error.connect(self._on_error)
        self.gps.failed.connect(self._on_error)
        self.map_panel = MapPanel(
            store,
            tasks,
            language,
            query=self.current_query,
            patrol=self.patrol,
            gps=self.gps,
            prefetch=False,  # after the list's first screen (see _prefetch_map)
        )
        self.model.loaded.connect(self._prefetch_map)
        self.map_panel.open_case.connect(self.open_case)
        # The case selected in the list is the one highlighted on the map.
        self.table.selectionModel().currentRowChanged.connect(
            lambda *_: self.map_panel.select_case(self.selected_case_id())
        )
        self._add_page(NavGroup.PATROL, self.map_panel, self.tr("Map"), "Ctrl+6")
        # Scored inspections (督导检查, issue 18): the 督导检查组 records them here.
        from app.ui.inspections.panel import InspectionsPanel

        self.inspections = InspectionsPanel(
            store, tasks, language, current_fix=lambda: self.gps.last_fix
        )
        self.inspections.case_created.connect(self.open_case)
        self._add_page(NavGroup.PATROL, self.inspections, self.tr("Inspections"), "Ctrl+7")

        self.sync = SyncController(store, tasks, self.settings, self, autostart=autosync)
        self.sync_status.bind(self.sync)
        self.banner.bind(self.sync)
        self.banner.sign_in_requested.connect(self.sign_in)
        if not autosync:
            self.sync.refresh_summary()  # what waits, even when nothing syncs by itself

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(self._search_timer.start)
        self.model.loaded.connect(self._on_loaded)
        tasks.error.connect(self._on_error)
        self._build_menu()
        self.model.reload()  # the inbox reads itself when it is made
        self._ops.run(store.account, self._show_account)
        self._start_gps()

    def _action(
        self,
        text: str,
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None,
        slot: object,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        self.new_action = self._action(
            self.tr("&New case"), QKeySequence.StandardKey.New, self.new_case
        )
        self.sync_action = self._action(
            self.tr("&Sync now"),
            "Ctrl+R",
            lambda: self.sync.sync_now(),  # noqa: PLW0108 - built before self.sync
        )
        self.patrol_action = self._action(self.tr("Start &patrol"), "Ctrl+P", self.toggle_patrol)
        self.pause_action = self._action(self.tr("P&ause patrol"), None, self.toggle_pause)
        self.pause_action.setEnabled(False)
        self.open_action = self._action(self.tr("&Open case"), "Return", self.open_selected)
        self.ledger_action = self._action(self.tr("&Delivery ledger…"), "Ctrl+L", self.show_ledger)

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        file_menu.addAction(self.new_action)
        file_menu.addAction(self.open_action)
        file_menu.addSeparator()
        file_menu.addAction(self._action(self.tr("&Export cases…"), "Ctrl+E", self.export_cases))
        file_menu.addSeparator()
        file_menu.addAction(self._action(self.tr("Sign &in…"), None, self.sign_in))
        self.sign_out_action = self._action(self.tr("Sign &out"), None, self.sign_out)
        file_menu.addAction(self.sign_out_action)
        file_menu.addAction(
            self._action(
                self.tr("Se&ttings…"), QKeySequence.StandardKey.Preferences, self.edit_settings
            )
        )
        file_menu.addSeparator()
        file_menu.addAction(
            self._action(self.tr("&Quit"), QKeySequence.StandardKey.Quit, self.close)
        )
        edit_menu = self.menuBar().addMenu(self.tr("&Edit"))
        edit_menu.addAction(
            self._action(
                self.tr("&Find"),
                QKeySequence.StandardKey.Find,
                lambda: self.search.setFocus(Qt.FocusReason.ShortcutFocusReason),
            )
        )
        self.menuBar().addMenu(self.view_menu)
        sync_menu = self.menuBar().addMenu(self.tr("S&ync"))
        sync_menu.addAction(self.sync_action)
        sync_menu.addAction(self.ledger_action)
        patrol_menu = self.menuBar().addMenu(self.tr("&Patrol"))
        patrol_menu.addAction(self.patrol_action)
        patrol_menu.addAction(self.pause_action)
        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self.log_folder_action = self._action(
            self.tr("Open &log folder"), None, self.open_log_folder
        )
        help_menu.addAction(self.log_folder_action)
        self.help = HelpActions(self, self._store, self._ops)
        self.help.add_to(help_menu)
        self.updates = UpdateNotifier(self, self._store, self._ops, self._language)
        self.updates.install(self.statusBar(), help_menu, self.sync)

    # -- pages ----------------------------------------------------------------------------

    @property
    def tabs(self) -> Navigator:
        """The navigator by its former name: it answers the part of QTabWidget's API that
        code and tests use (setCurrentWidget, currentWidget, indexOf, tabText…)."""
        return self.nav

    def _add_page(
        self, group: NavGroup, page: QWidget, title: str, shortcut: str | None = None
    ) -> QAction:
        """The one way to add a page: listed under ``group`` as ``title``, and in the View
        menu (in the navigation's order) with ``shortcut`` if given. Returns its menu action."""
        self.nav.add_page(group, page, title)
        taken = {a.shortcut().toString() for a in self._page_actions.values()}
        if shortcut is not None and QKeySequence(shortcut).toString() in taken:
            shortcut = None  # (a second role's page on the same key) an ambiguous key does nothing
        action = self._action(title, shortcut, lambda: self.show_page(page))
        self._page_actions[id(page)] = action
        for _text, listed in self.nav.listed():  # the View menu in the navigation's order
            if listed is not None:
                self.view_menu.removeAction(self._page_actions[id(listed)])
                self.view_menu.insertAction(self._pages_end, self._page_actions[id(listed)])
        return action

    def show_page(self, page: QWidget) -> None:
        """Show ``page`` and give the keyboard focus to where it last was on the page (else
        to the page's first control; with none shown, to the navigation)."""
        self.nav.setCurrentWidget(page)
        target = page.focusWidget()  # where the focus last was on the page
        if target is not None and not page.isAncestorOf(target):
            target = None
        if target is None and page.focusProxy() is None and not page.focusPolicy():
            target = page.nextInFocusChain()
            while target is not page and not (
                page.isAncestorOf(target)
                and target.isVisible()
                and target.focusPolicy() & Qt.FocusPolicy.TabFocus
            ):
                target = target.nextInFocusChain()
        (target or page).setFocus(Qt.FocusReason.ShortcutFocusReason)
        focused = QApplication.focusWidget()
        if focused is None or not (focused is page or page.isAncestorOf(focused)):
            self.nav.list.setFocus(Qt.FocusReason.ShortcutFocusReason)  # nothing to focus

    def _set_page_title(self, page: QWidget | None, title: str) -> None:
        """A page's title (its counts) in the navigation; the View menu keeps the plain name."""
        if page is not None:
            self.nav.set_title(page, title)

    def current_query(self) -> CaseQuery:
        status = self.status_filter.currentData()
        major = self.category_filter.currentData()
        days = self.date_filter.currentData()
        created_from = None
        if days is not None:
            today = datetime.now().astimezone().replace(hour=0, minute=0, second=0, microsecond=0)
            created_from = (today - timedelta(days=days)).astimezone(UTC)
        return CaseQuery(
            text=self.search.text(),
            statuses=frozenset({CaseStatus(status)}) if status else frozenset(),
            categories=frozenset(c.code for c in self._taxonomy.matters if c.major_code == major)
            if major
            else frozenset(),
            created_from=created_from,
            deliveries=DELIVERY_FILTERS[self.delivery_filter.currentIndex()],
            order=str(self.sort_order.currentData() or "newest"),
        )

    def _filtered(self) -> bool:
        return bool(self.search.text().strip()) or any(
            combo.currentIndex() > 0
            for combo in (
                self.status_filter,
                self.category_filter,
                self.date_filter,
                self.delivery_filter,
            )
        )

    # -- cases ----------------------------------------------------------------------------

    def reload_all(self) -> None:
        """View → Refresh: read everything this window shows again (the user asked); every
        view follows the store's events, so "everything changed" reaches them all."""
        self.events.announce(EVERYTHING)

    def selected_case_id(self) -> str | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        row = self.model.case_at(index.row())
        return row.id if row is not None else None

    def _open_index(self, index: QModelIndex) -> None:
        row = self.model.case_at(index.row())
        if row is not None:
            self.open_case(row.id)

    def open_selected(self) -> None:
        current = self.nav.currentWidget()
        if current is self.inbox:
            return  # the inbox handles Enter itself
        if current is not None and current is self.review:
            self.review.open_current()
            return
        if current is not None and current is self.deadlines:
            self.deadlines.open_current()
            return
        if current is not self.stack:
            return
        case_id = self.selected_case_id()
        if case_id is not None:
            self.open_case(case_id)

    def new_case(self) -> None:
        self.open_case(None)

    def open_case(self, case_id: str | None) -> None:
        """A case in the editor (an inspector's case, or a new one); for a supervisor an
        existing case opens in its history (:class:`CaseDetailDialog`)."""
        if case_id is not None and self.is_supervisor():
            self.open_case_detail(case_id)
            return
        from app.ui.case_editor import CaseEditor

        editor = CaseEditor(
            self._store, self._tasks, self._taxonomy, self._language, case_id, parent=self
        )
        editor.setWindowFlag(Qt.WindowType.Window, True)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        editor.saved.connect(self._case_saved)
        editor.submitted.connect(self._case_saved)
        editor.destroyed.connect(
            lambda: self._editors.remove(editor) if editor in self._editors else None
        )
        self._editors.append(editor)
        if self.gps.last_fix is not None and hasattr(editor, "set_current_fix"):
            editor.set_current_fix(self.gps.last_fix)
        if hasattr(editor, "set_current_fix"):
            self.gps.fix.connect(editor.set_current_fix)
        editor.resize(980, 680)
        editor.show()

    def _case_saved(self, _case_id: str) -> None:
        # The views follow the store's events; what is left is to send it soon.
        self.sync.sync_soon()

    def reinspect(self, case_id: str) -> None:
        dialog = ReinspectionDialog(self._store, self._tasks, self._language, case_id, self)
        dialog.recorded.connect(lambda _changes: self._case_saved(case_id))
        dialog.open()

    def show_ledger(self) -> None:
        case_id = self.selected_case_id()
        if case_id is None:
            return
        # A resolved conflict is announced by the dialog's write (the row, the summary).
        dialog = LedgerDialog(self._store, self._tasks, case_id, self._language, self)
        dialog.open()

    def _case_menu(self, pos: QPoint) -> None:
        if self.selected_case_id() is None:
            return
        menu = QMenu(self)
        menu.addAction(self.open_action)
        menu.addAction(self.ledger_action)
        menu.addAction(self.tr("Show on &map"), self.show_on_map)
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def show_on_map(self) -> None:
        """The selected case on the Map tab, zoomed in and highlighted."""
        case_id = self.selected_case_id()
        if case_id is not None:
            self.nav.setCurrentWidget(self.map_panel)
            self.map_panel.show_case(case_id)

    def _show_inbox_counts(self, returned: int, reinspections: int) -> None:
        total = returned + reinspections
        self._set_page_title(
            self.inbox,
            self.tr("Tasks (%1)").replace("%1", str(total)) if total else self.tr("Tasks"),
        )

    # -- the supervisor's workspace ----------------------------------------------------------

    def is_supervisor(self) -> bool:
        return self.review is not None

    def _enable_supervisor(self) -> None:
        """Add the office's pages (review, requests, deadlines, the office map) and the
        analysis pages (dashboard, coverage, assessment) once, for a supervisor."""
        if self.review is not None:
            return
        store, tasks, language = self._store, self._tasks, self._language
        self.review = ReviewPanel(store, tasks, language)
        self.review.decided.connect(self._decided)
        self.review.open_case.connect(self.open_case_detail)
        self.review.count_changed.connect(self._show_review_count)
        self.deadlines = AssignmentsPanel(store, tasks, language)
        self.deadlines.open_case.connect(self.open_case_detail)
        self.deadlines.counts_changed.connect(self._show_deadline_counts)
        # The departments' requests to answer (issue 15).
        self.requests = RequestsPanel(store, tasks, language)
        self.requests.decided.connect(self._decided)
        self.requests.open_case.connect(self.open_case_detail)
        self.requests.count_changed.connect(self._show_request_count)
        # The office's map: by traffic light, the review filters, density (issue 13).
        self.supervisor_map = SupervisorMapPanel(store, tasks, language)
        self.supervisor_map.open_case.connect(self.open_case_detail)
        office = NavGroup.OFFICE
        self._add_page(office, self.review, self.tr("Review"), "Ctrl+3")
        self._add_page(office, self.requests, self.tr("Requests"), "Ctrl+8")
        self._add_page(office, self.deadlines, self.tr("Deadlines"), "Ctrl+4")
        self._add_page(office, self.supervisor_map, self.tr("Office map"), "Ctrl+9")
        self._add_dashboard()
        # Patrol coverage: distance, time, cells visited, blind spots (issue 14).
        self.coverage = CoveragePanel(store, tasks, language)
        self._add_page(NavGroup.ANALYSIS, self.coverage, self.tr("Coverage"), "Ctrl+0")
        from app.ui.inspections.scores import AssessmentPanel

        self.assessment = AssessmentPanel(store, tasks, language)
        self._add_page(NavGroup.ANALYSIS, self.assessment, self.tr("Assessment"), "Ctrl+Shift+A")
        self.nav.setCurrentWidget(self.review)
        self.review.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- departments in the loop (issue 15) ---------------------------------------------------

    def _enable_handler(self) -> None:
        """Add the department's task list once, for a handler, and show it first."""
        if self.handler is not None:
            return
        self.handler = HandlerPanel(self._store, self._tasks, self._language)
        self.handler.acted.connect(self._decided)
        self.handler.open_case.connect(self.open_case_detail)
        self.handler.counts_changed.connect(self._show_handler_counts)
        # Ctrl+3 like a supervisor's Review: the account's queue of work.
        self._add_page(NavGroup.DEPARTMENT, self.handler, self.tr("Department tasks"), "Ctrl+3")
        # A department reports no cases and walks no patrols: the server would refuse them.
        self.new_action.setEnabled(False)
        self.patrol_action.setEnabled(False)
        self.nav.setCurrentWidget(self.handler)
        self.handler.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_handler_counts(self, open_count: int, unsigned: int) -> None:
        title = self.tr("Department tasks")
        if unsigned:
            title = self.tr("Department tasks (%1 to sign for)").replace("%1", str(unsigned))
        elif open_count:
            title = self.tr("Department tasks (%1)").replace("%1", str(open_count))
        self._set_page_title(self.handler, title)

    def _show_request_count(self, count: int) -> None:
        title = self.tr("Requests (%1)").replace("%1", str(count)) if count else self.tr("Requests")
        self._set_page_title(self.requests, title)

    def export_cases(self) -> ExportDialog:
        """Export every case (CSV, GeoJSON, GeoPackage) with progress, in the background."""
        dialog = ExportDialog(self._store, self._tasks, self._language, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.show()
        return dialog

    def write_bulletin(self, period: Period) -> BulletinDialog:
        """The periodic bulletin (定期通报) of ``period`` as a PDF."""
        dialog = BulletinDialog(self._store, self._tasks, period, self._language, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.show()
        return dialog

    def _add_dashboard(self) -> None:
        """The performance dashboard page (app.ui.dashboard): "Bulletin PDF…" and "Export…"
        open the bulletin and export dialogs (app.ui.export_dialog)."""
        from app.ui.dashboard import DashboardWidget

        self.dashboard = DashboardWidget(self._store, self._tasks, self._language)
        self.dashboard.bulletin_requested.connect(self.write_bulletin)
        self.dashboard.export_requested.connect(self.export_cases)
        self._add_page(NavGroup.ANALYSIS, self.dashboard, self.tr("Dashboard"), "Ctrl+5")

    def open_case_detail(self, case_id: str) -> CaseDetailDialog:
        """The case's history with the supervisor's actions (one window per case)."""
        self.case_details = [d for d in self.case_details if shiboken6.isValid(d)]
        for detail in self.case_details:
            if detail.case_id == case_id:
                detail.raise_()
                detail.activateWindow()
                return detail
        detail = CaseDetailDialog(self._store, self._tasks, self._language, case_id, self)
        detail.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        detail.decided.connect(self._decided)
        detail.finished.connect(
            lambda _result: (
                self.case_details.remove(detail) if detail in self.case_details else None
            )
        )
        self.case_details.append(detail)
        detail.show()
        return detail

    def _decided(self, _changes: Changes) -> None:
        """A decision was recorded (its write announced it to every view): send it soon."""
        self.sync.sync_soon()

    def _show_review_count(self, count: int) -> None:
        self._set_page_title(
            self.review,
            self.tr("Review (%1)").replace("%1", str(count)) if count else self.tr("Review"),
        )

    def _show_deadline_counts(self, overdue: int, _soon: int) -> None:
        self._set_page_title(
            self.deadlines,
            self.tr("Deadlines (%1 overdue)").replace("%1", str(overdue))
            if overdue
            else self.tr("Deadlines"),
        )

    # -- account, settings ----------------------------------------------------------------

    def sign_in(self) -> None:
        dialog = SignInDialog(
            self._store, self._tasks, self.settings, self, language=self._language
        )
        dialog.signed_in.connect(self._signed_in)
        dialog.open()

    def sign_out(self) -> None:
        """Revoke the session on the server (if reachable) and forget it here; unsent work
        stays for the next sign-in."""
        store = self._store
        from app.sync.session import sign_out  # httpx and keyring: when used (start-up)

        self._ops.run(lambda: sign_out(store), self._signed_out, lane=Lane.NET)

    def _signed_out(self, result: SignOut) -> None:
        self._show_account(None)
        self.inspections.refresh()
        if not result.was_signed_in:
            text = self.tr("Nobody is signed in on this laptop.")
        elif result.server_told:
            text = self.tr("Signed out. The server has ended the session.")
        else:
            text = self.tr(
                "Signed out on this laptop, but the server could not be told (no connection); "
                "the session ends on the server when it expires."
            )
        self.statusBar().showMessage(text, 15000)

    def open_log_folder(self) -> None:
        """The folder of the app's log file (what support asks for after an error)."""
        folder = log_folder(self._store.data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def _signed_in(self, account: Account) -> None:
        self._show_account(account)
        self.inspections.refresh()  # in the inspection team or not
        self.sync.signed_in()

    def edit_settings(self) -> None:
        basemaps = BasemapSettings(Path(self._store.data_dir), self._tasks, self._language)
        basemaps.changed.connect(self.map_panel.registry_changed)
        dialog = SettingsDialog(self.settings, self, basemaps=basemaps)
        dialog.accepted.connect(self._start_gps)
        dialog.open()

    # -- patrol ---------------------------------------------------------------------------

    def _start_gps(self) -> None:
        replay = self.settings.gps_replay_file
        source = GpsSource(
            port=self.settings.gps_port,
            baudrate=self.settings.gps_baudrate,
            replay_file=Path(replay) if replay else None,
        )
        if source.configured and not self.gps.running:
            self.gps.start(source)

    def toggle_patrol(self) -> None:
        if self.patrol.state in (TrackState.RECORDING, TrackState.PAUSED):
            self.patrol.stop()
        else:
            self.patrol.start()

    def toggle_pause(self) -> None:
        if self.patrol.state is TrackState.RECORDING:
            self.patrol.pause()
        else:
            self.patrol.resume()

    def _show_patrol_state(self) -> None:
        active = self.patrol.state in (TrackState.RECORDING, TrackState.PAUSED)
        self.patrol_action.setText(self.tr("Stop &patrol") if active else self.tr("Start &patrol"))
        self.pause_action.setEnabled(active)
        self.pause_action.setText(
            self.tr("&Resume patrol")
            if self.patrol.state is TrackState.PAUSED
            else self.tr("P&ause patrol")
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        for editor in list(self._editors):
            editor.close()
        for detail in list(self.case_details):
            detail.close()
        self.patrol.stop()
        self.gps.stop()
        self.sync.shutdown()
        super().closeEvent(event)

    def apply_filters(self) -> None:
        self.model.set_query(self.current_query())
        self.map_panel.filters_changed()

    def _prefetch_map(self, _count: int) -> None:
        """Once the list has its first rows: let them be drawn, then read the hidden map's
        cases (a second of the database lane and of Python's lock with 100,000 cases, which
        would otherwise stand between the start and the list shown; bench/ui.py)."""
        self.model.loaded.disconnect(self._prefetch_map)
        QTimer.singleShot(MAP_PREFETCH_MS, self.map_panel, self.map_panel.prefetch)

    def _on_loaded(self, count: int) -> None:
        filtered = self._filtered()
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
        if account.role is Role.SUPERVISOR:
            self._enable_supervisor()
        if account.role is Role.HANDLER:
            self._enable_handler()
        if account.role is Role.ADMIN:
            self._enable_admin()

    def _enable_admin(self) -> None:
        """Add the Checklists tab once, for an admin: checklist templates edited and published
        from the app (issue 18; app.ui.inspections.template_editor)."""
        if self.checklists is not None:
            return
        from app.ui.inspections.checklists_tab import ChecklistsPanel

        self.checklists = ChecklistsPanel(self._store, self._tasks, self._language)
        self._add_page(NavGroup.ADMIN, self.checklists, self.tr("Checklists"))

    def _on_error(self, exc: BaseException) -> None:
        text = unexpected_error_text(exc, self._language)
        log.error("shown to the user: %s", text)
        self.statusBar().showMessage(text, 10_000)
        self.last_error = text
        # Not QMessageBox.warning(): a modal exec() would stop this window's event loop until
        # someone clicks, and background work keeps reporting here.
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            self.tr("CityPatrol"),
            text,
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.open()
