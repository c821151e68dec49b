"""Checklist templates on the laptop, for the admin's editor (app.ui.inspections.template_editor).

Templates arrive through the feed (kind ``checklist``); a version the admin publishes from this
laptop is stored here at once, the same row its feed entry makes (a version, once stored, never
changes: the entry arriving later changes nothing). Reading templates for inspections is
:func:`app.storage.inspections.checklist_templates`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from app.domain.checklists import ChecklistTemplate, template_document
from app.storage.models import ChecklistTemplateRow
from app.storage.rows import Changes

if TYPE_CHECKING:
    from app.storage.store import LocalStore


def store_template_version(store: LocalStore, template: ChecklistTemplate) -> Changes:
    """Keep ``template`` (a version the server stored) as its feed entry would."""
    with store.write() as s:
        if s.get(ChecklistTemplateRow, (template.code, template.version)) is not None:
            return Changes()
        s.add(
            ChecklistTemplateRow(
                code=template.code,
                version=template.version,
                document=template_document(template),
            )
        )
    return Changes(reference=True)


def latest_version(store: LocalStore, code: str) -> int:
    """The highest version of ``code`` on this laptop (0: none)."""
    with store.read() as s:
        found = s.scalar(
            select(func.max(ChecklistTemplateRow.version)).where(ChecklistTemplateRow.code == code)
        )
    return int(found or 0)
