"""Shared fixtures: real SQLite stores in temporary folders, the shared samples, Qt offscreen."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "samples"


@pytest.fixture
def samples() -> Path:
    """``../shared/samples`` (real photos and GPS logs nobody here wrote)."""
    if not SAMPLES.is_dir():
        pytest.skip(f"shared samples not found at {SAMPLES} (a checkout outside CI)")
    return SAMPLES


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[LocalStore]:  # noqa: F821
    from app.storage import LocalStore

    with LocalStore(data_dir) as s:
        yield s


@pytest.fixture
def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:  # noqa: F821
    """One PostgreSQL server for the whole test session, on a free port of 127.0.0.1."""
    from helpers import free_port
    from pg import postgres_session

    yield from postgres_session(free_port())


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each server test that takes this runs on both databases the server supports."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'server.db'}"
    return str(request.getfixturevalue("postgres").create_database())
