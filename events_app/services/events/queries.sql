-- The events' SQL: events and their registration categories (events.py), the organizer's dashboard
-- (dashboard.py), the "add to calendar" file (event_calendar.py) and the demo data (demo.py).


-- ------------------------------------------------------------------ events

-- name: event_by_id(event_id)^
-- record_class: EventRow
-- One event, every column.
SELECT * FROM event WHERE id = :event_id;

-- name: event_for_update(event_id)^
-- record_class: EventRow
-- One event, every column, the row locked for the rest of the transaction.
SELECT * FROM event WHERE id = :event_id FOR NO KEY UPDATE;

-- name: lock_event(event_id)!
-- Lock the event's row for the rest of the transaction.
SELECT 1 FROM event WHERE id = :event_id FOR NO KEY UPDATE;

-- name: event_status_for_update(event_id)$
-- An event's status, the row locked for the rest of the transaction.
SELECT status FROM event WHERE id = :event_id FOR NO KEY UPDATE;

-- name: create_event(title, kind, description, timezone, starts_at, ends_at, venue_name, venue_address, city, country, online_url, registration_opens_at, registration_closes_at, capacity, organizer_email, organizer_name, waitlist_mode, offer_hours, update_delay_minutes, reminder_hours, reply_to, session_reminder_minutes, office_id, calendar_uid, owner_id)$
-- A new draft event with the account creating it as its owner; its id.
WITH created AS (
    INSERT INTO event (title, kind, description, timezone, starts_at, ends_at, venue_name, venue_address, city,
                       country, online_url, status, registration_opens_at, registration_closes_at, capacity,
                       confirmed_count, waitlist_mode, offer_hours, update_delay_minutes, reminder_hours,
                       session_reminder_minutes, reply_to, organizer_email, organizer_name, calendar_uid,
                       calendar_sequence, office, created_at, updated_at)
    VALUES (:title, :kind, :description, :timezone, :starts_at, :ends_at, :venue_name, :venue_address, :city,
            :country, :online_url, 'draft', :registration_opens_at, :registration_closes_at, :capacity,
            0, :waitlist_mode, :offer_hours, :update_delay_minutes, :reminder_hours::jsonb,
            :session_reminder_minutes, :reply_to, :organizer_email, :organizer_name, :calendar_uid,
            0, :office_id, now(), now())
    RETURNING id
), owner AS (
    INSERT INTO event_organizer (event, account, role) SELECT id, :owner_id, 'owner' FROM created
)
SELECT id FROM created;

-- name: update_event(event_id, title, kind, description, timezone, starts_at, ends_at, venue_name, venue_address, city, country, online_url, registration_opens_at, registration_closes_at, capacity, organizer_email, organizer_name, waitlist_mode, offer_hours, update_delay_minutes, reminder_hours, reply_to, session_reminder_minutes, calendar_sequence, updated_at)!
-- Write an event's fields, its SEQUENCE (grown by the caller when its time, place or status changed) and change time.
UPDATE event SET title = :title, kind = :kind, description = :description, timezone = :timezone,
    starts_at = :starts_at, ends_at = :ends_at, venue_name = :venue_name, venue_address = :venue_address,
    city = :city, country = :country, online_url = :online_url, registration_opens_at = :registration_opens_at,
    registration_closes_at = :registration_closes_at, capacity = :capacity, organizer_email = :organizer_email,
    organizer_name = :organizer_name, waitlist_mode = :waitlist_mode, offer_hours = :offer_hours,
    update_delay_minutes = :update_delay_minutes, reminder_hours = :reminder_hours::jsonb, reply_to = :reply_to,
    session_reminder_minutes = :session_reminder_minutes, calendar_sequence = :calendar_sequence,
    updated_at = :updated_at
WHERE id = :event_id;

-- name: set_event_office(event_id, office_id)!
-- Put an event under an office (its staff manage it), or under none.
UPDATE event SET office = :office_id WHERE id = :event_id;

-- name: publish_event(event_id)!
-- Publish an event.
UPDATE event SET status = 'published', updated_at = now() WHERE id = :event_id;

-- name: people_of_published_sessions(event_id)
-- The people in roles of the event's published sessions (session, person), in session and role order: who holds a
-- session's invite once its event is published.
SELECT sp.session, sp.person FROM agenda_session_person sp JOIN agenda_session s ON s.id = sp.session
WHERE s.event = :event_id AND s.status = 'published' ORDER BY sp.session, sp.position, sp.person;

-- name: cancel_event(event_id)!
-- Cancel an event; its SEQUENCE grows (the CANCEL must outrank every REQUEST sent before).
UPDATE event SET status = 'cancelled', calendar_sequence = calendar_sequence + 1, updated_at = now()
WHERE id = :event_id;

-- name: published_events(kind, upcoming_only)
-- record_class: EventRow
-- Published events (of one kind, or all when kind is null; only those not yet over when upcoming_only), by start.
SELECT * FROM event WHERE status = 'published' AND (:kind::text IS NULL OR kind = :kind)
AND (NOT :upcoming_only OR ends_at >= now()) ORDER BY starts_at, id;


-- ------------------------------------------------------------------ registration categories

-- name: category_count(event_id)$
-- How many registration categories the event has.
SELECT count(*) FROM registration_category WHERE event = :event_id;

-- name: category_code_taken(event_id, code)$
-- Whether the event has a category with this code.
SELECT 1 FROM registration_category WHERE event = :event_id AND code = :code;

-- name: insert_category(event_id, code, name, quota, requires_approval, eligibility, opens_at, closes_at)!
-- A new registration category, last in the event's order, nobody confirmed in it yet.
INSERT INTO registration_category (event, code, name, quota, requires_approval, eligibility, position,
                                   confirmed_count, opens_at, closes_at)
VALUES (:event_id, :code, :name, :quota, :requires_approval, :eligibility,
        (SELECT coalesce(max(position), 0) + 1 FROM registration_category WHERE event = :event_id),
        0, :opens_at, :closes_at);

-- name: categories_of_events(event_ids)
-- record_class: CategoryRow
-- The registration categories of these events, in their order.
SELECT * FROM registration_category WHERE event = ANY(:event_ids::int[]) ORDER BY position, id;


-- ------------------------------------------------------------------ dashboard

-- name: organized_events(account_id, is_admin)
-- record_class: OrganizedEventRow
-- The events the account organizes (every event for administrators) with counts, upcoming first, soonest first.
SELECT e.id, e.title, e.kind, e.status, e.timezone, e.starts_at, e.ends_at, e.city, e.country,
       e.capacity, e.confirmed_count,
       count(r.id) FILTER (WHERE r.status = 'confirmed') AS confirmed,
       count(r.id) FILTER (WHERE r.status = 'pending') AS pending,
       count(r.id) FILTER (WHERE r.status IN ('waitlisted', 'offered')) AS waiting,
       count(r.id) FILTER (WHERE r.status = 'cancelled') AS cancelled,
       (SELECT count(*) FROM calendar_update u WHERE u.event = e.id AND u.done_at IS NULL) AS pending_updates,
       (SELECT count(*) FROM outbox_message m WHERE m.event = e.id AND m.status = 'failed') AS failed_messages
FROM event e LEFT JOIN registration r ON r.event = e.id
WHERE :is_admin OR EXISTS(SELECT 1 FROM event_organizer o WHERE o.event = e.id AND o.account = :account_id)
GROUP BY e.id ORDER BY e.ends_at < now(), e.starts_at, e.id;


-- ------------------------------------------------------------------ demo data

-- name: event_titled(title)$
-- Whether an event has this title.
SELECT 1 FROM event WHERE title = :title;

-- name: insert_organization(name, kind, country, membership_status)$
-- A new organization; its id.
INSERT INTO organization (name, kind, country, membership_status, created_at)
VALUES (:name, :kind, :country, :membership_status, now()) RETURNING id;

-- name: add_organization_domain(organization_id, domain)!
-- Register an email domain of an organization (its staff's addresses).
INSERT INTO organization_domain (organization, domain, created_at) VALUES (:organization_id, :domain, now());


-- ------------------------------------------------------------------ organizer content in other languages

-- name: content_translations(event_id, language)
-- The event's translated texts (its own, its categories' and its questions') in one language.
SELECT subject, subject_id, field, text FROM content_translation WHERE event = :event_id AND language = :language;

-- name: event_translations(event_id)
-- Every translated text of the event, all languages.
SELECT subject, subject_id, language, field, text FROM content_translation WHERE event = :event_id;

-- name: save_content_translation(event_id, subject, subject_id, language, field, text)!
-- Store one translated text (replacing the one it had).
INSERT INTO content_translation (event, subject, subject_id, language, field, text, updated_at)
VALUES (:event_id, :subject, :subject_id, :language, :field, :text, now())
ON CONFLICT (subject, subject_id, language, field) DO UPDATE SET text = EXCLUDED.text, updated_at = now();

-- name: remove_content_translation(event_id, subject, subject_id, language, field)!
-- Remove one translated text: readers of that language see the original again.
DELETE FROM content_translation WHERE event = :event_id AND subject = :subject AND subject_id = :subject_id
AND language = :language AND field = :field;

-- name: announcements_of_event(event_id)
-- The event's announcements (their texts can be translated), oldest first.
SELECT id, subject, body, status FROM announcement WHERE event = :event_id ORDER BY id;
