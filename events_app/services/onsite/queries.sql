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

-- name: code_facts(code_hash)^
-- What a scanned code is: its registration (event, status, category, erasure), whether it is live, and who it is.
SELECT c.id AS code_id, c.category AS code_category, c.revoked_at, r.id AS registration_id, r.event, r.status,
       r.category, r.anonymized_at, r.registered_name AS name, coalesce(o.name, '') AS organization,
       cat.name AS category_name
FROM checkin_code c JOIN registration r ON r.id = c.registration
JOIN registration_category cat ON cat.id = r.category
LEFT JOIN organization o ON o.id = r.registered_organization
WHERE c.code_hash = :code_hash;

-- name: registration_facts(registration_id)^
-- The same facts for a registration found by name (no code): event, status, category, erasure, who it is.
SELECT NULL::int AS code_id, r.category AS code_category, NULL::timestamptz AS revoked_at, r.id AS registration_id,
       r.event, r.status, r.category, r.anonymized_at, r.registered_name AS name,
       coalesce(o.name, '') AS organization, cat.name AS category_name
FROM registration r JOIN registration_category cat ON cat.id = r.category
LEFT JOIN organization o ON o.id = r.registered_organization
WHERE r.id = :registration_id;

-- name: session_checkin_facts(session_id, event_id, registration_id)^
-- A session of the event for a room check-in: booking rule, the registration's booking, places, people checked in.
SELECT s.id, s.title, s.requires_booking, coalesce(s.capacity, rm.capacity) AS places,
       (SELECT b.status FROM agenda_booking b WHERE b.session = s.id AND b.registration = :registration_id
          AND b.status IN ('booked', 'waitlisted') LIMIT 1) AS booking,
       (SELECT count(*) FROM attendance a WHERE a.session = s.id)::int AS present
FROM agenda_session s LEFT JOIN agenda_room rm ON rm.id = s.room
WHERE s.id = :session_id AND s.event = :event_id;

-- name: lock_attendance_key(registration_id, session_id)!
-- Serialize check-ins of one registration at one place (door or session) until the transaction ends.
SELECT pg_advisory_xact_lock(:registration_id::int, :session_id::int);

-- name: stored_scan(event_id, device, scan_id)^
-- A scan already received from this device (a replayed batch): what it decided.
SELECT s.id, s.registration, s.session, s.outcome, s.reason, s.scanned_at, s.device
FROM checkin_scan s WHERE s.event = :event_id AND s.device = :device AND s.scan_id = :scan_id;

-- name: attendance_of(registration_id, session_id)^
-- The winning check-in of a registration at a place: when, at which desk, by which scan.
SELECT scan, checked_in_at, device FROM attendance WHERE registration = :registration_id AND session = :session_id;

-- name: insert_scan(event_id, session_id, registration_id, account_id, device, scan_id, method, scanned_at, outcome, reason)$
-- Keep one scan (every scan is kept); nothing when this device sent this scan before.
INSERT INTO checkin_scan (event, session, registration, account, device, scan_id, method, scanned_at, outcome, reason)
VALUES (:event_id, :session_id, :registration_id, :account_id, :device, :scan_id, :method, :scanned_at, :outcome,
        :reason)
ON CONFLICT (event, device, scan_id) DO NOTHING
RETURNING id;

-- name: set_attendance(event_id, session_id, registration_id, scan, checked_in_at, device)!
-- Record the winning scan of a registration at a place (an earlier scan synced late replaces a later one).
INSERT INTO attendance (event, session, registration, scan, checked_in_at, device)
VALUES (:event_id, :session_id, :registration_id, :scan, :checked_in_at, :device)
ON CONFLICT (registration, session) DO UPDATE
SET scan = EXCLUDED.scan, checked_in_at = EXCLUDED.checked_in_at, device = EXCLUDED.device
WHERE EXCLUDED.checked_in_at < attendance.checked_in_at;

-- name: demote_scan(scan_id)!
-- A scan that won until an earlier one was synced becomes a duplicate.
UPDATE checkin_scan SET outcome = 'duplicate', reason = 'already' WHERE id = :scan_id AND outcome = 'admitted';

-- name: checkin_list(event_id)
-- The event's check-in list for an offline desk: code digest, name, organization, category, status, check-in.
SELECT r.id AS registration_id, c.code_hash, c.revoked_at IS NOT NULL OR c.category <> r.category AS replaced,
       r.status, r.registered_name AS name, coalesce(o.name, '') AS organization, cat.name AS category,
       a.checked_in_at, a.device
FROM registration r JOIN registration_category cat ON cat.id = r.category
LEFT JOIN checkin_code c ON c.registration = r.id
LEFT JOIN organization o ON o.id = r.registered_organization
LEFT JOIN attendance a ON a.registration = r.id AND a.session = 0
WHERE r.event = :event_id AND r.anonymized_at IS NULL AND (r.status = 'confirmed' OR c.id IS NOT NULL)
ORDER BY r.registered_name, r.id, c.id;

-- name: search_by_name(event_id, pattern, session_id)
-- Registrations of the event whose name or organization holds the (case-folded) pattern: the fallback to a scan.
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

-- name: checkin_counts(event_id)^
-- How many of the event's confirmed registrations are checked in at the door.
SELECT count(*) FILTER (WHERE r.status = 'confirmed')::int AS registered,
       count(a.id) FILTER (WHERE r.status = 'confirmed')::int AS checked_in
FROM registration r LEFT JOIN attendance a ON a.registration = r.id AND a.session = 0
WHERE r.event = :event_id;

-- name: ticket_event(event_id)^
-- What a ticket and a badge print about the event: title, dates, zone, place.
SELECT id, title, starts_at, ends_at, timezone, venue_name, venue_address, city, country, online_url
FROM event WHERE id = :event_id;

-- name: attendance_by_category(event_id)
-- Registered (confirmed, or checked in) and checked in at the door, per category of the event.
SELECT cat.name AS label, count(r.id) FILTER (WHERE r.status = 'confirmed' OR a.id IS NOT NULL)::int AS registered,
       count(a.id)::int AS checked_in
FROM registration_category cat
LEFT JOIN registration r ON r.category = cat.id
LEFT JOIN attendance a ON a.registration = r.id AND a.session = 0
WHERE cat.event = :event_id
GROUP BY cat.id, cat.name, cat.position ORDER BY cat.position, cat.name;

-- name: attendance_by_organization(event_id)
-- Registered and checked in at the door, per organization named at registration (none: an empty name).
SELECT coalesce(o.name, '') AS label, coalesce(o.country, '') AS country, coalesce(o.kind, '') AS kind,
       coalesce(o.membership_status, '') AS membership,
       count(r.id) FILTER (WHERE r.status = 'confirmed' OR a.id IS NOT NULL)::int AS registered,
       count(a.id)::int AS checked_in
FROM registration r
LEFT JOIN organization o ON o.id = r.registered_organization
LEFT JOIN attendance a ON a.registration = r.id AND a.session = 0
WHERE r.event = :event_id AND (r.status = 'confirmed' OR a.id IS NOT NULL)
GROUP BY o.id, o.name, o.country, o.kind, o.membership_status ORDER BY count(a.id) DESC, o.name NULLS LAST;

-- name: attendance_by_country(event_id)
-- Registered and checked in at the door, per country of the organization named at registration.
SELECT coalesce(o.country, '') AS label,
       count(r.id) FILTER (WHERE r.status = 'confirmed' OR a.id IS NOT NULL)::int AS registered,
       count(a.id)::int AS checked_in
FROM registration r
LEFT JOIN organization o ON o.id = r.registered_organization
LEFT JOIN attendance a ON a.registration = r.id AND a.session = 0
WHERE r.event = :event_id AND (r.status = 'confirmed' OR a.id IS NOT NULL)
GROUP BY o.country ORDER BY count(a.id) DESC, o.country NULLS LAST;

-- name: organization_attendance(account_id, is_admin)
-- Attendance by organization across the events the account manages (all for administrators) and the pilot-project meetings it coordinates.
SELECT o.name AS organization, coalesce(o.country, '') AS country, o.kind, o.membership_status AS membership,
       'event' AS activity, e.title, e.starts_at AS date,
       count(r.id) FILTER (WHERE r.status = 'confirmed' OR a.id IS NOT NULL)::int AS registered,
       count(a.id)::int AS attended
FROM registration r
JOIN event e ON e.id = r.event
JOIN organization o ON o.id = r.registered_organization
LEFT JOIN attendance a ON a.registration = r.id AND a.session = 0
WHERE (:is_admin::boolean
       OR EXISTS (SELECT 1 FROM event_organizer eo WHERE eo.event = e.id AND eo.account = :account_id)
       OR EXISTS (SELECT 1 FROM office_staff os WHERE os.office = e.office AND os.account = :account_id))
  AND (r.status = 'confirmed' OR a.id IS NOT NULL)
GROUP BY o.id, o.name, o.country, o.kind, o.membership_status, e.id, e.title, e.starts_at
UNION ALL
SELECT o.name, coalesce(o.country, ''), o.kind, o.membership_status, 'meeting', s.title, min(ma.recurrence_id),
       NULL::int, count(*)::int
FROM meeting_attendance ma
JOIN meeting_series s ON s.id = ma.series
JOIN organization o ON o.id = ma.organization
WHERE :is_admin::boolean
   OR EXISTS (SELECT 1 FROM project_coordinator pc WHERE pc.project = s.project AND pc.account = :account_id)
GROUP BY o.id, o.name, o.country, o.kind, o.membership_status, s.id, s.title
ORDER BY 1, 7;

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

-- name: live_codes_of_registrations(registration_ids)
-- live_code for many registrations: status, category, erasure and live check-in code (if any) of each.
SELECT r.id, r.event, r.status, r.category, r.anonymized_at, c.id AS code_id, c.nonce, c.category AS code_category
FROM registration r LEFT JOIN checkin_code c ON c.registration = r.id AND c.revoked_at IS NULL
WHERE r.id = ANY(:registration_ids::int[]);
