"""What an organizer says about a person in one session lives on the role row (migration of the organizer-scope
work, "scope"): adding a speaker by email links or creates the person without changing their profile (which only
the person or an administrator changes) and without showing it to the organizer, so the name and organization typed
for the session are kept here and the agenda shows them (else the person's own). Renaming an organization named by a
role also refreshes the agendas that show it."""

from events_app.db.raw_migration import statements_migration

ID = "2026-12-04T17:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "session role name and organization"

_TOUCH = """
    FOR changed_event IN {events} LOOP
        INSERT INTO agenda_state (event, version, updated_at) VALUES (changed_event, 1, clock_timestamp())
        ON CONFLICT (event) DO UPDATE SET version = agenda_state.version + 1, updated_at = clock_timestamp();
        PERFORM pg_notify('agenda_changed', changed_event::text);
    END LOOP;
"""

STATEMENTS = [
    "ALTER TABLE agenda_session_person ADD COLUMN organization integer NULL"
    " REFERENCES organization (id) ON DELETE SET NULL",
    "ALTER TABLE agenda_session_person ADD COLUMN display_name varchar(200) NULL",
    """CREATE OR REPLACE FUNCTION agenda_organization_changed() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE changed_event integer;
       BEGIN""" + _TOUCH.format(events="""
           SELECT DISTINCT s.event FROM agenda_session_person sp JOIN person p ON p.id = sp.person
           JOIN agenda_session s ON s.id = sp.session WHERE p.organization = NEW.id OR sp.organization = NEW.id
           ORDER BY s.event""") + """
           DELETE FROM agenda_feed_piece WHERE session IN (SELECT sp.session FROM agenda_session_person sp
               JOIN person p ON p.id = sp.person WHERE p.organization = NEW.id OR sp.organization = NEW.id);
           RETURN NULL;
       END $$""",
]


async def forwards():
    return statements_migration(ID, "agenda", DESCRIPTION, STATEMENTS)
