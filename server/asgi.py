"""The app factory uvicorn workers call when the server runs with ``--workers N``.

A worker is a new process that imports this module by name: the only thing it inherits from
the command that started it is the environment, so the command puts its whole settings there,
serialised in one variable (``server.settings.WORKER_SETTINGS_ENV``), and every worker builds
its app from exactly those — not from the individual ``CITYPATROL_SERVER_*`` variables, which
would silently drop whatever the command line set (the token lifetime was lost that way).
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from server.api import create_app
from server.settings import WORKER_SETTINGS_ENV, from_json


def create() -> FastAPI:
    return create_app(from_json(os.environ[WORKER_SETTINGS_ENV]))
