"""``citypatrol report inspections|contractors|assessment`` and the bulletin's inspection
section, run as the installed command in a child process on a real store; the PDF read back
with pdftotext."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from helpers import ROOT, run_cli
from report_builders import add_department

from app.domain.checklists import ObjectKind, load_template, template_document
from app.domain.inspections import InspectionMode
from app.storage import LocalStore
from app.storage.inspection_feed import apply_inspection
from app.storage.inspections import (
    InspectableObject,
    add_deduction,
    begin_inspection,
    finish_inspection,
)
from app.storage.models import ChecklistTemplateRow, OutboxEntry

TEMPLATE = ROOT / "resources" / "checklists" / "street-sanitation.json"
PHOTO = Path("/work/shared/samples/photos/jpg/gps/DSCN0021.jpg")


def _city(data: Path) -> None:
    at = datetime(2026, 6, 10, 2, tzinfo=UTC)
    with LocalStore(data, clock=lambda: at) as store:
        template = load_template(TEMPLATE.read_bytes())
        with store.write() as s:
            s.add(
                ChecklistTemplateRow(
                    code=template.code, version=1, document=template_document(template)
                )
            )
        add_department(store, "环卫所", code="HW")
        street = InspectableObject(ObjectKind.STREET_SECTION, "S-9", "建设路东段", "HW")
        other = InspectableObject(ObjectKind.STREET_SECTION, "S-7", "人民路", "HW")
        for target, items in ((street, ["A1", "B2", "B2"]), (other, ["A3"])):
            iid = begin_inspection(store, template, target, InspectionMode.UNANNOUNCED).id
            for code in items:
                add_deduction(
                    store, iid, code, note="果皮纸屑", photo=PHOTO if code == "A1" else None
                )
            finish_inspection(store, iid)
            with store.read() as s:
                (entry,) = [e for e in s.query(OutboxEntry) if e.entity_id == iid]
                document = dict(entry.payload)
            with store.write() as s:  # as the feed announces its publication
                apply_inspection(
                    s, {"inspection": document, "published_at": at.isoformat(), "author": ""}
                )


def test_reports_and_the_bulletin_section(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _city(data)
    done = run_cli(
        "report",
        "inspections",
        "--from",
        "2026-06-01",
        "--to",
        "2026-06-30",
        "--json",
        data_dir=data,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    scores = {i["object"]["name"]: (i["score"], i["how"]["en"]) for i in report["inspections"]}
    # 建设路东段: A1 1 × 2 = 2, B2 2 × 5 = 10: 100 − 12 = 88; 人民路: A3 1 × 1: 99.
    assert scores["建设路东段"] == ("88", "A1: 1 × 2 = 2; B2: 2 × 5 = 10; 100 − 12 = 88")
    assert scores["人民路"][0] == "99"
    assert [(o["name"], o["rank"]) for o in report["objects"]] == [
        ("人民路", 1),
        ("建设路东段", 2),
    ]  # the department 环卫所 is an object too, but no checklist is made for departments here

    assessed = run_cli("report", "assessment", "--year", "2026", "--json", data_dir=data)
    assert assessed.returncode == 0, assessed.stderr
    (unit,) = json.loads(assessed.stdout)["units"]
    # No case at all: only the inspection figure counts, (88 + 99) / 2 = 93.5, weights scaled up.
    assert (unit["name"], unit["score"], unit["inspections"]) == ("环卫所", "93.50", 2)
    assert "no figure, left out" in unit["how"]["en"]
    plain = run_cli("--lang", "zh_CN", "report", "assessment", "--year", "2026", data_dir=data)
    assert "检查平均得分率 93.50 × 30/30 = 93.50" in plain.stdout

    out = tmp_path / "june.pdf"
    written = run_cli(
        "report", "bulletin", "--from", "2026-06-01", "--to", "2026-06-30", str(out), data_dir=data
    )
    assert written.returncode == 0, written.stderr
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "督导检查情况" in text and "88/100" in text and "99/100" in text
    assert re.search(r"表扬（得分靠前）：人民路（99\.00%）", text), text
    assert re.search(r"通报（得分靠后）：建设路东段（88\.00%）", text)
    assert "曝光典型问题" in text and "路面有明显垃圾" in text

    csv_out = tmp_path / "june.csv"
    exported = run_cli("report", "contractors", "--month", "2026-06", str(csv_out), data_dir=data)
    assert exported.returncode == 0 and csv_out.read_text(encoding="utf-8-sig").startswith(
        "object_id,"
    )
    assert (
        run_cli(
            "report", "contractors", "--month", "2026-13", str(csv_out), data_dir=data
        ).returncode
        == 2
    )
