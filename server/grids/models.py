"""The server's tables of place: grid cells and their versions, responsibilities, units."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base, UTCDateTime


class GridVersion(Base):
    """One load of the grid (``grid load``): what came from which file, with its report."""

    __tablename__ = "grid_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(500))
    crs: Mapped[str] = mapped_column(String(100))
    cells: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)
    changed: Mapped[int] = mapped_column(Integer)
    removed: Mapped[int] = mapped_column(Integer)
    #: The validation report (warnings: overlaps, gaps) as lines of text.
    report: Mapped[str] = mapped_column(Text, default="")
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class GridCell(Base):
    """A cell of the current grid; ``version``: the load that last changed it."""

    __tablename__ = "grid_cells"

    code: Mapped[str] = mapped_column(String(15), primary_key=True)
    street: Mapped[str] = mapped_column(String(200), default="")
    community: Mapped[str] = mapped_column(String(200), default="")
    #: Rings as flat [lon, lat, …] lists rounded to 1e-7° (the feed's form).
    rings: Mapped[list[Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer)


class GridInspector(Base):
    """An inspector responsible for a cell (定人)."""

    __tablename__ = "grid_inspectors"

    grid_code: Mapped[str] = mapped_column(String(15), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)


class GridDepartment(Base):
    """The department responsible for a category class in a cell (定责); class ``*``: any."""

    __tablename__ = "grid_departments"

    grid_code: Mapped[str] = mapped_column(String(15), primary_key=True)
    category_class: Mapped[str] = mapped_column(String(2), primary_key=True)
    department_id: Mapped[str] = mapped_column(ForeignKey("departments.id"))


class ResponsibilityUnit(Base):
    """A 门前三包 unit and its frontage: a polygon, or a point with a radius."""

    __tablename__ = "responsibility_units"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    #: The unit's key in the loaded file (its letter number, else its name).
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    contact: Mapped[str] = mapped_column(String(200), default="")
    letter_no: Mapped[str] = mapped_column(String(100), default="")
    rings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    radius_m: Mapped[float | None] = mapped_column(Float)
