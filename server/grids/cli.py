"""``citypatrol-server grid|responsibility|unit …``: the administration commands of place."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

#: The top-level commands this module handles.
COMMANDS = ("grid", "responsibility", "unit")


def add_parsers(sub: Any) -> None:
    """Add ``grid``, ``responsibility`` and ``unit`` to the server's subcommands."""
    grid = sub.add_parser("grid", help="grid cells (单元网格)").add_subparsers(
        dest="grid_command", required=True
    )
    load = grid.add_parser(
        "load",
        help="replace the grid cells with the polygons of a GeoJSON or GeoPackage file "
        "(a 15-digit 'code' property each) as a new version",
    )
    load.add_argument("file", type=Path)
    load.add_argument("--layer", help="the GeoPackage layer (default: its only feature layer)")
    grid_list = grid.add_parser("list", help="list the cells (or, with --versions, the loads)")
    grid_list.add_argument("--versions", action="store_true", help="list the loads instead")

    resp = sub.add_parser(
        "responsibility", help="定人定责: inspectors and departments by grid cell"
    ).add_subparsers(dest="responsibility_command", required=True)
    resp.add_parser(
        "load",
        help="replace every responsibility with a CSV file (columns grid_code,inspectors,"
        "category_class,department; see the README)",
    ).add_argument("file", type=Path)
    rset = resp.add_parser("set", help="set a cell's inspectors and/or a class's department")
    rset.add_argument("grid_code")
    rset.add_argument(
        "--inspector", action="append", default=None, help="a username (repeatable); replaces"
    )
    rset.add_argument("--class", dest="category_class", help="a category class (06) or *")
    rset.add_argument("--department", help="the department code for --class")
    rremove = resp.add_parser(
        "remove", help="remove a cell's responsibilities (or only one class's department)"
    )
    rremove.add_argument("grid_code")
    rremove.add_argument("--class", dest="category_class")
    resp.add_parser("list", help="list the responsibilities")

    unit = sub.add_parser("unit", help="门前三包 responsibility units").add_subparsers(
        dest="unit_command", required=True
    )
    uload = unit.add_parser(
        "load",
        help="replace the units with a GeoJSON or GeoPackage file of frontages (polygons, or "
        "points with a radius_m property) with name, contact and letter_no",
    )
    uload.add_argument("file", type=Path)
    uload.add_argument("--layer")
    unit.add_parser("list", help="list the units")


def run(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    if args.command == "grid":
        return _grid(args, sessions)
    if args.command == "responsibility":
        return _responsibility(args, sessions)
    return _unit(args, sessions)


def _grid(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    from server.grids import cells

    with sessions.begin() as session:
        if args.grid_command == "load":
            done = cells.load_grid(session, args.file, layer=args.layer)
            moved = " (transformed to WGS84)" if done.transformed else ""
            print(
                f"grid version {done.version} loaded from {args.file.name} ({done.crs}{moved}): "
                f"{done.cells} cells, {done.added} added, {done.changed} changed, "
                f"{done.removed} removed"
            )
            for warning in done.warnings:
                print(f"warning: {warning}")
        elif args.versions:
            for v in cells.list_versions(session):
                print(
                    f"{v.version}\t{v.loaded_at:%Y-%m-%d %H:%M}\t{v.source}\t{v.crs}\t{v.cells} "
                    f"cells\t+{v.added} ~{v.changed} -{v.removed}"
                )
        else:
            for c in cells.list_cells(session):
                print(f"{c.code}\t{c.street}\t{c.community}\tv{c.version}")
    return 0


def _responsibility(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    from server.grids import responsibility as resp

    command = args.responsibility_command
    with sessions.begin() as session:
        if command == "load":
            count = resp.load_responsibilities(session, args.file)
            print(f"responsibilities loaded: {count} cells")
        elif command == "set":
            resp.set_responsibility(
                session,
                args.grid_code,
                inspectors=args.inspector,
                category_class=args.category_class,
                department=args.department,
            )
            print(f"responsibilities of {args.grid_code} set")
        elif command == "remove":
            resp.remove_responsibility(session, args.grid_code, args.category_class)
            print(f"responsibilities of {args.grid_code} removed")
        else:
            for line in resp.describe(session):
                print(line)
    return 0


def _unit(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    from server.grids import units

    with sessions.begin() as session:
        if args.unit_command == "load":
            done = units.load_units(session, args.file, layer=args.layer)
            print(
                f"units loaded from {args.file.name}: {done.units} units, {done.added} added, "
                f"{done.changed} changed, {done.removed} removed"
            )
        else:
            for u in units.list_units(session):
                shape = f"r={u.radius_m:g} m" if u.radius_m else "polygon"
                print(f"{u.letter_no}\t{u.name}\t{u.contact}\t{shape}")
    return 0
