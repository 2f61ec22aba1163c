"""Thin tasks: take ids (or nothing), do nothing twice, delegate to events_app.services."""
from __future__ import annotations

import asyncio
import logging
import os
import time

from celery.signals import worker_process_shutdown

from events_app.jobs import APPLY_RETENTION, DISPATCH_OUTBOX, EXPIRE_OFFERS, FLUSH_CALENDAR_UPDATES, SEND_REMINDERS
from events_app.mail.transport import PermanentFailure, SmtpTransport, TemporaryFailure
from events_app.services import calendar_updates, notifications, outbox, privacy, registrations, reminders
from events_app.settings import get_settings
from workers import runtime
from workers.celery_app import app

log = logging.getLogger(__name__)

_transport: SmtpTransport | None = None


def transport() -> SmtpTransport:
    global _transport
    if _transport is None:
        _transport = SmtpTransport(get_settings())
    return _transport


@worker_process_shutdown.connect
def _close_transport(**_):
    if _transport is not None:
        _transport.close()


async def drain(limit_batches: int | None = None) -> dict[str, int]:
    """Send every due outbox message, a leased batch at a time. Returns counts by outcome."""
    settings = get_settings()
    counts = {"sent": 0, "retry": 0, "failed": 0}
    batches = 0
    while limit_batches is None or batches < limit_batches:
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
    held = {row["id"] for row in rows}
    loaded = await notifications.load(rows)  # the batch's events and registrations, in two queries
    marking: asyncio.Future | None = None  # the UPDATE marking the previous row sent, running while we compose
    try:
        for index, row in enumerate(rows):
            if time.monotonic() - leased_at > settings.outbox_lease_seconds / 2:
                # A slow batch renews its lease before half of it is gone, so no other worker takes these rows.
                leased_at = time.monotonic()
                held = await outbox.renew(rows[index:])
            if row["id"] not in held:  # our lease ran out and another worker claimed the row: it is theirs now
                log.warning("outbox %s: lease lost to another worker, leaving the row to it", row["id"])
                continue
            try:
                outgoing = await notifications.compose(row, settings, loaded=loaded)
                if marking is not None:
                    # The previous row is marked sent before this row's SMTP transaction begins: a worker killed
                    # now or during it resends at most the one message whose transaction had completed.
                    await marking
                    marking = None
                transport().send(outgoing.data, outgoing.sender, outgoing.recipient)
            except TemporaryFailure as exc:
                status = await outbox.mark_retry(row["id"], row["attempts"], str(exc))
                counts["retry" if status == "pending" else "failed"] += 1
                log.warning("outbox %s: temporary failure (%s): %s", row["id"], status, exc)
                if "cannot reach" in str(exc):
                    # The server is down: put the rest of the batch back with a backoff instead of trying each.
                    for rest in rows[index + 1:]:
                        if rest["id"] in held:
                            await outbox.mark_retry(rest["id"], rest["attempts"] - 1, str(exc))
                    return False
                continue
            except PermanentFailure as exc:
                await outbox.mark_failed(row["id"], str(exc))
                counts["failed"] += 1
                log.error("outbox %s: permanent failure: %s", row["id"], exc)
                continue
            except Exception as exc:  # a bug or missing data must not block the queue: retry, then give up
                log.exception("outbox %s: could not compose or send", row["id"])
                status = await outbox.mark_retry(row["id"], row["attempts"], f"{type(exc).__name__}: {exc}")
                counts["retry" if status == "pending" else "failed"] += 1
                continue
            marking = asyncio.ensure_future(outbox.mark_sent(row["id"], outgoing.message_id))
            await asyncio.sleep(0)  # let it send its UPDATE now; PostgreSQL works on it while we compose the next
            counts["sent"] += 1
    finally:
        if marking is not None:
            await marking
    return True


@app.task(name=DISPATCH_OUTBOX, ignore_result=True)
def dispatch_outbox() -> dict[str, int]:
    counts = runtime.run(drain())
    if any(counts.values()):
        log.info("outbox dispatch in pid %s: %s", os.getpid(), counts)
    return counts


@app.task(name=EXPIRE_OFFERS, ignore_result=True)
def expire_offers() -> int:
    """Idempotent: an offer already expired and passed on is no longer 'offered', so a rerun does nothing."""
    return runtime.run(registrations.expire_offers())


@app.task(name=FLUSH_CALENDAR_UPDATES, ignore_result=True)
def flush_calendar_updates() -> int:
    """Idempotent: an update is closed in the transaction that writes its messages."""
    return runtime.run(calendar_updates.flush_due())


@app.task(name=SEND_REMINDERS, ignore_result=True)
def send_reminders() -> int:
    """Idempotent: each reminder has a de-duplication key (person, hours, start time)."""
    return runtime.run(reminders.send_due())


@app.task(name=APPLY_RETENTION, ignore_result=True)
def apply_retention() -> int:
    """Idempotent: an anonymized registration is never picked again."""
    return runtime.run(privacy.apply_retention())
