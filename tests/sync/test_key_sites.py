"""Key-site rounds (重点部位常态化检查) end to end: ``citypatrol-server site load``, the sites
reaching the laptops through the feed, a check recorded offline at the site (and refused away
from it), delivered once, and the supervisors counting done and missed rounds."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import ROOT, ServerProcess
from sync_helpers import api

from app.cli import main
from app.domain.deadlines import WorkingCalendar
from app.domain.errors import DomainError
from app.domain.indicators import Period
from app.domain.sites import (
    CheckOutcome,
    KeySite,
    RoundState,
    SiteArea,
    SiteFileError,
    SiteFrequency,
    parse_sites,
    rounds,
)
from app.storage import LocalStore
from app.storage.coverage import coverage
from app.storage.sites import my_rounds, record_site_check, round_counts
from app.sync.engine import SyncEngine
from app.sync.session import sign_in
from app.ui.dashboard import load_dashboard

TZ = WorkingCalendar().tz
TODAY = datetime.now(TZ).date()
SCHOOL = (28.3005, 117.2150)  # a point with a 100 m radius: 贵溪 centre


def clock_at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(TODAY, time(hour, minute), TZ).astimezone(UTC)


def point(name: str, inspector: str, lat: float, lon: float, **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"name": name, "kind": "学校", "frequency": "daily", "due": "10:00",
                       "inspector": inspector, "radius_m": 100, **props},
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
    }  # fmt: skip


def polygon(name: str, inspector: str, **props: Any) -> dict[str, Any]:
    ring = [
        [117.220, 28.300],
        [117.222, 28.300],
        [117.222, 28.302],
        [117.220, 28.302],
        [117.220, 28.300],
    ]
    return {
        "type": "Feature",
        "properties": {"name": name, "kind": "农贸市场", "frequency": "weekly", "weekday": 7,
                       "due": "17:00", "inspector": inspector, **props},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }  # fmt: skip


def site_file(path: Path, *features: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": list(features)}), "utf-8")
    return path


def site_load(server: ServerProcess, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "--data-dir", str(server.data_dir), "site", "load", str(path)],
        capture_output=True, text=True, cwd=ROOT, check=False, timeout=120,
    )  # fmt: skip


def test_rounds_daily_and_weekly() -> None:
    site = KeySite("s", "第一小学", "学校", SiteFrequency.DAILY, time(10), None, "i",
                   SiteArea(*SCHOOL, 100.0), since=date(2026, 12, 1))  # fmt: skip
    day = date(2026, 12, 3)

    def at(d: date, h: int) -> datetime:
        return datetime.combine(d, time(h), TZ)

    found = rounds(site, [at(day - timedelta(days=1), 9), at(day, 11)],
                   first=date(2026, 11, 30), last=day, now=at(day, 12), tz=TZ)  # fmt: skip
    # Nothing before the site was loaded; the 1st missed, the 2nd done, the 3rd checked too late.
    assert [(r.period.day, r.state) for r in found] == [
        (1, RoundState.MISSED), (2, RoundState.DONE), (3, RoundState.MISSED)
    ]  # fmt: skip
    assert rounds(site, [], first=day, last=day, now=at(day, 8), tz=TZ)[0].state is RoundState.DUE
    weekly = KeySite(
        "w", "市场", "", SiteFrequency.WEEKLY, time(17), 3, "i", SiteArea(*SCHOOL, 50.0)
    )
    week = rounds(weekly, [at(date(2026, 11, 30), 9)], first=date(2026, 11, 30),
                  last=date(2026, 12, 13), now=at(date(2026, 12, 10), 18), tz=TZ)  # fmt: skip
    assert [(r.period, r.state) for r in week] == [
        (date(2026, 11, 30), RoundState.DONE), (date(2026, 12, 7), RoundState.MISSED)
    ]  # fmt: skip


def test_a_bad_site_file_is_refused_with_every_reason() -> None:
    bad = {
        "type": "FeatureCollection",
        "features": [
            point("无半径", "demo", *SCHOOL, radius_m=None),
            point("频率错", "demo", *SCHOOL, frequency="hourly"),
            point("时间错", "demo", *SCHOOL, due="25:99"),
            polygon("无星期", "demo", weekday=None),
            {**point("线", "demo", *SCHOOL), "geometry": {"type": "LineString", "coordinates": []}},
        ],
    }
    with pytest.raises(SiteFileError) as caught:
        parse_sites(bad)
    text = " ".join(p.en for p in caught.value.problems)
    for n, reason in (
        (1, "radius_m"),
        (2, "daily or weekly"),
        (3, "HH:MM"),
        (4, "weekday"),
        (5, "Point"),
    ):
        assert f"feature {n}" in text and reason in text
    with pytest.raises(SiteFileError, match="CRS"):
        parse_sites({**bad, "crs": {"type": "name", "properties": {"name": "EPSG:3857"}}})


def test_key_site_rounds_offline_through_the_server(
    server: ServerProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A file with an unknown inspector and a broken feature: refused whole, nothing loaded.
    wrong = site_file(tmp_path / "wrong.geojson", point("第一小学", "nobody", *SCHOOL),
                      point("第二小学", "demo", *SCHOOL, radius_m=-5))  # fmt: skip
    refused = site_load(server, wrong)
    assert refused.returncode == 1, refused.stdout
    assert "nobody" in refused.stderr and "nothing was loaded" in refused.stderr
    with api(server, "supervisor") as office:
        assert office.get("/api/v1/sites").json() == []
    good = site_file(tmp_path / "sites.geojson", point("第一小学", "demo", *SCHOOL),
                     point("人民医院", "inspector2", 28.305, 117.225), polygon("东门市场", "demo"))  # fmt: skip
    loaded = site_load(server, good)
    assert loaded.returncode == 0 and "3 new or changed" in loaded.stdout, loaded.stderr
    assert "3 unchanged" in site_load(server, good).stdout  # a reload of the same file: no change

    laptop = LocalStore(tmp_path / "demo", clock=lambda: clock_at(9))
    sign_in(laptop, server.url, "demo", "demo")
    assert SyncEngine(laptop).run().ok
    mine = my_rounds(laptop, clock_at(9))
    names = {r.site.name: r.round.state for r in mine}
    assert names == {"第一小学": RoundState.DUE, "东门市场": RoundState.DUE}  # not the hospital
    school = next(r.site for r in mine if r.site.name == "第一小学")
    hospital_id = next(
        s["id"] for s in api(server, "demo").get("/api/v1/sites").json() if s["name"] == "人民医院"
    )

    # Offline: refused away from the site, for another inspector's site, or a problem without a case.
    with pytest.raises(DomainError, match="not at"):
        record_site_check(
            laptop,
            school.id,
            lat=SCHOOL[0] + 0.01,
            lon=SCHOOL[1],
            accuracy_m=5,
            outcome=CheckOutcome.NO_PROBLEM,
        )
    with pytest.raises(DomainError, match="not yours"):
        record_site_check(
            laptop,
            hospital_id,
            lat=28.305,
            lon=117.225,
            accuracy_m=5,
            outcome=CheckOutcome.NO_PROBLEM,
        )
    with pytest.raises(DomainError, match="case first"):
        record_site_check(
            laptop,
            school.id,
            lat=SCHOOL[0],
            lon=SCHOOL[1],
            accuracy_m=5,
            outcome=CheckOutcome.PROBLEM,
        )
    record_site_check(
        laptop,
        school.id,
        lat=SCHOOL[0] + 0.0005,
        lon=SCHOOL[1],
        accuracy_m=5,
        outcome=CheckOutcome.NO_PROBLEM,
    )
    states = {r.site.name: r.round.state for r in my_rounds(laptop, clock_at(9, 5))}
    assert states["第一小学"] is RoundState.DONE  # done offline, before any sync
    for _ in range(2):  # the second sync sends nothing again
        report = SyncEngine(laptop).run()
        assert report.ok, report.lines("en")
    with api(server, "supervisor") as office:
        feed = office.get("/api/v1/feed", params={"limit": 1000}).json()["entries"]
    assert len([e for e in feed if e["kind"] == "site_check"]) == 1

    # The office's laptop at 11:00: 第一小学 done, 人民医院 (inspector2) missed; the weekly
    # market is due on Sunday, not counted before then.
    office = LocalStore(tmp_path / "office", clock=lambda: clock_at(11))
    sign_in(office, server.url, "supervisor", "supervisor")
    assert SyncEngine(office).run().ok
    counts = round_counts(office, TODAY, TODAY, clock_at(11))
    demo_id = laptop.actor.id
    other = next(k for k in counts if k != demo_id)
    assert (counts[demo_id].done, counts[demo_id].missed) == (1, 0)
    assert (counts[other].done, counts[other].missed) == (0, 1)
    # Missed rounds count in the coverage figures (CLI, Coverage tab, bulletin).
    day_start = datetime.combine(TODAY, time(), TZ)
    figures = {
        row.inspector_id: rounds
        for _, row, rounds in coverage(office, day_start, day_start + timedelta(days=1)).rows()
    }
    assert figures[other].missed == 1 and figures[demo_id].done == 1
    # … and in the indicators: `report indicators` (JSON and text) and the dashboard's tile.
    office.close()
    day = TODAY.isoformat()
    args = ["--data-dir", str(tmp_path / "office"), "--lang", "en", "report", "indicators",
            "--from", day, "--to", day]  # fmt: skip
    assert main([*args, "--json"], clock=lambda: clock_at(11)) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rounds"]["city"] == {"due": 2, "done": 1, "missed": 1}
    names = {n: c["missed"] for n, c in out["rounds"]["inspectors"].items()}
    assert sorted(names.values()) == [0, 1] and len(names) == 2
    assert main(args, clock=lambda: clock_at(11)) == 0
    text = capsys.readouterr().out
    assert "key-site rounds\tdue\tdone\tmissed" in text and "City\t2\t1\t1" in text
    office = LocalStore(tmp_path / "office", clock=lambda: clock_at(11))
    period = Period(day_start, day_start + timedelta(days=1))
    tile = load_dashboard(office, period, "en", now=clock_at(11)).rounds
    assert (tile.due, tile.done, tile.missed) == (2, 1, 1)

    # A reload without the hospital removes it everywhere.
    site_load(server, site_file(tmp_path / "fewer.geojson", point("第一小学", "demo", *SCHOOL),
                                polygon("东门市场", "demo")))  # fmt: skip
    assert SyncEngine(office).run().ok
    assert other not in round_counts(office, TODAY, TODAY, clock_at(11))
    laptop.close()
    office.close()


def test_site_check_endpoint_rules(server: ServerProcess, tmp_path: Path) -> None:
    site_load(server, site_file(tmp_path / "s.geojson", point("第一小学", "demo", *SCHOOL),
                                point("人民医院", "inspector2", 28.305, 117.225)))  # fmt: skip
    demo = api(server, "demo")
    sites = {s["name"]: s["id"] for s in demo.get("/api/v1/sites").json()}
    check = {"id": "6f1c0f64-6a7d-4a83-9c3a-5d8f1e2b3c4d", "at": datetime.now(UTC).isoformat(),
             "lat": SCHOOL[0], "lon": SCHOOL[1], "accuracy_m": 5, "outcome": "no_problem"}  # fmt: skip
    url = f"/api/v1/sites/{sites['第一小学']}/checks"
    first = demo.post(url, json=check)
    assert first.status_code == 200 and first.json()["created"]
    again = demo.post(url, json=check)
    assert again.status_code == 200 and not again.json()["created"]  # a resend
    assert demo.post(url, json={**check, "at": "2026-01-01T00:00:00Z"}).status_code == 409
    away = demo.post(url, json={**check, "id": "7f1c0f64-6a7d-4a83-9c3a-5d8f1e2b3c4d", "lat": 28.4})
    assert away.status_code == 422 and away.json()["detail"]["code"] == "not_at_site"
    theirs = demo.post(
        f"/api/v1/sites/{sites['人民医院']}/checks", json={**check, "lat": 28.305, "lon": 117.225}
    )
    assert theirs.status_code == 404
    for name in ("supervisor", "admin"):
        assert api(server, name).post(url, json=check).status_code == 403
    assert httpx.post(f"{server.url}{url}", json=check).status_code == 401
    assert httpx.get(f"{server.url}/api/v1/sites").status_code == 401
