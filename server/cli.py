"""``citypatrol-server``: run the server, and manage its accounts."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from app.domain.lifecycle import Role
from server import auth
from server.db import create_db_engine, migrate, session_factory
from server.models import User
from server.settings import load_settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="citypatrol-server", description="CityPatrol central server"
    )
    parser.add_argument("--data-dir", type=Path, help="data folder (default: per-user data folder)")
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: SQLite in the data folder)"
    )
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default 8765)")
    parser.add_argument(
        "--demo", action="store_true", default=None, help="create the demo accounts if missing"
    )
    sub = parser.add_subparsers(dest="command")
    user = sub.add_parser("user", help="manage accounts").add_subparsers(
        dest="user_command", required=True
    )
    add = user.add_parser("add", help="add an account; the password is read from standard input")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--display-name", default="")
    user.add_parser("list", help="list accounts")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings(args.data_dir, args.database_url, args.host, args.port, args.demo)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    if args.command == "user":
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_db_engine(settings.database_url)
        migrate(engine)
        sessions = session_factory(engine)
        if args.user_command == "add":
            password = sys.stdin.readline().rstrip("\n")
            try:
                with sessions.begin() as session:
                    auth.add_user(session, args.name, password, Role(args.role), args.display_name)
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 1
            print(f"user {args.name} ({args.role}) added")
            return 0
        with sessions() as session:
            for user in session.scalars(select(User).order_by(User.username)):
                state = "disabled" if user.disabled else "active"
                print(f"{user.username}\t{user.role}\t{state}\t{user.display_name}")
        return 0

    import uvicorn

    from server.api import create_app

    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="info")
    return 0


if __name__ == "__main__":
    sys.exit(main())
