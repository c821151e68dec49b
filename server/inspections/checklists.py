"""Checklist templates on the server: ``citypatrol-server checklist load FILE`` and ``list``.

A template is read and checked by :mod:`app.domain.checklists` (every problem reported with
where it is). Versions only go forward: loading the version already loaded with the same
content changes nothing, with other content — or an older version — is refused, so an
inspection scored against "version 2" always means one set of rules. A new version reaches
every laptop through the change feed (kind ``checklist``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.checklists import ChecklistTemplate, load_template, template_document
from app.domain.contract import ChecklistPayload, FeedKind
from app.domain.errors import DomainError, Message
from server.feed import append_feed
from server.models import ChecklistTemplateRow

#: A template file is a few kilobytes; anything this big is not one.
MAX_FILE_BYTES = 1 << 20


def read_template_file(path: Path) -> ChecklistTemplate:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise DomainError(
            "checklist_too_large",
            Message(f"{path} 超过 1 MiB，不是检查表", f"{path} is over 1 MiB: not a checklist"),
        )
    return load_template(path.read_bytes())


def load_checklist(session: Session, path: Path) -> tuple[ChecklistTemplateRow, bool]:
    """Store the template in ``path``; ``(row, True)`` when it is a new version, ``(row,
    False)`` when exactly that version was loaded already."""
    template = read_template_file(path)
    document = template_document(template)
    latest = session.scalar(
        select(func.max(ChecklistTemplateRow.version)).where(
            ChecklistTemplateRow.code == template.code
        )
    )
    if latest is not None and template.version <= latest:
        same = session.get(ChecklistTemplateRow, (template.code, template.version))
        if same is not None and same.document == document:
            return same, False
        raise DomainError(
            "checklist_version",
            Message(
                f"检查表 {template.code} 已有第 {latest} 版；修改后请把版本号改为 {latest + 1}",
                f"checklist {template.code} is at version {latest}; a changed template needs "
                f"version {latest + 1}",
            ),
        )
    row = ChecklistTemplateRow(
        code=template.code,
        version=template.version,
        name=template.name.zh,
        object_kind=str(template.object_kind),
        document=document,
        loaded_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    payload: ChecklistPayload = {
        "code": template.code,
        "version": template.version,
        "document": document,
    }
    append_feed(session, FeedKind.CHECKLIST, template.code, payload)
    return row, True


def list_checklists(session: Session) -> list[ChecklistTemplateRow]:
    """Every version of every template, by code then version."""
    return list(
        session.scalars(
            select(ChecklistTemplateRow).order_by(
                ChecklistTemplateRow.code, ChecklistTemplateRow.version
            )
        )
    )
