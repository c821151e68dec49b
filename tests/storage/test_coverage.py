"""Patrol coverage: distance, time on patrol, cells visited and blind spots, from tracks in a
real store — including tracks imported from NMEA logs of a route through known cells of the
贵溪 grid (``../shared/samples/map/grids.geojson``)."""

from __future__ import annotations

import itertools
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT
from track_logs import by_row_col, load_grid, nmea_log

from app.capture.nmea import decode_file
from app.capture.positions import Fix, FixQuality, PositionSource, haversine_m
from app.capture.tracks import TrackPoint, TrackState
from app.cli import main
from app.domain.coverage import TrackPoints, combine, compute_coverage, summarise_track
from app.storage import LocalStore
from app.storage.coverage import coverage
from app.storage.track_cells import refresh_track_cells, track_summaries

sys.path.insert(0, str(ROOT / "bench" / "support"))
from cell_locator import PolygonCells

T0 = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)  # 08:30 in 贵溪


@pytest.fixture(scope="module")
def grid_file() -> Path:
    path = ROOT.parent / "shared" / "samples" / "map" / "grids.geojson"
    if not path.is_file():
        pytest.skip(f"shared samples not found at {path}")
    return path


@pytest.fixture(scope="module")
def cells(grid_file: Path) -> PolygonCells:
    return PolygonCells.from_geojson(grid_file)


def test_tracks_imported_from_nmea_logs_visit_exactly_the_cells_of_their_route(
    tmp_path: Path, grid_file: Path, cells: PolygonCells, capsys: pytest.CaptureFixture[str]
) -> None:
    grid = by_row_col(grid_file)
    # Two routes: along row 8 from column 5 to 12, then down column 12 to row 13; and a
    # second inspector's day along column 20 from row 2 to row 6.
    route_a = [(8, c) for c in range(5, 13)] + [(r, 12) for r in range(9, 14)]
    route_b = [(r, 20) for r in range(2, 7)]
    data = tmp_path / "laptop"
    for n, route in enumerate((route_a, route_b)):
        log = tmp_path / f"walk{n}.nmea"
        log.write_text(nmea_log([grid[rc][1:] for rc in route], T0 + timedelta(days=n)))
        assert (
            main(["--data-dir", str(data), "--lang", "en", "patrol", "import", str(log), "--json"])
            == 0
        )
        imported = json.loads(capsys.readouterr().out)
        assert imported["points"] > 100 and imported["delivery"] == "pending"
    with LocalStore(data) as store:
        # The cells come after the tracks: their stored cells are recomputed for the new grid.
        load_grid(store, grid_file)
        report = coverage(store, T0 - timedelta(hours=1), T0 + timedelta(days=2)).report
    (inspector,) = report.inspectors  # both walks were this laptop's inspector
    assert inspector.cells_visited == {grid[rc][0] for rc in route_a + route_b}
    assert inspector.tracks == 2
    expected_m = sum(
        haversine_m(grid[a][2], grid[a][1], grid[b][2], grid[b][1])
        for route in (route_a, route_b)
        for a, b in itertools.pairwise(route)
    )
    assert inspector.distance_m == pytest.approx(expected_m, rel=0.02)
    assert inspector.patrol_s == pytest.approx(expected_m / 1.4, rel=0.03)
    assert len(report.unvisited) == 736 - len(route_a) - len(route_b)


def test_an_unreadable_or_fixless_log_is_refused_and_records_nothing(
    tmp_path: Path, samples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "laptop"
    assert (
        main(
            [
                "--data-dir",
                str(data),
                "--lang",
                "en",
                "patrol",
                "import",
                str(samples / "nmea" / "bu303-nofix.log"),
            ]
        )
        == 1
    )
    assert "no position fix" in capsys.readouterr().err
    assert (
        main(
            [
                "--data-dir",
                str(data),
                "--lang",
                "en",
                "patrol",
                "import",
                str(tmp_path / "missing.nmea"),
            ]
        )
        == 1
    )
    assert "Cannot read" in capsys.readouterr().err
    with LocalStore(data) as store:
        assert store.track_points_around(T0, timedelta(days=20000)) == []


def test_a_real_receivers_log_becomes_a_track_of_its_fixes(
    tmp_path: Path, samples: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = samples / "nmea" / "bu353s4.log"
    fixes = decode_file(log).fixes
    data = tmp_path / "laptop"
    assert main(["--data-dir", str(data), "patrol", "import", str(log), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["fixes"] == len(fixes) and 0 < out["points"] <= len(fixes)
    with LocalStore(data) as store:
        points = store.track_points(out["id"])
    assert points[0].time == min(f.time for f in fixes if f.time is not None)
    assert {(round(p.lat, 6), round(p.lon, 6)) for p in points} <= {
        (round(f.lat, 6), round(f.lon, 6)) for f in fixes
    }


def track(
    inspector: str,
    start: datetime,
    lonlats: list[tuple[float, float]],
    every_s: float = 5,
    segment_at: int | None = None,
) -> TrackPoints:
    n = len(lonlats)
    seg = np.array([0 if segment_at is None or i < segment_at else 1 for i in range(n)])
    return TrackPoints(
        f"{inspector}-{start:%d%H}",
        inspector,
        start,
        np.array([lat for _, lat in lonlats]),
        np.array([lon for lon, _ in lonlats]),
        np.array([start.timestamp() + i * every_s for i in range(n)]),
        seg,
    )


def test_blind_spots_pauses_gaps_and_the_period(grid_file: Path, cells: PolygonCells) -> None:
    grid = by_row_col(grid_file)
    centre = {rc: (lon, lat) for rc, (_, lon, lat) in grid.items()}
    code = {rc: c for rc, (c, _, _) in grid.items()}
    end = T0 + timedelta(days=10)
    tracks = [
        # Before the period (day -3): visits (1,1) — counts as a last visit only.
        track("a", T0 - timedelta(days=3), [centre[(1, 1)]] * 3),
        # In the period: (2,2) then, after a pause, (2,3); the pause is neither distance nor time.
        track(
            "a", T0 + timedelta(days=8), [centre[(2, 2)]] * 2 + [centre[(2, 3)]] * 2, segment_at=2
        ),
        # A gap of 10 minutes between points: distance yes, time on patrol no.
        track("b", T0 + timedelta(days=9), [centre[(5, 5)], centre[(5, 6)]], every_s=600),
    ]
    report = compute_coverage(
        tracks,
        cells,
        start=T0,
        end=end,
        cells=[c for c, _, _ in grid.values()],
        responsibilities={"a": [code[(1, 1)], code[(2, 2)], code[(9, 9)]], "c": [code[(5, 5)]]},
        blind_days=7,
    )
    rows = {i.inspector_id: i for i in report.inspectors}
    assert rows["a"].cells_visited == {code[(2, 2)], code[(2, 3)]}  # (1,1) was before the period
    assert rows["a"].distance_m == 0 and rows["a"].patrol_s == 10  # 5 s + (pause) + 5 s
    assert rows["a"].tracks == 1
    # (1,1): last visited 13 days before the end (> 7): a blind spot; (9,9): never visited.
    assert rows["a"].blind_spots == {
        code[(1, 1)]: report.cells[code[(1, 1)]].last_visit,
        code[(9, 9)]: None,
    }
    assert report.cells[code[(1, 1)]].last_visit == T0 - timedelta(days=3) + timedelta(seconds=10)
    assert rows["b"].patrol_s == 0
    assert rows["b"].distance_m == pytest.approx(
        haversine_m(centre[(5, 5)][1], centre[(5, 5)][0], centre[(5, 6)][1], centre[(5, 6)][0]),
        rel=1e-6,
    )
    # (5,5) was visited by b two days ago: not a blind spot of c's, though c patrolled nothing.
    assert rows["c"].blind_spots == {} and rows["c"].tracks == 0
    assert report.cells[code[(5, 6)]].inspector_id == "b"
    # The vectorised locator and the one-point-at-a-time path give the same report.
    slow = compute_coverage(tracks, cells.__call__, start=T0, end=end,
                            cells=[c for c, _, _ in grid.values()])  # fmt: skip
    assert {i.inspector_id: i.cells_visited for i in slow.inspectors} == {
        i.inspector_id: i.cells_visited for i in report.inspectors if i.inspector_id != "c"
    }
    assert slow.cells == report.cells and slow.unvisited == report.unvisited
    # Summaries first (what the store keeps per track), added up later: the same figures.
    plain = combine(
        [summarise_track(x, cells) for x in tracks],
        start=T0,
        end=end,
        cells=[c for c, _, _ in grid.values()],
        responsibilities={"a": [code[(1, 1)], code[(2, 2)], code[(9, 9)]], "c": [code[(5, 5)]]},
        blind_days=7,
    )
    assert plain.inspectors == report.inspectors
    assert plain.cells == report.cells and plain.unvisited == report.unvisited
    assert len(report.unvisited) == 736 - 4


def test_cli_report_coverage_without_a_grid_gives_distance_and_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "laptop"
    with LocalStore(data) as store:
        fixes = [
            Fix(28.30 + i * 5e-5, 117.21, 4.0, None, T0 + timedelta(seconds=5 * i), FixQuality.GPS, PositionSource.GPS, 3)
            for i in range(100)
        ]  # fmt: skip
        store.import_track(fixes)
    assert (
        main(
            [
                "--data-dir",
                str(data),
                "report",
                "coverage",
                "--from",
                "2026-12-01",
                "--to",
                "2026-12-01",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    (row,) = out["inspectors"]
    assert row["distance_m"] == pytest.approx(99 * 5.56, rel=0.01)
    assert row["patrol_s"] == 495 and row["tracks"] == 1 and out["grid"] is False
    assert (
        main(
            [
                "--data-dir",
                str(data),
                "report",
                "coverage",
                "--from",
                "2026-12-02",
                "--to",
                "2026-12-01",
            ]
        )
        == 2
    )
    assert (
        main(
            [
                "--data-dir",
                str(data),
                "--lang",
                "zh_CN",
                "report",
                "coverage",
                "--from",
                "2026-12-01",
                "--to",
                "2026-12-01",
            ]
        )
        == 0
    )
    assert "巡查里程" in capsys.readouterr().out


def test_a_tracks_cells_are_stored_when_it_stops_and_walked_again_for_a_new_grid(
    tmp_path: Path, grid_file: Path
) -> None:
    grid = by_row_col(grid_file)
    route = [(4, c) for c in range(3, 8)]
    since, until = T0 - timedelta(days=1), T0 + timedelta(days=1)
    with LocalStore(tmp_path / "laptop", clock=lambda: T0) as store:
        load_grid(store, grid_file)
        # A live track, stopped: its cells are stored at once (nothing left for a report).
        track_id = store.start_track().id
        lonlats = [grid[rc][1:] for rc in route]
        points = [
            TrackPoint(lat, lon, T0 + timedelta(seconds=5 * i), 4.0, None, 0)
            for i, (lon, lat) in enumerate(lonlats)
        ]
        store.add_track_points(track_id, points)
        store.set_track_state(track_id, TrackState.STOPPED)
        assert refresh_track_cells(store, since, until) == 0
        (summary,) = track_summaries(store, since, until)
        assert set(summary.visits) == {grid[rc][0] for rc in route}
        first, last = summary.visits[grid[route[1]][0]]
        assert first == last == (T0 + timedelta(seconds=5)).timestamp()
        # The grid changes: the track is walked again, once, when a report needs it.
        load_grid(store, grid_file)
        assert refresh_track_cells(store, since, until) == 1
        assert refresh_track_cells(store, since, until) == 0
