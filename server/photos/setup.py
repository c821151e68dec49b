"""Which :class:`~server.photos.store.PhotoStore` a server uses (``--photo-store``)."""

from __future__ import annotations

from sqlalchemy import Engine

from server.photos.locks import locks_for
from server.photos.store import LocalPhotoStore, PhotoStore
from server.settings import Settings


def open_photo_store(settings: Settings, engine: Engine) -> PhotoStore:
    """``s3://BUCKET[/PREFIX]``: object storage (parts locked through PostgreSQL when the
    database is PostgreSQL); a folder: that folder; nothing: ``photos/`` in the data folder."""
    location = settings.photo_store
    if location.startswith("s3://"):
        from server.photos.s3 import S3PhotoStore  # boto3 only when it is used

        locks = locks_for(engine, settings.data_dir / "photo-locks")
        return S3PhotoStore.from_location(location, settings.data_dir / "photo-spool", locks)
    return LocalPhotoStore(settings.photos_dir)
