"""One event loop and one small connection pool per worker process, kept for the life of the process.

Celery tasks are synchronous; running each on a fresh asyncio.run() loop would strand asyncpg connections on dead
loops, so every task runs on this process's single loop, where the pool lives too. The loop is uvloop's where it is
installed (as under the API's uvicorn): a drain turns the loop a dozen times per message, and uvloop's turns cost
a fraction of asyncio's own.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
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


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # not on this platform: asyncio's own loop
        return None
    return uvloop.new_event_loop


def run(coro: Awaitable[T]) -> T:
    global _runner, _pid
    if _runner is None or _pid != os.getpid():
        DB.pool = None  # a pool inherited from a parent process belongs to another loop
        _runner = asyncio.Runner(loop_factory=_loop_factory())
        _pid = os.getpid()
    return _runner.run(_with_pool(coro))
