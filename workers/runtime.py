"""One event loop per worker process, kept for the life of the process.

Celery tasks are synchronous; running each on a fresh asyncio.run() loop would strand asyncpg connections on dead
loops, so every task runs on this process's single loop.
"""
from __future__ import annotations

import asyncio
import os
from typing import Awaitable, TypeVar

T = TypeVar("T")

_runner: asyncio.Runner | None = None
_pid: int | None = None


def run(coro: Awaitable[T]) -> T:
    global _runner, _pid
    if _runner is None or _pid != os.getpid():
        _runner = asyncio.Runner()
        _pid = os.getpid()
    return _runner.run(coro)
