"""Streaming a request body to storage: written and hashed in a worker thread, one buffer at a
time, while the event loop receives the next (a PATCH's part; the benchmarks' bare PUT)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool

from server.photos.hashing import Hash

#: Bytes gathered before one write (and hash) in a worker thread. A body holds at most two
#: such buffers (one being written, one being received): memory per request is bounded.
WRITE_BUFFER = 256 * 1024


def _hash(data: bytes, hashers: Sequence[Hash]) -> int:
    """Feed ``data`` to ``hashers`` (hashlib releases the GIL for large buffers)."""
    for hasher in hashers:
        hasher.update(data)
    return 0


class BodyWriter:
    """Writes (and hashes) a request body in a worker thread, one buffer at a time, while the
    event loop receives the next: a body costs at most two buffers of memory."""

    def __init__(self, write: Callable[[bytes], int], hashers: Sequence[Hash] = ()) -> None:
        self.write = write
        self.hashers = hashers
        self.written = 0  # bytes written so far (a buffer counts once its write returned)
        self._pending: list[bytes] = []
        self._pending_len = 0
        self._running: asyncio.Future[int] | None = None

    async def add(self, chunk: bytes) -> None:
        self._pending.append(chunk)
        self._pending_len += len(chunk)
        if self._pending_len >= WRITE_BUFFER:
            await self._settle()
            self._start()

    async def flush(self) -> None:
        """Write what is pending and wait until every byte is written."""
        await self._settle()
        self._start()
        await self._settle()

    async def take_last(self) -> bytes:
        """Wait until every buffer started is written; the bytes still pending, which the caller
        writes itself (with what follows them, in one worker thread: one hop less)."""
        await self._settle()
        pending = self._pending
        self._pending, self._pending_len = [], 0
        return pending[0] if len(pending) == 1 else b"".join(pending)

    async def stop(self) -> None:
        """After an error or a cancellation: wait (shielded) for the running write, so the
        part can be closed; its own error, if any, is dropped for the one being raised."""
        if self._running is not None:
            await wait_quietly(self._running)
            self._running = None

    def _start(self) -> None:
        if self._pending:
            pending = self._pending
            data = pending[0] if len(pending) == 1 else b"".join(pending)
            self._pending, self._pending_len = [], 0
            # The write and the hash of a buffer run side by side in two worker threads (both
            # release the GIL); the next buffer starts once both are done, so the hash sees the
            # buffers in order.
            work: list[asyncio.Future[int]] = [
                asyncio.ensure_future(run_in_threadpool(self.write, data))
            ]
            if self.hashers:
                work.append(asyncio.ensure_future(run_in_threadpool(_hash, data, self.hashers)))
            self._running = asyncio.ensure_future(_both(work))

    async def _settle(self) -> None:
        if self._running is not None:
            # Shielded: a cancelled request does not cancel the write (stop() waits for it).
            done = await asyncio.shield(self._running)
            self._running = None
            self.written += done


async def _both(work: Sequence[asyncio.Future[int]]) -> int:
    """The bytes written (the first future's), once every future is done; the first error."""
    try:
        results = await asyncio.gather(*work)
    except BaseException:
        await wait_quietly(*work)  # neither may still run when the part is closed
        raise
    return int(results[0])


async def wait_quietly(*tasks: asyncio.Future[Any]) -> None:
    with anyio.CancelScope(shield=True):
        await asyncio.wait(tasks)
    for task in tasks:
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log it
