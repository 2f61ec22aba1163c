"""Organizer content in the network's languages: an event's title and description, its category names and its
questions (label and options) given in other languages than the one they were written in. Each reader sees their
language where a translation exists and the original elsewhere (domain.content.localize_event)."""

from events_app.db.raw_migration import statements_migration

ID = "2026-12-05T13:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "translations of organizer content"

STATEMENTS = [
    """CREATE TABLE content_translation (
           event integer NOT NULL REFERENCES event (id) ON DELETE CASCADE,
           subject varchar(20) NOT NULL CHECK (subject IN ('event', 'category', 'question')),
           subject_id integer NOT NULL,
           language varchar(10) NOT NULL,
           field varchar(20) NOT NULL,
           text text NOT NULL,
           updated_at timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (subject, subject_id, language, field))""",
    "CREATE INDEX content_translation_by_event ON content_translation (event, language)",
]


async def forwards():
    return statements_migration(ID, "events", DESCRIPTION, STATEMENTS)
