"""Check-in: the winning check-ins of a batch's people are read by the statement that locks their places.

A batch of scans locks each person's place (an advisory lock per registration and place) and then needs the
check-ins recorded there so far, including one a desk committed while this batch waited for the lock. A statement
sees what was committed when it began, so that read was a statement of its own, one more round trip for every
scan a desk sends. `checkin_firsts` reads them instead: a VOLATILE function takes a fresh snapshot for its query,
and the statement calls it once, after every lock is taken.
"""

from events_app.db.raw_migration import statements_migration

ID = "2026-12-07T12:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "checkin_firsts"

STATEMENTS = [
    """CREATE FUNCTION checkin_firsts(registrations integer[], sessions integer[])
       RETURNS TABLE (registration integer, session integer, scan bigint, checked_in_at timestamptz,
                      device varchar)
       LANGUAGE sql VOLATILE AS $$
           SELECT a.registration, a.session, a.scan, a.checked_in_at, a.device
           FROM attendance a
           WHERE (a.registration, a.session) IN (SELECT * FROM unnest(registrations, sessions))
       $$""",
]


async def forwards():
    return statements_migration(ID, "events", DESCRIPTION, STATEMENTS)
