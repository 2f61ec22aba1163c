-- People: organizer accounts and their sessions, password resets, the audit trail, regional offices, people
-- and organizations.
--
-- The person upsert lives here, and only here as a whole: link_or_create_person (one person) and
-- link_or_create_people (a batch). A statement that must name a person as part of a larger statement (the
-- registration statement) embeds the `created` and `who` CTEs of link_or_create_person text for text, with
-- its own parameter names; tests/unit/db/test_shared_sql_rules.py fails on any other copy.

-- ------------------------------------------------------------------------- accounts

-- name: account_for_login(email)^
-- record_class: LoginAccount
-- The active account with this address and its password hash, for a login attempt.
SELECT id, email, name, is_admin, password_hash FROM account WHERE email = :email AND is_active;

-- name: start_account_session(token_hash, account_id, expires_at)!
-- A bearer-token session for an account that logged in (the token stored as its digest).
INSERT INTO auth_session (token_hash, account, created_at, expires_at) VALUES (:token_hash, :account_id, now(), :expires_at);

-- name: end_account_session(token_hash)!
-- Log out: the session with this token digest ends.
DELETE FROM auth_session WHERE token_hash = :token_hash;

-- name: account_for_session(token_hash)^
-- record_class: AccountRow
-- The active account a live bearer-token session belongs to.
SELECT a.id, a.email, a.name, a.is_admin FROM auth_session s JOIN account a ON a.id = s.account
WHERE s.token_hash = :token_hash AND s.expires_at > now() AND a.is_active;

-- name: project_coordination(project_id, account_id)^
-- The pilot project, if it exists, and whether the account coordinates it.
SELECT p.id, EXISTS(SELECT 1 FROM project_coordinator c WHERE c.project = p.id AND c.account = :account_id) AS mine
FROM pilot_project p WHERE p.id = :project_id;

-- name: event_management(event_id, account_id)^
-- The event, if it exists, and whether the account manages it (organizer of the event, or staff of its office).
SELECT e.id, EXISTS(SELECT 1 FROM event_organizer o WHERE o.event = e.id AND o.account = :account_id)
       OR EXISTS(SELECT 1 FROM office_staff s WHERE s.office = e.office AND s.account = :account_id) AS mine
FROM event e WHERE e.id = :event_id;

-- name: is_office_staff(account_id)$
-- 1 when the account is staff of some regional office, else nothing.
SELECT 1 FROM office_staff WHERE account = :account_id LIMIT 1;

-- name: create_or_reset_account(email, name, password_hash, is_admin)$
-- Create an account, or reset the one with this address (name, password, admin flag; active again); its id.
INSERT INTO account (email, name, password_hash, is_admin, is_active, created_at)
VALUES (:email, :name, :password_hash, :is_admin, true, now())
ON CONFLICT (email) DO UPDATE SET name = EXCLUDED.name, password_hash = EXCLUDED.password_hash,
                                  is_admin = EXCLUDED.is_admin, is_active = true
RETURNING id;

-- name: active_account_password_hash(account_id)^
-- The password hash of an active account, to check its current password.
SELECT password_hash FROM account WHERE id = :account_id AND is_active;

-- name: set_account_password(account_id, password_hash)!
-- Store an account's new password hash.
UPDATE account SET password_hash = :password_hash WHERE id = :account_id;

-- name: use_up_password_resets(account_id)!
-- Every outstanding reset link of the account is used up (its password just changed).
UPDATE password_reset SET used_at = now() WHERE account = :account_id AND used_at IS NULL;

-- name: end_other_account_sessions(account_id, keep_token_hash)!
-- Every session of the account ends but the one with keep_token_hash ('' keeps none); the status counts them.
DELETE FROM auth_session WHERE account = :account_id AND token_hash <> :keep_token_hash;

-- name: active_account_by_email(email)^
-- The active account with this address (id and address), for a password reset request.
SELECT id, email FROM account WHERE email = :email AND is_active;

-- name: delete_password_resets(account_id)!
-- Older reset links of the account go: a newer request replaces them.
DELETE FROM password_reset WHERE account = :account_id;

-- name: insert_password_reset(account_id, token_nonce, token_hash, lifetime)$
-- A reset link (its nonce and digest) valid for `lifetime`; its id.
INSERT INTO password_reset (account, token_nonce, token_hash, created_at, expires_at)
VALUES (:account_id, :token_nonce, :token_hash, now(), now() + :lifetime::interval) RETURNING id;

-- name: live_reset_link_email(token_hash)$
-- The address of the active account a live (unused, unexpired) reset link belongs to.
SELECT a.email FROM password_reset r JOIN account a ON a.id = r.account
WHERE r.token_hash = :token_hash AND r.used_at IS NULL AND r.expires_at > now() AND a.is_active;

-- name: use_reset_link(token_hash)$
-- Use a live reset link (once); the account it belongs to, nothing when it is used, expired or unknown.
UPDATE password_reset SET used_at = now()
WHERE token_hash = :token_hash AND used_at IS NULL AND expires_at > now() RETURNING account;

-- ------------------------------------------------------------------------- audit trail

-- name: record_audit_entry(account_id, account_email, action, subject_type, subject_id, event_id, project_id, before, after)!
-- One audit entry: who did what to which subject, with the values before and after.
INSERT INTO audit_log (at, account, account_email, action, subject_type, subject_id, event, project, before, after)
VALUES (clock_timestamp(), :account_id, :account_email, :action, :subject_type, :subject_id, :event_id, :project_id,
        :before::jsonb, :after::jsonb);

-- name: audit_entries(event_id, project_id, actor, action, before_id, page_size)
-- A page of audit entries, newest first, filtered by event, project, actor address, action prefix.
SELECT id, at, account AS account_id, account_email, action, subject_type, subject_id, event AS event_id,
       project AS project_id, before, after
FROM audit_log
WHERE (:event_id::int IS NULL OR event = :event_id) AND (:project_id::int IS NULL OR project = :project_id)
  AND (:actor::text IS NULL OR account_email = lower(:actor)) AND (:action::text IS NULL OR action LIKE :action || '%')
  AND (:before_id::bigint IS NULL OR id < :before_id)
ORDER BY id DESC LIMIT :page_size;

-- ------------------------------------------------------------------------- offices

-- name: office_assignability(office_id, account_id)^
-- The office, if it exists, and whether the account is its staff.
SELECT o.id, EXISTS(SELECT 1 FROM office_staff s WHERE s.office = o.id AND s.account = :account_id) AS staff
FROM office o WHERE o.id = :office_id;

-- name: office_by_id(office_id)^
-- One regional office.
SELECT id, name, region, created_at FROM office WHERE id = :office_id;

-- name: office_staff(office_id)
-- The staff accounts of an office, by address.
SELECT a.id, a.email, a.name FROM office_staff s JOIN account a ON a.id = s.account
WHERE s.office = :office_id ORDER BY a.email;

-- name: office_event_ids(office_id)
-- The events of an office, by start.
SELECT id FROM event WHERE office = :office_id ORDER BY starts_at, id;

-- name: offices_visible_to(account_id, is_admin)
-- The offices an account sees: every office for an administrator, else those it is staff of; by name.
SELECT o.id FROM office o
WHERE :is_admin OR EXISTS(SELECT 1 FROM office_staff s WHERE s.office = o.id AND s.account = :account_id)
ORDER BY o.name;

-- name: office_name_taken(name)$
-- 1 when an office has this name, else nothing.
SELECT 1 FROM office WHERE name = :name;

-- name: create_office(name, region)$
-- A new regional office; its id.
INSERT INTO office (name, region, created_at) VALUES (:name, :region, now()) RETURNING id;

-- name: active_account_id_by_email(email)$
-- The id of the active account with this address.
SELECT id FROM account WHERE email = :email AND is_active;

-- name: add_office_staff(office_id, account_id)!
-- Make an account staff of an office (nothing when it is already); the status says whether a row was added.
INSERT INTO office_staff (office, account) VALUES (:office_id, :account_id) ON CONFLICT DO NOTHING;

-- name: remove_office_staff(office_id, account_id)!
-- An account is no longer staff of an office; the status says whether it was.
DELETE FROM office_staff WHERE office = :office_id AND account = :account_id;

-- ------------------------------------------------------------------------- people and organizations

-- name: organizations(country, q, row_limit)
-- Organizations by name, optionally of one country and containing q (folded by domain.text.fold, LIKE-escaped) with accents and case ignored; names starting with it first.
SELECT id, name, kind, country, membership_status FROM organization
WHERE (:country::text IS NULL OR country = upper(:country))
  AND (:q::text IS NULL OR lower(regexp_replace(normalize(name, NFD), '[\u0300-\u036f]', '', 'g')) LIKE '%' || :q || '%')
ORDER BY (:q::text IS NOT NULL
          AND lower(regexp_replace(normalize(name, NFD), '[\u0300-\u036f]', '', 'g')) LIKE :q || '%') DESC, name
LIMIT :row_limit;

-- name: organizations_by_ids(organization_ids)
-- The organizations with these ids, by name.
SELECT id, name, kind, country, membership_status FROM organization WHERE id = ANY(:organization_ids::int[]) ORDER BY name;

-- name: people_matching(q, row_limit)
-- People (not erased) whose name or address contains q (folded by domain.text.fold, LIKE-escaped), accents and case ignored; names starting with it first. Who may see them is decided after (visible_people).
SELECT p.id, p.name, coalesce(o.name, '') AS organization FROM person p
LEFT JOIN organization o ON o.id = p.organization
WHERE p.erased_at IS NULL
  AND (lower(regexp_replace(normalize(p.name, NFD), '[\u0300-\u036f]', '', 'g')) LIKE '%' || :q || '%'
       OR p.email LIKE '%' || :q || '%')
ORDER BY (lower(regexp_replace(normalize(p.name, NFD), '[\u0300-\u036f]', '', 'g')) LIKE :q || '%') DESC, p.name, p.id
LIMIT :row_limit;

-- name: existing_people(person_ids)
-- The ids among person_ids of people that exist.
SELECT id FROM person WHERE id = ANY(:person_ids::int[]);

-- name: connections_of(person_ids, account_id)
-- Every connection of the given people to events and projects, each with whether the account manages it
-- (organizer of the event or staff of its office; coordinator of the project): what domain.access.may_see_person
-- decides on.
WITH link (person, kind, event, project) AS (
    -- a registration created the person when both rows were written in one transaction (now() is the same)
    SELECT r.person, CASE WHEN p.created_at = r.created_at THEN 'registration' ELSE 'registration_by_email' END,
           r.event, NULL::int
    FROM registration r JOIN person p ON p.id = r.person WHERE r.person = ANY(:person_ids::int[])
    UNION ALL
    SELECT sp.person, CASE WHEN sp.display_name IS NULL THEN 'session_role' ELSE 'session_role_by_email' END,
           s.event, NULL FROM agenda_session_person sp
    JOIN agenda_session s ON s.id = sp.session WHERE sp.person = ANY(:person_ids::int[])
    UNION ALL
    SELECT d.head_person, 'delegation_head', d.event, NULL FROM delegation d WHERE d.head_person = ANY(:person_ids::int[])
    UNION ALL
    SELECT p.id, 'invitation', i.event, NULL FROM person p JOIN invitation i ON i.email = p.email
    WHERE p.id = ANY(:person_ids::int[])
    UNION ALL
    -- a contact or an invitation (a contact's, a delegate's) likewise created the person only in one transaction
    SELECT c.person, CASE WHEN p.created_at = c.joined_at THEN 'project_contact' ELSE 'project_contact_by_email' END,
           NULL, c.project
    FROM project_contact c JOIN person p ON p.id = c.person WHERE c.person = ANY(:person_ids::int[])
    UNION ALL
    SELECT mi.person, CASE WHEN p.created_at = mi.invited_at THEN 'meeting_invitee' ELSE 'meeting_invitee_by_email' END,
           NULL, ms.project
    FROM meeting_invitee mi JOIN person p ON p.id = mi.person
    JOIN meeting_series ms ON ms.id = mi.series WHERE mi.person = ANY(:person_ids::int[]))
SELECT DISTINCT l.person, l.kind,
       CASE WHEN l.event IS NOT NULL THEN
                EXISTS (SELECT 1 FROM event_organizer o WHERE o.event = l.event AND o.account = :account_id)
                OR EXISTS (SELECT 1 FROM event e JOIN office_staff s ON s.office = e.office
                           WHERE e.id = l.event AND s.account = :account_id)
            ELSE EXISTS (SELECT 1 FROM project_coordinator c WHERE c.project = l.project AND c.account = :account_id)
       END AS managed
FROM link l;

-- name: link_or_create_person(email, name, organization_id, language, timezone)$
-- The person upsert: the id of the person with this address, inserted with the given name, organization,
-- language and time zone when there is none; an existing person is never changed. Nothing comes back when a
-- concurrent insert of the same address committed after this statement's snapshot: the caller asks again.
WITH created AS (
        INSERT INTO person (email, name, organization, language, timezone, created_at)
        VALUES (:email, :name, :organization_id, :language, :timezone, now())
        ON CONFLICT (email) DO NOTHING RETURNING id, email),
    who AS (SELECT id, email FROM created
            UNION ALL SELECT id, email FROM person WHERE email = :email AND NOT EXISTS (SELECT 1 FROM created))
SELECT id FROM who;

-- name: link_or_create_people(emails, names, organization_ids)
-- The person upsert for a batch (language en, no time zone): every address's person (id, email), inserted when
-- missing, existing people unchanged; an address inserted concurrently is missing from the answer (ask again).
WITH created AS (
    INSERT INTO person (email, name, organization, language, timezone, created_at)
    SELECT e, n, o, 'en', NULL, now() FROM unnest(:emails::text[], :names::text[], :organization_ids::int[]) AS x(e, n, o)
    ON CONFLICT (email) DO NOTHING RETURNING id, email)
SELECT id, email FROM created
UNION ALL SELECT id, email FROM person WHERE email = ANY(:emails::text[])
                                       AND email NOT IN (SELECT email FROM created);

-- name: organization_domains(organization_id)^
-- An organization and its registered email domains, sorted.
SELECT o.id, o.name, coalesce(array_agg(d.domain ORDER BY d.domain) FILTER (WHERE d.domain IS NOT NULL),
                              '{}') AS domains
FROM organization o LEFT JOIN organization_domain d ON d.organization = o.id WHERE o.id = :organization_id
GROUP BY o.id;

-- name: lock_organization(organization_id)$
-- Lock an organization's row while its domains are replaced; 1 when it exists.
SELECT 1 FROM organization WHERE id = :organization_id FOR NO KEY UPDATE;

-- name: domains_taken_elsewhere(domains, organization_id)
-- Which of the domains are registered for another organization (and its name).
SELECT d.domain, o.name FROM organization_domain d JOIN organization o ON o.id = d.organization
WHERE d.domain = ANY(:domains::text[]) AND d.organization <> :organization_id ORDER BY d.domain;

-- name: delete_organization_domains(organization_id)!
-- Remove every registered email domain of an organization.
DELETE FROM organization_domain WHERE organization = :organization_id;

-- name: insert_organization_domains(organization_id, domains)!
-- Register email domains for an organization.
INSERT INTO organization_domain (organization, domain, created_at)
SELECT :organization_id, d, now() FROM unnest(:domains::text[]) AS x(d);
