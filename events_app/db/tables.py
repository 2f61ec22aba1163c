"""Piccolo tables. Rules about what values mean live in events_app.domain, not here."""

from __future__ import annotations

import uuid

from piccolo.columns import (
    JSONB,
    UUID,
    BigInt,
    Boolean,
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
    announcements_opt_out = Boolean(default=False)
    erased_at = Timestamptz(null=True, default=None)  # anonymized on request or after retention
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


class PasswordReset(Table, db=DB, tablename="password_reset"):
    """An emailed password reset link: short-lived and single-use. The link's token is an HMAC of the stored nonce
    under SECRET_KEY; only the nonce and the token's SHA-256 are stored."""

    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, required=True)
    token_nonce = Varchar(length=64, required=True)
    token_hash = Varchar(length=64, unique=True, required=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(required=True)
    used_at = Timestamptz(null=True, default=None)


class Office(Table, db=DB):
    """A regional office of the network; its staff manage every event assigned to it."""

    name = Varchar(length=200, unique=True, required=True)
    region = Varchar(length=60, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class OfficeStaff(Table, db=DB, tablename="office_staff"):
    """Which accounts work for which regional office."""

    office = ForeignKey(references=Office, on_delete=OnDelete.cascade, required=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, required=True)


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
    confirmed_count = Integer(default=0)  # seats held: confirmed registrations plus open waiting-list offers
    waitlist_mode = Varchar(length=10, default="auto")  # auto: promote at once; offer: time-limited offer
    offer_hours = Integer(default=48)
    update_delay_minutes = Integer(default=10)  # calendar changes inside this window go out as one update
    reminder_hours = JSONB(default=[24])  # reminders this many hours before the start
    session_reminder_minutes = Integer(default=30)  # before each booked session; 0 sends none
    reply_to = Varchar(length=320, default="")
    organizer_email = Varchar(length=320, default="")
    organizer_name = Varchar(length=200, default="")
    calendar_uid = UUID(default=uuid.uuid4, unique=True)
    calendar_sequence = Integer(default=0)
    office = ForeignKey(references=Office, null=True, on_delete=OnDelete.set_null)  # its staff manage the event
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
    opens_at = Timestamptz(null=True, default=None)
    closes_at = Timestamptz(null=True, default=None)


class Question(Table, db=DB):
    """A custom registration question of an event; answers are validated by domain.questions."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, required=True)
    code = Varchar(length=40, required=True)
    label = Varchar(length=300, required=True)
    kind = Varchar(length=20, required=True)
    required = Boolean(default=False)
    options = JSONB(default=[])
    position = Integer(default=0)


class Delegation(Table, db=DB):
    """One organization's group at one event: a head of delegation and a number of seats."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, required=True)
    organization = ForeignKey(references=Organization, on_delete=OnDelete.restrict, required=True)
    category = ForeignKey(references=RegistrationCategory, on_delete=OnDelete.restrict, required=True)
    seat_quota = Integer(required=True)
    head_person = ForeignKey(references=Person, on_delete=OnDelete.restrict, required=True)
    created_at = Timestamptz(default=TimestamptzNow())


class Invitation(Table, db=DB):
    """A single-use, expiring invitation by email; unlocks its category (invitation-only categories too)."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, required=True)
    category = ForeignKey(references=RegistrationCategory, on_delete=OnDelete.cascade, required=True)
    email = Varchar(length=320, required=True)
    name = Varchar(length=200, default="")
    token_nonce = Varchar(length=32, required=True)
    token_hash = Varchar(length=64, unique=True, required=True)
    expires_at = Timestamptz(required=True)
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class AccessCode(Table, db=DB, tablename="access_code"):
    """A code handed out by organizers (e.g. to a partner) that unlocks a category a limited number of times."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, required=True)
    category = ForeignKey(references=RegistrationCategory, on_delete=OnDelete.cascade, required=True)
    code = Varchar(length=40, required=True)
    max_uses = Integer(required=True)
    uses = Integer(default=0)
    expires_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Registration(Table, db=DB):
    """Person x event x category. The manage token is never stored: only its nonce and its hash."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, required=True)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, required=True)
    category = ForeignKey(references=RegistrationCategory, on_delete=OnDelete.restrict, required=True)
    status = Varchar(length=12, required=True)
    token_nonce = Varchar(length=32, required=True)
    token_hash = Varchar(length=64, unique=True, required=True)
    # Least-power links (read-only page, personal feed): nonce drawn by the database, digest written when the link
    # is first built (services/registration/registration_links.py).
    view_nonce = Varchar(length=32, null=True, default=None)
    view_hash = Varchar(length=64, unique=True, null=True, default=None)
    feed_nonce = Varchar(length=32, null=True, default=None)
    feed_hash = Varchar(length=64, unique=True, null=True, default=None)
    answers = JSONB(default={})
    delegation = ForeignKey(references=Delegation, null=True, on_delete=OnDelete.set_null)
    invitation = ForeignKey(references=Invitation, null=True, on_delete=OnDelete.set_null)
    access_code = ForeignKey(references=AccessCode, null=True, on_delete=OnDelete.set_null)
    waitlist_seq = BigInt(null=True, default=None)  # order on the waiting list (positions are computed)
    offer_expires_at = Timestamptz(null=True, default=None)
    cancel_reason = Varchar(length=30, default="")
    consent_version = Varchar(length=40, null=True, default=None)  # privacy policy accepted; NULL: entered by staff
    consent_at = Timestamptz(null=True, default=None)
    anonymized_at = Timestamptz(null=True, default=None)  # erased or past retention: no longer tied to a person
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    cancelled_at = Timestamptz(null=True, default=None)
    # What the registrant typed, kept here: a registration never changes the person's profile (anyone may
    # register any address), and its emails, pages and API answers show these, never the stored profile.
    registered_name = Varchar(length=200, default="")
    registered_organization = ForeignKey(references=Organization, null=True, on_delete=OnDelete.set_null)
    registered_language = Varchar(length=10, default="en")
    registered_timezone = Varchar(length=64, null=True, default=None)


class PersonAccessLink(Table, db=DB, tablename="person_access_link"):
    """A single-use link to act on the whole person, mailed to the address on file; only its nonce and hash."""

    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, required=True)
    token_nonce = Varchar(length=32, required=True)
    token_hash = Varchar(length=64, unique=True, required=True)
    expires_at = Timestamptz(required=True)
    used_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class PersonSession(Table, db=DB, tablename="person_session"):
    """A short session a person gets by using their access link; only the token's SHA-256 is stored."""

    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, required=True)
    token_hash = Varchar(length=64, unique=True, required=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(required=True)


class IdempotencyKey(Table, db=DB, tablename="idempotency_key"):
    """The first answer to a request sent with an Idempotency-Key, replayed for retries."""

    scope = Varchar(length=100, required=True)
    key = Varchar(length=200, required=True)
    request_hash = Varchar(length=64, required=True)
    registration = ForeignKey(references=Registration, null=True, on_delete=OnDelete.cascade)
    created_at = Timestamptz(default=TimestamptzNow())


class OutboxMessage(Table, db=DB, tablename="outbox_message"):
    """An email that must be sent, written in the transaction of the change that causes it."""

    kind = Varchar(length=60, required=True)
    event = ForeignKey(references=Event, null=True, on_delete=OnDelete.cascade)
    registration = ForeignKey(references=Registration, null=True, on_delete=OnDelete.cascade)
    recipient = Varchar(length=320, required=True)
    language = Varchar(length=10, default="en")
    payload = JSONB(default={})
    calendar_method = Varchar(length=16, null=True, default=None)
    calendar_sequence = Integer(null=True, default=None)
    status = Varchar(length=10, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    lease_until = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    message_id = Varchar(length=200, default="")
    dedupe_key = Varchar(length=200, null=True, default=None)  # a message that must exist at most once
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class CalendarUpdate(Table, db=DB, tablename="calendar_update"):
    """A calendar object whose attendees' copies are outdated, waiting for its update window to pass."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, required=True)
    subject = Varchar(length=20, required=True)  # 'event' or 'session'
    subject_id = Integer(required=True)
    changes = JSONB(default=[])
    due_at = Timestamptz(required=True)
    done_at = Timestamptz(null=True, default=None)
    recipients = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class Announcement(Table, db=DB):
    """A message from the organizers to an audience of an event."""

    event = ForeignKey(references=Event, on_delete=OnDelete.cascade, required=True)
    subject = Varchar(length=300, required=True)
    body = Text(required=True)
    audience = JSONB(default={})
    status = Varchar(length=10, default="draft")
    recipients = Integer(null=True, default=None)
    created_by = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class AuditLog(Table, db=DB, tablename="audit_log"):
    """Who changed what and when, with the values before and after; written in the transaction of the change.

    event and project are plain ids (no foreign keys) so the trail outlives what it describes.
    """

    at = Timestamptz(default=TimestamptzNow())
    account = ForeignKey(references=Account, null=True, on_delete=OnDelete.set_null)
    account_email = Varchar(length=320, default="")
    action = Varchar(length=60, required=True)
    subject_type = Varchar(length=40, required=True)
    subject_id = Varchar(length=100, default="")
    event = Integer(null=True, default=None)
    project = Integer(null=True, default=None)
    before = JSONB(null=True, default=None)
    after = JSONB(null=True, default=None)
