-- The registration capability's SQL: registrations and their links, seats and the waiting list, organizers' work
-- on registrations, questions, invitations and access codes, delegations, session bookings and their messages.
--
-- Shared rules written out here keep the text of their one home, and tests/unit/db/test_shared_sql_rules.py fails
-- when a copy drifts: the seat counter change (count_seats: `confirmed_count = confirmed_count + <delta>`), the
-- waiting-list position (services/registration/waitlist.py), the calendar SEQUENCE growth and "was sent a CANCEL
-- before" (services/platform/calendar_sequence.py), the person upsert (services/people/people.py person_ctes), the
-- outbox row (services/platform/outbox.py) and the time overlap (services/platform/time_overlap.py).


-- ---------------------------------------------------------------------------------------------------------------
-- seats: the event lock, seat counters, promotion from the waiting list, cancellation, messages
-- ---------------------------------------------------------------------------------------------------------------

-- name: lock_event(event_id)^
-- record_class: LockedEvent
-- Lock the event row (first, before any of its registrations) and read what seat changes need.
SELECT id, title, status, registration_opens_at, registration_closes_at, capacity, confirmed_count,
       calendar_sequence, waitlist_mode, offer_hours
FROM event WHERE id = :event_id FOR NO KEY UPDATE;

-- name: take_seat(event_id, category_id)!
-- One seat more on the event's and the category's counters, in one statement (the event lock is held).
WITH event_seat AS (UPDATE event SET confirmed_count = confirmed_count + 1 WHERE id = :event_id)
UPDATE registration_category SET confirmed_count = confirmed_count + 1 WHERE id = :category_id;

-- name: free_seat(event_id, category_id)!
-- One seat less on the event's and the category's counters, in one statement (the event lock is held).
WITH event_seat AS (UPDATE event SET confirmed_count = confirmed_count + -1 WHERE id = :event_id)
UPDATE registration_category SET confirmed_count = confirmed_count + -1 WHERE id = :category_id;

-- name: move_seat(from_category_id, to_category_id)!
-- A held seat changes category: the event-wide count stays, one category gives the seat to the other.
WITH old_seat AS (UPDATE registration_category SET confirmed_count = confirmed_count + -1 WHERE id = :from_category_id)
UPDATE registration_category SET confirmed_count = confirmed_count + 1 WHERE id = :to_category_id;

-- name: next_waitlist_seq()$
-- Draw the next place in line (one sequence for every event, so places follow the order of the event lock).
SELECT nextval('registration_waitlist_order');

-- name: recipient(registration_id)^
-- record_class: MessageRecipient
-- The recipient of a message about a registration, without a calendar invite.
SELECT r.event, r.person, p.email, r.registered_language AS language, NULL::int AS sequence
FROM registration r JOIN person p ON p.id = r.person WHERE r.id = :registration_id;

-- name: recipient_and_request_sequence(registration_id)^
-- record_class: MessageRecipient
-- The recipient and the SEQUENCE of a REQUEST, grown first when they were sent a CANCEL for the event before.
-- The outer SELECT sees the event row as it was before the CTE's update, hence coalesce(bumped, before).
WITH reg AS (SELECT r.event, r.person, p.email, r.registered_language AS language
             FROM registration r JOIN person p ON p.id = r.person WHERE r.id = :registration_id),
     bumped AS (UPDATE event SET calendar_sequence = calendar_sequence + 1
                WHERE id = (SELECT event FROM reg)
                  AND EXISTS (SELECT 1 FROM registration o WHERE o.event = (SELECT event FROM reg) AND o.person = (SELECT person FROM reg) AND o.status IN ('cancelled', 'rejected'))
                RETURNING calendar_sequence)
SELECT reg.*, coalesce((SELECT calendar_sequence FROM bumped),
                       (SELECT calendar_sequence FROM event WHERE id = reg.event)) AS sequence
FROM reg;

-- name: recipient_and_cancel_sequence(registration_id)^
-- record_class: MessageRecipient
-- The recipient and the SEQUENCE of a CANCEL, which always grows it (RFC 5546 2.1.4: above every earlier REQUEST).
WITH reg AS (SELECT r.event, r.person, p.email, r.registered_language AS language
             FROM registration r JOIN person p ON p.id = r.person WHERE r.id = :registration_id),
     bumped AS (UPDATE event SET calendar_sequence = calendar_sequence + 1 WHERE id = (SELECT event FROM reg)
                RETURNING calendar_sequence)
SELECT reg.*, (SELECT calendar_sequence FROM bumped) AS sequence FROM reg;

-- name: event_seats_taken(event_id)$
-- The event's seats taken now (its counter, current under the held event lock).
SELECT confirmed_count FROM event WHERE id = :event_id;

-- name: category_seats_of_event(event_id)
-- Every category of the event with its quota and seats taken, for promotion.
SELECT id, quota, confirmed_count FROM registration_category WHERE event = :event_id;

-- name: waiting_registrations(event_id)
-- The event's waiting list in order (the first 2000), for promotion.
SELECT id, category FROM registration WHERE event = :event_id AND status = 'waitlisted'
ORDER BY waitlist_seq LIMIT 2000;

-- name: offer_seat(registration_id, offer_expires_at)!
-- A registration from the waiting list gets a time-limited offer of a held seat.
UPDATE registration SET status = 'offered', offer_expires_at = :offer_expires_at, updated_at = now()
WHERE id = :registration_id;

-- name: confirm_registration(registration_id)!
-- A registration becomes confirmed (promoted from the waiting list, or approved).
UPDATE registration SET status = 'confirmed', updated_at = now() WHERE id = :registration_id;

-- name: lock_registration_status(registration_id)^
-- Lock a registration (after its event) and read its status and category, before cancelling it.
SELECT status, category FROM registration WHERE id = :registration_id FOR NO KEY UPDATE;

-- name: cancel_registration(registration_id, reason)!
-- Cancel a registration with its reason; an open offer ends with it.
UPDATE registration SET status = 'cancelled', cancel_reason = :reason, cancelled_at = now(),
       offer_expires_at = NULL, updated_at = now()
WHERE id = :registration_id;


-- ---------------------------------------------------------------------------------------------------------------
-- registrations: register, read, cancel, accept an offer, answers, the manage link again, expired offers
-- ---------------------------------------------------------------------------------------------------------------

-- name: invitation_for_use(token_hash, event_id)^
-- Lock the invitation a registration uses (by its token's digest) and read what decides whether it is valid.
SELECT id, category, email, expires_at, used_at FROM invitation
WHERE token_hash = :token_hash AND event = :event_id FOR NO KEY UPDATE;

-- name: mark_invitation_used(invitation_id, used_at)!
-- An invitation is used up by the registration made with it.
UPDATE invitation SET used_at = :used_at WHERE id = :invitation_id;

-- name: access_code_for_use(event_id, code)^
-- Lock the access code a registration uses (case-insensitive) and read what decides whether it is valid.
SELECT id, category, max_uses, uses, expires_at FROM access_code
WHERE event = :event_id AND upper(code) = upper(:code) FOR NO KEY UPDATE;

-- name: count_access_code_use(access_code_id)!
-- An access code is used once more.
UPDATE access_code SET uses = uses + 1 WHERE id = :access_code_id;

-- name: category_by_id(category_id)^
-- record_class: Category
-- A registration category by id.
SELECT * FROM registration_category WHERE id = :category_id;

-- name: category_by_code(event_id, code)^
-- record_class: Category
-- A registration category of an event by its code.
SELECT * FROM registration_category WHERE event = :event_id AND code = :code;

-- name: category_codes(event_id)
-- The event's category codes in display order, for the message naming the valid ones.
SELECT code FROM registration_category WHERE event = :event_id ORDER BY position;

-- name: insert_registration_for_person(event_id, category_id, status, token_nonce, token_hash, answers, delegation_id, invitation_id, access_code_id, waitlist_seq, consent_version, seat_delta, message_kind, calendar_method, active_statuses, name, organization_id, language, timezone, person_id)^
-- The registration of a known person (by id) with its seat, the event's SEQUENCE and its first message, in one
-- statement under the event lock; nothing is inserted when the person holds an active registration (`active`).
WITH who AS (SELECT id, email FROM person WHERE id = :person_id),
active AS (
    SELECT r.id FROM registration r, who
    WHERE r.event = :event_id AND r.person = who.id AND r.status = ANY(:active_statuses::text[])),
reg AS (
    INSERT INTO registration (event, person, category, status, token_nonce, token_hash, answers, delegation,
                              invitation, access_code, waitlist_seq, cancel_reason, consent_version, consent_at,
                              registered_name, registered_organization, registered_language,
                              registered_timezone, created_at, updated_at)
    SELECT :event_id, who.id, :category_id, :status, :token_nonce, :token_hash, :answers::jsonb, :delegation_id, :invitation_id, :access_code_id,
           coalesce(:waitlist_seq::bigint, CASE WHEN :status::varchar = 'waitlisted'
                                                THEN nextval('registration_waitlist_order') END),
           '', :consent_version::text, CASE WHEN :consent_version::text IS NULL THEN NULL ELSE now() END,
           :name::varchar, :organization_id::int, :language::varchar, :timezone::varchar, now(), now()
    FROM who WHERE NOT EXISTS (SELECT 1 FROM active)
    RETURNING id, status, category, created_at, waitlist_seq, consent_version, consent_at),
ev AS (
    UPDATE event SET confirmed_count = confirmed_count + :seat_delta::int,
                     calendar_sequence = calendar_sequence + CASE WHEN EXISTS (SELECT 1 FROM registration o WHERE o.event = :event_id AND o.person = (SELECT id FROM who) AND o.status IN ('cancelled', 'rejected')) THEN 1 ELSE 0 END
    WHERE id = :event_id AND :seat_delta::int > 0 AND EXISTS (SELECT 1 FROM reg)
    RETURNING calendar_sequence),
cat AS (
    UPDATE registration_category SET confirmed_count = confirmed_count + :seat_delta::int
    WHERE id = :category_id AND :seat_delta::int > 0 AND EXISTS (SELECT 1 FROM reg)),
msg AS (
    INSERT INTO outbox_message (kind, event, registration, recipient, language, payload, calendar_method, calendar_sequence, status,
              attempts, next_attempt_at, last_error, message_id, dedupe_key, created_at)
    SELECT :message_kind::varchar, :event_id, reg.id, who.email, :language::varchar, '{}'::jsonb, :calendar_method::varchar,
           CASE WHEN :calendar_method::varchar IS NOT NULL
                THEN coalesce((SELECT calendar_sequence FROM ev),
                              (SELECT calendar_sequence FROM event WHERE id = :event_id)) END,
           'pending', 0, now(), '', '', NULL, now()
    FROM reg, who WHERE who.email NOT LIKE '%.invalid')
SELECT who.id AS person_id, o.id AS organization_id, o.name AS organization_name,
       o.country AS organization_country, o.kind AS organization_kind, (SELECT id FROM active) AS active,
       reg.id, reg.status, reg.created_at, reg.consent_version, reg.consent_at,
       CASE WHEN reg.status = 'waitlisted' THEN 1 + (SELECT count(*) FROM registration w WHERE w.category = reg.category AND w.status = 'waitlisted' AND w.waitlist_seq < reg.waitlist_seq) END AS waitlist_position
FROM who LEFT JOIN reg ON true LEFT JOIN organization o ON o.id = :organization_id::int;

-- name: insert_registration_with_person(event_id, category_id, status, token_nonce, token_hash, answers, delegation_id, invitation_id, access_code_id, waitlist_seq, consent_version, seat_delta, message_kind, calendar_method, active_statuses, name, organization_id, language, timezone, email)^
-- The registration of the person with this address (created if new, an existing one never changed) with its seat,
-- the event's SEQUENCE and its first message, in one statement under the event lock; no row when the person was
-- created by another transaction after this statement's snapshot (run it again), nothing inserted when the
-- person holds an active registration (`active`).
WITH created AS (
    INSERT INTO person (email, name, organization, language, timezone, created_at)
    VALUES (:email, :name, :organization_id, :language, :timezone, now())
    ON CONFLICT (email) DO NOTHING RETURNING id, email),
who AS (SELECT id, email FROM created
        UNION ALL SELECT id, email FROM person WHERE email = :email AND NOT EXISTS (SELECT 1 FROM created)),
active AS (
    SELECT r.id FROM registration r, who
    WHERE r.event = :event_id AND r.person = who.id AND r.status = ANY(:active_statuses::text[])),
reg AS (
    INSERT INTO registration (event, person, category, status, token_nonce, token_hash, answers, delegation,
                              invitation, access_code, waitlist_seq, cancel_reason, consent_version, consent_at,
                              registered_name, registered_organization, registered_language,
                              registered_timezone, created_at, updated_at)
    SELECT :event_id, who.id, :category_id, :status, :token_nonce, :token_hash, :answers::jsonb, :delegation_id, :invitation_id, :access_code_id,
           coalesce(:waitlist_seq::bigint, CASE WHEN :status::varchar = 'waitlisted'
                                                THEN nextval('registration_waitlist_order') END),
           '', :consent_version::text, CASE WHEN :consent_version::text IS NULL THEN NULL ELSE now() END,
           :name::varchar, :organization_id::int, :language::varchar, :timezone::varchar, now(), now()
    FROM who WHERE NOT EXISTS (SELECT 1 FROM active)
    RETURNING id, status, category, created_at, waitlist_seq, consent_version, consent_at),
ev AS (
    UPDATE event SET confirmed_count = confirmed_count + :seat_delta::int,
                     calendar_sequence = calendar_sequence + CASE WHEN EXISTS (SELECT 1 FROM registration o WHERE o.event = :event_id AND o.person = (SELECT id FROM who) AND o.status IN ('cancelled', 'rejected')) THEN 1 ELSE 0 END
    WHERE id = :event_id AND :seat_delta::int > 0 AND EXISTS (SELECT 1 FROM reg)
    RETURNING calendar_sequence),
cat AS (
    UPDATE registration_category SET confirmed_count = confirmed_count + :seat_delta::int
    WHERE id = :category_id AND :seat_delta::int > 0 AND EXISTS (SELECT 1 FROM reg)),
msg AS (
    INSERT INTO outbox_message (kind, event, registration, recipient, language, payload, calendar_method, calendar_sequence, status,
              attempts, next_attempt_at, last_error, message_id, dedupe_key, created_at)
    SELECT :message_kind::varchar, :event_id, reg.id, who.email, :language::varchar, '{}'::jsonb, :calendar_method::varchar,
           CASE WHEN :calendar_method::varchar IS NOT NULL
                THEN coalesce((SELECT calendar_sequence FROM ev),
                              (SELECT calendar_sequence FROM event WHERE id = :event_id)) END,
           'pending', 0, now(), '', '', NULL, now()
    FROM reg, who WHERE who.email NOT LIKE '%.invalid')
SELECT who.id AS person_id, o.id AS organization_id, o.name AS organization_name,
       o.country AS organization_country, o.kind AS organization_kind, (SELECT id FROM active) AS active,
       reg.id, reg.status, reg.created_at, reg.consent_version, reg.consent_at,
       CASE WHEN reg.status = 'waitlisted' THEN 1 + (SELECT count(*) FROM registration w WHERE w.category = reg.category AND w.status = 'waitlisted' AND w.waitlist_seq < reg.waitlist_seq) END AS waitlist_position
FROM who LEFT JOIN reg ON true LEFT JOIN organization o ON o.id = :organization_id::int;

-- name: lock_event_with_category(event_id, code, organization_id)^
-- Lock the event and the chosen category (the event first) and read, in the same round trip, the event's
-- questions and the named organization (its kind, membership and registered email domains). Locking the
-- category row too makes PostgreSQL return its newest version when this statement had to wait.
SELECT e.id, e.title, e.status, e.registration_opens_at, e.registration_closes_at, e.capacity, e.confirmed_count,
       c.id AS cat_id, c.code AS cat_code, c.name AS cat_name, c.quota AS cat_quota,
       c.confirmed_count AS cat_confirmed_count, c.requires_approval AS cat_requires_approval,
       c.eligibility AS cat_eligibility, c.opens_at AS cat_opens_at, c.closes_at AS cat_closes_at,
       (SELECT coalesce(json_agg(json_build_object('code', q.code, 'label', q.label, 'kind', q.kind,
                                                  'required', q.required, 'options', q.options)
                                ORDER BY q.position), '[]')
        FROM question q WHERE q.event = e.id) AS questions,
       (SELECT json_build_object('kind', o.kind, 'membership_status', o.membership_status,
                                 'domains', (SELECT coalesce(json_agg(d.domain), '[]')
                                             FROM organization_domain d WHERE d.organization = o.id))
        FROM organization o WHERE o.id = :organization_id::int) AS organization
FROM event e JOIN registration_category c ON c.event = e.id AND c.code = :code
WHERE e.id = :event_id FOR NO KEY UPDATE OF e, c;

-- name: registration_context(event_id, organization_id)^
-- What a registration is checked against besides seats: the event's questions and the named organization.
SELECT (SELECT coalesce(json_agg(json_build_object('code', q.code, 'label', q.label, 'kind', q.kind,
                                                  'required', q.required, 'options', q.options)
                                ORDER BY q.position), '[]')
        FROM question q WHERE q.event = :event_id) AS questions,
       (SELECT json_build_object('kind', o.kind, 'membership_status', o.membership_status,
                                 'domains', (SELECT coalesce(json_agg(d.domain), '[]')
                                             FROM organization_domain d WHERE d.organization = o.id))
        FROM organization o WHERE o.id = :organization_id::int) AS organization;

-- name: remember_idempotency_key(scope, key, request_hash, registration_id)!
-- Remember which registration a request with an Idempotency-Key created, so that a retry answers it again.
INSERT INTO idempotency_key (scope, key, request_hash, registration, created_at)
VALUES (:scope, :key, :request_hash, :registration_id, now());

-- name: idempotency_key(scope, key)^
-- The request and registration an Idempotency-Key was first used for.
SELECT request_hash, registration FROM idempotency_key WHERE scope = :scope AND key = :key;

-- name: registration_token_nonce(registration_id)$
-- The nonce a registration's manage token is made from.
SELECT token_nonce FROM registration WHERE id = :registration_id;

-- name: registration_link_facts(registration_id)^
-- What decides whether a registration's link may be shown to whoever registered (domain.registration.link_only_by_mail):
-- its category's eligibility and whether an invitation or access code admitted it; and the link's nonce.
SELECT r.token_nonce, c.eligibility, (r.invitation IS NOT NULL OR r.access_code IS NOT NULL) AS unlocked
FROM registration r JOIN registration_category c ON c.id = r.category WHERE r.id = :registration_id;

-- name: registration_by_token_hash(token_hash)^
-- The registration a manage token is for (by its digest).
SELECT id, event, person, status FROM registration WHERE token_hash = :token_hash;

-- name: registration_status(registration_id)$
-- A registration's status.
SELECT status FROM registration WHERE id = :registration_id;

-- name: lock_registration_status_only(registration_id)$
-- Lock a registration and read its status (changing answers: no event lock, nothing about seats changes).
SELECT status FROM registration WHERE id = :registration_id FOR NO KEY UPDATE;

-- name: registration_offer(registration_id)^
-- A registration's status and the end of its offer, when it has one.
SELECT status, offer_expires_at FROM registration WHERE id = :registration_id;

-- name: accept_offer(registration_id)!
-- An offered seat is taken up: the registration is confirmed and the offer closed.
UPDATE registration SET status = 'confirmed', offer_expires_at = NULL, updated_at = now() WHERE id = :registration_id;

-- name: set_answers(registration_id, answers)!
-- Replace a registration's answers to the event's questions.
UPDATE registration SET answers = :answers::jsonb, updated_at = now() WHERE id = :registration_id;

-- name: active_registration_by_email(event_id, email, active_statuses)$
-- The active registration of the person with this address at the event, if any.
SELECT r.id FROM registration r JOIN person p ON p.id = r.person WHERE r.event = :event_id AND p.email = :email
   AND r.status = ANY(:active_statuses::text[]);

-- name: replace_manage_token(registration_id, token_nonce, token_hash)!
-- A new manage link for the registration: the one before it stops working.
UPDATE registration SET token_nonce = :token_nonce, token_hash = :token_hash WHERE id = :registration_id;

-- name: events_with_expired_offers(now)
-- The events that have offers past their time.
SELECT DISTINCT event FROM registration WHERE status = 'offered' AND offer_expires_at <= :now;

-- name: expired_offers(event_id, now)
-- An event's offers past their time, oldest registration first (run under the event lock).
SELECT id FROM registration WHERE event = :event_id AND status = 'offered'
   AND offer_expires_at <= :now ORDER BY id;

-- name: registration_out(registration_id)^
-- One registration as the API, pages and mails show it.
SELECT r.id, r.event AS event_id, r.status, r.created_at, r.updated_at, r.cancelled_at, r.cancel_reason,
       r.answers, r.offer_expires_at, r.delegation AS delegation_id, r.consent_version, r.consent_at,
       CASE WHEN r.status = 'waitlisted' THEN 1 + (SELECT count(*) FROM registration w WHERE w.category = r.category AND w.status = 'waitlisted' AND w.waitlist_seq < r.waitlist_seq) END AS waitlist_position,
       c.code AS category, c.name AS category_name,
       p.email, r.registered_name AS name, r.registered_language AS language,
       r.registered_timezone AS timezone,
       o.id AS organization_id, o.name AS organization_name, o.country AS organization_country,
       o.kind AS organization_kind,
       e.title AS event_title
FROM registration r
JOIN person p ON p.id = r.person
JOIN registration_category c ON c.id = r.category
JOIN event e ON e.id = r.event
LEFT JOIN organization o ON o.id = r.registered_organization
WHERE r.id = :registration_id;


-- ---------------------------------------------------------------------------------------------------------------
-- registration_admin: what organizers do with registrations
-- ---------------------------------------------------------------------------------------------------------------

-- name: lock_event_registration(registration_id, event_id)^
-- Lock a registration of the event (after the event) and read what organizers' changes check.
SELECT id, status, category, person FROM registration WHERE id = :registration_id AND event = :event_id FOR NO KEY UPDATE;

-- name: category_seats(category_id)^
-- A category's quota and seats taken.
SELECT quota, confirmed_count FROM registration_category WHERE id = :category_id;

-- name: waitlist_registration(registration_id, waitlist_seq)!
-- An approved registration without a free seat joins the waiting list at this place.
UPDATE registration SET status = 'waitlisted', waitlist_seq = :waitlist_seq, updated_at = now()
WHERE id = :registration_id;

-- name: reject_registration(registration_id)!
-- An organizer rejects a pending or waitlisted registration.
UPDATE registration SET status = 'rejected', cancel_reason = 'rejected', updated_at = now() WHERE id = :registration_id;

-- name: category_seats_by_code(event_id, code)^
-- The event's category with this code: id, quota and seats taken.
SELECT id, quota, confirmed_count FROM registration_category WHERE event = :event_id AND code = :code;

-- name: set_registration_category(registration_id, category_id)!
-- Move a registration to another category.
UPDATE registration SET category = :category_id, updated_at = now() WHERE id = :registration_id;

-- name: event_category(category_id, event_id)^
-- record_class: Category
-- A category of the event (locked through the event: read after lock_event).
SELECT * FROM registration_category WHERE id = :category_id AND event = :event_id;

-- name: update_category(category_id, name, quota, requires_approval, eligibility, opens_at, closes_at)!
-- Change a category's name, quota, approval, eligibility and registration window.
UPDATE registration_category SET name = :name, quota = :quota, requires_approval = :requires_approval,
       eligibility = :eligibility, opens_at = :opens_at, closes_at = :closes_at
WHERE id = :category_id;

-- name: search_registrations(event_id, status, category, organization_id, country, delegation_id, q)
-- The event's registrations matching the organizer's filters (a NULL filter matches all), by status and place.
SELECT r.id, r.event AS event_id, r.status, r.created_at, r.updated_at, r.cancelled_at, r.cancel_reason,
       r.answers, r.offer_expires_at, r.delegation AS delegation_id, r.consent_version, r.consent_at,
       CASE WHEN r.status = 'waitlisted' THEN 1 + (SELECT count(*) FROM registration w WHERE w.category = r.category AND w.status = 'waitlisted' AND w.waitlist_seq < r.waitlist_seq) END AS waitlist_position,
       c.code AS category, c.name AS category_name,
       p.email, r.registered_name AS name, r.registered_language AS language,
       r.registered_timezone AS timezone,
       o.id AS organization_id, o.name AS organization_name, o.country AS organization_country,
       o.kind AS organization_kind,
       e.title AS event_title
FROM registration r
JOIN person p ON p.id = r.person
JOIN registration_category c ON c.id = r.category
JOIN event e ON e.id = r.event
LEFT JOIN organization o ON o.id = r.registered_organization
WHERE r.event = :event_id
  AND (:status::text IS NULL OR r.status = :status::text)
  AND (:category::text IS NULL OR c.code = :category::text)
  AND (:organization_id::int IS NULL OR o.id = :organization_id::int)
  AND (:country::text IS NULL OR o.country = upper(:country::text))
  AND (:delegation_id::int IS NULL OR r.delegation = :delegation_id::int)
  AND (:q::text IS NULL OR (r.registered_name ILIKE '%' || :q::text || '%' OR p.email ILIKE '%' || :q::text || '%'
                            OR o.name ILIKE '%' || :q::text || '%'))
ORDER BY r.status, r.waitlist_seq NULLS FIRST, r.id;

-- name: registrations_by_category(event_id)
-- Registrations per category and status, with each category's quota and seats taken.
SELECT c.code, c.name, c.quota, c.confirmed_count AS seats_taken,
       count(*) FILTER (WHERE r.status = 'confirmed') AS confirmed,
       count(*) FILTER (WHERE r.status = 'offered') AS offered,
       count(*) FILTER (WHERE r.status = 'pending') AS pending,
       count(*) FILTER (WHERE r.status = 'waitlisted') AS waitlisted,
       count(*) FILTER (WHERE r.status = 'cancelled') AS cancelled,
       count(*) FILTER (WHERE r.status = 'rejected') AS rejected
FROM registration_category c LEFT JOIN registration r ON r.category = c.id
WHERE c.event = :event_id GROUP BY c.id ORDER BY c.position;

-- name: active_registrations_by_organization(event_id, active_statuses)
-- Active registrations per organization, most first.
SELECT o.id AS organization_id, o.name, o.kind, o.country, count(*) AS active,
       count(*) FILTER (WHERE r.status = 'confirmed') AS confirmed
FROM registration r JOIN organization o ON o.id = r.registered_organization
WHERE r.event = :event_id AND r.status = ANY(:active_statuses::text[]) GROUP BY o.id ORDER BY active DESC, o.name;

-- name: active_registrations_by_country(event_id, active_statuses)
-- Active registrations per country of their organization, most first.
SELECT o.country, count(*) AS active, count(*) FILTER (WHERE r.status = 'confirmed') AS confirmed
FROM registration r JOIN organization o ON o.id = r.registered_organization
WHERE r.event = :event_id AND r.status = ANY(:active_statuses::text[]) GROUP BY o.country ORDER BY active DESC, o.country;

-- name: question_codes(event_id)
-- The event's question codes in display order (the export's answer columns).
SELECT code FROM question WHERE event = :event_id ORDER BY position;

-- name: delegation_names(event_id)
-- The event's delegations with their organization's name (the export's delegation column).
SELECT d.id, o.name FROM delegation d JOIN organization o ON o.id = d.organization WHERE d.event = :event_id;


-- ---------------------------------------------------------------------------------------------------------------
-- registration_links: the read-only page and the personal calendar feed
-- ---------------------------------------------------------------------------------------------------------------

-- name: registration_link_digests(registration_id)^
-- The nonces and digests of a registration's view and feed links.
SELECT view_nonce, view_hash, feed_nonce, feed_hash FROM registration WHERE id = :registration_id;

-- name: store_link_digests(registration_id, view_nonce, view_hash, feed_nonce, feed_hash, old_view_nonce, old_feed_nonce)$
-- Store the view and feed links' nonces and digests unless another transaction changed the nonces first (no row).
UPDATE registration SET view_nonce = :view_nonce, view_hash = :view_hash, feed_nonce = :feed_nonce,
       feed_hash = :feed_hash
WHERE id = :registration_id AND view_nonce IS NOT DISTINCT FROM :old_view_nonce
  AND feed_nonce IS NOT DISTINCT FROM :old_feed_nonce
RETURNING id;

-- name: registration_by_view_hash(view_hash)^
-- What the read-only page shows: status, category, name and place in line (nothing that is not in the invite).
SELECT r.id, r.event AS event_id, r.status, c.name AS category_name, p.name,
       CASE WHEN r.status = 'waitlisted' THEN 1 + (SELECT count(*) FROM registration w WHERE w.category = r.category AND w.status = 'waitlisted' AND w.waitlist_seq < r.waitlist_seq) END AS waitlist_position
FROM registration r JOIN person p ON p.id = r.person
JOIN registration_category c ON c.id = r.category
WHERE r.view_hash = :view_hash;


-- ---------------------------------------------------------------------------------------------------------------
-- questions
-- ---------------------------------------------------------------------------------------------------------------

-- name: question_code_taken(event_id, code)$
-- Whether the event has a question with this code.
SELECT 1 FROM question WHERE event = :event_id AND code = :code;

-- name: add_question(event_id, code, label, kind, required, options)<!
-- Add a question to the event, after its last one.
INSERT INTO question (event, code, label, kind, required, options, position)
VALUES (:event_id, :code, :label, :kind, :required, :options::jsonb,
        (SELECT coalesce(max(position), 0) + 1 FROM question WHERE event = :event_id))
RETURNING id, code, label, kind, required, options, position;

-- name: event_questions(event_id)
-- The event's questions in display order.
SELECT id, code, label, kind, required, options, position FROM question WHERE event = :event_id ORDER BY position;


-- ---------------------------------------------------------------------------------------------------------------
-- invitations and access codes
-- ---------------------------------------------------------------------------------------------------------------

-- name: category_id_by_code(event_id, code)$
-- The id of the event's category with this code.
SELECT id FROM registration_category WHERE event = :event_id AND code = :code;

-- name: event_timezone(event_id)$
-- The event's time zone (for times given without an offset).
SELECT timezone FROM event WHERE id = :event_id;

-- name: insert_invitation(event_id, category_id, email, name, token_nonce, token_hash, expires_at)$
-- A new invitation; returns its id.
INSERT INTO invitation (event, category, email, name, token_nonce, token_hash, expires_at, created_at)
VALUES (:event_id, :category_id, :email, :name, :token_nonce, :token_hash, :expires_at, now()) RETURNING id;

-- name: event_invitations(event_id)
-- The event's invitations with their category, oldest first.
SELECT i.id, i.email, c.code AS category, i.expires_at, i.used_at FROM invitation i
JOIN registration_category c ON c.id = i.category WHERE i.event = :event_id ORDER BY i.id;

-- name: access_code_taken(event_id, code)$
-- Whether the event has this access code (case-insensitive).
SELECT 1 FROM access_code WHERE event = :event_id AND upper(code) = upper(:code);

-- name: insert_access_code(event_id, category_id, code, max_uses, expires_at)$
-- A new access code, unused; returns its id.
INSERT INTO access_code (event, category, code, max_uses, uses, expires_at, created_at)
VALUES (:event_id, :category_id, :code, :max_uses, 0, :expires_at, now()) RETURNING id;

-- name: event_access_codes(event_id)
-- The event's access codes with their category and uses, oldest first.
SELECT a.id, a.code, c.code AS category, a.max_uses, a.uses, a.expires_at
FROM access_code a JOIN registration_category c ON c.id = a.category
WHERE a.event = :event_id ORDER BY a.id;


-- ---------------------------------------------------------------------------------------------------------------
-- delegations
-- ---------------------------------------------------------------------------------------------------------------

-- name: count_active_members(delegation_id, active_statuses)$
-- How many of a delegation's registrations are active (its seats in use).
SELECT count(*) FROM registration WHERE delegation = :delegation_id AND status = ANY(:active_statuses::text[]);

-- name: person_registered(event_id, person_id, active_statuses)$
-- Whether the person holds an active registration for the event.
SELECT 1 FROM registration WHERE event = :event_id AND person = :person_id AND status = ANY(:active_statuses::text[]);

-- name: organization_exists(organization_id)$
-- The organization's id when it exists.
SELECT id FROM organization WHERE id = :organization_id;

-- name: organization_has_delegation(event_id, organization_id)$
-- Whether the organization already has a delegation at the event.
SELECT 1 FROM delegation WHERE event = :event_id AND organization = :organization_id;

-- name: insert_delegation(event_id, organization_id, category_id, seat_quota, head_person_id)$
-- A new delegation; returns its id.
INSERT INTO delegation (event, organization, category, seat_quota, head_person, created_at)
VALUES (:event_id, :organization_id, :category_id, :seat_quota, :head_person_id, now()) RETURNING id;

-- name: delegation_of_head(registration_id)^
-- record_class: Delegation
-- The delegation this registration heads: the head's own registration in that delegation (a registration of the
-- head's address made anywhere else, e.g. publicly after the head's was cancelled, heads nothing).
SELECT d.* FROM delegation d
JOIN registration r ON r.delegation = d.id AND r.person = d.head_person
WHERE r.id = :registration_id;

-- name: lock_delegation_member(registration_id, delegation_id)^
-- Lock a member's registration of the delegation (after the event) to hand its place to someone else.
SELECT * FROM registration WHERE id = :registration_id AND delegation = :delegation_id FOR NO KEY UPDATE;

-- name: cancel_substituted(registration_id)!
-- A member's registration ends because another person took their place.
UPDATE registration SET status = 'cancelled', cancel_reason = 'substituted',
       cancelled_at = now(), updated_at = now()
WHERE id = :registration_id;

-- name: delegation_out(delegation_id)^
-- A delegation with its organization, category and head of delegation.
SELECT d.id, d.event AS event_id, d.seat_quota, o.id AS organization_id, o.name AS organization_name,
       o.country AS organization_country, c.code AS category, p.email AS head_email,
       coalesce((SELECT h.registered_name FROM registration h WHERE h.delegation = d.id
                   AND h.person = d.head_person ORDER BY h.id DESC LIMIT 1), '') AS head_name
FROM delegation d JOIN organization o ON o.id = d.organization
JOIN registration_category c ON c.id = d.category JOIN person p ON p.id = d.head_person
WHERE d.id = :delegation_id;

-- name: delegation_members(delegation_id)
-- A delegation's registrations (every status), oldest first, as registration_out shows them.
SELECT r.id, r.event AS event_id, r.status, r.created_at, r.updated_at, r.cancelled_at, r.cancel_reason,
       r.answers, r.offer_expires_at, r.delegation AS delegation_id, r.consent_version, r.consent_at,
       CASE WHEN r.status = 'waitlisted' THEN 1 + (SELECT count(*) FROM registration w WHERE w.category = r.category AND w.status = 'waitlisted' AND w.waitlist_seq < r.waitlist_seq) END AS waitlist_position,
       c.code AS category, c.name AS category_name,
       p.email, r.registered_name AS name, r.registered_language AS language,
       r.registered_timezone AS timezone,
       o.id AS organization_id, o.name AS organization_name, o.country AS organization_country,
       o.kind AS organization_kind,
       e.title AS event_title
FROM registration r
JOIN person p ON p.id = r.person
JOIN registration_category c ON c.id = r.category
JOIN event e ON e.id = r.event
LEFT JOIN organization o ON o.id = r.registered_organization
WHERE r.delegation = :delegation_id ORDER BY r.id;

-- name: event_delegation_ids(event_id)
-- The event's delegations by their organization's country and name.
SELECT d.id FROM delegation d JOIN organization o ON o.id = d.organization WHERE d.event = :event_id
ORDER BY o.country, o.name;

-- name: delegation_in_event(delegation_id, event_id)$
-- Whether the delegation belongs to the event.
SELECT 1 FROM delegation WHERE id = :delegation_id AND event = :event_id;

-- name: set_delegation_seats(delegation_id, seat_quota)$
-- Change a delegation's seat quota; returns the quota it had.
UPDATE delegation d SET seat_quota = :seat_quota FROM delegation o
WHERE d.id = :delegation_id AND o.id = d.id RETURNING o.seat_quota;


-- ---------------------------------------------------------------------------------------------------------------
-- agenda_bookings: the delegate's session bookings
-- ---------------------------------------------------------------------------------------------------------------

-- name: count_bookings(session_id, delta)!
-- A session's place counter changes by `delta` (with insert_booking, the only statements that change it; the
-- session row is locked).
UPDATE agenda_session SET booked_count = booked_count + :delta WHERE id = :session_id;

-- name: booking_registration(token_hash)^
-- The registration a manage token is for, to book with.
SELECT id, event, status FROM registration WHERE token_hash = :token_hash;

-- name: lock_booking_registration(token_hash)^
-- Lock the registration a manage token is for (first, before the session), to book with, and read its event's
-- status (a cancelled event's sessions take no bookings).
SELECT r.id, r.event, r.status, e.status AS event_status FROM registration r JOIN event e ON e.id = r.event
WHERE r.token_hash = :token_hash FOR NO KEY UPDATE OF r;

-- name: lock_session_for_booking(session_id, event_id)^
-- record_class: LockedSession
-- Lock a session of the event (after the registration) and read its places and its room's capacity.
SELECT s.id, s.title, s.starts_at, s.ends_at, s.status, s.requires_booking, s.capacity, s.booked_count,
       r.capacity AS room_capacity
FROM agenda_session s LEFT JOIN agenda_room r ON r.id = s.room
WHERE s.id = :session_id AND s.event = :event_id FOR NO KEY UPDATE OF s;

-- name: booking_or_overlaps(session_id, registration_id, active_statuses, starts_at, ends_at)
-- One read for a booking's two checks: the registration's active booking (or waiting-list entry) of the session
-- itself, if any (the row whose id is the session's), and its active bookings of other sessions (not cancelled)
-- overlapping [starts_at, ends_at), by start time.
SELECT s.id, s.title, s.starts_at, s.ends_at, b.status FROM agenda_booking b
JOIN agenda_session s ON s.id = b.session
WHERE b.registration = :registration_id AND b.status = ANY(:active_statuses::text[])
  AND (b.session = :session_id
       OR (s.status <> 'cancelled' AND (s.starts_at < :ends_at AND :starts_at < s.ends_at)))
ORDER BY s.starts_at;

-- name: lock_bookers_of_cancelled_session(session_id, event_id, active_statuses)
-- Lock the registrations holding a booking or waiting-list place of the session, when it is cancelled, in id order:
-- before the session row, as a booking takes them (registration, then session), when the session may come back.
SELECT r.id FROM registration r
WHERE r.id IN (SELECT b.registration FROM agenda_booking b JOIN agenda_session s ON s.id = b.session
               WHERE b.session = :session_id AND s.event = :event_id AND s.status = 'cancelled'
                 AND b.status = ANY(:active_statuses::text[]))
ORDER BY r.id FOR NO KEY UPDATE;

-- name: clashing_bookings_of_session(session_id, active_statuses)
-- The session's active bookings and waiting-list places whose registration also has an active booking (or place
-- on a waiting list) of another session, not cancelled, overlapping it: what booking_or_overlaps would refuse. In
-- booking order.
SELECT b.id, b.registration, b.status FROM agenda_booking b JOIN agenda_session s ON s.id = b.session
WHERE b.session = :session_id AND b.status = ANY(:active_statuses::text[])
  AND EXISTS (SELECT 1 FROM agenda_booking o JOIN agenda_session x ON x.id = o.session
              WHERE o.registration = b.registration AND o.session <> b.session
                AND o.status = ANY(:active_statuses::text[]) AND x.status <> 'cancelled'
                AND (x.starts_at < s.ends_at AND s.starts_at < x.ends_at))
ORDER BY b.id;

-- name: count_bookers_clashing_in_sessions(session_ids, active_statuses)$
-- How many registrations hold an active booking (or place on a waiting list) of one of the sessions, not cancelled,
-- and also one of another session, not cancelled, overlapping it: clashing_bookings_of_session over several
-- sessions, each registration once.
SELECT count(DISTINCT b.registration) FROM agenda_booking b JOIN agenda_session s ON s.id = b.session
WHERE b.session = ANY(:session_ids::int[]) AND b.status = ANY(:active_statuses::text[]) AND s.status <> 'cancelled'
  AND EXISTS (SELECT 1 FROM agenda_booking o JOIN agenda_session x ON x.id = o.session
              WHERE o.registration = b.registration AND o.session <> b.session
                AND o.status = ANY(:active_statuses::text[]) AND x.status <> 'cancelled'
                AND (x.starts_at < s.ends_at AND s.starts_at < x.ends_at));

-- name: insert_booking(session_id, registration_id, status)!
-- A booking of a session, booked or waitlisted; a booked place is counted on the session in the same statement
-- (the caller holds the session row's lock).
WITH booking AS (
  INSERT INTO agenda_booking (session, registration, status, created_at, updated_at)
  VALUES (:session_id, :registration_id, :status, clock_timestamp(), clock_timestamp())
  RETURNING session, status)
UPDATE agenda_session SET booked_count = booked_count + 1
WHERE id = (SELECT session FROM booking WHERE status = 'booked');

-- name: lock_active_booking(session_id, registration_id, active_statuses)^
-- Lock the registration's active booking of the session (after the session) to drop it.
SELECT id, status FROM agenda_booking WHERE session = :session_id AND registration = :registration_id
   AND status = ANY(:active_statuses::text[]) FOR NO KEY UPDATE;

-- name: cancel_booking(booking_id)!
-- A booking is dropped.
UPDATE agenda_booking SET status = 'cancelled', updated_at = clock_timestamp() WHERE id = :booking_id;

-- name: session_for_promotion(session_id)^
-- A session's status, places, room capacity and SEQUENCE, to fill free places from its waiting list.
SELECT s.event, s.status, s.requires_booking, s.capacity, s.booked_count, r.capacity AS room_capacity,
       s.calendar_sequence
FROM agenda_session s LEFT JOIN agenda_room r ON r.id = s.room WHERE s.id = :session_id;

-- name: count_session_waiting(session_id)$
-- How many are on the session's waiting list.
SELECT count(*) FROM agenda_booking WHERE session = :session_id AND status = 'waitlisted';

-- name: promote_session_waiting(session_id, places)
-- The first `places` entries of the session's waiting list (in booking order) get a place.
UPDATE agenda_booking SET status = 'booked', updated_at = clock_timestamp()
WHERE id IN (SELECT id FROM agenda_booking WHERE session = :session_id AND status = 'waitlisted'
             ORDER BY id LIMIT :places)
RETURNING id, registration;

-- name: record_session_promotions(event_id, session_id, changes, calendar_sequence)!
-- The change log entry of promotions from a session's waiting list (read by the notifications).
INSERT INTO agenda_change (event, session, action, changes, calendar_sequence, actor, created_at)
VALUES (:event_id, :session_id, 'waitlist_promoted', :changes::jsonb, :calendar_sequence, 'waiting list', clock_timestamp());

-- name: active_bookings_of_registration(registration_id, active_statuses)
-- A registration's active bookings, in session-id order (the order every release locks sessions in).
SELECT b.session, b.status FROM agenda_booking b WHERE b.registration = :registration_id
   AND b.status = ANY(:active_statuses::text[])
ORDER BY b.session;

-- name: lock_session(session_id)!
-- Lock a session row (the lock that orders every change of its places).
SELECT 1 FROM agenda_session WHERE id = :session_id FOR NO KEY UPDATE;

-- name: cancel_registration_bookings_of_session(session_id, registration_id, active_statuses)!
-- Drop the registration's active booking of the session (the registration is ending).
UPDATE agenda_booking SET status = 'cancelled', updated_at = clock_timestamp()
WHERE session = :session_id AND registration = :registration_id AND status = ANY(:active_statuses::text[]);

-- name: booking_entry(registration_id, session_id, active_statuses)^
-- record_class: BookingEntry
-- The registration's active booking of the session as the personal agenda shows it.
SELECT b.id, b.session AS session_id, b.status, b.created_at, s.title, s.starts_at, s.ends_at,
       s.status AS session_status, e.timezone,
       CASE WHEN b.status = 'waitlisted' THEN
           (SELECT count(*) FROM agenda_booking w WHERE w.session = b.session AND w.status = 'waitlisted'
                                                    AND w.id <= b.id) END AS waitlist_position
FROM agenda_booking b JOIN agenda_session s ON s.id = b.session JOIN event e ON e.id = s.event
WHERE b.registration = :registration_id AND b.session = :session_id AND b.status = ANY(:active_statuses::text[]);

-- name: booking_entry_by_id(booking_id)^
-- record_class: BookingEntry
-- A booking (of any status) as the personal agenda shows it.
SELECT b.id, b.session AS session_id, b.status, b.created_at, s.title, s.starts_at, s.ends_at,
       s.status AS session_status, e.timezone,
       CASE WHEN b.status = 'waitlisted' THEN
           (SELECT count(*) FROM agenda_booking w WHERE w.session = b.session AND w.status = 'waitlisted'
                                                    AND w.id <= b.id) END AS waitlist_position
FROM agenda_booking b JOIN agenda_session s ON s.id = b.session JOIN event e ON e.id = s.event
WHERE b.id = :booking_id;

-- name: personal_agenda(registration_id, active_statuses)
-- record_class: BookingEntry
-- The registration's booked and waiting sessions by start time, with their place on each waiting list.
SELECT b.id, b.session AS session_id, b.status, b.created_at, s.title, s.starts_at, s.ends_at,
       s.status AS session_status, e.timezone,
       CASE WHEN b.status = 'waitlisted' THEN
           (SELECT count(*) FROM agenda_booking w WHERE w.session = b.session AND w.status = 'waitlisted'
                                                    AND w.id <= b.id) END AS waitlist_position
FROM agenda_booking b JOIN agenda_session s ON s.id = b.session JOIN event e ON e.id = s.event
WHERE b.registration = :registration_id AND b.status = ANY(:active_statuses::text[]) ORDER BY s.starts_at, s.id;


-- ---------------------------------------------------------------------------------------------------------------
-- session_mail: messages to those holding a session's invite
-- ---------------------------------------------------------------------------------------------------------------

-- name: notify_channel(channel, payload)!
-- Tell the listeners of a channel (the agenda's cache) that something changed.
SELECT pg_notify(:channel, :payload);

-- name: session_sequence(session_id)$
-- A session's calendar SEQUENCE.
SELECT calendar_sequence FROM agenda_session WHERE id = :session_id;

-- name: person_address(person_id)^
-- A person's address and language.
SELECT email, language FROM person WHERE id = :person_id;

-- name: session_event(session_id)$
-- The event a session belongs to.
SELECT event FROM agenda_session WHERE id = :session_id;

-- name: session_cancel_due(session_id, person_id)$
-- Whether a person is due a CANCEL of a session: their last invite of it was a REQUEST (they hold a live copy) and
-- they hold it by no other right any more (a booking of a confirmed registration, a role in the session).
SELECT EXISTS (SELECT 1 FROM calendar_copy c JOIN agenda_session s ON s.calendar_uid = c.uid
               WHERE s.id = :session_id AND c.person = :person_id AND c.method = 'REQUEST')
       AND NOT EXISTS (SELECT 1 FROM agenda_booking b JOIN registration r ON r.id = b.registration
                       WHERE b.session = :session_id AND b.status = 'booked' AND r.status = 'confirmed'
                         AND r.person = :person_id)
       AND NOT EXISTS (SELECT 1 FROM agenda_session_person sp WHERE sp.session = :session_id AND sp.person = :person_id);

-- name: session_invite_holders(session_id)
-- Everyone holding the session's invite: booked delegates (of confirmed registrations) and people in roles.
SELECT DISTINCT ON (p.id) p.id AS person_id, p.email, p.language, p.timezone, b.registration AS registration_id
FROM (SELECT r.person, b.registration FROM agenda_booking b JOIN registration r ON r.id = b.registration
      WHERE b.session = :session_id AND b.status = 'booked' AND r.status = 'confirmed'
      UNION ALL
      SELECT sp.person, NULL FROM agenda_session_person sp WHERE sp.session = :session_id) AS b
JOIN person p ON p.id = b.person
ORDER BY p.id, b.registration NULLS LAST;


-- ------------------------------------------------------------------ calendar answers (iMIP REPLY to event and session invites)

-- name: ensure_event_reply_address(event_id, person_id, reply_nonce)!
-- Give the person a reply nonce for the event's invites unless they have one (their ORGANIZER never changes).
INSERT INTO event_reply_address (event, person, reply_nonce) VALUES (:event_id, :person_id, :reply_nonce)
ON CONFLICT (event, person) DO NOTHING;

-- name: event_reply_address_of(event_id, person_id)^
-- The person's reply nonce and the stored digest of its token for the event's invites.
SELECT id, reply_nonce, reply_hash FROM event_reply_address WHERE event = :event_id AND person = :person_id;

-- name: set_event_reply_hash(address_id, reply_hash)!
-- Store the digest of the reply token (the inbound endpoint finds the person and event by it).
UPDATE event_reply_address SET reply_hash = :reply_hash WHERE id = :address_id;

-- name: event_reply_address_by_hash(reply_hash)^
-- The event and person whose reply token has this digest, with the person's address.
SELECT a.event, a.person, p.email FROM event_reply_address a JOIN person p ON p.id = a.person
WHERE a.reply_hash = :reply_hash;

-- name: calendar_object_by_uid(calendar_uid)^
-- The event or agenda session whose calendar UID this is (session NULL for the event itself), and whether it (or the
-- session's event) is cancelled.
SELECT e.id AS event, NULL::int AS session, e.decline_releases_seat, e.status = 'cancelled' AS cancelled
FROM event e WHERE e.calendar_uid::text = :calendar_uid
UNION ALL
SELECT s.event, s.id, e.decline_releases_seat, s.status = 'cancelled' OR e.status = 'cancelled'
FROM agenda_session s JOIN event e ON e.id = s.event
WHERE s.calendar_uid::text = :calendar_uid;

-- name: event_person_with_address(event_id, email)$
-- The person registered at the event (any status) whose address is this one.
SELECT r.person FROM registration r JOIN person p ON p.id = r.person WHERE r.event = :event_id AND p.email = :email
LIMIT 1;

-- name: active_registration_of(event_id, person_id, active_statuses)^
-- The person's active registration at the event, with its manage nonce.
SELECT id, status, token_nonce FROM registration WHERE event = :event_id AND person = :person_id
AND status = ANY(:active_statuses::text[]) ORDER BY id DESC LIMIT 1;

-- name: session_holding_of(session_id, person_id, active_statuses)^
-- How the person holds the session: their active booking (with the registration's manage nonce) or a role.
SELECT b.id AS booking_id, r.token_nonce, NULL AS role FROM agenda_booking b JOIN registration r ON r.id = b.registration
WHERE b.session = :session_id AND r.person = :person_id AND b.status = ANY(:active_statuses::text[])
UNION ALL
SELECT NULL, NULL, sp.role FROM agenda_session_person sp WHERE sp.session = :session_id AND sp.person = :person_id
LIMIT 1;

-- name: record_calendar_answer(event_id, person_id, session_id, partstat, answered_at)$
-- Store the person's answer to the event's (session NULL) or a session's invite; the one received last wins. The
-- same answer again (a mail server delivering a reply twice, a client sending it again) changes nothing: nothing comes
-- back, so no second release link is armed or emailed and the first one keeps working. A changed answer withdraws
-- the release link (its digest) but keeps its nonce: a Decline again soon after re-arms the link already emailed.
INSERT INTO calendar_answer (event, person, session, partstat, answered_at)
VALUES (:event_id, :person_id, :session_id, :partstat, :answered_at)
ON CONFLICT (event, person, coalesce(session, 0)) DO UPDATE SET partstat = EXCLUDED.partstat,
    answered_at = EXCLUDED.answered_at, release_hash = NULL
WHERE calendar_answer.answered_at <= EXCLUDED.answered_at AND calendar_answer.partstat <> EXCLUDED.partstat
RETURNING id;

-- name: set_release_link(answer_id, release_nonce, release_hash)!
-- Arm the decline's one-click release link (its token's digest; the nonce makes the link in the email).
UPDATE calendar_answer SET release_nonce = :release_nonce, release_hash = :release_hash WHERE id = :answer_id;

-- name: release_nonce_of(answer_id)$
-- The nonce of the release link last armed for this answer (kept when a later answer withdrew the link).
SELECT release_nonce FROM calendar_answer WHERE id = :answer_id;

-- name: mark_released(answer_id)!
-- The seat of a declined invite was released.
UPDATE calendar_answer SET released_at = now(), release_hash = NULL WHERE id = :answer_id;

-- name: answer_by_release_hash(release_hash)^
-- The declined answer whose release link has this digest, with what it is about.
SELECT a.id, a.event, a.person, a.session, a.partstat, a.released_at, e.title AS event_title,
       s.title AS session_title
FROM calendar_answer a JOIN event e ON e.id = a.event LEFT JOIN agenda_session s ON s.id = a.session
WHERE a.release_hash = :release_hash;

-- name: answer_for_release_mail(answer_id)^
-- A declined answer's release nonce, what it is about and the person's name.
SELECT a.id, a.release_nonce, a.release_hash IS NOT NULL AS armed, a.session, s.title AS session_title, p.name,
       p.email
FROM calendar_answer a JOIN person p ON p.id = a.person LEFT JOIN agenda_session s ON s.id = a.session
WHERE a.id = :answer_id;

-- name: calendar_answers_of_event(event_id)
-- Every calendar answer to the event's and its sessions' invites, newest first, for its organizers.
SELECT a.id, a.person AS person_id, p.name, p.email, a.session AS session_id, s.title AS session_title,
       a.partstat, a.answered_at, a.released_at
FROM calendar_answer a JOIN person p ON p.id = a.person LEFT JOIN agenda_session s ON s.id = a.session
WHERE a.event = :event_id ORDER BY a.answered_at DESC, a.id DESC;

-- name: set_decline_releases_seat(event_id, releases)!
-- The organizer's choice: a declined invite releases the seat at once (true) or after the delegate confirms.
UPDATE event SET decline_releases_seat = :releases WHERE id = :event_id;

-- name: decline_releases_seat_of(event_id)$
-- Whether a declined invite of the event releases the seat at once.
SELECT decline_releases_seat FROM event WHERE id = :event_id;

-- name: ensure_event_reply_addresses(event_id, person_ids, reply_nonces)!
-- ensure_event_reply_address for many people of one event (a batch of invites).
INSERT INTO event_reply_address (event, person, reply_nonce)
SELECT :event_id, person, nonce FROM unnest(:person_ids::int[], :reply_nonces::varchar[]) AS t(person, nonce)
ON CONFLICT (event, person) DO NOTHING;

-- name: event_reply_addresses_of(event_id, person_ids)
-- event_reply_address_of for many people of one event.
SELECT id, person, reply_nonce, reply_hash FROM event_reply_address WHERE event = :event_id AND person = ANY(:person_ids::int[]);

-- name: booker_of_session(registration_id, session_id)^
-- The delegate a booking message goes to (the event, their address, the
-- registration's language), whether the registration had a booking of the session
-- cancelled before (they were sent its CANCEL), and the session's calendar SEQUENCE.
SELECT r.event, r.person, p.email, r.registered_language AS language,
       EXISTS (SELECT 1 FROM agenda_booking b WHERE b.session = :session_id AND b.registration = r.id
                                                AND b.status = 'cancelled') AS cancelled_before,
       (SELECT s.calendar_sequence FROM agenda_session s WHERE s.id = :session_id) AS session_sequence
FROM registration r JOIN person p ON p.id = r.person WHERE r.id = :registration_id;
