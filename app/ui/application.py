"""Starting the desktop app."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.documents.fonts import use_bundled_font_as_fallback
from app.domain.errors import CityPatrolError
from app.domain.taxonomy import load_default_taxonomy
from app.logs import setup_logging
from app.storage import LocalStore
from app.ui.help_menu import app_icon
from app.ui.i18n import install_translators
from app.ui.main_window import MainWindow
from app.ui.settings import Settings
from app.ui.tasks import TaskRunner
from app.version import APP_ID


def create_application(language: str, argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    app.setApplicationName("CityPatrol")
    app.setOrganizationName("CityPatrol")
    install_translators(app, language)
    # Identity and Chinese text on any machine: the window icon, the bundled CJK font as fallback.
    app.setWindowIcon(app_icon())
    # Wayland finds the icon through the desktop entry the installers put in place.
    app.setDesktopFileName(APP_ID)
    use_bundled_font_as_fallback(app)
    return app


def run_gui(
    data_dir: Path,
    language: str,
    screenshot: Path | None = None,
    *,
    language_given: bool = False,
    data_dir_given: bool = False,
) -> int:
    """Open the store in ``data_dir`` and run the main window until it closes.

    The language and data folder chosen in Settings apply unless the command line (or
    ``CITYPATROL_DATA_DIR``) gave them. With ``screenshot``, the window saves a picture of
    itself once the list has loaded and the app quits (support and smoke tests).
    """
    settings = Settings()
    if not language_given and settings.language:
        language = settings.language
    if not data_dir_given and settings.data_dir:
        data_dir = Path(settings.data_dir)
    app = create_application(language)
    # Before anything can fail: a windowed build has no console to print to.
    setup_logging(data_dir)
    logging.getLogger("citypatrol").info("CityPatrol starting (data folder %s)", data_dir)
    try:
        store = LocalStore(data_dir)
    except CityPatrolError as exc:
        logging.getLogger("citypatrol").error("cannot open the store: %s", exc.message.en)
        QMessageBox.critical(None, app.translate("MainWindow", "CityPatrol"), exc.text(language))
        raise
    tasks = TaskRunner()
    window = MainWindow(
        store, tasks, load_default_taxonomy(), language, settings, autosync=screenshot is None
    )
    window.show()
    if screenshot is not None:

        def capture() -> None:
            window.grab().save(str(screenshot))
            app.quit()

        window.model.loaded.connect(lambda _count: QTimer.singleShot(500, capture))
    code = app.exec()
    tasks.wait()
    store.close()
    return code
