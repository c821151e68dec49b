from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication

from app.ui.i18n import install_translators


@pytest.fixture(autouse=True, scope="session")
def english_translations(qapp: QApplication) -> Iterator[None]:
    """The app installs its English file for plural forms; so do the tests."""
    translators = install_translators(qapp, "en")
    yield
    for translator in translators:
        qapp.removeTranslator(translator)
