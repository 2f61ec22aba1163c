"""Answers that count (calendar replies): registration and session invites get per-recipient reply addresses and
their answers are stored; attendees' proposals (COUNTER) and delegations wait for the coordinator; organizers and
coordinators choose whether a decline releases a seat and whether a delegate joins without asking.

In the meetings app because its migrations run after the events and agenda apps' (calendar_answer names an agenda
session).
"""

from events_app.db.raw_migration import statements_migration

ID = "2026-12-05T13:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "calendar answers of registrations and sessions; proposals and delegations of meeting series"

STATEMENTS = [
    # DECLINECOUNTER (the organizer's "no" to a proposed time) is longer than the 10 characters REQUEST/CANCEL needed
    "ALTER TABLE outbox_message ALTER COLUMN calendar_method TYPE varchar(16)",
    "ALTER TABLE event ADD COLUMN decline_releases_seat boolean NOT NULL DEFAULT false",
    "ALTER TABLE pilot_project ADD COLUMN allow_delegation boolean NOT NULL DEFAULT false",
    """CREATE TABLE event_reply_address (
           id serial PRIMARY KEY,
           event integer NOT NULL REFERENCES event (id) ON DELETE CASCADE,
           person integer NOT NULL REFERENCES person (id) ON DELETE CASCADE,
           reply_nonce varchar(32) NOT NULL,
           reply_hash varchar(64) UNIQUE,
           created_at timestamptz NOT NULL DEFAULT now(),
           UNIQUE (event, person))""",
    """CREATE TABLE calendar_answer (
           id serial PRIMARY KEY,
           event integer NOT NULL REFERENCES event (id) ON DELETE CASCADE,
           person integer NOT NULL REFERENCES person (id) ON DELETE CASCADE,
           session integer REFERENCES agenda_session (id) ON DELETE CASCADE,
           partstat varchar(12) NOT NULL CHECK (partstat IN ('ACCEPTED', 'DECLINED', 'TENTATIVE')),
           answered_at timestamptz NOT NULL,
           release_nonce varchar(32),
           release_hash varchar(64) UNIQUE,
           released_at timestamptz)""",
    "CREATE UNIQUE INDEX calendar_answer_one_per_object ON calendar_answer (event, person, coalesce(session, 0))",
    "ALTER TABLE meeting_inbound_reply ADD COLUMN event integer REFERENCES event (id) ON DELETE CASCADE",
    "CREATE INDEX meeting_inbound_reply_by_event ON meeting_inbound_reply (event, received_at)",
    """CREATE TABLE meeting_proposal (
           id serial PRIMARY KEY,
           series integer NOT NULL REFERENCES meeting_series (id) ON DELETE CASCADE,
           person integer NOT NULL REFERENCES person (id) ON DELETE CASCADE,
           recurrence_id timestamptz,
           proposed_start timestamptz NOT NULL,
           proposed_end timestamptz NOT NULL CHECK (proposed_end > proposed_start),
           comment text NOT NULL DEFAULT '',
           method varchar(16) NOT NULL,
           status varchar(10) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined')),
           received_at timestamptz NOT NULL DEFAULT now(),
           decided_at timestamptz)""",
    "CREATE INDEX meeting_proposal_by_series ON meeting_proposal (series, received_at)",
    """CREATE TABLE meeting_delegation (
           id serial PRIMARY KEY,
           series integer NOT NULL REFERENCES meeting_series (id) ON DELETE CASCADE,
           delegator integer NOT NULL REFERENCES person (id) ON DELETE CASCADE,
           delegate_email varchar(320) NOT NULL,
           delegate_name varchar(200) NOT NULL DEFAULT '',
           delegate integer REFERENCES person (id) ON DELETE SET NULL,
           status varchar(10) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'declined')),
           received_at timestamptz NOT NULL DEFAULT now(),
           decided_at timestamptz,
           UNIQUE (series, delegator, delegate_email))""",
]


async def forwards():
    return statements_migration(ID, "meetings", DESCRIPTION, STATEMENTS)
