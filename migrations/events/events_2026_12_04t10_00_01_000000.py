"""(identity) Existing registrations keep the person's details as they were when this change was deployed, so
their emails and pages do not change; indexes for the access links and sessions."""
from events_app.db.raw_migration import statements_migration

ID = "2026-12-04T10:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "backfill registration snapshots, access link indexes"

STATEMENTS = [
    "UPDATE registration r SET registered_name = p.name, registered_organization = p.organization,"
    " registered_language = p.language, registered_timezone = p.timezone FROM person p WHERE p.id = r.person",
    "CREATE INDEX person_access_link_person ON person_access_link (person, created_at)",
    "CREATE INDEX person_session_person ON person_session (person)",
    "CREATE INDEX person_session_expiry ON person_session (expires_at)",
]


async def forwards():
    return statements_migration(ID, "events", DESCRIPTION, STATEMENTS)
