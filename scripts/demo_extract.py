"""Make the demo town's map data kept in the repository: a small GeoJSON extract of
``../shared/samples/map/town.gpkg`` (OpenStreetMap, ODbL) — roads, water, waterways, landuse,
railways and buildings of the centre of 贵溪市, coordinates rounded to 1e-5° (about 1 m).

    .venv/bin/python scripts/demo_extract.py [GPKG] [OUT]

Run once by a developer; the output, ``resources/demo/guixi-osm.geojson``, is committed beside
its licence note (``resources/demo/ODbL-ATTRIBUTION.md``). ``scripts/demo_basemap.py`` renders
the demo basemap from it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from app.geo.vector import read_gpkg_layer

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT.parent / "shared" / "samples" / "map" / "town.gpkg"
OUT = ROOT / "resources" / "demo" / "guixi-osm.geojson"
#: Layer → the properties kept (what the renderer styles and labels by).
LAYERS = {
    "landuse": ("class", "type", "name"),
    "water": ("natural", "water", "name"),
    "waterways": ("waterway", "name"),
    "railways": ("railway",),
    "buildings": ("building",),
    "roads": ("highway", "name", "bridge"),
}
ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"


def _geometry(kind: str, parts: list[list[tuple[float, float]]]) -> dict[str, object]:
    rings = [[[round(x, 5), round(y, 5)] for x, y in ring] for ring in parts]
    if kind == "polygon":
        return {"type": "Polygon", "coordinates": rings}
    if kind == "line":
        return {"type": "MultiLineString", "coordinates": rings}
    return {"type": "Point", "coordinates": rings[0][0]}


def main(source: Path = SOURCE, out: Path = OUT) -> int:
    features = []
    for layer, keep in LAYERS.items():
        for f in read_gpkg_layer(source, layer).features:
            props = {k: f.properties[k] for k in keep if f.properties.get(k) not in (None, "")}
            features.append(
                {
                    "type": "Feature",
                    "properties": {"layer": layer, **props},
                    "geometry": _geometry(f.kind, f.parts),
                }
            )
    data = {"type": "FeatureCollection", "attribution": ATTRIBUTION, "features": features}
    out.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"{out}: {len(features)} features, {out.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(*(Path(a) for a in sys.argv[1:3])))
