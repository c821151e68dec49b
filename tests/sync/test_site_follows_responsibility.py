"""A key site loaded without an inspector follows its grid cell's responsible inspector
(定人定责): a change of the cell's responsibilities — over REST or with the CLI — gives the site
(and its rounds on the laptops) to the new inspector; a site that names its own inspector stays
with them; a cell left with nobody keeps the last one. A real server (SQLite and PostgreSQL),
the sample grid, two inspectors' laptops."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT, ApiClient, ServerProcess
from shapely.geometry import shape

from app.storage import LocalStore
from app.storage.sites import my_rounds
from app.sync.engine import SyncEngine
from app.sync.session import sign_in


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    extra = []
    if request.param == "postgresql":
        extra = ["--database-url", request.getfixturevalue("postgres").create_database()]
    process = ServerProcess(tmp_path / "server", "--demo", *extra)
    yield process
    process.stop()


def admin_cli(server: ServerProcess, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir),
         "--database-url", server.database_url, *args],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def site(name: str, lat: float, lon: float, inspector: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"name": name, "kind": "学校", "frequency": "daily", "due": "10:00",
                             "radius_m": 20}  # fmt: skip
    if inspector:
        props["inspector"] = inspector
    return {"type": "Feature", "properties": props,
            "geometry": {"type": "Point", "coordinates": [lon, lat]}}  # fmt: skip


def owners(client: ApiClient) -> dict[str, str]:
    return {s["name"]: s["inspector_id"] for s in client.http.get("/api/v1/sites").json()}


def round_names(laptop: LocalStore) -> set[str]:
    assert SyncEngine(laptop).run().ok
    return {r.site.name for r in my_rounds(laptop, datetime.now(UTC))}


def test_a_site_without_an_inspector_follows_its_cells_responsible_inspector(
    server: ServerProcess, samples: Path, tmp_path: Path
) -> None:
    source = samples / "map" / "grids.geojson"
    admin_cli(server, "grid", "load", str(source))
    feature = json.loads(source.read_text(encoding="utf-8"))["features"][100]
    cell = feature["properties"]["code"]
    centre = shape(feature["geometry"]).representative_point()
    admin = ApiClient(server, "admin")
    ids = {u: ApiClient(server, u).user["id"] for u in ("demo", "inspector2")}
    put = admin.http.put(f"/api/v1/responsibilities/{cell}", json={"inspectors": ["demo"]})
    assert put.status_code == 200, put.text
    sites = tmp_path / "sites.geojson"
    sites.write_text(
        json.dumps({"type": "FeatureCollection", "features": [
            site("网格小学", centre.y, centre.x),
            site("指定医院", centre.y, centre.x, inspector="demo"),
        ]}, ensure_ascii=False),
        encoding="utf-8",
    )  # fmt: skip
    assert "2 new or changed" in admin_cli(server, "site", "load", str(sites))
    assert owners(admin) == {"网格小学": ids["demo"], "指定医院": ids["demo"]}

    demo = LocalStore(tmp_path / "demo")
    other = LocalStore(tmp_path / "inspector2")
    try:
        sign_in(demo, server.url, "demo", "demo")
        sign_in(other, server.url, "inspector2", "inspector2")
        assert round_names(demo) == {"网格小学", "指定医院"}
        assert round_names(other) == set()

        # The cell changes hands over REST: its site follows, the named one stays.
        put = admin.http.put(
            f"/api/v1/responsibilities/{cell}", json={"inspectors": ["inspector2"]}
        )
        assert put.status_code == 200, put.text
        assert owners(admin) == {"网格小学": ids["inspector2"], "指定医院": ids["demo"]}
        assert round_names(other) == {"网格小学"}
        assert round_names(demo) == {"指定医院"}
        moved = [
            e["payload"]
            for e in ApiClient(server, "supervisor").everything()
            if e["kind"] == "key_site" and e["payload"]["name"] == "网格小学"
        ]
        assert [m["inspector_id"] for m in moved] == [ids["demo"], ids["inspector2"]]

        # Several inspectors: the first by user name (as at a load); through the CLI too.
        admin_cli(server, "responsibility", "set", cell, "--inspector", "inspector2",
                  "--inspector", "demo")  # fmt: skip
        assert owners(admin)["网格小学"] == ids["demo"]
        # A change elsewhere, or of the cell's departments only, moves nothing.
        admin_cli(server, "responsibility", "set", cell, "--class", "06", "--department", "HWC")
        assert owners(admin)["网格小学"] == ids["demo"]
        # Nobody left in the cell: the site keeps its last inspector (its rounds go on).
        assert admin.http.delete(f"/api/v1/responsibilities/{cell}").status_code == 204
        assert owners(admin)["网格小学"] == ids["demo"]
        assert round_names(demo) == {"网格小学", "指定医院"}
        # A whole responsibility file naming someone else again moves it.
        rules = tmp_path / "resp.csv"
        rules.write_text(
            f"grid_code,inspectors,category_class,department\n{cell},inspector2,,\n", "utf-8"
        )
        admin_cli(server, "responsibility", "load", str(rules))
        assert owners(admin) == {"网格小学": ids["inspector2"], "指定医院": ids["demo"]}
        assert round_names(other) == {"网格小学"}
        # The new inspector's check at the site is taken by the server.
        with ApiClient(server, "inspector2").http as http:
            site_id = next(s["id"] for s in http.get("/api/v1/sites").json()
                           if s["name"] == "网格小学")  # fmt: skip
            check = http.post(
                f"/api/v1/sites/{site_id}/checks",
                json={"id": "6f1c2b1e-1111-4c1e-9c1e-000000000001",
                      "at": datetime.now(UTC).isoformat(), "lat": centre.y, "lon": centre.x,
                      "outcome": "no_problem"},
            )  # fmt: skip
            assert check.status_code == 200, check.text
    finally:
        demo.close()
        other.close()
