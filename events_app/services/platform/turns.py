"""Turns in this process for a contended row: requests that will wait for the same row lock wait here first.

A hot row (a workshop's session row when its booking opens) serializes its writers in PostgreSQL anyway. Waiting for
that lock in the database holds a pooled connection, so a few hundred delegates booking one workshop take every
connection of the process, and reads that need no lock (programme pages, feeds, check-in syncs) queue behind them.
Waiting for a turn in the process first holds nothing: at most one connection per hot row is busy waiting, the
rest serve everyone else. The database lock stays the rule (other processes, other ways in take it too); a turn
only orders this process's callers, first come first served (asyncio.Lock wakes waiters in order), which keeps
the order bookings reach the lock, and with it the waiting list's order.

Take a turn before opening the transaction, never inside one: a turn is then never held while waiting for it, and
no database lock is held while waiting for a turn, so turns and row locks cannot wait on each other in a cycle.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class Turns:
    """One FIFO lock per key, kept only while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def turn(self, key: Hashable) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
