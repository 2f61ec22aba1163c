"""Reminders before an event, sent by beat: once per person and reminder time, to confirmed people only.

The de-duplication key contains the event's start, so a moved event is reminded at its new time, and a task that
runs twice writes nothing the second time.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from events_app.db import queries
from events_app.jobs import kick_outbox
from events_app.services.platform import outbox

Q = queries.load(__file__)
HORIZON = timedelta(days=31)  # the longest reminder anyone may ask for (720 hours), plus a day


def due_hours(starts_at: datetime, reminder_hours: list[int], now: datetime) -> list[int]:
    """The reminders whose moment has come and whose event has not started yet."""
    return [h for h in reminder_hours if starts_at - timedelta(hours=h) <= now < starts_at]


async def send_due(now: datetime | None = None) -> int:
    now = now or datetime.now(timezone.utc)
    written = 0
    events = await Q.events_due_for_reminders(now=now, horizon_end=now + HORIZON)
    for event in events:
        hours = queries.json_value(event["reminder_hours"])
        for h in due_hours(event["starts_at"], hours or [], now):
            people = await Q.confirmed_recipients(event_id=event["id"])
            written += await outbox.enqueue_many(
                [
                    {
                        "kind": "event_reminder",
                        "recipient": person["email"],
                        "event_id": event["id"],
                        "registration_id": person["id"],
                        "language": person["language"],
                        "payload": {"hours": h},
                        "dedupe_key": f"reminder:{person['id']}:{h}:{event['starts_at'].isoformat()}",
                    }
                    for person in people
                ]
            )
    written += await _session_reminders(now)
    if written:
        await kick_outbox()
    return written


async def _session_reminders(now: datetime) -> int:
    """Before each booked session (event.session_reminder_minutes): booked places of confirmed registrations."""
    rows = await Q.session_reminders_due(now=now)
    return await outbox.enqueue_many(
        [
            {
                "kind": "session_reminder",
                "recipient": row["email"],
                "event_id": row["event"],
                "registration_id": row["registration"],
                "language": row["language"],
                "payload": {"session_id": row["session"]},
                "dedupe_key": f"session-reminder:{row['registration']}:{row['session']}:{row['starts_at'].isoformat()}",
            }
            for row in rows
        ]
    )
