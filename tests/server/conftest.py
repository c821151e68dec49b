"""Server tests run against a real server process, once on SQLite and once on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers import ServerProcess


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    data_dir = tmp_path_factory.mktemp("server") / "data"
    extra = ["--demo"]
    if request.param == "postgresql":
        extra += ["--database-url", request.getfixturevalue("postgres").create_database()]
    process = ServerProcess(data_dir, *extra)
    yield process
    process.stop()
