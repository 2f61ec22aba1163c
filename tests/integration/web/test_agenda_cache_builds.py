"""After a change, the requests that miss the agenda cache meanwhile wait for one build instead of each building."""

import asyncio

import pytest

from events_app.services.agenda import agenda_cache
from tests.agenda_fixtures import congress


@pytest.fixture(autouse=True)
def empty_cache():
    agenda_cache.clear()
    yield
    agenda_cache.clear()


async def test_requests_missing_together_share_one_build_and_a_caller_going_away_does_not_cancel_it(client, organizer):
    c = await congress(client, organizer)
    builds = 0
    release = asyncio.Event()

    async def build() -> str:
        nonlocal builds
        builds += 1
        await release.wait()
        return f"built {builds}"

    callers = [asyncio.ensure_future(agenda_cache.get(c["id"], "probe", build)) for _ in range(5)]
    await asyncio.sleep(0.05)
    callers[0].cancel()  # its phone closed the connection
    release.set()
    answers = await asyncio.gather(*callers[1:])
    again = await agenda_cache.get(c["id"], "probe", build)
    assert builds == 1 and answers == ["built 1"] * 4 and again == "built 1" and callers[0].cancelled()


async def test_a_failed_build_fails_its_waiters_and_the_next_request_builds_again(client, organizer):
    c = await congress(client, organizer)
    attempts = 0

    async def build() -> str:
        nonlocal attempts
        attempts += 1
        await asyncio.sleep(0.02)
        if attempts == 1:
            raise RuntimeError("the database went away")
        return "built"

    first = await asyncio.gather(*(agenda_cache.get(c["id"], "probe", build) for _ in range(3)), return_exceptions=True)
    after = await agenda_cache.get(c["id"], "probe", build)
    assert [type(e).__name__ for e in first] == ["RuntimeError"] * 3 and (attempts, after) == (2, "built")
