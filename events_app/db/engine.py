"""The one Piccolo engine, configured from DATABASE_URL.

The API opens a pool in its lifespan; workers and scripts use one connection per query unless they open a pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from piccolo.engine.postgres import PostgresEngine

from events_app.settings import get_settings


class Engine(PostgresEngine):
    """Piccolo's PostgreSQL engine without its check of the server version at construction, which opens a
    connection in every process that imports this module (and only warns when the database is not there yet, as in
    a test run before its database is created). The service is built and tested on PostgreSQL 18 (as in
    docker-compose.yml); /health reports the database as it finds it."""

    async def check_version(self) -> None:
        return None


DB = Engine(config={"dsn": get_settings().database_url}, log_queries=False)


def connection():
    """The asyncpg connection of the transaction in progress (for the few statements written in SQL)."""
    tx = DB.current_transaction.get()
    if tx is None:
        raise RuntimeError("connection() is only available inside DB.transaction()")
    return tx.connection


async def keep_session(connection) -> None:
    """Pool reset: nothing beyond what asyncpg always does (roll back an open transaction).

    asyncpg's default reset sends a query (RESET ALL, UNLISTEN *, CLOSE ALL, unlock advisory locks) each time a
    connection goes back to the pool: a round trip per transaction. The pool's connections carry no session state
    (no SET, LISTEN, cursors or session advisory locks; the agenda cache listens on a connection of its own).
    """


POOL_OPTIONS = {"reset": keep_session}


@asynccontextmanager
async def pool(max_size: int | None = None) -> AsyncIterator[None]:
    size = max_size or get_settings().db_pool_size
    await DB.start_connection_pool(min_size=1, max_size=size, **POOL_OPTIONS)
    try:
        yield
    finally:
        await DB.close_connection_pool()
