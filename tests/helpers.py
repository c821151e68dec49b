"""Helpers for tests that run the app as a separate process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(
    *args: str, data_dir: Path | None = None, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``citypatrol`` entry point in a child process."""
    cmd = [sys.executable, "-m", "app.cli"]
    if data_dir is not None:
        cmd += ["--data-dir", str(data_dir)]
    cmd += list(args)
    env = {**os.environ, "LANG": "C.UTF-8"}
    return subprocess.run(
        cmd, check=False, capture_output=True, text=True, timeout=120, env=env, cwd=ROOT, **kwargs
    )  # type: ignore[call-overload]
