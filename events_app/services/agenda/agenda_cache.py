"""The in-process cache of public agenda views (agenda JSON, feeds, schedule exports) and what keeps it right.

Each cached value is stored with the event's *tag* (event status and change time, agenda version and change time)
read from the database. A read costs one small query to learn the current tag, and nothing else while it matches.
While this process LISTENs on the `agenda_changed` channel (the API does, from its lifespan) it trusts the tags it
has read until a notification for that event arrives, so a cached read costs no query at all. Every agenda write
sends that notification in its transaction (delivered at commit); a trigger does the same for changes of the event
row. Losing the listening connection drops every trusted tag, so the cache falls back to reading tags.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg

from events_app.db import queries
from events_app.domain.errors import NotFound
from events_app.services.agenda.rows import ROWS

log = logging.getLogger(__name__)

CHANNEL = "agenda_changed"
MAX_ENTRIES = 1024

_entries: OrderedDict[tuple[int, Hashable], tuple[str, Any]] = OrderedDict()
_building: dict[tuple[int, Hashable], tuple[str, asyncio.Task]] = {}  # builds under way, by the tag they build for
_tags: dict[int, str] = {}
_generation: defaultdict[int, int] = defaultdict(int)
_listening = False

Q = queries.load(__file__, rows=ROWS)


@dataclass(frozen=True)
class Rendered:
    """Bytes ready to serve, with their strong ETag (the same in every process for the same bytes)."""

    body: bytes
    media_type: str
    etag: str

    @classmethod
    def of(cls, body: bytes, media_type: str) -> Rendered:
        return cls(body, media_type, '"' + hashlib.sha256(body).hexdigest()[:40] + '"')


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 13.1.2: weak comparison over the listed tags, or '*'."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return etag in tags


async def tag(event_id: int) -> str | None:
    """The event's current tag (None: no such event)."""
    if _listening and event_id in _tags:
        return _tags[event_id]
    generation = _generation[event_id]
    row = await Q.agenda_tag(event_id=event_id)
    if row is None:
        return None
    agenda_at = row["agenda_updated_at"].timestamp() if row["agenda_updated_at"] else 0
    value = f"{row['status']}|{row['updated_at'].timestamp()}|{row['version'] or 0}|{agenda_at}"
    if _listening and _generation[event_id] == generation:  # no notification came while we read it
        _tags[event_id] = value
    return value


async def get(event_id: int, key: Hashable, build: Callable[[], Awaitable[Any]]) -> Any:
    """The cached value for (event, key) if it was built at the event's current tag, else build() and keep it."""
    current = await tag(event_id)
    if current is None:
        raise NotFound("event")
    hit = _entries.get((event_id, key))
    if hit is not None and hit[0] == current:
        _entries.move_to_end((event_id, key))
        return hit[1]
    # One build per value and tag: after a change, the requests that miss meanwhile (a congress's programme pages,
    # agenda JSON and calendar polls, dozens a second) wait for the one build instead of each building it, which
    # held the event loop for every request of the process. A build runs as a task of its own, so a caller that
    # goes away (a closed connection) does not cancel it for the others.
    under_way = _building.get((event_id, key))
    if under_way is None or under_way[0] != current or under_way[1].get_loop() is not asyncio.get_running_loop():
        task = asyncio.ensure_future(_build(event_id, key, current, build))
        task.add_done_callback(_seen)
        under_way = _building[(event_id, key)] = (current, task)
    return await asyncio.shield(under_way[1])


def _seen(task: asyncio.Task) -> None:
    """A build's failure reaches its waiters; one whose waiters all went away is not reported as never retrieved."""
    if not task.cancelled():
        task.exception()


async def _build(event_id: int, key: Hashable, current: str, build: Callable[[], Awaitable[Any]]) -> Any:
    try:
        value = await build()
        _entries[(event_id, key)] = (current, value)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
        return value
    finally:
        if (under_way := _building.get((event_id, key))) is not None and under_way[0] == current:
            del _building[(event_id, key)]


def forget(event_id: int) -> None:
    """This process changed the event's agenda: stop trusting the tag it knows (the entries then miss)."""
    _generation[event_id] += 1
    _tags.pop(event_id, None)


def clear() -> None:
    _entries.clear()
    _tags.clear()
    _building.clear()


def _on_notification(connection, pid, channel, payload: str) -> None:
    try:
        forget(int(payload))
    except ValueError:
        log.warning("unexpected %s payload %r", channel, payload)


async def _listen_forever(dsn: str, ready: asyncio.Event) -> None:
    global _listening
    while True:
        connection = None
        try:
            connection = await asyncpg.connect(dsn)
            lost = asyncio.Event()
            # bound now: this round's event, not a later round's
            connection.add_termination_listener(lambda _, lost=lost: lost.set())
            await connection.add_listener(CHANNEL, _on_notification)
            _tags.clear()
            _listening = True
            ready.set()
            await lost.wait()
            log.warning("agenda cache: lost the LISTEN connection; reading tags until it is back")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database may be restarting: serve from tags read per request meanwhile
            log.warning("agenda cache: cannot LISTEN (%s); retrying", exc)
        finally:
            _listening = False
            _tags.clear()
            if connection is not None and not connection.is_closed():
                try:
                    await asyncio.wait_for(connection.close(), 2)
                except Exception:
                    connection.terminate()
        ready.set()
        await asyncio.sleep(1)


@asynccontextmanager
async def listening(dsn: str) -> AsyncIterator[None]:
    """Keep the cache valid by notifications for as long as the context is open (the API's lifespan)."""
    ready = asyncio.Event()
    task = asyncio.create_task(_listen_forever(dsn, ready))
    try:
        await asyncio.wait_for(ready.wait(), 5)
    except TimeoutError:
        pass
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, Exception):  # noqa: S110 - stopping: the listener's fate no longer matters
            pass
