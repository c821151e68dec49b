"""Scored inspections on the laptop: templates, the objects inspected, recording offline.

Templates arrive through the feed (kind ``checklist``, :func:`app.storage.feed._on_checklist`)
and are read here as :class:`~app.domain.checklists.ChecklistTemplate` — the domain's own
parser, so a template on the laptop is held to the same rules as on the server.

An inspector of the 督导检查组 begins an inspection of one object with one template version,
records deductions — each one occurrence of an item's problem, with a note, a photo and a
position — and sees the running score (:func:`inspection_view`). Finishing it queues the whole
inspection and each deduction's photo for the server (outbox entities ``inspection`` and
``inspection_photo``); from then on it no longer changes here.

Deduction photos go through the same checks and the same content-addressed photo store as a
case's photos (:mod:`app.capture.photos`, :mod:`app.storage.photos`): a deduction holds the
photo's SHA-256, so a case created from the deduction (:func:`case_from_deduction`) attaches
the very same file without copying it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from app.capture.positions import Fix, PositionSource
from app.domain.checklists import ChecklistTemplate, ObjectKind, parse_template
from app.domain.errors import DomainError, Message
from app.domain.ids import new_id
from app.domain.inspections import (
    Deduction,
    Inspection,
    InspectionMode,
    InspectionState,
    inspection_document,
)
from app.domain.lifecycle import Role
from app.domain.scoring import ScoreSheet
from app.domain.validation import CaseFields
from app.storage.changelog import enqueue
from app.storage.db import translate_errors
from app.storage.models import (
    ChecklistTemplateRow,
    DeductionRow,
    Department,
    GridCell,
    GridResponsibility,
    InspectionObjectRow,
    InspectionRow,
    ResponsibilityUnit,
)
from app.storage.photos import original_path, store_original, thumbnail_path, write_thumbnail
from app.storage.rows import Changes, Created
from app.storage.states import DeliveryState, OutboxEntity

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.storage.store import LocalStore


def checklist_templates(
    store: LocalStore, kind: ObjectKind | None = None
) -> list[ChecklistTemplate]:
    """The latest version of each template (of one object kind, if given), by name."""
    latest = (
        select(ChecklistTemplateRow.code, func.max(ChecklistTemplateRow.version).label("v"))
        .group_by(ChecklistTemplateRow.code)
        .subquery()
    )
    with store.read() as s:
        documents = list(
            s.scalars(
                select(ChecklistTemplateRow.document).join(
                    latest,
                    (ChecklistTemplateRow.code == latest.c.code)
                    & (ChecklistTemplateRow.version == latest.c.v),
                )
            )
        )
    templates = [parse_template(d) for d in documents]
    if kind is not None:
        templates = [t for t in templates if t.object_kind is kind]
    return sorted(templates, key=lambda t: (t.name.zh, t.code))


def checklist_template(store: LocalStore, code: str, version: int) -> ChecklistTemplate | None:
    """One version of a template, as an inspection begun on it is scored."""
    with store.read() as s:
        row = s.get(ChecklistTemplateRow, (code, version))
        return None if row is None else parse_template(row.document)


# -- the objects inspected -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InspectableObject:
    kind: ObjectKind
    id: str
    name: str
    department_code: str | None


def inspectable_objects(
    store: LocalStore, kind: ObjectKind | None = None
) -> list[InspectableObject]:
    """THE place the objects to inspect come from — nothing else in the app knows.

    - the list the server loaded (``citypatrol-server inspection-object load FILE.csv``, feed
      kind ``inspection_object``): street sections, markets, school surroundings, contractors'
      areas, each with its responsible department;
    - the 门前三包 units (``citypatrol-server unit load``, kind ``unit``);
    - the grid cells (``citypatrol-server grid load``, kind ``grid_cell``), named by code,
      street and community, their department the one 定人定责 made responsible for any category
      (class ``*``);
    - every active department (kind ``department``).

    An object of the loaded list wins over a unit or cell of the same kind and id, so a county
    can give a unit its department by listing it. Sorted by kind (as :class:`ObjectKind`
    declares them), then name.
    """
    with store.read() as s:
        codes = {d.id: d.code for d in s.scalars(select(Department))}
        loaded = [
            InspectableObject(ObjectKind(r.kind), r.id, r.name, r.department_code)
            for r in s.scalars(select(InspectionObjectRow).where(InspectionObjectRow.active))
        ]
        units = [
            InspectableObject(ObjectKind.UNIT, u.id, u.name, None)
            for u in s.scalars(select(ResponsibilityUnit))
        ]
        responsible = {
            r.grid_code: codes.get(r.departments.get("*", ""))
            for r in s.scalars(select(GridResponsibility))
        }
        cells = [
            InspectableObject(
                ObjectKind.GRID_CELL,
                c.code,
                " ".join(p for p in (c.code, c.street, c.community) if p),
                responsible.get(c.code),
            )
            for c in s.scalars(select(GridCell))
        ]
        departments = [
            InspectableObject(ObjectKind.DEPARTMENT, d.code, d.name, d.code)
            for d in s.scalars(select(Department).where(Department.active))
        ]
    found: dict[tuple[ObjectKind, str], InspectableObject] = {}
    for o in [*loaded, *units, *cells, *departments]:
        if kind is None or o.kind is kind:
            found.setdefault((o.kind, o.id), o)
    order = {k: i for i, k in enumerate(ObjectKind)}
    return sorted(found.values(), key=lambda o: (order[o.kind], o.name, o.id))


# -- recording -----------------------------------------------------------------------------


def may_record(store: LocalStore) -> bool:
    """Whether this laptop's account records scored inspections: an inspector of the
    inspection team (督导检查组), as the server said at the last sign-in (the server checks
    again when an inspection arrives)."""
    account = store.account()
    return account is not None and account.role is Role.INSPECTOR and account.inspection_team


@dataclass(frozen=True, slots=True)
class DeductionView:
    id: str
    item_code: str
    item_text: Message
    note: str
    at: datetime
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    position_source: str | None
    photo_sha256: str | None
    photo_path: Path | None
    thumbnail: Path | None
    photo_delivery: str | None
    case_id: str | None


@dataclass(frozen=True, slots=True)
class InspectionView:
    """An inspection with its deductions and its score sheet (the running score while open)."""

    id: str
    template: ChecklistTemplate
    object_kind: ObjectKind
    object_id: str
    object_name: str
    department_code: str | None
    mode: InspectionMode
    state: InspectionState
    author_name: str
    started_at: datetime
    finished_at: datetime | None
    published_at: datetime | None
    delivery: str
    delivery_error: str | None
    deductions: tuple[DeductionView, ...]
    sheet: ScoreSheet
    mine: bool

    @property
    def percent(self) -> Decimal:
        return self.sheet.percent


def _not_found(inspection_id: str) -> DomainError:
    return DomainError(
        "not_found",
        Message(f"找不到检查记录 {inspection_id}", f"No inspection {inspection_id}"),
    )


def _require(s: Session, inspection_id: str) -> InspectionRow:
    row = s.get(InspectionRow, inspection_id)
    if row is None:
        raise _not_found(inspection_id)
    return row


def _require_open(s: Session, inspection_id: str) -> InspectionRow:
    row = _require(s, inspection_id)
    if row.state != InspectionState.OPEN or not row.mine:
        raise DomainError(
            "inspection_finished",
            Message(
                "检查已完成，不能再修改扣分", "The inspection is finished; deductions are fixed"
            ),
        )
    return row


def begin_inspection(
    store: LocalStore,
    template: ChecklistTemplate,
    target: InspectableObject,
    mode: InspectionMode,
) -> Created:
    """Begin an inspection of ``target`` with (this version of) ``template``, here and offline."""
    if template.object_kind is not target.kind:
        raise DomainError(
            "wrong_object_kind",
            Message(
                f"检查表“{template.name.zh}”用于{template.object_kind}，不能用于 {target.name}",
                f"the checklist {template.name.en} is for {template.object_kind} objects, "
                f"not for {target.name}",
            ),
        )
    now = store.clock()
    inspection_id = new_id()
    account = store.account()
    with store.write() as s:
        if s.get(ChecklistTemplateRow, (template.code, template.version)) is None:
            raise DomainError(
                "unknown_checklist",
                Message(
                    f"本机没有检查表 {template.code} 第 {template.version} 版",
                    f"checklist {template.code} version {template.version} is not on this laptop",
                ),
            )
        s.add(
            InspectionRow(
                id=inspection_id,
                template_code=template.code,
                template_version=template.version,
                object_kind=str(target.kind),
                object_id=target.id,
                object_name=target.name,
                department_code=target.department_code,
                mode=str(mode),
                state=InspectionState.OPEN,
                author_id=store.actor.id,
                author_name=account.display_name if account else "",
                started_at=now,
                mine=True,
                delivery=DeliveryState.PENDING,
            )
        )
    return Created(inspection_id, Changes(inspections=frozenset({inspection_id})))


def add_deduction(
    store: LocalStore,
    inspection_id: str,
    item_code: str,
    *,
    note: str = "",
    photo: Path | None = None,
    fix: Fix | None = None,
) -> Created:
    """Record one occurrence of ``item_code``'s problem, with its note, photo and position.

    The photo is checked and stored first (a refused file records nothing). The position is
    ``fix`` (GPS, the position panel), else the photo's own EXIF GPS position.
    """
    with store.read() as s:
        row = _require_open(s, inspection_id)
        code, version = row.template_code, row.template_version
    template = checklist_template(store, code, version)
    if template is None:
        raise _not_found(f"{code} v{version}")
    template.item(item_code)  # raises for an item this version does not have
    if len(note) > 2000:
        raise DomainError(
            "note_too_long", Message("说明最多 2000 字", "A note is at most 2000 characters")
        )
    sha = mime = None
    size: int | None = None
    name = ""
    lat = lon = accuracy = None
    source: str | None = None
    if photo is not None:
        from app.capture.photos import inspect_with_thumbnail  # Pillow: only with a photo

        info, thumb = inspect_with_thumbnail(Path(photo))
        with translate_errors(store.data_dir):
            stored = store_original(
                Path(photo), store.photos_dir, sha256=info.sha256, mime=info.mime
            )
            write_thumbnail(store.photos_dir, info.sha256, thumb)
        sha, mime, size, name = info.sha256, info.mime, stored.size_bytes, Path(photo).name
        if info.gps_lat is not None and info.gps_lon is not None:
            lat, lon, source = info.gps_lat, info.gps_lon, PositionSource.PHOTO.value
    if fix is not None:
        lat, lon, accuracy, source = fix.lat, fix.lon, fix.accuracy_m, fix.source.value
    deduction_id = new_id()
    with store.write() as s:
        _require_open(s, inspection_id)
        s.add(
            DeductionRow(
                id=deduction_id,
                inspection_id=inspection_id,
                item_code=item_code,
                note=note.strip(),
                at=store.clock(),
                lat=lat,
                lon=lon,
                accuracy_m=accuracy,
                position_source=source,
                photo_sha256=sha,
                photo_mime=mime,
                photo_size=size,
                photo_name=name,
                photo_delivery=DeliveryState.PENDING if sha else None,
            )
        )
    return Created(deduction_id, Changes(inspections=frozenset({inspection_id})))


def remove_deduction(store: LocalStore, deduction_id: str) -> Changes:
    """Take back a deduction of an inspection still being recorded."""
    with store.write() as s:
        row = s.get(DeductionRow, deduction_id)
        if row is None:
            raise _not_found(deduction_id)
        _require_open(s, row.inspection_id)
        inspection_id = row.inspection_id
        s.delete(row)
    return Changes(inspections=frozenset({inspection_id}))


def finish_inspection(store: LocalStore, inspection_id: str) -> Changes:
    """Close the inspection and queue it whole, then each deduction's photo, for the server."""
    now = store.clock()
    with store.write() as s:
        row = _require_open(s, inspection_id)
        row.state = InspectionState.FINISHED
        row.finished_at = now
        deductions = _deductions(s, inspection_id)
        document = inspection_document(_domain(row, deductions))
        enqueue(s, OutboxEntity.INSPECTION, inspection_id, "submit", document, now=now)
        for d in deductions:
            if d.photo_sha256:
                enqueue(
                    s,
                    OutboxEntity.INSPECTION_PHOTO,
                    d.id,
                    "upload",
                    {
                        "inspection_id": inspection_id,
                        "sha256": d.photo_sha256,
                        "mime": d.photo_mime,
                        "size": d.photo_size,
                    },
                    now=now,
                )
    return Changes(inspections=frozenset({inspection_id}), outbox=True)


def publish_inspection(store: LocalStore, inspection_id: str) -> Changes:
    """A supervisor publishes a finished inspection (通报): the unit then sees it, an unannounced
    one included. Queued like a decision; the server's feed confirms it to everyone."""
    if store.actor.role is not Role.SUPERVISOR:
        raise DomainError(
            "role_not_allowed",
            Message("只有值班长可以通报检查结果", "Only a supervisor publishes inspections"),
        )
    now = store.clock()
    with store.write() as s:
        row = _require(s, inspection_id)
        if row.state == InspectionState.OPEN:
            raise DomainError(
                "inspection_open",
                Message("检查尚未完成，不能通报", "The inspection is not finished yet"),
            )
        if row.state == InspectionState.PUBLISHED:
            return Changes()
        row.state = InspectionState.PUBLISHED
        row.published_at = now
        enqueue(s, OutboxEntity.INSPECTION, inspection_id, "publish", {}, now=now)
    return Changes(inspections=frozenset({inspection_id}), outbox=True)


def case_from_deduction(store: LocalStore, deduction_id: str, category_code: str) -> Created:
    """A draft case from a deduction, in one step: the category chosen, the item and note as
    its description, the deduction's position and photo carried over — so the problem enters
    the normal loop (the inspector submits it like any case)."""
    with store.read() as s:
        d = s.get(DeductionRow, deduction_id)
        if d is None:
            raise _not_found(deduction_id)
        if d.case_id is not None:
            return Created(d.case_id, Changes())
        row = _require(s, d.inspection_id)
        code, version, object_name = row.template_code, row.template_version, row.object_name
        lat, lon, accuracy = d.lat, d.lon, d.accuracy_m
        sha, mime, note, item_code = d.photo_sha256, d.photo_mime, d.note, d.item_code
        at = d.at
    template = checklist_template(store, code, version)
    item_text = template.item(item_code).text.zh if template else item_code
    description = f"{object_name}：{item_text}" + (f"。{note}" if note else "")
    created = store.create_case(
        CaseFields(
            category_code=category_code,
            description=description[:2000],
            address=object_name,
            lat=lat,
            lon=lon,
            accuracy_m=accuracy,
            observed_at=at,
        )
    )
    changes = created.changes
    if sha and mime:
        changes |= store.attach_photo(
            created.id, original_path(store.photos_dir, sha, mime)
        ).changes
    with store.write() as s:
        row_d = s.get(DeductionRow, deduction_id)
        assert row_d is not None
        row_d.case_id = created.id
        inspection_id = row_d.inspection_id
    return Created(created.id, changes | Changes(inspections=frozenset({inspection_id})))


# -- reads ---------------------------------------------------------------------------------


def _deductions(s: Session, inspection_id: str) -> list[DeductionRow]:
    return list(
        s.scalars(
            select(DeductionRow)
            .where(DeductionRow.inspection_id == inspection_id)
            .order_by(DeductionRow.at, DeductionRow.id)
        )
    )


def _domain(row: InspectionRow, deductions: list[DeductionRow]) -> Inspection:
    return Inspection(
        id=row.id,
        template_code=row.template_code,
        template_version=row.template_version,
        object_kind=ObjectKind(row.object_kind),
        object_id=row.object_id,
        object_name=row.object_name,
        department_code=row.department_code,
        mode=InspectionMode(row.mode),
        started_at=row.started_at,
        finished_at=row.finished_at or row.started_at,
        deductions=tuple(
            Deduction(
                id=d.id,
                item_code=d.item_code,
                note=d.note,
                at=d.at,
                lat=d.lat,
                lon=d.lon,
                accuracy_m=d.accuracy_m,
                position_source=d.position_source,
                photo_sha256=d.photo_sha256,
                photo_mime=d.photo_mime,
                photo_size=d.photo_size,
            )
            for d in deductions
        ),
    )


def inspection_view(store: LocalStore, inspection_id: str) -> InspectionView:
    """The inspection, its deductions and its score (running while it is being recorded)."""
    with store.read() as s:
        row = _require(s, inspection_id)
        deductions = _deductions(s, inspection_id)
    template = checklist_template(store, row.template_code, row.template_version)
    if template is None:
        raise _not_found(f"{row.template_code} v{row.template_version}")
    return _view(store, row, deductions, template)


def _view(
    store: LocalStore,
    row: InspectionRow,
    deductions: list[DeductionRow],
    template: ChecklistTemplate,
) -> InspectionView:
    texts = {item.code: item.text for item in template.items()}
    views = []
    for d in deductions:
        path = thumb = None
        if d.photo_sha256 and d.photo_mime:
            candidate = original_path(store.photos_dir, d.photo_sha256, d.photo_mime)
            if candidate.exists():
                path = candidate
                thumb = thumbnail_path(store.photos_dir, d.photo_sha256)
        views.append(
            DeductionView(
                id=d.id,
                item_code=d.item_code,
                item_text=texts.get(d.item_code, Message(d.item_code, d.item_code)),
                note=d.note,
                at=d.at,
                lat=d.lat,
                lon=d.lon,
                accuracy_m=d.accuracy_m,
                position_source=d.position_source,
                photo_sha256=d.photo_sha256,
                photo_path=path,
                thumbnail=thumb if thumb is not None and thumb.exists() else None,
                photo_delivery=d.photo_delivery,
                case_id=d.case_id,
            )
        )
    return InspectionView(
        id=row.id,
        template=template,
        object_kind=ObjectKind(row.object_kind),
        object_id=row.object_id,
        object_name=row.object_name,
        department_code=row.department_code,
        mode=InspectionMode(row.mode),
        state=InspectionState(row.state),
        author_name=row.author_name,
        started_at=row.started_at,
        finished_at=row.finished_at,
        published_at=row.published_at,
        delivery=row.delivery,
        delivery_error=row.delivery_error,
        deductions=tuple(views),
        sheet=_domain(row, deductions).sheet(template),
        mine=row.mine,
    )


def list_inspections(
    store: LocalStore, start: datetime | None = None, end: datetime | None = None
) -> list[InspectionView]:
    """Inspections on this laptop, newest first; with ``start``/``end``, the finished ones of
    that period (``start`` ≤ finished < ``end``). Those whose template version is not here
    (not synced yet) are left out."""
    with store.read() as s:
        stmt = select(InspectionRow)
        if start is not None:
            stmt = stmt.where(InspectionRow.finished_at >= start)
        if end is not None:
            stmt = stmt.where(InspectionRow.finished_at < end)
        rows = list(s.scalars(stmt.order_by(InspectionRow.started_at.desc(), InspectionRow.id)))
        deductions: dict[str, list[DeductionRow]] = {r.id: [] for r in rows}
        if rows:
            for d in s.scalars(
                select(DeductionRow)
                .where(DeductionRow.inspection_id.in_(list(deductions)))
                .order_by(DeductionRow.at, DeductionRow.id)
            ):
                deductions[d.inspection_id].append(d)
    templates: dict[tuple[str, int], ChecklistTemplate | None] = {}
    out = []
    for row in rows:
        key = (row.template_code, row.template_version)
        if key not in templates:
            templates[key] = checklist_template(store, *key)
        template = templates[key]
        if template is not None:
            out.append(_view(store, row, deductions[row.id], template))
    return out
