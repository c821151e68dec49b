"""The basemaps (and vector overlays) this computer knows: a registry kept as ``basemaps.json``
in the data folder.

Why a file and not the store: basemaps are configuration of the computer (large files that
live beside the data, copied in by the inspector or, later, downloaded by the sync), not records
that travel in the outbox; a JSON file needs no migration, a support person can read it, and
the CLI resolves ``--basemap NAME`` through it without opening the database.

Each entry is keyed by name and carries the file's SHA-256: the seam for the server's
distribution of basemaps (``citypatrol-server basemap add``, issue 13): the sync will compare
the server's ``(name, sha256)`` with these and download only a basemap that is missing or whose
content changed, then :meth:`BasemapRegistry.add` it with ``origin="server"``.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.geo.datum import Datum
from app.geo.errors import map_error
from app.geo.mbtiles import MBTiles, open_basemap
from app.geo.vector import VectorLayer, gpkg_layers, read_geojson, read_gpkg_layer

REGISTRY_FILE = "basemaps.json"
#: Where the sync will put basemaps it downloads (local ones stay where the inspector has them).
BASEMAP_DIR = "basemaps"


@dataclass(frozen=True, slots=True)
class Basemap:
    """A basemap known on this computer."""

    name: str
    path: str
    sha256: str
    datum: str = Datum.WGS84.value
    attribution: str = ""
    #: ``local`` (added in the settings) or ``server`` (downloaded by the sync)
    origin: str = "local"
    added_at: str = ""

    @property
    def file(self) -> Path:
        return Path(self.path)


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Overlay:
    """A vector layer drawn over the basemap: a GeoJSON file, or one layer of a GeoPackage."""

    name: str
    path: str
    #: The GeoPackage table (None for GeoJSON).
    layer: str | None = None

    def read(self) -> VectorLayer:
        """The features (raises :class:`MapError` for a file gone or unreadable)."""
        if self.layer is not None:
            return read_gpkg_layer(Path(self.path), self.layer)
        return read_geojson(Path(self.path), self.name)


class BasemapRegistry:
    """The entries of ``basemaps.json`` (written whole to a temporary file, then renamed)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.path = self.data_dir / REGISTRY_FILE

    def entries(self) -> list[Basemap]:
        fields = set(Basemap.__dataclass_fields__)
        return [
            Basemap(**{k: v for k, v in e.items() if k in fields})
            for e in self._read().get("basemaps", [])
        ]

    def overlays(self) -> list[Overlay]:
        fields = set(Overlay.__dataclass_fields__)
        return [
            Overlay(**{k: v for k, v in e.items() if k in fields})
            for e in self._read().get("overlays", [])
        ]

    def add_overlay(self, path: Path) -> list[Overlay]:
        """Record a GeoJSON file, or every feature layer of a GeoPackage, as overlays (each
        read once first, so an unreadable file is refused now rather than on the map)."""
        path = Path(path).resolve()
        if path.suffix.lower() == ".gpkg":
            added = [Overlay(f"{path.stem}/{t}", str(path), t) for t in gpkg_layers(path)]
        else:
            added = [Overlay(path.stem, str(path))]
        for overlay in added:
            overlay.read()
        names = {o.name for o in added}
        self._save(
            self.entries(), overlays=[*(o for o in self.overlays() if o.name not in names), *added]
        )
        return added

    def remove_overlay(self, name: str) -> None:
        self._save(self.entries(), overlays=[o for o in self.overlays() if o.name != name])

    def current(self) -> Basemap | None:
        """The basemap the maps show: the one last chosen, else the first."""
        entries = self.entries()
        chosen = self._read().get("current")
        return next((b for b in entries if b.name == chosen), entries[0] if entries else None)

    def set_current(self, name: str) -> None:
        self._save(self.entries(), current=name)

    def _read(self) -> dict[str, Any]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise map_error(
                "basemap_registry",
                f"底图列表 {self.path} 无法读取（{exc}）",
                f"The basemap list {self.path} cannot be read ({exc})",
            ) from exc
        return raw if isinstance(raw, dict) else {}

    def get(self, name: str) -> Basemap | None:
        return next((b for b in self.entries() if b.name == name), None)

    def add(
        self,
        path: Path,
        *,
        name: str | None = None,
        datum: Datum | None = None,
        origin: str = "local",
    ) -> Basemap:
        """Check the file (refused with the reason if unusable), hash it and record it under
        ``name`` (default: the file's own name), replacing an entry of that name."""
        path = Path(path).resolve()
        with open_basemap(path, datum=datum) as tiles:
            info = tiles.info
        entry = Basemap(
            name=(name or info.name or path.stem).strip(),
            path=str(path),
            sha256=file_sha256(path),
            datum=info.datum.value,
            attribution=info.attribution,
            origin=origin,
            added_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self._save([*(b for b in self.entries() if b.name != entry.name), entry])
        return entry

    def remove(self, name: str) -> None:
        self._save([b for b in self.entries() if b.name != name])

    def resolve(self, name_or_path: str) -> tuple[Path, Datum | None]:
        """A ``--basemap`` argument: a registered name, else a file path."""
        entry = self.get(name_or_path)
        if entry is not None:
            return entry.file, Datum(entry.datum)
        path = Path(name_or_path)
        if path.exists():
            return path, None
        raise map_error(
            "basemap_unknown",
            f"没有名为“{name_or_path}”的底图，也没有这个文件",
            f"No basemap is named “{name_or_path}” and no such file exists",
        )

    def _save(
        self,
        entries: list[Basemap],
        *,
        current: str | None = None,
        overlays: list[Overlay] | None = None,
    ) -> None:
        if current is None:
            current = self._read().get("current")
        if overlays is None:
            overlays = self.overlays()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        data = {
            "current": current,
            "basemaps": [asdict(b) for b in entries],
            "overlays": [asdict(o) for o in overlays],
        }
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, self.path)


def open_registered(data_dir: Path, name: str | None = None) -> MBTiles | None:
    """The registered basemap ``name`` (default: the current one), opened and checked; None
    when none is registered. Raises :class:`MapError` for a file gone or damaged since."""
    registry = BasemapRegistry(data_dir)
    entry = registry.get(name) if name else registry.current()
    if entry is None:
        return None
    return open_basemap(entry.file, datum=Datum(entry.datum))
