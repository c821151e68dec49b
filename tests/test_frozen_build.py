"""The desktop client frozen with PyInstaller starts and passes its own self-test offscreen."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_frozen_client_passes_its_self_test(tmp_path: Path) -> None:
    dist, work = tmp_path / "dist", tmp_path / "build"
    build = subprocess.run(
        [sys.executable, "scripts/build_client.py", "--dist", str(dist), "--work", str(work)],
        cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-4000:]
    bundle = dist / "citypatrol"
    binary = bundle / "citypatrol"
    assert binary.is_file()
    assert "bundle size" in build.stdout
    print("\n" + build.stdout.strip().splitlines()[-1])
    contents = {p.name for p in (bundle / "_internal").rglob("*")}
    assert not any("WebEngine" in name for name in contents), (
        "QtWebEngine must stay out of the bundle"
    )
    assert not any(name in contents for name in ("fastapi", "uvicorn")), "the server must stay out"

    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CITYPATROL_DATA_DIR": str(tmp_path / "data"),
    }
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        [str(binary), "--self-test"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test passed" in result.stdout
    listed = subprocess.run(
        [str(binary), "--data-dir", str(tmp_path / "d2"), "case", "new", "--category", "06010", "--description", "冻结版测试"],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
