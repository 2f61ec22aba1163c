"""Thin tasks: take ids (or nothing), do nothing twice, delegate to events_app.services."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

from celery.signals import worker_init, worker_process_shutdown, worker_shutting_down

from events_app.db.engine import database_gone
from events_app.jobs import APPLY_RETENTION, DISPATCH_OUTBOX, EXPIRE_OFFERS, FLUSH_CALENDAR_UPDATES, SEND_REMINDERS
from events_app.services.agenda import calendar_updates
from events_app.services.messaging import reminders
from events_app.services.privacy import privacy
from events_app.services.registration import registrations
from events_app.settings import get_settings
from workers import delivery, runtime
from workers.celery_app import app

log = logging.getLogger(__name__)


@worker_init.connect
def _lower_priority(**_):
    """A worker runs at a lower CPU priority than the API (WORKER_NICE, inherited by its pool's processes): where
    they share cores, a request waits for no email; the worker still takes every cycle the API leaves."""
    nice = get_settings().worker_nice
    if nice > 0:
        try:
            os.nice(nice)
        except OSError as exc:  # not allowed here: the worker runs at the usual priority
            log.warning("could not lower the worker's CPU priority: %s", exc)


@worker_process_shutdown.connect
def _close_transport(**_):
    if not delivery.connected():
        return
    try:
        runtime.run(delivery.close())
    except Exception as exc:  # the process is ending anyway: the server drops the connection
        log.info("could not close the SMTP connection: %s", exc)


# How long a stopping worker may take before it ends itself: the drain stops after the message in hand, so a healthy
# stop takes about a second; past this, Celery is stuck in its own shutdown (seen after an acknowledgement failed
# across a broker restart). Ending then loses nothing: leased outbox rows are taken over when the lease runs out, an
# unacknowledged task comes back after the broker's visibility timeout, and at most the message in hand was sent
# but not marked (the outbox's crash guarantee). Docker's stop sends SIGKILL after 10 s in the same spirit.
STOP_SECONDS = float(os.environ.get("WORKER_STOP_SECONDS", "10"))


def _children() -> list[int]:
    """This process's children (the prefork pool's processes), from /proc; empty where it cannot tell."""
    found: list[int] = []
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as listed:
                found += [int(pid) for pid in listed.read().split()]
    except OSError:
        pass
    return found


def _end_if_still_stopping(seconds: float) -> None:
    time.sleep(seconds)
    log.error("the worker is still stopping %.0f s after the signal: ending it now", seconds)
    for pid in _children():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    os._exit(1)


@worker_shutting_down.connect
def _stop_draining(**_):
    delivery.STOPPING.set()
    if STOP_SECONDS > 0:
        threading.Thread(target=_end_if_still_stopping, args=(STOP_SECONDS,), name="stop deadline", daemon=True).start()


FOLLOW_UP_SECONDS = 2.0
_follow_up_due = 0.0  # per worker process


def _follow_up() -> None:
    """A drain cut short by a database outage is tried again FOLLOW_UP_SECONDS later, and so on while the outage
    lasts, so that mail resumes within seconds of the database answering, not at beat's next sweep (30 s by
    default) or the next kick. At most one follow-up per process at a time: an outage does not multiply tasks."""
    global _follow_up_due
    now = time.monotonic()
    if now < _follow_up_due:
        return
    _follow_up_due = now + FOLLOW_UP_SECONDS
    try:
        dispatch_outbox.apply_async(countdown=FOLLOW_UP_SECONDS, retry=False)
    except Exception as exc:  # the broker is down too: beat's sweep sends what waits
        log.warning("could not schedule the outbox dispatch again: %s", exc)


@app.task(name=DISPATCH_OUTBOX, ignore_result=True)
def dispatch_outbox() -> dict[str, int]:
    try:
        counts = runtime.run(delivery.drain())
    except Exception as exc:
        if not database_gone(exc):
            raise
        # A database restart or failover: nothing to fix here, only to try again soon.
        log.warning("outbox dispatch in pid %s: the database is unreachable (%s)", os.getpid(), type(exc).__name__)
        _follow_up()
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
