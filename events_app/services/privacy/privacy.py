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

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.errors import NotFound
from events_app.domain.registration import ACTIVE
from events_app.domain.security import digest, new_nonce
from events_app.jobs import kick_outbox
from events_app.services.onsite import checkin_codes
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_admin
from events_app.services.privacy.rows import PersonRow, RetentionRegistration
from events_app.services.registration import seats
from events_app.services.registration.registrations import normalize_email
from events_app.settings import get_settings

log = logging.getLogger(__name__)
Q = queries.load(__file__, rows=(PersonRow, RetentionRegistration))
ERASED_DOMAIN = "erased.invalid"  # RFC 2606: can never be a real mailbox
ERASED_NAME = "Erased person"


def _anonymous_email() -> str:
    return f"anon-{secrets.token_hex(12)}@{ERASED_DOMAIN}"


def _json(value):
    """A JSON column's value; text for a value the ORM wrote as JSON text."""
    return queries.json_value(value)


async def find_person(account: CurrentAccount, email: str) -> dict:
    require_admin(account)
    row = await Q.person_by_email(email=normalize_email(email))
    if row is None:
        raise NotFound("person")
    return dict(row)


async def export(person_id: int) -> dict:
    """Everything stored about one person, as JSON-ready data."""
    person = await Q.export_person(person_id=person_id)
    if person is None:
        raise NotFound("person")
    email = person["email"]
    registrations = await Q.export_registrations(person_id=person_id)
    messages = await Q.export_messages(person_id=person_id, email=email)
    invitations = await Q.export_invitations(email=email)
    delegations = await Q.export_delegations(person_id=person_id)
    projects = await Q.export_project_contacts(person_id=person_id)
    meetings = await Q.export_meeting_invitations(person_id=person_id)
    rsvps = await Q.export_meeting_answers(person_id=person_id)
    attendance = await Q.export_meeting_attendance(person_id=person_id)
    bookings = await Q.export_session_bookings(person_id=person_id)
    roles = await Q.export_session_roles(person_id=person_id)
    actions = await Q.export_meeting_actions(person_id=person_id)
    replies = await Q.export_inbound_replies(email=email)
    calendar_answers = await Q.export_calendar_answers(person_id=person_id)
    proposals = await Q.export_meeting_proposals(person_id=person_id)
    delegated = await Q.export_meeting_delegations(person_id=person_id, email=email)
    audit_entries = await Q.export_audit_entries(subject_id=str(person_id), email_pattern=address_pattern(email))
    agenda_changes = await Q.export_agenda_changes(person_path=f"$.** ? (@.person_id == {int(person_id)})")
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
        "calendar_answers": [dict(a) for a in calendar_answers],
        "meeting_proposals": [dict(p) for p in proposals],
        "meeting_delegations": [dict(d) for d in delegated],
        "audit_entries": [dict(a) | {"before": _json(a["before"]), "after": _json(a["after"])} for a in audit_entries],
        "agenda_changes": [dict(c) | {"changes": _json(c["changes"])} for c in agenda_changes],
    }


async def _scrub_messages(registration_ids: list[int], email: str, replacement: str) -> None:
    """Unsent mail to the person is dropped; the delivery log of sent mail keeps its rows without the address."""
    await Q.drop_pending_messages(registration_ids=registration_ids, email=email)
    await Q.scrub_sent_messages(registration_ids=registration_ids, email=email, replacement=replacement)


async def _detach(registration_ids: list[int], now: datetime) -> None:
    """Answers and the name typed at registration cleared, and every link made dead: the manage link (a fresh random
    hash nobody holds the token for), the view and feed links (new nonces, no digest until a link is built again).
    The registration's organization and language stay, for the counts."""
    for reg_id in registration_ids:
        await Q.detach_registration(
            registration_id=reg_id,
            token_nonce=new_nonce(),
            token_hash=digest(secrets.token_urlsafe(32)),
            now=now,
            erased_name=ERASED_NAME,
            view_nonce=new_nonce(),
            feed_nonce=new_nonce(),
        )


# Where copies of a person's name or address live besides the rows that point at them: logs and texts written
# when something happened to them. Erasure rewrites each (the address everywhere; the name as a whole JSON value
# or a whole word), so the logs keep what happened and lose whom it happened to. The test that erases a person and
# then searches every text, JSON and bytea column of every table fails when a new place is not listed here. Each
# place has its statement in queries.sql, named scrub_<table>_<column>.
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
    ("meeting_proposal", "comment"),
    ("meeting_delegation", "delegate_email"),
    ("meeting_delegation", "delegate_name"),
    ("audit_log", "subject_id"),
)


def _json_string(value: str) -> str:
    """How `value` appears inside jsonb's text form (escaped, non-ASCII as is)."""
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _literal(text: str) -> str:
    """A PostgreSQL regular expression (ARE) matching `text` literally."""
    return re.sub(r"([^\w\s])", r"\\\1", text)


def address_pattern(email: str) -> str:
    """The address as a whole address (ARE): not the end of a longer one (x.ana@ for ana@) nor the start of one
    (ana@example.co in ana@example.com); a full stop after it (the end of a sentence) is fine."""
    return r"(?<![[:alnum:]._%+-])" + _literal(email) + r"(?![[:alnum:]_-]|\.[[:alnum:]])"


def _word_pattern(text: str) -> str:
    """`text` as whole words: no match inside a longer word (a short name never eats part of another)."""
    return (r"\m" if re.match(r"\w", text) else "") + _literal(text) + (r"\M" if re.search(r"\w$", text) else "")


NEVER = "never-" + secrets.token_hex(16)  # matches no stored text: stands in for a name too short to search for


def _scrub_query(table: str, column: str) -> queries.Query:
    """The statement that rewrites one place a person's address and name are copied to."""
    return getattr(Q, f"scrub_{table}_{column}")


async def _scrub_copies(email: str, name: str, replacement: str, scope: dict[str, list[int]]) -> None:
    """Rewrite the person's address (a whole address, case-insensitively) wherever the system copied it into a
    log or a text, and their name where it stands as whole words in the rows of `scope` (the events, projects and
    series they took part in: person_scope) or in a row naming their address. Anyone may register under any name,
    so a name is never rewritten in other people's records."""
    email_re = address_pattern(email)
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
        query = _scrub_query(table, column)
        await query(
            email_pattern=email_re,
            email_replacement=_json_string(replacement),
            name_pattern=json_name,
            name_replacement=ERASED_NAME if " " in name.strip() else f'"{ERASED_NAME}"',
            **{k: v for k, v in scope.items() if k in query.parameters},
        )
    for table, column in TEXT_COPIES:
        query = _scrub_query(table, column)
        await query(
            email_pattern=email_re,
            email_replacement=replacement,
            name_pattern=text_name,
            name_replacement=ERASED_NAME,
            **{k: v for k, v in scope.items() if k in query.parameters},
        )


async def erase(person_id: int, account: CurrentAccount | None = None, now: datetime | None = None) -> dict:
    """Anonymize a person everywhere. Their active registrations of events still ahead are cancelled first (the
    seat goes to the next in line); past ones stay as they were, for the counts. Idempotent."""
    now = now or datetime.now(timezone.utc)
    async with DB.transaction():
        person = await Q.lock_person(person_id=person_id)
        if person is None:
            raise NotFound("person")
        if person.erased_at is not None:
            return {"person_id": person_id, "status": "erased", "erased_at": person.erased_at}
        upcoming = await Q.upcoming_active_registrations(person_id=person_id, statuses=list(ACTIVE), now=now)
        for reg in upcoming:
            event = await seats.lock_event(reg["event"])
            await seats.cancel(reg["id"], event, "erased")
        registrations = await Q.registrations_of_person(person_id=person_id)
        registration_ids = [r["id"] for r in registrations]
        # Every name this person went by: the profile's, and those typed at registration, for a session role, for
        # a project contact or in the reply that made them a delegate.
        names = (
            {person.name}
            | {r["registered_name"] for r in registrations if r["registered_name"]}
            | {r["display_name"] for r in await Q.session_role_names(person_id=person_id)}
            | {r["display_name"] for r in await Q.project_contact_names(person_id=person_id)}
            | {r["delegate_name"] for r in await Q.delegate_names(person_id=person_id)}
        )
        replacement = _anonymous_email()
        scope = dict(await Q.person_scope(person_id=person_id, email=person.email))  # before links are undone
        await _detach(registration_ids, now)
        await checkin_codes.revoke_for_erasure(registration_ids)
        await _scrub_messages(registration_ids, person.email, replacement)
        await Q.erase_invitations(email=person.email, replacement=replacement)
        await Q.end_project_contacts(person_id=person_id, now=now)
        await Q.withdraw_meeting_invitations(
            person_id=person_id, now=now, token_nonce=new_nonce(), reply_nonce=new_nonce()
        )
        await Q.delete_person_calendars(person_id=person_id)
        await Q.disarm_release_links(person_id=person_id)  # a decline's seat-release link no longer works
        # The names an organizer typed for a session role, or a coordinator for a project contact, are theirs too:
        # the agenda and the project show the erased name instead.
        await Q.clear_session_role_names(person_id=person_id)
        await Q.clear_project_contact_names(person_id=person_id)
        await Q.delete_schedule_source_people(person_id=person_id)
        # Logs and texts (audit trail, agenda change log, outbox, inbound replies, meeting records) keep what was
        # done, not to whom.
        for name in sorted(names, key=len, reverse=True):  # a longer name first: it may contain a shorter one
            await _scrub_copies(person.email, name, replacement, scope)
        await Q.anonymize_person(person_id=person_id, replacement=replacement, erased_name=ERASED_NAME, now=now)
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
            rows = await Q.retention_batch(cutoff=cutoff, batch_size=batch)
            for r in rows:
                replacement = _anonymous_email()
                # Not a person upsert (services.people.people's merge policy): a new anonymous row with an address no
                # one has, so the kept registration points at no one; always inserted, never matched by email.
                anon = await Q.insert_anonymous_person(
                    email=replacement, name=ERASED_NAME, organization_id=r.organization, language=r.language, now=now
                )
                await Q.move_registration_to_person(registration_id=r.id, person_id=anon)
                await Q.move_delegation_head(event_id=r.event, old_person_id=r.person, new_person_id=anon)
                await Q.drop_pending_registration_messages(registration_id=r.id)
                await Q.scrub_registration_messages(registration_id=r.id, replacement=replacement)
            await _detach([r.id for r in rows], now)
            done += len(rows)
        if len(rows) < batch:
            break
    # People who only ever registered (or spoke) at events past retention, and are in no project, keep nothing
    # either: erase() reaches every copy of them, as it does for a request.
    leftovers = await Q.retention_leftover_people(cutoff=cutoff)
    for p in leftovers:
        await erase(p["id"], None, now)
    if done:
        log.info("retention: %d registrations of events ended before %s anonymized", done, cutoff.date())
    return done
