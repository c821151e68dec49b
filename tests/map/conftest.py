"""Fixtures of the map tests: the shared sample town and a task runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def maps(samples: Path) -> Path:
    """``../shared/samples/map``: real OSM data of 贵溪市 (basemap, layers, grid cells)."""
    return samples / "map"


@pytest.fixture
def tasks() -> Iterator[object]:
    from app.ui.tasks import TaskRunner

    runner = TaskRunner()
    yield runner
    runner.wait()


@pytest.fixture(autouse=True, scope="session")
def english_translations(qapp: object) -> Iterator[None]:
    """The app installs its English file for plural forms; so do the tests (as tests/ui)."""
    from app.ui.i18n import install_translators

    translators = install_translators(qapp, "en")  # type: ignore[arg-type]
    yield
    for translator in translators:
        qapp.removeTranslator(translator)  # type: ignore[attr-defined]
