"""The map library runs without Qt; its drawing code uses QtGui only, never widgets."""

from __future__ import annotations

import subprocess
import sys

from test_layering import ROOT, _imports


def test_geo_imports_without_qt() -> None:
    code = (
        "import sys, app.geo.tiles, app.geo.datum, app.geo.mbtiles, app.geo.vector,"
        " app.geo.cluster, app.geo.cache, app.geo.basemaps, app.storage.map_points;"
        "bad = sorted(m for m in sys.modules if m.startswith('PySide6'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_geo_source_names_no_qt_and_maprender_no_widgets() -> None:
    for path in (ROOT / "app" / "geo").rglob("*.py"):
        assert not any(n.startswith("PySide6") for n in _imports(path)), path
    paths = list((ROOT / "app" / "maprender").rglob("*.py"))
    assert paths
    for path in paths:
        bad = {n for n in _imports(path) if n.startswith(("PySide6.QtWidgets", "app.ui"))}
        assert not bad, f"{path}: {bad}"
