"""One event as a calendar file for "add to calendar": the same UID, SEQUENCE and times as every invite."""

from __future__ import annotations

from dataclasses import replace

from events_app.db import queries
from events_app.domain.errors import NotFound
from events_app.domain.ical import feed
from events_app.services.events.rows import ROWS
from events_app.services.messaging.notifications import event_item
from events_app.settings import get_settings

Q = queries.load(__file__, rows=ROWS)


async def event_ics(event_id: int) -> bytes:
    """A PUBLISH-style calendar (no METHOD, no attendees) of a published or cancelled event; 404 for drafts."""
    row = await Q.event_by_id(event_id=event_id)
    if row is None or row.status == "draft":
        raise NotFound("event")
    event = row.as_dict()
    item = event_item(event, get_settings(), event["calendar_sequence"])
    if event["status"] == "cancelled":
        item = replace(item, status="CANCELLED")
    return feed([item], event["title"], {item.uid: event["updated_at"]})
