"""Readiness of the database and the broker, each checked with a short timeout."""

from __future__ import annotations

import asyncio

import redis.asyncio as redis

from events_app.db import queries
from events_app.settings import get_settings

Q = queries.load(__file__)


async def check() -> tuple[str, str]:
    async def database() -> str:
        try:
            await asyncio.wait_for(Q.database_answers(), 2)
            return "ok"
        except Exception as exc:
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
