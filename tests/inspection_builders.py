"""Build scored inspections directly in a real :class:`LocalStore` for report and view tests:
the sample template and a contractor variant, inspections as the feed delivers them, and a
small city of three departments with one case each way (import as ``from inspection_builders
import …``; ``tests/`` is on ``sys.path``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from helpers import ROOT
from report_builders import add_case_with_steps, add_department, add_user

from app.domain.checklists import load_template, template_document
from app.domain.ids import new_id
from app.storage import LocalStore
from app.storage.inspection_feed import apply_inspection
from app.storage.models import ChecklistTemplateRow

TEMPLATE = ROOT / "resources" / "checklists" / "street-sanitation.json"


def add_templates(store: LocalStore) -> None:
    street = load_template(TEMPLATE.read_bytes())
    raw = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    raw.update(code="contractor", object_kind="contractor_area")
    contractor = load_template(json.dumps(raw))
    with store.write() as s:
        for t in (street, contractor):
            s.add(ChecklistTemplateRow(code=t.code, version=1, document=template_document(t)))


def inspect(
    store: LocalStore,
    at: datetime,
    object_id: str,
    items: list[str],
    *,
    department: str | None = None,
    kind: str = "street_section",
    published: bool = True,
) -> str:
    iid = new_id()
    document: dict[str, Any] = {
        "id": iid, "template_code": "contractor" if kind == "contractor_area" else "street-sanitation",
        "template_version": 1, "object_kind": kind, "object_id": object_id,
        "object_name": f"对象{object_id}", "department_code": department, "mode": "unannounced",
        "started_at": at.isoformat(), "finished_at": at.isoformat(),
        "deductions": [{"id": new_id(), "item_code": c, "note": "", "at": at.isoformat()} for c in items],
    }  # fmt: skip
    with store.write() as s:
        apply_inspection(
            s,
            {
                "inspection": document,
                "published_at": at.isoformat() if published else None,
                "author": "督导组",
            },
        )
    return iid


def city(store: LocalStore) -> dict[str, str]:
    """HW signs for its case within the hour, handles it on time and closes it; SZ signs for
    it five hours late and handles late; YL has nothing at all."""
    deps = {
        code: add_department(store, name, code=code)
        for code, name in (("HW", "环卫所"), ("SZ", "市政处"), ("YL", "园林局"))
    }
    sup: dict[str, Any] = {"actor_id": add_user(store, "lisi", role="supervisor")}
    t0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for code, handled in (("HW", t0 + timedelta(days=1)), ("SZ", t0 + timedelta(days=6))):
        add_case_with_steps(
            store,
            [
                ("submit", t0), ("accept", t0 + timedelta(hours=1), sup),
                ("register", t0 + timedelta(hours=2), sup),
                ("dispatch", t0 + timedelta(hours=3), {**sup, "department_id": deps[code], "deadline": t0 + timedelta(days=3)}),
                ("sign_for", t0 + timedelta(hours=4 if code == "HW" else 10), {"role": "handler", "department_id": deps[code]}),
                ("handle", handled, sup),
            ],
            created_at=t0,
        )  # fmt: skip
    return deps
