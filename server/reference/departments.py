"""Reference data every part of the server shares: departments and the category table.

No web framework here, so the administration commands start fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.domain.ids import new_id
from app.domain.taxonomy import Category as TaxonomyCategory
from app.domain.taxonomy import CategoryKind, Taxonomy, load_default_taxonomy
from server.feed import append_feed
from server.models import Category, Department

DEMO_DEPARTMENTS = (
    ("CGZF", "城市管理综合执法大队", "Urban management law enforcement brigade"),
    ("SZSS", "市政设施管理处", "Municipal facilities management office"),
    ("HWC", "环境卫生管理处", "Environmental sanitation office"),
    ("YLLH", "园林绿化管理处", "Parks and greening office"),
)


def department_json(d: Department) -> dict[str, Any]:
    return {"id": d.id, "code": d.code, "name": d.name, "name_en": d.name_en, "active": d.active}


def add_department(session: Session, code: str, name: str, name_en: str = "") -> Department:
    if session.scalar(select(Department).where(Department.code == code)) is not None:
        raise ValueError(f"department {code!r} already exists")
    department = Department(id=new_id(), code=code, name=name, name_en=name_en, active=True)
    session.add(department)
    session.flush()
    append_feed(session, "department", department.id, department_json(department))
    return department


def load_taxonomy(session: Session, path: Path) -> int:
    """Replace the category table with a checked CSV file (errors name the file and line)."""
    table = Taxonomy.from_csv(path)
    session.execute(delete(Category))
    for c in table:
        session.add(
            Category(
                standard=c.standard,
                kind=c.kind.value,
                major_code=c.major_code,
                major_name=c.major_name,
                major_name_en=c.major_name_en,
                code=c.code,
                name=c.name,
                name_en=c.name_en,
            )
        )
    session.flush()
    append_feed(session, "taxonomy", "categories", {"count": len(table), "source": path.name})
    return len(table)


def current_taxonomy(session: Session) -> Taxonomy:
    """The city's loaded category table, or the bundled GB/T 47678.5 one if none was loaded."""
    rows = list(session.scalars(select(Category).order_by(Category.id)))
    if not rows:
        return load_default_taxonomy()
    return Taxonomy(
        (
            TaxonomyCategory(
                standard=r.standard,
                kind=CategoryKind(r.kind),
                major_code=r.major_code,
                major_name=r.major_name,
                major_name_en=r.major_name_en,
                code=r.code,
                name=r.name,
                name_en=r.name_en,
            )
            for r in rows
        ),
        source="database",
    )
