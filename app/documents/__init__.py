"""Documents: the bulletin (定期通报) and the case report as PDF files.

Used by the desktop app and the headless command line alike (``citypatrol report bulletin``),
so this package needs only QtGui — a :class:`QGuiApplication`, offscreen will do — and never
QtWidgets nor anything of :mod:`app.ui` (tests/test_layering.py holds it to that). The data
comes ready from :mod:`app.storage.bulletin`; :mod:`app.documents.pdf` lays it out and paints it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QGuiApplication

from app.documents.pdf import (
    PHOTO_MAX_EDGE,
    DocumentError,
    write_bulletin_pdf,
    write_case_pdf,
)
from app.storage.bulletin import case_report_data
from app.storage.store import LocalStore

#: The application :func:`gui_application` made (a Qt application must outlive its use).
_APPLICATION: list[QGuiApplication] = []


def gui_application() -> QCoreApplication:
    """The running Qt application, or — in a process that only writes documents, such as the
    command line — a new :class:`QGuiApplication`, on the offscreen platform unless
    ``QT_QPA_PLATFORM`` names another: fonts and images need one, widgets are not needed."""
    existing = QCoreApplication.instance()
    if existing is not None:
        return existing
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    application = QGuiApplication(sys.argv[:1])
    application.setApplicationName("CityPatrol")
    application.setOrganizationName("CityPatrol")
    _APPLICATION.append(application)
    return application


def write_case_report(store: LocalStore, case_id: str, out: Path, language: str) -> Path:
    """Read one case (fields, timeline, photos) from ``store`` and write its PDF report to
    ``out``; returns ``out``. Slow (photos are decoded): run it in the documents lane."""
    return write_case_pdf(case_report_data(store, case_id, language), out, language)


__all__ = [
    "PHOTO_MAX_EDGE",
    "DocumentError",
    "gui_application",
    "write_bulletin_pdf",
    "write_case_pdf",
    "write_case_report",
]
