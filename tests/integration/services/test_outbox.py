"""The outbox's leasing rules against real PostgreSQL: concurrent claims never share a row, leases expire."""

import asyncio

from events_app.db import sql
from events_app.db.engine import DB
from events_app.services.platform import outbox


async def fill(n: int) -> None:
    for i in range(n):
        await outbox.enqueue("registration_confirmed", f"person{i}@example.org")


async def test_concurrent_claims_take_disjoint_rows(db):
    await fill(30)

    async def claim_in_transaction():
        async with DB.transaction():
            rows = await outbox.claim(10)
            await asyncio.sleep(0.05)  # hold the row locks while the others claim
            return {r["id"] for r in rows}

    claimed = await asyncio.gather(*(claim_in_transaction() for _ in range(3)))
    assert sum(len(c) for c in claimed) == 30
    assert len(set().union(*claimed)) == 30


async def test_claimed_rows_are_not_claimed_again_until_the_lease_expires(db):
    await fill(2)
    first = await outbox.claim(10)
    second = await outbox.claim(10)
    await sql.execute("UPDATE outbox_message SET lease_until = now() - interval '1 second'")
    third = await outbox.claim(10)
    assert (len(first), len(second), [r["attempts"] for r in third]) == (2, 0, [2, 2])


async def test_retry_backs_off_and_gives_up(db):
    await fill(1)
    row = (await outbox.claim(1))[0]
    status = await outbox.mark_retry(row["id"], row["attempts"], "421 try later")
    due_now = await outbox.claim(1)
    final = await outbox.mark_retry(row["id"], outbox.MAX_ATTEMPTS, "421 still busy")
    stored = await sql.fetchrow("SELECT status, last_error FROM outbox_message WHERE id = $1", row["id"])
    assert (status, due_now, final) == ("pending", [], "failed")
    assert stored["status"] == "failed" and "421 still busy" in stored["last_error"]


async def test_renewing_keeps_rows_still_held_and_drops_rows_claimed_again(db):
    await fill(2)
    mine = await outbox.claim(10)
    await sql.execute(
        "UPDATE outbox_message SET lease_until = now() - interval '1 second' WHERE id = $1", mine[0]["id"]
    )
    theirs = await outbox.claim(10)  # another worker takes the row whose lease ran out
    kept = await outbox.renew(mine)
    leases = await sql.fetch(
        "SELECT id, lease_until > now() + interval '1 minute' AS renewed FROM outbox_message ORDER BY id"
    )
    assert ([r["id"] for r in theirs], kept) == ([mine[0]["id"]], {mine[1]["id"]})
    assert [r["renewed"] for r in leases] == [True, True]
    assert await outbox.renew(theirs) == {mine[0]["id"]}


def test_backoff_doubles_and_caps_at_one_hour():
    assert [outbox.backoff(n, 30).total_seconds() for n in (1, 2, 3, 10)] == [30, 60, 120, 3600]
