"""How uvicorn serves the app: the options that are part of the server's security.

- Forwarded addresses: uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 unless told
  otherwise; here only from the configured ``--trusted-proxy`` networks (none by default), so
  a client cannot pick the address the sign-in throttle counts, and behind a trusted proxy the
  throttle counts each client, not the proxy (which would lock a whole city out).
"""

from __future__ import annotations

from typing import Any

from server.settings import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` (besides the app, host and port)."""
    return {
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies) or None,
    }
