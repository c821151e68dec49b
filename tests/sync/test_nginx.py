"""The shipped reverse-proxy set-up, run for real: Debian's nginx with deploy/nginx/citypatrol.conf
(TLS with a CA made here), the server behind it under the path prefix /citypatrol/, and a full
client sync of cases and a photo whose upload is cut mid-body and resumed, through it all.

What the configuration must get right and this proves: PATCH bodies of several MiB pass
(``client_max_body_size``), they are streamed so the server keeps what arrived before the cut
(``proxy_request_buffering off``: the resumed sync sends far less than the photo again), the
upload ``Location`` carries the prefix (``X-Forwarded-Prefix``), and nginx's request id reaches
the server's response.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from faultproxy import Fault, FaultProxy
from helpers import ROOT, ServerProcess, free_port
from sync_helpers import submitted_case
from tlsca import make_ca

from app.domain.ids import new_id
from app.storage import LocalStore
from app.sync.backoff import Backoff
from app.sync.connection import ConnectionSettings
from app.sync.engine import SyncEngine, SyncOptions
from app.sync.session import sign_in

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE = ROOT / "deploy" / "nginx" / "citypatrol.conf"
SNIPPET = ROOT / "deploy" / "nginx" / "citypatrol-proxy.conf"
PHOTO = "photos/heic/mobile/HMD_Nokia_8.3_5G.heif"  # 3 MB: three times nginx's default limit

pytestmark = pytest.mark.skipif(not Path(NGINX).exists(), reason="nginx is not installed")


def site_config(folder: Path, backend: int, ports: tuple[int, int], cert: Path, key: Path) -> Path:
    """The shipped site with this test's ports (https, http), certificate and paths, and its
    documented path-prefix location in place of the root one."""
    https, http = ports
    text = SITE.read_text()
    text = text.replace("server 127.0.0.1:8765;", f"server 127.0.0.1:{backend};")
    text = re.sub(r"\n\s*listen \[::\]:\d+[^\n]*", "", text)
    text = text.replace("listen 80;", f"listen 127.0.0.1:{http};")
    text = text.replace("listen 443 ssl", f"listen 127.0.0.1:{https} ssl")
    text = text.replace("/etc/ssl/citypatrol/fullchain.pem", str(cert))
    text = text.replace("/etc/ssl/citypatrol/privkey.pem", str(key))
    text = text.replace("/etc/nginx/snippets/citypatrol-proxy.conf", str(SNIPPET))
    prefixed = "\n".join(
        line.replace("#   ", "", 1)
        for line in re.search(r"(    #   location /citypatrol/.*?#   }\n)", text, re.S)
        .group(1)  # type: ignore[union-attr]
        .splitlines()
    )
    root = re.search(r"    location / \{.*?\n    \}\n", text, re.S)
    assert root is not None and "proxy_pass http://citypatrol/;" in prefixed
    text = text.replace(root.group(0), prefixed + "\n")
    site = folder / "site.conf"
    site.write_text(text)
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = folder / "nginx.conf"
    main.write_text(
        f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} info;\nevents {{ worker_connections 64; }}\n"
        f"http {{\n    access_log {folder / 'access.log'};\n{temp}\n    include {site};\n}}\n"
    )
    return main


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"nginx stopped:\n{log.read_text(errors='replace')}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nginx did not listen:\n{log.read_text(errors='replace')}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(tmp_path / "server", "--demo")
    yield process
    process.stop()


@pytest.fixture
def nginx(tmp_path: Path, server: ServerProcess) -> Iterator[tuple[int, Path]]:
    """nginx in the foreground on free ports of 127.0.0.1; yields (https port, CA file)."""
    ca = make_ca(tmp_path / "ca")
    folder = tmp_path / "nginx"
    folder.mkdir()
    https, http = free_port(), free_port()
    conf = site_config(folder, server.port, (https, http), ca.server_cert, ca.server_key)
    check = subprocess.run(
        [NGINX, "-t", "-c", str(conf), "-p", str(folder), "-e", str(folder / "error.log")],
        check=False, capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(
        [NGINX, "-c", str(conf), "-p", str(folder), "-e", str(folder / "error.log")]
    )
    try:
        wait_for_port(https, process, folder / "error.log")
        yield https, ca.ca_cert
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_full_sync_with_a_resumed_photo_through_the_shipped_nginx_config_under_a_prefix(
    tmp_path: Path, server: ServerProcess, nginx: tuple[int, Path], samples: Path
) -> None:
    https, ca = nginx
    # A TCP proxy in front of nginx cuts the client's connection in the middle of the photo.
    with FaultProxy(https) as cutter:
        url = f"https://127.0.0.1:{cutter.port}/citypatrol"
        with httpx.Client(verify=ssl.create_default_context(cafile=ca), base_url=url) as http:
            health = http.get("/healthz")
            assert health.status_code == 200
            # nginx's $request_id reached the server, which answers with it (server.observability).
            assert re.fullmatch(r"[0-9a-f]{32}", health.headers["x-request-id"])
            assert http.get("/metrics").status_code == 403  # for the monitoring inside only

        store = LocalStore(tmp_path / "client")
        sign_in(store, url, "demo", "demo", ConnectionSettings(ca_bundle=str(ca)))
        cases = [submitted_case(store, f"代理后的案件 {i}") for i in range(5)]
        photo = store.attach_photo(cases[0], samples / PHOTO)
        size = (samples / PHOTO).stat().st_size
        sent_before = cutter.bytes["up"]
        cutter.add_faults(Fault("cut", after=2 * 1024 * 1024, direction="up"))
        options = SyncOptions(attempts=4, backoff=Backoff(base_s=0.05, cap_s=0.2))
        report = SyncEngine(store, options).run()
        assert report.ok, "\n".join(report.lines("en"))
        assert cutter.fired, "the upload was never cut"
        # Resumed from the server's offset, not sent again from the start.
        assert cutter.bytes["up"] - sent_before < size + 1024 * 1024

        rows = {row.id: row for row in store.list_cases(limit=10).rows}
        assert {rows[c].delivery for c in cases} == {"confirmed"}
        with httpx.Client(verify=ssl.create_default_context(cafile=ca), base_url=url) as http:
            login = http.post(
                "/api/v1/auth/login", json={"username": "demo", "password": "demo"}
            ).json()
            auth = {"Authorization": f"Bearer {login['token']}"}
            for case_id in cases:
                assert http.get(f"/api/v1/cases/{case_id}", headers=auth).status_code == 200
            got = http.get(f"/api/v1/photos/{photo.id}", headers=auth)
            assert got.status_code == 200 and got.content == (samples / PHOTO).read_bytes()
            # Any tus client resolving Location against the URL it asked stays under the prefix.
            meta = {"case_id": cases[1], "photo_id": new_id(), "sha256": "0" * 64,
                    "mime": "image/jpeg", "role": "before", "filename": "x.jpg"}  # fmt: skip
            tus = {**auth, "Tus-Resumable": "1.0.0"}
            created = http.post(
                "/api/v1/uploads",
                headers={
                    **tus,
                    "Upload-Length": "3",
                    "Upload-Metadata": ",".join(
                        f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in meta.items()
                    ),
                },
            )
            assert created.status_code == 201, created.text
            location = created.headers["location"]
            assert location.startswith("/citypatrol/api/v1/uploads/")
            head = http.head(str(created.url.join(location)), headers=tus)
            assert head.status_code == 200 and head.headers["upload-offset"] == "0"
        store.close()
