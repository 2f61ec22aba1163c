"""Draining the outbox: claim a batch, compose each message, send it over SMTP, mark its row sent.

One worker process has one SMTP connection, on its event loop. While a message's SMTP transaction waits for the
server, the loop composes the next one and writes the previous row's mark; see _send_leased() for how they overlap
without ever leaving more than one message sent but not marked.
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
from events_app.mail.transport import PermanentFailure, SmtpTransport, TemporaryFailure, Withheld
from events_app.services.messaging import notifications
from events_app.services.platform import outbox
from events_app.settings import get_settings

log = logging.getLogger(__name__)

_transport: SmtpTransport | None = None


def transport() -> SmtpTransport:
    global _transport
    if _transport is None:
        _transport = SmtpTransport(get_settings())
    return _transport


def connected() -> bool:
    """Whether this process holds an SMTP connection."""
    return _transport is not None and _transport.connected


async def close() -> None:
    """Close this process's SMTP connection (at worker shutdown)."""
    if _transport is not None:
        await _transport.close()


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
    """Send the rows in order over this process's SMTP connection.

    Message k+1 is composed while message k's transaction waits for the server (a task started before k's send),
    and the UPDATE marking k sent is started as soon as the server accepts k; it runs while k+1's envelope (MAIL
    FROM, RCPT TO) goes out, and k+1's DATA waits until it has committed (`ready`). So a worker killed at any moment
    has at most one message sent but not marked: the one whose transaction had just completed.
    """
    loaded = await notifications.load(rows)  # the batch's events and registrations, in a few queries
    held = {row["id"] for row in rows}
    marking: asyncio.Task | None = None  # the UPDATE marking the last message sent
    upcoming: asyncio.Task | None = asyncio.ensure_future(_compose(rows[0], settings, loaded))

    async def marked() -> bool:
        """Whether the previous message is marked sent (waiting for its UPDATE); False if that failed."""
        if marking is None:
            return True
        with contextlib.suppress(Exception):
            await asyncio.shield(marking)
        return not marking.cancelled() and marking.exception() is None

    async def mark(row: dict, message_id: str) -> None:
        await outbox.mark_sent(row["id"], message_id)
        ledger.unsettled.pop(row["id"], None)

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
                held = await outbox.renew(rows[index:])
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
            outgoing = composed.outgoing
            result, error = await _deliver(row, outgoing, marked, counts)
            if marking is not None and marking.done() and marking.exception() is not None:
                raise marking.exception()  # type: ignore[misc]  # the previous mark failed: cut the batch short
            if result == "sent":
                ledger.accepted[row["id"]] = outgoing.message_id
                counts["sent"] += 1
                marking = asyncio.ensure_future(mark(row, outgoing.message_id))
            elif result != "withheld":  # withheld: nothing went out and nothing was recorded
                ledger.unsettled.pop(row["id"], None)
            if result == "unreachable":
                # The server is down: put the rest of the batch back with a backoff instead of trying each.
                for rest in rows[index + 1 :]:
                    if rest["id"] in held:
                        await outbox.mark_retry(rest["id"], rest["attempts"] - 1, error)
                        ledger.unsettled.pop(rest["id"], None)
                return False
    finally:
        if upcoming is not None:
            upcoming.cancel()
            with contextlib.suppress(BaseException):
                await upcoming
        if marking is not None:
            with contextlib.suppress(Exception):
                await marking  # a failed mark leaves its row unsettled: the next drain settles it (_cut_short)
    return True


async def _deliver(row: dict, outgoing: Outgoing, ready, counts: dict[str, int]) -> tuple[str, str]:
    """Send one message; record a failure on its row. Returns how it ended (sent, pending, failed, unreachable or
    withheld) and why it was not sent."""
    try:
        await transport().send(outgoing.data, outgoing.sender, outgoing.recipient, ready)
        return "sent", ""
    except Withheld as exc:
        return "withheld", str(exc)  # nothing went out; the row stays leased (sent again once the lease runs out)
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
