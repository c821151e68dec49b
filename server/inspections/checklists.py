"""Checklist templates on the server: ``citypatrol-server checklist load FILE`` and ``list``,
and an admin's ``POST /api/v1/checklists`` from the app's editor — both through
:func:`store_checklist`.

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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.domain.checklists import ChecklistTemplate, load_template_file, template_document
from app.domain.contract import ChecklistPayload, FeedKind
from app.domain.errors import DomainError, Message
from server.feed import append_feed
from server.models import ChecklistTemplateRow

#: A template file is a few kilobytes; anything this big is not one.
MAX_FILE_BYTES = 1 << 20


class ChecklistVersionError(DomainError):
    """A template whose version is not above the latest stored one, with other content (or
    an older version): it needs version ``latest + 1``."""

    def __init__(self, code: str, latest: int) -> None:
        self.latest = latest
        super().__init__(
            "checklist_version",
            Message(
                f"检查表 {code} 已有第 {latest} 版；修改后请把版本号改为 {latest + 1}",
                f"checklist {code} is at version {latest}; a changed template needs "
                f"version {latest + 1}",
            ),
        )


def read_template_file(path: Path) -> ChecklistTemplate:
    """The template in a JSON file (or YAML: a name ending in .yaml or .yml)."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise DomainError(
            "checklist_too_large",
            Message(f"{path} 超过 1 MiB，不是检查表", f"{path} is over 1 MiB: not a checklist"),
        )
    return load_template_file(path.name, path.read_bytes())


def load_checklist(session: Session, path: Path) -> tuple[ChecklistTemplateRow, bool]:
    """Store the template in ``path`` (:func:`store_checklist`)."""
    return store_checklist(session, read_template_file(path))


def store_checklist(
    session: Session, template: ChecklistTemplate
) -> tuple[ChecklistTemplateRow, bool]:
    """Store ``template``; ``(row, True)`` when it is a new version (announced in the feed),
    ``(row, False)`` when exactly that version was stored already. Versions only go forward:
    other content under a stored version, or an older version, raises
    :class:`ChecklistVersionError`."""
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
        raise ChecklistVersionError(template.code, latest)
    row = ChecklistTemplateRow(
        code=template.code,
        version=template.version,
        name=template.name.zh,
        object_kind=str(template.object_kind),
        document=document,
        loaded_at=datetime.now(UTC),
    )
    try:
        with session.begin_nested():  # another admin storing this version at the same moment
            session.add(row)
    except IntegrityError:
        raise ChecklistVersionError(template.code, template.version) from None
    payload: ChecklistPayload = {
        "code": template.code,
        "version": template.version,
        "document": document,
    }
    append_feed(session, FeedKind.CHECKLIST, template.code, payload)
    return row, True


def list_checklists(session: Session, *, latest_only: bool = False) -> list[ChecklistTemplateRow]:
    """Every version of every template (or only the latest of each), by code then version."""
    query = select(ChecklistTemplateRow).order_by(
        ChecklistTemplateRow.code, ChecklistTemplateRow.version
    )
    if latest_only:
        latest = (
            select(ChecklistTemplateRow.code, func.max(ChecklistTemplateRow.version).label("v"))
            .group_by(ChecklistTemplateRow.code)
            .subquery()
        )
        query = query.join(
            latest,
            (ChecklistTemplateRow.code == latest.c.code)
            & (ChecklistTemplateRow.version == latest.c.v),
        )
    return list(session.scalars(query))
