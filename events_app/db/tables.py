"""Piccolo tables. Rules about what values mean live in events_app.domain, not here."""
from __future__ import annotations

import uuid

from piccolo.columns import (
    UUID,
    Boolean,
    ForeignKey,
    Integer,
    JSONB,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events_app.db.engine import DB


class Organization(Table, db=DB):
    """A member of the network (city, region...) or a partner (agency, university...)."""

    name = Varchar(length=200, required=True)
    kind = Varchar(length=30, required=True)
    country = Varchar(length=2, required=True)
    membership_status = Varchar(length=20, default="none")
    created_at = Timestamptz(default=TimestamptzNow())


class Person(Table, db=DB):
    """Anyone who registers, speaks or attends. Email is stored lower-cased: it is the identity."""

    email = Varchar(length=320, unique=True, required=True)
    name = Varchar(length=200, required=True)
    organization = ForeignKey(references=Organization, null=True, on_delete=OnDelete.set_null)
    language = Varchar(length=10, default="en")
    timezone = Varchar(length=64, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Account(Table, db=DB):
    """Someone who logs in: organizers, office staff, administrators."""

    email = Varchar(length=320, unique=True, required=True)
    name = Varchar(length=200, required=True)
    password_hash = Varchar(length=200, required=True)
    is_admin = Boolean(default=False)
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class AuthSession(Table, db=DB):
    """A bearer token; only its SHA-256 is stored."""

    token_hash = Varchar(length=64, unique=True, required=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, required=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(required=True)


class Event(Table, db=DB):
    """A congress, forum, webinar or meeting, with one calendar identity for life (calendar_uid)."""

    title = Varchar(length=300, required=True)
    kind = Varchar(length=20, required=True)
    description = Text(default="")
    timezone = Varchar(length=64, required=True)
    starts_at = Timestamptz(required=True)
    ends_at = Timestamptz(required=True)
    venue_name = Varchar(length=300, default="")
    venue_address = Varchar(length=500, default="")
    city = Varchar(length=120, default="")
    country = Varchar(length=2, null=True, default=None)
    online_url = Varchar(length=500, default="")
    status = Varchar(length=12, default="draft")
    registration_opens_at = Timestamptz(null=True, default=None)
    registration_closes_at = Timestamptz(null=True, default=None)
    capacity = Integer(null=True, default=None)
    confirmed_count = Integer(default=0)
    organizer_email = Varchar(length=320, default="")
    organizer_name = Varchar(length=200, default="")
    calendar_uid = UUID(default=uuid.uuid4, unique=True)
    calendar_sequence = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class EventOrganizer(Table, db=DB):
    """Which accounts organize which event."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, required=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, required=True)
    role = Varchar(length=20, default="organizer")


class RegistrationCategory(Table, db=DB, tablename="registration_category"):
    """Delegate, speaker, press...: its own quota and eligibility. confirmed_count is kept under the event lock."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, required=True)
    code = Varchar(length=40, required=True)
    name = Varchar(length=200, required=True)
    quota = Integer(null=True, default=None)
    confirmed_count = Integer(default=0)
    requires_approval = Boolean(default=False)
    eligibility = Varchar(length=20, default="anyone")
    position = Integer(default=0)


class Registration(Table, db=DB):
    """Person x event x category. The manage token is never stored: only its nonce and its hash."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, required=True)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, required=True)
    category = ForeignKey(references=RegistrationCategory, on_delete=OnDelete.restrict, required=True)
    status = Varchar(length=12, required=True)
    token_nonce = Varchar(length=32, required=True)
    token_hash = Varchar(length=64, unique=True, required=True)
    answers = JSONB(default={})
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    cancelled_at = Timestamptz(null=True, default=None)


class OutboxMessage(Table, db=DB, tablename="outbox_message"):
    """An email that must be sent, written in the transaction of the change that causes it."""

    kind = Varchar(length=60, required=True)
    event = ForeignKey(references=Event, null=True, on_delete=OnDelete.cascade)
    registration = ForeignKey(references=Registration, null=True, on_delete=OnDelete.cascade)
    recipient = Varchar(length=320, required=True)
    language = Varchar(length=10, default="en")
    payload = JSONB(default={})
    calendar_method = Varchar(length=10, null=True, default=None)
    calendar_sequence = Integer(null=True, default=None)
    status = Varchar(length=10, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    lease_until = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    message_id = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
