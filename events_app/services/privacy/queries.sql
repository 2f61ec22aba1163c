-- Privacy: person-wide access links and sessions, export, erasure and retention.

-- ------------------------------------------------------------------------- person access links and sessions

-- name: person_for_access_link(email)^
-- record_class: AccessPerson
-- The person (not erased) with this address, to mail an access link to.
SELECT id, language FROM person WHERE email = :email AND erased_at IS NULL;

-- name: insert_access_link(person_id, token_nonce, token_hash, expires_at, created_at)$
-- A single-use access link (its nonce and digest) for a person; its id.
INSERT INTO person_access_link (person, token_nonce, token_hash, expires_at, created_at)
VALUES (:person_id, :token_nonce, :token_hash, :expires_at, :created_at) RETURNING id;

-- name: access_link_by_token(token_hash)^
-- When the access link with this digest expires and whether it was used (nothing once its person is erased).
SELECT l.expires_at, l.used_at FROM person_access_link l JOIN person p
ON p.id = l.person AND p.erased_at IS NULL WHERE l.token_hash = :token_hash;

-- name: use_access_link(token_hash, now)$
-- Use a live access link, once; its person, nothing when it is used, expired, unknown or its person erased.
UPDATE person_access_link l SET used_at = :now FROM person p
WHERE l.token_hash = :token_hash AND l.used_at IS NULL AND l.expires_at > :now AND p.id = l.person
  AND p.erased_at IS NULL RETURNING l.person;

-- name: delete_expired_person_sessions(now)!
-- Person sessions that have ended are deleted.
DELETE FROM person_session WHERE expires_at < :now;

-- name: start_person_session(person_id, token_hash, created_at, expires_at)!
-- A person session (stored as its digest) after an access link was used.
INSERT INTO person_session (person, token_hash, created_at, expires_at)
VALUES (:person_id, :token_hash, :created_at, :expires_at);

-- name: person_for_session(token_hash, now)$
-- The person (not erased) of a live person session.
SELECT s.person FROM person_session s JOIN person p ON p.id = s.person AND p.erased_at IS NULL
WHERE s.token_hash = :token_hash AND s.expires_at > :now;

-- name: end_person_session(token_hash)!
-- The person session with this digest ends.
DELETE FROM person_session WHERE token_hash = :token_hash;

-- name: person_profile(person_id)^
-- A person's profile with their organization, as they see it.
SELECT p.email, p.name, p.language, p.timezone, p.announcements_opt_out, o.id AS organization_id,
       o.name AS organization_name
FROM person p LEFT JOIN organization o ON o.id = p.organization WHERE p.id = :person_id;

-- name: person_registration_summary(person_id)
-- A person's registrations, latest event first, as their profile lists them.
SELECT r.id, r.event AS event_id, e.title AS event_title, e.starts_at AS event_starts_at, r.status,
       c.name AS category_name
FROM registration r JOIN event e ON e.id = r.event JOIN registration_category c ON c.id = r.category
WHERE r.person = :person_id ORDER BY e.starts_at DESC, r.id;

-- name: organization_exists(organization_id)$
-- 1 when an organization has this id, else nothing.
SELECT 1 FROM organization WHERE id = :organization_id;

-- name: update_person_profile(person_id, set_name, name, set_language, language, set_timezone, timezone, set_organization, organization_id)!
-- A person changes their own profile: each field whose set_ flag is true takes the given value.
UPDATE person SET name = CASE WHEN :set_name THEN :name ELSE name END,
       language = CASE WHEN :set_language THEN :language ELSE language END,
       timezone = CASE WHEN :set_timezone THEN :timezone ELSE timezone END,
       organization = CASE WHEN :set_organization THEN :organization_id::int ELSE organization END
WHERE id = :person_id;

-- name: delete_person_sessions(person_id)!
-- Every session of a person ends (they were erased).
DELETE FROM person_session WHERE person = :person_id;

-- name: delete_person_access_links(person_id)!
-- Every access link of a person goes (they were erased).
DELETE FROM person_access_link WHERE person = :person_id;

-- name: stop_person_announcements(person_id)!
-- The person receives no more announcements.
UPDATE person SET announcements_opt_out = true WHERE id = :person_id;

-- name: access_link_for_mail(link_id)^
-- What the access-link email needs: the link's nonce, expiry and use, and the person's name.
SELECT l.token_nonce, l.expires_at, l.used_at, p.name FROM person_access_link l
JOIN person p ON p.id = l.person WHERE l.id = :link_id;

-- ------------------------------------------------------------------------- export

-- name: person_by_email(email)^
-- The person with this address (erased or not), for an administrator's look-up.
SELECT id, email, name, erased_at FROM person WHERE email = :email;

-- name: export_person(person_id)^
-- Everything stored on the person row, with their organization.
SELECT p.id, p.email, p.name, p.language, p.timezone, p.announcements_opt_out, p.created_at, p.erased_at,
       o.id AS organization_id, o.name AS organization_name, o.country AS organization_country
FROM person p LEFT JOIN organization o ON o.id = p.organization WHERE p.id = :person_id;

-- name: export_registrations(person_id)
-- The person's registrations with what was typed and consented to.
SELECT r.id, r.event AS event_id, e.title AS event_title, e.starts_at AS event_starts_at,
       c.code AS category, r.status, r.answers, r.registered_name, r.registered_organization,
       r.registered_language, r.registered_timezone, r.consent_version, r.consent_at, r.created_at,
       r.updated_at, r.cancelled_at, r.cancel_reason, r.delegation AS delegation_id
FROM registration r JOIN event e ON e.id = r.event JOIN registration_category c ON c.id = r.category
WHERE r.person = :person_id ORDER BY r.id;

-- name: export_messages(person_id, email)
-- The messages to the person's address or about their registrations.
SELECT m.id, m.kind, m.event AS event_id, m.recipient, m.status, m.calendar_method, m.created_at,
       m.sent_at,
       m.last_error
FROM outbox_message m
WHERE m.recipient = :email OR m.registration IN (SELECT id FROM registration WHERE person = :person_id)
ORDER BY m.id;

-- name: export_invitations(email)
-- The invitations sent to the person's address.
SELECT id, event AS event_id, email, name, expires_at, used_at, created_at
FROM invitation WHERE email = :email ORDER BY id;

-- name: export_delegations(person_id)
-- The delegations the person heads.
SELECT id, event AS event_id, organization AS organization_id, seat_quota
FROM delegation WHERE head_person = :person_id ORDER BY id;

-- name: export_project_contacts(person_id)
-- The pilot projects the person is (or was) a contact of, with the name the coordinator typed for them.
SELECT c.project AS project_id, p.title, c.organization AS organization_id, c.display_name, c.joined_at, c.left_at
FROM project_contact c JOIN pilot_project p ON p.id = c.project WHERE c.person = :person_id ORDER BY c.id;

-- name: export_meeting_invitations(person_id)
-- The meeting series the person is (or was) invited to.
SELECT i.series AS series_id, s.title, i.invited_at, i.withdrawn_at FROM meeting_invitee i
JOIN meeting_series s ON s.id = i.series WHERE i.person = :person_id ORDER BY i.id;

-- name: export_meeting_answers(person_id)
-- The person's answers to meeting invitations.
SELECT series AS series_id, recurrence_id, partstat, source, answered_at
FROM meeting_rsvp WHERE person = :person_id ORDER BY id;

-- name: export_meeting_attendance(person_id)
-- The meetings the person attended.
SELECT series AS series_id, recurrence_id FROM meeting_attendance WHERE person = :person_id ORDER BY recurrence_id;

-- name: export_session_bookings(person_id)
-- The agenda sessions booked with the person's registrations.
SELECT b.registration AS registration_id, s.event AS event_id, b.session AS session_id, s.title,
       s.starts_at, b.status, b.created_at, b.updated_at
FROM agenda_booking b JOIN registration r ON r.id = b.registration JOIN agenda_session s ON s.id = b.session
WHERE r.person = :person_id ORDER BY b.id;

-- name: export_session_roles(person_id)
-- The person's roles in agenda sessions.
SELECT s.event AS event_id, sp.session AS session_id, s.title, s.starts_at, sp.role
FROM agenda_session_person sp JOIN agenda_session s ON s.id = sp.session
WHERE sp.person = :person_id ORDER BY sp.id;

-- name: export_meeting_actions(person_id)
-- The meeting actions the person owns.
SELECT id, series AS series_id, raised_at, title, due_date, done_at, created_at
FROM meeting_action WHERE owner = :person_id ORDER BY id;

-- name: export_inbound_replies(email)
-- The calendar replies received from or about the person's address.
SELECT received_at, sender, calendar_uid, attendee, recurrence_id, partstat, outcome, reason
FROM meeting_inbound_reply
WHERE lower(sender) = :email OR lower(regexp_replace(attendee, '^mailto:', '', 'i')) = :email ORDER BY id;

-- name: export_calendar_answers(person_id)
-- The person's answers to event and session invites given from a calendar.
SELECT event AS event_id, session AS session_id, partstat, answered_at, released_at
FROM calendar_answer WHERE person = :person_id ORDER BY id;

-- name: export_meeting_proposals(person_id)
-- Other times the person proposed for meetings from their calendar.
SELECT series AS series_id, recurrence_id, proposed_start, proposed_end, comment, method, status, received_at
FROM meeting_proposal WHERE person = :person_id ORDER BY id;

-- name: export_meeting_delegations(person_id, email)
-- Delegations the person made, or that named their address as the delegate.
SELECT series AS series_id, delegator = :person_id AS delegated_by_them, delegate_email, delegate_name, status,
       received_at FROM meeting_delegation
WHERE delegator = :person_id OR delegate = :person_id OR lower(delegate_email) = :email ORDER BY id;

-- name: disarm_release_links(person_id)!
-- Erasure: the seat-release links of the person's declined invites stop working.
UPDATE calendar_answer SET release_nonce = NULL, release_hash = NULL WHERE person = :person_id;

-- name: export_audit_entries(subject_id, email_pattern)
-- Audit entries about the person, or naming their address (as a whole address: not inside a longer one).
SELECT at, action, subject_type, subject_id, event, project, before, after FROM audit_log
WHERE (subject_type = 'person' AND subject_id = :subject_id::text)
   OR before::text ~* :email_pattern OR after::text ~* :email_pattern ORDER BY id;

-- name: export_agenda_changes(person_path)
-- Agenda change log entries naming the person (person_path: a jsonpath matching their id).
SELECT event AS event_id, session AS session_id, action, changes, created_at FROM agenda_change
WHERE changes @? :person_path::jsonpath ORDER BY id;

-- ------------------------------------------------------------------------- erasure

-- name: lock_person(person_id)^
-- record_class: PersonRow
-- The person to erase, locked.
SELECT id, email, name, erased_at FROM person WHERE id = :person_id FOR NO KEY UPDATE;

-- name: upcoming_active_registrations(person_id, statuses, now)
-- The person's active registrations of events not yet over, by event (to cancel before erasing).
SELECT r.id, r.event FROM registration r JOIN event e ON e.id = r.event WHERE r.person = :person_id
  AND r.status = ANY(:statuses::text[]) AND e.ends_at > :now ORDER BY r.event;

-- name: registrations_of_person(person_id)
-- Every registration of the person with the name typed on it.
SELECT id, registered_name FROM registration WHERE person = :person_id;

-- name: person_scope(person_id, email)^
-- Where the person took part, so erasure rewrites their name only there (a name is no identifier: anyone may
-- register under any name, and erasing it must not rewrite other people's records): the events of their
-- registrations, session roles, delegations headed and invitations; the projects they were a contact of; the
-- series they were invited to, attended, or answered, and those of their projects.
WITH series_of AS (
    SELECT series FROM meeting_invitee WHERE person = :person_id
    UNION SELECT series FROM meeting_attendance WHERE person = :person_id
    UNION SELECT series FROM meeting_rsvp WHERE person = :person_id
    UNION SELECT series FROM meeting_proposal WHERE person = :person_id
    UNION SELECT series FROM meeting_delegation WHERE delegator = :person_id OR delegate = :person_id),
projects AS (
    SELECT project FROM project_contact WHERE person = :person_id
    UNION SELECT s.project FROM meeting_series s JOIN series_of o ON o.series = s.id)
SELECT
    ARRAY(SELECT event FROM registration WHERE person = :person_id
          UNION SELECT s.event FROM agenda_session_person sp JOIN agenda_session s ON s.id = sp.session
                WHERE sp.person = :person_id
          UNION SELECT event FROM delegation WHERE head_person = :person_id
          UNION SELECT event FROM invitation WHERE email = :email) AS event_ids,
    ARRAY(SELECT project FROM projects) AS project_ids,
    ARRAY(SELECT series FROM series_of UNION SELECT s.id FROM meeting_series s JOIN projects p ON p.project = s.project)
        AS series_ids;

-- name: session_role_names(person_id)
-- The names typed for the person's session roles.
SELECT display_name FROM agenda_session_person WHERE person = :person_id AND display_name IS NOT NULL;

-- name: project_contact_names(person_id)
-- The names typed for the person as a project contact.
SELECT display_name FROM project_contact WHERE person = :person_id AND display_name IS NOT NULL;

-- name: delegate_names(person_id)
-- The names replies gave the person as someone's delegate in a meeting series.
SELECT DISTINCT delegate_name FROM meeting_delegation WHERE delegate = :person_id AND delegate_name <> '';

-- name: drop_pending_messages(registration_ids, email)!
-- Unsent mail about the registrations or to the address is dropped.
DELETE FROM outbox_message WHERE status = 'pending' AND (registration = ANY(:registration_ids::int[]) OR recipient = :email);

-- name: scrub_sent_messages(registration_ids, email, replacement)!
-- The delivery log keeps the messages about the registrations or to the address, without address or payload.
UPDATE outbox_message SET recipient = :replacement, payload = '{}'::jsonb, last_error = ''
WHERE registration = ANY(:registration_ids::int[]) OR recipient = :email;

-- name: detach_registration(registration_id, token_nonce, token_hash, now, erased_name, view_nonce, feed_nonce)!
-- A registration loses its answers and typed name, and every link dies (fresh nonces, a manage hash nobody holds
-- the token for); its organization and language stay, for the counts.
UPDATE registration SET answers = '{}'::jsonb, token_nonce = :token_nonce, token_hash = :token_hash, anonymized_at = :now,
       registered_name = :erased_name, registered_timezone = NULL,
       view_nonce = :view_nonce, view_hash = NULL, feed_nonce = :feed_nonce, feed_hash = NULL,
       updated_at = :now
WHERE id = :registration_id;

-- name: erase_invitations(email, replacement)!
-- Invitations to the address keep their rows without address or name.
UPDATE invitation SET email = :replacement, name = '' WHERE email = :email;

-- name: end_project_contacts(person_id, now)!
-- The person leaves every pilot project they are a contact of.
UPDATE project_contact SET left_at = :now WHERE person = :person_id AND left_at IS NULL;

-- name: withdraw_meeting_invitations(person_id, now, token_nonce, reply_nonce)!
-- The person's meeting invitations are withdrawn and their links die.
UPDATE meeting_invitee SET withdrawn_at = coalesce(withdrawn_at, :now), token_nonce = :token_nonce,
       token_hash = md5(random()::text || id::text) || md5(id::text || random()::text),
       reply_nonce = :reply_nonce, reply_hash = NULL
WHERE person = :person_id;

-- name: delete_person_calendars(person_id)!
-- The person's calendar feeds go.
DELETE FROM person_calendar WHERE person = :person_id;

-- name: clear_session_role_names(person_id)!
-- The names typed for the person's session roles go (the agenda shows the erased name).
UPDATE agenda_session_person SET display_name = NULL WHERE person = :person_id;

-- name: clear_project_contact_names(person_id)!
-- The names typed for the person as a project contact go (the project shows the erased name).
UPDATE project_contact SET display_name = NULL WHERE person = :person_id;

-- name: delete_schedule_source_people(person_id)!
-- What schedule files said about the person (names, biographies, source ids per event) goes.
DELETE FROM exchange_person WHERE person = :person_id;

-- name: anonymize_person(person_id, replacement, erased_name, now)!
-- The person row keeps organization and language, loses address, name and time zone, and gets no more mail.
UPDATE person SET email = :replacement, name = :erased_name, timezone = NULL, announcements_opt_out = true,
       erased_at = :now
WHERE id = :person_id;

-- Where copies of a person's address and name live in logs and texts (privacy.JSON_COPIES, privacy.TEXT_COPIES):
-- one statement per table and column, all of one form.

-- name: scrub_audit_log_before(email_pattern, email_replacement, name_pattern, name_replacement, event_ids, project_ids)!
-- Erasure: the person's address and name rewritten in the JSON of audit_log.before. The name only in rows of the person's events, projects and series, or naming their address.
UPDATE audit_log SET before = regexp_replace(regexp_replace(before::text, :email_pattern, :email_replacement, 'gi'),
    :name_pattern, :name_replacement, 'gi')::jsonb
WHERE before::text ~* :email_pattern
   OR ((event = ANY(:event_ids::int[]) OR project = ANY(:project_ids::int[])) AND before::text ~* :name_pattern);

-- name: scrub_audit_log_after(email_pattern, email_replacement, name_pattern, name_replacement, event_ids, project_ids)!
-- Erasure: the person's address and name rewritten in the JSON of audit_log.after. The name only in rows of the person's events, projects and series, or naming their address.
UPDATE audit_log SET after = regexp_replace(regexp_replace(after::text, :email_pattern, :email_replacement, 'gi'),
    :name_pattern, :name_replacement, 'gi')::jsonb
WHERE after::text ~* :email_pattern
   OR ((event = ANY(:event_ids::int[]) OR project = ANY(:project_ids::int[])) AND after::text ~* :name_pattern);

-- name: scrub_agenda_change_changes(email_pattern, email_replacement, name_pattern, name_replacement, event_ids)!
-- Erasure: the person's address and name rewritten in the JSON of agenda_change.changes. The name only in rows of the person's events, projects and series, or naming their address.
UPDATE agenda_change SET changes = regexp_replace(regexp_replace(changes::text, :email_pattern, :email_replacement, 'gi'),
    :name_pattern, :name_replacement, 'gi')::jsonb
WHERE changes::text ~* :email_pattern
   OR ((event = ANY(:event_ids::int[])) AND changes::text ~* :name_pattern);

-- name: scrub_calendar_update_changes(email_pattern, email_replacement, name_pattern, name_replacement, event_ids)!
-- Erasure: the person's address and name rewritten in the JSON of calendar_update.changes. The name only in rows of the person's events, projects and series, or naming their address.
UPDATE calendar_update SET changes = regexp_replace(regexp_replace(changes::text, :email_pattern, :email_replacement, 'gi'),
    :name_pattern, :name_replacement, 'gi')::jsonb
WHERE changes::text ~* :email_pattern
   OR ((event = ANY(:event_ids::int[])) AND changes::text ~* :name_pattern);

-- name: scrub_outbox_message_payload(email_pattern, email_replacement, name_pattern, name_replacement, event_ids)!
-- Erasure: the person's address and name rewritten in the JSON of outbox_message.payload. The name only in rows of the person's events, projects and series, or naming their address.
UPDATE outbox_message SET payload = regexp_replace(regexp_replace(payload::text, :email_pattern, :email_replacement, 'gi'),
    :name_pattern, :name_replacement, 'gi')::jsonb
WHERE payload::text ~* :email_pattern
   OR ((event = ANY(:event_ids::int[])) AND payload::text ~* :name_pattern);

-- name: scrub_outbox_message_last_error(email_pattern, email_replacement, name_pattern, name_replacement, event_ids)!
-- Erasure: the person's address and name rewritten in the text of outbox_message.last_error. The name only in rows of the person's events, projects and series, or naming their address.
UPDATE outbox_message SET last_error = regexp_replace(regexp_replace(last_error, :email_pattern, :email_replacement, 'gi'),
    :name_pattern, :name_replacement, 'gi')
WHERE last_error ~* :email_pattern
   OR ((event = ANY(:event_ids::int[])) AND last_error ~* :name_pattern);

-- name: scrub_meeting_inbound_reply_sender(email_pattern, email_replacement, name_pattern, name_replacement, event_ids, series_ids)!
-- Erasure: the person's address and name rewritten in the text of meeting_inbound_reply.sender. The name only in rows of the person's events, projects and series, or naming their address.
UPDATE meeting_inbound_reply SET sender = regexp_replace(regexp_replace(sender, :email_pattern, :email_replacement, 'gi'),
    :name_pattern, :name_replacement, 'gi')
WHERE sender ~* :email_pattern
   OR ((series = ANY(:series_ids::int[]) OR event = ANY(:event_ids::int[])) AND sender ~* :name_pattern);

-- name: scrub_meeting_inbound_reply_attendee(email_pattern, email_replacement, name_pattern, name_replacement, event_ids, series_ids)!
-- Erasure: the person's address and name rewritten in the text of meeting_inbound_reply.attendee. The name only in rows of the person's events, projects and series, or naming their address.
UPDATE meeting_inbound_reply SET attendee = regexp_replace(regexp_replace(attendee, :email_pattern, :email_replacement, 'gi'),
    :name_pattern, :name_replacement, 'gi')
WHERE attendee ~* :email_pattern
   OR ((series = ANY(:series_ids::int[]) OR event = ANY(:event_ids::int[])) AND attendee ~* :name_pattern);

-- name: scrub_meeting_inbound_reply_reason(email_pattern, email_replacement, name_pattern, name_replacement, event_ids, series_ids)!
-- Erasure: the person's address and name rewritten in the text of meeting_inbound_reply.reason. The name only in rows of the person's events, projects and series, or naming their address.
UPDATE meeting_inbound_reply SET reason = regexp_replace(regexp_replace(reason, :email_pattern, :email_replacement, 'gi'),
    :name_pattern, :name_replacement, 'gi')
WHERE reason ~* :email_pattern
   OR ((series = ANY(:series_ids::int[]) OR event = ANY(:event_ids::int[])) AND reason ~* :name_pattern);

-- name: scrub_meeting_proposal_comment(email_pattern, email_replacement, name_pattern, name_replacement, series_ids)!
-- Erasure: the person's address and name rewritten in the text of meeting_proposal.comment. The name only in rows of the person's events, projects and series, or naming their address.
UPDATE meeting_proposal SET comment = regexp_replace(regexp_replace(comment, :email_pattern, :email_replacement, 'gi'),
    :name_pattern, :name_replacement, 'gi')
WHERE comment ~* :email_pattern
   OR ((series = ANY(:series_ids::int[])) AND comment ~* :name_pattern);

-- name: scrub_meeting_delegation_delegate_email(email_pattern, email_replacement, name_pattern, name_replacement, series_ids)!
-- Erasure: the person's address and name rewritten in meeting_delegation.delegate_email. The name only in rows of the person's events, projects and series, or naming their address.
UPDATE meeting_delegation SET delegate_email = regexp_replace(regexp_replace(delegate_email, :email_pattern,
    :email_replacement, 'gi'), :name_pattern, :name_replacement, 'gi')
WHERE delegate_email ~* :email_pattern
   OR ((series = ANY(:series_ids::int[])) AND delegate_email ~* :name_pattern);

-- name: scrub_meeting_delegation_delegate_name(email_pattern, email_replacement, name_pattern, name_replacement, series_ids)!
-- Erasure: the person's address and name rewritten in meeting_delegation.delegate_name. The name only in rows of the person's events, projects and series, or naming their address.
UPDATE meeting_delegation SET delegate_name = regexp_replace(regexp_replace(delegate_name, :email_pattern,
    :email_replacement, 'gi'), :name_pattern, :name_replacement, 'gi')
WHERE delegate_name ~* :email_pattern
   OR ((series = ANY(:series_ids::int[])) AND delegate_name ~* :name_pattern);

-- name: scrub_meeting_occurrence_minutes(email_pattern, email_replacement, name_pattern, name_replacement, series_ids)!
-- Erasure: the person's address and name rewritten in the text of meeting_occurrence.minutes. The name only in rows of the person's events, projects and series, or naming their address.
UPDATE meeting_occurrence SET minutes = regexp_replace(regexp_replace(minutes, :email_pattern, :email_replacement, 'gi'),
    :name_pattern, :name_replacement, 'gi')
WHERE minutes ~* :email_pattern
   OR ((series = ANY(:series_ids::int[])) AND minutes ~* :name_pattern);

-- name: scrub_meeting_agenda_item_presenter(email_pattern, email_replacement, name_pattern, name_replacement, series_ids)!
-- Erasure: the person's address and name rewritten in the text of meeting_agenda_item.presenter. The name only in rows of the person's events, projects and series, or naming their address.
UPDATE meeting_agenda_item SET presenter = regexp_replace(regexp_replace(presenter, :email_pattern, :email_replacement, 'gi'),
    :name_pattern, :name_replacement, 'gi')
WHERE presenter ~* :email_pattern
   OR ((series = ANY(:series_ids::int[])) AND presenter ~* :name_pattern);

-- name: scrub_meeting_action_title(email_pattern, email_replacement, name_pattern, name_replacement, series_ids)!
-- Erasure: the person's address and name rewritten in the text of meeting_action.title. The name only in rows of the person's events, projects and series, or naming their address.
UPDATE meeting_action SET title = regexp_replace(regexp_replace(title, :email_pattern, :email_replacement, 'gi'),
    :name_pattern, :name_replacement, 'gi')
WHERE title ~* :email_pattern
   OR ((series = ANY(:series_ids::int[])) AND title ~* :name_pattern);

-- name: scrub_audit_log_subject_id(email_pattern, email_replacement, name_pattern, name_replacement, event_ids, project_ids)!
-- Erasure: the person's address and name rewritten in the text of audit_log.subject_id. The name only in rows of the person's events, projects and series, or naming their address.
UPDATE audit_log SET subject_id = regexp_replace(regexp_replace(subject_id, :email_pattern, :email_replacement, 'gi'),
    :name_pattern, :name_replacement, 'gi')
WHERE subject_id ~* :email_pattern
   OR ((event = ANY(:event_ids::int[]) OR project = ANY(:project_ids::int[])) AND subject_id ~* :name_pattern);

-- ------------------------------------------------------------------------- retention

-- name: retention_batch(cutoff, batch_size)
-- record_class: RetentionRegistration
-- A batch of registrations of events ended before the cutoff and not yet anonymized, with their person; locked,
-- skipping rows another run holds.
SELECT r.id, r.event, r.person, p.email, p.organization, p.language FROM registration r
JOIN event e ON e.id = r.event JOIN person p ON p.id = r.person
WHERE e.ends_at < :cutoff AND r.anonymized_at IS NULL ORDER BY r.id LIMIT :batch_size
FOR UPDATE OF r SKIP LOCKED;

-- name: insert_anonymous_person(email, name, organization_id, language, now)$
-- Not the person upsert: a new anonymous person with an address no one has (same organization and language, so
-- the counts hold), always inserted, never matched by email; its id.
INSERT INTO person (email, name, organization, language, announcements_opt_out, erased_at, created_at)
VALUES (:email, :name, :organization_id, :language, true, :now, :now) RETURNING id;

-- name: move_registration_to_person(registration_id, person_id)!
-- A registration now points at another (anonymous) person.
UPDATE registration SET person = :person_id WHERE id = :registration_id;

-- name: move_delegation_head(event_id, old_person_id, new_person_id)!
-- The delegation of the event headed by one person is now headed by another (anonymous) one.
UPDATE delegation SET head_person = :new_person_id WHERE event = :event_id AND head_person = :old_person_id;

-- name: drop_pending_registration_messages(registration_id)!
-- Unsent mail about the registration is dropped.
DELETE FROM outbox_message WHERE status = 'pending' AND registration = :registration_id;

-- name: scrub_registration_messages(registration_id, replacement)!
-- The delivery log keeps the messages about the registration, without address or payload.
UPDATE outbox_message SET recipient = :replacement, payload = '{}'::jsonb, last_error = ''
WHERE registration = :registration_id;

-- name: retention_leftover_people(cutoff)
-- People (not erased, older than the cutoff) left with nothing: no registration, project, meeting or delegation,
-- and no session role at an event not yet past retention.
SELECT p.id FROM person p WHERE p.erased_at IS NULL AND p.created_at < :cutoff
AND NOT EXISTS (SELECT 1 FROM registration r WHERE r.person = p.id)
AND NOT EXISTS (SELECT 1 FROM project_contact c WHERE c.person = p.id)
AND NOT EXISTS (SELECT 1 FROM meeting_invitee i WHERE i.person = p.id)
AND NOT EXISTS (SELECT 1 FROM delegation d WHERE d.head_person = p.id)
AND NOT EXISTS (SELECT 1 FROM agenda_session_person sp JOIN agenda_session s ON s.id = sp.session
                JOIN event e ON e.id = s.event WHERE sp.person = p.id AND e.ends_at >= :cutoff);
