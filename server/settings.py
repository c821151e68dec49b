"""Server settings: command-line options override environment variables override defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from platformdirs import user_data_path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
ENV_PREFIX = "CITYPATROL_SERVER_"


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    #: Seed the demo accounts (demo/demo inspector, supervisor/supervisor) for local try-outs.
    demo: bool = False
    token_lifetime_hours: int = 24 * 30

    @property
    def photos_dir(self) -> Path:
        return self.data_dir / "photos"


def load_settings(
    data_dir: Path | None = None,
    database_url: str | None = None,
    host: str | None = None,
    port: int | None = None,
    demo: bool | None = None,
) -> Settings:
    """Settings from arguments, then ``CITYPATROL_SERVER_*`` environment variables, then defaults."""
    env = os.environ
    resolved_dir = Path(
        data_dir
        or env.get(ENV_PREFIX + "DATA_DIR")
        or user_data_path("CityPatrol-server", appauthor=False)
    )
    url = (
        database_url
        or env.get(ENV_PREFIX + "DATABASE_URL")
        or f"sqlite:///{resolved_dir / 'server.db'}"
    )
    return Settings(
        data_dir=resolved_dir,
        database_url=url,
        host=host or env.get(ENV_PREFIX + "HOST", DEFAULT_HOST),
        port=port or int(env.get(ENV_PREFIX + "PORT", DEFAULT_PORT)),
        demo=demo if demo is not None else env.get(ENV_PREFIX + "DEMO", "") == "1",
    )
