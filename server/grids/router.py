"""定人定责 over HTTP: supervisors and administrators read the responsibilities of the grid's
cells; administrators set or remove one cell's. The same checks and feed entries as
``citypatrol-server responsibility set|remove`` (:func:`server.grids.responsibility.edit_responsibility`
and :func:`~server.grids.responsibility.remove_responsibility`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, Field

from app.domain.lifecycle import Role
from server.deps import CurrentUser, SessionDep, require_role
from server.errors import ApiError, documented
from server.grids.responsibility import (
    CellResponsibility,
    ResponsibilityError,
    edit_responsibility,
    remove_responsibility,
    responsibilities,
)
from server.schemas import Strict

router = APIRouter(prefix="/api/v1", tags=["grids"])
GridCodePath = Annotated[str, Path(pattern=r"^[0-9]{15}$", description="a 15-digit grid code")]
#: Refusals that concern the path's cell (404); the others concern the body (422).
_NOT_FOUND = {"unknown_cell", "no_responsibility"}


class ResponsibilityOut(BaseModel):
    grid_code: str
    #: Usernames of the cell's responsible inspectors (定人).
    inspectors: list[str]
    #: Category class (two digits, or ``*``: any) → the responsible department's code (定责).
    departments: dict[str, str]


class ResponsibilityIn(Strict):
    """A cell's whole responsibilities: they replace the cell's (both empty: none left)."""

    inspectors: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=100
    )
    departments: dict[
        Annotated[str, Field(max_length=2)], Annotated[str, Field(min_length=1, max_length=50)]
    ] = Field(default_factory=dict, max_length=100)


def _out(row: CellResponsibility) -> ResponsibilityOut:
    return ResponsibilityOut(
        grid_code=row.grid_code, inspectors=row.inspectors, departments=row.departments
    )


def _refusal(exc: ResponsibilityError) -> ApiError:
    code = (
        status.HTTP_404_NOT_FOUND
        if exc.code in _NOT_FOUND
        else status.HTTP_422_UNPROCESSABLE_ENTITY
    )
    return ApiError(code, exc.code, exc.message)


_ERRORS = documented(
    {
        404: "no such cell in the grid (or, on DELETE, nothing to remove)",
        422: "an unknown inspector or department, or a bad category class",
    }
)


@router.get("/responsibilities")
def list_responsibilities(session: SessionDep, user: CurrentUser) -> list[ResponsibilityOut]:
    """Every cell somebody answers for, by code (supervisors and administrators)."""
    require_role(user, Role.SUPERVISOR, Role.ADMIN)
    return [_out(r) for r in responsibilities(session)]


@router.get("/responsibilities/{grid_code}", responses=_ERRORS)
def get_responsibility(
    grid_code: GridCodePath, session: SessionDep, user: CurrentUser
) -> ResponsibilityOut:
    """One cell's responsibilities (empty lists: nobody answers for it yet)."""
    require_role(user, Role.SUPERVISOR, Role.ADMIN)
    try:
        return _out(responsibilities(session, grid_code)[0])
    except ResponsibilityError as exc:
        raise _refusal(exc) from exc


@router.put("/responsibilities/{grid_code}", responses=_ERRORS)
def put_responsibility(
    grid_code: GridCodePath, body: ResponsibilityIn, session: SessionDep, user: CurrentUser
) -> ResponsibilityOut:
    """Replace one cell's inspectors and departments (administrators); the laptops hear of it
    through the feed when it changed anything."""
    require_role(user, Role.ADMIN)
    try:
        edit_responsibility(
            session,
            grid_code,
            inspectors=body.inspectors,
            departments=body.departments,
            replace_departments=True,
        )
        return _out(responsibilities(session, grid_code)[0])
    except ResponsibilityError as exc:
        raise _refusal(exc) from exc


@router.delete(
    "/responsibilities/{grid_code}", status_code=status.HTTP_204_NO_CONTENT, responses=_ERRORS
)
def delete_responsibility(
    grid_code: GridCodePath,
    session: SessionDep,
    user: CurrentUser,
    category_class: Annotated[str | None, Query(max_length=2)] = None,
) -> Response:
    """Remove one cell's responsibilities, or with ``?category_class=06`` only that class's
    department (administrators)."""
    require_role(user, Role.ADMIN)
    try:
        remove_responsibility(session, grid_code, category_class)
    except ResponsibilityError as exc:
        raise _refusal(exc) from exc
    return Response(status_code=status.HTTP_204_NO_CONTENT)
