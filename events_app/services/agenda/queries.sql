-- The agenda's SQL: rooms, tracks, sessions and their people (agenda.py), the public views and feeds
-- (agenda_publish.py), the cache tags (agenda_cache.py) and the pending calendar updates (calendar_updates.py).


-- ------------------------------------------------------------------ events and the agenda lock

-- name: event_by_id(event_id)^
-- record_class: EventRow
-- One event, every column.
SELECT * FROM event WHERE id = :event_id;

-- name: lock_agenda(event_id, channel)$
-- Take the event's agenda lock (its agenda_state row), grow its version and notify cache holders at commit.
WITH bumped AS (
    INSERT INTO agenda_state (event, version, updated_at) VALUES (:event_id, 1, clock_timestamp())
    ON CONFLICT (event) DO UPDATE SET version = agenda_state.version + 1, updated_at = clock_timestamp()
    RETURNING version
)
SELECT version, pg_notify(:channel, :event_id::text) FROM bumped;

-- name: agenda_tag(event_id)^
-- What an event's cached public views are valid for: event status and change time, agenda version and change time.
SELECT e.status, e.updated_at, a.version, a.updated_at AS agenda_updated_at
FROM event e LEFT JOIN agenda_state a ON a.event = e.id WHERE e.id = :event_id;

-- name: organization_exists(organization_id)$
-- Whether an organization with this id exists.
SELECT 1 FROM organization WHERE id = :organization_id;

-- name: person_name(person_id)$
-- A person's name.
SELECT name FROM person WHERE id = :person_id;


-- ------------------------------------------------------------------ rooms and tracks

-- name: room_of_event(room_id, event_id)^
-- record_class: RoomRow
-- One room of the event.
SELECT * FROM agenda_room WHERE id = :room_id AND event = :event_id;

-- name: rooms_of_event(event_id)
-- record_class: RoomRow
-- The event's rooms in their order.
SELECT * FROM agenda_room WHERE event = :event_id ORDER BY position, id;

-- name: room_named(event_id, name)$
-- Whether the event has a room of this name.
SELECT 1 FROM agenda_room WHERE event = :event_id AND name = :name;

-- name: insert_room(event_id, name, capacity, accessibility, guid)$
-- A new room, last in the event's order; its id.
INSERT INTO agenda_room (event, name, capacity, accessibility, guid, position)
VALUES (:event_id, :name, :capacity, :accessibility, :guid,
        (SELECT coalesce(max(position), 0) + 1 FROM agenda_room WHERE event = :event_id))
RETURNING id;

-- name: sessions_over_room_capacity(room_id, capacity)
-- Sessions needing booking in the room that hold (or allow) more people than the capacity, by start.
SELECT id, title, booked_count FROM agenda_session WHERE room = :room_id AND requires_booking
AND status <> 'cancelled' AND (booked_count > :capacity OR capacity > :capacity) ORDER BY starts_at;

-- name: update_room(room_id, name, capacity, accessibility)!
-- Change a room's name, capacity and accessibility.
UPDATE agenda_room SET name = :name, capacity = :capacity, accessibility = :accessibility WHERE id = :room_id;

-- name: track_of_event(track_id, event_id)^
-- record_class: TrackRow
-- One track of the event.
SELECT * FROM agenda_track WHERE id = :track_id AND event = :event_id;

-- name: tracks_of_event(event_id)
-- record_class: TrackRow
-- The event's tracks in their order.
SELECT * FROM agenda_track WHERE event = :event_id ORDER BY position, id;

-- name: track_exists(track_id, event_id)$
-- Whether the event has a track with this id.
SELECT 1 FROM agenda_track WHERE id = :track_id AND event = :event_id;

-- name: track_slug_taken(event_id, slug)$
-- Whether the event has a track with this slug.
SELECT 1 FROM agenda_track WHERE event = :event_id AND slug = :slug;

-- name: insert_track(event_id, name, slug, color)$
-- A new track, last in the event's order; its id.
INSERT INTO agenda_track (event, name, slug, color, position)
VALUES (:event_id, :name, :slug, :color,
        (SELECT coalesce(max(position), 0) + 1 FROM agenda_track WHERE event = :event_id))
RETURNING id;

-- name: update_track(track_id, name, slug, color)!
-- Change a track's name, slug and color.
UPDATE agenda_track SET name = :name, slug = :slug, color = :color WHERE id = :track_id;

-- name: sessions_in_room(room_id)
-- The titles of the sessions (cancelled ones included) held in the room, by start; a room in use stays.
SELECT id, title FROM agenda_session WHERE room = :room_id ORDER BY starts_at, id;

-- name: delete_room(room_id, event_id)!
-- Remove a room of the event that no session uses.
DELETE FROM agenda_room WHERE id = :room_id AND event = :event_id;

-- name: sessions_in_track(track_id)
-- The titles of the sessions (cancelled ones included) in the track, by start; a track in use stays.
SELECT id, title FROM agenda_session WHERE track = :track_id ORDER BY starts_at, id;

-- name: delete_track(track_id, event_id)!
-- Remove a track of the event that no session uses.
DELETE FROM agenda_track WHERE id = :track_id AND event = :event_id;


-- ------------------------------------------------------------------ sessions and their people

-- name: insert_session(event_id, guid, calendar_uid, kind, title, abstract, starts_at, ends_at, room_id, track_id, language, online_url, status, requires_booking, capacity)$
-- A new session (SEQUENCE 0, nobody booked); its id.
INSERT INTO agenda_session (event, guid, calendar_uid, calendar_sequence, kind, title, abstract,
                            starts_at, ends_at, room, track, language, online_url, status,
                            requires_booking, capacity, booked_count, created_at, updated_at)
VALUES (:event_id, :guid, :calendar_uid, 0, :kind, :title, :abstract, :starts_at, :ends_at, :room_id, :track_id,
        :language, :online_url, :status, :requires_booking, :capacity, 0, now(), now())
RETURNING id;

-- name: session_for_update(session_id, event_id)^
-- record_class: SessionRow
-- One session of the event, locked for the rest of the transaction.
SELECT * FROM agenda_session WHERE id = :session_id AND event = :event_id FOR NO KEY UPDATE;

-- name: session_exists(session_id, event_id)$
-- Whether the event has a session with this id.
SELECT 1 FROM agenda_session WHERE id = :session_id AND event = :event_id;

-- name: update_session(session_id, kind, title, abstract, starts_at, ends_at, room_id, track_id, language, online_url, status, requires_booking, capacity, calendar_sequence)!
-- Write a session's fields and its SEQUENCE (grown by the caller when its time, place or status changed).
UPDATE agenda_session SET kind = :kind, title = :title, abstract = :abstract, starts_at = :starts_at,
    ends_at = :ends_at, room = :room_id, track = :track_id, language = :language, online_url = :online_url,
    status = :status, requires_booking = :requires_booking, capacity = :capacity,
    calendar_sequence = :calendar_sequence, updated_at = clock_timestamp()
WHERE id = :session_id;

-- name: touch_session(session_id)!
-- Mark a session changed (its people changed).
UPDATE agenda_session SET updated_at = clock_timestamp() WHERE id = :session_id;

-- name: add_agenda_people(person_ids, guids)!
-- Give people the schedule-exchange identity they keep in every export (people who have one keep theirs).
INSERT INTO agenda_person (person, guid) SELECT p, g FROM unnest(:person_ids::int[], :guids::uuid[]) AS x(p, g)
ON CONFLICT (person) DO NOTHING;

-- name: add_session_person(session_id, person_id, role, position, organization_id, display_name)!
-- Put a person into a session in a role, with the organization and name shown for it.
INSERT INTO agenda_session_person (session, person, role, position, organization, display_name)
VALUES (:session_id, :person_id, :role, :position, :organization_id, :display_name);

-- name: session_has_person(session_id, person_id)$
-- Whether the person is in the session.
SELECT 1 FROM agenda_session_person WHERE session = :session_id AND person = :person_id;

-- name: session_person_ids(session_id)
-- The people in a session.
SELECT person FROM agenda_session_person WHERE session = :session_id;

-- name: next_session_person_position(session_id)$
-- The position after the session's last person.
SELECT coalesce(max(position), -1) + 1 FROM agenda_session_person WHERE session = :session_id;

-- name: remove_session_person(session_id, person_id)<!
-- Take a person out of a session; the role they had and the name shown for it.
DELETE FROM agenda_session_person sp USING person p WHERE sp.session = :session_id AND sp.person = :person_id
AND p.id = sp.person RETURNING sp.role, coalesce(sp.display_name, p.name) AS name;

-- name: session_detail(session_id, event_id)^
-- record_class: SessionDetailRow
-- One session with its room, track, event zone, waiting list and people.
SELECT s.*, r.name AS room_name, r.capacity AS room_capacity, t.name AS track_name, t.slug AS track_slug,
       t.color AS track_color, e.timezone,
       (SELECT count(*) FROM agenda_booking b WHERE b.session = s.id AND b.status = 'waitlisted') AS waiting,
       coalesce((SELECT json_agg(json_build_object('person_id', p.id, 'name', coalesce(sp.display_name, p.name),
                                                   'role', sp.role,
                                                   'organization', o.name) ORDER BY sp.position, sp.id)
                 FROM agenda_session_person sp JOIN person p ON p.id = sp.person
                 LEFT JOIN organization o ON o.id = coalesce(sp.organization, p.organization)
                 WHERE sp.session = s.id), '[]') AS people
FROM agenda_session s JOIN event e ON e.id = s.event
LEFT JOIN agenda_room r ON r.id = s.room LEFT JOIN agenda_track t ON t.id = s.track
WHERE s.id = :session_id AND s.event = :event_id;

-- name: session_details_of_event(event_id, status)
-- record_class: SessionDetailRow
-- Every session of the event (of one status, or all when status is null) as session_detail shows it, by start.
SELECT s.*, r.name AS room_name, r.capacity AS room_capacity, t.name AS track_name, t.slug AS track_slug,
       t.color AS track_color, e.timezone,
       (SELECT count(*) FROM agenda_booking b WHERE b.session = s.id AND b.status = 'waitlisted') AS waiting,
       coalesce((SELECT json_agg(json_build_object('person_id', p.id, 'name', coalesce(sp.display_name, p.name),
                                                   'role', sp.role,
                                                   'organization', o.name) ORDER BY sp.position, sp.id)
                 FROM agenda_session_person sp JOIN person p ON p.id = sp.person
                 LEFT JOIN organization o ON o.id = coalesce(sp.organization, p.organization)
                 WHERE sp.session = s.id), '[]') AS people
FROM agenda_session s JOIN event e ON e.id = s.event
LEFT JOIN agenda_room r ON r.id = s.room LEFT JOIN agenda_track t ON t.id = s.track
WHERE s.event = :event_id AND (:status::text IS NULL OR s.status = :status) ORDER BY s.starts_at, s.id;

-- name: booking_availability(event_id)
-- Live seats of the event's published sessions that need booking, by start.
SELECT s.id, s.capacity, r.capacity AS room_capacity, s.booked_count,
       (SELECT count(*) FROM agenda_booking b WHERE b.session = s.id AND b.status = 'waitlisted') AS waiting
FROM agenda_session s LEFT JOIN agenda_room r ON r.id = s.room
WHERE s.event = :event_id AND s.status = 'published' AND s.requires_booking ORDER BY s.starts_at, s.id;


-- ------------------------------------------------------------------ conflicts, change log, affected people

-- name: nearby_slots(event_id, starts_at, ends_at, room_id, person_ids, exclude_id)
-- record_class: Slot
-- Sessions of the event (but one) that overlap [starts_at, ends_at) in the room or with one of the people.
SELECT s.id, s.title, s.starts_at, s.ends_at, s.room AS room_id, s.status,
       coalesce(array_agg(sp.person) FILTER (WHERE sp.person IS NOT NULL), '{}') AS person_ids
FROM agenda_session s LEFT JOIN agenda_session_person sp ON sp.session = s.id
WHERE s.event = :event_id AND s.status <> 'cancelled' AND (s.starts_at < :ends_at AND :starts_at < s.ends_at)
  AND s.id <> coalesce(:exclude_id::int, -1)
  AND (s.room = :room_id OR EXISTS (SELECT 1 FROM agenda_session_person x
                                    WHERE x.session = s.id AND x.person = ANY(:person_ids::int[])))
GROUP BY s.id;

-- name: event_slots(event_id)
-- record_class: Slot
-- Every session of the event that is not cancelled, with its people, for the conflict rules.
SELECT s.id, s.title, s.starts_at, s.ends_at, s.room AS room_id, s.status,
       coalesce(array_agg(sp.person) FILTER (WHERE sp.person IS NOT NULL), '{}') AS person_ids
FROM agenda_session s LEFT JOIN agenda_session_person sp ON sp.session = s.id
WHERE s.event = :event_id AND s.status <> 'cancelled' GROUP BY s.id;

-- name: record_agenda_change(event_id, session_id, action, changes, calendar_sequence, account_id, actor)!
-- One entry of the event's agenda change log (what a field was and what it became).
INSERT INTO agenda_change (event, session, action, changes, calendar_sequence, account, actor, created_at)
VALUES (:event_id, :session_id, :action, :changes::jsonb, :calendar_sequence, :account_id, :actor, clock_timestamp());

-- name: changes_after(event_id, after_id, limit)
-- The change log after an entry, oldest first.
SELECT c.id, c.session AS session_id, s.title AS session_title, c.action, c.changes,
       c.calendar_sequence, c.account AS account_id, c.actor, c.created_at
FROM agenda_change c LEFT JOIN agenda_session s ON s.id = c.session
WHERE c.event = :event_id AND c.id > :after_id ORDER BY c.id LIMIT :limit;

-- name: changes_before(event_id, before_id, limit)
-- The change log before an entry (or from the newest when before_id is null), newest first.
SELECT c.id, c.session AS session_id, s.title AS session_title, c.action, c.changes,
       c.calendar_sequence, c.account AS account_id, c.actor, c.created_at
FROM agenda_change c LEFT JOIN agenda_session s ON s.id = c.session
WHERE c.event = :event_id AND (:before_id::bigint IS NULL OR c.id < :before_id) ORDER BY c.id DESC LIMIT :limit;

-- name: affected_by_session(session_id)
-- The session's bookers (booked or waiting, confirmed registrations) and its people in roles, one row per reason.
SELECT p.id AS person_id, p.email, p.name, p.language, b.registration AS registration_id, b.status AS reason
FROM agenda_booking b JOIN registration r ON r.id = b.registration JOIN person p ON p.id = r.person
WHERE b.session = :session_id AND b.status IN ('booked', 'waitlisted') AND r.status = 'confirmed'
UNION ALL
SELECT p.id, p.email, coalesce(sp.display_name, p.name), p.language, NULL, sp.role
FROM agenda_session_person sp JOIN person p ON p.id = sp.person WHERE sp.session = :session_id
ORDER BY 1;

-- name: people_named_for_session(session_id)
-- The session's people shown under a name given for their role (linked by email or by a schedule file).
SELECT person, display_name, role FROM agenda_session_person WHERE session = :session_id
AND display_name IS NOT NULL ORDER BY person;


-- ------------------------------------------------------------------ public views and feeds

-- name: agenda_version(event_id)$
-- The event's agenda version (null before its first change).
SELECT version FROM agenda_state WHERE event = :event_id;

-- name: public_rooms(event_id)
-- The event's rooms as the public views show them, in their order.
SELECT id, name, capacity, accessibility, guid FROM agenda_room WHERE event = :event_id ORDER BY position, id;

-- name: public_tracks(event_id)
-- The event's tracks as the public views show them, in their order.
SELECT id, name, slug, color FROM agenda_track WHERE event = :event_id ORDER BY position, id;

-- name: public_sessions(event_id)
-- The event's published and cancelled sessions, by start.
SELECT s.id, s.guid, s.calendar_uid, s.calendar_sequence, s.kind, s.title, s.abstract, s.starts_at, s.ends_at,
       s.room, s.track, s.language, s.online_url, s.status, s.requires_booking, s.capacity, s.updated_at,
       r.capacity AS room_capacity
FROM agenda_session s LEFT JOIN agenda_room r ON r.id = s.room
WHERE s.event = :event_id AND s.status IN ('published', 'cancelled')
ORDER BY s.starts_at, s.id;

-- name: public_people(event_id)
-- Everyone in the roles of the event's published and cancelled sessions, in one flat list (a correlated
-- sub-select per session is ten times slower at 1,000 sessions).
SELECT sp.session, p.id AS person_id, coalesce(sp.display_name, p.name) AS name, sp.role,
       coalesce(o.name, '') AS organization, ap.guid
FROM agenda_session_person sp JOIN agenda_session s ON s.id = sp.session JOIN person p ON p.id = sp.person
LEFT JOIN organization o ON o.id = coalesce(sp.organization, p.organization)
LEFT JOIN agenda_person ap ON ap.person = p.id
WHERE s.event = :event_id AND s.status IN ('published', 'cancelled')
ORDER BY sp.session, sp.position, sp.id;

-- name: current_feed_pieces(session_ids, keys)
-- The stored feed pieces whose key is the current one (a stale piece is never even read).
SELECT p.session, p.piece FROM agenda_feed_piece p
JOIN unnest(:session_ids::int[], :keys::bytea[]) AS w(session, key) ON p.session = w.session AND p.key = w.key;

-- name: store_feed_pieces(session_ids, keys, pieces)!
-- Store feed pieces, in session order so that two processes storing overlapping sets lock rows in the same order.
INSERT INTO agenda_feed_piece (session, key, piece)
SELECT s, k, p FROM unnest(:session_ids::int[], :keys::bytea[], :pieces::bytea[]) AS x(s, k, p) ORDER BY s
ON CONFLICT (session) DO UPDATE SET key = EXCLUDED.key, piece = EXCLUDED.piece;

-- name: personal_feed_of(feed_hash)^
-- A personal feed's registration (found by its feed token's hash), every column of its event and the sessions it
-- has a seat in: a calendar app's poll in one round trip.
SELECT r.id AS registration_id, r.status AS registration_status,
       ARRAY(SELECT b.session FROM agenda_booking b WHERE b.registration = r.id AND b.status = 'booked') AS booked,
       e.*
FROM registration r JOIN event e ON e.id = r.event
WHERE r.feed_hash = :feed_hash;

-- name: events_to_warm(limit)
-- The next published events that have an agenda, soonest first.
SELECT e.id FROM event e WHERE e.status = 'published' AND e.ends_at > now()
AND EXISTS (SELECT 1 FROM agenda_session s WHERE s.event = e.id) ORDER BY e.starts_at LIMIT :limit;


-- ------------------------------------------------------------------ calendar updates

-- name: record_calendar_updates(event_id, subjects, subject_ids, changes, due_at, created_at)!
-- Open a pending update for each of these calendar objects of one event, or add the change to the one open for it
-- (due at the earlier of the two times: a cancellation, due at once, does not wait for the window of an earlier
-- edit). One statement for all of them; `changes`: each one's JSON text; no object twice.
INSERT INTO calendar_update (event, subject, subject_id, changes, due_at, created_at)
SELECT :event_id, u.subject, u.subject_id, jsonb_build_array(u.change::jsonb), :due_at, :created_at
FROM unnest(:subjects::text[], :subject_ids::int[], :changes::text[]) AS u(subject, subject_id, change)
ON CONFLICT (subject, subject_id) WHERE done_at IS NULL
DO UPDATE SET changes = calendar_update.changes || EXCLUDED.changes,
              due_at = least(calendar_update.due_at, EXCLUDED.due_at);

-- name: next_due_calendar_update(now, event_id)^
-- record_class: CalendarUpdateRow
-- The pending update due first whose window has passed (of one event, or of any when event_id is NULL), locked
-- (skipping those another worker holds).
SELECT * FROM calendar_update
WHERE done_at IS NULL AND due_at <= :now AND (:event_id::int IS NULL OR event = :event_id::int)
ORDER BY due_at
LIMIT 1 FOR UPDATE SKIP LOCKED;

-- name: event_sequence(event_id)^
-- An event's status, UID and SEQUENCE as committed, for its update's flush. Not locked: the update's own row (locked
-- by next_due_calendar_update) orders the flush against a change to the event, which records into the open update
-- and so waits for the flush to close it, then opens the next one. A registration's seat lock goes on meanwhile.
SELECT id, status, calendar_uid, calendar_sequence FROM event WHERE id = :event_id;

-- name: session_sequence_for_update(session_id)^
-- A session's status (cancelled also when its event is), UID and SEQUENCE, the session row locked.
SELECT CASE WHEN e.status = 'cancelled' THEN 'cancelled' ELSE s.status END AS status, s.calendar_uid,
       s.calendar_sequence
FROM agenda_session s JOIN event e ON e.id = s.event WHERE s.id = :session_id FOR NO KEY UPDATE OF s;

-- name: event_invite_holders(event_id)
-- Everyone whose calendar holds the event: its confirmed registrations, with address, language and time zone.
SELECT r.id, p.id AS person_id, p.email, r.registered_language AS language,
       coalesce(r.registered_timezone, p.timezone) AS timezone
FROM registration r JOIN person p ON p.id = r.person
WHERE r.event = :event_id AND r.status = 'confirmed' ORDER BY r.id;

-- name: draft_sessions(event_id)
-- The event's draft sessions (off the programme, in no calendar): their UID and SEQUENCE.
SELECT id, calendar_uid, calendar_sequence FROM agenda_session WHERE event = :event_id AND status = 'draft' ORDER BY id;

-- name: remember_calendar_versions(uids, sequences, shown)!
-- What each calendar object shows at one SEQUENCE (domain.invite_shows.shown), for the emails about later changes.
-- One statement for all of them; `shown`: each one's JSON text; no (uid, SEQUENCE) twice.
INSERT INTO calendar_version (uid, sequence, shown)
SELECT v.uid::uuid, v.sequence, v.shown::jsonb
FROM unnest(:uids::text[], :sequences::int[], :shown::text[]) AS v(uid, sequence, shown)
ON CONFLICT (uid, sequence) DO UPDATE SET shown = EXCLUDED.shown;

-- name: held_copies(uid, person_ids)
-- The copy of a calendar object each of these people holds: its SEQUENCE, METHOD and which remembered version it
-- shows (`shown_sequence`: the newest at or below that SEQUENCE, as a SEQUENCE grown without a change of content
-- shows the same). Thousands of copies show a few versions: calendar_versions reads what those show, once each.
SELECT c.person, c.sequence, c.method,
       (SELECT v.sequence FROM calendar_version v WHERE v.uid = c.uid AND v.sequence <= c.sequence
        ORDER BY v.sequence DESC LIMIT 1) AS shown_sequence
FROM calendar_copy c WHERE c.uid = :uid::uuid AND c.person = ANY(:person_ids::int[]);

-- name: calendar_versions(uid, sequences)
-- What a calendar object showed at each of these remembered SEQUENCEs.
SELECT sequence, shown FROM calendar_version WHERE uid = :uid::uuid AND sequence = ANY(:sequences::int[]);

-- name: close_calendar_update(update_id, recipients)!
-- Mark a pending update sent, with the number of messages written.
UPDATE calendar_update SET done_at = now(), recipients = :recipients WHERE id = :update_id;

-- name: release_calendar_updates(event_id)!
-- Make the event's pending updates due now.
UPDATE calendar_update SET due_at = now() WHERE event = :event_id AND done_at IS NULL;

-- name: calendar_updates_of_event(event_id)
-- The event's calendar updates, pending first, newest first (at most 200).
SELECT id, subject, subject_id, changes, due_at, created_at, done_at, recipients FROM calendar_update
WHERE event = :event_id ORDER BY done_at NULLS FIRST, created_at DESC LIMIT 200;


-- ------------------------------------------------------------------ schedule exchange sources (exports)

-- name: schedule_source(event_id)^
-- What the event's schedule files said about the conference (acronym, url, dates, zone) and its day change (the
-- organizer's when they set one, else the file's).
SELECT coalesce(organizer_day_change, day_change) AS day_change, data FROM exchange_source WHERE event = :event_id;

-- name: schedule_session_sources(event_id)
-- What the schedule files said about the event's published and cancelled sessions beyond the agenda's columns.
SELECT x.session, x.data FROM exchange_session x JOIN agenda_session s ON s.id = x.session
WHERE s.event = :event_id AND s.status IN ('published', 'cancelled');

-- name: schedule_person_sources(event_id)
-- What the event's schedule files said about people (ids, codes, guids, biographies), by person.
SELECT person, data FROM exchange_person WHERE event = :event_id ORDER BY person, source_key;

-- name: schedule_room_guids(event_id)
-- The guids the event's schedule files gave its rooms.
SELECT x.room, x.source_guid FROM exchange_room x JOIN agenda_room r ON r.id = x.room WHERE r.event = :event_id;

-- name: speaker_in_event(event_id, person_id)$
-- 1 when the person is named in one of the event's sessions (speaker, moderator, panelist...).
SELECT 1 FROM agenda_session_person sp JOIN agenda_session s ON s.id = sp.session
WHERE s.event = :event_id AND sp.person = :person_id LIMIT 1;

-- name: events_naming_person(person_id)
-- The events (in id order, the order their agenda locks are taken) with a session naming the person.
SELECT DISTINCT s.event FROM agenda_session_person sp JOIN agenda_session s ON s.id = sp.session
WHERE sp.person = :person_id ORDER BY s.event;

-- name: save_speaker_biography(event_id, person_id, biography)!
-- What the organizer wrote about a speaker for this event.
INSERT INTO speaker_profile (event, person, biography, updated_at) VALUES (:event_id, :person_id, :biography, now())
ON CONFLICT (event, person) DO UPDATE SET biography = EXCLUDED.biography, updated_at = now();

-- name: remove_speaker_biography(event_id, person_id)!
-- The organizer cleared a speaker's biography.
DELETE FROM speaker_profile WHERE event = :event_id AND person = :person_id;

-- name: speaker_biographies(event_id)
-- The biographies organizers wrote for the event's speakers, by person.
SELECT person, biography FROM speaker_profile WHERE event = :event_id;
