"""TLS end to end: the server's own TLS (--tls-cert/--tls-key), the client's CA bundle kept
from ``citypatrol login --ca-bundle`` for later syncs, and plain HTTP refused to other hosts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import ServerProcess, run_cli
from tlsca import ThrowawayCA, make_ca

from app.sync.client import ServerClient
from app.sync.connection import ConnectionSettings, check_server_url, is_loopback
from app.sync.errors import ErrorKind, SyncError


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayCA:
    return make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def tls_server(
    tmp_path_factory: pytest.TempPathFactory, ca: ThrowawayCA
) -> Iterator[ServerProcess]:
    process = ServerProcess(
        tmp_path_factory.mktemp("tls") / "data",
        "--demo",
        "--tls-cert",
        str(ca.server_cert),
        "--tls-key",
        str(ca.server_key),
    )
    yield process
    process.stop()


def test_the_server_speaks_tls_and_the_client_trusts_the_city_ca_given_at_login(
    tmp_path: Path, tls_server: ServerProcess, ca: ThrowawayCA
) -> None:
    assert tls_server.url.startswith("https://")
    data = tmp_path / "client"
    # Without the city's CA the certificate is refused, with a hint at what to do.
    refused = run_cli("login", "--server", tls_server.url, "--user", "demo", data_dir=data,
                      input="demo\n")  # fmt: skip
    assert refused.returncode == 1
    assert "--ca-bundle" in refused.stderr and "certificate" in refused.stderr
    signed = run_cli(
        "--lang", "en", "login", "--server", tls_server.url, "--user", "demo",
        "--ca-bundle", str(ca.ca_cert), data_dir=data, input="demo\n",
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    # Kept for later: a sync (a new process, no option) still trusts the CA.
    new = run_cli("case", "new", "--category", "06010", "--description", "加密传输的案件",
                  "--lat", "32.06", "--lon", "118.79", "--accuracy", "5", "--submit",
                  data_dir=data)  # fmt: skip
    assert new.returncode == 0, new.stderr
    synced = run_cli("sync", "--json", data_dir=data)
    assert synced.returncode == 0, synced.stdout + synced.stderr
    listed = json.loads(run_cli("case", "list", "--json", data_dir=data).stdout)
    assert [c["delivery"] for c in listed] == ["confirmed"]


def test_plain_http_is_refused_to_another_host_unless_allowed(tmp_path: Path) -> None:
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("[::1]")
    assert not is_loopback("10.0.0.5") and not is_loopback("city.example.gov.cn")
    with pytest.raises(SyncError) as refused:
        ServerClient("http://city.example.gov.cn:8765")
    assert refused.value.kind is ErrorKind.REJECTED and refused.value.code == "insecure_http"
    assert "明文" in refused.value.message.zh and "clear text" in refused.value.message.en
    check_server_url("http://127.0.0.1:8765", ConnectionSettings())  # this machine: fine
    check_server_url("https://city.example.gov.cn", ConnectionSettings())
    check_server_url("http://10.0.0.5", ConnectionSettings(allow_insecure_http=True))
    # The CLI says so before asking for a password, and the flag allows it explicitly.
    cli = run_cli("login", "--server", "http://192.0.2.1:8765", "--user", "demo",
                  data_dir=tmp_path / "c", input="demo\n")  # fmt: skip
    assert cli.returncode == 1 and "--allow-insecure-http" in cli.stderr
    allowed = run_cli("login", "--server", "http://0.0.0.0:1", "--user", "demo",
                      "--allow-insecure-http", data_dir=tmp_path / "c", input="demo\n")  # fmt: skip
    # 0.0.0.0 is not loopback by name, so it is "another host"; allowed, it is tried (refused).
    assert allowed.returncode == 1 and "--allow-insecure-http" not in allowed.stderr
