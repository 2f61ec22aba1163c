"""A registration rush against two API processes sharing one PostgreSQL database.

Two uvicorn processes (small connection pools, as in production) take hundreds of concurrent requests; only the
event row's lock stands between them and an oversold category. Afterwards the database must tell one consistent
story: counters equal the rows that hold seats, no quota or capacity is exceeded, waiting-list positions are
gapless, and nobody waits while a seat in their category is free.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from events_app.db import sql
from tests.fixtures import login, published_event, start_api, stop

IN_FLIGHT = 100


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[list[str]]:
    """Two separate API processes on this runner's database; yields their base URLs."""
    logs = tmp_path_factory.mktemp("rush")
    procs, urls = [], []
    try:
        for n in range(2):
            # A long keep-alive: a connection the client pooled must not be closed by the server just as the
            # client reuses it (uvicorn closes idle ones after 5 s; the checks between phases take longer).
            proc, url = start_api(
                logs / f"api{n}.log",
                {"DB_POOL_SIZE": "5"},
                extra=("--no-access-log", "--timeout-keep-alive", "300"),
                timeout=60,
            )
            procs.append(proc)
            urls.append(url)
        yield urls
    finally:
        for proc in procs:
            stop(proc)


def http_client(base_url: str) -> httpx.AsyncClient:
    # trust_env=False: loopback only, whatever proxy the environment names.
    return httpx.AsyncClient(
        base_url=base_url,
        trust_env=False,
        timeout=httpx.Timeout(60, connect=10),
        limits=httpx.Limits(max_connections=IN_FLIGHT, max_keepalive_connections=IN_FLIGHT),
    )


async def fire(calls: list) -> list[httpx.Response]:
    """Run the request coroutine factories with at most IN_FLIGHT in flight; answers in the order of `calls`."""
    gate = asyncio.Semaphore(IN_FLIGHT)

    async def one(call):
        async with gate:
            return await call()

    return await asyncio.gather(*(one(c) for c in calls))


def registering(client: httpx.AsyncClient, event_id: int, email: str, category: str):
    return lambda: client.post(
        f"/api/events/{event_id}/registrations",
        json={"email": email, "name": email.split("@")[0].title(), "category": category, "consent": True},
    )


async def waitlist_positions(client: httpx.AsyncClient, headers: dict, event_id: int, category: str) -> list[int]:
    response = await client.get(
        f"/api/events/{event_id}/registrations", params={"status": "waitlisted", "category": category}, headers=headers
    )
    assert response.status_code == 200, response.text
    return [r["waitlist_position"] for r in response.json()]


async def assert_invariants(client: httpx.AsyncClient, headers: dict, event_id: int) -> None:
    """Seats taken equal seat-holding rows, never above quota or capacity; waiting lists are gapless and nobody
    waits while their category and the event both have a free seat (automatic promotion)."""
    event = await sql.fetchrow("SELECT capacity, confirmed_count FROM event WHERE id = $1", event_id)
    categories = await sql.fetch(
        """SELECT c.code, c.quota, c.confirmed_count,
                  count(r.id) FILTER (WHERE r.status IN ('confirmed', 'offered')) AS holding,
                  count(r.id) FILTER (WHERE r.status = 'waitlisted') AS waiting
           FROM registration_category c LEFT JOIN registration r ON r.category = c.id
           WHERE c.event = $1 GROUP BY c.id ORDER BY c.code""",
        event_id,
    )
    holding = sum(c["holding"] for c in categories)
    assert event["confirmed_count"] == holding
    assert event["capacity"] is None or holding <= event["capacity"]
    event_full = event["capacity"] is not None and holding >= event["capacity"]
    for c in categories:
        assert (c["code"], c["confirmed_count"]) == (c["code"], c["holding"])
        assert c["quota"] is None or c["holding"] <= c["quota"], c["code"]
        category_full = c["quota"] is not None and c["holding"] >= c["quota"]
        assert c["waiting"] == 0 or category_full or event_full, f"{c['code']}: people wait beside a free seat"
        assert await waitlist_positions(client, headers, event_id, c["code"]) == list(range(1, c["waiting"] + 1))


async def test_rush_of_500_on_two_servers_confirms_exactly_the_quota(db, servers):
    async with http_client(servers[0]) as first, http_client(servers[1]) as second:
        headers = await login(first, "organizer@example.org")
        event = await published_event(first, headers, categories=(("delegate", 100),), title="Rush")
        clients = (first, second)
        calls = [
            registering(clients[i % 2], event["id"], f"delegate-{i:03d}@example.org", "delegate") for i in range(500)
        ]

        responses = await fire(calls)

        assert Counter(r.status_code for r in responses) == {201: 500}, [
            r.text for r in responses if r.status_code != 201
        ][:3]
        bodies = [r.json() for r in responses]
        assert Counter(b["status"] for b in bodies) == {"confirmed": 100, "waitlisted": 400}
        assert sorted(b["waitlist_position"] for b in bodies if b["status"] == "waitlisted") == list(range(1, 401))
        assert await waitlist_positions(first, headers, event["id"], "delegate") == list(range(1, 401))
        counters = await sql.fetchrow(
            """SELECT e.confirmed_count AS event_taken, c.confirmed_count AS category_taken,
                      (SELECT count(*) FROM registration WHERE status = 'confirmed') AS confirmed_rows,
                      (SELECT count(*) FROM registration) AS rows,
                      (SELECT count(DISTINCT waitlist_seq) FROM registration WHERE status = 'waitlisted') AS seqs,
                      (SELECT count(*) FROM outbox_message) AS messages
               FROM event e JOIN registration_category c ON c.event = e.id WHERE e.id = $1""",
            event["id"],
        )
        assert dict(counters) == {
            "event_taken": 100,
            "category_taken": 100,
            "confirmed_rows": 100,
            "rows": 500,
            "seqs": 400,
            "messages": 500,
        }
        await assert_invariants(first, headers, event["id"])


async def test_cancellations_registrations_and_quota_changes_at_once_keep_every_invariant(db, servers):
    rng = random.Random(20261122)
    async with http_client(servers[0]) as first, http_client(servers[1]) as second:
        clients = (first, second)
        headers = await login(first, "organizer@example.org")
        event = await published_event(
            first,
            headers,
            categories=(("delegate", 100), ("observer", 40)),
            capacity=130,
            title="Rush with cancellations",
        )
        event_id = event["id"]
        category_ids = {c["code"]: c["id"] for c in event["categories"]}
        seed = [
            registering(
                clients[i % 2], event_id, f"first-{i:03d}@example.org", "delegate" if i % 17 < 12 else "observer"
            )
            for i in range(170)
        ]
        seeded = await fire(seed)
        assert Counter(r.status_code for r in seeded) == {201: 170}
        await assert_invariants(first, headers, event_id)

        by_status: dict[str, list[str]] = {}
        for r in seeded:
            by_status.setdefault(r.json()["status"], []).append(r.json()["manage_token"])
        cancelled = rng.sample(by_status["confirmed"], 60) + rng.sample(by_status["waitlisted"], 10)
        cancels = [
            lambda c=clients[i % 2], t=token: c.delete(f"/api/registrations/{t}") for i, token in enumerate(cancelled)
        ]
        registers = [
            registering(
                clients[i % 2], event_id, f"second-{i:03d}@example.org", "delegate" if i % 10 < 7 else "observer"
            )
            for i in range(100)
        ]

        def patch(client, path, body):
            return lambda: client.patch(path, json=body, headers=headers)

        raises = [
            patch(second, f"/api/events/{event_id}/categories/{category_ids['delegate']}", {"quota": 115}),
            patch(first, f"/api/events/{event_id}/categories/{category_ids['observer']}", {"quota": 45}),
            patch(second, f"/api/events/{event_id}", {"capacity": 150}),
        ]
        # Lowering may come before or after the cancellations: refused (422) or accepted, never half-applied.
        lowering = patch(first, f"/api/events/{event_id}/categories/{category_ids['observer']}", {"quota": 35})
        mixed = cancels + registers
        rng.shuffle(mixed)
        calls = mixed[:60] + raises[:1] + mixed[60:120] + raises[1:] + [lowering] + mixed[120:]

        responses = await fire(calls)

        answers = dict(zip(calls, responses, strict=True))
        assert Counter(answers[c].status_code for c in cancels) == {200: 70}
        assert {answers[c].json()["status"] for c in cancels} == {"cancelled"}
        assert Counter(answers[c].status_code for c in registers) == {201: 100}
        assert [answers[c].status_code for c in raises] == [200, 200, 200]
        assert answers[lowering].status_code in (200, 422), answers[lowering].text
        final = await sql.fetchrow(
            "SELECT count(*) AS rows, count(*) FILTER (WHERE status = 'cancelled')"
            " AS cancelled FROM registration WHERE event = $1",
            event_id,
        )
        assert dict(final) == {"rows": 270, "cancelled": 70}
        await assert_invariants(first, headers, event_id)
