"""Constraints and indexes of the registration engine (waiting lists, delegations, invitations, retries)."""
from events_app.db.raw_migration import statements_migration

ID = "2026-11-22T04:29:36:481317"
VERSION = "1.38.0"
DESCRIPTION = "registration engine constraints"

STATEMENTS = [
    "ALTER TABLE registration DROP CONSTRAINT registration_status",
    "ALTER TABLE registration ADD CONSTRAINT registration_status"
    " CHECK (status IN ('pending', 'confirmed', 'offered', 'waitlisted', 'cancelled', 'rejected'))",
    "DROP INDEX registration_one_active",
    "CREATE UNIQUE INDEX registration_one_active ON registration (event, person)"
    " WHERE status IN ('pending', 'confirmed', 'offered', 'waitlisted')",
    "CREATE SEQUENCE registration_waitlist_order",
    "CREATE INDEX registration_waitlist ON registration (event, waitlist_seq) WHERE status = 'waitlisted'",
    "CREATE INDEX registration_offers ON registration (offer_expires_at) WHERE status = 'offered'",
    "CREATE INDEX registration_by_delegation ON registration (delegation) WHERE delegation IS NOT NULL",
    "ALTER TABLE event ADD CONSTRAINT event_waitlist_mode CHECK (waitlist_mode IN ('auto', 'offer'))",
    "ALTER TABLE event ADD CONSTRAINT event_offer_hours CHECK (offer_hours BETWEEN 1 AND 720)",
    "CREATE UNIQUE INDEX question_code ON question (event, code)",
    "CREATE UNIQUE INDEX delegation_one_per_organization ON delegation (event, organization)",
    "ALTER TABLE delegation ADD CONSTRAINT delegation_seats CHECK (seat_quota >= 1)",
    "CREATE UNIQUE INDEX access_code_unique ON access_code (event, upper(code))",
    "ALTER TABLE access_code ADD CONSTRAINT access_code_uses CHECK (uses <= max_uses)",
    "CREATE UNIQUE INDEX idempotency_key_unique ON idempotency_key (scope, key)",
    "CREATE INDEX idempotency_key_age ON idempotency_key (created_at)",
]


async def forwards():
    return statements_migration(ID, "events", DESCRIPTION, STATEMENTS)
