"""Build the desktop client with PyInstaller (build.spec, onedir) and print the bundle size.

.venv/bin/python scripts/build_client.py [--dist DIR] [--work DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bundle_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build")
    args = parser.parse_args()
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "PyInstaller", str(ROOT / "build.spec"), "--noconfirm", "--log-level", "WARN",
         "--distpath", str(args.dist), "--workpath", str(args.work)],
        cwd=ROOT, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        return result.returncode
    bundle = args.dist / "citypatrol"
    size = bundle_size(bundle)
    print(
        f"built {bundle / 'citypatrol'} in {time.monotonic() - started:.0f} s; bundle size {size / 2**20:.1f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
