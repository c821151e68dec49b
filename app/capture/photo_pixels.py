"""Pixels, inside the decode worker: decode (which proves a photo whole), turn upright, and
encode the JPEG thumbnails, previews and upload copies.

Runs only in the decode worker (:mod:`app.capture.photo_decoder`), on images
:mod:`app.capture.photos` has opened; refusals are :class:`WorkerRefusalError`.
"""

from __future__ import annotations

import io
import struct
from typing import Any

from PIL import Image

from app.capture.photo_errors import BROKEN, TOO_MANY_PIXELS, WorkerRefusalError
from app.capture.photo_metadata import ORIENTATION_TRANSPOSE, PhotoMeta
from app.capture.photo_structure import strip_jpeg, strip_png


def fit_within(width: int, height: int, edge: int | None) -> tuple[int, int]:
    """The size of ``width``×``height`` shrunk to fit ``edge``×``edge`` (never enlarged)."""
    if edge is None or max(width, height) <= edge:
        return width, height
    if width >= height:
        return edge, max(1, round(height * edge / width))
    return max(1, round(width * edge / height)), edge


def decode_pixels(im: Image.Image, fmt: str, target: tuple[int, int] | None, *, full: bool) -> None:
    """Decode the pixels (this is what proves the file whole); JPEG at reduced scale.

    JPEG draft mode makes libjpeg scale by 1/2, 1/4 or 1/8 inside the inverse DCT while still
    reading every byte of the compressed data, so damage is found at a fraction of the cost.
    With no target the smallest scale is used. HEIF drafts only when not validating
    (``full=False``): its draft swaps in an embedded thumbnail and would prove nothing.
    """
    if fmt == "JPEG":
        im.draft("RGB", target or (1, 1))
    elif fmt == "HEIF" and not full and target is not None:
        im.draft(None, target)
    try:
        im.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise WorkerRefusalError(
            TOO_MANY_PIXELS, f"has too many pixels ({exc})", "像素过多"
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, RuntimeError) as exc:
        text = str(exc)
        if "truncated" in text:
            raise WorkerRefusalError(
                BROKEN, f"the file is incomplete ({text})", "文件不完整（被截断）"
            ) from exc
        raise WorkerRefusalError(
            BROKEN, f"the image data is damaged ({text})", f"图像数据已损坏（{text}）"
        ) from exc


def displayable(im: Image.Image, meta: PhotoMeta) -> Image.Image:
    """The decoded image upright and in RGB.

    The orientation applied is the one reported in PhotoInfo (the same table as
    ``ImageOps.exif_transpose``), not re-read from the EXIF: what we show and what we report
    cannot disagree, and a broken EXIF block cannot break the thumbnail. libheif has already
    applied a HEIF photo's rotation and mirroring while decoding.
    """
    out = im
    if meta.format != "HEIF" and meta.orientation in ORIENTATION_TRANSPOSE:
        out = out.transpose(ORIENTATION_TRANSPOSE[meta.orientation])
    return _to_rgb(out)


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode == "RGB":
        return im
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit greyscale PNG
        im = im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in im.info:
        # Put transparent pixels on white: dropping alpha would show whatever colour happens
        # to sit under them, often black.
        rgba = im.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return im.convert("RGB")


_MAX_ICC = 256 * 1024


def encode_jpeg(im: Image.Image, edge: int | None, quality: int) -> bytes:
    """JPEG bytes of ``im`` shrunk to fit ``edge`` (if given), without the source's metadata."""
    icc = im.info.get("icc_profile")
    if edge is not None and max(im.size) > edge:
        im.thumbnail((edge, edge), Image.Resampling.LANCZOS)  # in place; never enlarges
    # Pillow would carry a source COM comment (and could carry XMP) into the output from
    # ``info``; an empty ``info`` means nothing but the pixels and the colour profile travel.
    im.info = {}
    kwargs: dict[str, Any] = {"quality": quality, "optimize": True}
    if isinstance(icc, bytes) and 0 < len(icc) <= _MAX_ICC:
        kwargs["icc_profile"] = icc
    buf = io.BytesIO()
    im.save(buf, "JPEG", **kwargs)
    return buf.getvalue()


def upload_bytes(
    data: bytes, im: Image.Image, fmt: str, meta: PhotoMeta, edge: int | None
) -> dict[str, Any]:
    """The upload copy of an already decoded photo (``edge`` None: the ORIGINAL policy)."""
    if edge is None and fmt == "JPEG":
        return {"data": strip_jpeg(data, meta.orientation), "mime": "image/jpeg", **meta.display}
    if edge is None and fmt == "PNG":
        return {"data": strip_png(data, meta.orientation), "mime": "image/png", **meta.display}
    out = encode_jpeg(displayable(im, meta), edge, 95 if edge is None else 85)
    with Image.open(io.BytesIO(out)) as check:  # report what was written, not what we meant
        width, height = check.size
    return {"data": out, "mime": "image/jpeg", "width": width, "height": height}
