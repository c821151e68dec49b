"""One image-type sniffer for the client and the server."""

from __future__ import annotations

import pytest

from app.domain.images import HEIF_BRANDS, is_declared_type, sniff_image_type


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return (8 + len(body)).to_bytes(4, "big") + b"ftyp" + body + b"\x00" * 32


def test_jpeg_and_png() -> None:
    assert sniff_image_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert sniff_image_type(b"\x89PNG\r\n\x1a\nrest") == "image/png"
    assert sniff_image_type(b"GIF89a") is None
    assert sniff_image_type(b"") is None


@pytest.mark.parametrize("brand", sorted(HEIF_BRANDS))
def test_every_heif_brand_as_major_or_compatible(brand: bytes) -> None:
    assert sniff_image_type(ftyp(brand)) == "image/heif"
    assert sniff_image_type(ftyp(b"avif", b"isom", brand)) == "image/heif"


def test_not_heif() -> None:
    assert sniff_image_type(ftyp(b"isom", b"mp41")) is None  # an MP4 video
    assert sniff_image_type(b"\x00\x00\x00\x08ftypheic") is None  # a box too short


def test_declared_types() -> None:
    assert is_declared_type(ftyp(b"heic"), "image/heic")
    assert is_declared_type(ftyp(b"mif1"), "image/heif")
    assert not is_declared_type(b"\xff\xd8\xff", "image/png")
    assert not is_declared_type(b"\xff\xd8\xff", "image/gif")
