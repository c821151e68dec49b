"""Start CityPatrol on the embedded defaults: a local server (SQLite) with demo accounts, and the
desktop app signed in to it as the demo inspector. ``./dev.sh start`` runs this.

    .venv/bin/python scripts/demo.py [--port 8765] [--screenshot FILE]

Data lives in ``$CITYPATROL_DEMO_DIR`` (default: the per-user data folder ``CityPatrol-demo``),
``server/`` and ``client/`` inside it. Demo accounts: demo/demo (inspector) and
supervisor/supervisor. Without a display, the app runs on a virtual screen (Xvfb).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
from platformdirs import user_data_path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
EXTRACT = ROOT / "resources" / "demo" / "guixi-osm.geojson"
BASEMAP_NAME = "贵溪（演示，OpenStreetMap）"
#: Demo cases on named streets of 贵溪 (category, description, road): each is placed on its road
#: in the OpenStreetMap extract kept in the repository (:func:`on_road`), not at made-up numbers.
DEMO_CASES = (
    ("06010", "雄石路路边暴露垃圾堆积约2立方米", "雄石路"),
    ("01037", "建设路路灯夜间不亮", "建设路"),
    ("09006", "北大街占道经营水果摊", "北大街"),
    ("09009", "站前路机动车乱停放，堵塞人行道", "站前路"),
    ("01001", "南大街供水井盖破损", "南大街"),
    ("06010", "沿河路河边暴露垃圾", "沿河路"),
    ("09006", "永泰路流动摊贩占道", "永泰路"),
    ("01037", "贵溪大道中段路灯损坏", "贵溪大道"),
)


def on_road(name: str, extract: Path = EXTRACT) -> tuple[float, float]:
    """A point on the road ``name``: the middle vertex of its longest part in the extract."""
    data = json.loads(extract.read_text(encoding="utf-8"))
    parts = [
        line
        for f in data["features"]
        if f["properties"].get("layer") == "roads" and f["properties"].get("name") == name
        for line in f["geometry"]["coordinates"]
    ]
    if not parts:
        raise ValueError(f"no road named {name} in {extract}")
    longest = max(parts, key=len)
    lon, lat = longest[len(longest) // 2]
    return lat, lon


#: The demo grid's cells: about 200 m a side, numbered from the north-west corner.
GRID_CELL_DEG = (0.002039, 0.0018047)  # (lon, lat) degrees


def demo_grid(root: Path, extract: Path = EXTRACT) -> Path:
    """A synthetic grid (单元网格) over the extract's extent, for the demo only: 200 m cells with
    15-digit codes of 贵溪市 (360681), a street per third of the town from west to east and a
    community per row band. Made up, like ../shared/samples/map/grids.geojson: no real grid."""
    data = json.loads(extract.read_text(encoding="utf-8"))
    xs, ys = [], []
    for feature in data["features"]:
        stack = [feature["geometry"]["coordinates"]]
        while stack:
            item = stack.pop()
            if item and isinstance(item[0], (int, float)):
                xs.append(float(item[0]))
                ys.append(float(item[1]))
            else:
                stack.extend(item)
    west, north = min(xs), max(ys)
    dx, dy = GRID_CELL_DEG
    cols = int((max(xs) - west) / dx) + 1
    rows = int((north - min(ys)) / dy) + 1
    streets = ("西门街道", "雄石街道", "东门街道")
    features = []
    for row in range(rows):
        for col in range(cols):
            street = min(col * 3 // cols, 2)
            community = row * 4 // rows
            number = row * cols + col + 1
            x0, y0 = west + col * dx, north - row * dy
            ring = [[x0, y0], [x0 + dx, y0], [x0 + dx, y0 - dy], [x0, y0 - dy], [x0, y0]]
            features.append({
                "type": "Feature",
                "properties": {
                    "code": f"360681{street + 1:03d}{community + 1:03d}{number % 1000:03d}",
                    "street_name": streets[street],
                    "community_name": f"演示社区{community + 1}",
                },
                "geometry": {"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]]},
            })  # fmt: skip
    out = root / "grid" / "guixi-demo-grid.geojson"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return out


def demo_basemap(root: Path) -> Path:
    """The demo basemap, rendered from the extract at the first start and kept in the demo
    folder (about 5 s; delete the file to render it again)."""
    out = root / "basemap" / "guixi-demo.mbtiles"
    if not out.exists():
        print("demo: rendering the demo basemap from the OpenStreetMap extract (first start)")
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        subprocess.run(
            [PY, str(ROOT / "scripts" / "demo_basemap.py"), str(out)], cwd=ROOT, env=env, check=True
        )
    return out


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).json().get("status") == "ok"
    except (httpx.HTTPError, ValueError):
        return False


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--screenshot", type=Path, help="save a PNG of the window once loaded, then stop"
    )
    args = parser.parse_args()

    root = Path(
        os.environ.get("CITYPATROL_DEMO_DIR") or user_data_path("CityPatrol-demo", appauthor=False)
    )
    server_dir, client_dir = root / "server", root / "client"
    url = f"http://127.0.0.1:{args.port}"
    server: subprocess.Popen[bytes] | None = None
    if healthy(url):
        print(f"demo: using the server already running at {url}")
    else:
        server_dir.mkdir(parents=True, exist_ok=True)
        log = (server_dir / "server.log").open("ab")
        server = subprocess.Popen(
            [
                PY,
                "-m",
                "server.cli",
                "--data-dir",
                str(server_dir),
                "--port",
                str(args.port),
                "--demo",
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not healthy(url):
            if server.poll() is not None or time.monotonic() > deadline:
                print(
                    f"demo: the server did not start; see {server_dir / 'server.log'}",
                    file=sys.stderr,
                )
                return 1
            time.sleep(0.2)
        print(f"demo: server running at {url} (data in {server_dir})")
    try:
        # The demo basemap reaches the laptop as every basemap does: through the server.
        subprocess.run(
            [PY, "-m", "server.cli", "--data-dir", str(server_dir), "basemap", "add",
             str(demo_basemap(root)), "--name", BASEMAP_NAME],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        # The demo grid too: the laptop looks the demo cases' cells up offline.
        subprocess.run(
            [PY, "-m", "server.cli", "--data-dir", str(server_dir), "grid", "load",
             str(demo_grid(root))],
            cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = [PY, "-m", "app.cli", "--data-dir", str(client_dir)]
        subprocess.run(
            [*client, "login", "--server", url, "--user", "demo"],
            input=b"demo\n",
            cwd=ROOT,
            check=True,
        )
        subprocess.run([*client, "sync"], cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
        listed = subprocess.run(
            [*client, "case", "list", "--json"], capture_output=True, cwd=ROOT, check=True
        )
        if listed.stdout.strip() == b"[]":
            for code, text, road in DEMO_CASES:
                lat, lon = on_road(road)
                subprocess.run(
                    [*client, "case", "new", "--category", code, "--description", text,
                     "--address", f"贵溪市{road}", "--lat", f"{lat:.6f}", "--lon", f"{lon:.6f}",
                     "--accuracy", "5"],
                    cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                )  # fmt: skip
        # One sync before the window opens: the cases go up and the basemap comes down.
        subprocess.run([*client, "sync"], cwd=ROOT, check=False, stdout=subprocess.DEVNULL)
        gui = [*client] + (["--screenshot", str(args.screenshot)] if args.screenshot else [])
        headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
        if headless and "QT_QPA_PLATFORM" not in os.environ:
            if shutil.which("xvfb-run") is None:
                print(
                    "demo: no display and no xvfb-run; set QT_QPA_PLATFORM=offscreen",
                    file=sys.stderr,
                )
                return 1
            print("demo: no display found, running the app on a virtual screen (Xvfb)")
            gui = ["xvfb-run", "-a", "-s", "-screen 0 1366x768x24", *gui]
        print("demo: starting the app, signed in as demo (inspector); close the window to stop")
        return subprocess.run(gui, cwd=ROOT, check=False).returncode
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
