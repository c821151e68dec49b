"""Photos: resumable uploads (tus 1.0) and downloads.

* :mod:`~server.photos.protocol` — tus headers, metadata and the route class;
* :mod:`~server.photos.store` — where the bytes live, behind :class:`~server.photos.store.PhotoStore`
  (the local folder today; object storage implements the same interface);
* :mod:`~server.photos.hashing` — the whole-file SHA-256 kept between PATCHes;
* :mod:`~server.photos.body` — a request body streamed to storage, hashed on the way;
* :mod:`~server.photos.state` — an upload's row and its bytes together (expiry, removal);
* :mod:`~server.photos.uploads` — creation and the PATCH state machine;
* :mod:`~server.photos.cleanup` — the sweep of expired uploads and orphan parts;
* :mod:`~server.photos.access` — who may upload and download;
* :mod:`~server.photos.router` — the routes.
"""
