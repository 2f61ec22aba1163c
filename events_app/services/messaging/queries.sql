-- Messaging: loading what an outbox row's email shows, announcements, reminders and the delivery log.
--
-- The audience of an announcement is one predicate over `registration r JOIN person p`, the same text in
-- audience_count, queue_announcement and sample_audience_recipient (tests/unit/db/test_shared_sql_rules.py):
-- audience_kind picks the audience, audience_code names a category, audience_id a delegation or a session.

-- ------------------------------------------------------------------------- account mail

-- name: password_reset_for_mail(reset_id)^
-- The nonce of a reset link and the name of its account, for the reset email (nothing once a newer request
-- replaced it).
SELECT r.token_nonce, a.name FROM password_reset r JOIN account a ON a.id = r.account
WHERE r.id = :reset_id;

-- ------------------------------------------------------------------------- announcements

-- name: opt_out_of_announcements(person_id)!
-- The person unsubscribed: no more announcements.
UPDATE person SET announcements_opt_out = true WHERE id = :person_id;

-- name: session_in_event(session_id, event_id)$
-- 1 when the agenda session belongs to the event, else nothing.
SELECT 1 FROM agenda_session WHERE id = :session_id AND event = :event_id;

-- name: audience_count(event_id, audience_kind, audience_code, audience_id)$
-- How many people an announcement to this audience of the event reaches (those who unsubscribed left out).
SELECT count(*)
FROM registration r JOIN person p ON p.id = r.person
WHERE r.event = :event_id AND NOT p.announcements_opt_out AND CASE :audience_kind::text
    WHEN 'confirmed' THEN r.status = 'confirmed'
    WHEN 'category' THEN r.status = 'confirmed'
        AND r.category = (SELECT id FROM registration_category WHERE event = :event_id AND code = :audience_code::text)
    WHEN 'delegation' THEN r.status = ANY(ARRAY['confirmed', 'pending', 'waitlisted', 'offered'])
        AND r.delegation = :audience_id::int
    WHEN 'waitlist' THEN r.status IN ('waitlisted', 'offered')
    WHEN 'session' THEN r.status = 'confirmed'
        AND r.id IN (SELECT registration FROM agenda_booking WHERE session = :audience_id::int AND status = 'booked')
END;

-- name: insert_announcement(event_id, subject, body, audience, recipients, created_by)$
-- A draft announcement with its audience and how many it reaches; its id.
INSERT INTO announcement (event, subject, body, audience, status, recipients, created_by, created_at)
VALUES (:event_id, :subject, :body, :audience::jsonb, 'draft', :recipients, :created_by, now()) RETURNING id;

-- name: announcement_by_id(announcement_id, event_id)^
-- One announcement of the event.
SELECT * FROM announcement WHERE id = :announcement_id AND event = :event_id;

-- name: lock_announcement(announcement_id)$
-- Lock an announcement while it is sent, so two sends queue it once; its status once the lock is held.
SELECT status FROM announcement WHERE id = :announcement_id FOR NO KEY UPDATE;

-- name: queue_announcement(event_id, audience_kind, audience_code, audience_id, announcement_id)!
-- One pending message per person of the audience, at most one per announcement and person; the status counts
-- the messages written.
INSERT INTO outbox_message (kind, event, registration, recipient, language, payload, status, attempts,
                            next_attempt_at, last_error, message_id, dedupe_key, created_at)
SELECT 'announcement', r.event, r.id, p.email, r.registered_language,
       jsonb_build_object('announcement_id', :announcement_id::int), 'pending', 0, now(), '', '',
       'announcement:' || :announcement_id::int || ':' || p.id, now()
FROM registration r JOIN person p ON p.id = r.person
WHERE r.event = :event_id AND NOT p.announcements_opt_out AND CASE :audience_kind::text
    WHEN 'confirmed' THEN r.status = 'confirmed'
    WHEN 'category' THEN r.status = 'confirmed'
        AND r.category = (SELECT id FROM registration_category WHERE event = :event_id AND code = :audience_code::text)
    WHEN 'delegation' THEN r.status = ANY(ARRAY['confirmed', 'pending', 'waitlisted', 'offered'])
        AND r.delegation = :audience_id::int
    WHEN 'waitlist' THEN r.status IN ('waitlisted', 'offered')
    WHEN 'session' THEN r.status = 'confirmed'
        AND r.id IN (SELECT registration FROM agenda_booking WHERE session = :audience_id::int AND status = 'booked')
END
ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING;

-- name: mark_announcement_sent(announcement_id, recipients)!
-- The announcement was sent, to this many recipients.
UPDATE announcement SET status = 'sent', sent_at = now(), recipients = :recipients WHERE id = :announcement_id;

-- name: sample_audience_recipient(event_id, audience_kind, audience_code, audience_id)^
-- The first registration of the audience (its id, address and language), to preview an announcement with.
SELECT r.id, p.email, r.registered_language AS language
FROM registration r JOIN person p ON p.id = r.person
WHERE r.event = :event_id AND NOT p.announcements_opt_out AND CASE :audience_kind::text
    WHEN 'confirmed' THEN r.status = 'confirmed'
    WHEN 'category' THEN r.status = 'confirmed'
        AND r.category = (SELECT id FROM registration_category WHERE event = :event_id AND code = :audience_code::text)
    WHEN 'delegation' THEN r.status = ANY(ARRAY['confirmed', 'pending', 'waitlisted', 'offered'])
        AND r.delegation = :audience_id::int
    WHEN 'waitlist' THEN r.status IN ('waitlisted', 'offered')
    WHEN 'session' THEN r.status = 'confirmed'
        AND r.id IN (SELECT registration FROM agenda_booking WHERE session = :audience_id::int AND status = 'booked')
END
ORDER BY r.id LIMIT 1;

-- ------------------------------------------------------------------------- delivery log

-- name: delivery_log(event_id, status, recipient, row_limit)
-- The event's messages, newest first, optionally of one status or to one address.
SELECT id, kind, recipient, status, attempts, last_error, calendar_method, calendar_sequence, message_id,
       created_at, sent_at, next_attempt_at
FROM outbox_message WHERE event = :event_id AND (:status::text IS NULL OR status = :status)
  AND (:recipient::text IS NULL OR recipient = lower(:recipient)) ORDER BY id DESC LIMIT :row_limit;

-- name: message_status(message_id, event_id)^
-- The status of one message of the event.
SELECT status FROM outbox_message WHERE id = :message_id AND event = :event_id;

-- name: retry_message(message_id)!
-- A failed or pending message is tried again from scratch, now.
UPDATE outbox_message SET status = 'pending', attempts = 0, next_attempt_at = now(), last_error = ''
WHERE id = :message_id;

-- name: copy_message_for_resend(message_id)$
-- A sent message is sent again as a new pending message with the same content; the new id.
INSERT INTO outbox_message (kind, event, registration, recipient, language, payload, calendar_method,
    calendar_sequence, status, attempts, next_attempt_at, last_error, message_id, created_at)
SELECT kind, event, registration, recipient, language, payload, calendar_method, calendar_sequence,
       'pending', 0, now(), '', '', now() FROM outbox_message WHERE id = :message_id RETURNING id;

-- name: delivery_by_id(message_id)^
-- One message as the delivery log shows it.
SELECT id, kind, recipient, status, attempts, last_error, calendar_method, calendar_sequence, message_id,
       created_at, sent_at, next_attempt_at
FROM outbox_message WHERE id = :message_id;

-- ------------------------------------------------------------------------- loading event mail

-- name: session_for_mail(session_id)^
-- An agenda session with its room and track names, for its calendar object and emails.
SELECT s.*, coalesce(r.name, '') AS room_name, coalesce(t.name, '') AS track_name FROM agenda_session s
LEFT JOIN agenda_room r ON r.id = s.room LEFT JOIN agenda_track t ON t.id = s.track WHERE s.id = :session_id;

-- name: session_people_for_mail(session_id)
-- The people of a session in order, with the name and organization shown for their role.
SELECT coalesce(sp.display_name, p.name) AS name, sp.role, o.name AS organization
FROM agenda_session_person sp JOIN person p
ON p.id = sp.person LEFT JOIN organization o ON o.id = coalesce(sp.organization, p.organization)
WHERE sp.session = :session_id
ORDER BY sp.position;

-- name: events_for_mail(event_ids)
-- The events a batch of messages is about.
SELECT * FROM event WHERE id = ANY(:event_ids::int[]);

-- name: registrations_for_mail(registration_ids)
-- The registrations a batch of messages is about, with person, category and waiting-list position.
SELECT r.id, r.status, r.token_nonce, r.view_nonce, r.view_hash, r.feed_nonce, r.feed_hash, c.name AS category_name,
       r.registered_name AS name, p.email, p.id AS person_id,
       CASE WHEN r.status = 'waitlisted' THEN 1 + (SELECT count(*) FROM registration w WHERE w.category = r.category AND w.status = 'waitlisted' AND w.waitlist_seq < r.waitlist_seq) END AS waitlist_position,
       c.eligibility AS category_eligibility
FROM registration r JOIN person p ON p.id = r.person
JOIN registration_category c ON c.id = r.category WHERE r.id = ANY(:registration_ids::int[]);

-- name: invitation_for_mail(invitation_id)^
-- The nonce and expiry of an invitation, for the link its email carries.
SELECT token_nonce, expires_at FROM invitation WHERE id = :invitation_id;

-- name: person_name(person_id)$
-- A person's name.
SELECT name FROM person WHERE id = :person_id;

-- name: announcement_for_mail(announcement_id, language)^
-- The subject and body of an announcement in the reader's language, each the original where none was given.
SELECT COALESCE(ts.text, a.subject) AS subject, COALESCE(tb.text, a.body) AS body FROM announcement a
LEFT JOIN content_translation ts ON ts.subject = 'announcement' AND ts.subject_id = a.id
     AND ts.language = :language AND ts.field = 'subject'
LEFT JOIN content_translation tb ON tb.subject = 'announcement' AND tb.subject_id = a.id
     AND tb.language = :language AND tb.field = 'body'
WHERE a.id = :announcement_id;

-- name: save_announcement_translation(event_id, announcement_id, language, field, text)!
-- An announcement's subject or body in another language (content_translation, subject 'announcement').
INSERT INTO content_translation (event, subject, subject_id, language, field, text, updated_at)
VALUES (:event_id, 'announcement', :announcement_id, :language, :field, :text, now())
ON CONFLICT (subject, subject_id, language, field) DO UPDATE SET text = EXCLUDED.text, updated_at = now();

-- name: announcement_translations(announcement_id)
-- The languages an announcement was given in besides its original, with its texts.
SELECT language, field, text FROM content_translation
WHERE subject = 'announcement' AND subject_id = :announcement_id ORDER BY language, field;

-- name: registration_person(registration_id)$
-- The person a registration belongs to.
SELECT person FROM registration WHERE id = :registration_id;

-- ------------------------------------------------------------------------- reminders

-- name: events_due_for_reminders(now, horizon_end)
-- Published events starting after now and at the latest at horizon_end, with their reminder times.
SELECT id, starts_at, reminder_hours FROM event WHERE status = 'published'
  AND starts_at > :now AND starts_at <= :horizon_end;

-- name: confirmed_recipients(event_id)
-- The confirmed registrations of an event, with address and language, to remind.
SELECT r.id, p.email, r.registered_language AS language FROM registration r
JOIN person p ON p.id = r.person
WHERE r.event = :event_id AND r.status = 'confirmed';

-- name: session_reminders_due(now)
-- Booked places of confirmed registrations in published sessions of published events whose reminder time has come.
SELECT b.registration, b.session, s.starts_at, s.event, p.email, r.registered_language AS language
FROM agenda_session s JOIN event e ON e.id = s.event
JOIN agenda_booking b ON b.session = s.id AND b.status = 'booked'
JOIN registration r ON r.id = b.registration AND r.status = 'confirmed'
JOIN person p ON p.id = r.person
WHERE e.status = 'published' AND s.status = 'published' AND e.session_reminder_minutes > 0
  AND s.starts_at > :now AND s.starts_at - make_interval(mins => e.session_reminder_minutes) <= :now;
