"""One event loop and one small connection pool per worker process, kept for the life of the process.

Celery tasks are synchronous; running each on a fresh asyncio.run() loop would strand asyncpg connections on dead
loops, so every task runs on this process's single loop, where the pool lives too.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable
from typing import TypeVar

from events_app.db.engine import DB

T = TypeVar("T")
POOL_SIZE = 4

_runner: asyncio.Runner | None = None
_pid: int | None = None


async def _with_pool(coro: Awaitable[T]) -> T:
    if DB.pool is None:
        await DB.start_connection_pool(min_size=1, max_size=POOL_SIZE)
    return await coro


def run(coro: Awaitable[T]) -> T:
    global _runner, _pid
    if _runner is None or _pid != os.getpid():
        DB.pool = None  # a pool inherited from a parent process belongs to another loop
        _runner = asyncio.Runner()
        _pid = os.getpid()
    return _runner.run(_with_pool(coro))
