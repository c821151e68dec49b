"""Server settings: command-line options override environment variables override defaults.

Every knob of the server is a field of :class:`Settings`, read from the environment once, by
:func:`load_settings`, in the process that starts the server. Nothing else reads
``CITYPATROL_SERVER_*`` variables: the app factory gets the settings as its argument, and
worker processes (``--workers N``) get them whole, serialised in one variable
(:data:`WORKER_SETTINGS_ENV`, see :func:`to_json` and :func:`from_json`).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from platformdirs import user_data_path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
ENV_PREFIX = "CITYPATROL_SERVER_"
#: The variable a worker process reads its settings from (JSON of every field).
WORKER_SETTINGS_ENV = ENV_PREFIX + "WORKER_SETTINGS"

log = logging.getLogger("citypatrol.server")


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    #: Seed the demo accounts (demo/demo inspector, supervisor/supervisor) for local try-outs.
    demo: bool = False
    token_lifetime_hours: int = 24 * 30
    #: A token unused for this many days stops working (``CITYPATROL_SERVER_TOKEN_IDLE_DAYS``).
    token_idle_days: int = 14
    #: How many "after" photos a department's report of handling needs (issue 15; 0: none)
    #: (``CITYPATROL_SERVER_HANDLER_AFTER_PHOTOS``).
    handler_after_photos: int = 1
    #: How long a transaction waits for SQLite's write lock before the API answers 503
    #: (``CITYPATROL_SERVER_BUSY_TIMEOUT``).
    busy_timeout_s: float = 10.0
    #: How long an unfinished upload is kept after its last PATCH, sliding
    #: (``CITYPATROL_SERVER_UPLOAD_EXPIRY_S``).
    upload_expiry_s: float = 24 * 3600.0
    #: A PATCH whose body stalls this long is treated as a dropped connection: the bytes
    #: received are kept and the lock is released, so a client that reconnected (while its old
    #: TCP connection is still half-open) can resume instead of getting 423 for hours
    #: (``CITYPATROL_SERVER_UPLOAD_IDLE_S``).
    upload_idle_s: float = 60.0
    #: TLS for small sites without a reverse proxy: PEM certificate chain and private key
    #: (``--tls-cert``/``--tls-key``, ``CITYPATROL_SERVER_TLS_CERT``/``…_TLS_KEY``). Both or neither.
    tls_cert: str | None = None
    tls_key: str | None = None
    #: The path prefix the server is published under when a proxy does not say so itself with
    #: ``X-Forwarded-Prefix`` (``CITYPATROL_SERVER_ROOT_PATH``, e.g. ``/citypatrol``): upload
    #: locations (tus ``Location``) must carry it, or clients behind the proxy lose the upload.
    root_path: str = ""
    #: Serve Prometheus metrics at ``/metrics`` (``CITYPATROL_SERVER_METRICS=0`` turns them off).
    metrics: bool = True
    #: A bearer token the scraper must send for ``/metrics`` (``CITYPATROL_SERVER_METRICS_TOKEN``);
    #: empty: ``/metrics`` is open to whoever reaches the port (bind 127.0.0.1 or block it in
    #: the proxy, as deploy/nginx does).
    metrics_token: str = ""
    #: Addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For is believed: only
    #: for requests from these is the client's address taken from that header (``--trusted-proxy``,
    #: ``CITYPATROL_SERVER_TRUSTED_PROXIES`` comma-separated). Empty: the peer's address, always.
    trusted_proxies: tuple[str, ...] = ()
    #: Photo bytes one inspector may have on the server, complete or uploading
    #: (``CITYPATROL_SERVER_USER_QUOTA_MB``); 0: no limit.
    user_quota_bytes: int = 20 * 1024**3
    #: Photo bytes of one case (``CITYPATROL_SERVER_CASE_QUOTA_MB``); 0: no limit.
    case_quota_bytes: int = 1024**3
    #: Free disk space uploads leave untouched, so that sign-in, records and the database go on
    #: working when photos have filled the disk (``CITYPATROL_SERVER_DISK_RESERVE_MB``).
    disk_reserve_bytes: int = 512 * 1024**2
    #: Where photos live (``--photo-store``, ``CITYPATROL_SERVER_PHOTO_STORE``): empty for
    #: ``photos/`` in the data folder, a folder, or ``s3://BUCKET[/PREFIX]`` for S3-compatible
    #: object storage (endpoint, region and credentials from the standard AWS settings) —
    #: what several server nodes share.
    photo_store: str = ""

    @property
    def photos_dir(self) -> Path:
        """The photo folder (``--photo-store FOLDER``, else ``photos/`` in the data folder)."""
        if self.photo_store and not self.photo_store.startswith("s3:"):
            return Path(self.photo_store)
        return self.data_dir / "photos"


def to_json(settings: Settings) -> str:
    """Every field, for a worker process (:func:`from_json`)."""
    values = asdict(settings)
    values["data_dir"] = str(settings.data_dir)
    return json.dumps(values)


def from_json(text: str) -> Settings:
    values: dict[str, Any] = json.loads(text)
    known = {f.name for f in fields(Settings)}
    values = {k: v for k, v in values.items() if k in known}
    values["data_dir"] = Path(values["data_dir"])
    for name, value in values.items():
        if isinstance(value, list):  # JSON has no tuples
            values[name] = tuple(value)
    return Settings(**values)


def _seconds(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    """A positive number of seconds from ``env``; a malformed value is logged and ignored."""
    raw = env.get(ENV_PREFIX + name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        log.warning("ignoring %s%s=%r: not a number of seconds", ENV_PREFIX, name, raw)
        return default
    if not (value > 0 and math.isfinite(value)):
        log.warning("ignoring %s%s=%r: must be a positive number", ENV_PREFIX, name, raw)
        return default
    return max(minimum, value)


def _hours(env: Mapping[str, str], name: str, default: int, unit: str = "hours") -> int:
    """A positive whole number (of hours, or ``unit``) from ``env``; a malformed value is logged
    and ignored."""
    raw = env.get(ENV_PREFIX + name)
    if not raw:
        return default
    if raw.isascii() and raw.isdigit() and int(raw) > 0:
        return int(raw)
    log.warning(
        "ignoring %s%s=%r: must be a positive whole number of %s", ENV_PREFIX, name, raw, unit
    )
    return default


def _count(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number from 0 to 20 from ``env``; malformed: logged and ignored."""
    raw = env.get(ENV_PREFIX + name)
    if not raw:
        return default
    if raw.isascii() and raw.isdigit() and int(raw) <= 20:
        return int(raw)
    log.warning("ignoring %s%s=%r: must be a whole number from 0 to 20", ENV_PREFIX, name, raw)
    return default


def networks(values: Sequence[str]) -> tuple[str, ...]:
    """Each value as a network (``10.0.0.1`` → ``10.0.0.1/32``); ValueError if one is not."""
    return tuple(str(ipaddress.ip_network(v.strip(), strict=False)) for v in values if v.strip())


def _mebibytes(env: Mapping[str, str], name: str, default: int) -> int:
    """A whole number of MiB from ``env``, in bytes (0 allowed); malformed: logged, ignored."""
    raw = env.get(ENV_PREFIX + name)
    if not raw:
        return default
    if raw.isascii() and raw.isdigit() and len(raw) <= 12:
        return int(raw) * 1024**2
    log.warning("ignoring %s%s=%r: must be a whole number of MiB", ENV_PREFIX, name, raw)
    return default


def load_settings(
    data_dir: Path | None = None,
    database_url: str | None = None,
    host: str | None = None,
    port: int | None = None,
    demo: bool | None = None,
    *,
    tls_cert: str | None = None,
    tls_key: str | None = None,
    env: Mapping[str, str] | None = None,
    trusted_proxies: Sequence[str] | None = None,
    photo_store: str | None = None,
) -> Settings:
    """Settings from arguments, then ``CITYPATROL_SERVER_*`` environment variables, then defaults."""
    env = os.environ if env is None else env
    resolved_dir = Path(
        data_dir
        or env.get(ENV_PREFIX + "DATA_DIR")
        or user_data_path("CityPatrol-server", appauthor=False)
    )
    url = (
        database_url
        or env.get(ENV_PREFIX + "DATABASE_URL")
        or f"sqlite:///{resolved_dir / 'server.db'}"
    )
    defaults = Settings(data_dir=resolved_dir, database_url=url)
    return Settings(
        data_dir=resolved_dir,
        database_url=url,
        host=host or env.get(ENV_PREFIX + "HOST", DEFAULT_HOST),
        port=port or int(env.get(ENV_PREFIX + "PORT", DEFAULT_PORT)),
        demo=demo if demo is not None else env.get(ENV_PREFIX + "DEMO", "") == "1",
        token_lifetime_hours=_hours(env, "TOKEN_LIFETIME_HOURS", defaults.token_lifetime_hours),
        token_idle_days=_hours(env, "TOKEN_IDLE_DAYS", defaults.token_idle_days, "days"),
        handler_after_photos=_count(env, "HANDLER_AFTER_PHOTOS", defaults.handler_after_photos),
        busy_timeout_s=_seconds(env, "BUSY_TIMEOUT", defaults.busy_timeout_s, minimum=0.05),
        upload_expiry_s=_seconds(env, "UPLOAD_EXPIRY_S", defaults.upload_expiry_s),
        upload_idle_s=_seconds(env, "UPLOAD_IDLE_S", defaults.upload_idle_s),
        tls_cert=tls_cert or env.get(ENV_PREFIX + "TLS_CERT") or None,
        tls_key=tls_key or env.get(ENV_PREFIX + "TLS_KEY") or None,
        root_path=env.get(ENV_PREFIX + "ROOT_PATH", "").rstrip("/"),
        metrics=env.get(ENV_PREFIX + "METRICS", "1") != "0",
        metrics_token=env.get(ENV_PREFIX + "METRICS_TOKEN", ""),
        user_quota_bytes=_mebibytes(env, "USER_QUOTA_MB", defaults.user_quota_bytes),
        case_quota_bytes=_mebibytes(env, "CASE_QUOTA_MB", defaults.case_quota_bytes),
        disk_reserve_bytes=_mebibytes(env, "DISK_RESERVE_MB", defaults.disk_reserve_bytes),
        photo_store=photo_store or env.get(ENV_PREFIX + "PHOTO_STORE", ""),
        trusted_proxies=networks(
            trusted_proxies or env.get(ENV_PREFIX + "TRUSTED_PROXIES", "").split(",")
        ),
    )
