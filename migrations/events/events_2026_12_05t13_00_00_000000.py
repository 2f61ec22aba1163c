"""Per-person calendar memory (migration of the "calendar-native" change).

calendar_version: what a calendar object (event or agenda session, by its UID) showed at each SEQUENCE (its time,
place, title and status and a digest of every shown field: domain.invite_shows.remembered; no descriptions, so no
speaker's name), written by the change that grew the SEQUENCE. One SEQUENCE shows one content, so a person's copy
is fully described by the SEQUENCE they hold.

calendar_copy: per person and calendar object, the SEQUENCE and METHOD of the last invite written for them. It is
written by a trigger on outbox_message, so every writer of an invite (named queries, the one-statement
registration, session mail, calendar updates) records it in its own transaction and none can forget to. An update
then goes only to people whose copy is older than the object (services.agenda.calendar_updates), and its email
compares the version they hold with the current one. Keyed by person id (no address stored): erasing a person
removes their copies. Meeting series keep their own per-person state (meeting_rsvp) and are not recorded here.
"""

from events_app.db.raw_migration import statements_migration

ID = "2026-12-05T13:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "calendar copies per person and calendar versions"

STATEMENTS = [
    """CREATE TABLE calendar_version (
           uid uuid NOT NULL,
           sequence integer NOT NULL CHECK (sequence >= 0),
           shown jsonb NOT NULL,
           created_at timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (uid, sequence))""",
    """CREATE TABLE calendar_copy (
           person integer NOT NULL REFERENCES person (id) ON DELETE CASCADE,
           uid uuid NOT NULL,
           sequence integer NOT NULL CHECK (sequence >= 0),
           method varchar(10) NOT NULL CHECK (method IN ('REQUEST', 'CANCEL')),
           updated_at timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (person, uid))""",
    "CREATE INDEX calendar_copy_by_uid ON calendar_copy (uid)",
    # The calendar object an outbox row carries: the session named in its payload, else its event. A copy never
    # goes back to a lower SEQUENCE (messages written out of order keep the newest).
    """CREATE FUNCTION remember_calendar_copy() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE
           object_uid uuid;
           holder integer;
       BEGIN
           -- Tested here, not in the trigger's WHEN, so that the columns stay alterable by later migrations.
           IF NEW.calendar_method IS NULL OR NEW.calendar_method NOT IN ('REQUEST', 'CANCEL')
              OR NEW.calendar_sequence IS NULL OR NEW.kind LIKE 'meeting\\_%' THEN
               RETURN NULL;
           END IF;
           IF NEW.payload ? 'session_id' THEN
               SELECT calendar_uid INTO object_uid FROM agenda_session WHERE id = (NEW.payload->>'session_id')::int;
           ELSE
               SELECT calendar_uid INTO object_uid FROM event WHERE id = NEW.event;
           END IF;
           SELECT id INTO holder FROM person WHERE email = lower(NEW.recipient);
           IF object_uid IS NULL OR holder IS NULL THEN
               RETURN NULL;
           END IF;
           INSERT INTO calendar_copy (person, uid, sequence, method, updated_at)
           VALUES (holder, object_uid, NEW.calendar_sequence, NEW.calendar_method, now())
           ON CONFLICT (person, uid) DO UPDATE
               SET sequence = EXCLUDED.sequence, method = EXCLUDED.method, updated_at = EXCLUDED.updated_at
               WHERE calendar_copy.sequence <= EXCLUDED.sequence;
           RETURN NULL;
       END $$""",
    """CREATE TRIGGER outbox_message_calendar_copy AFTER INSERT ON outbox_message
       FOR EACH ROW EXECUTE FUNCTION remember_calendar_copy()""",
]


async def forwards():
    return statements_migration(ID, "events", DESCRIPTION, STATEMENTS)
