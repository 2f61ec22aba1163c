"""Piccolo tables of pilot projects and their meeting series (Piccolo app "meetings").

People and organizations are rows of the core app's `person` and `organization` tables. An occurrence is named by
its original start in UTC (`recurrence_id`), which never changes when the occurrence moves.
"""

from __future__ import annotations

import uuid

from piccolo.columns import (
    JSONB,
    UUID,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamp,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from events_app.db.engine import DB
from events_app.db.tables import Account, Organization, Person


class PilotProject(Table, db=DB, tablename="pilot_project"):
    """A group of member cities and partners moving one project forward between congresses."""

    title = Varchar(length=300, required=True)
    theme = Varchar(length=200, default="")
    description = Text(default="")
    coordinating_organization = ForeignKey(references=Organization, null=True, on_delete=OnDelete.set_null)
    organizer_email = Varchar(length=320, default="")  # ORGANIZER of every invite; REPLYs come back here
    organizer_name = Varchar(length=200, default="")
    feed_nonce = Varchar(length=32, required=True)
    feed_hash = Varchar(length=64, unique=True, required=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    status = Varchar(length=20, default="active")  # domain.vocab.ProjectStatus
    cancelled_at = Timestamptz(null=True, default=None)


class ProjectCoordinator(Table, db=DB, tablename="project_coordinator"):
    """Which accounts manage which pilot project."""

    project = ForeignKey(references=PilotProject, on_delete=OnDelete.cascade, required=True)
    account = ForeignKey(references=Account, on_delete=OnDelete.cascade, required=True)
    role = Varchar(length=20, default="coordinator")


class ProjectMember(Table, db=DB, tablename="project_member"):
    """An organization of the cohort; left_at set when it leaves (the row stays for attendance history)."""

    project = ForeignKey(references=PilotProject, on_delete=OnDelete.cascade, required=True)
    organization = ForeignKey(references=Organization, on_delete=OnDelete.restrict, required=True)
    joined_at = Timestamptz(default=TimestamptzNow())
    left_at = Timestamptz(null=True, default=None)


class ProjectContact(Table, db=DB, tablename="project_contact"):
    """A contact person of a cohort organization: receives every meeting series of the project while active."""

    project = ForeignKey(references=PilotProject, on_delete=OnDelete.cascade, required=True)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, required=True)
    organization = ForeignKey(references=Organization, on_delete=OnDelete.restrict, required=True)
    joined_at = Timestamptz(default=TimestamptzNow())
    left_at = Timestamptz(null=True, default=None)
    # The name the coordinator typed (NULL on older rows: the person's own); what the project shows, never the profile.
    display_name = Varchar(length=200, null=True, default=None)


class MeetingSeries(Table, db=DB, tablename="meeting_series"):
    """One calendar object for life: calendar_uid never changes; calendar_sequence grows with every change of
    time, place, status or rule (and with every occurrence moved or cancelled), in the changing transaction."""

    project = ForeignKey(references=PilotProject, on_delete=OnDelete.cascade, required=True)
    title = Varchar(length=300, required=True)
    description = Text(default="")
    mode = Varchar(length=10, required=True)
    location = Varchar(length=500, default="")
    online_url = Varchar(length=500, default="")
    timezone = Varchar(length=64, required=True)
    start_local = Timestamp(required=True)  # wall-clock start of the first occurrence in `timezone`
    duration_minutes = Integer(required=True)
    rrule = Varchar(length=300, null=True, default=None)
    first_start = Timestamptz(required=True)
    last_end = Timestamptz(required=True)
    host_rotation = JSONB(default=[])
    status = Varchar(length=12, default="active")
    calendar_uid = UUID(default=uuid.uuid4, unique=True)
    calendar_sequence = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class MeetingAgendaItem(Table, db=DB, tablename="meeting_agenda_item"):
    series = ForeignKey(references=MeetingSeries, on_delete=OnDelete.cascade, required=True)
    position = Integer(required=True)
    title = Varchar(length=300, required=True)
    duration_minutes = Integer(null=True, default=None)
    presenter = Varchar(length=200, default="")


class MeetingOccurrence(Table, db=DB, tablename="meeting_occurrence"):
    """What differs for one occurrence (moved, new place, cancelled) and what happened at it (minutes)."""

    series = ForeignKey(references=MeetingSeries, on_delete=OnDelete.cascade, required=True)
    recurrence_id = Timestamptz(required=True)
    starts_at = Timestamptz(null=True, default=None)
    ends_at = Timestamptz(null=True, default=None)
    location = Varchar(length=500, null=True, default=None)
    online_url = Varchar(length=500, null=True, default=None)
    cancelled = Boolean(default=False)
    sequence = Integer(default=0)  # calendar_sequence of the series when this override last changed
    minutes = Text(default="")
    updated_at = Timestamptz(default=TimestamptzNow())


class MeetingInvitee(Table, db=DB, tablename="meeting_invitee"):
    """Who has been sent the series (the only people whose answers count). The RSVP token is never stored."""

    series = ForeignKey(references=MeetingSeries, on_delete=OnDelete.cascade, required=True)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, required=True)
    organization = ForeignKey(references=Organization, null=True, on_delete=OnDelete.set_null)
    token_nonce = Varchar(length=32, required=True)
    token_hash = Varchar(length=64, unique=True, required=True)
    invited_at = Timestamptz(default=TimestamptzNow())
    withdrawn_at = Timestamptz(null=True, default=None)
    # The per-recipient ORGANIZER address's token (domain/replies.py) derives from reply_nonce; a re-invited person
    # keeps it, so their ORGANIZER never changes. reply_hash = digest(token), set once the token was first sent.
    reply_nonce = Varchar(length=32, default="")
    reply_hash = Varchar(length=64, null=True, default=None, index=True)


class MeetingRsvp(Table, db=DB, tablename="meeting_rsvp"):
    """An answer: for one occurrence (recurrence_id) or for the whole series (recurrence_id NULL)."""

    series = ForeignKey(references=MeetingSeries, on_delete=OnDelete.cascade, required=True)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, required=True)
    recurrence_id = Timestamptz(null=True, default=None)
    partstat = Varchar(length=12, required=True)
    source = Varchar(length=10, required=True)  # link or imip
    answered_at = Timestamptz(required=True)


class MeetingAttendance(Table, db=DB, tablename="meeting_attendance"):
    """Who was at an occurrence, with the organization they came for at the time."""

    series = ForeignKey(references=MeetingSeries, on_delete=OnDelete.cascade, required=True)
    recurrence_id = Timestamptz(required=True)
    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, required=True)
    organization = ForeignKey(references=Organization, null=True, on_delete=OnDelete.set_null)


class MeetingAction(Table, db=DB, tablename="meeting_action"):
    """An action item raised at an occurrence; it is on every later occurrence's list until done."""

    series = ForeignKey(references=MeetingSeries, on_delete=OnDelete.cascade, required=True)
    raised_at = Timestamptz(required=True)  # recurrence_id of the occurrence that raised it
    title = Varchar(length=500, required=True)
    owner = ForeignKey(references=Person, null=True, on_delete=OnDelete.set_null)
    due_date = Date(null=True, default=None)
    done_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class PersonCalendar(Table, db=DB, tablename="person_calendar"):
    """The secret of a person's meeting feed (GET /api/people/{token}/calendar.ics): only its nonce and hash."""

    person = ForeignKey(references=Person, on_delete=OnDelete.cascade, required=True, unique=True)
    token_nonce = Varchar(length=32, required=True)
    token_hash = Varchar(length=64, unique=True, required=True)


class InboundReply(Table, db=DB, tablename="meeting_inbound_reply"):
    """Every iMIP message the inbound endpoint received and what became of it (accepted or why rejected)."""

    received_at = Timestamptz(default=TimestamptzNow())
    sender = Varchar(length=320, default="")
    calendar_uid = Varchar(length=255, default="")
    attendee = Varchar(length=320, default="")
    recurrence_id = Timestamptz(null=True, default=None)
    partstat = Varchar(length=20, default="")
    outcome = Varchar(length=10, required=True)
    reason = Text(default="")
    reason_code = Varchar(length=30, default="")  # a key of domain.replies.REJECTION_REASONS, empty if heard
    # The series the reply is about (its UID) or, failing that, whose invitation's reply address it came to:
    # the coordinators of that series' project see it.
    series = ForeignKey(references=MeetingSeries, null=True, on_delete=OnDelete.cascade)
