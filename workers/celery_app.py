"""The Celery application: Redis broker, late acknowledgement, and beat's sweep of the outbox."""

from __future__ import annotations

from celery import Celery

from events_app.jobs import APPLY_RETENTION, DISPATCH_OUTBOX, EXPIRE_OFFERS, FLUSH_CALENDAR_UPDATES, SEND_REMINDERS
from events_app.settings import get_settings
from workers.broker import AMQP_CLASS, TRANSPORT

settings = get_settings()
# Workers and beat refuse production with development shortcuts, like the API (before connecting to anything).
settings.check_production()

app = Celery("events", broker=settings.redis_url, include=["workers.tasks"], amqp=AMQP_CLASS)
app.conf.update(
    task_acks_late=True,  # a worker killed mid-task leaves the task for another one
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    broker_transport=TRANSPORT,  # kombu's Redis transport, reconnecting after a restart during a task
    broker_transport_options={"visibility_timeout": 600},
    timezone="UTC",
    beat_schedule={
        # The sweep: whatever a kick missed (broker down at commit time, a crashed worker's lease) goes out here.
        "sweep-outbox": {"task": DISPATCH_OUTBOX, "schedule": settings.outbox_sweep_seconds},
        # Waiting-list offers past their time pass to the next person in line.
        "expire-offers": {"task": EXPIRE_OFFERS, "schedule": 60.0},
        # Calendar changes whose update window has passed go out as one REQUEST/CANCEL per person.
        "flush-calendar-updates": {"task": FLUSH_CALENDAR_UPDATES, "schedule": 30.0},
        "send-reminders": {"task": SEND_REMINDERS, "schedule": 60.0},
        # Registrations of events past RETENTION_DAYS are anonymized (hourly; a run is idempotent).
        "apply-retention": {"task": APPLY_RETENTION, "schedule": 3600.0},
    },
)
