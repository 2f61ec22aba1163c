"""The broker connection the worker and beat use: kombu's Redis transport, surviving a broker restart during a task
and noticing within a second that the broker is back.

When the broker connection drops while a task is running with late acknowledgement (a drain of the outbox, always),
Celery 5.7 first collects the connection (which detaches its transport) and then closes it, and closing its channel
tries to give the unacknowledged task back to Redis through the detached transport: an AttributeError, which Celery
treats as unrecoverable. The worker then shuts down instead of reconnecting, and stops consuming until someone
restarts it. Here that state is a lost connection (which it is), so Celery reconnects as it does for any broker
outage. The task message is not lost: Redis hands it out again after the visibility timeout if it survived, and the
outbox rows it was sending are leased in PostgreSQL, not in the broker.

kombu retries a lost broker after 2, 4, 6... seconds, up to 30 s between attempts: after an outage of a minute the
worker could stay away for half a minute more, sending nothing. A local Redis costs nothing to try: here every
second.
"""

from __future__ import annotations

from typing import Any

from celery.app.amqp import AMQP as CeleryAMQP
from kombu import Connection
from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection was closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel


TRANSPORT = f"{__name__}:Transport"
RECONNECT_SECONDS = 1.0


class BrokerConnection(Connection):
    def ensure_connection(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) <= 2:  # (errback, max_retries) as Celery's consumer passes them: our intervals
            kwargs.setdefault("interval_start", RECONNECT_SECONDS)
            kwargs.setdefault("interval_step", 0)
            kwargs.setdefault("interval_max", RECONNECT_SECONDS)
        return super().ensure_connection(*args, **kwargs)


class AMQP(CeleryAMQP):
    Connection = BrokerConnection
    BrokerConnection = BrokerConnection


AMQP_CLASS = f"{__name__}:AMQP"
