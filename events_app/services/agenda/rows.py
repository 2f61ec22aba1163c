"""Typed rows of the agenda's named queries (`-- record_class:` in queries.sql).

The event row lives here, not in services.events: the agenda reads events too and sits below that package.
Conflict checks read their rows straight into the domain's Slot.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from events_app.domain.agenda import Slot

__all__ = ["ROWS", "CalendarUpdateRow", "EventRow", "RoomRow", "SessionDetailRow", "SessionRow", "Slot", "TrackRow"]


class EventRow(msgspec.Struct, frozen=True):
    """Every column of an event."""

    id: int
    title: str
    kind: str
    description: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    venue_name: str
    venue_address: str
    city: str
    country: str | None
    online_url: str
    status: str
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    capacity: int | None
    confirmed_count: int
    waitlist_mode: str
    offer_hours: int
    update_delay_minutes: int
    reminder_hours: list[int]
    session_reminder_minutes: int
    reply_to: str
    organizer_email: str
    organizer_name: str
    calendar_uid: uuid.UUID
    calendar_sequence: int
    office: int | None
    created_at: datetime
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        """Column -> value, for the rules (domain.events, calendar items) that read events as mappings."""
        return msgspec.structs.asdict(self)


class RoomRow(msgspec.Struct, frozen=True):
    id: int
    event: int
    name: str
    capacity: int | None
    accessibility: str
    guid: uuid.UUID
    position: int


class TrackRow(msgspec.Struct, frozen=True):
    id: int
    event: int
    name: str
    slug: str
    color: str
    position: int


class SessionRow(msgspec.Struct, frozen=True):
    """Every column of an agenda session."""

    id: int
    event: int
    guid: uuid.UUID
    calendar_uid: uuid.UUID
    calendar_sequence: int
    kind: str
    title: str
    abstract: str
    starts_at: datetime
    ends_at: datetime
    room: int | None
    track: int | None
    language: str
    online_url: str
    status: str
    requires_booking: bool
    capacity: int | None
    booked_count: int
    created_at: datetime
    updated_at: datetime

    def fields(self) -> dict[str, Any]:
        """Column -> value with room and track as room_id and track_id, the names the agenda rules compare."""
        out = msgspec.structs.asdict(self)
        out["room_id"], out["track_id"] = out.pop("room"), out.pop("track")
        return out


class SessionPersonOut(msgspec.Struct, frozen=True):
    person_id: int
    name: str
    role: str
    organization: str | None


class SessionDetailRow(msgspec.Struct, frozen=True):
    """A session with its room, track, event zone, waiting list and people, as the session API shows it."""

    id: int
    event: int
    guid: uuid.UUID
    calendar_uid: uuid.UUID
    calendar_sequence: int
    kind: str
    title: str
    abstract: str
    starts_at: datetime
    ends_at: datetime
    room: int | None
    track: int | None
    language: str
    online_url: str
    status: str
    requires_booking: bool
    capacity: int | None
    booked_count: int
    updated_at: datetime
    room_name: str | None
    room_capacity: int | None
    track_name: str | None
    track_slug: str | None
    track_color: str | None
    timezone: str
    waiting: int
    people: list[SessionPersonOut]


class CalendarUpdateRow(msgspec.Struct, frozen=True):
    """A pending calendar update: the object whose attendees' copies are outdated, and what changed."""

    id: int
    event: int
    subject: str
    subject_id: int
    changes: list[Any]
    due_at: datetime
    created_at: datetime


# Every record class the agenda's queries.sql names: each module loads the file with all of them.
ROWS: tuple[type, ...] = (CalendarUpdateRow, EventRow, RoomRow, SessionDetailRow, SessionRow, Slot, TrackRow)
