"""How uvicorn serves the app: the options that are part of the server's security.

- Forwarded addresses: uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 unless told
  otherwise; here only from the configured ``--trusted-proxy`` networks (none by default), so
  a client cannot pick the address the sign-in throttle counts, and behind a trusted proxy the
  throttle counts each client, not the proxy (which would lock a whole city out).
- Header size: uvicorn's httptools protocol has no limit at all (a 64 MiB header was read
  whole into memory); :class:`BoundedHttpToolsProtocol` answers 431 and closes the connection
  once a request's head passes ``server.limits.MAX_HEAD_BYTES``. Without httptools, uvicorn's
  h11 protocol is used with the same limit (``h11_max_incomplete_event_size``).
- Demo accounts (weak passwords by design) are seeded only on a loopback address
  (:func:`is_loopback`; server.cli refuses ``--demo`` otherwise).
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.limits import MAX_HEAD_BYTES
from server.settings import Settings

_HEAD_TOO_LARGE = json.dumps(
    {
        "detail": {
            "code": "headers_too_large",
            "zh": f"请求头过大（上限 {MAX_HEAD_BYTES // 1024} KiB）",
            "en": f"the request headers are too large (the limit is {MAX_HEAD_BYTES // 1024} KiB)",
        }
    },
    ensure_ascii=False,
).encode()


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request head longer than ``MAX_HEAD_BYTES``.

    Bytes are counted as they arrive while a head is incomplete (the parser keeps a header's
    value until it ends, so counting in its callbacks would be too late): memory is bounded by
    the limit plus one read from the socket.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # a new connection starts with a request's head
        self._head_bytes = 0
        self._events = 0  # heads and messages completed on this connection

    def data_received(self, data: bytes) -> None:
        events_before = self._events
        super().data_received(data)
        # The whole read was (part of) one head only if no head and no message ended while it
        # was parsed (a read may hold the end of a body, or a whole small request: not counted).
        if self._in_head and self._events == events_before:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES and not self.transport.is_closing():
                self.logger.warning("request head over %d bytes refused", MAX_HEAD_BYTES)
                self.transport.write(
                    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
                    b"content-type: application/json\r\n"
                    b"content-length: " + str(len(_HEAD_TOO_LARGE)).encode() + b"\r\n"
                    b"connection: close\r\n\r\n" + _HEAD_TOO_LARGE
                )
                self.transport.close()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._events += 1
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._in_head, self._head_bytes = True, 0
        self._events += 1


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` (besides the app, host and port)."""
    http = (
        "server.serving:BoundedHttpToolsProtocol"
        if importlib.util.find_spec("httptools") is not None
        else "h11"
    )
    return {
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies) or None,
        "http": http,
        "h11_max_incomplete_event_size": MAX_HEAD_BYTES,
    }
