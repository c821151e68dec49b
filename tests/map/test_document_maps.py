"""Maps in the PDFs: a location map in a case's report, the period's cases (overdue in red) in
the bulletin; on the registered basemap, or on a plain background when there is none. Read back
with poppler: the PDF holds the map image and still all its text."""

from __future__ import annotations

import subprocess
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtGui import QColor

from app.documents.maps import MapSource, cases_map
from app.documents.pdf import write_bulletin_pdf, write_case_report
from app.domain import CaseFields
from app.domain.indicators import Period
from app.domain.validation import Urgency
from app.geo.basemaps import BasemapRegistry
from app.storage import LocalStore
from app.storage.bulletin import bulletin_data

#: A crossing in the centre of 贵溪 (inside the sample basemap).
SPOT = (28.3005, 117.2150)


def run(*command: str) -> str:
    return subprocess.run(
        command, capture_output=True, text=True, encoding="utf-8", check=True, timeout=120
    ).stdout


def images(pdf: Path) -> list[list[str]]:
    return [line.split() for line in run("pdfimages", "-list", str(pdf)).splitlines()[2:]]


def a_case(store: LocalStore, description: str, lat: float, lon: float) -> str:
    fields = CaseFields(
        category_code="06010",
        description=description,
        address="贵溪市雄石大道",
        urgency=Urgency.NORMAL,
        lat=lat,
        lon=lon,
        accuracy_m=5.0,
    )
    case_id = store.create_case(fields).id
    store.submit_case(case_id)
    return case_id


@pytest.mark.parametrize("with_basemap", [True, False])
def test_case_report_has_a_location_map(
    qapp: object, data_dir: Path, samples: Path, tmp_path: Path, with_basemap: bool
) -> None:
    store = LocalStore(data_dir)
    if with_basemap:
        BasemapRegistry(data_dir).add(samples / "map" / "town.mbtiles", name="town")
    case_id = a_case(store, "雄石大道垃圾堆放", *SPOT)
    out = write_case_report(store, case_id, tmp_path / "case.pdf", "zh_CN")
    listed = images(out)
    assert listed, "the report holds its location map"
    assert any(int(row[3]) >= 1000 for row in listed)  # the map, 1200 px wide
    # NFKC: poppler writes some CJK characters as their Kangxi-radical look-alikes (⽯ for 石).
    text = unicodedata.normalize("NFKC", "".join(run("pdftotext", str(out), "-").split()))
    assert "雄石大道垃圾堆放" in text and "28.300500,117.215000" in text


def test_bulletin_maps_the_period_and_overdue_is_red(
    qapp: object, data_dir: Path, samples: Path, tmp_path: Path
) -> None:
    store = LocalStore(data_dir)
    BasemapRegistry(data_dir).add(samples / "map" / "town.mbtiles", name="town")
    now = datetime.now(UTC)
    for i in range(6):
        a_case(store, f"案件{i}", SPOT[0] + 0.002 * i, SPOT[1] - 0.003 * i)
    period = Period(now - timedelta(days=7), now + timedelta(hours=1))
    data = bulletin_data(store, period, language="en")
    assert len(data.map_points) == 6 and data.basemap is not None
    out = write_bulletin_pdf(data, tmp_path / "bulletin.pdf", "en")
    assert any(int(row[3]) >= 1000 for row in images(out))
    text = run("pdftotext", str(out), "-")
    assert "overdue cases in red" in text and "Overview" in text

    # The map itself: an overdue case is drawn red where it is; the others blue.
    image = cases_map(MapSource(), [(SPOT[0], SPOT[1], True), (28.31, 117.23, False)])
    assert image is not None
    reds = blues = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = QColor(image.pixel(x, y))
            reds += c.red() > 180 and c.green() < 70 and c.blue() < 70
            blues += c.blue() > 160 and c.red() < 80
    assert reds > 20 and blues > 20
