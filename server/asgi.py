"""The app factory uvicorn workers call when the server runs with ``--workers N``."""

from __future__ import annotations

from fastapi import FastAPI

from server.api import create_app
from server.settings import load_settings


def create() -> FastAPI:
    return create_app(load_settings())
