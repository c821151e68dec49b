"""Sync tests: a real server process on 127.0.0.1 and real local stores signed in to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers import ServerProcess


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path_factory.mktemp("server") / "data", "--demo")
    yield process
    process.stop()
