"""Piccolo tables of the congress agenda (its own Piccolo app, "agenda").

Rules about what values mean (conflicts, booking, which changes grow SEQUENCE) live in events_app.domain.agenda.
"""

from __future__ import annotations

import uuid

from piccolo.columns import (
    JSONB,
    UUID,
    Boolean,
    Bytea,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events_app.db.engine import DB
from events_app.db.tables import Account, Event, Person, Registration


class AgendaState(Table, db=DB, tablename="agenda_state"):
    """One row per event with an agenda: its version grows with every change (ETags, caches), and the row is the
    lock that orders every edit of the event's agenda (conflict checks see each other's writes)."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, unique=True, required=True)
    version = Integer(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())


class Room(Table, db=DB, tablename="agenda_room"):
    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, required=True, index=True)
    name = Varchar(length=200, required=True)
    capacity = Integer(null=True, default=None)
    accessibility = Text(default="")
    guid = UUID(default=uuid.uuid4, unique=True)
    position = Integer(default=0)


class Track(Table, db=DB, tablename="agenda_track"):
    """A theme of the network (low-emission, nature-based, resilient, equitable, circular...), with a colour."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, required=True, index=True)
    name = Varchar(length=200, required=True)
    slug = Varchar(length=60, required=True)
    color = Varchar(length=7, default="#666666")
    position = Integer(default=0)


class Session(Table, db=DB, tablename="agenda_session"):
    """A plenary, panel, workshop... `guid` identifies it in schedule exchange (kept across imports);
    `calendar_uid` identifies it in calendars for life; `calendar_sequence` grows on changes of time, room or
    status, in the transaction of the change. `updated_at` is the feeds' DTSTAMP."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, required=True, index=True)
    guid = UUID(default=uuid.uuid4)
    calendar_uid = UUID(default=uuid.uuid4, unique=True)
    calendar_sequence = Integer(default=0)
    kind = Varchar(length=20, required=True)
    title = Varchar(length=300, required=True)
    abstract = Text(default="")
    starts_at = Timestamptz(required=True)
    ends_at = Timestamptz(required=True)
    room = ForeignKey(references=Room, null=True, on_delete=OnDelete.restrict)
    track = ForeignKey(references=Track, null=True, on_delete=OnDelete.set_null)
    language = Varchar(length=10, default="en")
    online_url = Varchar(length=500, default="")
    status = Varchar(length=12, default="published")
    requires_booking = Boolean(default=False)
    capacity = Integer(null=True, default=None)
    booked_count = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class FeedPiece(Table, db=DB, tablename="agenda_feed_piece"):
    """A session's VEVENT as the public feeds write it, kept across restarts so a feed is assembled from stored
    bytes. `key` is events_app.domain.ical.feed_piece_key of what the piece was written from: a reader serves the
    piece only when that key equals the one computed from current data, and writes a new piece otherwise, so no
    write has to remember to invalidate it."""

    session = ForeignKey(references=Session, on_delete=OnDelete.cascade, unique=True, null=False, required=True)
    key = Bytea(required=True)
    piece = Bytea(required=True)


class AgendaPerson(Table, db=DB, tablename="agenda_person"):
    """The schedule-exchange identity (guid) of a person who appears in an agenda."""

    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, unique=True, required=True)
    guid = UUID(default=uuid.uuid4, unique=True)


class SessionPerson(Table, db=DB, tablename="agenda_session_person"):
    """A person in a role (speaker, moderator, panelist) in a session."""

    session = ForeignKey(references=Session, on_delete=OnDelete.cascade, required=True, index=True)
    person = ForeignKey(references=Person, on_delete=OnDelete.restrict, required=True, index=True)
    role = Varchar(length=20, default="speaker")
    position = Integer(default=0)


class SessionBooking(Table, db=DB, tablename="agenda_booking"):
    """A delegate's place in a session (booked) or on its waiting list (waitlisted, promoted in id order)."""

    session = ForeignKey(references=Session, on_delete=OnDelete.cascade, required=True)
    registration = ForeignKey(references=Registration, on_delete=OnDelete.cascade, required=True, index=True)
    status = Varchar(length=12, required=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class AgendaChange(Table, db=DB, tablename="agenda_change"):
    """The change log: what changed (action, {field: {from, to}}), when, by whom (an account, or 'import')."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, required=True)
    session = ForeignKey(references=Session, null=True, on_delete=OnDelete.set_null)
    action = Varchar(length=30, required=True)
    changes = JSONB(default={})
    calendar_sequence = Integer(null=True, default=None)
    account = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    actor = Varchar(length=320, default="")
    created_at = Timestamptz(default=TimestamptzNow())
