"""Repair stored names, titles and subjects that hold control characters (migration of the "input" change).

Values stored before the one text rule (events_app.domain.text) could hold CR, LF, NUL-free control characters or
U+2028/U+2029; such a name broke every later email to its person. Each affected value is rewritten by the rule's
own repair functions, in Python, so the migration and the running service apply exactly the same rule:
single-line columns with repair_line (each run of control characters becomes one space; NFC; trimmed),
multi-line columns with repair_text (CRLF, CR, U+2028/U+2029 become LF; other control characters one space).
PostgreSQL text cannot hold NUL, so NUL never needs repairing here.

Only rows whose value matches the rule's forbidden characters are read (a regular expression with the same
character classes). Tables or columns that do not exist (yet) are skipped: a fresh database has nothing to repair,
and `registration.name` is repaired where the registration keeps its own copy of the name. A repaired value that
would collide with a unique one (two rooms of an event, two offices) keeps its old value and is logged, so the
migration never fails on data.
"""
import logging

import asyncpg
from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from events_app.db.engine import connection
from events_app.domain.text import LINE_FORBIDDEN, TEXT_FORBIDDEN, repair_line, repair_text

ID = "2026-12-04T17:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "repair stored text that holds control characters"

log = logging.getLogger(__name__)

SINGLE_LINE = {
    "person": ("name",),
    "account": ("name",),
    "organization": ("name",),
    "office": ("name", "region"),
    "event": ("title", "venue_name", "venue_address", "city", "online_url", "organizer_name", "organizer_email",
              "reply_to"),
    "registration_category": ("name",),
    "question": ("label",),
    "invitation": ("name",),
    "registration": ("name",),
    "announcement": ("subject",),
    "agenda_room": ("name",),
    "agenda_track": ("name",),
    "agenda_session": ("title", "online_url"),
    "pilot_project": ("title", "theme", "organizer_name", "organizer_email"),
    "meeting_series": ("title", "location", "online_url"),
    "meeting_agenda_item": ("title", "presenter"),
    "meeting_occurrence": ("location", "online_url"),
    "meeting_action": ("title",),
}
MULTI_LINE = {
    "event": ("description",),
    "announcement": ("body",),
    "agenda_room": ("accessibility",),
    "agenda_session": ("abstract",),
    "pilot_project": ("description",),
    "meeting_series": ("description",),
    "meeting_occurrence": ("minutes",),
}
# PostgreSQL regular expressions (ARE) with the rule's character classes; NUL is left out (text cannot hold it).
LINE_PATTERN = "[" + LINE_FORBIDDEN.replace("\x00-", "\x01-") + "]"
TEXT_PATTERN = "[\r\u2028\u2029" + TEXT_FORBIDDEN.replace("\x00-", "\x01-") + "]"


async def _columns(conn) -> set[tuple[str, str]]:
    rows = await conn.fetch("SELECT table_name, column_name FROM information_schema.columns"
                            " WHERE table_schema = current_schema()")
    return {(r["table_name"], r["column_name"]) for r in rows}


async def _repair(conn, table: str, column: str, pattern: str, repair) -> int:
    # Table and column names come from the constant lists above, never from input.
    rows = await conn.fetch(f'SELECT id, "{column}" AS value FROM "{table}" WHERE "{column}" ~ $1', pattern)
    repaired = 0
    for row in rows:
        try:
            async with conn.transaction():  # a savepoint: one refused value does not undo the others
                await conn.execute(f'UPDATE "{table}" SET "{column}" = $2 WHERE id = $1', row["id"],
                                   repair(row["value"]))
            repaired += 1
        except asyncpg.UniqueViolationError as exc:  # the repaired value would collide: keep the old one
            log.warning("not repaired: %s.%s of id %s (%s)", table, column, row["id"], exc)
    return repaired


async def repair_stored_text() -> None:
    """Run inside the migration's transaction (the Piccolo engine's current connection)."""
    conn = connection()
    present = await _columns(conn)
    for columns, pattern, repair in ((SINGLE_LINE, LINE_PATTERN, repair_line),
                                     (MULTI_LINE, TEXT_PATTERN, repair_text)):
        for table, names in columns.items():
            for column in names:
                if (table, column) in present:
                    count = await _repair(conn, table, column, pattern, repair)
                    if count:
                        log.info("repaired %d values of %s.%s", count, table, column)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="events", description=DESCRIPTION)
    manager.add_raw(repair_stored_text)
    return manager
