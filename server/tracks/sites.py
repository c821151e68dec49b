"""Key sites on the server: ``citypatrol-server site load FILE`` and the checks inspectors send.

A load replaces the whole set (GeoJSON, :func:`app.domain.sites.parse_sites`; a file with any
wrong feature or an unknown inspector is refused as a whole, every reason listed, and nothing
changes). A site that names no inspector goes to the responsible inspector (定人定责) of the
grid cell holding its centre, and follows that cell: whenever the cell's responsibilities
change (``responsibility load|set|remove`` or the REST routes, all through
:func:`server.grids.responsibility`'s one writer), :func:`follow_responsibilities` gives the
site to the cell's responsible inspector of the moment and announces it (a cell left with
nobody keeps its sites with their last inspector). A site outside every cell, or in a cell
nobody answers for at the load, is refused with the others. Each new or changed site, and each site no longer in the file, reaches every laptop
through the change feed (kind ``key_site``); an unchanged site sends nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import shapely
from shapely.geometry import Point, Polygon
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.contract import FeedKind, KeySitePayload
from app.domain.deadlines import WorkingCalendar
from app.domain.errors import Message
from app.domain.sites import SiteFileError, SiteSpec, read_sites
from server.feed import append_feed
from server.grids.models import GridCell, GridInspector
from server.models import KeySiteRow, User


def _payload(row: KeySiteRow, removed: bool = False) -> KeySitePayload:
    return {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "frequency": row.frequency,
        "due": row.due,
        "weekday": row.weekday,
        "inspector_id": row.inspector_id,
        "area": row.area,
        "since": row.loaded_at.astimezone(WorkingCalendar().tz).date().isoformat(),
        "removed": removed,
    }


def _values(spec: SiteSpec, inspector_id: str, grid_code: str | None) -> dict[str, object]:
    return {
        "grid_code": grid_code,
        "name": spec.name,
        "kind": spec.kind,
        "frequency": spec.frequency.value,
        "due": spec.due.strftime("%H:%M"),
        "weekday": spec.weekday,
        "inspector_id": inspector_id,
        "area": spec.area.to_json(),
    }


def _responsible(session: Session, grid_code: str) -> str | None:
    """The cell's responsible inspector: the first by user name when it has several."""
    return session.scalars(
        select(User.id)
        .join(GridInspector, GridInspector.user_id == User.id)
        .where(GridInspector.grid_code == grid_code, User.role == "inspector")
        .order_by(User.username)
    ).first()


def _cell_inspectors(
    session: Session, specs: list[SiteSpec]
) -> tuple[dict[str, tuple[str, str]], list[Message]]:
    """For sites that name no inspector: the responsible inspector (定人定责) of the grid cell
    holding each site's centre and that cell, by site id; and a reason for each site outside
    every cell or in a cell nobody answers for."""
    if not specs:
        return {}, []
    cells = list(session.execute(select(GridCell.code, GridCell.rings)))
    polygons = [
        Polygon(ring_pairs(rings[0]), [ring_pairs(r) for r in rings[1:]]) for _, rings in cells
    ]
    tree = shapely.STRtree(polygons)
    found: dict[str, tuple[str, str]] = {}
    problems: list[Message] = []
    for spec in specs:
        lat, lon = spec.area.centre()
        hits = sorted(cells[int(i)][0] for i in tree.query(Point(lon, lat), "intersects"))
        if not hits:
            problems.append(
                Message(
                    f"{spec.name}：未指定监督员，且不在任何网格内（无法按定人定责确定）",
                    f"{spec.name}: no inspector, and outside every grid cell (no 定人定责 to use)",
                )
            )
            continue
        owner = _responsible(session, hits[0])
        if owner is None:
            problems.append(
                Message(
                    f"{spec.name}：未指定监督员，网格 {hits[0]} 也没有责任监督员",
                    f"{spec.name}: no inspector, and grid cell {hits[0]} has no responsible "
                    "inspector",
                )
            )
            continue
        found[spec.id] = (owner, hits[0])
    return found, problems


def follow_responsibilities(session: Session, grid_codes: set[str]) -> int:
    """Give the sites that follow any of ``grid_codes`` (loaded without an inspector) to their
    cell's responsible inspector of now, each change announced (kind ``key_site``); a cell with
    nobody left keeps its sites' last inspector. How many sites changed hands."""
    if not grid_codes:
        return 0
    moved = 0
    rows = session.scalars(
        select(KeySiteRow)
        .where(KeySiteRow.active, KeySiteRow.grid_code.in_(sorted(grid_codes)))
        .order_by(KeySiteRow.id)
    )
    for row in rows:
        owner = _responsible(session, str(row.grid_code))
        if owner is None or owner == row.inspector_id:
            continue
        row.inspector_id = owner
        session.flush()
        append_feed(session, FeedKind.KEY_SITE, row.id, _payload(row))
        moved += 1
    return moved


def ring_pairs(flat: list[float]) -> list[tuple[float, float]]:
    return list(zip(flat[0::2], flat[1::2], strict=True))


def load_sites(session: Session, path: Path) -> tuple[int, int, int]:
    """Replace the key sites by the file's: (added or changed, unchanged, removed)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise SiteFileError(
            [Message(f"无法读取 {path.name}：{exc}", f"cannot read {path.name}: {exc}")]
        ) from exc
    specs, problems = read_sites(data)
    names = {s.inspector for s in specs if s.inspector}
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(names)))}
    problems += [
        Message(
            f"{s.name}：没有监督员账号 {s.inspector}",
            f"{s.name}: no inspector account {s.inspector}",
        )
        for s in specs
        if s.inspector and (s.inspector not in users or users[s.inspector].role != "inspector")
    ]
    fallback, more = _cell_inspectors(session, [s for s in specs if not s.inspector])
    problems += more
    if problems:
        raise SiteFileError(problems)
    now = datetime.now(UTC)
    existing = {r.id: r for r in session.scalars(select(KeySiteRow))}
    changed = unchanged = removed = 0
    for spec in specs:
        owner, cell = (users[spec.inspector].id, None) if spec.inspector else fallback[spec.id]
        values = _values(spec, owner, cell)
        row = existing.get(spec.id)
        if row is not None and row.active and all(getattr(row, k) == v for k, v in values.items()):
            unchanged += 1
            continue
        if row is None:
            row = KeySiteRow(id=spec.id, loaded_at=now)  # rounds are due from this day
            session.add(row)
        for key, value in values.items():
            setattr(row, key, value)
        row.active = True
        session.flush()
        append_feed(session, FeedKind.KEY_SITE, row.id, _payload(row))
        changed += 1
    kept = {s.id for s in specs}
    for row in existing.values():
        if row.id not in kept and row.active:
            row.active = False
            append_feed(session, FeedKind.KEY_SITE, row.id, _payload(row, removed=True))
            removed += 1
    return changed, unchanged, removed


def list_sites(session: Session) -> list[KeySiteRow]:
    return list(
        session.scalars(select(KeySiteRow).where(KeySiteRow.active).order_by(KeySiteRow.name))
    )
