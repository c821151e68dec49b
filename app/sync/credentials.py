"""Where the session token lives: the OS keyring, or — where none exists — a private file.

The token never goes into the settings or the database. On a machine without a keyring service
(a headless Linux box, a minimal desktop) it is kept in ``<data dir>/credentials/token`` with
permissions 0600, and :attr:`CredentialStore.location` says so, so the CLI and the GUI can tell
the user plainly.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import keyring
from keyring.errors import KeyringError

SERVICE = "CityPatrol"


@dataclass
class CredentialStore:
    data_dir: Path

    @property
    def _file(self) -> Path:
        return self.data_dir / "credentials" / "token"

    @staticmethod
    def keyring_available() -> bool:
        return float(keyring.get_keyring().priority) >= 1

    @property
    def location(self) -> str:
        if self.keyring_available():
            return f"keyring:{keyring.get_keyring().name}"
        return f"file:{self._file}"

    @staticmethod
    def _key(server_url: str, username: str) -> str:
        return f"{username}@{server_url.rstrip('/')}"

    def save(self, server_url: str, username: str, token: str) -> str:
        """Keep ``token``; returns where it went (see :attr:`location`)."""
        if self.keyring_available():
            try:
                keyring.set_password(SERVICE, self._key(server_url, username), token)
                return self.location
            except KeyringError:
                pass
        self._file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self._file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"key": self._key(server_url, username), "token": token}, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self._file)
        return f"file:{self._file}"

    def load(self, server_url: str, username: str) -> str | None:
        key = self._key(server_url, username)
        if self.keyring_available():
            try:
                token = keyring.get_password(SERVICE, key)
            except KeyringError:
                token = None
            if token:
                return token
        try:
            stored = json.loads(self._file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return str(stored["token"]) if stored.get("key") == key else None

    def delete(self, server_url: str, username: str) -> None:
        if self.keyring_available():
            with contextlib.suppress(KeyringError):
                keyring.delete_password(SERVICE, self._key(server_url, username))
        self._file.unlink(missing_ok=True)
