"""The demo town: the OpenStreetMap extract kept in the repository is small and carries its
licence; the basemap rendered from it is a valid MBTiles with the attribution; the demo cases
sit on their named roads inside the town."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from helpers import ROOT

from app.geo.mbtiles import open_basemap

DEMO = ROOT / "resources" / "demo"


def script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_extract_is_small_and_licensed() -> None:
    assert (DEMO / "guixi-osm.geojson").stat().st_size < 300_000
    note = (DEMO / "ODbL-ATTRIBUTION.md").read_text(encoding="utf-8")
    assert "© OpenStreetMap contributors" in note and "ODbL" in note


def test_the_demo_basemap_renders_and_opens(qapp: object, tmp_path: Path) -> None:
    out = script("demo_basemap").build(tmp_path / "demo.mbtiles", 13, 15)
    with open_basemap(out) as basemap:
        info = basemap.info
        assert (info.minzoom, info.maxzoom) == (13, 15)
        assert info.attribution == "© OpenStreetMap contributors"
        assert basemap.tile(15, 27053, 13696) is not None  # 雄石 centre


def test_demo_cases_sit_on_named_roads_inside_the_town() -> None:
    demo = script("demo")
    west, south, east, north = 117.19116, 28.28171, 117.25519, 28.32252
    for _code, _text, road in demo.DEMO_CASES:
        lat, lon = demo.on_road(road)
        assert south <= lat <= north and west <= lon <= east, road


def test_the_demo_grid_loads_and_holds_every_demo_case(tmp_path: Path) -> None:
    """The server accepts the demo grid (codes, polygons, no overlap, no gap) and the laptop
    finds a cell for every demo case."""
    from app.geo.cells import CellHit, CellIndex
    from server.db import create_db_engine, migrate, session_factory
    from server.grids.cells import load_grid

    demo = script("demo")
    path = demo.demo_grid(tmp_path)
    engine = create_db_engine(f"sqlite:///{tmp_path / 'server.db'}")
    migrate(engine)
    with session_factory(engine).begin() as session:
        done = load_grid(session, path)
    engine.dispose()
    assert done.cells > 500 and done.warnings == []
    import json

    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    index = CellIndex(
        (CellHit(f["properties"]["code"], "", ""), [[v for xy in r for v in xy] for r in f["geometry"]["coordinates"]])
        for f in features
    )  # fmt: skip
    for _code, _text, road in demo.DEMO_CASES:
        lat, lon = demo.on_road(road)
        assert index.locate(lon, lat) is not None, road
