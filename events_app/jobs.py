"""Producer side of Celery: task names and a non-blocking enqueue for async code.

The API never imports workers/: it sends tasks by name. A broker outage must not fail a request: the outbox row is
already committed and Celery beat's sweep sends it later, so errors here are logged and swallowed.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

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
    """Wake the dispatcher after a commit, at most once per `interval` per process, never leaving a commit unkicked.

    A registration rush commits hundreds of rows per second; one dispatch run drains everything pending, so a kick
    per commit only burns CPU in the API (each is a round trip to Redis). The first commit of a quiet moment kicks
    at once; commits within the interval after it share one trailing kick at its end, sent from a timer thread so
    that it fires even while the event loop is busy.
    """

    def __init__(self, name: str, interval: float = 0.2) -> None:
        self.name = name
        self.interval = interval
        self.last = float("-inf")
        self.timer: threading.Timer | None = None

    async def __call__(self) -> None:
        if self.timer is not None:
            return
        wait = self.last + self.interval - time.monotonic()
        if wait <= 0:
            self.last = time.monotonic()
            await anyio.to_thread.run_sync(self._send)
            return
        self.timer = threading.Timer(wait, self._trailing)
        self.timer.daemon = True
        self.timer.start()

    def _trailing(self) -> None:
        self.timer = None
        self.last = time.monotonic()
        self._send()

    def _send(self) -> None:
        try:
            send_now(self.name)
        except Exception as exc:  # broker down: beat's sweep delivers later
            log.warning("could not enqueue %s: %s", self.name, exc)


kick_outbox = _Kicker(DISPATCH_OUTBOX)
