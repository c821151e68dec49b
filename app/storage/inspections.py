"""Scored inspections on the laptop: the checklist templates the server distributed.

Templates arrive through the feed (kind ``checklist``, :func:`app.storage.feed._on_checklist`)
and are read here as :class:`~app.domain.checklists.ChecklistTemplate` — the domain's own
parser, so a template on the laptop is held to the same rules as on the server.
"""

from __future__ import annotations

from sqlalchemy import func, select

from app.domain.checklists import ChecklistTemplate, ObjectKind, parse_template
from app.storage.models import ChecklistTemplateRow
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
