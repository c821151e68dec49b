"""A real PostgreSQL server for the tests, started once per test session (TOOLCHAIN.md recipe).

PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres`` user and
is driven through ``runuser``; as any other user it runs as that user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def _as_owner(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class PostgresServer:
    def __init__(self, port: int) -> None:
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(
                f"PostgreSQL 15 is not installed ({PG_BIN}); scripts/setup.sh installs it"
            )
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="citypatrol-pg-"))
        self.superuser = "postgres" if os.geteuid() == 0 else os.environ.get("USER", "postgres")
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        data = self.root / "data"
        subprocess.run(
            _as_owner([str(PG_BIN / "initdb"), "-D", str(data), "-U", self.superuser, "--auth=trust",
                       "-E", "UTF8", "--locale=C.UTF-8"]),
            check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run(
            _as_owner([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(self.root / "log"), "-w", "start",
                       "-o", f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -F -c max_connections=200"]),
            check=True, capture_output=True,
        )  # fmt: skip
        self.data = data

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.superuser}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A fresh, empty database; returns its SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={self.superuser} dbname=postgres",
            autocommit=True,
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(
            _as_owner([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]),
            check=False, capture_output=True,
        )  # fmt: skip
        shutil.rmtree(self.root, ignore_errors=True)


def postgres_session(port: int) -> Iterator[PostgresServer]:
    server = PostgresServer(port)
    try:
        yield server
    finally:
        server.stop()
