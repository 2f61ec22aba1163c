"""What a coordinator types for a project contact lives on the contact row: adding a contact by address links to or
creates the person without changing their profile, and without showing it to the coordinator either, so the name
typed for the project is kept here and the project's pages, answers and reports show it (NULL on rows added before:
the person's own name, as until now). Erasure clears it."""

from events_app.db.raw_migration import statements_migration

ID = "2026-12-07T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "project contact display name"

STATEMENTS = [
    "ALTER TABLE project_contact ADD COLUMN display_name varchar(200) NULL",
]


async def forwards():
    return statements_migration(ID, "meetings", DESCRIPTION, STATEMENTS)
