"""Constraints the Piccolo column API cannot express: they keep the data right even if a bug slips through."""
from events_app.db.raw_migration import statements_migration

ID = "2026-11-22T04:19:17:946163"
VERSION = "1.38.0"
DESCRIPTION = "integrity constraints and partial indexes"

STATEMENTS = [
    # One active registration per person and event (flow 1 relies on it as a last line of defence).
    "CREATE UNIQUE INDEX registration_one_active ON registration (event, person)"
    " WHERE status IN ('pending', 'confirmed', 'waitlisted')",
    "CREATE UNIQUE INDEX registration_category_code ON registration_category (event, code)",
    "CREATE UNIQUE INDEX event_organizer_unique ON event_organizer (event, account)",
    "ALTER TABLE person ADD CONSTRAINT person_email_lower CHECK (email = lower(email))",
    "ALTER TABLE account ADD CONSTRAINT account_email_lower CHECK (email = lower(email))",
    "ALTER TABLE event ADD CONSTRAINT event_ends_after_start CHECK (ends_at > starts_at)",
    "ALTER TABLE event ADD CONSTRAINT event_status CHECK (status IN ('draft', 'published', 'cancelled'))",
    "ALTER TABLE event ADD CONSTRAINT event_capacity CHECK (capacity IS NULL OR confirmed_count <= capacity)",
    "ALTER TABLE event ADD CONSTRAINT event_confirmed_nonnegative CHECK (confirmed_count >= 0)",
    "ALTER TABLE registration_category ADD CONSTRAINT category_quota"
    " CHECK (quota IS NULL OR confirmed_count <= quota)",
    "ALTER TABLE registration_category ADD CONSTRAINT category_confirmed_nonnegative CHECK (confirmed_count >= 0)",
    "ALTER TABLE registration ADD CONSTRAINT registration_status"
    " CHECK (status IN ('pending', 'confirmed', 'waitlisted', 'cancelled', 'rejected'))",
    "ALTER TABLE outbox_message ADD CONSTRAINT outbox_status CHECK (status IN ('pending', 'sending', 'sent', 'failed'))",
    "CREATE INDEX outbox_due ON outbox_message (next_attempt_at) WHERE status = 'pending'",
    "CREATE INDEX outbox_by_event ON outbox_message (event, created_at)",
    "CREATE INDEX registration_by_event ON registration (event, status)",
    "CREATE INDEX auth_session_expiry ON auth_session (expires_at)",
]


async def forwards():
    return statements_migration(ID, "events", DESCRIPTION, STATEMENTS)
