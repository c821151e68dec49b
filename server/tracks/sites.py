"""Key sites on the server: ``citypatrol-server site load FILE`` and the checks inspectors send.

A load replaces the whole set (GeoJSON, :func:`app.domain.sites.parse_sites`; a file with any
wrong feature or an unknown inspector is refused as a whole, every reason listed, and nothing
changes). Each new or changed site, and each site no longer in the file, reaches every laptop
through the change feed (kind ``key_site``); an unchanged site sends nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.contract import FeedKind, KeySitePayload
from app.domain.deadlines import WorkingCalendar
from app.domain.errors import Message
from app.domain.sites import SiteFileError, SiteSpec, read_sites
from server.feed import append_feed
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


def _values(spec: SiteSpec, inspector_id: str) -> dict[str, object]:
    return {
        "name": spec.name,
        "kind": spec.kind,
        "frequency": spec.frequency.value,
        "due": spec.due.strftime("%H:%M"),
        "weekday": spec.weekday,
        "inspector_id": inspector_id,
        "area": spec.area.to_json(),
    }


def load_sites(session: Session, path: Path) -> tuple[int, int, int]:
    """Replace the key sites by the file's: (added or changed, unchanged, removed)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise SiteFileError(
            [Message(f"无法读取 {path.name}：{exc}", f"cannot read {path.name}: {exc}")]
        ) from exc
    specs, problems = read_sites(data)
    names = {s.inspector for s in specs}
    users = {u.username: u for u in session.scalars(select(User).where(User.username.in_(names)))}
    problems += [
        Message(
            f"{s.name}：没有监督员账号 {s.inspector}",
            f"{s.name}: no inspector account {s.inspector}",
        )
        for s in specs
        if s.inspector not in users or users[s.inspector].role != "inspector"
    ]
    if problems:
        raise SiteFileError(problems)
    now = datetime.now(UTC)
    existing = {r.id: r for r in session.scalars(select(KeySiteRow))}
    changed = unchanged = removed = 0
    for spec in specs:
        values = _values(spec, users[spec.inspector].id)
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
