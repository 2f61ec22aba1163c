-- On site: check-in codes, check-in staff, scans and attendance, badges (issue 17).

-- name: live_code(registration_id)^
-- A registration's status, category and erasure, with its live check-in code (if any) and the category it was issued for.
SELECT r.id, r.event, r.status, r.category, r.anonymized_at, c.id AS code_id, c.nonce, c.category AS code_category
FROM registration r LEFT JOIN checkin_code c ON c.registration = r.id AND c.revoked_at IS NULL
WHERE r.id = :registration_id;

-- name: revoke_code(code_id, reason)!
-- Revoke one live check-in code (kept, with the reason the door shows).
UPDATE checkin_code SET revoked_at = now(), revoked_reason = :reason WHERE id = :code_id AND revoked_at IS NULL;

-- name: revoke_codes_of_registrations(registration_ids, reason)!
-- Revoke the live check-in codes of these registrations (erasure).
UPDATE checkin_code SET revoked_at = now(), revoked_reason = :reason
WHERE registration = ANY(:registration_ids::int[]) AND revoked_at IS NULL;

-- name: insert_code(registration_id, event_id, category_id, nonce, code_hash)$
-- Issue a registration's check-in code unless a live one exists (then nothing; the caller reads the live one).
INSERT INTO checkin_code (registration, event, category, nonce, code_hash)
VALUES (:registration_id, :event_id, :category_id, :nonce, :code_hash)
ON CONFLICT (registration) WHERE revoked_at IS NULL DO NOTHING
RETURNING nonce;

-- name: registrations_needing_codes(event_id)
-- The event's confirmed registrations without a live code for their current category (and the stale code's id).
SELECT r.id, r.category, c.id AS stale_code
FROM registration r LEFT JOIN checkin_code c ON c.registration = r.id AND c.revoked_at IS NULL
WHERE r.event = :event_id AND r.status = 'confirmed' AND r.anonymized_at IS NULL
  AND (c.id IS NULL OR c.category <> r.category);

-- name: revoke_codes(code_ids, reason)!
-- Revoke these live check-in codes.
UPDATE checkin_code SET revoked_at = now(), revoked_reason = :reason
WHERE id = ANY(:code_ids::int[]) AND revoked_at IS NULL;

-- name: insert_codes(event_id, registration_ids, category_ids, nonces, code_hashes)!
-- Issue check-in codes for many registrations of one event at once (those that got one meanwhile keep theirs).
INSERT INTO checkin_code (registration, event, category, nonce, code_hash)
SELECT reg, :event_id, cat, nonce, code_hash
FROM unnest(:registration_ids::int[], :category_ids::int[], :nonces::varchar[], :code_hashes::varchar[])
     AS t(reg, cat, nonce, code_hash)
ON CONFLICT (registration) WHERE revoked_at IS NULL DO NOTHING;

-- name: checkin_access(event_id, account_id)^
-- The event, whether the account manages it (organizer or office staff) and its check-in desk name if it is check-in staff.
SELECT e.id, e.title, e.timezone, e.starts_at, e.ends_at,
       EXISTS(SELECT 1 FROM event_organizer o WHERE o.event = e.id AND o.account = :account_id)
       OR EXISTS(SELECT 1 FROM office_staff s WHERE s.office = e.office AND s.account = :account_id) AS manages,
       (SELECT cs.desk FROM checkin_staff cs WHERE cs.event = e.id AND cs.account = :account_id) AS desk
FROM event e WHERE e.id = :event_id;

-- name: add_checkin_staff(event_id, account_id, desk)^
-- Make an account check-in staff of an event (or rename its desk); the row.
INSERT INTO checkin_staff (event, account, desk) VALUES (:event_id, :account_id, :desk)
ON CONFLICT (event, account) DO UPDATE SET desk = EXCLUDED.desk
RETURNING id, event, account, desk, created_at;

-- name: remove_checkin_staff(event_id, account_id)$
-- Take an account's check-in role at an event away; its id when it had one.
DELETE FROM checkin_staff WHERE event = :event_id AND account = :account_id RETURNING id;

-- name: checkin_staff_of_event(event_id)
-- The event's check-in staff: account, name, address and desk.
SELECT cs.account AS account_id, a.name, a.email, cs.desk, cs.created_at
FROM checkin_staff cs JOIN account a ON a.id = cs.account WHERE cs.event = :event_id ORDER BY a.name, a.id;

-- name: account_by_email(email)$
-- An active account's id by its address.
SELECT id FROM account WHERE lower(email) = lower(:email) AND is_active;

-- name: scan_batch_facts(event_id, account_id, devices, scan_ids, code_hashes, registration_ids, session_ids)
-- For each scan of a batch (ord: its 1-based place): the scan this account stored before under the same device and id
-- (a replay; another account's scan ids never match),
-- and what its code or named registration is (event, status, category, erasure, code live, who it is); for a scan
-- in a session room, the session (of this event, not cancelled: no check-in place), its booking rule, places, places taken and the person's booking.
-- It also serializes check-ins of each registration at each place until the transaction ends (an advisory lock per
-- registration and place, taken after the sort, so in (registration, place) order: two batches never wait on each
-- other in a circle), and then reads the winning check-in so far at each scan's place (first_*: for a replay, at
-- the place it was stored for), through checkin_firsts, whose fresh snapshot sees one committed while this
-- statement waited for a lock.
WITH facts AS MATERIALIZED (
SELECT t.ord, pg_advisory_xact_lock(r.id, t.session_id) IS NULL AS locked, st.id AS stored_id, st.registration AS stored_registration, st.session AS stored_session,
       st.outcome AS stored_outcome, st.reason AS stored_reason, st.scanned_at AS stored_scanned_at,
       c.id AS code_id, coalesce(c.category, r.category) AS code_category,
       CASE WHEN t.code_hash IS NULL THEN NULL ELSE c.revoked_at END AS revoked_at,
       r.id AS registration_id, r.event, r.status, r.category, r.anonymized_at, r.registered_name AS name,
       coalesce(o.name, '') AS organization, cat.name AS category_name,
       s.id AS session_found, coalesce(s.title, '') AS session_title, s.requires_booking,
       coalesce(s.capacity, rm.capacity) AS places, s.booked_count,
       (SELECT b.status FROM agenda_booking b WHERE b.session = s.id AND b.registration = r.id
          AND b.status IN ('booked', 'waitlisted') LIMIT 1) AS booking,
       coalesce(st.session, t.session_id) AS place
FROM unnest(:devices::varchar[], :scan_ids::varchar[], :code_hashes::varchar[], :registration_ids::int[],
            :session_ids::int[]) WITH ORDINALITY AS t(device, scan_id, code_hash, registration_id, session_id, ord)
LEFT JOIN checkin_scan st ON st.event = :event_id AND st.account = :account_id AND st.device = t.device
    AND st.scan_id = t.scan_id
LEFT JOIN checkin_code c ON c.code_hash = t.code_hash
LEFT JOIN registration r ON r.id = coalesce(st.registration, c.registration, t.registration_id)
LEFT JOIN registration_category cat ON cat.id = r.category
LEFT JOIN organization o ON o.id = r.registered_organization
LEFT JOIN agenda_session s ON s.id = t.session_id AND s.event = :event_id AND t.session_id <> 0
    AND s.status <> 'cancelled'
LEFT JOIN agenda_room rm ON rm.id = s.room
ORDER BY r.id, t.session_id, t.ord)
SELECT f.*, a.scan AS first_scan, a.checked_in_at AS first_checked_in_at, a.device AS first_device
FROM facts f
LEFT JOIN checkin_firsts((SELECT array_agg(registration_id) FROM facts WHERE registration_id IS NOT NULL),
                         (SELECT array_agg(place) FROM facts WHERE registration_id IS NOT NULL)) a
    ON a.registration = f.registration_id AND a.session = f.place;

-- name: take_walk_in_place(session_id, registration_id)$
-- A walk-in takes one of the session's places while places remain (a booking of its own); its id, nothing when full.
WITH place AS (
    UPDATE agenda_session s SET booked_count = s.booked_count + 1
    WHERE s.id = :session_id AND s.requires_booking
      AND s.booked_count < coalesce(s.capacity, (SELECT rm.capacity FROM agenda_room rm WHERE rm.id = s.room),
                                    2147483647)
    RETURNING s.id)
INSERT INTO agenda_booking (session, registration, status, created_at, updated_at)
SELECT id, :registration_id, 'booked', now(), now() FROM place
RETURNING id;

-- name: record_scans(event_id, account_id, session_ids, registration_ids, devices, scan_ids, methods, scanned_ats, outcomes, reasons, demote_ids)
-- Keep a batch's scans (every scan is kept; nothing for a device's scan id sent before), record the admitted ones
-- as the winning check-in at their place (an earlier scan synced late replaces a later one), and make the scans
-- that won until now duplicates; the ids of the scans kept.
WITH t AS (
    SELECT * FROM unnest(:session_ids::int[], :registration_ids::int[], :devices::varchar[], :scan_ids::varchar[],
                         :methods::varchar[], :scanned_ats::timestamptz[], :outcomes::varchar[], :reasons::varchar[])
        AS t(session, registration, device, scan_id, method, scanned_at, outcome, reason)),
kept AS (
    INSERT INTO checkin_scan (event, session, registration, account, device, scan_id, method, scanned_at, outcome,
                              reason)
    SELECT :event_id, session, registration, :account_id, device, scan_id, method, scanned_at, outcome, reason FROM t
    ON CONFLICT (event, account, device, scan_id) DO NOTHING
    RETURNING id, session, registration, device, scan_id, scanned_at, outcome),
won AS (
    INSERT INTO attendance (event, session, registration, scan, checked_in_at, device)
    SELECT :event_id, session, registration, id, scanned_at, device FROM kept WHERE outcome = 'admitted'
    ON CONFLICT (registration, session) DO UPDATE
    SET scan = EXCLUDED.scan, checked_in_at = EXCLUDED.checked_in_at, device = EXCLUDED.device
    WHERE EXCLUDED.checked_in_at < attendance.checked_in_at
    RETURNING id),
demoted AS (
    UPDATE checkin_scan SET outcome = 'duplicate', reason = 'already'
    WHERE id = ANY(:demote_ids::bigint[]) AND outcome = 'admitted'
    RETURNING id)
SELECT device, scan_id FROM kept;

-- name: checkin_list(event_id, session_id)
-- The event's check-in list for an offline desk at a place (door: 0, or a session): code digest, name,
-- organization, category, status, check-in at that place, and the person's booking of that session.
SELECT r.id AS registration_id, c.code_hash, c.revoked_at IS NOT NULL OR c.category <> r.category AS replaced,
       r.status, r.registered_name AS name, coalesce(o.name, '') AS organization, cat.name AS category,
       a.checked_in_at, a.device,
       (SELECT b.status FROM agenda_booking b WHERE b.session = :session_id AND b.registration = r.id
          AND b.status IN ('booked', 'waitlisted') LIMIT 1) AS booking
FROM registration r JOIN registration_category cat ON cat.id = r.category
LEFT JOIN checkin_code c ON c.registration = r.id
LEFT JOIN organization o ON o.id = r.registered_organization
LEFT JOIN attendance a ON a.registration = r.id AND a.session = :session_id
WHERE r.event = :event_id AND r.anonymized_at IS NULL AND (r.status = 'confirmed' OR c.id IS NOT NULL)
ORDER BY r.registered_name, r.id, c.id;

-- name: checkin_sessions(event_id)
-- The sessions of the event a desk can check in at (not cancelled), by start: title, room, booking rule, places.
SELECT s.id, s.title, s.starts_at, s.ends_at, coalesce(rm.name, '') AS room, s.requires_booking,
       coalesce(s.capacity, rm.capacity) AS places, s.booked_count AS taken
FROM agenda_session s LEFT JOIN agenda_room rm ON rm.id = s.room
WHERE s.event = :event_id AND s.status <> 'cancelled'
ORDER BY s.starts_at, s.id;

-- name: checkin_session(event_id, session_id)^
-- One session of the event for a room's desk (nothing when it is not of this event, or cancelled: checkin_sessions
-- does not offer it): booking rule, places, taken.
SELECT s.id, s.title, s.starts_at, s.ends_at, coalesce(rm.name, '') AS room, s.requires_booking,
       coalesce(s.capacity, rm.capacity) AS places, s.booked_count AS taken
FROM agenda_session s LEFT JOIN agenda_room rm ON rm.id = s.room
WHERE s.event = :event_id AND s.id = :session_id AND s.status <> 'cancelled';

-- name: search_by_name(event_id, pattern, session_id)
-- Registrations of the event whose name or organization holds the (case-folded) pattern: the fallback to a scan.
-- The statuses are domain.checkin.NAMEABLE_STATUSES (a scan by registration id finds no other).
SELECT r.id AS registration_id, r.status, r.registered_name AS name, coalesce(o.name, '') AS organization,
       cat.name AS category, a.checked_in_at, a.device
FROM registration r JOIN registration_category cat ON cat.id = r.category
LEFT JOIN organization o ON o.id = r.registered_organization
LEFT JOIN attendance a ON a.registration = r.id AND a.session = :session_id
WHERE r.event = :event_id AND r.anonymized_at IS NULL AND r.status IN ('confirmed', 'cancelled', 'pending', 'waitlisted', 'offered')
  AND (casefold(r.registered_name COLLATE pg_unicode_fast) LIKE :pattern
       OR casefold(o.name COLLATE pg_unicode_fast) LIKE :pattern)
ORDER BY r.status <> 'confirmed', r.registered_name, r.id
LIMIT 25;

-- name: checkin_counts(event_id, session_id)^
-- How many of the event's confirmed registrations are checked in at a place (the door: 0, or a session).
SELECT count(*) FILTER (WHERE r.status = 'confirmed')::int AS registered,
       count(a.id) FILTER (WHERE r.status = 'confirmed')::int AS checked_in
FROM registration r LEFT JOIN attendance a ON a.registration = r.id AND a.session = :session_id
WHERE r.event = :event_id;

-- name: ticket_event(event_id)^
-- What a ticket and a badge print about the event: title, dates, zone, place.
SELECT id, title, starts_at, ends_at, timezone, venue_name, venue_address, city, country, online_url
FROM event WHERE id = :event_id;

-- name: attendance_totals(event_id)^
-- Registered and checked in, counted as every breakdown below counts (the view attendance_counted: registered = a
-- confirmed registration, or one checked in anywhere; checked in = admitted at the door or in any session room).
SELECT count(*)::int AS registered, count(*) FILTER (WHERE present)::int AS checked_in
FROM attendance_counted WHERE event = :event_id;

-- name: attendance_by_category(event_id)
-- Registered and checked in per category of the event (every category, even an empty one).
SELECT cat.name AS label, count(c.category)::int AS registered,
       count(c.category) FILTER (WHERE c.present)::int AS checked_in
FROM registration_category cat
LEFT JOIN attendance_counted c ON c.category = cat.id AND c.event = :event_id
WHERE cat.event = :event_id
GROUP BY cat.id, cat.name, cat.position ORDER BY cat.position, cat.name;

-- name: attendance_by_organization(event_id)
-- Registered and checked in per organization named at registration (none: an empty name); organizations of the
-- same name in different countries stay apart (grouped by id).
SELECT coalesce(o.name, '') AS label, coalesce(o.country, '') AS country, coalesce(o.kind, '') AS kind,
       coalesce(o.membership_status, '') AS membership,
       count(*)::int AS registered, count(*) FILTER (WHERE c.present)::int AS checked_in
FROM attendance_counted c
LEFT JOIN organization o ON o.id = c.organization
WHERE c.event = :event_id
GROUP BY o.id, o.name, o.country, o.kind, o.membership_status
ORDER BY count(*) FILTER (WHERE c.present) DESC, o.name NULLS LAST, o.country;

-- name: attendance_by_country(event_id)
-- Registered and checked in per country of the organization named at registration (none: '').
SELECT coalesce(o.country, '') AS label,
       count(*)::int AS registered, count(*) FILTER (WHERE c.present)::int AS checked_in
FROM attendance_counted c
LEFT JOIN organization o ON o.id = c.organization
WHERE c.event = :event_id
GROUP BY o.country ORDER BY count(*) FILTER (WHERE c.present) DESC, o.country NULLS LAST;

-- name: organization_attendance(account_id, is_admin)
-- Attendance by organization across the events the account manages (organizer of the event, staff of its office;
-- administrators: all) and the pilot-project meetings it coordinates: one row per organization and event (counted
-- as above) and per organization and meeting (an occurrence: the people present). People without an organization
-- get a row of their own (empty name). Dates are local days (the event's or the series' time zone).
WITH events AS (
    SELECT e.id, e.title, e.starts_at, e.timezone FROM event e
    WHERE :is_admin::boolean
       OR EXISTS (SELECT 1 FROM event_organizer eo WHERE eo.event = e.id AND eo.account = :account_id)
       OR EXISTS (SELECT 1 FROM office_staff os WHERE os.office = e.office AND os.account = :account_id)),
counted AS (SELECT * FROM attendance_counted WHERE event IN (SELECT id FROM events)),
report AS (
    SELECT o.name AS organization, coalesce(o.country, '') AS country, coalesce(o.kind, '') AS kind,
           coalesce(o.membership_status, '') AS membership, 'event' AS activity, e.title,
           (e.starts_at AT TIME ZONE e.timezone)::date AS date,
           count(*)::int AS registered, count(*) FILTER (WHERE c.present)::int AS attended
    FROM counted c
    JOIN events e ON e.id = c.event
    LEFT JOIN organization o ON o.id = c.organization
    GROUP BY o.id, o.name, o.country, o.kind, o.membership_status, e.id, e.title, e.starts_at, e.timezone
    UNION ALL
    SELECT o.name, coalesce(o.country, ''), coalesce(o.kind, ''), coalesce(o.membership_status, ''), 'meeting',
           s.title, (coalesce(mo.starts_at, ma.recurrence_id) AT TIME ZONE s.timezone)::date, NULL::int,
           count(DISTINCT ma.person)::int
    FROM meeting_attendance ma
    JOIN meeting_series s ON s.id = ma.series
    -- a moved meeting on the day it was held; a cancelled one was not held (as the series' own report counts)
    LEFT JOIN meeting_occurrence mo ON mo.series = ma.series AND mo.recurrence_id = ma.recurrence_id
    LEFT JOIN organization o ON o.id = ma.organization
    WHERE (:is_admin::boolean
           OR EXISTS (SELECT 1 FROM project_coordinator pc WHERE pc.project = s.project AND pc.account = :account_id))
      AND NOT coalesce(mo.cancelled, false)
    GROUP BY o.id, o.name, o.country, o.kind, o.membership_status, s.id, s.title, s.timezone, ma.recurrence_id,
             mo.starts_at)
SELECT * FROM report ORDER BY organization NULLS LAST, country, date, activity, title;

-- name: badge_rows(event_id, category, organization_id, not_printed, registration_id)
-- Confirmed registrations to print badges for (filters optional), with their category's badge style and delegation.
SELECT r.id, r.registered_name AS name, coalesce(o.name, '') AS organization, coalesce(o.country, '') AS country,
       cat.name AS category, coalesce(bs.colour, '#1f4e79') AS colour,
       coalesce(bs.fields, '["name", "organization", "country", "category", "delegation", "qr"]'::jsonb) AS fields,
       coalesce(dorg.name, '') AS delegation
FROM registration r
JOIN registration_category cat ON cat.id = r.category
LEFT JOIN badge_style bs ON bs.category = cat.id
LEFT JOIN organization o ON o.id = r.registered_organization
LEFT JOIN delegation d ON d.id = r.delegation
LEFT JOIN organization dorg ON dorg.id = d.organization
WHERE r.event = :event_id AND r.status = 'confirmed' AND r.anonymized_at IS NULL
  AND (:category::varchar IS NULL OR cat.code = :category)
  AND (:organization_id::int IS NULL OR r.registered_organization = :organization_id)
  AND (:registration_id::int IS NULL OR r.id = :registration_id)
  AND (NOT :not_printed::boolean OR NOT EXISTS (SELECT 1 FROM badge_print bp WHERE bp.registration = r.id))
ORDER BY cat.position, r.registered_name, r.id;

-- name: live_codes_of_event(event_id)
-- The nonces of the event's live check-in codes, by registration (badges print the code).
SELECT registration, nonce FROM checkin_code WHERE event = :event_id AND revoked_at IS NULL;

-- name: mark_printed(registration_ids)!
-- Remember that these registrations' badges were printed (and how often).
INSERT INTO badge_print (registration) SELECT unnest(:registration_ids::int[])
ON CONFLICT (registration) DO UPDATE SET printed_at = now(), times = badge_print.times + 1;

-- name: set_badge_style(event_id, category_id, colour, fields)$
-- A category's badge colour and the fields it shows; its id, nothing when the category is not of the event.
INSERT INTO badge_style (category, colour, fields)
SELECT id, :colour, :fields FROM registration_category WHERE id = :category_id AND event = :event_id
ON CONFLICT (category) DO UPDATE SET colour = EXCLUDED.colour, fields = EXCLUDED.fields
RETURNING id;

-- ------------------------------------------------------------------------- certificates of attendance

-- name: lock_certificates(event_id)!
-- Serialize issuing certificates of one event until the transaction ends (two bulk sends issue each once).
SELECT pg_advisory_xact_lock(hashtext('certificate'), :event_id::int);

-- name: certificate_candidates(event_id, registration_id)
-- The event's confirmed, not erased registrations checked in at the door or a session (one when registration_id is given): who may get a certificate.
SELECT r.id, r.registered_name AS name, p.email, r.registered_language AS language
FROM registration r JOIN person p ON p.id = r.person
WHERE r.event = :event_id AND r.status = 'confirmed' AND r.anonymized_at IS NULL
  AND (:registration_id::int IS NULL OR r.id = :registration_id)
  AND EXISTS (SELECT 1 FROM attendance a WHERE a.registration = r.id)
ORDER BY r.id;

-- name: certificate_door_days(event_id, registration_id)
-- The local days each registration was let in at the door (the first admission or a later scan counted as a duplicate).
SELECT DISTINCT s.registration, (s.scanned_at AT TIME ZONE e.timezone)::date AS day
FROM checkin_scan s JOIN event e ON e.id = s.event
WHERE s.event = :event_id AND s.session = 0 AND s.outcome IN ('admitted', 'duplicate') AND s.registration IS NOT NULL
  AND (:registration_id::int IS NULL OR s.registration = :registration_id);

-- name: certificate_session_spans(event_id, registration_id)
-- The sessions each registration was checked in to, with their times.
SELECT a.registration, ss.starts_at, ss.ends_at
FROM attendance a JOIN agenda_session ss ON ss.id = a.session AND ss.event = a.event
WHERE a.event = :event_id AND a.session <> 0 AND (:registration_id::int IS NULL OR a.registration = :registration_id);

-- name: live_certificates(event_id, registration_id)
-- The live certificates of the event's registrations (one when registration_id is given): id, nonce, minutes.
SELECT id, registration, nonce, minutes FROM certificate
WHERE event = :event_id AND revoked_at IS NULL AND (:registration_id::int IS NULL OR registration = :registration_id);

-- name: revoke_certificates(certificate_ids)!
-- Revoke these live certificates (replaced by one with other figures).
UPDATE certificate SET revoked_at = now() WHERE id = ANY(:certificate_ids::int[]) AND revoked_at IS NULL;

-- name: insert_certificates(event_id, registration_ids, nonces, code_hashes, minutes)!
-- Issue certificates for registrations of one event (those that got one meanwhile keep theirs).
INSERT INTO certificate (registration, event, nonce, code_hash, minutes)
SELECT reg, :event_id, nonce, code_hash, mins
FROM unnest(:registration_ids::int[], :nonces::varchar[], :code_hashes::varchar[], :minutes::int[])
     AS t(reg, nonce, code_hash, mins)
ON CONFLICT (registration) WHERE revoked_at IS NULL DO NOTHING;

-- name: queue_certificate_mails(event_id, certificate_ids)$
-- One pending certificate mail per certificate, at most once per certificate (a second bulk send writes nothing); how many were written.
WITH written AS (
    INSERT INTO outbox_message (kind, event, registration, recipient, language, payload, status, attempts,
                                next_attempt_at, last_error, message_id, dedupe_key, created_at)
    SELECT 'certificate', c.event, c.registration, p.email, r.registered_language,
           jsonb_build_object('certificate_id', c.id), 'pending', 0, now(), '', '', 'certificate:' || c.id, now()
    FROM certificate c JOIN registration r ON r.id = c.registration JOIN person p ON p.id = r.person
    WHERE c.event = :event_id AND c.id = ANY(:certificate_ids::int[])
    ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING
    RETURNING id)
SELECT count(*)::int FROM written;

-- name: certificate_by_hash(code_hash)^
-- A certificate found by its code's digest, with what the verification page and the PDF show (and whether it still stands).
SELECT c.id, c.nonce, c.minutes, c.issued_at, c.revoked_at, c.registration, r.registered_name AS name,
       r.registered_language AS language, r.status, r.anonymized_at, e.id AS event_id, e.title, e.starts_at,
       e.ends_at, e.timezone, e.venue_name, e.city, e.country
FROM certificate c JOIN registration r ON r.id = c.registration JOIN event e ON e.id = c.event
WHERE c.code_hash = :code_hash;

-- name: certificate_by_id(certificate_id)^
-- The same facts for the certificate a mail is about (the worker writing it): the registration's live one when this one was replaced meanwhile.
SELECT c.id, c.nonce, c.minutes, c.issued_at, c.revoked_at, c.registration, r.registered_name AS name,
       r.registered_language AS language, r.status, r.anonymized_at, e.id AS event_id, e.title, e.starts_at,
       e.ends_at, e.timezone, e.venue_name, e.city, e.country
FROM certificate asked
JOIN certificate c ON c.registration = asked.registration AND (c.id = asked.id OR c.revoked_at IS NULL)
JOIN registration r ON r.id = c.registration JOIN event e ON e.id = c.event
WHERE asked.id = :certificate_id
ORDER BY c.revoked_at IS NULL DESC, c.id DESC
LIMIT 1;

-- name: live_codes_of_registrations(registration_ids)
-- live_code for many registrations: status, category, erasure and live check-in code (if any) of each.
SELECT r.id, r.event, r.status, r.category, r.anonymized_at, c.id AS code_id, c.nonce, c.category AS code_category
FROM registration r LEFT JOIN checkin_code c ON c.registration = r.id AND c.revoked_at IS NULL
WHERE r.id = ANY(:registration_ids::int[]);

-- name: checkin_desk_of_session(token_hash, event_id)^
-- In one round trip, the account a live login session belongs to (nothing: not logged in) and, as checkin_access
-- says, the event (event_id NULL: no such event), whether the account manages it and its check-in desk name.
SELECT a.id AS account_id, a.email, a.name AS account_name, a.is_admin, e.id AS event_id, e.title, e.starts_at,
       e.id IS NOT NULL AND (
           EXISTS(SELECT 1 FROM event_organizer o WHERE o.event = e.id AND o.account = a.id)
           OR EXISTS(SELECT 1 FROM office_staff st WHERE st.office = e.office AND st.account = a.id)) AS manages,
       (SELECT cs.desk FROM checkin_staff cs WHERE cs.event = e.id AND cs.account = a.id) AS desk
FROM auth_session s JOIN account a ON a.id = s.account
LEFT JOIN event e ON e.id = :event_id
WHERE s.token_hash = :token_hash AND s.expires_at > now() AND a.is_active;
