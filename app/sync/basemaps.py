"""Basemaps from the server: download what the laptop lacks or what changed, drop what went.

The feed announces each distributed basemap by name with its SHA-256 (kind ``basemap``,
recorded by app.storage.feed). After the pull, :func:`sync_basemaps` compares the announcements
with this computer's registry (``basemaps.json``, app.geo.basemaps):

* same name, same SHA-256 → nothing is downloaded (a 150 MB basemap is not fetched again on
  every sync, the QFieldCloud complaint);
* missing or changed → ``GET /api/v1/basemaps/{sha256}`` into ``basemaps/<sha256>.mbtiles.part``
  in the data folder, resumed from that partial file after a cut (``Range``; the file's address
  is its content, so the bytes kept and the bytes resumed are of the same version), its SHA-256
  checked, checked again as an MBTiles by app.geo.mbtiles, renamed and registered with
  ``origin="server"``;
* removed on the server → dropped from the registry, with its file (only a server basemap:
  a local basemap of the same name that the inspector added is theirs).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.domain.contract import BasemapPayload
from app.domain.errors import Message
from app.geo.basemaps import BASEMAP_DIR, BasemapRegistry
from app.geo.datum import Datum
from app.geo.errors import MapError
from app.storage.feed import announced_basemaps
from app.storage.store import LocalStore
from app.sync.client import ServerClient

log = logging.getLogger("citypatrol.sync")
SERVER = "server"


@dataclass
class BasemapResult:
    downloaded: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    bytes_received: int = 0
    problems: list[Message] = field(default_factory=list)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def wanted(store: LocalStore) -> list[BasemapPayload]:
    """The announced basemaps this computer has not got in the announced version."""
    with store.read() as s:
        announced = announced_basemaps(s)
    registry = BasemapRegistry(Path(store.data_dir))
    out = []
    for item in announced:
        entry = registry.get(item["name"])
        if not item["removed"] and (entry is None or entry.sha256 != item["sha256"]):
            out.append(item)
    return out


def sync_basemaps(
    store: LocalStore,
    client: ServerClient,
    retrying: Callable[[Callable[[], int]], int],
    progress: Callable[[int, int, int, int, str], None],
    stopped: Callable[[], bool],
) -> BasemapResult:
    """Bring the registry in line with the server's announcements (see the module).

    ``retrying`` runs a step with the engine's backoff; ``progress(index, count, bytes_done,
    bytes_total, name)`` reports through the sync's progress. A retryable failure that outlasts
    the retries raises (the partial file stays for the next sync to resume).
    """
    result = BasemapResult()
    data_dir = Path(store.data_dir)
    registry = BasemapRegistry(data_dir)
    with store.read() as s:
        announced = announced_basemaps(s)
    for item in announced:
        entry = registry.get(item["name"])
        if item["removed"] and entry is not None and entry.origin == SERVER:
            registry.remove(entry.name)
            _drop_if_unused(registry, entry.file, data_dir)
            result.removed.append(entry.name)
    todo = wanted(store)
    total = sum(int(item["size"]) for item in todo)
    folder = data_dir / BASEMAP_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for index, item in enumerate(todo):
        if stopped():
            break
        name, sha = item["name"], item["sha256"]
        final = folder / f"{sha}.mbtiles"
        part = folder / f"{sha}.mbtiles.part"
        done_before = result.bytes_received
        if not final.exists():
            progress(index, len(todo), done_before, total, name)
            have = part.stat().st_size if part.exists() else 0

            def moved(
                n: int, index: int = index, name: str = name, base: int = done_before
            ) -> None:
                progress(index, len(todo), base + n, total, name)

            get = functools.partial(
                client.resume_download, f"/api/v1/basemaps/{sha}", part, sha, moved
            )
            size = retrying(get)
            result.bytes_received += size - have
            if _sha256(part) != sha:
                # Corrupt on the way (or spliced): the next sync starts from scratch.
                part.unlink(missing_ok=True)
                result.problems.append(
                    Message(
                        f"底图“{name}”下载后校验不符，下次同步将重新下载",
                        f"The basemap “{name}” did not match its checksum; it will be "
                        "downloaded again at the next sync",
                    )
                )
                continue
            os.replace(part, final)
        old = registry.get(name)
        try:
            registry.add(final, name=name, datum=Datum(item["datum"]), origin=SERVER)
        except MapError as exc:
            result.problems.append(exc.message)
            continue
        if old is not None and old.origin == SERVER and old.file != final.resolve():
            _drop_if_unused(registry, old.file, data_dir)
        result.downloaded.append(name)
        progress(index + 1, len(todo), result.bytes_received, total, name)
    return result


def _drop_if_unused(registry: BasemapRegistry, path: Path, data_dir: Path) -> None:
    """Delete a downloaded file no entry uses any more (never a file outside our folder)."""
    path = path.resolve()
    if path.parent != (data_dir / BASEMAP_DIR).resolve():
        return
    if all(b.file.resolve() != path for b in registry.entries()):
        path.unlink(missing_ok=True)
