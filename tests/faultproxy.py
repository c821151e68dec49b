"""A fault-injecting TCP proxy for the sync tests: between a client and a real server.

Each new connection takes the next fault from a queue (if any) and applies it when that
connection has carried ``after`` bytes in the fault's direction (``up``: client → server,
``down``: server → client):

* ``cut``   — both sides are closed cleanly (FIN) mid-stream;
* ``reset`` — the client's side is closed with RST (``SO_LINGER`` 0), the server's side closed;
* ``stall`` — nothing more is forwarded; bytes are read and dropped until a side gives up and
  closes (the client's timeout), then both sides are closed.

With :meth:`FaultProxy.round_robin` it spreads new connections over several servers in turn
(a load balancer in front of several server nodes).

The proxy counts every byte it forwards in each direction, so tests can measure what a resumed
upload sends again. It runs on threads; ``close()`` stops it and drops every connection.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["cut", "reset", "stall"]
Direction = Literal["up", "down"]


@dataclass(frozen=True, slots=True)
class Fault:
    kind: Kind
    after: int
    direction: Direction = "up"


@dataclass
class _Connection:
    client: socket.socket
    server: socket.socket
    fault: Fault | None
    counts: dict[str, int] = field(default_factory=lambda: {"up": 0, "down": 0})
    stalled: bool = False
    closed: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


class FaultProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._faults: deque[Fault] = deque()
        self._targets: list[tuple[str, int]] = []
        self._turn = 0
        self._lock = threading.Lock()
        self._connections: list[_Connection] = []
        self.bytes = {"up": 0, "down": 0}
        self.fired: list[Fault] = []
        self._running = True
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    # -- control ---------------------------------------------------------------------------

    def add_faults(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def queued(self) -> int:
        with self._lock:
            return len(self._faults)

    def set_target(self, port: int) -> None:
        self.target = (self.target[0], port)

    def round_robin(self, *ports: int) -> None:
        """Each new connection goes to the next of ``ports`` (none: back to ``target``)."""
        with self._lock:
            self._targets = [(self.target[0], port) for port in ports]

    def _next_target(self) -> tuple[str, int]:
        with self._lock:
            if not self._targets:
                return self.target
            self._turn += 1
            return self._targets[(self._turn - 1) % len(self._targets)]

    def drop_all(self) -> None:
        """Close every open connection (as a server that vanished would)."""
        with self._lock:
            connections = list(self._connections)
        for c in connections:
            self._close(c)

    def close(self) -> None:
        self._running = False
        with contextlib.suppress(OSError):
            self._listener.close()
        self.drop_all()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------------------

    def _accept(self) -> None:
        while self._running:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self._next_target(), timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()  # the server is down: the client sees the connection closed
                continue
            with self._lock:
                fault = self._faults.popleft() if self._faults else None
                conn = _Connection(client, server, fault)
                self._connections.append(conn)
            for direction, source, sink in (("up", client, server), ("down", server, client)):
                threading.Thread(
                    target=self._pump, args=(conn, direction, source, sink), daemon=True
                ).start()

    def _pump(
        self, conn: _Connection, direction: str, source: socket.socket, sink: socket.socket
    ) -> None:
        reset = False
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                fire: Fault | None = None
                with conn.lock:  # decide under the lock; never send while holding it
                    if conn.stalled or conn.closed:
                        continue  # read and drop, until a side gives up
                    fault = conn.fault
                    if fault is not None and fault.direction == direction:
                        room = fault.after - conn.counts[direction]
                        if room < len(data):
                            data, fire = data[: max(room, 0)], fault
                            conn.fault = None
                            conn.stalled = fault.kind == "stall"
                            conn.closed = fault.kind != "stall"
                    conn.counts[direction] += len(data)
                if data:
                    sink.sendall(data)
                    with self._lock:
                        self.bytes[direction] += len(data)
                if fire is not None:
                    with self._lock:
                        self.fired.append(fire)
                    if fire.kind != "stall":
                        reset = fire.kind == "reset"
                        break
        except OSError:
            pass
        self._close(conn, reset=reset)

    def _close(self, conn: _Connection, *, reset: bool = False) -> None:
        conn.closed = True
        if reset:  # RST to the client: close with a zero linger, no FIN first
            with contextlib.suppress(OSError):
                conn.client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.client.close()
        for sock in (conn.client, conn.server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
        with self._lock, contextlib.suppress(ValueError):
            self._connections.remove(conn)
