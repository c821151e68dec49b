"""定人定责 over HTTP (``/api/v1/responsibilities``): administrators set and remove one cell's
responsibilities, supervisors and administrators read them; the same checks and the same feed
entries as ``citypatrol-server responsibility set|remove`` (one function behind both). Bad
input — an unknown cell, inspector or department, a bad class — is refused with a clear
bilingual error and changes nothing. A real server with the sample grid of 贵溪市, on SQLite
and PostgreSQL (the role × route matrix is in test_workers.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT, ApiClient, ServerProcess

CELL = "360681017001001"
OTHER_CELL = "360681017001002"


def admin_cli(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir),
         "--database-url", server.database_url, *args],
        check=False, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def grid(server: ServerProcess) -> str:
    samples = ROOT.parent / "shared" / "samples" / "map" / "grids.geojson"
    done = admin_cli(server, "grid", "load", str(samples))
    assert done.returncode == 0, done.stderr
    return CELL


def entries(client: ApiClient, code: str) -> list[dict[str, Any]]:
    return [
        e["payload"]
        for e in client.everything()
        if e["kind"] == "responsibility" and e["payload"]["grid_code"] == code
    ]


def refusal(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    detail = dict(response.json()["detail"])
    assert detail["code"] == code, detail
    assert detail["zh"] and detail["en"]
    return detail


def test_put_get_delete_a_cell_and_the_laptops_hear_of_it(server: ServerProcess, grid: str) -> None:
    admin = ApiClient(server, "admin")
    supervisor = ApiClient(server, "supervisor")
    inspector = ApiClient(server, "demo")
    ids = {u: ApiClient(server, u).user["id"] for u in ("demo", "inspector2")}
    body = {"inspectors": ["demo", "inspector2"], "departments": {"06": "HWC", "*": "SZSS"}}
    put = admin.http.put(f"/api/v1/responsibilities/{grid}", json=body)
    assert put.status_code == 200, put.text
    assert put.json() == {
        "grid_code": grid,
        "inspectors": ["demo", "inspector2"],
        "departments": {"*": "SZSS", "06": "HWC"},
    }
    got = supervisor.http.get(f"/api/v1/responsibilities/{grid}")
    assert got.status_code == 200 and got.json() == put.json()
    listed = supervisor.http.get("/api/v1/responsibilities").json()
    assert [r for r in listed if r["grid_code"] == grid] == [put.json()]
    # Every laptop (an inspector's too) gets the cell's whole state, with ids as the CLI sends.
    last = entries(inspector, grid)[-1]
    assert sorted(last["inspectors"]) == sorted(ids.values())
    assert set(last["departments"]) == {"06", "*"}
    count = len(entries(inspector, grid))
    # The same again changes nothing and sends nothing.
    assert admin.http.put(f"/api/v1/responsibilities/{grid}", json=body).status_code == 200
    assert len(entries(inspector, grid)) == count
    # PUT replaces the whole cell: one inspector, one department left.
    smaller = {"inspectors": ["inspector2"], "departments": {"09": "HWC"}}
    put = admin.http.put(f"/api/v1/responsibilities/{grid}", json=smaller)
    assert put.json()["inspectors"] == ["inspector2"]
    assert put.json()["departments"] == {"09": "HWC"}
    assert entries(inspector, grid)[-1]["inspectors"] == [ids["inspector2"]]
    # The CLI sees what the API set, and the API what the CLI set.
    assert f"{grid}\tinspector2\t09=HWC" in admin_cli(server, "responsibility", "list").stdout
    done = admin_cli(server, "responsibility", "set", grid, "--class", "06", "--department", "SZSS")
    assert done.returncode == 0, done.stderr
    got = admin.http.get(f"/api/v1/responsibilities/{grid}").json()
    assert got["departments"] == {"06": "SZSS", "09": "HWC"}
    # DELETE one class, then the cell.
    gone = admin.http.delete(f"/api/v1/responsibilities/{grid}", params={"category_class": "06"})
    assert gone.status_code == 204, gone.text
    assert admin.http.get(f"/api/v1/responsibilities/{grid}").json()["departments"] == {"09": "HWC"}
    assert admin.http.delete(f"/api/v1/responsibilities/{grid}").status_code == 204
    assert admin.http.get(f"/api/v1/responsibilities/{grid}").json() == {
        "grid_code": grid,
        "inspectors": [],
        "departments": {},
    }
    assert entries(inspector, grid)[-1] == {"grid_code": grid, "inspectors": [], "departments": {}}
    assert grid not in admin_cli(server, "responsibility", "list").stdout
    refusal(admin.http.delete(f"/api/v1/responsibilities/{grid}"), 404, "no_responsibility")


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({"inspectors": ["nobody"]}, "unknown_inspector", "nobody"),
        ({"inspectors": ["supervisor"]}, "unknown_inspector", "supervisor"),  # no inspector
        ({"departments": {"06": "NOPE"}}, "unknown_department", "NOPE"),
        ({"departments": {"6": "HWC"}}, "bad_category_class", "'6'"),
        ({"departments": {"ab": "HWC"}}, "bad_category_class", "'ab'"),
        ({"inspectors": ["demo"], "colour": "red"}, "validation_failed", ""),
    ],
)
def test_bad_input_is_refused_clearly_and_changes_nothing(
    server: ServerProcess, grid: str, body: dict[str, Any], code: str, words: str
) -> None:
    admin = ApiClient(server, "admin")
    before = admin.http.put(
        f"/api/v1/responsibilities/{OTHER_CELL}", json={"inspectors": ["demo"]}
    ).json()
    sent = len(entries(admin, OTHER_CELL))
    response = admin.http.put(f"/api/v1/responsibilities/{OTHER_CELL}", json=body)
    if code == "validation_failed":
        assert response.status_code == 422, response.text
    else:
        detail = refusal(response, 422, code)
        assert words in detail["en"] and words in detail["zh"]
    assert admin.http.get(f"/api/v1/responsibilities/{OTHER_CELL}").json() == before
    assert len(entries(admin, OTHER_CELL)) == sent


def test_unknown_and_malformed_cells(server: ServerProcess, grid: str) -> None:
    admin = ApiClient(server, "admin")
    unknown = "360681999999999"  # a well-formed code the grid does not have
    for method in ("GET", "PUT", "DELETE"):
        response = admin.http.request(
            method, f"/api/v1/responsibilities/{unknown}", json={} if method == "PUT" else None
        )
        detail = refusal(response, 404, "unknown_cell")
        assert unknown in detail["en"] and "load the grid first" in detail["en"]
        assert "网格" in detail["zh"]
    for bad in ("12345", "36068101700100x", "3606810170010011"):
        assert admin.http.get(f"/api/v1/responsibilities/{bad}").status_code == 422
    # Cell 000 is no cell (app.domain.grids.grid_code_problem), said as the CLI says it.
    refusal(
        admin.http.put("/api/v1/responsibilities/360681017001000", json={}), 422, "bad_grid_code"
    )
    refusal(
        admin.http.delete(f"/api/v1/responsibilities/{grid}", params={"category_class": "07"}),
        404,
        "no_responsibility",
    )


def test_the_cli_says_the_same_reasons(server: ServerProcess, grid: str, tmp_path: Path) -> None:
    done = admin_cli(server, "responsibility", "set", grid, "--inspector", "nobody")
    assert done.returncode == 1 and "no inspector account named nobody" in done.stderr
    assert "没有名为 nobody 的监督员账号" in done.stderr
    done = admin_cli(server, "responsibility", "set", grid, "--class", "6", "--department", "HWC")
    assert done.returncode == 1 and "category class '6'" in done.stderr
    done = admin_cli(server, "responsibility", "set", "360681999999999", "--inspector", "demo")
    assert done.returncode == 1 and "not in the grid" in done.stderr
