"""The library packages run without Qt; the server imports nothing from the client but app.domain."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_library_imports_without_qt() -> None:
    code = (
        "import sys, app.domain, app.capture.photos, app.capture.nmea, app.capture.tracks, app.storage, app.sync, app.cli;"
        "bad = sorted(m for m in sys.modules if m.startswith('PySide6'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_qt_import_anywhere_in_the_library_source() -> None:
    for package in ("domain", "capture", "storage", "sync"):
        for path in (ROOT / "app" / package).rglob("*.py"):
            assert not any(n.startswith("PySide6") for n in _imports(path)), path


def test_domain_uses_neither_qt_nor_a_database() -> None:
    for path in (ROOT / "app" / "domain").rglob("*.py"):
        bad = {
            n
            for n in _imports(path)
            if n.split(".")[0] in {"PySide6", "sqlalchemy", "alembic", "sqlite3"}
        }
        assert not bad, f"{path}: {bad}"


def test_documents_never_import_widgets() -> None:
    """The CLI renders PDFs without a window: app.documents uses QtGui, not QtWidgets or app.ui."""
    paths = list((ROOT / "app" / "documents").rglob("*.py"))
    assert paths
    for path in paths:
        bad = {
            n
            for n in _imports(path)
            if n.startswith(("PySide6.QtWidgets", "PySide6.QtCharts", "app.ui"))
        }
        assert not bad, f"{path}: {bad}"


def test_widgets_never_touch_sql() -> None:
    for path in (ROOT / "app" / "ui").rglob("*.py"):
        bad = {
            n
            for n in _imports(path)
            if n.split(".")[0] in {"sqlalchemy", "sqlite3"} or n == "app.storage.models"
        }
        assert not bad, f"{path}: {bad}"


def test_server_imports_only_the_domain_from_the_client() -> None:
    for path in (ROOT / "server").rglob("*.py"):
        bad = {n for n in _imports(path) if n.startswith("app.") and not n.startswith("app.domain")}
        assert not bad, f"{path}: {bad}"
