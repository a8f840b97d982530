"""A fair (first come, first served) gate in front of SQLite's write lock.

SQLite has one write lock per database file, and a connection that finds it taken waits in
its busy handler: it sleeps, retries, sleeps longer (up to 100 ms between tries). A writer
that retries at the wrong moments keeps losing to one that commits often (the harvest
engine's batch commits), so an API write could wait for seconds behind many short
transactions. Every write transaction of the process therefore first takes its turn at this
gate, in arrival order, and only then runs `BEGIN IMMEDIATE`: a waiting writer is handed the
lock by the one before it instead of polling for it. Another process writing the same file
is still met by SQLite's busy handler.

The wait is bounded like the lock wait it precedes: a writer whose turn does not come
within its timeout gives up with the same `OperationalError` ("database is locked") that the
API answers with 503 and `Retry-After`.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import deque

from sqlalchemy.exc import OperationalError


class GateTimeout(OperationalError):
    """A writer's turn did not come in time; reads as SQLite's own "database is locked"."""

    def __init__(self, waited: float) -> None:
        super().__init__(
            "BEGIN IMMEDIATE",
            None,
            sqlite3.OperationalError(
                f"database is locked (waited {waited:.2f} s for the write gate)"
            ),
        )


class FairWriteGate:
    """A lock handed to waiters in the order they asked for it, with a bounded wait."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[object] = deque()
        self._held = False

    def acquire(self, timeout: float) -> None:
        """Wait for this caller's turn; raise `GateTimeout` after `timeout` seconds."""
        ticket = object()
        deadline = time.monotonic() + timeout
        with self._cond:
            self._queue.append(ticket)
            try:
                while self._held or self._queue[0] is not ticket:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise GateTimeout(timeout)
                    self._cond.wait(left)
            except BaseException:
                self._queue.remove(ticket)
                self._cond.notify_all()  # the next in line may now be first
                raise
            self._queue.popleft()
            self._held = True

    def release(self) -> None:
        with self._cond:
            if not self._held:
                raise RuntimeError("the write gate was released without being held")
            self._held = False
            self._cond.notify_all()

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._queue)


_gates: dict[str, FairWriteGate] = {}
_gates_lock = threading.Lock()


def gate_for(database: str) -> FairWriteGate:
    """The process's one gate for the SQLite file `database` (engines on one file share it)."""
    with _gates_lock:
        gate = _gates.get(database)
        if gate is None:
            gate = _gates[database] = FairWriteGate()
        return gate
