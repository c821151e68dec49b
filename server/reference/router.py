"""Reference data: departments (and, later, taxonomy and time-limit rules), managed by admins."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, Field
from sqlalchemy import select

from app.domain.lifecycle import Role
from server.deps import CurrentUser, SessionDep, require_role
from server.models import Department
from server.refdata import add_department, department_json
from server.schemas import Strict

router = APIRouter(prefix="/api/v1", tags=["reference data"])


class DepartmentIn(Strict):
    code: str = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)
    name_en: str = Field(default="", max_length=200)


class DepartmentOut(BaseModel):
    id: str
    code: str
    name: str
    name_en: str
    active: bool


def _out(d: Department) -> DepartmentOut:
    return DepartmentOut.model_validate(department_json(d))


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
