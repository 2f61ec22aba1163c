"""Thin tasks: take ids (or nothing), do nothing twice, delegate to events_app.services."""

from __future__ import annotations

import logging
import os

from celery.signals import worker_process_shutdown, worker_shutting_down

from events_app.db.engine import database_gone
from events_app.jobs import APPLY_RETENTION, DISPATCH_OUTBOX, EXPIRE_OFFERS, FLUSH_CALENDAR_UPDATES, SEND_REMINDERS
from events_app.services.agenda import calendar_updates
from events_app.services.messaging import reminders
from events_app.services.privacy import privacy
from events_app.services.registration import registrations
from workers import delivery, runtime
from workers.celery_app import app

log = logging.getLogger(__name__)


@worker_process_shutdown.connect
def _close_transport(**_):
    delivery.close()


@worker_shutting_down.connect
def _stop_draining(**_):
    delivery.STOPPING.set()


@app.task(name=DISPATCH_OUTBOX, ignore_result=True)
def dispatch_outbox() -> dict[str, int]:
    try:
        counts = runtime.run(delivery.drain())
    except Exception as exc:
        if not database_gone(exc):
            raise
        # A database restart or failover: nothing to fix here; beat's next sweep (or the next kick) drains again.
        log.warning("outbox dispatch in pid %s: the database is unreachable (%s)", os.getpid(), type(exc).__name__)
        return {"sent": 0, "retry": 0, "failed": 0}
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
