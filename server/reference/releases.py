"""Installers of the desktop client the server offers: ``citypatrol-server release add|list``.

``add`` checks the file (it exists, is not empty) and the version (PEP 440, newer than the
platform's current release — an administrator cannot offer a downgrade or the same version
twice by mistake), copies the file into the data folder under its SHA-256
(``releases/<sha256>``: content-addressed like the basemaps, so a resumed download never mixes
the bytes of two installers) and records it. The newest version of a platform is the one the
laptops are offered (``GET /api/v1/releases/latest?platform=…``); they download it with Range
from ``GET /api/v1/releases/{sha256}`` and check its SHA-256 before telling the user.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.releases import ReleasePlatform, parse_version
from server.models import ClientRelease

#: The folder (in the server's data folder) holding the installers.
RELEASE_DIR = "releases"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def stored_file(data_dir: Path, sha256: str) -> Path:
    return data_dir / RELEASE_DIR / sha256


def latest_release(session: Session, platform: ReleasePlatform) -> ClientRelease | None:
    """The platform's current release: its highest version (by PEP 440, not by text)."""
    rows = session.scalars(select(ClientRelease).where(ClientRelease.platform == platform.value))
    return max(rows, key=lambda r: parse_version(r.version), default=None)


def add_release(
    session: Session, data_dir: Path, path: Path, version: str, platform: ReleasePlatform
) -> ClientRelease:
    """Store ``path`` as ``platform``'s release ``version`` (see the module); ValueError with
    the reason for a missing or empty file, an unreadable version or one not newer."""
    wanted = parse_version(version)
    if len(str(wanted)) > 40:
        raise ValueError("a version number is at most 40 characters")
    if not path.is_file():
        raise ValueError(f"{path} is not a file")
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is empty")
    current = latest_release(session, platform)
    if current is not None and wanted <= parse_version(current.version):
        raise ValueError(
            f"{platform.value} already offers version {current.version}; "
            f"a release must be newer than that, not {wanted}"
        )
    sha = _sha256(path)
    target = stored_file(data_dir, sha)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)  # a file under its hash is always whole
    row = ClientRelease(
        platform=platform.value,
        version=str(wanted),
        filename=path.name[:200],
        sha256=sha,
        size=target.stat().st_size,
        added_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row


def list_releases(session: Session) -> list[ClientRelease]:
    """Every recorded release, by platform and then newest first."""
    rows = list(session.scalars(select(ClientRelease)))
    rows.sort(key=lambda r: parse_version(r.version), reverse=True)
    rows.sort(key=lambda r: r.platform)
    return rows


def is_offered(session: Session, sha256: str) -> ClientRelease | None:
    """A recorded release with this file (any platform or version)."""
    return session.scalars(select(ClientRelease).where(ClientRelease.sha256 == sha256)).first()
