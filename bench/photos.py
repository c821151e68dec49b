"""Benchmark of importing evidence photos (``app.capture.photos``) against a naive import.

Run from the project root::

    .venv/bin/python bench/photos.py [--count N] [--photos-dir DIR] [--baseline-count M] [--json]

``--count`` (default 200) 12-megapixel JPEGs (4000×3000, about 3–5 MB each: smooth colour
fields under camera-like noise, so they compress like photos, at JPEG quality 84–92) are
generated once, in two helper processes so that generating them does not inflate this
process's memory figures, with a realistic EXIF block (camera, capture time, GPS) and an
Orientation tag of 6, 8 or 3 on every fourth photo. ``--photos-dir`` keeps them (and reuses
them on the next run).

Timed, per photo, with the operating system's file cache warm for both sides:

1. **Import path** — ``inspect_with_thumbnail`` (in the decode worker: read once, SHA-256,
   damage check, EXIF, JPEG draft-mode decode that validates every byte of the compressed
   data, upright 256-pixel thumbnail), then an atomic copy of the original into a
   content-addressed store folder (temporary file, fsync, rename; the copy is hashed again and
   must match the inspected SHA-256), then the thumbnail written the same way.
2. **Naive baseline** — the same copy and thumbnail write, but the photo opened in this
   process, its EXIF read, fully decoded, turned upright and shrunk with ``Image.resize`` to
   256 pixels (no draft mode), on the first ``--baseline-count`` photos (default 60: the rate
   is per photo, and the baseline is slow).

Target: the import path at least 2.5× the baseline's photos per second. Memory: the peak
resident size of this process (``getrusage(RUSAGE_SELF).ru_maxrss``) and of the decode worker
(which reports its own: ``RUSAGE_CHILDREN`` counts only children that have exited, and on
Linux a spawned child's ``ru_maxrss`` starts at its parent's size, so the worker reads its own
``VmHWM`` there), after 50 photos and after all of them — it must stay under 300 MB and flat however many
photos are imported; it is measured before the baseline runs in this process. A missed
target prints MISS, never an error; a wrong result (size, orientation, hash) prints WARNING
and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import multiprocessing
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageChops, ImageOps
from PIL.TiffImagePlugin import IFDRational

from app.capture.photos import decoder_peak_rss_bytes, inspect_with_thumbnail, shutdown_decoder

WIDTH, HEIGHT = 4000, 3000
THUMB_EDGE = 256
TARGET_SPEEDUP = 2.5
TARGET_RSS_MB = 300.0
CHECKPOINT = 50
SEED = 20261127
ORIENTATIONS = (6, 8, 3)
MB = 1024 * 1024


# -- photos ---------------------------------------------------------------------------------

_NOISE: list[Image.Image] = []


def _make_photo(job: tuple[int, str]) -> tuple[str, int, int]:
    """Write photo ``index`` to ``path`` (runs in a helper process); (name, bytes, orientation)."""
    index, path = job
    rnd = random.Random(SEED + index)
    if not _NOISE:  # one noise field per helper process, shifted differently for each photo
        _NOISE.append(Image.merge("RGB", [Image.effect_noise((WIDTH, HEIGHT), 11) for _ in "RGB"]))
    small = Image.new("RGB", (8, 6))
    small.putdata([(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)) for _ in range(48)])
    base = small.resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)
    noise = ImageChops.offset(_NOISE[0], rnd.randrange(WIDTH), rnd.randrange(HEIGHT))
    photo = ImageChops.add(base, noise, scale=1.0, offset=-128)
    orientation = ORIENTATIONS[(index // 4) % 3] if index % 4 == 3 else 1
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0112] = "CityPatrol", "Bench 12MP", orientation
    exif.get_ifd(0x8769)[0x9003] = f"2026:05:{1 + index % 28:02d} 09:{index % 60:02d}:15"
    exif.get_ifd(0x8825).update(
        {
            1: "N",
            2: (IFDRational(31), IFDRational(13), IFDRational(4944 + index, 100)),
            3: "E",
            4: (IFDRational(121), IFDRational(28), IFDRational(2532 + index, 100)),
        }
    )
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=rnd.randrange(84, 93), exif=exif)
    Path(path).write_bytes(buf.getvalue())
    return Path(path).name, len(buf.getvalue()), orientation


def ensure_photos(folder: Path, count: int) -> tuple[list[Path], dict[str, int], float]:
    """The ``count`` photos in ``folder`` (generating missing ones); orientations; seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(i, str(folder / f"photo-{i:04d}.jpg")) for i in range(count)]
    missing = [job for job in jobs if not Path(job[1]).is_file()]
    started = time.perf_counter()
    if missing:
        print(f"generating {len(missing)} photos in {folder} …", file=sys.stderr)
        with multiprocessing.get_context("spawn").Pool(2) as pool:
            for done, _ in enumerate(pool.imap_unordered(_make_photo, missing, chunksize=4), 1):
                if done % 25 == 0:
                    print(f"  {done}/{len(missing)}", file=sys.stderr)
    orientations = {Path(p).name: ORIENTATIONS[(i // 4) % 3] if i % 4 == 3 else 1 for i, p in jobs}
    return [Path(p) for _, p in jobs], orientations, time.perf_counter() - started


# -- the two import paths ------------------------------------------------------------------


def write_atomically(folder: Path, name: str, data: bytes | None, source: Path | None) -> str:
    """Copy ``source`` (or write ``data``) to ``folder/name`` via temp file, fsync, rename."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".import-", dir=folder)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out:
            if source is not None:
                with source.open("rb") as src:
                    while chunk := src.read(MB):
                        digest.update(chunk)
                        out.write(chunk)
            else:
                assert data is not None
                digest.update(data)
                out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, folder / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return digest.hexdigest()


@dataclass
class Stage:
    seconds: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.seconds.append(seconds)

    @property
    def ms(self) -> float:
        return statistics.fmean(self.seconds) * 1000 if self.seconds else 0.0


def import_ours(path: Path, store: Path, stages: dict[str, Stage]) -> tuple[int, int, int, str]:
    t0 = time.perf_counter()
    info, thumb = inspect_with_thumbnail(path, max_edge=THUMB_EDGE)
    t1 = time.perf_counter()
    name = f"{info.sha256}.jpg"
    copied = write_atomically(store / info.sha256[:2], name, None, path)
    if copied != info.sha256:
        raise RuntimeError(f"{path.name} changed between inspection and copy")
    write_atomically(store / "thumbs", name, thumb, None)
    t2 = time.perf_counter()
    stages["inspect + thumbnail (worker)"].add(t1 - t0)
    stages["copy + thumbnail write"].add(t2 - t1)
    with Image.open(io.BytesIO(thumb)) as im:
        thumb_size = im.size
    return info.display_width, info.display_height, info.orientation or 1, f"{thumb_size}"


def import_naive(path: Path, store: Path, stages: dict[str, Stage]) -> tuple[int, int, int, str]:
    t0 = time.perf_counter()
    sha = write_atomically(store / "incoming", path.name, None, path)
    t1 = time.perf_counter()
    with Image.open(path) as im:
        orientation = int(im.getexif().get(0x0112, 1))
        im.load()  # full decode
        w, h = im.size
        wide = w >= h
        size = (
            (THUMB_EDGE, round(h * THUMB_EDGE / w))
            if wide
            else (round(w * THUMB_EDGE / h), THUMB_EDGE)
        )
        small = im.convert("RGB").resize(size, Image.Resampling.BICUBIC)
    # Turned upright after shrinking (cheap): the baseline is naive about decoding only.
    small.getexif()[0x0112] = orientation
    thumb = ImageOps.exif_transpose(small)
    w, h = (h, w) if orientation in (5, 6, 7, 8) else (w, h)
    buf = io.BytesIO()
    thumb.save(buf, "JPEG", quality=85)
    t2 = time.perf_counter()
    (store / "incoming" / path.name).rename(store / "incoming" / f"{sha}.jpg")
    write_atomically(store / "thumbs", f"{sha}.jpg", buf.getvalue(), None)
    t3 = time.perf_counter()
    stages["open + full decode + resize"].add(t2 - t1)
    stages["copy + thumbnail write"].add((t1 - t0) + (t3 - t2))
    return w, h, orientation, f"{thumb.size}"


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / MB if sys.platform == "darwin" else peak / 1024


# -- the run -------------------------------------------------------------------------------


@dataclass
class Report:
    count: int
    average_mb: float
    generated_s: float
    ours_rate: float = 0.0
    ours_stages: dict[str, float] = field(default_factory=dict)
    baseline_count: int = 0
    baseline_rate: float = 0.0
    baseline_stages: dict[str, float] = field(default_factory=dict)
    rss_main_mb: dict[int, float] = field(default_factory=dict)
    rss_worker_mb: dict[int, float] = field(default_factory=dict)
    rss_children_mb_at_end: float = 0.0
    errors: list[str] = field(default_factory=list)

    @property
    def speedup(self) -> float:
        return self.ours_rate / self.baseline_rate if self.baseline_rate else 0.0


def run(
    photos: list[Path],
    orientations: dict[str, int],
    baseline_count: int,
    scratch: Path,
    generated_s: float,
) -> Report:
    sizes = [p.stat().st_size for p in photos]
    report = Report(len(photos), statistics.fmean(sizes) / MB, generated_s)
    expected_size = {1: (WIDTH, HEIGHT), 3: (WIDTH, HEIGHT), 6: (HEIGHT, WIDTH), 8: (HEIGHT, WIDTH)}

    def check(path: Path, result: tuple[int, int, int, str], side: str) -> None:
        w, h, orientation, thumb = result
        want = orientations[path.name]
        want_thumb = f"{(THUMB_EDGE, 192) if want in (1, 3) else (192, THUMB_EDGE)}"
        if (w, h) != expected_size[want] or orientation != want or thumb != want_thumb:
            report.errors.append(
                f"{side} {path.name}: {w}×{h}, orientation {orientation}, thumbnail {thumb}"
            )

    for path in photos:  # both sides read the photos once untimed: the file cache is warm
        path.read_bytes()
    # Ours first, so that the baseline's full decodes in this process cannot raise the peak.
    ours_store = scratch / "ours"
    stages: dict[str, Stage] = {
        "inspect + thumbnail (worker)": Stage(),
        "copy + thumbnail write": Stage(),
    }
    check(photos[0], import_ours(photos[0], scratch / "warm", stages), "ours")  # starts the worker
    stages = {k: Stage() for k in stages}
    print(f"import path: {len(photos)} photos …", file=sys.stderr)
    started = time.perf_counter()
    for done, path in enumerate(photos, 1):
        check(path, import_ours(path, ours_store, stages), "ours")
        if done in (CHECKPOINT, len(photos)):
            report.rss_main_mb[done] = peak_rss_mb()
            report.rss_worker_mb[done] = (decoder_peak_rss_bytes() or 0) / MB
    report.ours_rate = len(photos) / (time.perf_counter() - started)
    report.ours_stages = {k: v.ms for k, v in stages.items()}
    shutdown_decoder()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report.rss_children_mb_at_end = children / MB if sys.platform == "darwin" else children / 1024

    subset = photos[:baseline_count]
    report.baseline_count = len(subset)
    stages = {"open + full decode + resize": Stage(), "copy + thumbnail write": Stage()}
    import_naive(subset[0], scratch / "warm-naive", stages)
    stages = {k: Stage() for k in stages}
    print(f"naive baseline: {len(subset)} photos …", file=sys.stderr)
    started = time.perf_counter()
    for path in subset:
        check(path, import_naive(path, scratch / "naive", stages), "naive")
    report.baseline_rate = len(subset) / (time.perf_counter() - started)
    report.baseline_stages = {k: v.ms for k, v in stages.items()}
    return report


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def render(r: Report) -> str:
    lines = [
        f"photos: {r.count} × {WIDTH}×{HEIGHT} JPEG, {r.average_mb:.1f} MB on average"
        f" (generated in {r.generated_s:.0f} s; orientation tag on every 4th)",
        "",
        f"import path   {r.ours_rate:6.1f} photos/s  ({1000 / r.ours_rate:5.1f} ms/photo)"
        "  hash + atomic copy + inspect (draft-mode validation) + thumbnail",
    ]
    lines += [f"    {name:32} {ms:6.1f} ms" for name, ms in r.ours_stages.items()]
    lines += [
        f"naive baseline {r.baseline_rate:5.1f} photos/s  ({1000 / r.baseline_rate:5.1f} ms/photo)"
        f"  same copy, full decode + Image.resize to {THUMB_EDGE} ({r.baseline_count} photos)",
    ]
    lines += [f"    {name:32} {ms:6.1f} ms" for name, ms in r.baseline_stages.items()]
    lines += [
        "",
        f"speed-up       {r.speedup:.2f}×   target ≥ {TARGET_SPEEDUP}×   {verdict(r.speedup >= TARGET_SPEEDUP)}",
        "",
        "peak RSS                   " + "   ".join(f"after {n:>3}" for n in r.rss_main_mb),
    ]
    for label, values in (
        ("this process (ru_maxrss)", r.rss_main_mb),
        ("decode worker (VmHWM)", r.rss_worker_mb),
    ):
        peak = max(values.values())
        figures = "   ".join(f"{v:6.1f} MB" for v in values.values())
        flat = max(values.values()) - min(values.values()) < 20
        lines.append(
            f"  {label:24} {figures}   target < {TARGET_RSS_MB:g} MB and flat: "
            f"{verdict(peak < TARGET_RSS_MB and flat)}"
        )
    lines.append(
        f"  (RUSAGE_CHILDREN after the worker stopped: {r.rss_children_mb_at_end:.1f} MB — "
        "the largest child so far, photo generators included)"
    )
    for error in r.errors:
        lines.append(f"WARNING {error}")
    return "\n".join(lines)


@contextmanager
def scratch_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="citypatrol-bench-photos-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=200, help="photos to import (default 200)")
    parser.add_argument(
        "--photos-dir", type=Path, help="keep (and reuse) the generated photos here"
    )
    parser.add_argument("--baseline-count", type=int, default=60, help="photos for the baseline")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.count < 1 or args.baseline_count < 1:
        parser.error("--count and --baseline-count must be at least 1")
    with scratch_dir() as scratch:
        folder = args.photos_dir or scratch / "photos"
        photos, orientations, generated_s = ensure_photos(folder, args.count)
        report = run(
            photos, orientations, min(args.baseline_count, args.count), scratch, generated_s
        )
    print(json.dumps(asdict(report), indent=1) if args.json else render(report))
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
