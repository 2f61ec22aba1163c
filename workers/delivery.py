"""Draining the outbox: claim a batch, compose each message, send it over SMTP, mark its row sent.

One worker process keeps a few SMTP connections (SMTP_CONNECTIONS, 2 by default), all on its event loop. Messages
go out in outbox order, their transactions overlapping on the connections while the loop composes the next ones,
and the ends of the messages one at a time, each after the message before it is marked sent; see _send_leased()
for how that never leaves more than one message sent but not marked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import time
from dataclasses import dataclass

from events_app.db.engine import database_gone
from events_app.mail.message import Outgoing
from events_app.mail.transport import PermanentFailure, SmtpTransport, TemporaryFailure, Turn, Withheld
from events_app.services.messaging import notifications
from events_app.services.platform import outbox
from events_app.settings import get_settings

log = logging.getLogger(__name__)

_transport: SmtpTransport | None = None
_more: list[SmtpTransport] = []  # the process's further connections, with the first one's settings


def transport() -> SmtpTransport:
    """This process's first SMTP connection."""
    global _transport
    if _transport is None:
        _transport = SmtpTransport(get_settings())
    return _transport


def transports(count: int) -> list[SmtpTransport]:
    """This process's first `count` SMTP connections (opened when first used)."""
    first = transport()
    if any(other.settings is not first.settings for other in _more):  # the first was replaced: start over
        for other in _more:
            other.drop()
        _more.clear()
    while len(_more) < count - 1:
        _more.append(SmtpTransport(first.settings))
    return [first, *_more[: count - 1]]


def connected() -> bool:
    """Whether this process holds an SMTP connection."""
    return any(t.connected for t in [_transport, *_more] if t is not None)


async def close() -> None:
    """Close this process's SMTP connections (at worker shutdown)."""
    for t in [_transport, *_more]:
        if t is not None:
            await t.close()


# Set when the worker begins a warm shutdown (SIGTERM): a drain finishes the message in the SMTP server's hands,
# gives the rest of its batch back to the queue and stops, so a stop waits for one message, and no row is left
# leased to a process that is going away. A process-shared event, created before the prefork pool forks its
# children: the main process receives the signal, the children running the drains see it.
STOPPING = multiprocessing.get_context("fork").Event()


@dataclass
class _Ledger:
    """What became of a batch's rows: those not yet recorded in the database, and those the server accepted."""

    unsettled: dict[int, dict]
    accepted: dict[int, str]  # row id -> Message-ID of a message whose DATA the server accepted


# Rows of batches cut short by a lost database connection (a restart, a failover), kept by this process so that its
# next drain settles them at once instead of leaving them leased until their leases run out: a message the server
# accepted is marked sent (never sent again), the others are given back to the queue.
_cut_short: dict[int, tuple[dict, str | None]] = {}


async def _settle_cut_short() -> None:
    if not _cut_short:
        return
    for row_id, (_, message_id) in list(_cut_short.items()):
        if message_id is not None:
            await outbox.mark_sent(row_id, message_id)
            del _cut_short[row_id]
    await outbox.release([row for row, _ in _cut_short.values()])
    _cut_short.clear()


async def drain(limit_batches: int | None = None) -> dict[str, int]:
    """Send every due outbox message, a leased batch at a time, until none is due or the worker is stopping.
    Returns counts by outcome."""
    settings = get_settings()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    batches = 0
    await _settle_cut_short()
    while (limit_batches is None or batches < limit_batches) and not STOPPING.is_set():
        leased_at = time.monotonic()
        rows = await outbox.claim(settings.outbox_batch_size)
        if not rows:
            break
        batches += 1
        if not await _send_batch(rows, leased_at, settings, counts):
            break
    return counts


async def _send_batch(rows: list[dict], leased_at: float, settings, counts: dict[str, int]) -> bool:
    """Send one leased batch, marking each row sent right after its SMTP transaction. False: stop draining."""
    ledger = _Ledger({row["id"]: row for row in rows}, {})
    try:
        return await _send_leased(rows, ledger, leased_at, settings, counts)
    finally:
        for row_id, row in ledger.unsettled.items():  # empty unless the batch was cut short
            _cut_short[row_id] = (row, ledger.accepted.get(row_id))


@dataclass
class _Composed:
    """A row's message, or why it could not be composed."""

    outgoing: Outgoing | None
    error: BaseException | None = None


async def _compose(row: dict, settings, loaded: notifications.Loaded) -> _Composed:
    try:
        return _Composed(await notifications.compose(row, settings, loaded=loaded))
    except Exception as exc:
        return _Composed(None, exc)


async def _send_leased(rows: list[dict], ledger: _Ledger, leased_at: float, settings, counts: dict[str, int]) -> bool:
    """Send the rows in outbox order over this process's SMTP connections.

    Each message is a flight (_fly) on one connection, taken in turn: envelope and content go out while the
    messages before it are still under way, but its terminating dot, the moment the server accepts it, waits until
    the message before it is settled (marked sent, or its failure recorded), and a message counts as settled only
    once the one before it is. So the messages are accepted one at a time, in order, and a worker killed at any
    moment has at most one message sent but not marked: the one whose end had just been answered. The settling is
    a Turn: the next message's dot goes out from the very step that marked this one, not once the event loop comes
    round to it. Meanwhile the event loop composes the next message, pausing between its steps so the
    conversations go on.
    """
    loaded = await notifications.load(rows)  # the batch's events and registrations, in a few queries
    held = {row["id"] for row in rows}
    lanes = transports(settings.smtp_connections)
    flights: list[asyncio.Task | None] = [None] * len(lanes)  # each connection's message under way
    every: list[asyncio.Task] = []
    tail: Turn | None = None  # the last message under way: settled, and the chain unbroken?
    launched = 0
    upcoming: asyncio.Task | None = asyncio.ensure_future(_compose(rows[0], settings, loaded))
    try:
        for index, row in enumerate(rows):
            if STOPPING.is_set() or (tail is not None and tail.done() and not tail.result()):
                break
            if time.monotonic() - leased_at > settings.outbox_lease_seconds / 2:
                # A slow batch renews its lease before half of it is gone, so no other worker takes these rows.
                leased_at = time.monotonic()
                held = await outbox.renew([r for r in rows if r["id"] in ledger.unsettled])
            composed = await upcoming if upcoming is not None else await _compose(row, settings, loaded)
            upcoming = (
                asyncio.ensure_future(_compose(rows[index + 1], settings, loaded)) if index + 1 < len(rows) else None
            )
            if row["id"] not in held:  # our lease ran out and another worker claimed the row: it is theirs now
                log.warning("outbox %s: lease lost to another worker, leaving the row to it", row["id"])
                ledger.unsettled.pop(row["id"], None)
                continue
            if composed.outgoing is None:  # missing data or a bug must not block the queue: retry, then give up
                exc = composed.error or RuntimeError("nothing was composed")
                if database_gone(exc):
                    # Not the message's fault: no attempt is spent. The batch is cut short, and this process's next
                    # drain settles its rows (_cut_short) once the database answers again.
                    raise exc
                log.error("outbox %s: could not compose", row["id"], exc_info=exc)
                status = await outbox.mark_retry(row["id"], row["attempts"], f"{type(exc).__name__}: {exc}")
                ledger.unsettled.pop(row["id"], None)
                counts["retry" if status == "pending" else "failed"] += 1
                continue
            lane = launched % len(lanes)
            launched += 1
            previous = flights[lane]
            if previous is not None:
                await asyncio.wait([previous])  # the connection's previous message is done with it
            if not lanes[lane].connected and tail is not None:
                # A connection not open yet opens once the message before has gone through (a server that cannot
                # be reached is found out once, not once per connection).
                await asyncio.wait([tail])
                if not tail.result():
                    break
            mine = Turn()
            flight = asyncio.ensure_future(_fly(row, composed.outgoing, lanes[lane], tail, mine, ledger, counts))
            flights[lane] = flight
            every.append(flight)
            tail = mine
    finally:
        if upcoming is not None:
            upcoming.cancel()
            with contextlib.suppress(BaseException):
                await upcoming
        if every:
            await asyncio.wait(every)
    failures = [task.exception() for task in every if task.exception() is not None]
    if failures:  # a mark that failed (the database went away): cut the batch short (_cut_short settles it)
        raise failures[0]  # type: ignore[misc]
    unreachable = next((task.result()[1] for task in every if task.result()[0] == "unreachable"), None)
    rest = [r for r in rows if r["id"] in ledger.unsettled and r["id"] in held]
    if unreachable is not None:
        # The server is down: put the rest of the batch back with a backoff instead of trying each.
        for r in rest:
            await outbox.mark_retry(r["id"], r["attempts"] - 1, unreachable)
            ledger.unsettled.pop(r["id"], None)
        return False
    if rest:  # the worker is stopping: give back what did not go out
        await outbox.release(rest)
        for r in rest:
            ledger.unsettled.pop(r["id"], None)
    return True


async def _fly(
    row: dict,
    outgoing: Outgoing,
    lane: SmtpTransport,
    before: Turn | None,
    mine: Turn,
    ledger: _Ledger,
    counts: dict[str, int],
) -> tuple[str, str]:
    """One message's transaction on one connection; settles `mine` (True: settled and nothing broke the chain)."""

    def chain() -> bool | Turn:
        """Whether every message before this one is settled, without a break; until they are, a future of it."""
        if before is None:
            return True
        return before.result() if before.done() else before

    ok = False
    try:
        result, error = await _deliver(row, outgoing, lane, chain, counts)
        if result == "sent":
            ledger.accepted[row["id"]] = outgoing.message_id
            counts["sent"] += 1
            await outbox.mark_sent(row["id"], outgoing.message_id)
        if result != "withheld":  # withheld: nothing went out and nothing was recorded
            ledger.unsettled.pop(row["id"], None)
        ok = result in ("sent", "pending", "failed") and await _answer(chain())
        return result, error
    finally:
        mine.set_result(ok)


async def _answer(value: bool | asyncio.Future[bool]) -> bool:
    return value if isinstance(value, bool) else await asyncio.shield(value)


async def _deliver(
    row: dict, outgoing: Outgoing, lane: SmtpTransport, ready, counts: dict[str, int]
) -> tuple[str, str]:
    """Send one message; record a failure on its row. Returns how it ended (sent, pending, failed, unreachable or
    withheld) and why it was not sent."""
    try:
        await lane.send(outgoing.data, outgoing.sender, outgoing.recipient, ready)
        return "sent", ""
    except Withheld as exc:
        # Nothing was delivered and nothing recorded: the batch stops, and _send_leased gives the row back.
        return "withheld", str(exc)
    except TemporaryFailure as exc:
        status = await outbox.mark_retry(row["id"], row["attempts"], str(exc))
        counts["retry" if status == "pending" else "failed"] += 1
        log.warning("outbox %s: temporary failure (%s): %s", row["id"], status, exc)
        return ("unreachable" if "cannot reach" in str(exc) else status), str(exc)
    except PermanentFailure as exc:
        await outbox.mark_failed(row["id"], str(exc))
        counts["failed"] += 1
        log.error("outbox %s: permanent failure: %s", row["id"], exc)
        return "failed", str(exc)
    except Exception as exc:  # a bug must not block the queue: retry, then give up
        if database_gone(exc):
            raise
        log.exception("outbox %s: could not send", row["id"])
        status = await outbox.mark_retry(row["id"], row["attempts"], f"{type(exc).__name__}: {exc}")
        counts["retry" if status == "pending" else "failed"] += 1
        return status, str(exc)
