"""Basemaps the server distributes: ``citypatrol-server basemap add|list|remove``.

A basemap is a raster MBTiles file. ``add`` checks it, copies it into the data folder under its
SHA-256 (``basemaps/<sha256>.mbtiles``: content-addressed, so a replaced file gets a new address
and a client never resumes a download of one version with the bytes of another), records it by
name and announces it to every account through the change feed (kind ``basemap``). The laptops
download what they lack at their next sync (``GET /api/v1/basemaps/{sha256}``, with Range).

Why a validator of its own rather than ``app.geo.mbtiles``: the server may import only
``app.domain``, and ``app.domain`` may not touch a database (tests/test_layering.py keeps both
rules). The admission check here is deliberately the coarse one an administrator needs at once —
an SQLite file not cut short, the MBTiles tables, raster tiles of the declared format, Web
Mercator — and every laptop checks the downloaded file again with ``app.geo.mbtiles`` before
it registers it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.domain.contract import BasemapPayload, FeedKind
from server.feed import append_feed
from server.models import Basemap

#: The folder (in the server's data folder) holding the distributed files.
BASEMAP_DIR = "basemaps"
DATUMS = ("wgs84", "gcj02")
_MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "jpg": b"\xff\xd8\xff", "webp": b"RIFF"}
_WEB_MERCATOR = {"epsg:3857", "epsg:900913", "epsg:3785", "epsg:102100", "epsg:102113", "3857"}


@dataclass(frozen=True, slots=True)
class Checked:
    """What the admission check read from a basemap file."""

    format: str
    tiles: int
    attribution: str
    datum: str | None  # the file's own ``datum`` metadata, when it declares one


def check_mbtiles(path: Path) -> Checked:
    """Refuse (ValueError with the reason) a file that is not a usable raster MBTiles."""
    name = path.name
    with path.open("rb") as f:
        header = f.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        raise ValueError(f"{name} is not an MBTiles file (not an SQLite database)")
    page_size = int.from_bytes(header[16:18], "big")
    pages = int.from_bytes(header[28:32], "big")
    expected = pages * (65536 if page_size == 1 else page_size)
    if header[24:28] == header[92:96] and pages and path.stat().st_size < expected:
        raise ValueError(f"{name} is cut short ({path.stat().st_size} of {expected} bytes)")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
            if not {"metadata", "tiles"} <= tables:
                raise ValueError(f"{name} is not an MBTiles file (no metadata or tiles table)")
            meta = {
                str(k).strip().lower(): str(v)
                for k, v in db.execute("SELECT name, value FROM metadata WHERE value IS NOT NULL")
            }
            count = int(db.execute("SELECT COUNT(*) FROM tiles").fetchone()[0])
            first = db.execute("SELECT tile_data FROM tiles LIMIT 1").fetchone()
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise ValueError(f"{name} is damaged ({exc})") from exc
    for key in ("crs", "srs", "projection", "proj", "spatial_reference"):
        value = meta.get(key, "").strip().lower().replace(" ", "")
        if value and value not in _WEB_MERCATOR:
            raise ValueError(f"{name} is in {meta[key]}; only Web Mercator (EPSG:3857) tiles")
    fmt = meta.get("format", "png").strip().lower()
    fmt = "jpg" if fmt == "jpeg" else fmt
    if fmt not in _MAGIC:
        raise ValueError(f"{name} holds {fmt!r} tiles; only PNG, JPEG or WebP raster basemaps")
    if count == 0:
        raise ValueError(f"{name} holds no tiles")
    if first and first[0] and not bytes(first[0]).startswith(_MAGIC[fmt]):
        raise ValueError(f"{name} declares {fmt} tiles, but its tiles are not")
    declared = meta.get("datum", "").strip().lower()
    return Checked(fmt, count, meta.get("attribution", "").strip(), declared or None)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def stored_file(data_dir: Path, sha256: str) -> Path:
    return data_dir / BASEMAP_DIR / f"{sha256}.mbtiles"


def entity_id(name: str) -> str:
    """The feed's entity id of a basemap: a UUID derived from its name (the column holds 36
    characters; a SHA-256 would not fit, and the name is what a basemap is known by)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"citypatrol:basemap:{name}"))


def basemap_json(row: Basemap, *, removed: bool = False) -> BasemapPayload:
    return {
        "name": row.name,
        "sha256": row.sha256,
        "size": row.size,
        "datum": row.datum,
        "attribution": row.attribution,
        "removed": removed,
    }


def add_basemap(
    session: Session, data_dir: Path, path: Path, name: str, datum: str | None = None
) -> Basemap:
    """Check ``path``, store it by SHA-256 and record it as ``name`` (replacing a basemap of
    that name), announced to everyone. Adding the same file again announces nothing new."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("a basemap's name is 1 to 100 characters")
    if datum is not None and datum not in DATUMS:
        raise ValueError(f"datum must be one of {', '.join(DATUMS)}")
    checked = check_mbtiles(path)
    sha = _sha256(path)
    target = stored_file(data_dir, sha)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)  # a file under its hash is always whole
    chosen = datum or (checked.datum if checked.datum in DATUMS else "wgs84")
    row = session.get(Basemap, name)
    if row is not None and row.sha256 == sha and row.datum == chosen:
        return row
    old_sha = row.sha256 if row is not None else None
    row = row or Basemap(name=name)
    row.sha256, row.size, row.datum = sha, target.stat().st_size, chosen
    row.attribution = checked.attribution[:500]
    row.added_at = datetime.now(UTC)
    session.add(row)
    session.flush()
    append_feed(session, FeedKind.BASEMAP, entity_id(name), basemap_json(row))
    if old_sha is not None and old_sha != sha:
        _drop_unused(session, data_dir, old_sha)
    return row


def remove_basemap(session: Session, data_dir: Path, name: str) -> None:
    """Stop distributing ``name``: the laptops drop it from their list at their next sync."""
    row = session.get(Basemap, name)
    if row is None:
        raise ValueError(f"no basemap is named {name!r}")
    payload = basemap_json(row, removed=True)
    session.delete(row)
    session.flush()
    append_feed(session, FeedKind.BASEMAP, entity_id(name), payload)
    _drop_unused(session, data_dir, row.sha256)


def _drop_unused(session: Session, data_dir: Path, sha256: str) -> None:
    """Delete a stored file no basemap uses any more — once the transaction has committed, so
    a rolled-back removal never leaves a row without its file."""
    # Two names may share one file; it goes only with the last of them.
    if session.scalars(select(Basemap.name).where(Basemap.sha256 == sha256)).first() is None:
        path = stored_file(data_dir, sha256)
        event.listen(session, "after_commit", lambda _s: path.unlink(missing_ok=True), once=True)


def list_basemaps(session: Session) -> list[Basemap]:
    return list(session.scalars(select(Basemap).order_by(Basemap.name)))
