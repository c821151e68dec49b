"""定人定责 in the dispatch dialog: the grid and the responsibilities loaded on a real server reach
the inspector's and the supervisor's laptops; the inspector's case gets its cell from its
position; the supervisor's dispatch dialog preselects the responsible department and says why."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import ServerProcess, run_server_cli
from pytestqt.qtbot import QtBot
from shapely.geometry import shape

from app.domain import CaseFields
from app.domain.lifecycle import Action
from app.storage import LocalStore
from app.storage.supervision import departments, record_decision
from app.sync.backoff import Backoff
from app.sync.engine import SyncEngine, SyncOptions
from app.sync.session import sign_in
from app.ui.supervisor import CaseDetailDialog, DecisionDialog
from app.ui.tasks import TaskRunner

FAST = SyncOptions(backoff=Backoff(base_s=0.01, cap_s=0.05))


def synced(store: LocalStore) -> None:
    report = SyncEngine(store, FAST).run()
    assert report.ok, report.lines("en")


def test_dispatch_preselects_the_responsible_department(
    qtbot: QtBot, tmp_path: Path, tasks: TaskRunner, server: ServerProcess, samples: Path
) -> None:
    source = samples / "map" / "grids.geojson"
    run_server_cli(server, "grid", "load", str(source))
    feature = json.loads(source.read_text(encoding="utf-8"))["features"][123]
    code = feature["properties"]["code"]
    rules = tmp_path / "resp.csv"
    rules.write_text(
        f"grid_code,inspectors,category_class,department\n{code},demo,01,SZSS\n{code},,*,CGZF\n",
        encoding="utf-8",
    )
    run_server_cli(server, "responsibility", "load", str(rules))
    point = shape(feature["geometry"]).representative_point()
    units = tmp_path / "units.geojson"
    units.write_text(
        json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature",
            "properties": {"name": "贵溪市雄石小学", "letter_no": "MQ-5", "radius_m": 20},
            "geometry": {"type": "Point", "coordinates": [point.x, point.y]}}]}),
        encoding="utf-8",
    )  # fmt: skip
    run_server_cli(server, "unit", "load", str(units))

    inspector = LocalStore(tmp_path / "inspector")
    sign_in(inspector, server.url, "demo", "demo")
    synced(inspector)
    lamp = inspector.create_case(
        CaseFields(category_code="01037", description="路灯不亮", lat=point.y, lon=point.x)
    ).id
    litter = inspector.create_case(
        CaseFields(category_code="06010", description="暴露垃圾", lat=point.y, lon=point.x)
    ).id
    for case_id in (lamp, litter):
        assert inspector.get_case(case_id).grid_code == code  # no typing
        inspector.submit_case(case_id)
    synced(inspector)

    office = LocalStore(tmp_path / "office")
    sign_in(office, server.url, "supervisor", "supervisor")
    synced(office)
    for case_id in (lamp, litter):
        assert office.get_case(case_id).grid_code == code  # through the server
        record_decision(office, case_id, Action.ACCEPT)
        record_decision(office, case_id, Action.REGISTER)
    ids = {d.code: d.id for d in departments(office)}

    dialog = DecisionDialog(office, tasks, "en", lamp, Action.DISPATCH)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.loaded, timeout=10_000):
        dialog.show()
    assert dialog.department_id() == ids["SZSS"]
    assert dialog.department_note.isVisibleTo(dialog)
    assert f"in grid cell {code}, category class 01 is this department's" in (
        dialog.department_note.text()
    )
    dialog.close()

    other = DecisionDialog(office, tasks, "en", litter, Action.DISPATCH)
    qtbot.addWidget(other)
    with qtbot.waitSignal(other.loaded, timeout=10_000):
        other.show()
    assert other.department_id() == ids["CGZF"]
    assert "for every category" in other.department_note.text()
    # The supervisor may still choose another department.
    other.department_combo.setCurrentIndex(other.department_combo.findData(ids["HWC"]))
    assert other.department_id() == ids["HWC"]
    other.close()

    # The case's history names its cell and its 门前三包 unit (found on the office's laptop).
    history = CaseDetailDialog(office, tasks, "en", lamp)
    qtbot.addWidget(history)
    with qtbot.waitSignal(history.loaded, timeout=10_000):
        history.show()
    assert f"Grid cell {code}" in history.facts_label.text()
    assert "门前三包 unit: 贵溪市雄石小学" in history.facts_label.text()
