"""The public agenda shows the names and organizations of people in roles: when one of those changes (a person's
name or organization, an organization's name), every event in which such a person has a session role gets a new
agenda version, and API processes hear it on `agenda_changed`, so no cached agenda view or feed keeps the old one
(an erased speaker's name included). The stored feed pieces of their sessions are deleted, so the old text does not
stay in the database either (the next build writes them again). All in the transaction of the change, like every
agenda write."""

from events_app.db.raw_migration import statements_migration

ID = "2026-11-22T07:06:13:000000"
VERSION = "1.38.0"
DESCRIPTION = "agenda versions follow changes of the people and organizations it shows"

_TOUCH = """
    FOR changed_event IN {events} LOOP
        INSERT INTO agenda_state (event, version, updated_at) VALUES (changed_event, 1, clock_timestamp())
        ON CONFLICT (event) DO UPDATE SET version = agenda_state.version + 1, updated_at = clock_timestamp();
        PERFORM pg_notify('agenda_changed', changed_event::text);
    END LOOP;
"""

STATEMENTS = [
    """CREATE FUNCTION agenda_person_changed() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE changed_event integer;
       BEGIN""" + _TOUCH.format(events="""
           SELECT DISTINCT s.event FROM agenda_session_person sp JOIN agenda_session s ON s.id = sp.session
           WHERE sp.person = NEW.id ORDER BY s.event""") + """
           DELETE FROM agenda_feed_piece WHERE session IN
               (SELECT sp.session FROM agenda_session_person sp WHERE sp.person = NEW.id);
           RETURN NULL;
       END $$""",
    "CREATE TRIGGER agenda_person_changed AFTER UPDATE OF name, organization ON person FOR EACH ROW"
    " WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.organization IS DISTINCT FROM NEW.organization)"
    " EXECUTE FUNCTION agenda_person_changed()",
    """CREATE FUNCTION agenda_organization_changed() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE changed_event integer;
       BEGIN""" + _TOUCH.format(events="""
           SELECT DISTINCT s.event FROM person p JOIN agenda_session_person sp ON sp.person = p.id
           JOIN agenda_session s ON s.id = sp.session WHERE p.organization = NEW.id ORDER BY s.event""") + """
           DELETE FROM agenda_feed_piece WHERE session IN (SELECT sp.session FROM person p
               JOIN agenda_session_person sp ON sp.person = p.id WHERE p.organization = NEW.id);
           RETURN NULL;
       END $$""",
    "CREATE TRIGGER agenda_organization_changed AFTER UPDATE OF name ON organization FOR EACH ROW"
    " WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION agenda_organization_changed()",
]


async def forwards():
    return statements_migration(ID, "agenda", DESCRIPTION, STATEMENTS)
