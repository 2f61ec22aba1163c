"""Meeting series join the per-person calendar memory (issue 14, item 3).

calendar_copy now records meeting series too, keyed by the series' calendar UID, from the person the outbox row's
payload names: a series invitation or update (REQUEST) and a whole-series CANCEL set the copy; a message about one
meeting (an override or one meeting's CANCEL) grows the SEQUENCE the person holds while the series itself stays in
their calendar, so it is recorded as REQUEST. Series updates then go to invitees whose copy is older than the
series (services.meetings.meetings), as event and session updates already do.
"""

from events_app.db.raw_migration import statements_migration

ID = "2026-12-05T13:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "calendar copies of meeting series"

STATEMENTS = [
    """CREATE OR REPLACE FUNCTION remember_calendar_copy() RETURNS trigger LANGUAGE plpgsql AS $$
       DECLARE
           object_uid uuid;
           holder integer;
           held_method text;  -- set once the method is known to be REQUEST or CANCEL
       BEGIN
           -- Tested here, not in the trigger's WHEN, so that the columns stay alterable by later migrations.
           IF NEW.calendar_method IS NULL OR NEW.calendar_method NOT IN ('REQUEST', 'CANCEL')
              OR NEW.calendar_sequence IS NULL THEN
               RETURN NULL;
           END IF;
           held_method := NEW.calendar_method;
           IF NEW.kind LIKE 'meeting\\_%' THEN
               IF NOT (NEW.payload ? 'series_id' AND NEW.payload ? 'person_id') THEN
                   RETURN NULL;
               END IF;
               SELECT calendar_uid INTO object_uid FROM meeting_series WHERE id = (NEW.payload->>'series_id')::int;
               SELECT id INTO holder FROM person WHERE id = (NEW.payload->>'person_id')::int;
               IF NEW.kind LIKE 'meeting\\_occurrence\\_%' THEN
                   held_method := 'REQUEST';  -- one meeting changed or cancelled: the series stays
               END IF;
           ELSE
               IF NEW.payload ? 'session_id' THEN
                   SELECT calendar_uid INTO object_uid FROM agenda_session
                   WHERE id = (NEW.payload->>'session_id')::int;
               ELSE
                   SELECT calendar_uid INTO object_uid FROM event WHERE id = NEW.event;
               END IF;
               SELECT id INTO holder FROM person WHERE email = lower(NEW.recipient);
           END IF;
           IF object_uid IS NULL OR holder IS NULL THEN
               RETURN NULL;
           END IF;
           INSERT INTO calendar_copy (person, uid, sequence, method, updated_at)
           VALUES (holder, object_uid, NEW.calendar_sequence, held_method, now())
           ON CONFLICT (person, uid) DO UPDATE
               SET sequence = EXCLUDED.sequence, method = EXCLUDED.method, updated_at = EXCLUDED.updated_at
               WHERE calendar_copy.sequence <= EXCLUDED.sequence;
           RETURN NULL;
       END $$""",
]


async def forwards():
    return statements_migration(ID, "meetings", DESCRIPTION, STATEMENTS)
