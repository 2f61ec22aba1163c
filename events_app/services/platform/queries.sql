-- Platform: the outbox, readiness, and the SQL home of calendar SEQUENCE growth (domain.sequence).
-- SEQUENCE growth is written `calendar_sequence = calendar_sequence + 1` (calendar_sequence.GROW) wherever a
-- statement applies it; tests/unit/db/test_shared_sql_rules.py fails on any other form.

-- name: bump_event_sequence(event_id)$
-- Grow an event's calendar SEQUENCE by one step; the new SEQUENCE.
UPDATE event SET calendar_sequence = calendar_sequence + 1, updated_at = now() WHERE id = :event_id
RETURNING calendar_sequence;

-- name: bump_session_sequence(session_id)^
-- Grow an agenda session's calendar SEQUENCE by one step; the new SEQUENCE and the session's event.
UPDATE agenda_session SET calendar_sequence = calendar_sequence + 1, updated_at = clock_timestamp()
WHERE id = :session_id RETURNING calendar_sequence, event;

-- name: bump_sessions_sequence(session_ids)
-- Grow the calendar SEQUENCE of many agenda sessions by one step in one statement; each one's id and new SEQUENCE.
UPDATE agenda_session SET calendar_sequence = calendar_sequence + 1, updated_at = clock_timestamp()
WHERE id = ANY(:session_ids::int[]) RETURNING id, calendar_sequence;

-- name: bump_series_sequence(series_id)$
-- Grow a meeting series' calendar SEQUENCE by one step (and the feed's DTSTAMP through updated_at).
UPDATE meeting_series SET calendar_sequence = calendar_sequence + 1, updated_at = now() WHERE id = :series_id
RETURNING calendar_sequence;

-- name: enqueue_message(kind, event_id, registration_id, recipient, language, payload, calendar_method, calendar_sequence, dedupe_key)$
-- Write one pending message; with a dedupe key at most once (no id comes back when it exists already).
INSERT INTO outbox_message (kind, event, registration, recipient, language, payload, calendar_method, calendar_sequence, status,
              attempts, next_attempt_at, last_error, message_id, dedupe_key, created_at)
VALUES (:kind, :event_id, :registration_id, :recipient, :language, :payload::jsonb, :calendar_method,
        :calendar_sequence, 'pending', 0, now(), '', '', :dedupe_key, now())
ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING RETURNING id;

-- name: enqueue_messages(messages)$
-- Write many pending messages in one statement: `messages` is a JSON array (as text, encoded by the caller) of
-- enqueue_message's fields plus `n`, the order to write them in (ids, and so sending, follow it). With a dedupe key
-- each is written at most once. The number written.
WITH written AS (
    INSERT INTO outbox_message (kind, event, registration, recipient, language, payload, calendar_method, calendar_sequence, status,
                  attempts, next_attempt_at, last_error, message_id, dedupe_key, created_at)
    SELECT m.kind, m.event_id, m.registration_id, m.recipient, m.language, m.payload, m.calendar_method,
           m.calendar_sequence, 'pending', 0, now(), '', '', m.dedupe_key, now()
    FROM jsonb_to_recordset(:messages::text::jsonb) AS m(n int, kind text, event_id int, registration_id int, recipient text,
                                                  language text, payload jsonb, calendar_method text,
                                                  calendar_sequence int, dedupe_key text)
    ORDER BY m.n
    ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING RETURNING id)
SELECT count(*)::int FROM written;

-- name: claim_due_messages(batch_size, lease)
-- Lease up to batch_size due messages (pending, or sending with an expired lease) to this worker, skipping rows
-- another worker is claiming; each claim counts one more attempt.
UPDATE outbox_message AS o SET status = 'sending', lease_until = now() + :lease::interval,
       attempts = o.attempts + 1
WHERE o.id IN (SELECT id FROM outbox_message
               WHERE (status = 'pending' AND next_attempt_at <= now())
                  OR (status = 'sending' AND lease_until < now())
               ORDER BY id LIMIT :batch_size FOR UPDATE SKIP LOCKED)
RETURNING o.*;

-- name: renew_leases(ids, attempts, lease)
-- Extend the lease on the claimed rows still held (sending, with the attempt number our claim gave them).
UPDATE outbox_message AS o SET lease_until = now() + :lease::interval
FROM unnest(:ids::int[], :attempts::int[]) AS held(id, attempts)
WHERE o.id = held.id AND o.attempts = held.attempts AND o.status = 'sending'
RETURNING o.id;

-- name: release_leases(ids, attempts)!
-- Give back claimed rows this worker did not send: pending and due at once, the attempt not counted; only rows
-- still held (sending, with the attempt number our claim gave them) are touched.
UPDATE outbox_message AS o SET status = 'pending', lease_until = NULL, attempts = o.attempts - 1,
       next_attempt_at = now()
FROM unnest(:ids::int[], :attempts::int[]) AS held(id, attempts)
WHERE o.id = held.id AND o.attempts = held.attempts AND o.status = 'sending';

-- name: mark_message_sent(message_id, header_id)!
-- A message went out: sent, its lease released, its Message-ID kept.
UPDATE outbox_message SET status = 'sent', sent_at = now(), lease_until = NULL, message_id = :header_id,
       last_error = ''
WHERE id = :message_id;

-- name: mark_message_retry(message_id, next_attempt_at, error)!
-- A temporary failure: pending again from next_attempt_at, with the error kept.
UPDATE outbox_message SET status = 'pending', lease_until = NULL, next_attempt_at = :next_attempt_at,
       last_error = :error
WHERE id = :message_id;

-- name: mark_message_failed(message_id, error)!
-- A permanent failure: failed, with the error kept.
UPDATE outbox_message SET status = 'failed', lease_until = NULL, last_error = :error WHERE id = :message_id;

-- name: queued_within_an_hour(kind, payload)$
-- Whether a message of this kind whose payload holds these values was queued (and not given up on) in the last hour.
SELECT EXISTS(SELECT 1 FROM outbox_message WHERE kind = :kind AND status <> 'failed'
              AND created_at > now() - interval '1 hour' AND payload @> :payload::jsonb);

-- name: due_message_count()$
-- How many messages are due now (pending and due, or sending with an expired lease).
SELECT count(*) FROM outbox_message
WHERE (status = 'pending' AND next_attempt_at <= now()) OR (status = 'sending' AND lease_until < now());

-- name: database_answers()$
-- Readiness: the database answers a trivial statement.
SELECT 1;
