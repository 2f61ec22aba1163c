"""Turns in the process (services.platform.turns): one holder per key, first come first served, nothing kept."""

import asyncio

from events_app.services.platform.turns import Turns


async def test_one_holder_per_key_in_arrival_order_and_other_keys_run_beside():
    turns, order, inside = Turns(), [], {"a": 0, "b": 0}
    most = {"a": 0, "b": 0}

    async def caller(key: str, n: int) -> None:
        async with turns.turn(key):
            inside[key] += 1
            most[key] = max(most[key], inside[key])
            order.append((key, n))
            await asyncio.sleep(0.001 * (5 - n % 5))  # earlier callers hold longer: order must still hold
            inside[key] -= 1

    await asyncio.gather(*(caller("a" if n % 2 else "b", n) for n in range(20)))
    assert most == {"a": 1, "b": 1}
    assert [n for key, n in order if key == "a"] == list(range(1, 20, 2))
    assert [n for key, n in order if key == "b"] == list(range(0, 20, 2))
    assert len(turns) == 0  # a key nobody holds or waits for is forgotten


async def test_a_failing_holder_gives_the_turn_to_the_next():
    turns, done = Turns(), []

    async def failing() -> None:
        async with turns.turn(1):
            raise RuntimeError("refused")

    async def next_in_line() -> None:
        async with turns.turn(1):
            done.append(True)

    results = await asyncio.gather(failing(), next_in_line(), return_exceptions=True)
    assert isinstance(results[0], RuntimeError) and done == [True] and len(turns) == 0
