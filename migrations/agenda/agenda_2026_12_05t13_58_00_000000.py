"""Speaker biographies (issue 16): what an organizer writes about a speaker, moderator or panelist for one event,
shown with their sessions and in the schedule exports (where it takes the place of a biography a schedule file
gave). Per event, so one event's text never shows at another; erasing the person removes it."""

from events_app.db.raw_migration import statements_migration

ID = "2026-12-05T13:58:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "speaker biographies per event"

STATEMENTS = [
    """CREATE TABLE speaker_profile (
           event integer NOT NULL REFERENCES event (id) ON DELETE CASCADE,
           person integer NOT NULL REFERENCES person (id) ON DELETE CASCADE,
           biography text NOT NULL,
           updated_at timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (event, person))""",
    "CREATE INDEX speaker_profile_by_person ON speaker_profile (person)",
]


async def forwards():
    return statements_migration(ID, "agenda", DESCRIPTION, STATEMENTS)
