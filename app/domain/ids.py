"""Client-generated, time-ordered identifiers.

Every case, photo and change gets its id on the device that creates it, so a record made
offline has a stable identity before the server has ever seen it (the basis of idempotent
sync). UUIDv7 (RFC 9562) puts a millisecond timestamp in the high bits, so ids sort by
creation time and index well; the ``uuid6`` package supplies a monotonic implementation
(the standard library gains ``uuid.uuid7`` only in Python 3.14).
"""

from __future__ import annotations

import uuid

from uuid6 import uuid7


def new_id() -> str:
    """A new UUIDv7 as a 36-character lowercase string, strictly increasing within a process."""
    return str(uuid7())


def id_timestamp_ms(value: str) -> int:
    """The creation time embedded in a UUIDv7, in milliseconds since the Unix epoch."""
    parsed = uuid.UUID(value)
    if parsed.version != 7:
        raise ValueError(f"not a UUIDv7: {value}")
    return parsed.int >> 80


def is_valid_id(value: str) -> bool:
    """True when ``value`` is a canonical UUIDv7 string."""
    try:
        parsed = uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return parsed.version == 7 and str(parsed) == value
