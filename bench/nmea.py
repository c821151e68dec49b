"""Benchmark of the NMEA decoder (``app.capture.nmea``) over the real receiver logs.

Run from the project root::

    .venv/bin/python bench/nmea.py [--samples DIR] [--min-seconds S] [--json]

All ``*.log`` files in ``--samples`` (default ``../shared/samples/nmea``, gpsd's regression
logs: 20 receivers, 10,593 sentences) are read into memory once, as the bytes a serial port
delivers. Each measurement decodes all of them, over and over, until at least ``--min-seconds``
(default 2) of work has been timed, and reports sentences per second:

1. **Decoder** — ``NmeaDecoder.feed`` on every line, a fresh decoder per log: checksum,
   fields, gpsd's reporting-cycle state machine, and the ``Fix`` objects. This is the figure
   the target applies to: at least 100,000 sentences/s (a receiver sends ~10–50 a second, so a
   day-long patrol log decodes in well under a second).
2. **parse_sentence** — framing, checksum and field split only, into ``Sentence`` objects.
3. **Naive baseline** — measured in the same run on the same lines: what a first attempt looks
   like, a stateless loop doing ``line.split(",")`` after a per-character XOR checksum; it
   finds no position at all.

Sentences are counted as the decoder counts them (checksum-verified); the baseline counts
the lines it accepts, which must be the same number, or a ``WARNING`` is printed. A missed
target is reported as MISS, never as an error; the exit status is 0 unless the samples are
missing (2). ``--json`` prints one JSON object instead of the table.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from functools import reduce
from operator import xor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.capture.nmea import NmeaDecoder, parse_sentence  # noqa: E402

TARGET_SENTENCES_PER_S = 100_000


def load_logs(directory: Path) -> list[list[bytes]]:
    """Every log's lines, as bytes without the newline."""
    return [path.read_bytes().split(b"\n") for path in sorted(directory.glob("*.log"))]


def run_decoder(logs: list[list[bytes]]) -> tuple[int, int]:
    """(sentences, fixes) of one pass of the full decoder."""
    sentences = fixes = 0
    for lines in logs:
        decoder = NmeaDecoder()
        feed = decoder.feed
        for line in lines:
            fixes += len(feed(line))
        sentences += decoder.sentences
    return sentences, fixes


def run_parse_sentence(logs: list[list[bytes]]) -> tuple[int, int]:
    """(sentences, 0): framing, checksum and split only."""
    sentences = 0
    for lines in logs:
        for line in lines:
            if parse_sentence(line) is not None:
                sentences += 1
    return sentences, 0


def run_naive(logs: list[list[bytes]]) -> tuple[int, int]:
    """(sentences, 0): the obvious stateless loop — strip, checksum char by char, split."""
    sentences = 0
    for lines in logs:
        for raw in lines:
            line = raw.decode("latin-1").strip()
            start = line.find("$")
            star = line.rfind("*")
            if start < 0 or star < start:
                continue
            body = line[start + 1 : star]
            try:
                expected = int(line[star + 1 : star + 3], 16)
            except ValueError:
                continue
            if reduce(xor, (ord(c) for c in body), 0) != expected:
                continue
            if not body.isascii() or not body.isprintable():
                continue
            body.split(",")
            sentences += 1
    return sentences, 0


def measure(
    work: Callable[[list[list[bytes]]], tuple[int, int]],
    logs: list[list[bytes]],
    min_seconds: float,
) -> dict[str, float]:
    """Repeat ``work`` until ``min_seconds`` of it have been timed; the rate and the counts."""
    work(logs)  # warm up: imports, caches
    passes = 0
    sentences = fixes = 0
    elapsed = 0.0
    while elapsed < min_seconds:
        started = time.perf_counter()
        done, found = work(logs)
        elapsed += time.perf_counter() - started
        passes += 1
        sentences += done
        fixes += found
    return {
        "passes": passes,
        "seconds": round(elapsed, 3),
        "sentences_per_pass": sentences // passes,
        "fixes_per_pass": fixes // passes,
        "sentences_per_s": round(sentences / elapsed),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--samples", type=Path, default=ROOT.parent / "shared" / "samples" / "nmea")
    parser.add_argument("--min-seconds", type=float, default=2.0)
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    args = parser.parse_args(argv)

    logs = load_logs(args.samples)
    if not logs:
        print(f"no *.log files in {args.samples}", file=sys.stderr)
        return 2
    results = {
        "decoder": measure(run_decoder, logs, args.min_seconds),
        "parse_sentence": measure(run_parse_sentence, logs, args.min_seconds),
        "naive_baseline": measure(run_naive, logs, args.min_seconds),
    }
    rate = results["decoder"]["sentences_per_s"]
    verdict = "PASS" if rate >= TARGET_SENTENCES_PER_S else "MISS"
    warnings = []
    if results["naive_baseline"]["sentences_per_pass"] != results["decoder"]["sentences_per_pass"]:
        warnings.append(
            "WARNING: the baseline accepted "
            f"{results['naive_baseline']['sentences_per_pass']} sentences per pass, the decoder "
            f"{results['decoder']['sentences_per_pass']}"
        )
    summary = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "logs": len(logs),
        "lines": sum(len(lines) for lines in logs),
        "results": results,
        "target_sentences_per_s": TARGET_SENTENCES_PER_S,
        "verdict": verdict,
        "warnings": warnings,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0

    print(
        f"NMEA decoding, {summary['logs']} logs, {summary['lines']} lines, "
        f"Python {summary['python']} on {summary['machine']}"
    )
    naive = results["naive_baseline"]["sentences_per_s"]
    print(f"{'':28}{'sentences/s':>14}{'vs baseline':>14}{'passes':>9}{'fixes/pass':>12}")
    for name, label in (
        ("decoder", "NmeaDecoder.feed (full)"),
        ("parse_sentence", "parse_sentence (framing)"),
        ("naive_baseline", "naive split+checksum"),
    ):
        r = results[name]
        print(
            f"{label:28}{r['sentences_per_s']:>14,.0f}{r['sentences_per_s'] / naive:>13.2f}x"
            f"{r['passes']:>9}{r['fixes_per_pass']:>12,}"
        )
    print(
        f"target: full decoder >= {TARGET_SENTENCES_PER_S:,} sentences/s: {rate:,.0f} -> {verdict}"
    )
    for warning in warnings:
        print(warning)
    return 0


if __name__ == "__main__":
    sys.exit(main())
