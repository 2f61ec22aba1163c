"""The one Piccolo engine, configured from DATABASE_URL.

The API opens a pool in its lifespan; workers and scripts use one connection per query unless they open a pool.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from events_app.settings import get_settings


class Engine(PostgresEngine):
    """Piccolo's PostgreSQL engine without its check of the server version at construction, which opens a
    connection in every process that imports this module (and only warns when the database is not there yet, as in
    a test run before its database is created). The service is built and tested on PostgreSQL 18 (as in
    docker-compose.yml); /health reports the database as it finds it."""

    async def check_version(self) -> None:
        return None

    async def get_new_connection(self) -> Any:
        """A connection outside the pool (scripts, workers without a pool), with the same codecs as the pool's."""
        connection = await super().get_new_connection()
        await set_codecs(connection)
        return connection

    async def start_connection_pool(self, **kwargs: Any) -> None:
        """Every pool gets the JSON codecs and the cheap reset, whoever opens it (API, workers, tests, benchmarks)."""
        await super().start_connection_pool(**{**POOL_OPTIONS, **kwargs})


DB = Engine(config={"dsn": get_settings().database_url}, log_queries=False)


def connection():
    """The asyncpg connection of the transaction in progress (for the few statements written in SQL)."""
    tx = DB.current_transaction.get()
    if tx is None:
        raise RuntimeError("connection() is only available inside DB.transaction()")
    return tx.connection


# Values that JSON cannot say (datetimes, UUIDs, decimals) are stored as their text, as the service always has.
_encode_json = functools.partial(json.dumps, default=str)


async def set_codecs(connection: Any) -> None:
    """json and jsonb columns arrive as Python values and are written from Python values: no json.loads/json.dumps
    around queries. (Piccolo's query builder serialises JSON itself, so runtime SQL goes through named queries.)"""
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(type_name, encoder=_encode_json, decoder=json.loads, schema="pg_catalog")


async def keep_session(connection) -> None:
    """Pool reset: nothing beyond what asyncpg always does (roll back an open transaction).

    asyncpg's default reset sends a query (RESET ALL, UNLISTEN *, CLOSE ALL, unlock advisory locks) each time a
    connection goes back to the pool: a round trip per transaction. The pool's connections carry no session state
    (no SET, LISTEN, cursors or session advisory locks; the agenda cache listens on a connection of its own).
    """


POOL_OPTIONS: dict[str, Any] = {"reset": keep_session, "init": set_codecs}


@asynccontextmanager
async def pool(max_size: int | None = None) -> AsyncIterator[None]:
    size = max_size or get_settings().db_pool_size
    await DB.start_connection_pool(min_size=1, max_size=size)
    try:
        yield
    finally:
        await DB.close_connection_pool()
