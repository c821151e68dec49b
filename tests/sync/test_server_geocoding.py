"""Server-side geocoding: a case pushed with a position and no grid code gets its cell on the
server from the current grid (source ``auto``), ``outside`` when no cell holds it, and a code
the laptop sent is never replaced. The laptop that had no grid learns the cell through its
feed; supervisors get it with the case. A real server (SQLite and PostgreSQL), the sample grid
of 贵溪市, a real laptop store and the ``citypatrol`` command line."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import ROOT, ApiClient, ServerProcess, run_cli
from shapely.geometry import shape
from sqlalchemy.orm import Session, sessionmaker

from app.domain.grids import CASE_PLACED_EVENT, GridSource
from app.storage import LocalStore
from app.sync.backoff import Backoff
from app.sync.engine import SyncEngine, SyncOptions
from app.sync.session import sign_in
from server.db import create_db_engine, migrate, session_factory
from server.grids.cells import load_grid
from server.grids.locate import CellLocator, locator, place


def one(found: CellLocator, given: str | None, lat: float | None, lon: float | None) -> Any:
    """Where one case is placed (the push looks all its positions up at once)."""
    positions = [(lat, lon)] if lat is not None and lon is not None else []
    return place(found.place_all(positions), given, lat, lon)


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    if request.param == "sqlite":
        return []
    return ["--database-url", request.getfixturevalue("postgres").create_database()]


@pytest.fixture
def server(tmp_path: Path, database: list[str]) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server", "--demo", *database)
    yield process
    process.stop()


def admin(server: ServerProcess, database: list[str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir), *database, *args],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def sync(store: LocalStore) -> None:
    options = SyncOptions(attempts=3, backoff=Backoff(base_s=0.01, cap_s=0.05))
    report = SyncEngine(store, options, transport=httpx.HTTPTransport()).run()
    assert report.ok, report.lines("en")


def inside(feature: dict[str, Any]) -> tuple[float, float]:
    point = shape(feature["geometry"]).representative_point()
    return point.y, point.x


def new_case(laptop: Path, text: str, lat: float, lon: float, *extra: str) -> None:
    made = run_cli("case", "new", "--category", "06010", "--description", text,
                   "--lat", str(lat), "--lon", str(lon), "--submit", *extra,
                   data_dir=laptop)  # fmt: skip
    assert made.returncode == 0, made.stderr


def test_cases_without_a_code_get_their_cell_on_the_server_and_the_laptop_learns_it(
    server: ServerProcess, database: list[str], tmp_path: Path, samples: Path
) -> None:
    laptop = tmp_path / "laptop"
    with LocalStore(laptop) as store:
        sign_in(store, server.url, "demo", "demo")
        sync(store)  # before any grid: this laptop has no cell
        assert store.cell_count() == 0
    source = samples / "map" / "grids.geojson"
    grid = json.loads(source.read_text(encoding="utf-8"))
    assert "736 cells" in admin(server, database, "grid", "load", str(source))

    feature = grid["features"][321]
    code = feature["properties"]["code"]
    lat, lon = inside(feature)
    typed_code = grid["features"][7]["properties"]["code"]
    new_case(laptop, "无网格", lat, lon)
    new_case(laptop, "城外", 28.5, 117.5)
    new_case(laptop, "手填", lat, lon, "--grid-code", typed_code)
    listed = {r["description"]: r for r in json.loads(run_cli("case", "list", "--json",
                                                               data_dir=laptop).stdout)}  # fmt: skip
    # The laptop had no grid: no code, no source (the typed one is its own).
    assert (listed["无网格"]["grid_code"], listed["无网格"]["grid_source"]) == (None, None)
    assert listed["城外"]["grid_source"] is None

    with LocalStore(laptop) as store:
        sync(store)  # pushes the cases, then pulls the feed: the cells and the server's answers
        assert store.cell_count() == 736
    listed = {r["description"]: r for r in json.loads(run_cli("case", "list", "--json",
                                                               data_dir=laptop).stdout)}  # fmt: skip
    assert (listed["无网格"]["grid_code"], listed["无网格"]["grid_source"]) == (
        code,
        GridSource.AUTO,
    )
    assert (listed["城外"]["grid_code"], listed["城外"]["grid_source"]) == (
        None,
        GridSource.OUTSIDE,
    )
    assert (listed["手填"]["grid_code"], listed["手填"]["grid_source"]) == (
        typed_code,
        GridSource.TYPED,
    )

    # The laptop's export carries the place the server gave (CSV read back).
    out = tmp_path / "cases.csv"
    assert run_cli("export", "--format", "csv", str(out), data_dir=laptop).returncode == 0
    rows = {r["description"]: r for r in csv.DictReader(io.StringIO(out.read_text("utf-8-sig")))}
    assert (rows["无网格"]["grid_code"], rows["无网格"]["grid_source"]) == (code, "auto")
    assert (rows["城外"]["grid_code"], rows["城外"]["grid_source"]) == ("", "outside")

    # What the server holds, and who was told: the author (event "placed", one per case the
    # server placed) and the supervisors (the submitted case carries its code and source).
    demo = ApiClient(server, "demo")
    placed = [
        e for e in demo.everything() if e["kind"] == "case" and e["payload"]["event"] == "placed"
    ]
    assert CASE_PLACED_EVENT == "placed"
    assert sorted((e["payload"]["case"]["description"], e["payload"]["case"]["grid_code"],
                   e["payload"]["case"]["grid_source"]) for e in placed) == sorted(
        [("无网格", code, "auto"), ("城外", None, "outside")]
    )  # fmt: skip
    supervisor = ApiClient(server, "supervisor")
    submitted = {
        e["payload"]["case"]["description"]: e["payload"]["case"]
        for e in supervisor.everything()
        if e["kind"] == "case" and e["payload"]["event"] == "submit"
    }
    assert (submitted["无网格"]["grid_code"], submitted["无网格"]["grid_source"]) == (code, "auto")
    assert (submitted["城外"]["grid_code"], submitted["城外"]["grid_source"]) == (None, "outside")
    assert (submitted["手填"]["grid_code"], submitted["手填"]["grid_source"]) == (typed_code, None)
    detail = supervisor.http.get(f"/api/v1/cases/{listed['无网格']['id']}")
    assert detail.status_code == 200, detail.text
    assert (detail.json()["case"]["grid_code"], detail.json()["case"]["grid_source"]) == (
        code,
        "auto",
    )

    # A supervisor's laptop keeps the server's code and source.
    office = tmp_path / "office"
    with LocalStore(office) as store:
        sign_in(store, server.url, "supervisor", "supervisor")
        sync(store)
    in_office = {r["description"]: r for r in json.loads(run_cli("case", "list", "--json",
                                                                 data_dir=office).stdout)}  # fmt: skip
    assert (in_office["无网格"]["grid_code"], in_office["无网格"]["grid_source"]) == (
        code,
        GridSource.AUTO,
    )


def test_the_index_follows_the_grid_version_and_an_edge_has_one_cell(
    database_url: str, samples: Path, tmp_path: Path
) -> None:
    engine = create_db_engine(database_url)
    migrate(engine)
    sessions: sessionmaker[Session] = session_factory(engine)
    try:
        with sessions() as session:
            empty = locator(session)
            assert len(empty) == 0 and empty.version == 0
            assert one(empty, None, 28.3, 117.2) == (None, None)  # no grid: nothing said
        source = samples / "map" / "grids.geojson"
        grid = json.loads(source.read_text(encoding="utf-8"))
        with sessions.begin() as session:
            load_grid(session, source)
        with sessions() as session:
            found = locator(session)
            assert (len(found), found.version) == (736, 1)
            assert locator(session) is found  # built once per version
            for feature in grid["features"][::37]:
                lat, lon = inside(feature)
                assert one(found, None, lat, lon) == (feature["properties"]["code"], "auto")
            assert one(found, None, 28.5, 117.5) == (None, "outside")
            assert one(found, None, None, None) == (None, None)
            assert one(found, "360681017001001", 28.5, 117.5) == ("360681017001001", None)
            # A corner shared by cells: one answer, the smallest code of those holding it.
            first = shape(grid["features"][0]["geometry"])
            x, y = first.exterior.coords[2]
            holding = sorted(
                f["properties"]["code"]
                for f in grid["features"]
                if shape(f["geometry"]).intersects(shape({"type": "Point", "coordinates": [x, y]}))
            )
            assert len(holding) >= 2
            assert one(found, None, y, x) == (holding[0], "auto")
        smaller = dict(grid, features=grid["features"][1:])
        path = tmp_path / "smaller.geojson"
        path.write_text(json.dumps(smaller, ensure_ascii=False), encoding="utf-8")
        with sessions.begin() as session:
            load_grid(session, path)
        with sessions() as session:
            again = locator(session)
            assert (len(again), again.version) == (735, 2)
            lat, lon = inside(grid["features"][0])
            assert one(again, None, lat, lon) == (None, "outside")
    finally:
        engine.dispose()
