"""What start-up imports, so the start-up gains (issue 16, bench/ui.py) cannot silently regress.

Each case runs in a fresh interpreter and lists ``sys.modules`` after the command ran: a
headless subcommand never loads Qt, and loads of the rest only what it uses (the store's
SQLAlchemy for ``case list``, not Pillow, the HTTP client, the keyring or Alembic once the
store is at its schema; nothing of the store for ``--version`` or ``gps replay``); the main
window's modules load neither the HTTP client, the keyring nor Pillow before they are used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

#: Never loaded by a headless command.
GUI = ("PySide6", "shiboken6", "app.ui")
#: Loaded only by the commands that use them.
NETWORK = ("httpx", "keyring", "app.sync", "h11", "anyio")
PHOTOS = ("PIL", "pillow_heif", "app.capture.photos", "multiprocessing")
#: (``app.geo.cells`` and ``app.geo.vector`` are not: pure Python, about 6 ms, and the store
#: places every saved case in its grid cell and 门前三包 frontage with them.)
HEAVY = (
    "alembic",
    "app.documents",
    "app.geo.basemaps",
    "app.geo.cache",
    "app.geo.cluster",
    "app.geo.mbtiles",
    "app.geo.roads",
    "app.geo.tiles",
    "app.maprender",
    "logging.handlers",
)
STORE = ("sqlalchemy", "app.storage")

RUN = """
import json, sys
from app.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exit:  # --version, --help
    code = exit.code
with open(sys.argv[1], "w") as out:
    json.dump(sorted(sys.modules), out)
sys.exit(code)
"""


def modules_after(tmp_path: Path, *argv: str) -> list[str]:
    listing = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(listing), *argv],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
        env={k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return list(json.loads(listing.read_text()))


def loaded(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    """The modules that are one of ``prefixes`` or inside one."""
    return [m for m in modules if any(m == p or m.startswith(p + ".") for p in prefixes)]


def test_case_list_loads_the_store_and_nothing_else(tmp_path: Path) -> None:
    data = tmp_path / "data"
    modules_after(tmp_path, "--data-dir", str(data), "case", "list")  # creates the store
    modules = modules_after(tmp_path, "--data-dir", str(data), "case", "list", "--json")
    assert loaded(modules, GUI + NETWORK + PHOTOS + HEAVY) == []
    assert "sqlalchemy.orm" in modules and "app.storage.store" in modules  # what it does use


@pytest.mark.parametrize(
    "argv",
    [["--version"], ["gps", "replay", "NMEA"], ["--help"]],
    ids=["version", "gps-replay", "help"],
)
def test_commands_without_the_store_do_not_load_it(
    tmp_path: Path, samples: Path, argv: list[str]
) -> None:
    nmea = samples / "nmea" / "beidou-gb.log"
    modules = modules_after(tmp_path, *(str(nmea) if a == "NMEA" else a for a in argv))
    assert loaded(modules, GUI + NETWORK + PHOTOS + HEAVY + STORE) == []


def test_the_main_window_loads_no_network_keyring_or_pillow_until_used(tmp_path: Path) -> None:
    listing = tmp_path / "modules.json"
    code = (
        "import json, sys\n"
        "import app.ui.application, app.ui.main_window\n"
        f"json.dump(sorted(sys.modules), open({str(listing)!r}, 'w'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
        check=False, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    modules = json.loads(listing.read_text())
    assert "PySide6.QtWidgets" in modules  # it did load the window
    assert loaded(modules, ("httpx", "keyring", "filelock", "PIL", "alembic", "app.sync.engine",
                            "app.sync.client", "app.sync.session")) == []  # fmt: skip
