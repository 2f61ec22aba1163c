-- The schedule exchange's SQL: a frab schedule imported into an event's agenda in one transaction. Rooms, tracks,
-- agenda identities and change-log entries are written through services.agenda (its queries.sql).

-- name: sessions_of_event_for_update(event_id)
-- record_class: SessionRow
-- Every session of the event, each locked for the rest of the transaction.
SELECT * FROM agenda_session WHERE event = :event_id FOR NO KEY UPDATE;

-- name: update_imported_session(session_id, title, kind, abstract, starts_at, ends_at, room_id, track_id, language, online_url, status, calendar_sequence)*!
-- Write the fields a schedule file gives to sessions it changes, with their SEQUENCE (executemany).
UPDATE agenda_session SET title = :title, kind = :kind, abstract = :abstract, starts_at = :starts_at,
    ends_at = :ends_at, room = :room_id, track = :track_id, language = :language, online_url = :online_url,
    status = :status, calendar_sequence = :calendar_sequence, updated_at = clock_timestamp()
WHERE id = :session_id;

-- name: insert_imported_sessions(event_id, guids, kinds, titles, abstracts, starts_ats, ends_ats, room_ids, track_ids, languages, online_urls)
-- New published sessions from a schedule file, one per position of the arrays; their ids and guids.
INSERT INTO agenda_session (event, guid, calendar_uid, calendar_sequence, kind, title, abstract,
                            starts_at, ends_at, room, track, language, online_url, status,
                            requires_booking, capacity, booked_count, created_at, updated_at)
SELECT :event_id, g, gen_random_uuid(), 0, k, t, a, st, en, r, tr, l, o, 'published', false, NULL, 0,
       clock_timestamp(), clock_timestamp()
FROM unnest(:guids::uuid[], :kinds::text[], :titles::text[], :abstracts::text[], :starts_ats::timestamptz[],
            :ends_ats::timestamptz[], :room_ids::int[], :track_ids::int[], :languages::text[], :online_urls::text[])
     AS x(g, k, t, a, st, en, r, tr, l, o)
RETURNING id, guid;

-- name: organizations_by_name(lower_names)
-- The first organization (by id) of each of these lower-cased names.
SELECT DISTINCT ON (lower(name)) id, name FROM organization WHERE lower(name) = ANY(:lower_names::text[])
ORDER BY lower(name), id;

-- name: room_guid_taken(guid)$
-- Whether any room (of any event) has this guid.
SELECT 1 FROM agenda_room WHERE guid = :guid;

-- name: room_ids_by_name(event_id)
-- The event's rooms, id and name, for matching a schedule file's rooms by name.
SELECT id, name FROM agenda_room WHERE event = :event_id;

-- name: track_ids_by_name(event_id)
-- The event's tracks, id, name and slug, for matching a schedule file's tracks by name.
SELECT id, name, slug FROM agenda_track WHERE event = :event_id;

-- name: agenda_people_by_guid(guids)
-- The people known by these schedule-exchange guids.
SELECT guid, person FROM agenda_person WHERE guid = ANY(:guids::uuid[]);

-- name: session_links_of_event(event_id)
-- Who is in each session of the event, in the sessions' order of people.
SELECT sp.session, sp.person, sp.role FROM agenda_session_person sp
JOIN agenda_session s ON s.id = sp.session WHERE s.event = :event_id ORDER BY sp.session, sp.position, sp.id;

-- name: remove_people_of_sessions(session_ids)!
-- Take everyone out of these sessions (before their people are written again).
DELETE FROM agenda_session_person WHERE session = ANY(:session_ids::int[]);

-- name: add_session_people(session_ids, person_ids, roles, positions, display_names, organization_ids)!
-- Put many people into sessions at once (one entry per position of the arrays).
INSERT INTO agenda_session_person (session, person, role, position, display_name, organization)
SELECT * FROM unnest(:session_ids::int[], :person_ids::int[], :roles::text[], :positions::int[],
                     :display_names::text[], :organization_ids::int[]);

-- name: hold_agenda(event_id)$
-- Take the event's agenda lock without growing its version (an import that changes nothing changes no ETag).
INSERT INTO agenda_state (event, version, updated_at) VALUES (:event_id, 0, clock_timestamp())
ON CONFLICT (event) DO UPDATE SET version = agenda_state.version RETURNING version;

-- name: source_of_event(event_id)^
-- The event's schedule source: the scope of its files' numeric ids, its day changes (the file's, the organizer's)
-- and what the file said.
SELECT scope, day_change, organizer_day_change, data FROM exchange_source WHERE event = :event_id;

-- name: save_source(event_id, day_change, organizer_day_change, data)$
-- Create or update the event's schedule source; its scope (kept for life).
INSERT INTO exchange_source (event, day_change, organizer_day_change, data)
VALUES (:event_id, :day_change, :organizer_day_change, :data::jsonb)
ON CONFLICT (event) DO UPDATE SET day_change = EXCLUDED.day_change,
    organizer_day_change = EXCLUDED.organizer_day_change, data = EXCLUDED.data, updated_at = clock_timestamp()
RETURNING scope;

-- name: room_source_guids(event_id)
-- The guids the event's schedule files gave its rooms.
SELECT x.room, x.source_guid FROM exchange_room x JOIN agenda_room r ON r.id = x.room WHERE r.event = :event_id;

-- name: save_room_source_guids(room_ids, guids)!
-- Remember the guid a schedule file gives each of these rooms (exported instead of the room's own).
INSERT INTO exchange_room (room, source_guid) SELECT * FROM unnest(:room_ids::int[], :guids::uuid[])
ON CONFLICT (room) DO UPDATE SET source_guid = EXCLUDED.source_guid;

-- name: source_people_of_event(event_id)
-- Who each source identity of the event's schedule files is, and what the file last said about them.
SELECT source_key, person, data FROM exchange_person WHERE event = :event_id;

-- name: save_source_people(event_id, keys, person_ids, data)!
-- Record or update what the event's schedule file says about people, by their source identity.
INSERT INTO exchange_person (event, source_key, person, data)
SELECT :event_id, k, p, d FROM unnest(:keys::text[], :person_ids::int[], :data::jsonb[]) AS x(k, p, d)
ON CONFLICT (event, source_key) DO UPDATE SET person = EXCLUDED.person, data = EXCLUDED.data;

-- name: rename_import_placeholders(person_ids, names)!
-- A corrected name from a schedule file reaches people that only files created (a placeholder address, no
-- registration of their own): nobody maintains those profiles but the files.
UPDATE person p SET name = x.name FROM unnest(:person_ids::int[], :names::text[]) AS x(id, name)
WHERE p.id = x.id AND p.email LIKE '%@speakers.invalid' AND p.name <> x.name
  AND NOT EXISTS (SELECT 1 FROM registration r WHERE r.person = p.id);

-- name: session_sources_of_event(event_id)
-- What the schedule files said about each session of the event beyond the agenda's columns.
SELECT x.session, x.data FROM exchange_session x JOIN agenda_session s ON s.id = x.session
WHERE s.event = :event_id;

-- name: save_session_sources(session_ids, data)!
-- Record or update what the schedule file says about these sessions beyond the agenda's columns.
INSERT INTO exchange_session (session, data) SELECT * FROM unnest(:session_ids::int[], :data::jsonb[])
ON CONFLICT (session) DO UPDATE SET data = EXCLUDED.data;

-- name: session_people_shown(event_id)
-- Who is in each session of the event under which shown name, in the sessions' order of people.
SELECT sp.session, sp.person, sp.role, sp.display_name FROM agenda_session_person sp
JOIN agenda_session s ON s.id = sp.session WHERE s.event = :event_id ORDER BY sp.session, sp.position, sp.id;
