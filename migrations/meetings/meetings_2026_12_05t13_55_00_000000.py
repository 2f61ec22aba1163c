"""A pilot project knows whether it was cancelled (issue 14): cancelling a project cancels its meeting series (each
invitee gets that series' CANCEL) and marks the project cancelled, so no new series can start in it and its pages
and API say so."""

from events_app.db.raw_migration import statements_migration

ID = "2026-12-05T13:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "pilot project status"

STATEMENTS = [
    """ALTER TABLE pilot_project
           ADD COLUMN status varchar(20) NOT NULL DEFAULT 'active'
               CONSTRAINT pilot_project_status CHECK (status IN ('active', 'cancelled')),
           ADD COLUMN cancelled_at timestamptz""",
]


async def forwards():
    return statements_migration(ID, "meetings", DESCRIPTION, STATEMENTS)
