"""Departments (处置部门): the responsible units cases are dispatched to.

No web framework here, so the administration commands start fast.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.contract import DepartmentPayload, FeedKind
from app.domain.ids import new_id
from server.feed import append_feed
from server.models import Department

DEMO_DEPARTMENTS = (
    ("CGZF", "城市管理综合执法大队", "Urban management law enforcement brigade"),
    ("SZSS", "市政设施管理处", "Municipal facilities management office"),
    ("HWC", "环境卫生管理处", "Environmental sanitation office"),
    ("YLLH", "园林绿化管理处", "Parks and greening office"),
)


def department_json(d: Department) -> DepartmentPayload:
    return {"id": d.id, "code": d.code, "name": d.name, "name_en": d.name_en, "active": d.active}


def add_department(session: Session, code: str, name: str, name_en: str = "") -> Department:
    if session.scalar(select(Department).where(Department.code == code)) is not None:
        raise ValueError(f"department {code!r} already exists")
    department = Department(id=new_id(), code=code, name=name, name_en=name_en, active=True)
    session.add(department)
    session.flush()
    append_feed(session, FeedKind.DEPARTMENT, department.id, department_json(department))
    return department
