"""How the client may talk to its server: HTTPS checks, a city's own CA, and plain HTTP.

Kept in ``<data dir>/connection.json`` (not in the database: it is needed before any store
work, and the CLI, the app and the sync engine share it). A session token sent over plain HTTP
to another machine can be read by anyone on the way, so ``http://`` is refused unless the host
is this machine (loopback) or the user has explicitly allowed it; a city running its own
certificate authority gives the client its CA bundle instead of turning verification off.
"""

from __future__ import annotations

import ipaddress
import json
import os
import ssl
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from app.domain.errors import Message
from app.sync.errors import ErrorKind, SyncError

FILE_NAME = "connection.json"


@dataclass(frozen=True, slots=True)
class ConnectionSettings:
    #: A PEM file of the certificate authorities to trust instead of the system's (a city CA).
    ca_bundle: str | None = None
    #: Allow ``http://`` to a host other than this machine (the token travels in clear text).
    allow_insecure_http: bool = False

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """httpx's ``verify``: the CA bundle if one is set, else the system's certificates."""
        if self.ca_bundle:
            return ssl.create_default_context(cafile=self.ca_bundle)
        return True


def load_connection(data_dir: Path) -> ConnectionSettings:
    try:
        raw = json.loads((data_dir / FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ConnectionSettings()
    if not isinstance(raw, dict):
        return ConnectionSettings()
    bundle = raw.get("ca_bundle")
    return ConnectionSettings(
        ca_bundle=str(bundle) if bundle else None,
        allow_insecure_http=raw.get("allow_insecure_http") is True,
    )


def save_connection(data_dir: Path, settings: ConnectionSettings) -> None:
    """Write atomically (a crash leaves the old file or the new one, never half of it)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / FILE_NAME
    tmp = target.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(asdict(settings), out)
    os.replace(tmp, target)


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    ):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_server_url(url: str, settings: ConnectionSettings) -> None:
    """Refuse what would expose the session token: plain HTTP to another machine (unless
    allowed), or anything that is not an http(s) URL with a host."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SyncError(
            ErrorKind.REJECTED,
            "bad_server_url",
            Message(
                f"服务器地址无效：{url}（应为 https://主机[:端口]）",
                f"Not a server address: {url} (expected https://host[:port])",
            ),
        )
    if (
        parts.scheme == "http"
        and not settings.allow_insecure_http
        and not is_loopback(parts.hostname)
    ):
        raise SyncError(
            ErrorKind.REJECTED,
            "insecure_http",
            Message(
                f"拒绝以未加密的 http:// 连接 {parts.hostname}：密码和会话令牌会以明文传输。"
                "请使用 https://；确需明文时请明确允许（命令行 --allow-insecure-http，"
                "或在登录窗口勾选“允许以未加密的 HTTP 连接其他计算机”）。",
                f"Refusing unencrypted http:// to {parts.hostname}: the password and session "
                "token would travel in clear text. Use https://, or explicitly allow it "
                "(--allow-insecure-http on the command line, or “Allow unencrypted HTTP to "
                "other computers” when signing in).",
            ),
        )
