"""The one Piccolo engine, configured from DATABASE_URL.

The API opens a pool in its lifespan; workers and scripts use one connection per query unless they open a pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

from events_app.settings import get_settings

log = logging.getLogger(__name__)


# The server ended or refused the connection (shutdown, restart, crash, failover), or it could not be reached.
_SERVER_GONE = (
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.InternalClientError,  # a connection cut mid-statement
    ConnectionError,
    TimeoutError,  # a connect or a pool acquire that timed out
)


def database_gone(exc: BaseException) -> bool:
    """Whether an error says the database could not be reached (try again later), not that a query was wrong."""
    return isinstance(exc, _SERVER_GONE) or type(exc) in (asyncpg.exceptions.InterfaceError, OSError)


class Pool(asyncpg.Pool):
    """asyncpg's pool whose acquire never waits without end: a request that cannot get a connection within
    DB_ACQUIRE_TIMEOUT gets a TimeoutError (answered 503 with Retry-After), so a pool that cannot refill (database
    down, every connection busy) makes requests fail fast instead of piling up behind it."""

    acquire_timeout: float = 15.0

    def acquire(self, *, timeout: float | None = None):
        return super().acquire(timeout=self.acquire_timeout if timeout is None else timeout)

    def busy(self) -> bool:
        """Every connection the pool may open is open and handed out: a wait for one is load, not an outage."""
        return self.get_size() >= self.get_max_size() and self.get_idle_size() == 0


def pool_busy() -> bool:
    """Whether the process's pool has no connection to spare (web.errors tells "busy" from "down" with it)."""
    return isinstance(DB.pool, Pool) and DB.pool.busy()


class Transaction(PostgresTransaction):
    """Piccolo's transaction, safe when the connection dies under it (a database restart, a failover, a cut network).

    Piccolo releases the connection only after the COMMIT or ROLLBACK succeeded, and never when BEGIN fails: each
    of those raising on a closed connection kept a pool slot forever, until the pool had none left. Here the
    connection always goes back, whatever happened; one whose COMMIT, ROLLBACK or BEGIN failed is closed first
    (asyncpg then opens a fresh one on the next acquire), never reused in an unknown state. A failed ROLLBACK after
    an error does not hide that error.
    """

    def __init__(self, engine: PostgresEngine, allow_nested: bool = True, generic_plans: bool = False) -> None:
        super().__init__(engine=engine, allow_nested=allow_nested)
        self.generic_plans = generic_plans

    # Generic plans: PostgreSQL plans a prepared statement afresh on each execution while a plan made for its
    # actual parameters looks cheaper than the generic one, which is always the case for a statement that unnests
    # a short array (the planner then knows the array has one element, the generic plan assumes many). On the
    # busiest short transactions (a check-in scan) that planning cost more than the statements themselves; there
    # the transaction asks for the plan made once per connection, in the same round trip as its BEGIN.
    GENERIC_BEGIN = "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan"

    async def begin(self) -> None:
        if self.generic_plans:
            await self.connection.execute(self.GENERIC_BEGIN)
        else:
            await super().begin()

    async def commit(self) -> None:
        if self.generic_plans:
            await self.connection.execute("COMMIT")
            self._committed = True
        else:
            await super().commit()

    async def rollback(self) -> None:
        if self.generic_plans:
            await self.connection.execute("ROLLBACK")
            self._rolled_back = True
        else:
            await super().rollback()

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        self.connection = await self.get_connection()
        try:
            self.transaction = self.connection.transaction()
            await self.begin()
        except BaseException:
            await self._give_back(broken=True)
            raise
        self.context = self.engine.current_transaction.set(self)
        return self

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return exception is None
        broken = False
        try:
            if exception is not None:
                if not self._rolled_back:
                    try:
                        await self.rollback()
                    except Exception as exc:  # the connection is gone: the server rolled back already
                        broken = True
                        log.warning("rollback failed (%s); the connection is discarded", type(exc).__name__)
            elif not self._committed and not self._rolled_back:
                await self.commit()
        except BaseException:
            broken = True  # COMMIT failed or was cancelled: its outcome is unknown, the connection is not reused
            raise
        finally:
            self.engine.current_transaction.reset(self.context)
            await self._give_back(broken)
        return exception is None

    async def _give_back(self, broken: bool) -> None:
        connection = self.connection
        if broken:
            # asyncpg hands a pooled connection back by itself when it sees it closed; one left in an unknown
            # state (a statement cut short, a cancelled COMMIT) is closed here so that it is not reused.
            with contextlib.suppress(asyncpg.InterfaceError):  # already handed back
                if not connection.is_closed():
                    connection.terminate()
        if self.engine.pool:
            await self.engine.pool.release(connection)  # a no-op if already handed back; closed ones are replaced
        else:
            with contextlib.suppress(asyncpg.InterfaceError):
                if not connection.is_closed():
                    await connection.close()


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
        """Every pool gets the JSON codecs, the cheap reset, an acquire timeout and a statement timeout, whoever
        opens it (API, workers, tests, benchmarks)."""
        if self.pool:
            return
        settings = get_settings()
        config = {
            # asyncpg.create_pool's defaults, which Pool itself does not have
            "min_size": 10,
            "max_size": 10,
            "max_queries": 50000,
            "max_inactive_connection_lifetime": 300.0,
            "loop": None,
            "connection_class": asyncpg.Connection,
            "record_class": asyncpg.Record,
            **self.config,
            "command_timeout": settings.db_command_timeout,
            **POOL_OPTIONS,
            **kwargs,
        }
        pool = Pool(**config)
        pool.acquire_timeout = settings.db_acquire_timeout
        await pool
        self.pool = pool

    def transaction(self, allow_nested: bool = True, generic_plans: bool = False) -> Transaction:
        """A transaction; `generic_plans`: its statements use the plan made once per connection (see Transaction)."""
        return Transaction(engine=self, allow_nested=allow_nested, generic_plans=generic_plans)


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


async def close_pool(wait_seconds: float = 5) -> None:
    """Close the pool, waiting at most `wait_seconds` for connections in use; then they are terminated."""
    if DB.pool is None:
        return
    pool, DB.pool = DB.pool, None
    try:
        await asyncio.wait_for(pool.close(), wait_seconds)
    except Exception as exc:
        log.warning("closing the database pool: %s; terminating its connections", type(exc).__name__)
        pool.terminate()


@asynccontextmanager
async def pool(max_size: int | None = None) -> AsyncIterator[None]:
    size = max_size or get_settings().db_pool_size
    await DB.start_connection_pool(min_size=1, max_size=size)
    try:
        yield
    finally:
        await close_pool()
