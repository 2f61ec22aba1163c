"""Constraints and indexes the Piccolo column API cannot express: they keep the agenda right even if a bug slips
through (no session overbooked, one active booking per delegate and session, one guid per event)."""

from events_app.db.raw_migration import statements_migration

ID = "2026-11-22T04:31:41:000000"
VERSION = "1.38.0"
DESCRIPTION = "agenda integrity constraints and indexes"

STATEMENTS = [
    "ALTER TABLE agenda_session ADD CONSTRAINT agenda_session_ends_after_start CHECK (ends_at > starts_at)",
    "ALTER TABLE agenda_session ADD CONSTRAINT agenda_session_status"
    " CHECK (status IN ('draft', 'published', 'cancelled'))",
    "ALTER TABLE agenda_session ADD CONSTRAINT agenda_session_capacity"
    " CHECK (capacity IS NULL OR (capacity >= 0 AND booked_count <= capacity))",
    "ALTER TABLE agenda_session ADD CONSTRAINT agenda_session_booked_nonnegative CHECK (booked_count >= 0)",
    "CREATE UNIQUE INDEX agenda_session_guid ON agenda_session (event, guid)",
    "CREATE INDEX agenda_session_by_time ON agenda_session (event, starts_at)",
    "CREATE INDEX agenda_session_by_room ON agenda_session (room, starts_at)",
    "ALTER TABLE agenda_room ADD CONSTRAINT agenda_room_capacity CHECK (capacity IS NULL OR capacity >= 0)",
    "CREATE UNIQUE INDEX agenda_room_name ON agenda_room (event, name)",
    "CREATE UNIQUE INDEX agenda_track_slug ON agenda_track (event, slug)",
    "ALTER TABLE agenda_track ADD CONSTRAINT agenda_track_color CHECK (color ~ '^#[0-9a-f]{6}$')",
    "CREATE UNIQUE INDEX agenda_session_person_once ON agenda_session_person (session, person)",
    "ALTER TABLE agenda_session_person ADD CONSTRAINT agenda_session_person_role"
    " CHECK (role IN ('speaker', 'moderator', 'panelist'))",
    "ALTER TABLE agenda_booking ADD CONSTRAINT agenda_booking_status"
    " CHECK (status IN ('booked', 'waitlisted', 'cancelled'))",
    "CREATE UNIQUE INDEX agenda_booking_one_active ON agenda_booking (session, registration)"
    " WHERE status IN ('booked', 'waitlisted')",
    "CREATE INDEX agenda_booking_queue ON agenda_booking (session, id) WHERE status = 'waitlisted'",
    "CREATE INDEX agenda_change_by_event ON agenda_change (event, id)",
    # Cached agenda views carry the event's status and time zone: a change of the event row tells every API
    # process (LISTEN agenda_changed) to look again. Seat counters changing do not.
    """CREATE FUNCTION agenda_event_changed() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN PERFORM pg_notify('agenda_changed', NEW.id::text); RETURN NULL; END $$""",
    "CREATE TRIGGER agenda_event_changed AFTER UPDATE ON event FOR EACH ROW"
    " WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at OR OLD.status IS DISTINCT FROM NEW.status)"
    " EXECUTE FUNCTION agenda_event_changed()",
]


async def forwards():
    return statements_migration(ID, "agenda", DESCRIPTION, STATEMENTS)
