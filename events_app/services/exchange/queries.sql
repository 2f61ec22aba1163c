-- The schedule exchange's SQL: a frab schedule imported into an event's agenda in one transaction. Rooms, tracks,
-- agenda identities and change-log entries are written through services.agenda (its queries.sql).

-- name: sessions_of_event_for_update(event_id)
-- record_class: SessionRow
-- Every session of the event, each locked for the rest of the transaction.
SELECT * FROM agenda_session WHERE event = :event_id FOR UPDATE;

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
