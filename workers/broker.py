"""The Redis transport the worker and beat use: kombu's own, surviving a broker restart during a task.

When the broker connection drops while a task is running with late acknowledgement (a drain of the outbox, always),
Celery 5.7 first collects the connection (which detaches its transport) and then closes it, and closing its channel
tries to give the unacknowledged task back to Redis through the detached transport: an AttributeError, which Celery
treats as unrecoverable. The worker then shuts down instead of reconnecting, and stops consuming until someone
restarts it. Here that state is a lost connection (which it is), so Celery reconnects as it does for any broker
outage. The task message is not lost: Redis hands it out again after the visibility timeout if it survived, and the
outbox rows it was sending are leased in PostgreSQL, not in the broker.
"""

from __future__ import annotations

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
