"""门前三包 units in the figures: cases reported inside a unit's frontage count for it in
``report indicators`` (text and JSON) and in the bulletin PDF (read back with pdftotext)."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from helpers import run_cli

from app.domain import CaseFields
from app.domain.indicators import Period
from app.storage import LocalStore
from app.storage.grids import apply_unit
from app.storage.units import unit_counts

SCHOOL = (28.3000, 117.2100)  # a frontage of 30 m around this point
SHOP = [
    117.2200,
    28.3100,
    117.2210,
    28.3100,
    117.2210,
    28.3105,
    117.2200,
    28.3105,
    117.2200,
    28.3100,
]


def units(store: LocalStore) -> None:
    with store.write() as s:
        apply_unit(s, {"id": "u-school", "name": "贵溪市第一中学", "contact": "0701-1",
                       "letter_no": "MQ-001", "rings": [], "lat": SCHOOL[0], "lon": SCHOOL[1],
                       "radius_m": 30.0, "removed": False})  # fmt: skip
        apply_unit(s, {"id": "u-shop", "name": "雄石商店", "contact": "", "letter_no": "MQ-002",
                       "rings": [SHOP], "lat": None, "lon": None, "radius_m": None,
                       "removed": False})  # fmt: skip


def report(store: LocalStore, lat: float, lon: float, text: str = "暴露垃圾") -> str:
    case_id = store.create_case(
        CaseFields(category_code="06010", description=text, lat=lat, lon=lon)
    ).id
    store.submit_case(case_id)
    return case_id


def test_cases_count_for_the_unit_whose_frontage_holds_them(data_dir: Path) -> None:
    with LocalStore(data_dir) as store:
        units(store)
        report(store, SCHOOL[0] + 0.0001, SCHOOL[1])  # 11 m from the school's point
        report(store, SCHOOL[0], SCHOOL[1] + 0.0002)  # 20 m
        report(store, 28.31025, 117.2205)  # inside the shop's polygon
        report(store, 28.3200, 117.2300)  # in no frontage
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        counts = unit_counts(store, Period(today, today + timedelta(days=1)))
        assert [(c.name, c.reported, c.closed, c.open) for c in counts] == [
            ("贵溪市第一中学", 2, 0, 2),
            ("雄石商店", 1, 0, 1),
        ]
        assert unit_counts(store, Period(today - timedelta(days=7), today)) == []

    day = date.today().isoformat()
    done = run_cli("report", "indicators", "--from", day, "--to", day, "--json", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["units"][0] == {
        "name": "贵溪市第一中学", "letter_no": "MQ-001", "reported": 2, "closed": 0, "open": 2
    }  # fmt: skip
    text = run_cli("report", "indicators", "--from", day, "--to", day, data_dir=data_dir).stdout
    assert "雄石商店\tMQ-002\t1\t0\t1" in text

    pdf = data_dir.parent / "bulletin.pdf"
    done = run_cli("report", "bulletin", "--from", day, "--to", day, str(pdf), data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    words = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "门前三包责任单位" in words
    assert "贵溪市第一中学" in words and "MQ-001" in words


def test_the_case_report_names_the_cell_and_the_unit(data_dir: Path) -> None:
    from app.storage.bulletin import case_report_data
    from app.storage.grids import apply_cell

    with LocalStore(data_dir) as store:
        units(store)
        lat, lon = SCHOOL
        ring = [lon - 0.001, lat - 0.001, lon + 0.001, lat - 0.001, lon + 0.001, lat + 0.001,
                lon - 0.001, lat + 0.001, lon - 0.001, lat - 0.001]  # fmt: skip
        with store.write() as s:
            apply_cell(s, {"code": "360681001001001", "street": "东门街道", "community": "雄石社区",
                           "rings": [ring], "version": 1, "removed": False})  # fmt: skip
        case_id = report(store, lat, lon)
        data = case_report_data(store, case_id, "zh_CN")
        assert (data.grid_code, data.place) == ("360681001001001", "东门街道 · 雄石社区")
        assert data.unit == "贵溪市第一中学 (MQ-001)"
        elsewhere = case_report_data(store, report(store, 28.40, 117.40), "zh_CN")
        assert (elsewhere.grid_code, elsewhere.place, elsewhere.unit) == (None, "", "")
