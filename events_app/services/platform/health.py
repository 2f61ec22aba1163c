"""Readiness of the database and the broker, each checked with a short timeout.

A pool whose every connection is in use is "busy", not down: when no pooled connection comes in time, a connection
of its own asks the database directly, and only if that fails too is the database "unavailable"."""

from __future__ import annotations

import asyncio

import redis.asyncio as redis

from events_app.db import queries
from events_app.db.engine import DB
from events_app.settings import get_settings

Q = queries.load(__file__)


async def check() -> tuple[str, str]:
    async def database() -> str:
        try:
            await asyncio.wait_for(Q.database_answers(), 2)
            return "ok"
        except Exception as exc:
            if isinstance(exc, TimeoutError) and DB.pool is not None and await _answers_directly():
                return BUSY
            return f"unavailable: {type(exc).__name__}"

    async def broker() -> str:
        client = redis.from_url(get_settings().redis_url, socket_connect_timeout=1, socket_timeout=1)
        try:
            await client.ping()
            return "ok"
        except Exception as exc:
            return f"unavailable: {type(exc).__name__}"
        finally:
            await client.aclose()

    return await asyncio.gather(database(), broker())


BUSY = "busy: every pooled connection is in use"


async def _answers_directly() -> bool:
    """The database answers on a connection outside the pool (the pool itself is busy)."""
    try:
        connection = await asyncio.wait_for(DB.get_new_connection(), 2)
    except Exception:
        return False
    try:
        await asyncio.wait_for(connection.fetchval("SELECT 1"), 2)
        return True
    except Exception:
        return False
    finally:
        connection.terminate()
