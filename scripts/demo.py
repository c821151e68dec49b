"""Start CityPatrol on the embedded defaults: a local server (SQLite) with demo accounts, and the
desktop app signed in to it as the demo inspector. ``./dev.sh start`` runs this.

    .venv/bin/python scripts/demo.py [--port 8765] [--screenshot FILE]

Data lives in ``$CITYPATROL_DEMO_DIR`` (default: the per-user data folder ``CityPatrol-demo``),
``server/`` and ``client/`` inside it. Demo accounts: demo/demo (inspector) and
supervisor/supervisor. Without a display, the app runs on a virtual screen (Xvfb).
"""

from __future__ import annotations

import argparse
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
DEMO_CASES = (
    (
        "06010",
        "人民路与解放路交叉口东南角暴露垃圾堆积约2立方米",
        "鼓楼区人民路88号",
        "32.0603",
        "118.7969",
    ),
    ("01037", "中山北路3号路灯夜间不亮", "鼓楼区中山北路3号", "32.0712", "118.7810"),
    ("09006", "湖南路地铁站出口占道经营水果摊", "鼓楼区湖南路12号", "32.0655", "118.7830"),
)


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
        client = [PY, "-m", "app.cli", "--data-dir", str(client_dir)]
        subprocess.run(
            [*client, "login", "--server", url, "--user", "demo"],
            input=b"demo\n",
            cwd=ROOT,
            check=True,
        )
        listed = subprocess.run(
            [*client, "case", "list", "--json"], capture_output=True, cwd=ROOT, check=True
        )
        if listed.stdout.strip() == b"[]":
            for code, text, address, lat, lon in DEMO_CASES:
                subprocess.run(
                    [*client, "case", "new", "--category", code, "--description", text, "--address", address,
                     "--lat", lat, "--lon", lon, "--accuracy", "5"],
                    cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
                )  # fmt: skip
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
