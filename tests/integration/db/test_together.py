"""sql.together: independent reads at once on pooled connections, or one after another inside a transaction (whose
one connection runs one statement at a time)."""

from __future__ import annotations

import gc
import warnings

import asyncpg
import pytest

from events_app.db import sql
from events_app.db.engine import DB

SLOW_PID = "SELECT pg_backend_pid() FROM pg_sleep(0.2)"


async def test_outside_a_transaction_the_reads_run_at_once_on_their_own_connections(db_pool):
    first, second = await sql.together(sql.fetchval(SLOW_PID), sql.fetchval(SLOW_PID))

    assert first != second  # two backends: both statements were under way together


async def test_inside_a_transaction_the_reads_run_one_after_another_on_its_connection(db_pool):
    async with DB.transaction() as transaction:
        own = await transaction.connection.fetchval("SELECT pg_backend_pid()")
        pids = await sql.together(sql.fetchval(SLOW_PID), sql.fetchval(SLOW_PID))

    assert pids == [own, own]  # and no "another operation is in progress"


async def test_inside_a_transaction_the_reads_after_a_failed_one_never_run(db_pool):
    ran = []

    async def later() -> None:
        ran.append(True)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(asyncpg.DivisionByZeroError):
            async with DB.transaction():
                await sql.together(sql.fetchval("SELECT 1 / 0"), later())
        gc.collect()

    assert ran == []
    assert not [w for w in caught if "was never awaited" in str(w.message)]
