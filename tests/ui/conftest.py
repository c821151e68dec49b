from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import ServerProcess
from PySide6.QtWidgets import QApplication

from app.storage import LocalStore
from app.ui.i18n import install_translators
from app.ui.tasks import TaskRunner


@pytest.fixture(autouse=True, scope="session")
def english_translations(qapp: QApplication) -> Iterator[None]:
    """The app installs its English file for plural forms; so do the tests."""
    translators = install_translators(qapp, "en")
    yield
    for translator in translators:
        qapp.removeTranslator(translator)


@pytest.fixture
def tasks() -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    runner.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real server with the demo accounts, on 127.0.0.1."""
    process = ServerProcess(tmp_path / "server", "--demo")
    yield process
    process.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalStore]:
    with LocalStore(tmp_path / "data") as opened:
        yield opened
