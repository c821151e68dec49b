"""The map library without widgets: pure Python, no Qt, no database of the app.

- :mod:`app.geo.tiles` — Web Mercator tile math (EPSG:3857, 256 px tiles) and the viewport.
- :mod:`app.geo.datum` — WGS84 ⇄ GCJ-02 (the offset of AMap/Tencent basemaps).
- :mod:`app.geo.mbtiles` — the MBTiles 1.3 reader, refusing damaged or non-3857 files.
- :mod:`app.geo.vector` — vector layers from GeoJSON and GeoPackage, culled by extent.
- :mod:`app.geo.cluster` — hierarchical grid clustering of markers per zoom.
- :mod:`app.geo.cache` — a least-recently-used cache bounded in bytes (decoded tiles).
- :mod:`app.geo.basemaps` — the local registry of basemaps (name, file, SHA-256, datum).

Drawing lives in :mod:`app.maprender` (QtGui only) and the widget in :mod:`app.ui.map_view`,
so the CLI, the documents and the tests share one drawing code without a window.
"""
