"""What kind of image a file is, from its first bytes (never from its name or a client's word).

One function for both sides: the client checks a photo before it keeps it, the server checks an
upload's bytes against the type it declared before it publishes the photo.
"""

from __future__ import annotations

from typing import Final

JPEG: Final = "image/jpeg"
PNG: Final = "image/png"
HEIF: Final = "image/heif"

#: HEIF brands (ISO/IEC 23008-12) accepted in a file's ``ftyp`` box, major or compatible: the
#: union of the lists the client (the brands pillow-heif opens: image and sequence variants
#: heic/heix/heim/heis, hevc/hevx/hevm/hevs) and the server (plus the structural brands mif1 and
#: msf1 that phones put first) kept separately before; a file one side took, the other now takes.
HEIF_BRANDS: Final = frozenset(b"heic heix heim heis hevc hevx hevm hevs mif1 msf1".split())

#: The declared MIME types and the family their bytes must sniff as (HEIC is a HEIF brand).
DECLARED_FAMILY: Final = {
    "image/jpeg": JPEG,
    "image/png": PNG,
    "image/heic": HEIF,
    "image/heif": HEIF,
}


def _heif(head: bytes) -> bool:
    # An ISO-BMFF file opens with an ``ftyp`` box: size (4), "ftyp", major brand (4), minor
    # version (4), then compatible brands (4 each) up to the box's size.
    if len(head) < 16 or head[4:8] != b"ftyp":
        return False
    box_size = int.from_bytes(head[0:4], "big")
    if box_size < 16:
        return False
    box = head[: min(box_size, len(head))]
    brands = [box[8:12]] + [box[i : i + 4] for i in range(16, len(box) - 3, 4)]
    return any(brand in HEIF_BRANDS for brand in brands)


def sniff_image_type(head: bytes) -> str | None:
    """``image/jpeg``, ``image/png`` or ``image/heif`` (HEIC included) for the first bytes of a
    file (a few hundred suffice; 4 KiB cover any ``ftyp`` box), or None for anything else."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if _heif(head):
        return HEIF
    return None


def is_declared_type(head: bytes, mime: str) -> bool:
    """Whether the first bytes are of the declared MIME type (``image/heic`` counts as HEIF)."""
    family = DECLARED_FAMILY.get(mime.lower())
    return family is not None and sniff_image_type(head) == family
