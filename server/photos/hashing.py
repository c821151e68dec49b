"""The whole-file SHA-256 of an upload, kept between its PATCHes.

The hash is computed while the bytes arrive, in the worker thread that writes them (while the
event loop receives the next buffer), so completing an upload does not read the file again.
Between PATCHes the hash state waits in an in-process cache keyed by the upload's committed
state — offset and ``expires_at``, which every commit changes — so a state is only reused when
no other request changed the upload since. After a restart, or when another worker served the
previous PATCH, the bytes received so far are hashed from the store once.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol


class Hash(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...
    def copy(self) -> Hash: ...


#: tus checksum algorithms (``Upload-Checksum`` of a chunk).
CHECKSUM_ALGORITHMS: Final[dict[str, Callable[[], Any]]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
}


@dataclass(frozen=True, slots=True)
class _HashState:
    offset: int
    expires_at: datetime | None
    sha256: Hash


class HashStates:
    """SHA-256 states of unfinished uploads between their PATCHes, in this process.

    A state is filed under the upload's storage name with the committed state it belongs to —
    the offset and ``expires_at`` — and is only handed out if the row still has both: any
    commit by another worker (or a reset to offset 0 and a new start) changes ``expires_at``.
    Taking a state removes it, so one PATCH at a time owns it. Bounded: the least recently
    filed states make way (their uploads fall back to hashing from the store).
    """

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._states: OrderedDict[str, _HashState] = OrderedDict()
        self._guard = threading.Lock()

    def take(self, storage_name: str, offset: int, expires_at: datetime | None) -> Hash | None:
        with self._guard:
            state = self._states.pop(storage_name, None)
        if state is None or (state.offset, state.expires_at) != (offset, expires_at):
            return None
        return state.sha256

    def put(
        self, storage_name: str, offset: int, expires_at: datetime | None, sha256: Hash
    ) -> None:
        with self._guard:
            self._states[storage_name] = _HashState(offset, expires_at, sha256)
            self._states.move_to_end(storage_name)
            while len(self._states) > self._capacity:
                self._states.popitem(last=False)

    def __len__(self) -> int:
        return len(self._states)


#: A few hundred bytes each; the capacity is far above the uploads one process has in flight.
hash_states: Final = HashStates(4096)
