"""One event as a calendar file for "add to calendar": the same UID, SEQUENCE and times as every invite."""

from __future__ import annotations

from dataclasses import replace

from events_app.db import sql
from events_app.domain.errors import NotFound
from events_app.domain.ical import feed
from events_app.services.messaging.notifications import event_item
from events_app.settings import get_settings


async def event_ics(event_id: int) -> bytes:
    """A PUBLISH-style calendar (no METHOD, no attendees) of a published or cancelled event; 404 for drafts."""
    row = await sql.fetchrow("SELECT * FROM event WHERE id = $1", event_id)
    if row is None or row["status"] == "draft":
        raise NotFound("event")
    event = dict(row)
    item = event_item(event, get_settings(), event["calendar_sequence"])
    if event["status"] == "cancelled":
        item = replace(item, status="CANCELLED")
    return feed([item], event["title"], {item.uid: event["updated_at"]})
