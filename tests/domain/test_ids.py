"""Client-generated ids: canonical, time-ordered UUIDv7 strings."""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from app.domain.ids import id_timestamp_ms, is_valid_id, new_id

ROOT = Path(__file__).resolve().parents[2]
KNOWN_V7 = "01890a5d-ac96-774b-bcce-b302099a8057"
CANONICAL_V7 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")

_BURST = """
import json, sys, time
from app.domain.ids import new_id
ids = [new_id() for _ in range(int(sys.argv[1]))]
print(json.dumps({"ids": ids, "clock_ms": time.time() * 1000}))
"""


def ids_from_a_burst(count: int) -> tuple[list[str], float]:
    """``count`` ids made in one loop by a fresh process, and that process's clock afterwards.

    The id generator keeps process-wide state, so a burst run here would leak into every test
    that follows; a child process keeps it to itself.
    """
    done = subprocess.run(
        [sys.executable, "-c", _BURST, str(count)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=True,
    )
    result = json.loads(done.stdout)
    return result["ids"], result["clock_ms"]


def test_new_id_is_a_canonical_lowercase_uuidv7_string() -> None:
    value = new_id()

    assert isinstance(value, str)
    assert len(value) == 36
    assert CANONICAL_V7.fullmatch(value), value
    parsed = uuid.UUID(value)
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122
    assert str(parsed) == value
    assert is_valid_id(value)


def test_ten_thousand_ids_made_in_a_loop_are_unique_and_strictly_increasing_as_strings() -> None:
    ids, _ = ids_from_a_burst(10_000)

    assert len(ids) == 10_000
    assert len(set(ids)) == 10_000
    for earlier, later in itertools.pairwise(ids):
        assert earlier < later, (earlier, later)
    assert all(is_valid_id(value) for value in ids)


def test_ids_made_one_after_another_in_this_process_increase() -> None:
    ids = [new_id() for _ in range(100)]

    assert ids == sorted(ids)
    assert len(set(ids)) == 100


def test_id_timestamp_is_within_a_second_of_the_clock() -> None:
    before_ms = time.time() * 1000
    value = new_id()
    after_ms = time.time() * 1000

    stamp = id_timestamp_ms(value)

    assert before_ms - 1000 <= stamp <= after_ms + 1000
    assert abs(stamp - time.time() * 1000) < 1000


def test_ids_made_in_a_burst_still_carry_the_time_they_were_made() -> None:
    ids, clock_ms = ids_from_a_burst(10_000)

    assert id_timestamp_ms(ids[-1]) <= clock_ms + 1000


def test_id_timestamp_reads_the_first_48_bits_as_milliseconds() -> None:
    assert id_timestamp_ms(KNOWN_V7) == 0x01890A5DAC96


def test_id_timestamp_of_a_uuid4_is_refused() -> None:
    with pytest.raises(ValueError, match="UUIDv7"):
        id_timestamp_ms(str(uuid.uuid4()))


def _with_variant_bits(value: str, bits: int) -> str:
    parsed = uuid.UUID(value).int
    parsed = (parsed & ~(0b11 << 62)) | (bits << 62)
    return str(uuid.UUID(int=parsed))


def _invalid_ids() -> dict[str, object]:
    v7 = new_id()
    return {
        "uuid4": str(uuid.uuid4()),
        "uuid1": str(uuid.uuid1()),
        "nil": str(uuid.UUID(int=0)),
        "uppercase": KNOWN_V7.upper(),
        "one_uppercase_letter": KNOWN_V7.replace("a", "A", 1),
        "fresh_id_uppercase": v7.upper() if v7 != v7.upper() else "X" + v7,
        "no_hyphens": v7.replace("-", ""),
        "braces": "{" + v7 + "}",
        "urn": "urn:uuid:" + v7,
        "trailing_space": v7 + " ",
        "truncated": v7[:-1],
        "garbage": "not-an-id",
        "empty": "",
        "chinese": "案件编号一二三",
        "wrong_variant": _with_variant_bits(v7, 0b11),
        "none": None,
        "integer": 42,
        "bytes": v7.encode(),
    }


INVALID = _invalid_ids()


@pytest.mark.parametrize("value", INVALID.values(), ids=INVALID.keys())
def test_is_valid_id_rejects_anything_but_a_canonical_uuidv7(value: object) -> None:
    assert is_valid_id(value) is False  # type: ignore[arg-type]


def test_is_valid_id_accepts_a_canonical_uuidv7_made_elsewhere() -> None:
    assert is_valid_id(KNOWN_V7)
