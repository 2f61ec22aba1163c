"""Constraints and indexes for calendar updates, announcements and message de-duplication."""
from events_app.db.raw_migration import statements_migration

ID = "2026-11-22T04:41:55:086786"
VERSION = "1.38.0"
DESCRIPTION = "notification constraints"

STATEMENTS = [
    # A reminder, an announcement copy or an update for one person exists at most once, however often a task runs.
    "CREATE UNIQUE INDEX outbox_dedupe ON outbox_message (dedupe_key) WHERE dedupe_key IS NOT NULL",
    # At most one open (not yet sent) update per calendar object: later changes join it.
    "CREATE UNIQUE INDEX calendar_update_open ON calendar_update (subject, subject_id) WHERE done_at IS NULL",
    "CREATE INDEX calendar_update_due ON calendar_update (due_at) WHERE done_at IS NULL",
    "ALTER TABLE calendar_update ADD CONSTRAINT calendar_update_subject CHECK (subject IN ('event', 'session'))",
    "ALTER TABLE announcement ADD CONSTRAINT announcement_status CHECK (status IN ('draft', 'sent'))",
    "ALTER TABLE event ADD CONSTRAINT event_update_delay CHECK (update_delay_minutes BETWEEN 0 AND 1440)",
]


async def forwards():
    return statements_migration(ID, "events", DESCRIPTION, STATEMENTS)
