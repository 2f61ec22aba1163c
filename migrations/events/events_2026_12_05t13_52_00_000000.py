"""Announcements in the network's languages (issue 16): an announcement's subject and body can be given in each
translated language, stored like the event's other translated texts; each recipient gets their language, the
original where none was given (services.messaging.announcements)."""

from events_app.db.raw_migration import statements_migration

ID = "2026-12-05T13:52:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "translations of announcements"

STATEMENTS = [
    "ALTER TABLE content_translation DROP CONSTRAINT content_translation_subject_check",
    """ALTER TABLE content_translation ADD CONSTRAINT content_translation_subject_check
           CHECK (subject IN ('event', 'category', 'question', 'announcement'))""",
]


async def forwards():
    return statements_migration(ID, "events", DESCRIPTION, STATEMENTS)
