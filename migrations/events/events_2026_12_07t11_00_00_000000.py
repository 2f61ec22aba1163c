"""Who an event's attendance counts, in one place (the dashboard's totals and breakdowns and the report by
organization read it, so each sums to the others): a registration counts as registered when it is confirmed, or
when its holder was let in anywhere (a registration cancelled after check-in still came); present when admitted at
the door or in any session room, once per registration."""

from events_app.db.raw_migration import statements_migration

ID = "2026-12-07T11:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "attendance_counted"

STATEMENTS = [
    """CREATE VIEW attendance_counted AS
       SELECT r.id AS registration, r.event, r.category, r.registered_organization AS organization,
              EXISTS (SELECT 1 FROM attendance a WHERE a.registration = r.id) AS present
       FROM registration r
       WHERE r.status = 'confirmed' OR EXISTS (SELECT 1 FROM attendance a WHERE a.registration = r.id)""",
]


async def forwards():
    return statements_migration(ID, "events", DESCRIPTION, STATEMENTS)
