"""Why a photo is refused: the stable codes, :class:`PhotoError` (calling side) and
:class:`WorkerRefusalError` (raised inside the decode worker, sent back as a reply).

A module of its own because every part of the photo pipeline refuses photos: the checks in
the calling process (:mod:`app.capture.photos`), and the decoder, pixel and file-structure code
that runs inside the worker (:mod:`app.capture.photo_pixels`, :mod:`app.capture.photo_structure`).
"""

from __future__ import annotations

from app.domain.errors import CityPatrolError

MIB = 1024 * 1024

# Codes of PhotoError, stable for callers and logs.
NOT_A_PHOTO = "not_a_photo"
UNREADABLE = "unreadable"
TOO_LARGE = "too_large"
TOO_MANY_PIXELS = "too_many_pixels"
BROKEN = "broken"
TIMEOUT = "timeout"
DECODER_CRASHED = "decoder_crashed"
DECODER_UNAVAILABLE = "decoder_unavailable"
WRITE_FAILED = "write_failed"


class PhotoError(CityPatrolError):
    """A photo that cannot be used; the message names the file and the reason in both languages."""


class WorkerRefusalError(Exception):
    """Raised inside the worker; travels back as ``("refused", code, en, zh)``."""

    def __init__(self, code: str, en: str, zh: str) -> None:
        super().__init__(en)
        self.code, self.en, self.zh = code, en, zh
