"""Draining the outbox: claim a batch, compose each message, send it over SMTP, mark its row sent.

One worker process has one SMTP connection, used by one sender thread, while the event loop composes the next
message and writes to the database. See _send_batch() for how the two overlap without ever leaving more than one
message sent but not marked.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import multiprocessing
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from events_app.db.engine import database_gone
from events_app.mail.message import Outgoing
from events_app.mail.transport import PermanentFailure, SmtpTransport, TemporaryFailure, Withheld
from events_app.services.messaging import notifications
from events_app.services.platform import outbox
from events_app.settings import get_settings

log = logging.getLogger(__name__)

_transport: SmtpTransport | None = None
_sender: tuple[int, ThreadPoolExecutor] | None = None


def transport() -> SmtpTransport:
    global _transport
    if _transport is None:
        _transport = SmtpTransport(get_settings())
    return _transport


def sender() -> ThreadPoolExecutor:
    """The one thread of this worker process that talks SMTP (the transport's connection is used by it alone)."""
    global _sender
    if _sender is None or _sender[0] != os.getpid():  # threads do not survive a fork into a pool process
        _sender = (os.getpid(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="smtp"))
    return _sender[1]


def close() -> None:
    """Close this process's SMTP connection (at worker shutdown)."""
    if _transport is not None:
        _transport.close()


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
    """Send one leased batch, marking each row sent right after its SMTP transaction. False: stop draining.

    While the sender thread is in one message's SMTP transaction, this coroutine composes the next message and
    queues it behind, so the thread begins it as soon as the first completes. The UPDATE marking the first row
    sent then runs while the next message's envelope (MAIL FROM, RCPT TO) goes to the server, and that message's
    DATA waits until the UPDATE has committed (its gate). So a worker killed at any moment has at most one message
    sent but not marked: the one whose transaction had just completed.
    """
    held = {row["id"] for row in rows}
    ledger = _Ledger({row["id"]: row for row in rows}, {})
    try:
        return await _send_leased(rows, held, ledger, leased_at, settings, counts)
    finally:
        for row_id, row in ledger.unsettled.items():  # empty unless the batch was cut short
            _cut_short[row_id] = (row, ledger.accepted.get(row_id))


async def _send_leased(
    rows: list[dict], held: set[int], ledger: _Ledger, leased_at: float, settings, counts: dict[str, int]
) -> bool:
    loaded = await notifications.load(rows)  # the batch's events and registrations, in two queries
    sending: _Transaction | None = None  # the oldest message handed to the sender thread and not yet settled
    finished = False
    try:
        for index, row in enumerate(rows):
            if STOPPING.is_set():
                unsent = [r for r in rows[index:] if r["id"] in held]
                await outbox.release(unsent)
                for r in unsent:
                    ledger.unsettled.pop(r["id"], None)
                break
            if time.monotonic() - leased_at > settings.outbox_lease_seconds / 2:
                # A slow batch renews its lease before half of it is gone, so no other worker takes these rows.
                leased_at = time.monotonic()
                held = await outbox.renew(rows[sending.index if sending else index :])
            if row["id"] not in held:  # our lease ran out and another worker claimed the row: it is theirs now
                log.warning("outbox %s: lease lost to another worker, leaving the row to it", row["id"])
                ledger.unsettled.pop(row["id"], None)
                continue
            try:
                outgoing = await notifications.compose(row, settings, loaded=loaded)
            except Exception as exc:  # missing data or a bug must not block the queue: retry, then give up
                if database_gone(exc):
                    # Not the message's fault: no attempt is spent. The batch is cut short, and this process's next
                    # drain settles its rows (_cut_short) once the database answers again.
                    raise
                log.exception("outbox %s: could not compose", row["id"])
                status = await outbox.mark_retry(row["id"], row["attempts"], f"{type(exc).__name__}: {exc}")
                ledger.unsettled.pop(row["id"], None)
                counts["retry" if status == "pending" else "failed"] += 1
                continue
            previous = sending
            sending = _start(
                index, row, outgoing, Future() if previous is not None else None, settings.outbox_lease_seconds
            )
            if previous is not None and not await _settle(previous, sending.gate, counts, ledger):
                # The server is down: put the rest of the batch back with a backoff instead of trying each.
                with contextlib.suppress(Exception):
                    await sending.outcome  # not sent: its gate stayed shut (or it could not connect either)
                sending = None
                for rest in rows[previous.index + 1 :]:
                    if rest["id"] in held:
                        await outbox.mark_retry(rest["id"], rest["attempts"] - 1, previous.error)
                        ledger.unsettled.pop(rest["id"], None)
                finished = True
                return False
        finished = True
    finally:
        if sending is not None:
            if finished:
                await _settle(sending, None, counts, ledger)
            else:  # an error on the way: hand nothing more over; the next drain settles the rows (_cut_short)
                if sending.gate is not None and not sending.gate.done():
                    sending.gate.set_result(False)
                await asyncio.wait([sending.outcome])
                if not sending.outcome.cancelled() and sending.outcome.exception() is None:
                    ledger.accepted[sending.row["id"]] = sending.outgoing.message_id  # it went out before the error
    return True


async def _settle(tx: _Transaction, gate: Future | None, counts: dict[str, int], ledger: _Ledger) -> bool:
    """Wait for a transaction to complete and record how it ended, then open the next message's gate (if any).
    False if the SMTP server could not be reached (the gate then stays shut)."""
    try:
        result = await _outcome(tx, counts)
        if result == "sent":
            ledger.accepted[tx.row["id"]] = tx.outgoing.message_id
            await outbox.mark_sent(tx.row["id"], tx.outgoing.message_id)
            counts["sent"] += 1
        if result != "withheld":  # withheld: nothing went out and nothing was recorded
            ledger.unsettled.pop(tx.row["id"], None)
    except BaseException:
        if gate is not None:
            gate.set_result(False)
        raise
    if gate is not None:
        gate.set_result(result != "unreachable")
    return result != "unreachable"


@dataclass
class _Transaction:
    """One message in the sender thread's hands: its row, its bytes, and the outcome of transport().send."""

    index: int  # the row's place in its batch
    row: dict
    outgoing: Outgoing
    outcome: asyncio.Future
    gate: Future | None  # resolved by the event loop once the message before it is marked sent (True) or not
    error: str = ""  # why it was not sent


def _start(index: int, row: dict, outgoing: Outgoing, gate: Future | None, timeout: float) -> _Transaction:
    """Hand one message to the sender thread. With a gate, its DATA waits until the gate says True."""

    def ready() -> bool:
        try:
            return gate.result(timeout)
        except Exception:  # no answer within the lease, or the loop gave up: send nothing
            return False

    send = functools.partial(
        transport().send, outgoing.data, outgoing.sender, outgoing.recipient, ready if gate is not None else None
    )
    return _Transaction(index, row, outgoing, asyncio.get_running_loop().run_in_executor(sender(), send), gate)


async def _outcome(tx: _Transaction, counts: dict[str, int]) -> str:
    """Wait for a transaction; record a failure on its row. Returns sent, pending, failed, unreachable or withheld."""
    row = tx.row
    try:
        await tx.outcome
        return "sent"
    except Withheld:
        return "withheld"  # nothing went out; the row stays leased and is sent again once the lease runs out
    except TemporaryFailure as exc:
        tx.error = str(exc)
        status = await outbox.mark_retry(row["id"], row["attempts"], str(exc))
        counts["retry" if status == "pending" else "failed"] += 1
        log.warning("outbox %s: temporary failure (%s): %s", row["id"], status, exc)
        return "unreachable" if "cannot reach" in str(exc) else status
    except PermanentFailure as exc:
        await outbox.mark_failed(row["id"], str(exc))
        counts["failed"] += 1
        log.error("outbox %s: permanent failure: %s", row["id"], exc)
        return "failed"
    except Exception as exc:  # a bug must not block the queue: retry, then give up
        log.exception("outbox %s: could not send", row["id"])
        status = await outbox.mark_retry(row["id"], row["attempts"], f"{type(exc).__name__}: {exc}")
        counts["retry" if status == "pending" else "failed"] += 1
        return status
