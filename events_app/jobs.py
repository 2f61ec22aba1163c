"""Producer side of Celery: task names and a non-blocking enqueue for async code.

The API never imports workers/: it sends tasks by name. A broker outage must not fail a request: the outbox row is
already committed and Celery beat's sweep sends it later, so errors here are logged and swallowed.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

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
    """Wake the dispatcher after a commit, at most once per `interval` per process, never leaving a commit unkicked,
    and never making the request wait for the broker.

    A registration rush commits hundreds of rows per second; one dispatch run drains everything pending, so a kick
    per commit only burns CPU in the API (each is a round trip to Redis). A commit marks the kick as wanted; one
    sender thread at a time sends it (the first of a quiet moment at once, later ones at most once per interval)
    and keeps going while commits keep wanting one. A hung or stopped broker therefore costs the request nothing:
    the sender waits out its socket timeout on its own thread, and beat's sweep delivers what it could not kick.
    """

    def __init__(self, name: str, interval: float = 0.2) -> None:
        self.name = name
        self.interval = interval
        self.last = float("-inf")
        self.lock = threading.Lock()
        self.wanted = False
        self.sending = False

    async def __call__(self) -> None:
        self.want()

    def want(self) -> None:
        with self.lock:
            self.wanted = True
            if self.sending:
                return
            self.sending = True
        threading.Thread(target=self._send_while_wanted, name=f"kick {self.name}", daemon=True).start()

    def _send_while_wanted(self) -> None:
        while True:
            wait = self.last + self.interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            with self.lock:
                if not self.wanted:
                    self.sending = False
                    return
                self.wanted = False
            self.last = time.monotonic()
            self._send()

    def _send(self) -> None:
        try:
            send_now(self.name)
        except Exception as exc:  # broker down: beat's sweep delivers later
            log.warning("could not enqueue %s: %s", self.name, exc)


kick_outbox = _Kicker(DISPATCH_OUTBOX)
