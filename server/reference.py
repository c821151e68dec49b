"""Reference data: departments (and, later, taxonomy and time-limit rules), managed by admins."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.ids import new_id
from app.domain.lifecycle import Role
from server.deps import CurrentUser, SessionDep, require_role
from server.feed import append_feed
from server.models import Department

router = APIRouter(prefix="/api/v1", tags=["reference data"])

DEMO_DEPARTMENTS = (
    ("CGZF", "城市管理综合执法大队", "Urban management law enforcement brigade"),
    ("SZSS", "市政设施管理处", "Municipal facilities management office"),
    ("HWC", "环境卫生管理处", "Environmental sanitation office"),
    ("YLLH", "园林绿化管理处", "Parks and greening office"),
)


class DepartmentIn(BaseModel):
    code: str = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)


class DepartmentOut(BaseModel):
    id: str
    code: str
    name: str
    name_en: str
    active: bool


def add_department(session: Session, code: str, name: str, name_en: str = "") -> Department:
    if session.scalar(select(Department).where(Department.code == code)) is not None:
        raise ValueError(f"department {code!r} already exists")
    department = Department(id=new_id(), code=code, name=name, name_en=name_en, active=True)
    session.add(department)
    session.flush()
    append_feed(session, "department", department.id, _out(department).model_dump(mode="json"))
    return department


def _out(d: Department) -> DepartmentOut:
    return DepartmentOut(id=d.id, code=d.code, name=d.name, name_en=d.name_en, active=d.active)


@router.get("/departments")
def list_departments(session: SessionDep, _user: CurrentUser) -> list[DepartmentOut]:
    """Every department, active or not."""
    return [_out(d) for d in session.scalars(select(Department).order_by(Department.code))]


@router.post("/departments", status_code=status.HTTP_201_CREATED)
def create_department(body: DepartmentIn, session: SessionDep, user: CurrentUser) -> DepartmentOut:
    """Add a department (admins)."""
    require_role(user, Role.ADMIN)
    try:
        return _out(add_department(session, body.code, body.name, body.name_en))
    except ValueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
