"""Constraints the Piccolo column API cannot express for pilot projects and meeting series."""

from events_app.db.raw_migration import statements_migration

ID = "2026-11-22T04:33:26:000000"
VERSION = "1.38.0"
DESCRIPTION = "meeting integrity constraints and indexes"

STATEMENTS = [
    "CREATE UNIQUE INDEX project_coordinator_unique ON project_coordinator (project, account)",
    "CREATE UNIQUE INDEX project_member_active ON project_member (project, organization) WHERE left_at IS NULL",
    "CREATE UNIQUE INDEX project_contact_active ON project_contact (project, person) WHERE left_at IS NULL",
    "CREATE UNIQUE INDEX meeting_invitee_active ON meeting_invitee (series, person) WHERE withdrawn_at IS NULL",
    "CREATE UNIQUE INDEX meeting_occurrence_unique ON meeting_occurrence (series, recurrence_id)",
    # One answer per person for the whole series (NULL) and one per occurrence.
    "CREATE UNIQUE INDEX meeting_rsvp_unique ON meeting_rsvp (series, person, recurrence_id) NULLS NOT DISTINCT",
    "CREATE UNIQUE INDEX meeting_attendance_unique ON meeting_attendance (series, recurrence_id, person)",
    "CREATE UNIQUE INDEX meeting_agenda_position ON meeting_agenda_item (series, position)",
    "ALTER TABLE meeting_series ADD CONSTRAINT meeting_series_mode CHECK (mode IN ('in_person', 'online', 'hybrid'))",
    "ALTER TABLE meeting_series ADD CONSTRAINT meeting_series_status CHECK (status IN ('active', 'cancelled'))",
    "ALTER TABLE meeting_series ADD CONSTRAINT meeting_series_duration CHECK (duration_minutes > 0)",
    "ALTER TABLE meeting_series ADD CONSTRAINT meeting_series_sequence CHECK (calendar_sequence >= 0)",
    "ALTER TABLE meeting_occurrence ADD CONSTRAINT meeting_occurrence_times"
    " CHECK ((starts_at IS NULL) = (ends_at IS NULL) AND (ends_at IS NULL OR ends_at > starts_at))",
    "ALTER TABLE meeting_rsvp ADD CONSTRAINT meeting_rsvp_partstat"
    " CHECK (partstat IN ('ACCEPTED', 'DECLINED', 'TENTATIVE'))",
    "ALTER TABLE meeting_inbound_reply ADD CONSTRAINT meeting_inbound_outcome"
    " CHECK (outcome IN ('accepted', 'rejected'))",
    "CREATE INDEX meeting_series_by_project ON meeting_series (project, first_start)",
    "CREATE INDEX meeting_action_by_series ON meeting_action (series, raised_at)",
    "CREATE INDEX project_contact_by_person ON project_contact (person) WHERE left_at IS NULL",
]


async def forwards():
    return statements_migration(ID, "meetings", DESCRIPTION, STATEMENTS)
