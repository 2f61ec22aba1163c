"""Plain SQL on Piccolo's connections, for statements the query builder cannot say (row locks, SKIP LOCKED,
conditional updates). Inside DB.transaction() they join the transaction; outside they use the pool."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from events_app.db.engine import DB


async def run(method: str, query: str, args: tuple) -> Any:
    """`method` of asyncpg's connection on the transaction in progress, else on a pooled (or a new) connection."""
    tx = DB.current_transaction.get()
    if tx is not None:
        return await getattr(tx.connection, method)(query, *args)
    if DB.pool is not None:
        async with DB.pool.acquire() as conn:
            return await getattr(conn, method)(query, *args)
    conn = await DB.get_new_connection()
    try:
        return await getattr(conn, method)(query, *args)
    finally:
        await conn.close()


async def together(*reads: Awaitable[Any]) -> list[Any]:
    """Independent reads at once, each on its own pooled connection (a page waits for one round trip, not one per
    read); inside a transaction, one after another on its connection, which runs one statement at a time."""
    if DB.current_transaction.get() is not None:
        waiting, results = list(reads), []
        try:
            while waiting:
                results.append(await waiting.pop(0))
        finally:
            for read in waiting:  # the reads after one that failed: closed, never run
                if asyncio.iscoroutine(read):
                    read.close()
        return results
    return list(await asyncio.gather(*reads))


async def fetch(query: str, *args: Any) -> list:
    return await run("fetch", query, args)


async def fetchrow(query: str, *args: Any):
    return await run("fetchrow", query, args)


async def fetchval(query: str, *args: Any) -> Any:
    return await run("fetchval", query, args)


async def execute(query: str, *args: Any) -> str:
    return await run("execute", query, args)
