"""What a schedule file says beyond the agenda's own columns, kept so that an export of an import reproduces the
original (schedule exchange): per event its source (acronym, zone, day change, and the scope that keeps a file's
numeric person ids from meaning the same person in another event); per session its source ids, slug, type,
languages, texts as given, links and recording; per person and event the name, biography and ids the source gave
(the person's own profile is never changed by a file); per room the guid the source gave."""

from events_app.db.raw_migration import statements_migration

ID = "2026-12-05T13:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "schedule exchange sources"

STATEMENTS = [
    """CREATE TABLE exchange_source (
        event integer PRIMARY KEY REFERENCES event (id) ON DELETE CASCADE,
        scope uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
        day_change time NULL,
        organizer_day_change time NULL,
        data jsonb NOT NULL DEFAULT '{}'::jsonb,
        updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
    )""",
    """CREATE TABLE exchange_session (
        session integer PRIMARY KEY REFERENCES agenda_session (id) ON DELETE CASCADE,
        data jsonb NOT NULL DEFAULT '{}'::jsonb
    )""",
    """CREATE TABLE exchange_person (
        event integer NOT NULL REFERENCES event (id) ON DELETE CASCADE,
        source_key text NOT NULL,
        person integer NOT NULL REFERENCES person (id) ON DELETE CASCADE,
        data jsonb NOT NULL DEFAULT '{}'::jsonb,
        PRIMARY KEY (event, source_key)
    )""",
    "CREATE INDEX exchange_person_person ON exchange_person (person)",
    """CREATE TABLE exchange_room (
        room integer PRIMARY KEY REFERENCES agenda_room (id) ON DELETE CASCADE,
        source_guid uuid NOT NULL
    )""",
]


async def forwards():
    return statements_migration(ID, "agenda", DESCRIPTION, STATEMENTS)
