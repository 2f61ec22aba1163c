-- Pilot projects, meeting series and their occurrences, invitations, answers and records.
-- Loaded by the modules of services/meetings (events_app.db.queries); typed rows are in rows.py.


-- ------------------------------------------------------------------ projects

-- name: project_by_id(project_id)^
-- record_class: ProjectRow
-- One pilot project with every column its pages, feeds and invitations read.
SELECT id, title, theme, description, coordinating_organization, organizer_email, organizer_name, feed_nonce,
       feed_hash, created_at, updated_at, status, cancelled_at
FROM pilot_project WHERE id = :project_id;

-- name: project_for_update(project_id)^
-- record_class: ProjectRow
-- The pilot project, its row locked for a change of its fields.
SELECT id, title, theme, description, coordinating_organization, organizer_email, organizer_name, feed_nonce,
       feed_hash, created_at, updated_at, status, cancelled_at
FROM pilot_project WHERE id = :project_id FOR NO KEY UPDATE;

-- name: lock_project(project_id)$
-- Lock the project row: cohort and series changes of one project happen one at a time. Its status.
SELECT status FROM pilot_project WHERE id = :project_id FOR NO KEY UPDATE;

-- name: mark_project_cancelled(project_id)!
-- The project is cancelled (its series were cancelled in the same transaction).
UPDATE pilot_project SET status = 'cancelled', cancelled_at = now(), updated_at = now() WHERE id = :project_id;

-- name: project_by_feed_hash(feed_hash)^
-- The project whose calendar feed token has this digest (id and title).
SELECT id, title FROM pilot_project WHERE feed_hash = :feed_hash;

-- name: organization_exists(organization_id)$
-- 1 when an organization has this id.
SELECT 1 FROM organization WHERE id = :organization_id;

-- name: insert_project(title, theme, description, coordinating_organization, organizer_email, organizer_name, feed_nonce, feed_hash)$
-- A new pilot project; returns its id.
INSERT INTO pilot_project (title, theme, description, coordinating_organization, organizer_email,
                           organizer_name, feed_nonce, feed_hash, created_at, updated_at)
VALUES (:title, :theme, :description, :coordinating_organization, :organizer_email, :organizer_name, :feed_nonce,
        :feed_hash, now(), now())
RETURNING id;

-- name: write_project_fields(project_id, title, theme, description, organizer_email, organizer_name)!
-- Write a project's changeable fields (each as given or as it was) and mark the change time.
UPDATE pilot_project SET title = :title, theme = :theme, description = :description,
       organizer_email = :organizer_email, organizer_name = :organizer_name, updated_at = now()
WHERE id = :project_id;

-- name: add_project_owner(project_id, account_id)!
-- The account that created the project becomes its owner.
INSERT INTO project_coordinator (project, account, role) VALUES (:project_id, :account_id, 'owner');

-- name: add_project_coordinator(project_id, account_id)!
-- Make the account a coordinator of the project; status INSERT 0 0 when it already was one.
INSERT INTO project_coordinator (project, account, role)
VALUES (:project_id, :account_id, 'coordinator') ON CONFLICT DO NOTHING;

-- name: project_coordinators(project_id)
-- The accounts coordinating a project, with their role, in the order they were added.
SELECT a.id, a.email, a.name, c.role FROM project_coordinator c JOIN account a ON a.id = c.account
WHERE c.project = :project_id ORDER BY c.id;

-- name: project_active_members(project_id)
-- The organizations in a project's cohort now, by name.
SELECT o.id, o.name, o.kind, o.country, m.joined_at FROM project_member m
JOIN organization o ON o.id = m.organization WHERE m.project = :project_id AND m.left_at IS NULL
ORDER BY o.name;

-- name: project_active_contacts(project_id)
-- The contact people of a project now, with the organization each is a contact for, by name: the name typed for
-- the project (the person's own only on rows from before names were kept), never the one the person stored; their
-- language and time zone only when this contact row created the person (else they are the person's own: '', NULL).
SELECT p.id, p.email, coalesce(c.display_name, p.name) AS name,
       CASE WHEN p.created_at = c.joined_at THEN p.language ELSE '' END AS language,
       CASE WHEN p.created_at = c.joined_at THEN p.timezone END AS timezone, c.organization, c.joined_at
FROM project_contact c JOIN person p ON p.id = c.person WHERE c.project = :project_id AND c.left_at IS NULL
ORDER BY coalesce(c.display_name, p.name), p.id;

-- name: projects_visible_to(account_id, is_admin)
-- Ids of the projects an account coordinates (every project for an administrator).
SELECT p.id FROM pilot_project p WHERE :is_admin OR EXISTS(
    SELECT 1 FROM project_coordinator c WHERE c.project = p.id AND c.account = :account_id) ORDER BY p.id;

-- name: active_account_by_email(email)$
-- The id of the active account with this (lower-case) address.
SELECT id FROM account WHERE email = :email AND is_active;

-- name: add_project_member(project_id, organization_id)!
-- An organization joins the project's cohort.
INSERT INTO project_member (project, organization, joined_at) VALUES (:project_id, :organization_id, now());

-- name: is_active_member(project_id, organization_id)$
-- 1 when the organization is in the project's cohort now.
SELECT 1 FROM project_member WHERE project = :project_id AND organization = :organization_id AND left_at IS NULL;

-- name: is_active_contact(project_id, person_id)$
-- 1 when the person is a contact of the project now.
SELECT 1 FROM project_contact WHERE project = :project_id AND person = :person_id AND left_at IS NULL;

-- name: add_project_contact(project_id, person_id, organization_id, display_name)!
-- The person becomes a contact of the project for this organization, under the name the coordinator typed.
INSERT INTO project_contact (project, person, organization, joined_at, display_name)
VALUES (:project_id, :person_id, :organization_id, now(), :display_name);

-- name: contact_leaves(project_id, person_id)!
-- The person stops being a contact of the project; status UPDATE 0 when they were not one.
UPDATE project_contact SET left_at = now() WHERE project = :project_id AND person = :person_id AND left_at IS NULL;

-- name: member_leaves(project_id, organization_id)!
-- The organization leaves the cohort; status UPDATE 0 when it was not in it.
UPDATE project_member SET left_at = now()
WHERE project = :project_id AND organization = :organization_id AND left_at IS NULL;

-- name: member_contacts_leave(project_id, organization_id)
-- Every contact of a leaving organization stops being a contact of the project; returns who they were.
UPDATE project_contact SET left_at = now() WHERE project = :project_id
AND organization = :organization_id AND left_at IS NULL RETURNING person;

-- name: active_contacts(project_id)
-- The project's contacts now and the organization of each, by person id (who a new series goes to).
SELECT person, organization FROM project_contact WHERE project = :project_id AND left_at IS NULL ORDER BY person;

-- name: active_member_organizations(project_id)
-- The organizations in the project's cohort now (the hosts a series may rotate among).
SELECT organization FROM project_member WHERE project = :project_id AND left_at IS NULL;


-- ------------------------------------------------------------------ series

-- name: series_by_id(series_id)^
-- record_class: SeriesRow
-- One meeting series.
SELECT id, project, title, description, mode, location, online_url, timezone, start_local, duration_minutes, rrule,
       first_start, last_end, host_rotation, status, calendar_uid, calendar_sequence, created_at, updated_at
FROM meeting_series WHERE id = :series_id;

-- name: series_for_update(series_id)^
-- record_class: SeriesRow
-- One meeting series, its row locked: every change of the series or its invitations takes this lock first.
SELECT id, project, title, description, mode, location, online_url, timezone, start_local, duration_minutes, rrule,
       first_start, last_end, host_rotation, status, calendar_uid, calendar_sequence, created_at, updated_at
FROM meeting_series WHERE id = :series_id FOR NO KEY UPDATE;

-- name: series_of_project(project_id)
-- record_class: SeriesRow
-- Every series of a project, first to start first.
SELECT id, project, title, description, mode, location, online_url, timezone, start_local, duration_minutes, rrule,
       first_start, last_end, host_rotation, status, calendar_uid, calendar_sequence, created_at, updated_at
FROM meeting_series WHERE project = :project_id ORDER BY first_start, id;

-- name: project_of_series(series_id)$
-- The project a series belongs to.
SELECT project FROM meeting_series WHERE id = :series_id;

-- name: series_ids_of_project(project_id)
-- Ids of a project's series, for its calendar feed.
SELECT id FROM meeting_series WHERE project = :project_id ORDER BY id;

-- name: series_id_by_uid(calendar_uid)$
-- The series whose calendar UID this is (the UID a REPLY names).
SELECT id FROM meeting_series WHERE calendar_uid = :calendar_uid::uuid;

-- name: active_series_ahead(project_id, now)
-- Ids of the project's active series that still have an occurrence ending after now.
SELECT id FROM meeting_series WHERE project = :project_id AND status = 'active' AND last_end > :now ORDER BY id;

-- name: insert_series(project_id, title, description, mode, location, online_url, timezone, start_local, duration_minutes, rrule, first_start, last_end, host_rotation)$
-- A new active series with a fresh calendar UID at SEQUENCE 0; returns its id.
INSERT INTO meeting_series (project, title, description, mode, location, online_url, timezone,
    start_local, duration_minutes, rrule, first_start, last_end, host_rotation, status, calendar_uid,
    calendar_sequence, created_at, updated_at)
VALUES (:project_id, :title, :description, :mode, :location, :online_url, :timezone, :start_local,
    :duration_minutes, :rrule, :first_start, :last_end, :host_rotation::jsonb, 'active', gen_random_uuid(),
    0, now(), now())
RETURNING id;

-- name: write_series(series_id, title, description, mode, location, online_url, timezone, start_local, duration_minutes, rrule, first_start, last_end, host_rotation)!
-- Write every field of a series (its SEQUENCE grows separately, in the same transaction).
UPDATE meeting_series SET title = :title, description = :description, mode = :mode, location = :location,
    online_url = :online_url, timezone = :timezone, start_local = :start_local,
    duration_minutes = :duration_minutes, rrule = :rrule, first_start = :first_start, last_end = :last_end,
    host_rotation = :host_rotation::jsonb
WHERE id = :series_id;

-- name: mark_series_cancelled(series_id)!
-- Mark the series cancelled.
UPDATE meeting_series SET status = 'cancelled' WHERE id = :series_id;

-- name: agenda_of_series(series_id)
-- The agenda items of a series in order, as invites, feeds and pages list them.
SELECT title, duration_minutes, presenter FROM meeting_agenda_item WHERE series = :series_id ORDER BY position;

-- name: delete_agenda(series_id)!
-- Remove the agenda of a series (before writing its new one).
DELETE FROM meeting_agenda_item WHERE series = :series_id;

-- name: add_agenda_item(series_id, position, title, duration_minutes, presenter)*!
-- Agenda items of a series, one per parameter set, at their position.
INSERT INTO meeting_agenda_item (series, position, title, duration_minutes, presenter)
VALUES (:series_id, :position, :title, :duration_minutes, :presenter);

-- name: organization_names(organization_ids)
-- Id and name of these organizations (the hosts of a rotation).
SELECT id, name FROM organization WHERE id = ANY(:organization_ids);


-- ------------------------------------------------------------------ occurrences

-- name: overrides_of_series(series_id)
-- record_class: Override
-- The occurrences of a series that differ from it (moved, new place or cancelled), by original start.
SELECT recurrence_id, starts_at, ends_at, location, online_url, cancelled, sequence FROM meeting_occurrence
WHERE series = :series_id AND (cancelled OR starts_at IS NOT NULL
    OR location IS NOT NULL OR online_url IS NOT NULL) ORDER BY recurrence_id;

-- name: save_occurrence_move(series_id, recurrence_id, starts_at, ends_at, location, online_url, sequence)!
-- Store an occurrence's new time (NULL: at its original time) and place (NULL: unchanged) under a new SEQUENCE.
INSERT INTO meeting_occurrence (series, recurrence_id, starts_at, ends_at, location, online_url,
    cancelled, sequence, minutes, updated_at)
VALUES (:series_id, :recurrence_id, :starts_at, :ends_at, :location, :online_url, false, :sequence, '', now())
ON CONFLICT (series, recurrence_id) DO UPDATE SET starts_at = EXCLUDED.starts_at,
    ends_at = EXCLUDED.ends_at,
    location = coalesce(EXCLUDED.location, meeting_occurrence.location),
    online_url = coalesce(EXCLUDED.online_url, meeting_occurrence.online_url),
    sequence = EXCLUDED.sequence, updated_at = now();

-- name: occurrence_cancelled(series_id, recurrence_id)$
-- Whether an occurrence is stored as cancelled (NULL when nothing is stored for it).
SELECT cancelled FROM meeting_occurrence WHERE series = :series_id AND recurrence_id = :recurrence_id;

-- name: save_occurrence_cancel(series_id, recurrence_id, sequence)!
-- Store one occurrence as cancelled under a new SEQUENCE.
INSERT INTO meeting_occurrence (series, recurrence_id, cancelled, sequence, minutes, updated_at)
VALUES (:series_id, :recurrence_id, true, :sequence, '', now())
ON CONFLICT (series, recurrence_id) DO UPDATE SET cancelled = true, sequence = EXCLUDED.sequence,
    updated_at = now();

-- name: recorded_occurrence_starts(series_id)
-- Original starts of the occurrences that have minutes, attendance or action items (they must not vanish).
SELECT recurrence_id FROM meeting_occurrence WHERE series = :series_id AND minutes <> ''
UNION SELECT recurrence_id FROM meeting_attendance WHERE series = :series_id
UNION SELECT raised_at FROM meeting_action WHERE series = :series_id;

-- name: move_cancellation(series_id, recurrence_id, to_recurrence_id)!
-- A cancelled occurrence the series' new time or rule re-keys: the meeting of that day stays cancelled.
UPDATE meeting_occurrence SET recurrence_id = :to_recurrence_id, starts_at = NULL, ends_at = NULL
WHERE series = :series_id AND recurrence_id = :recurrence_id;

-- name: delete_orphan_occurrences(series_id, keep)!
-- Drop what is stored for occurrences that are no longer part of the series (keep: the starts that remain).
DELETE FROM meeting_occurrence WHERE series = :series_id AND NOT (recurrence_id = ANY(:keep));

-- name: delete_orphan_answers(series_id, keep)!
-- Drop answers to occurrences that are no longer part of the series (answers to the whole series stay).
DELETE FROM meeting_rsvp WHERE series = :series_id AND recurrence_id IS NOT NULL AND NOT (recurrence_id = ANY(:keep));


-- ------------------------------------------------------------------ invitations

-- name: ensure_person_calendar(person_id, token_nonce, token_hash)!
-- Give the person a meeting feed token unless they have one.
INSERT INTO person_calendar (person, token_nonce, token_hash) VALUES (:person_id, :token_nonce, :token_hash)
ON CONFLICT (person) DO NOTHING;

-- name: kept_reply_nonce(series_id, person_id)$
-- The reply nonce of the person's latest earlier invitation to the series (a re-invited person keeps it).
SELECT reply_nonce FROM meeting_invitee WHERE series = :series_id AND person = :person_id AND reply_nonce <> ''
ORDER BY id DESC LIMIT 1;

-- name: add_invitee(series_id, person_id, organization_id, token_nonce, token_hash, reply_nonce, reply_hash)!
-- Invite the person to the series for this organization, with their RSVP and reply tokens' secrets.
INSERT INTO meeting_invitee (series, person, organization, token_nonce, token_hash, invited_at,
    reply_nonce, reply_hash)
VALUES (:series_id, :person_id, :organization_id, :token_nonce, :token_hash, now(), :reply_nonce, :reply_hash);

-- name: person_address(person_id)^
-- The address and language a person's meeting mail goes to.
SELECT email, language FROM person WHERE id = :person_id;

-- name: stale_invitee_addresses(series_id, sequence)
-- The people invited to a series now whose calendar copy (calendar_copy) is older than this SEQUENCE, or who have
-- none: those an update at this SEQUENCE must reach, and nobody else.
SELECT p.id, p.email, p.language FROM meeting_invitee i JOIN person p ON p.id = i.person
JOIN meeting_series s ON s.id = i.series
LEFT JOIN calendar_copy c ON c.person = p.id AND c.uid = s.calendar_uid
WHERE i.series = :series_id AND i.withdrawn_at IS NULL AND (c.sequence IS NULL OR c.sequence < :sequence)
ORDER BY p.id;

-- name: is_active_invitee(series_id, person_id)$
-- 1 when the person is invited to the series now.
SELECT 1 FROM meeting_invitee WHERE series = :series_id AND person = :person_id AND withdrawn_at IS NULL;

-- name: was_ever_invited(series_id, person_id)$
-- 1 when the person was ever invited to the series (withdrawn invitations count).
SELECT 1 FROM meeting_invitee WHERE series = :series_id AND person = :person_id;

-- name: series_with_active_invitee(project_id, person_id)
-- Ids of the project's series the person is invited to now.
SELECT s.id FROM meeting_series s JOIN meeting_invitee i ON i.series = s.id AND i.person = :person_id
AND i.withdrawn_at IS NULL WHERE s.project = :project_id ORDER BY s.id;

-- name: withdraw_invitee(series_id, person_id)!
-- Withdraw the person's active invitation to the series.
UPDATE meeting_invitee SET withdrawn_at = now() WHERE series = :series_id AND person = :person_id
AND withdrawn_at IS NULL;

-- name: active_invitee_count(series_id)$
-- How many people are invited to the series now.
SELECT count(*) FROM meeting_invitee WHERE series = :series_id AND withdrawn_at IS NULL;

-- name: active_invitees_by_organization(series_id)
-- The people invited to a series now with the organization they were invited for, by organization and the name the
-- project shows for them (project_person_name).
SELECT p.id, project_person_name(s.project, p.id) AS name, p.email, o.id AS organization_id, o.name AS organization_name
FROM meeting_invitee i JOIN meeting_series s ON s.id = i.series JOIN person p ON p.id = i.person
LEFT JOIN organization o ON o.id = i.organization
WHERE i.series = :series_id AND i.withdrawn_at IS NULL ORDER BY o.name, project_person_name(s.project, p.id), p.id;

-- name: invited_organizations(series_id)
-- Everyone ever invited to a series, each with the organization of their latest invitation.
SELECT DISTINCT ON (person) person, organization FROM meeting_invitee WHERE series = :series_id
ORDER BY person, invited_at DESC;


-- ------------------------------------------------------------------ feeds and mail

-- name: person_of_calendar_token(token_hash)$
-- The person whose meeting feed token has this digest.
SELECT person FROM person_calendar WHERE token_hash = :token_hash;

-- name: series_ids_of_person(person_id)
-- Ids of the series the person is invited to now, for their calendar feed.
SELECT DISTINCT series FROM meeting_invitee WHERE person = :person_id AND withdrawn_at IS NULL ORDER BY series;

-- name: person_calendar_nonce(person_id)$
-- The nonce of the person's meeting feed token (NULL before their first invitation).
SELECT token_nonce FROM person_calendar WHERE person = :person_id;

-- name: mail_recipient(person_id)^
-- The person a meeting mail is for: name, address and time zone.
SELECT id, name, email, timezone FROM person WHERE id = :person_id;

-- name: latest_invitation(series_id, person_id)^
-- The person's invitation to the series (the active one, else the newest) with its token secrets.
SELECT id, token_nonce, reply_nonce, reply_hash FROM meeting_invitee
WHERE series = :series_id AND person = :person_id ORDER BY withdrawn_at IS NULL DESC, id DESC
LIMIT 1;

-- name: claim_reply_nonce(invitee_id, reply_nonce)$
-- Give an invitation without a reply nonce this one; NULL when it already had one.
UPDATE meeting_invitee SET reply_nonce = :reply_nonce WHERE id = :invitee_id AND reply_nonce = '' RETURNING reply_nonce;

-- name: reply_nonce_of(invitee_id)$
-- The invitation's reply nonce.
SELECT reply_nonce FROM meeting_invitee WHERE id = :invitee_id;

-- name: set_reply_hash(invitee_id, reply_hash)!
-- Store the digest of the invitation's reply token (the inbound endpoint finds the invitation by it).
UPDATE meeting_invitee SET reply_hash = :reply_hash WHERE id = :invitee_id;


-- ------------------------------------------------------------------ answers

-- name: invitation_by_token_hash(token_hash)^
-- record_class: InvitationRow
-- The invitation whose RSVP token has this digest, with the invited person's name, address and time zone.
SELECT i.*, p.name, p.email, p.timezone AS person_timezone FROM meeting_invitee i
JOIN person p ON p.id = i.person WHERE i.token_hash = :token_hash;

-- name: record_answer(series_id, person_id, recurrence_id, partstat, source, answered_at)$
-- Store an answer unless a newer one for the same scope exists; returns its id, NULL when it was older.
INSERT INTO meeting_rsvp (series, person, recurrence_id, partstat, source, answered_at)
VALUES (:series_id, :person_id, :recurrence_id, :partstat, :source, :answered_at)
ON CONFLICT (series, person, recurrence_id) DO UPDATE SET partstat = EXCLUDED.partstat,
    source = EXCLUDED.source, answered_at = EXCLUDED.answered_at
WHERE meeting_rsvp.answered_at <= EXCLUDED.answered_at
RETURNING id;

-- name: answers_of_series(series_id)
-- Every stored answer to a series: who, what, when, and for which occurrence (NULL: the whole series).
SELECT person, partstat, answered_at, recurrence_id FROM meeting_rsvp WHERE series = :series_id;

-- name: invitation_by_reply_hash(reply_hash)^
-- The invitation whose reply token has this digest (the active one first), with the invited address.
SELECT i.series, i.person, i.withdrawn_at, p.email FROM meeting_invitee i JOIN person p
ON p.id = i.person WHERE i.reply_hash = :reply_hash ORDER BY i.withdrawn_at IS NULL DESC, i.id DESC LIMIT 1;

-- name: active_invitee_with_address(series_id, email)$
-- The person invited to the series now whose address is this one.
SELECT i.person FROM meeting_invitee i JOIN person p ON p.id = i.person WHERE i.series = :series_id
AND p.email = :email AND i.withdrawn_at IS NULL;

-- name: log_inbound_reply(sender, calendar_uid, attendee, recurrence_id, partstat, outcome, reason, reason_code, series_id, event_id)!
-- Log one inbound iMIP reply (about a meeting series, or an event or session) and what became of it.
INSERT INTO meeting_inbound_reply (received_at, sender, calendar_uid, attendee, recurrence_id, partstat,
    outcome, reason, reason_code, series, event)
VALUES (now(), :sender, :calendar_uid, :attendee, :recurrence_id, :partstat, :outcome, :reason, :reason_code,
    :series_id, :event_id);

-- name: inbound_replies_of_event(event_id, row_limit)
-- The newest inbound replies about an event's or its sessions' invites, recorded or rejected.
SELECT r.id, r.received_at, r.sender, r.attendee, r.partstat, r.outcome, r.reason, r.reason_code
FROM meeting_inbound_reply r WHERE r.event = :event_id ORDER BY r.received_at DESC, r.id DESC LIMIT :row_limit;

-- name: project_allows_delegation(project_id)$
-- Whether a delegate named in a reply joins the project's series without the coordinator deciding.
SELECT allow_delegation FROM pilot_project WHERE id = :project_id;

-- name: set_project_delegation(project_id, allow)!
-- The coordinators' choice for delegations (RFC 5546 4.2.5): delegates join at once (true) or wait for them.
UPDATE pilot_project SET allow_delegation = :allow WHERE id = :project_id;

-- name: add_proposal(series_id, person_id, recurrence_id, proposed_start, proposed_end, comment, method)$
-- Keep an attendee's proposal of another time (COUNTER, or a REPLY proposing one) for the coordinators; the same
-- proposal again while the first still waits (a message delivered twice) keeps nothing and returns no id.
INSERT INTO meeting_proposal (series, person, recurrence_id, proposed_start, proposed_end, comment, method)
SELECT :series_id, :person_id, :recurrence_id::timestamptz, :proposed_start::timestamptz, :proposed_end::timestamptz,
       :comment, :method
WHERE NOT EXISTS (
    SELECT 1 FROM meeting_proposal w
    WHERE w.series = :series_id AND w.person = :person_id AND w.status = 'pending'
      AND w.recurrence_id IS NOT DISTINCT FROM :recurrence_id::timestamptz
      AND w.proposed_start = :proposed_start::timestamptz AND w.proposed_end = :proposed_end::timestamptz)
RETURNING id;

-- name: proposals_of_project(project_id)
-- The proposals of other times for the project's series, newest first, with who proposed (project_person_name).
SELECT pr.id, pr.series AS series_id, s.title AS series_title, pr.person AS person_id,
       project_person_name(s.project, p.id) AS name, p.email,
       pr.recurrence_id, pr.proposed_start, pr.proposed_end, pr.comment, pr.method, pr.status, pr.received_at,
       pr.decided_at
FROM meeting_proposal pr JOIN meeting_series s ON s.id = pr.series JOIN person p ON p.id = pr.person
WHERE s.project = :project_id ORDER BY pr.received_at DESC, pr.id DESC LIMIT 200;

-- name: proposal_for_decision(proposal_id)^
-- A proposal with its series' project, locked while the coordinator decides.
SELECT pr.*, s.project FROM meeting_proposal pr JOIN meeting_series s ON s.id = pr.series
WHERE pr.id = :proposal_id FOR NO KEY UPDATE OF pr;

-- name: decide_proposal(proposal_id, status)!
-- Record the coordinator's decision on a proposal.
UPDATE meeting_proposal SET status = :status, decided_at = now() WHERE id = :proposal_id;

-- name: add_delegation(series_id, delegator_id, delegate_email, delegate_name)^
-- Note that an invitee delegated their place (the first notice counts); returns the delegation as stored.
WITH added AS (
    INSERT INTO meeting_delegation (series, delegator, delegate_email, delegate_name)
    VALUES (:series_id, :delegator_id, :delegate_email, :delegate_name)
    ON CONFLICT (series, delegator, delegate_email) DO NOTHING RETURNING *)
SELECT * FROM added UNION ALL
SELECT * FROM meeting_delegation WHERE series = :series_id AND delegator = :delegator_id
AND delegate_email = :delegate_email LIMIT 1;

-- name: is_accepted_delegate(series_id, delegator_id, delegate_id)$
-- Whether the person joined the series as an accepted delegate of this invitee.
SELECT EXISTS(SELECT 1 FROM meeting_delegation WHERE series = :series_id AND delegator = :delegator_id
              AND delegate = :delegate_id AND status = 'accepted');

-- name: delegation_is_new_beyond(series_id, delegator_id, delegate_email, most)$
-- Whether naming this delegate would be a new delegation past the most one invitee may name in a series.
SELECT NOT EXISTS(SELECT 1 FROM meeting_delegation WHERE series = :series_id AND delegator = :delegator_id
                  AND delegate_email = :delegate_email)
   AND (SELECT count(*) FROM meeting_delegation WHERE series = :series_id AND delegator = :delegator_id) >= :most;

-- name: delegations_of_project(project_id)
-- The delegations named in replies to the project's series, newest first (the delegator by the name the project
-- shows, project_person_name; the delegate by the name the reply gave).
SELECT d.id, d.series AS series_id, s.title AS series_title, d.delegator AS delegator_id,
       project_person_name(s.project, p.id) AS delegator_name,
       p.email AS delegator_email, d.delegate_email, d.delegate_name, d.delegate AS delegate_id, d.status,
       d.received_at, d.decided_at
FROM meeting_delegation d JOIN meeting_series s ON s.id = d.series JOIN person p ON p.id = d.delegator
WHERE s.project = :project_id ORDER BY d.received_at DESC, d.id DESC LIMIT 200;

-- name: delegation_for_decision(delegation_id)^
-- A delegation with its series' project and the delegator's organization, locked while it is decided.
SELECT d.*, s.project, (SELECT i.organization FROM meeting_invitee i WHERE i.series = d.series
       AND i.person = d.delegator ORDER BY i.id DESC LIMIT 1) AS organization
FROM meeting_delegation d JOIN meeting_series s ON s.id = d.series WHERE d.id = :delegation_id FOR NO KEY UPDATE OF d;

-- name: decide_delegation(delegation_id, status, delegate_id)!
-- Record the decision on a delegation and the delegate's person.
UPDATE meeting_delegation SET status = :status, decided_at = now(), delegate = :delegate_id WHERE id = :delegation_id;

-- name: inbound_replies_of_project(project_id, row_limit)
-- The newest inbound replies about a project's series, with the series' title.
SELECT r.id, r.received_at, r.sender, r.attendee, r.partstat, r.recurrence_id, r.outcome, r.reason,
       r.reason_code, r.series AS series_id, s.title AS series_title
FROM meeting_inbound_reply r JOIN meeting_series s ON s.id = r.series
WHERE s.project = :project_id ORDER BY r.received_at DESC, r.id DESC LIMIT :row_limit;


-- ------------------------------------------------------------------ records

-- name: occurrence_minutes(series_id, recurrence_id)$
-- The minutes of one occurrence (NULL when nothing is stored for it).
SELECT minutes FROM meeting_occurrence WHERE series = :series_id AND recurrence_id = :recurrence_id;

-- name: save_occurrence_minutes(series_id, recurrence_id, minutes)!
-- Store the minutes of one occurrence.
INSERT INTO meeting_occurrence (series, recurrence_id, cancelled, sequence, minutes, updated_at)
VALUES (:series_id, :recurrence_id, false, 0, :minutes, now())
ON CONFLICT (series, recurrence_id) DO UPDATE SET minutes = EXCLUDED.minutes, updated_at = now();

-- name: attendance_of_occurrence(series_id, recurrence_id)
-- Who was present at one occurrence, with the organization they came for, by organization and name (the name the
-- project shows, project_person_name).
SELECT p.id, project_person_name(s.project, p.id) AS name, o.id AS organization_id, o.name AS organization_name
FROM meeting_attendance a JOIN meeting_series s ON s.id = a.series JOIN person p ON p.id = a.person
LEFT JOIN organization o ON o.id = a.organization
WHERE a.series = :series_id AND a.recurrence_id = :recurrence_id
ORDER BY o.name, project_person_name(s.project, p.id), p.id;

-- name: clear_attendance(series_id, recurrence_id)
-- Remove the attendance of one occurrence; returns who had been recorded present.
DELETE FROM meeting_attendance WHERE series = :series_id AND recurrence_id = :recurrence_id RETURNING person;

-- name: add_attendance(series_id, recurrence_id, person_id, organization_id)*!
-- Record people present at one occurrence, one per parameter set, each for their organization.
INSERT INTO meeting_attendance (series, recurrence_id, person, organization)
VALUES (:series_id, :recurrence_id, :person_id, :organization_id);

-- name: attendance_counts(series_id)
-- How many people of each organization were present at each occurrence of a series.
SELECT a.recurrence_id, a.organization, count(*) AS n FROM meeting_attendance a WHERE a.series = :series_id
GROUP BY a.recurrence_id, a.organization;

-- name: series_organizations(series_id)
-- The organizations invited to or present at a series, by name.
SELECT DISTINCT o.id, o.name, o.country FROM organization o WHERE o.id IN (
    SELECT organization FROM meeting_invitee WHERE series = :series_id
    UNION SELECT organization FROM meeting_attendance WHERE series = :series_id) ORDER BY o.name, o.id;

-- name: action_items_of_series(series_id)
-- record_class: ActionRow
-- Every action item of a series with its owner's name and organization, oldest first: the name the project shows
-- (project_person_name) and the organization of their latest invitation to the series (oi), as the project
-- knows them, never the person's stored profile.
SELECT a.id, a.series, a.raised_at, a.title, a.owner, a.due_date, a.done_at,
       project_person_name(s.project, p.id) AS owner_name, o.name AS owner_organization
FROM meeting_action a JOIN meeting_series s ON s.id = a.series
LEFT JOIN person p ON p.id = a.owner
LEFT JOIN LATERAL (SELECT i.organization FROM meeting_invitee i WHERE i.series = a.series AND i.person = a.owner
                   ORDER BY i.id DESC LIMIT 1) oi ON true
LEFT JOIN organization o ON o.id = oi.organization
WHERE a.series = :series_id ORDER BY a.id;

-- name: insert_action(series_id, raised_at, title, owner, due_date)$
-- A new action item raised at an occurrence; returns its id.
INSERT INTO meeting_action (series, raised_at, title, owner, due_date, created_at)
VALUES (:series_id, :raised_at, :title, :owner, :due_date, now()) RETURNING id;

-- name: series_of_action(action_id)$
-- The series an action item belongs to.
SELECT series FROM meeting_action WHERE id = :action_id;

-- name: action_for_update(action_id)^
-- record_class: ActionRow
-- One action item, its row locked for a change.
SELECT id, series, raised_at, title, owner, due_date, done_at FROM meeting_action WHERE id = :action_id FOR NO KEY UPDATE;

-- name: write_action(action_id, title, due_date, done_at)!
-- Write an action item's title, due date and completion time.
UPDATE meeting_action SET title = :title, due_date = :due_date, done_at = :done_at WHERE id = :action_id;

-- name: coordinator_notice(series_id, person_id, account_id)^
-- What a coordinator's notice about a reply shows: the series and its project, who replied (not erased since; by
-- the name the project shows, project_person_name), whom it is for.
SELECT s.title AS series_title, s.project AS project_id, project_person_name(s.project, p.id) AS person_name,
       p.email AS person_email, a.name AS account_name
FROM meeting_series s JOIN person p ON p.id = :person_id
JOIN account a ON a.id = :account_id
WHERE s.id = :series_id AND p.erased_at IS NULL;
