"""Size limits against a real server process: bodies, headers (issue 12's memory probes).

The server's resident memory is read from /proc before and after each probe: it must not grow
by more than ``GROWTH``, whatever the request declares or sends.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from helpers import ServerProcess

MIB = 1024 * 1024
GROWTH = 64 * MIB


def rss(server: ServerProcess) -> int:
    status = Path(f"/proc/{server.process.pid}/status").read_text(encoding="ascii")
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def send_until_answered(server: ServerProcess, head: bytes, chunks: Iterator[bytes]) -> bytes:
    """Send ``head`` then ``chunks`` until the server answers or hangs up; its answer."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        answer = b""
        deadline = time.monotonic() + 20
        for chunk in chunks:
            try:
                answer += sock.recv(65536)
            except BlockingIOError:
                pass
            except OSError:
                break
            if answer or time.monotonic() > deadline:
                break
            try:
                sock.setblocking(True)
                sock.sendall(chunk)
                sock.setblocking(False)
            except OSError:  # the server answered and closed: read what it said
                break
        sock.setblocking(True)
        try:
            while not complete(answer):
                more = sock.recv(65536)
                if not more:
                    break
                answer += more
        except OSError:
            pass
        return answer


def complete(answer: bytes) -> bool:
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.lower().split(b"\r\n"):
        if line.startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return True


def status_of(answer: bytes) -> int:
    assert answer, "the server hung up without an answer"
    return int(answer.split(b" ", 2)[1])


def test_a_400_mib_sign_in_body_is_refused_before_it_is_read(server: ServerProcess) -> None:
    before = rss(server)
    head = (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(400 * MIB).encode() + b"\r\n\r\n"
    )
    answer = send_until_answered(server, head, (b"x" * MIB for _ in range(400)))
    assert status_of(answer) == 413, answer[:300]
    assert b'"code":"body_too_large"' in answer
    assert rss(server) - before < GROWTH


def test_a_chunked_400_mib_sign_in_body_is_refused_while_streaming(server: ServerProcess) -> None:
    before = rss(server)
    head = (
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n" % MIB + b"x" * MIB + b"\r\n"
    answer = send_until_answered(server, head, (chunk for _ in range(400)))
    assert status_of(answer) == 413, answer[:300]
    assert rss(server) - before < GROWTH


def test_a_64_mib_header_is_refused(server: ServerProcess) -> None:
    before = rss(server)
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
    answer = send_until_answered(server, head, (b"a" * MIB for _ in range(64)))
    assert status_of(answer) == 431, answer[:300]
    assert b"headers_too_large" in answer
    assert rss(server) - before < GROWTH
    assert httpx.get(f"{server.url}/healthz").status_code == 200  # and it goes on serving


def test_bodies_under_the_limit_still_work(server: ServerProcess) -> None:
    almost = {"username": "demo", "password": "x" * 900, "pad": "y" * (MIB)}
    response = httpx.post(f"{server.url}/api/v1/auth/login", json=almost)
    assert response.status_code == 422  # read and validated: an unknown field, not a 413
