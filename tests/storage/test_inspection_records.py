"""Scored inspections recorded offline in a real store: deductions with real photos, the
running score, finishing (queued whole, photos after), and a case made from a deduction."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from helpers import ROOT

from app.capture.photos import PhotoError
from app.capture.positions import Fix, FixQuality, PositionSource
from app.domain.checklists import ObjectKind, load_template, template_document
from app.domain.errors import DomainError
from app.domain.inspections import InspectionMode, InspectionState, read_inspection
from app.storage import LocalStore
from app.storage.inspections import (
    InspectableObject,
    add_deduction,
    begin_inspection,
    case_from_deduction,
    checklist_template,
    finish_inspection,
    inspectable_objects,
    inspection_view,
    publish_inspection,
    remove_deduction,
)
from app.storage.models import (
    ChecklistTemplateRow,
    Department,
    GridCell,
    GridResponsibility,
    InspectionObjectRow,
    OutboxEntry,
    ResponsibilityUnit,
)
from app.storage.states import OutboxEntity

TEMPLATE = ROOT / "resources" / "checklists" / "street-sanitation.json"
PHOTOS = Path("/work/shared/samples/photos/jpg")
STREET = InspectableObject(ObjectKind.STREET_SECTION, "S-001", "建设路（人民路—正义路）", "HW")


def loaded(tmp_path: Path) -> LocalStore:
    store = LocalStore(tmp_path / "laptop")
    template = load_template(TEMPLATE.read_bytes())
    with store.write() as s:
        s.add(
            ChecklistTemplateRow(
                code=template.code, version=1, document=template_document(template)
            )
        )
        s.add(Department(id="d1", code="HW", name="环卫所", active=True))
    return store


def test_deductions_with_photos_give_the_running_score_and_finish_queues_all(
    tmp_path: Path,
) -> None:
    store = loaded(tmp_path)
    template = checklist_template(store, "street-sanitation", 1)
    assert template is not None
    created = begin_inspection(store, template, STREET, InspectionMode.UNANNOUNCED)
    fix = Fix(28.24, 117.21, 5.0, None, None, FixQuality.GPS, PositionSource.GPS, 3)
    a1 = add_deduction(
        store, created.id, "A1", note="路面有垃圾", photo=PHOTOS / "Nikon_D70.jpg", fix=fix
    )
    add_deduction(store, created.id, "A1", note="又一处", photo=PHOTOS / "gps" / "DSCN0010.jpg")
    view = inspection_view(store, created.id)
    a1_item = template.item("A1")
    expected = template.total - min(2 * a1_item.deduction, a1_item.cap)
    assert view.sheet.score == expected
    assert view.deductions[0].lat == 28.24 and view.deductions[0].position_source == "gps"
    # The second photo's position is its own EXIF GPS.
    assert view.deductions[1].lat is not None and view.deductions[1].position_source == "photo"
    assert view.deductions[0].photo_path is not None and view.deductions[0].photo_path.exists()

    with pytest.raises(DomainError, match="no item"):
        add_deduction(store, created.id, "ZZ9")
    not_a_photo = tmp_path / "notes.jpg"
    not_a_photo.write_text("not a photo", encoding="utf-8")
    with pytest.raises(PhotoError):
        add_deduction(store, created.id, "A1", photo=not_a_photo)
    assert len(inspection_view(store, created.id).deductions) == 2  # the refusal kept nothing

    third = add_deduction(store, created.id, "A1", note="撤回")
    remove_deduction(store, third.id)
    with pytest.raises(DomainError, match="Only a supervisor"):
        publish_inspection(store, created.id)  # an inspector's laptop
    finish_inspection(store, created.id)
    with pytest.raises(DomainError, match="finished"):
        add_deduction(store, created.id, "A1")
    with store.read() as s:
        entries = list(s.query(OutboxEntry).order_by(OutboxEntry.seq))
    assert [e.entity for e in entries] == [
        OutboxEntity.INSPECTION,
        OutboxEntity.INSPECTION_PHOTO,
        OutboxEntity.INSPECTION_PHOTO,
    ]
    sent = read_inspection(entries[0].payload)
    assert sent.mode is InspectionMode.UNANNOUNCED and len(sent.deductions) == 2
    assert sent.sheet(template).score == expected
    assert inspection_view(store, created.id).state is InspectionState.FINISHED

    case = case_from_deduction(store, a1.id, "06010")
    row = store.get_case(case.id)
    assert row is not None and row.category_code == "06010" and row.lat == 28.24
    assert "路面有垃圾" in row.description
    (photo,) = store.photos(case.id)
    assert photo.sha256 == view.deductions[0].photo_sha256
    assert case_from_deduction(store, a1.id, "06010").id == case.id  # one case per deduction
    assert inspection_view(store, created.id).deductions[0].case_id == case.id


def test_objects_come_from_the_list_the_units_the_cells_and_the_departments(
    tmp_path: Path,
) -> None:
    store = loaded(tmp_path)
    ring = [117.2, 28.2, 117.21, 28.2, 117.21, 28.21, 117.2, 28.2]
    with store.write() as s:
        s.add(Department(id="d2", code="SZ", name="市政处", active=False))
        s.add_all([
            InspectionObjectRow(kind="market", id="M-1", name="东门市场", department_code="HW"),
            InspectionObjectRow(kind="market", id="M-0", name="旧市场", active=False),
            # The list names the unit's department: it wins over the unit's own entry.
            InspectionObjectRow(kind="unit", id="u2", name="贵溪二中（名单）", department_code="HW"),
            ResponsibilityUnit(id="u1", name="贵溪一中", rings=[], lon=117.2, lat=28.2, radius_m=40),
            ResponsibilityUnit(id="u2", name="贵溪二中", rings=[ring]),
            GridCell(code="360681017001001", street="滨江镇", community="柏里村", rings=[ring], version=1),
            GridCell(code="360681017001002", street="滨江镇", community="", rings=[ring], version=1),
            GridResponsibility(grid_code="360681017001001", inspectors=[], departments={"*": "d1", "06": "d2"}),
        ])  # fmt: skip
    objects = inspectable_objects(store)
    assert [(o.kind, o.id, o.name, o.department_code) for o in objects] == [
        (ObjectKind.MARKET, "M-1", "东门市场", "HW"),
        (ObjectKind.UNIT, "u1", "贵溪一中", None),
        (ObjectKind.UNIT, "u2", "贵溪二中（名单）", "HW"),
        (ObjectKind.GRID_CELL, "360681017001001", "360681017001001 滨江镇 柏里村", "HW"),
        (ObjectKind.GRID_CELL, "360681017001002", "360681017001002 滨江镇", None),
        (ObjectKind.DEPARTMENT, "HW", "环卫所", "HW"),
    ]
    assert [o.id for o in inspectable_objects(store, ObjectKind.UNIT)] == ["u1", "u2"]
    template = checklist_template(store, "street-sanitation", 1)
    assert template is not None
    with pytest.raises(DomainError, match="not for"):
        begin_inspection(store, template, objects[0], InspectionMode.OPEN)
    assert Decimal(0) <= template.total
