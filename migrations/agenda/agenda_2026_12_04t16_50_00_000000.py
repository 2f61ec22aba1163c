"""CHECK constraint for the session kind (the StrEnum SessionKind in events_app/domain/vocab.py on this date)."""
from events_app.db.raw_migration import statements_migration

ID = "2026-12-04T16:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "session kind constraint"

STATEMENTS = [
    "ALTER TABLE agenda_session ADD CONSTRAINT agenda_session_kind CHECK (kind IN ('plenary', 'panel', 'workshop',"
    " 'talk', 'side_event', 'site_visit', 'networking', 'break'))",
]


async def forwards():
    return statements_migration(ID, "agenda", DESCRIPTION, STATEMENTS)
