"""The deployment files under deploy/ are checked by the tools that will read them: the systemd
unit by ``systemd-analyze verify``; the Containerfile only for what can be checked without a
container engine (what it copies exists, it runs the project's own entry point). The nginx
configuration is run for real by tests/sync/test_nginx.py."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from helpers import ROOT

UNIT = ROOT / "deploy" / "systemd" / "citypatrol-server.service"
CONTAINERFILE = ROOT / "deploy" / "Containerfile"


def _verify(unit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "verify", str(unit)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_the_systemd_unit_verifies_clean(tmp_path: Path) -> None:
    # The unit names the installed entry point; here, the project's own.
    text = UNIT.read_text().replace(
        "/opt/citypatrol/.venv/bin/citypatrol-server",
        str(ROOT / ".venv" / "bin" / "citypatrol-server"),
    )
    unit = tmp_path / UNIT.name
    unit.write_text(text)
    result = _verify(unit)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr
    assert "--host 127.0.0.1" in text and "UMask=0077" in text
    # And the check is not blind: a misspelt directive is reported.
    unit.write_text(text.replace("NoNewPrivileges=yes", "NoNewPrivilege=yes"))
    assert "NoNewPrivilege" in _verify(unit).stderr


def test_the_containerfile_copies_what_exists_and_runs_the_server_entry_point() -> None:
    text = CONTAINERFILE.read_text()
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.M):
        for name in source.split():
            assert (ROOT / name).exists(), name
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    entry = re.search(r'^ENTRYPOINT \["([^"]+)"\]', text, re.M)
    assert entry is not None and entry.group(1) in scripts
    assert re.search(r"^USER (?!root)\S+", text, re.M)  # never as root
