"""Producer side of Celery: task names and a non-blocking enqueue for async code.

The API never imports workers/: it sends tasks by name. A broker outage must not fail a request: the outbox row is
already committed and Celery beat's sweep sends it later, so errors here are logged and swallowed.
"""
from __future__ import annotations

import functools
import logging

import anyio
from celery import Celery

from events_app.settings import get_settings

log = logging.getLogger(__name__)

DISPATCH_OUTBOX = "outbox.dispatch"
EXPIRE_OFFERS = "registrations.expire_offers"
FLUSH_CALENDAR_UPDATES = "calendar.flush_updates"
SEND_REMINDERS = "reminders.send_due"
APPLY_RETENTION = "privacy.apply_retention"


@functools.cache
def producer() -> Celery:
    app = Celery("events_app", broker=get_settings().redis_url)
    app.conf.broker_connection_retry_on_startup = False
    app.conf.broker_transport_options = {"socket_timeout": 2, "socket_connect_timeout": 1, "max_retries": 0}
    return app


def send_now(name: str, *args) -> None:
    producer().send_task(name, args=args, retry=False)


class _Kicker:
    """At most one kick in flight per process; a kick asked for meanwhile runs once after it.

    A registration rush commits hundreds of rows per second; each needs the dispatcher woken after its commit,
    but one wake-up per in-flight round is enough because a dispatch run drains everything pending.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.running = False
        self.again = False

    async def __call__(self) -> None:
        if self.running:
            self.again = True
            return
        self.running = True
        try:
            while True:
                self.again = False
                try:
                    await anyio.to_thread.run_sync(send_now, self.name)
                except Exception as exc:  # broker down: beat's sweep delivers later
                    log.warning("could not enqueue %s: %s", self.name, exc)
                    return
                if not self.again:
                    return
        finally:
            self.running = False


kick_outbox = _Kicker(DISPATCH_OUTBOX)
