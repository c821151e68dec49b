"""What a support person asks for, gathered in one text ("Copy diagnostics" in the Help menu).

Version, build, OS, Python and Qt, the data folder and its size, the sync state (what waits,
what failed, the last sync) and the last lines of the client log if one exists. Never a password
or a token: the credentials folder is counted in the size but never read, log lines are scrubbed
of anything that looks like a secret, and the secrets the caller knows (the session token) are
replaced wherever they appear — :func:`scrub` runs over the whole text as the last step.
No Qt here, so the CLI and tests can gather the same text.
"""

from __future__ import annotations

import os
import platform
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from platformdirs import user_log_path

from app.config import APP_NAME
from app.storage.store import LocalStore
from app.version import app_version, build_kind

LOG_LINES = 50
REDACTED = "[redacted]"
# key=value, key: value and "key": "value" forms of anything secret, and HTTP auth headers.
_SECRET_FIELD = re.compile(
    r"""(?ix)
    (?P<key>["']?(?:password|passwd|token|access_token|refresh_token|secret|api[_-]?key|
        authorization|cookie)["']?\s*[:=]\s*)
    (?P<value>(?:bearer\s+|basic\s+)?["']?[^\s"',;}]+["']?)
    """
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}")
# Credentials in a URL (https://user:secret@host).
_URL_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@")


@dataclass(frozen=True, slots=True)
class SyncState:
    """The sync's figures at the moment of gathering (from the delivery ledger)."""

    server_url: str
    signed_in: bool
    pending_changes: int
    failed_changes: int
    conflicts: int
    pending_photos: int
    failed_photos: int
    last_sync: datetime | None


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with the known ``secrets`` and anything shaped like a secret replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _SECRET_FIELD.sub(lambda m: m.group("key") + REDACTED, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _URL_PASSWORD.sub(lambda m: m.group(1) + REDACTED + "@", text)


def folder_size(path: Path) -> tuple[int, int]:
    """Bytes and files under ``path`` (symbolic links not followed, unreadable entries skipped)."""
    total = files = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            try:
                total += os.lstat(os.path.join(root, name)).st_size
                files += 1
            except OSError:
                continue
    return total, files


def log_candidates(data_dir: Path) -> list[Path]:
    """Where the client's rotating log may be: the data folder's ``logs/`` and the platform's
    per-user log folder. The newest ``*.log`` found wins."""
    return [data_dir / "logs", data_dir, user_log_path(APP_NAME, appauthor=False)]


def find_log(data_dir: Path) -> Path | None:
    found: list[Path] = []
    for folder in log_candidates(data_dir):
        if folder.is_dir():
            found.extend(p for p in folder.glob("*.log") if p.is_file())
    return max(found, key=lambda p: p.stat().st_mtime, default=None)


def tail(path: Path, lines: int = LOG_LINES, max_bytes: int = 256 * 1024) -> list[str]:
    """The last ``lines`` lines of ``path``, reading at most ``max_bytes`` from its end."""
    with path.open("rb") as file:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(max(0, size - max_bytes))
        data = file.read()
    return data.decode("utf-8", errors="replace").splitlines()[-lines:]


def gather(
    data_dir: Path,
    sync: SyncState | None,
    *,
    qt_version: str = "",
    secrets: Iterable[str] = (),
    log_file: Path | None = None,
) -> str:
    """The diagnostics text, scrubbed. ``log_file`` defaults to :func:`find_log`."""
    size, files = folder_size(data_dir) if data_dir.is_dir() else (0, 0)
    lines = [
        f"CityPatrol {app_version()} ({build_kind()})",
        f"Gathered: {datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"OS: {platform.platform()} ({platform.machine()})",
        f"Python: {sys.version.split()[0]}" + (f"; Qt {qt_version}" if qt_version else ""),
        f"Data folder: {data_dir} ({size / 2**20:.1f} MiB in {files} files)",
    ]
    if sync is None:
        lines.append("Sync: state not available")
    else:
        last = (
            sync.last_sync.astimezone().isoformat(timespec="seconds") if sync.last_sync else "never"
        )
        lines += [
            f"Server: {sync.server_url or '(none)'}; signed in: {'yes' if sync.signed_in else 'no'}",
            f"Waiting: {sync.pending_changes} changes, {sync.pending_photos} photos; "
            f"failed: {sync.failed_changes} changes, {sync.failed_photos} photos; "
            f"conflicts: {sync.conflicts}",
            f"Last sync: {last}",
        ]
    log = log_file if log_file is not None else find_log(data_dir)
    if log is not None and log.is_file():
        lines.append(f"Log: {log} (last {LOG_LINES} lines)")
        try:
            lines += ["    " + line for line in tail(log)]
        except OSError as exc:
            lines.append(f"    (not readable: {exc.strerror})")
    else:
        lines.append("Log: no log file found")
    return scrub("\n".join(lines) + "\n", secrets)


def store_diagnostics(store: LocalStore, *, qt_version: str = "") -> str:
    """:func:`gather` for an open store: its account, ledger figures and session token (the token
    only to scrub it out of everything gathered)."""
    from app.storage.ledger import SyncLedger
    from app.sync.credentials import CredentialStore

    account = store.account()
    token = None
    if account is not None:
        token = CredentialStore(Path(store.data_dir)).load(account.server_url, account.username)
    ledger = SyncLedger(store)
    summary = ledger.summary()
    state = SyncState(
        server_url=account.server_url if account else "",
        signed_in=bool(token),
        pending_changes=summary.pending_changes,
        failed_changes=summary.failed_changes,
        conflicts=summary.conflicts,
        pending_photos=summary.pending_photos,
        failed_photos=summary.failed_photos,
        last_sync=ledger.last_sync(),
    )
    return gather(Path(store.data_dir), state, qt_version=qt_version, secrets=[token or ""])
