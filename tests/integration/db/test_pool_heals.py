"""A connection that dies under a transaction (a database restart, a failover, a killed backend) goes back to the
pool as a closed connection, which asyncpg replaces on the next acquire; acquiring never waits without end.

Each test uses a pool of one connection of its own, so a slot that never came back shows as the next acquire timing
out. The backend is killed with pg_terminate_backend from the suite's pool, as a restart would kill it."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import pytest

from events_app.db import sql
from events_app.db.engine import DB, Engine


@pytest.fixture
async def one_connection_engine(db_pool):
    engine = Engine(config=dict(DB.config))
    await engine.start_connection_pool(min_size=1, max_size=1)
    engine.pool.acquire_timeout = 2
    yield engine
    try:
        await asyncio.wait_for(engine.pool.close(), 5)  # a leaked slot would make close() wait forever
    except TimeoutError:
        engine.pool.terminate()
        raise AssertionError("a connection was never given back to the pool") from None
    finally:
        engine.pool = None


async def kill_backend_of(transaction) -> None:
    pid = await transaction.connection.fetchval("SELECT pg_backend_pid()")
    await sql.execute("SELECT pg_terminate_backend($1)", pid)
    for _ in range(50):  # the termination reaches the client asynchronously
        try:
            await transaction.connection.fetchval("SELECT 1")
        except Exception:  # gone, handed back by asyncpg, or its protocol left mid-operation (InternalClientError)
            return
        await asyncio.sleep(0.02)


async def serves(engine) -> bool:
    async with engine.transaction() as transaction:
        return await transaction.connection.fetchval("SELECT 1") == 1


@pytest.mark.parametrize("ending", ["an error inside the block", "a normal end (COMMIT fails)"])
async def test_a_transaction_whose_connection_dies_gives_its_slot_back(one_connection_engine, ending):
    engine = one_connection_engine

    for _ in range(3):  # the same single slot, three times over: nothing leaks
        with pytest.raises(Exception) as raised:
            async with engine.transaction() as transaction:
                await kill_backend_of(transaction)
                if ending.startswith("an error"):
                    raise RuntimeError("the request failed while the database went away")
        if ending.startswith("an error"):  # a failed ROLLBACK on the dead connection does not hide the real error
            assert isinstance(raised.value, RuntimeError)

        assert await serves(engine)
    assert engine.current_transaction.get() is None


async def test_begin_on_a_dead_connection_gives_the_slot_back(one_connection_engine):
    engine = one_connection_engine
    async with engine.pool.acquire() as connection:
        pid = await connection.fetchval("SELECT pg_backend_pid()")
    await sql.execute("SELECT pg_terminate_backend($1)", pid)
    await asyncio.sleep(0.2)

    try:
        await serves(engine)  # BEGIN may fail on the connection killed while idle, or it was already replaced
    except (asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError):
        pass

    assert await serves(engine)


async def test_acquiring_a_busy_pool_times_out_instead_of_waiting_forever(one_connection_engine):
    engine = one_connection_engine
    engine.pool.acquire_timeout = 0.3

    assert not engine.pool.busy()
    async with engine.transaction():
        with pytest.raises(TimeoutError):  # a request gets 503 + Retry-After from this, instead of hanging
            await engine.pool.acquire()
        assert engine.pool.busy()  # ... saying "busy", not "the database is down"

    assert not engine.pool.busy()
    assert await serves(engine)


async def test_a_request_that_finds_every_connection_busy_is_told_to_retry_not_that_the_database_is_down(client):
    """The answer a rush gets when the pool has no connection to spare within DB_ACQUIRE_TIMEOUT: 503 "busy" with
    Retry-After, on the API and on a page, and the next request is served once connections come back."""
    pool = DB.pool
    saved = pool.acquire_timeout
    pool.acquire_timeout = 0.3
    held = [await pool.acquire() for _ in range(pool.get_max_size())]
    try:
        api = await client.get("/api/events")
        page = await client.get("/", headers={"accept": "text/html"})
    finally:
        for connection in held:
            await pool.release(connection)
        pool.acquire_timeout = saved
    after = await client.get("/api/events")

    assert (api.status_code, api.headers.get("retry-after"), api.json()["title"]) == (503, "2", "Service busy")
    assert "busy" in api.json()["detail"] and "not reachable" not in api.json()["detail"]
    assert (page.status_code, page.headers.get("retry-after")) == (503, "2")
    assert after.status_code == 200


@pytest.mark.parametrize("ending", ["commit", "an error inside the block"])
async def test_a_generic_plans_transaction_sets_its_plan_mode_for_itself_alone(one_connection_engine, ending):
    """DB.transaction(generic_plans=True) asks for plans made once per connection in its BEGIN's round trip; the
    setting ends with the transaction (the one connection serves the next one with the server's default), and the
    transaction commits or rolls back like any other."""
    engine = one_connection_engine
    async with engine.transaction() as plain:
        default = await plain.connection.fetchval("SHOW plan_cache_mode")
        await plain.connection.execute("CREATE TEMP TABLE IF NOT EXISTS kept (n int)")

    with pytest.raises(RuntimeError) if ending != "commit" else contextlib.nullcontext():
        async with engine.transaction(generic_plans=True) as generic:
            assert await generic.connection.fetchval("SHOW plan_cache_mode") == "force_generic_plan"
            await generic.connection.execute("INSERT INTO kept VALUES (1)")
            async with engine.transaction(generic_plans=True) as nested:  # joins the outer one
                assert nested is generic
            if ending != "commit":
                raise RuntimeError("the request failed")

    async with engine.transaction() as after:
        assert await after.connection.fetchval("SHOW plan_cache_mode") == default == "auto"
        assert await after.connection.fetchval("SELECT count(*) FROM kept") == (1 if ending == "commit" else 0)
    assert engine.current_transaction.get() is None
