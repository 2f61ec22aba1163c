"""Plain SQL on Piccolo's connections, for statements the query builder cannot say (row locks, SKIP LOCKED,
conditional updates). Inside DB.transaction() they join the transaction; outside they use the pool."""

from __future__ import annotations

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


async def fetch(query: str, *args: Any) -> list:
    return await run("fetch", query, args)


async def fetchrow(query: str, *args: Any):
    return await run("fetchrow", query, args)


async def fetchval(query: str, *args: Any) -> Any:
    return await run("fetchval", query, args)


async def execute(query: str, *args: Any) -> str:
    return await run("execute", query, args)
