"""Updates of the desktop client offered by the server: learn of them, download, never install.

The server keeps the current installer of each platform (``citypatrol-server release add``).
:func:`check_update` asks for this platform's (``GET /api/v1/releases/latest``) and returns an
:class:`UpdateOffer` only when its version is newer than this copy's (``packaging.version``,
see app.domain.releases); the sync engine asks once per cycle and Help → Check for updates on
demand. :func:`download_update` fetches the installer through the server into the data
folder's ``updates/``: into ``<sha256>.part`` first, resumed from that partial file after a cut
(``Range`` with ``If-Range``; the file's address is its content), then checked against the
offered SHA-256 — a mismatch discards the file and raises — and only then renamed to the
installer's own name. Nothing here runs the installer: that is the user's decision.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.domain.errors import Message
from app.domain.releases import ReleasePlatform, is_newer
from app.storage.store import LocalStore
from app.sync.backoff import Backoff
from app.sync.client import ServerClient
from app.sync.connection import load_connection
from app.sync.credentials import CredentialStore
from app.sync.errors import ErrorKind, SyncError
from app.version import app_version

log = logging.getLogger("citypatrol.sync")

#: The folder (in the data folder) the installers are downloaded to.
UPDATE_DIR = "updates"
LATEST = "/api/v1/releases/latest"


@dataclass(frozen=True, slots=True)
class UpdateOffer:
    """A newer client the server offers for this platform."""

    version: str
    platform: ReleasePlatform
    filename: str
    sha256: str
    size: int
    url: str


def this_platform() -> ReleasePlatform | None:
    """The installer kind this copy was installed from (None: none is built for it)."""
    if sys.platform == "win32":
        return ReleasePlatform.WINDOWS
    if sys.platform == "darwin":
        return ReleasePlatform.MACOS
    if sys.platform.startswith("linux"):
        # The AppImage runtime sets APPIMAGE to the file it runs from.
        return (
            ReleasePlatform.LINUX_APPIMAGE
            if os.environ.get("APPIMAGE")
            else ReleasePlatform.LINUX_DEB
        )
    return None


def updates_folder(data_dir: Path | str) -> Path:
    return Path(data_dir) / UPDATE_DIR


def check_update(
    client: ServerClient,
    current: str | None = None,
    platform: ReleasePlatform | None = None,
) -> UpdateOffer | None:
    """The server's release for ``platform`` (default: this one) when it is newer than
    ``current`` (default: this copy's version); None when there is none or it is not newer
    (a server that offers none, or predates releases, answers 404)."""
    platform = platform or this_platform()
    if platform is None:
        return None
    response = client.send(
        "GET", LATEST, params={"platform": platform.value}, expect=frozenset({404})
    )
    if response.status_code == 404:
        return None
    try:
        data = response.json()
        offer = UpdateOffer(
            version=str(data["version"]),
            platform=ReleasePlatform(data["platform"]),
            filename=str(data["filename"]),
            sha256=str(data["sha256"]).lower(),
            size=int(data["size"]),
            url=str(data["url"]),
        )
        newer = is_newer(offer.version, current or app_version())
    except (ValueError, KeyError, TypeError):
        log.warning("the server's release answer could not be read: %.200s", response.text)
        return None
    if len(offer.sha256) != 64 or not offer.url.startswith("/api/v1/releases/"):
        log.warning("the server's release answer is not a release: %.200s", response.text)
        return None
    return offer if newer else None


def installer_path(folder: Path, offer: UpdateOffer) -> Path:
    """Where the checked installer is saved: its own file name, never outside ``folder``."""
    name = Path(offer.filename.replace("\\", "/")).name.strip()
    if not name or name.startswith("."):
        name = f"citypatrol-{offer.version}"
    return folder / name


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def checksum_error(offer: UpdateOffer) -> SyncError:
    return SyncError(
        ErrorKind.REJECTED,
        "update_checksum",
        Message(
            f"下载的安装包（版本 {offer.version}）校验不符（SHA-256），已删除；请稍后重新下载，"
            "如仍不符请联系管理员",
            f"The downloaded installer (version {offer.version}) did not match its SHA-256 "
            "checksum and was deleted; download it again later, and tell your administrator "
            "if it happens again",
        ),
    )


def download_update(
    client: ServerClient,
    offer: UpdateOffer,
    folder: Path,
    progress: Callable[[int, int], None] | None = None,
    *,
    attempts: int = 6,
    backoff: Backoff | None = None,
    stop: threading.Event | None = None,
) -> Path:
    """Download ``offer``'s installer into ``folder`` (see the module) and return its path.

    A cut is retried (``attempts`` in all, with ``backoff``), each try resuming from the bytes
    already kept; a failure that outlasts them raises with the partial file kept for the next
    try. ``progress(bytes_done, size)`` follows the download. A file that does not match the
    offered SHA-256 is deleted and :func:`checksum_error` raised."""
    folder.mkdir(parents=True, exist_ok=True)
    final = installer_path(folder, offer)
    if final.is_file() and final.stat().st_size == offer.size and _sha256(final) == offer.sha256:
        return final  # downloaded and checked before
    part = folder / f"{offer.sha256}.part"
    if part.exists() and part.stat().st_size > offer.size:
        part.unlink()  # longer than the installer: not its bytes
    backoff = backoff or Backoff(base_s=1.0, cap_s=15.0)
    stop = stop or threading.Event()

    def moved(done: int) -> None:
        if progress is not None:
            progress(done, offer.size)

    failures = 0
    while not (part.exists() and part.stat().st_size == offer.size):
        try:
            client.resume_download(offer.url, part, offer.sha256, moved)
            break
        except SyncError as exc:
            failures += 1
            if not exc.retryable or failures >= attempts or stop.is_set():
                raise
            log.info("update download cut (%s); resuming", exc.code)
            stop.wait(backoff.wait(failures, exc.retry_after))
    if part.stat().st_size != offer.size or _sha256(part) != offer.sha256:
        part.unlink(missing_ok=True)
        log.warning("update %s discarded: its SHA-256 did not match", offer.version)
        raise checksum_error(offer)
    os.replace(part, final)
    log.info("update %s downloaded to %s", offer.version, final)
    return final


def signed_in_client(store: LocalStore) -> ServerClient:
    """A client of the store's server with the saved session (SyncError when signed out)."""
    account = store.account()
    token = (
        CredentialStore(store.data_dir).load(account.server_url, account.username)
        if account is not None
        else None
    )
    if account is None or not token:
        raise SyncError(
            ErrorKind.AUTH,
            "not_signed_in",
            Message(
                "尚未登录服务器，无法检查更新",
                "Not signed in to a server: updates cannot be checked",
            ),
        )
    return ServerClient(account.server_url, token, connection=load_connection(store.data_dir))


def check_store_update(store: LocalStore) -> UpdateOffer | None:
    """Help → Check for updates: ask the store's server now."""
    with signed_in_client(store) as client:
        return check_update(client)


def download_store_update(
    store: LocalStore,
    offer: UpdateOffer,
    progress: Callable[[int, int], None] | None = None,
    stop: threading.Event | None = None,
) -> Path:
    """Download ``offer`` from the store's server into the data folder's ``updates/``."""
    with signed_in_client(store) as client:
        return download_update(client, offer, updates_folder(store.data_dir), progress, stop=stop)
