"""Personal data on request and on schedule: export (access, portability), erasure, and retention.

Erasure anonymizes instead of deleting, so every count (registrations per category, organization, country) stays
right: the person keeps their organization and language, loses name, email, time zone, answers and links.
Registrations of events that ended more than RETENTION_DAYS ago are detached from their person the same way.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from datetime import datetime, timedelta, timezone

from events_app.db import sql
from events_app.db.engine import DB
from events_app.domain.errors import NotFound
from events_app.domain.registration import ACTIVE
from events_app.domain.security import digest, new_nonce
from events_app.jobs import kick_outbox
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_admin
from events_app.services.registration import seats
from events_app.services.registration.registrations import normalize_email
from events_app.settings import get_settings

log = logging.getLogger(__name__)
ERASED_DOMAIN = "erased.invalid"  # RFC 2606: can never be a real mailbox
ERASED_NAME = "Erased person"


def _anonymous_email() -> str:
    return f"anon-{secrets.token_hex(12)}@{ERASED_DOMAIN}"


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


async def find_person(account: CurrentAccount, email: str) -> dict:
    require_admin(account)
    row = await sql.fetchrow("SELECT id, email, name, erased_at FROM person WHERE email = $1", normalize_email(email))
    if row is None:
        raise NotFound("person")
    return dict(row)


async def export(person_id: int) -> dict:
    """Everything stored about one person, as JSON-ready data."""
    person = await sql.fetchrow(
        """SELECT p.id, p.email, p.name, p.language, p.timezone, p.announcements_opt_out, p.created_at, p.erased_at,
                  o.id AS organization_id, o.name AS organization_name, o.country AS organization_country
           FROM person p LEFT JOIN organization o ON o.id = p.organization WHERE p.id = $1""",
        person_id,
    )
    if person is None:
        raise NotFound("person")
    registrations = await sql.fetch(
        """SELECT r.id, r.event AS event_id, e.title AS event_title, e.starts_at AS event_starts_at,
                  c.code AS category, r.status, r.answers, r.registered_name, r.registered_organization,
                  r.registered_language, r.registered_timezone, r.consent_version, r.consent_at, r.created_at,
                  r.updated_at, r.cancelled_at, r.cancel_reason, r.delegation AS delegation_id
           FROM registration r JOIN event e ON e.id = r.event JOIN registration_category c ON c.id = r.category
           WHERE r.person = $1 ORDER BY r.id""",
        person_id,
    )
    messages = await sql.fetch(
        """SELECT m.id, m.kind, m.event AS event_id, m.recipient, m.status, m.calendar_method, m.created_at,
                  m.sent_at,
                  m.last_error
           FROM outbox_message m
           WHERE m.recipient = $2 OR m.registration IN (SELECT id FROM registration WHERE person = $1)
           ORDER BY m.id""",
        person_id,
        person["email"],
    )
    invitations = await sql.fetch(
        "SELECT id, event AS event_id, email, name, expires_at, used_at, created_at"
        " FROM invitation WHERE email = $1 ORDER BY id",
        person["email"],
    )
    delegations = await sql.fetch(
        "SELECT id, event AS event_id, organization AS organization_id, seat_quota"
        " FROM delegation WHERE head_person = $1 ORDER BY id",
        person_id,
    )
    projects = await sql.fetch(
        """SELECT c.project AS project_id, p.title, c.organization AS organization_id, c.joined_at, c.left_at
           FROM project_contact c JOIN pilot_project p ON p.id = c.project WHERE c.person = $1 ORDER BY c.id""",
        person_id,
    )
    meetings = await sql.fetch(
        """SELECT i.series AS series_id, s.title, i.invited_at, i.withdrawn_at FROM meeting_invitee i
           JOIN meeting_series s ON s.id = i.series WHERE i.person = $1 ORDER BY i.id""",
        person_id,
    )
    rsvps = await sql.fetch(
        "SELECT series AS series_id, recurrence_id, partstat, source, answered_at"
        " FROM meeting_rsvp WHERE person = $1 ORDER BY id",
        person_id,
    )
    attendance = await sql.fetch(
        "SELECT series AS series_id, recurrence_id FROM meeting_attendance WHERE person = $1 ORDER BY recurrence_id",
        person_id,
    )
    bookings = await sql.fetch(
        """SELECT b.registration AS registration_id, s.event AS event_id, b.session AS session_id, s.title,
                  s.starts_at, b.status, b.created_at, b.updated_at
           FROM agenda_booking b JOIN registration r ON r.id = b.registration JOIN agenda_session s ON s.id = b.session
           WHERE r.person = $1 ORDER BY b.id""",
        person_id,
    )
    roles = await sql.fetch(
        """SELECT s.event AS event_id, sp.session AS session_id, s.title, s.starts_at, sp.role
           FROM agenda_session_person sp JOIN agenda_session s ON s.id = sp.session
           WHERE sp.person = $1 ORDER BY sp.id""",
        person_id,
    )
    actions = await sql.fetch(
        "SELECT id, series AS series_id, raised_at, title, due_date, done_at, created_at"
        " FROM meeting_action WHERE owner = $1 ORDER BY id",
        person_id,
    )
    replies = await sql.fetch(
        """SELECT received_at, sender, calendar_uid, attendee, recurrence_id, partstat, outcome, reason
           FROM meeting_inbound_reply WHERE lower(sender) = $1 OR attendee ILIKE '%' || $1 ORDER BY id""",
        person["email"],
    )
    audit_entries = await sql.fetch(
        """SELECT at, action, subject_type, subject_id, event, project, before, after FROM audit_log
           WHERE (subject_type = 'person' AND subject_id = $1::text)
              OR strpos(before::text, $2) > 0 OR strpos(after::text, $2) > 0 ORDER BY id""",
        str(person_id),
        person["email"],
    )
    agenda_changes = await sql.fetch(
        """SELECT event AS event_id, session AS session_id, action, changes, created_at FROM agenda_change
           WHERE changes @? $1::jsonpath ORDER BY id""",
        f"$.** ? (@.person_id == {int(person_id)})",
    )
    return {
        "exported_at": datetime.now(timezone.utc),
        "privacy_policy_version": get_settings().privacy_policy_version,
        "person": dict(person),
        "registrations": [dict(r) | {"answers": _json(r["answers"])} for r in registrations],
        "session_bookings": [dict(b) for b in bookings],
        "session_roles": [dict(r) for r in roles],
        "messages": [dict(m) for m in messages],
        "invitations": [dict(i) for i in invitations],
        "delegations_headed": [dict(d) for d in delegations],
        "project_contacts": [dict(p) for p in projects],
        "meeting_invitations": [dict(m) for m in meetings],
        "meeting_answers": [dict(r) for r in rsvps],
        "meeting_attendance": [dict(a) for a in attendance],
        "meeting_actions": [dict(a) for a in actions],
        "inbound_replies": [dict(r) for r in replies],
        "audit_entries": [dict(a) | {"before": _json(a["before"]), "after": _json(a["after"])} for a in audit_entries],
        "agenda_changes": [dict(c) | {"changes": _json(c["changes"])} for c in agenda_changes],
    }


async def _scrub_messages(registration_ids: list[int], email: str, replacement: str) -> None:
    """Unsent mail to the person is dropped; the delivery log of sent mail keeps its rows without the address."""
    await sql.execute(
        "DELETE FROM outbox_message WHERE status = 'pending' AND (registration = ANY($1::int[]) OR recipient = $2)",
        registration_ids,
        email,
    )
    await sql.execute(
        "UPDATE outbox_message SET recipient = $3, payload = '{}'::jsonb, last_error = ''"
        " WHERE registration = ANY($1::int[]) OR recipient = $2",
        registration_ids,
        email,
        replacement,
    )


async def _detach(registration_ids: list[int], now: datetime) -> None:
    """Answers and the name typed at registration cleared, and every link made dead: the manage link (a fresh random
    hash nobody holds the token for), the view and feed links (new nonces, no digest until a link is built again).
    The registration's organization and language stay, for the counts."""
    for reg_id in registration_ids:
        await sql.execute(
            "UPDATE registration SET answers = '{}'::jsonb, token_nonce = $2, token_hash = $3, anonymized_at = $4,"
            " registered_name = $5, registered_timezone = NULL,"
            " view_nonce = $6, view_hash = NULL, feed_nonce = $7, feed_hash = NULL,"
            " updated_at = $4 WHERE id = $1",
            reg_id,
            new_nonce(),
            digest(secrets.token_urlsafe(32)),
            now,
            ERASED_NAME,
            new_nonce(),
            new_nonce(),
        )


# Where copies of a person's name or address live besides the rows that point at them: logs and texts written
# when something happened to them. Erasure rewrites each (the address everywhere; the name as a whole JSON value
# or a whole word), so the logs keep what happened and lose whom it happened to. The test that erases a person and
# then searches every text, JSON and bytea column of every table fails when a new place is not listed here.
JSON_COPIES = (
    ("audit_log", "before"),
    ("audit_log", "after"),
    ("agenda_change", "changes"),
    ("calendar_update", "changes"),
    ("outbox_message", "payload"),
)
TEXT_COPIES = (
    ("outbox_message", "last_error"),
    ("meeting_inbound_reply", "sender"),
    ("meeting_inbound_reply", "attendee"),
    ("meeting_inbound_reply", "reason"),
    ("meeting_occurrence", "minutes"),
    ("meeting_agenda_item", "presenter"),
    ("meeting_action", "title"),
    ("audit_log", "subject_id"),
)


def _json_string(value: str) -> str:
    """How `value` appears inside jsonb's text form (escaped, non-ASCII as is)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _literal(text: str) -> str:
    """A PostgreSQL regular expression (ARE) matching `text` literally."""
    return re.sub(r"([^\w\s])", r"\\\1", text)


def _word_pattern(text: str) -> str:
    """`text` as whole words: no match inside a longer word (a short name never eats part of another)."""
    return (r"\m" if re.match(r"\w", text) else "") + _literal(text) + (r"\M" if re.search(r"\w$", text) else "")


NEVER = "never-" + secrets.token_hex(16)  # matches no stored text: stands in for a name too short to search for


async def _scrub_copies(email: str, name: str, replacement: str) -> None:
    """Rewrite the person's address and name (case-insensitively) wherever the system copied them into a log or a
    text, where it stands as whole words."""
    email_re = _literal(email)
    searchable = len(name.strip()) >= 3
    # In JSON: the name as a whole value, or as whole words inside a text value when it is a full name (a single
    # word could also be a key: "Name" must not rewrite every "name" key).
    json_name = (
        (_word_pattern(_json_string(name)) if " " in name.strip() else '"' + _literal(_json_string(name)) + '"')
        if searchable
        else NEVER
    )
    text_name = _word_pattern(name) if searchable else NEVER
    for table, column in JSON_COPIES:
        # Table and column names come from the constants above, never from input.
        await sql.execute(
            f"UPDATE {table} SET {column} = regexp_replace(regexp_replace({column}::text, $1, $2, 'gi'),"
            f" $3, $4, 'gi')::jsonb WHERE {column}::text ~* $1 OR {column}::text ~* $3",
            email_re,
            _json_string(replacement),
            json_name,
            ERASED_NAME if " " in name.strip() else f'"{ERASED_NAME}"',
        )
    for table, column in TEXT_COPIES:
        await sql.execute(
            f"UPDATE {table} SET {column} = regexp_replace(regexp_replace({column}, $1, $2, 'gi'), $3, $4, 'gi')"
            f" WHERE {column} ~* $1 OR {column} ~* $3",
            email_re,
            replacement,
            text_name,
            ERASED_NAME,
        )


async def erase(person_id: int, account: CurrentAccount | None = None, now: datetime | None = None) -> dict:
    """Anonymize a person everywhere. Their active registrations of events still ahead are cancelled first (the
    seat goes to the next in line); past ones stay as they were, for the counts. Idempotent."""
    now = now or datetime.now(timezone.utc)
    async with DB.transaction():
        person = await sql.fetchrow("SELECT id, email, name, erased_at FROM person WHERE id = $1 FOR UPDATE", person_id)
        if person is None:
            raise NotFound("person")
        if person["erased_at"] is not None:
            return {"person_id": person_id, "status": "erased", "erased_at": person["erased_at"]}
        upcoming = await sql.fetch(
            "SELECT r.id, r.event FROM registration r JOIN event e ON e.id = r.event WHERE r.person = $1"
            " AND r.status = ANY($2::text[]) AND e.ends_at > $3 ORDER BY r.event",
            person_id,
            list(ACTIVE),
            now,
        )
        for reg in upcoming:
            event = await seats.lock_event(reg["event"])
            await seats.cancel(reg["id"], event, "erased")
        registrations = await sql.fetch("SELECT id, registered_name FROM registration WHERE person = $1", person_id)
        registration_ids = [r["id"] for r in registrations]
        # Every name this person went by: the profile's, and those typed at registration or for a session role.
        names = (
            {person["name"]}
            | {r["registered_name"] for r in registrations if r["registered_name"]}
            | {
                r["display_name"]
                for r in await sql.fetch(
                    "SELECT display_name FROM agenda_session_person WHERE person = $1 AND display_name IS NOT NULL",
                    person_id,
                )
            }
        )
        replacement = _anonymous_email()
        await _detach(registration_ids, now)
        await _scrub_messages(registration_ids, person["email"], replacement)
        await sql.execute("UPDATE invitation SET email = $2, name = '' WHERE email = $1", person["email"], replacement)
        await sql.execute(
            "UPDATE project_contact SET left_at = $2 WHERE person = $1 AND left_at IS NULL", person_id, now
        )
        await sql.execute(
            "UPDATE meeting_invitee SET withdrawn_at = coalesce(withdrawn_at, $2), token_nonce = $3,"
            " token_hash = md5(random()::text || id::text) || md5(id::text || random()::text),"
            " reply_nonce = $4, reply_hash = NULL WHERE person = $1",
            person_id,
            now,
            new_nonce(),
            new_nonce(),
        )
        await sql.execute("DELETE FROM person_calendar WHERE person = $1", person_id)
        # The name an organizer typed for a session role is theirs too: the agenda shows the erased name instead.
        await sql.execute("UPDATE agenda_session_person SET display_name = NULL WHERE person = $1", person_id)
        # Logs and texts (audit trail, agenda change log, outbox, inbound replies, meeting records) keep what was
        # done, not to whom.
        for name in sorted(names, key=len, reverse=True):  # a longer name first: it may contain a shorter one
            await _scrub_copies(person["email"], name, replacement)
        await sql.execute(
            "UPDATE person SET email = $2, name = $3, timezone = NULL, announcements_opt_out = true,"
            " erased_at = $4 WHERE id = $1",
            person_id,
            replacement,
            ERASED_NAME,
            now,
        )
        await audit.record(
            account,
            "person.erase",
            "person",
            person_id,
            None,
            {
                "registrations": len(registration_ids),
                "cancelled": len(upcoming),
                "by": "administrator" if account else "the person",
            },
        )
    await kick_outbox()
    return {"person_id": person_id, "status": "erased", "erased_at": now}


async def export_for_admin(account: CurrentAccount, person_id: int) -> dict:
    require_admin(account)
    return await export(person_id)


async def erase_for_admin(account: CurrentAccount, person_id: int) -> dict:
    require_admin(account)
    return await erase(person_id, account)


# --------------------------------------------------------------------------- retention


async def apply_retention(now: datetime | None = None, batch: int = 500) -> int:
    """Beat task: registrations of events that ended more than RETENTION_DAYS ago are moved to an anonymous copy
    of their person (same organization and language, so the counts hold), their answers and links cleared. People
    left with nothing else are anonymized. Returns how many registrations were anonymized; idempotent."""
    days = get_settings().retention_days
    if days <= 0:
        return 0
    now = now or datetime.now(timezone.utc)
    cutoff = now - timedelta(days=days)
    done = 0
    while True:
        async with DB.transaction():
            rows = await sql.fetch(
                """SELECT r.id, r.event, r.person, p.email, p.organization, p.language FROM registration r
                   JOIN event e ON e.id = r.event JOIN person p ON p.id = r.person
                   WHERE e.ends_at < $1 AND r.anonymized_at IS NULL ORDER BY r.id LIMIT $2
                   FOR UPDATE OF r SKIP LOCKED""",
                cutoff,
                batch,
            )
            for r in rows:
                replacement = _anonymous_email()
                # Not a person upsert (services.people.people's merge policy): a new anonymous row with an address no
                # one has, so the kept registration points at no one; always inserted, never matched by email.
                anon = await sql.fetchval(
                    "INSERT INTO person (email, name, organization, language, announcements_opt_out, erased_at,"
                    " created_at) VALUES ($1, $2, $3, $4, true, $5, $5) RETURNING id",
                    replacement,
                    ERASED_NAME,
                    r["organization"],
                    r["language"],
                    now,
                )
                await sql.execute("UPDATE registration SET person = $2 WHERE id = $1", r["id"], anon)
                await sql.execute(
                    "UPDATE delegation SET head_person = $3 WHERE event = $1 AND head_person = $2",
                    r["event"],
                    r["person"],
                    anon,
                )
                await sql.execute("DELETE FROM outbox_message WHERE status = 'pending' AND registration = $1", r["id"])
                await sql.execute(
                    "UPDATE outbox_message SET recipient = $2, payload = '{}'::jsonb, last_error = ''"
                    " WHERE registration = $1",
                    r["id"],
                    replacement,
                )
            await _detach([r["id"] for r in rows], now)
            done += len(rows)
        if len(rows) < batch:
            break
    # People who only ever registered (or spoke) at events past retention, and are in no project, keep nothing
    # either: erase() reaches every copy of them, as it does for a request.
    leftovers = await sql.fetch(
        """SELECT p.id FROM person p WHERE p.erased_at IS NULL AND p.created_at < $1
           AND NOT EXISTS (SELECT 1 FROM registration r WHERE r.person = p.id)
           AND NOT EXISTS (SELECT 1 FROM project_contact c WHERE c.person = p.id)
           AND NOT EXISTS (SELECT 1 FROM meeting_invitee i WHERE i.person = p.id)
           AND NOT EXISTS (SELECT 1 FROM delegation d WHERE d.head_person = p.id)
           AND NOT EXISTS (SELECT 1 FROM agenda_session_person sp JOIN agenda_session s ON s.id = sp.session
                           JOIN event e ON e.id = s.event WHERE sp.person = p.id AND e.ends_at >= $1)""",
        cutoff,
    )
    for p in leftovers:
        await erase(p["id"], None, now)
    if done:
        log.info("retention: %d registrations of events ended before %s anonymized", done, cutoff.date())
    return done
