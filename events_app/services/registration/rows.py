"""Typed rows of the registration capability: what its named queries (queries.sql, `-- record_class:`) return
where a row is passed between functions and modules. Columns a query returns beyond these fields are ignored."""

from __future__ import annotations

from datetime import datetime

import msgspec


class LockedEvent(msgspec.Struct, frozen=True):
    """The event row as read under its lock (seats.lock_event): what taking, freeing and promoting seats need."""

    id: int
    title: str
    status: str
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    capacity: int | None
    confirmed_count: int
    calendar_sequence: int
    waitlist_mode: str
    offer_hours: int


class Category(msgspec.Struct, frozen=True):
    """A registration category of an event, with its seat counter."""

    id: int
    event: int
    code: str
    name: str
    quota: int | None
    confirmed_count: int
    requires_approval: bool
    eligibility: str
    position: int
    opens_at: datetime | None
    closes_at: datetime | None


class Delegation(msgspec.Struct, frozen=True):
    """An organization's delegation at an event."""

    id: int
    event: int
    organization: int
    category: int
    seat_quota: int
    head_person: int
    created_at: datetime


class MessageRecipient(msgspec.Struct, frozen=True):
    """Who a message about a registration goes to and, with a calendar invite, the SEQUENCE it carries."""

    event: int
    person: int
    email: str
    language: str
    sequence: int | None


class LockedSession(msgspec.Struct, frozen=True):
    """An agenda session as read under its row lock for a booking, with its room's capacity."""

    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str
    requires_booking: bool
    capacity: int | None
    booked_count: int
    room_capacity: int | None


class BookingEntry(msgspec.Struct, frozen=True):
    """A delegate's booking of a session as the personal agenda shows it, with its place on the waiting list."""

    id: int
    session_id: int
    status: str
    created_at: datetime
    title: str
    starts_at: datetime
    ends_at: datetime
    session_status: str
    timezone: str
    waitlist_position: int | None


# Every row type of the capability: each module loads queries.sql with all of them, so a query's record_class
# means the same whichever module calls it (and the file is parsed once).
ALL_ROWS = (LockedEvent, Category, Delegation, MessageRecipient, LockedSession, BookingEntry)
