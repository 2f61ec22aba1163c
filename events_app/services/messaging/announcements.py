"""Announcements: an organizer writes to an audience, previews the rendered email, and sends.

Sending writes one outbox row per recipient in a single INSERT ... SELECT (5,000 recipients take a fraction of a
second), de-duplicated per announcement and person; workers deliver them like every other message. People who
unsubscribed from announcements are left out; every announcement carries List-Unsubscribe.
"""

from __future__ import annotations

import hmac
import json
from typing import Any

from events_app.db import sql
from events_app.db.engine import DB
from events_app.domain.errors import Conflict, FieldError, NotFound, require
from events_app.domain.security import UNSUBSCRIBE_PURPOSE, purpose_mac
from events_app.domain.text import clean_fields
from events_app.jobs import kick_outbox
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.settings import get_settings

AUDIENCES = ("confirmed", "category", "delegation", "waitlist", "session")

# Each audience is a WHERE clause over registration r joined to person p; $1 is the event, $2 the audience value.
_AUDIENCE_SQL = {
    "confirmed": "r.status = 'confirmed'",
    "category": "r.status = 'confirmed' AND r.category = (SELECT id FROM registration_category"
    " WHERE event = $1 AND code = $2)",
    "delegation": "r.status = ANY(ARRAY['confirmed', 'pending', 'waitlisted', 'offered'])"
    " AND r.delegation = $2::text::int",
    "waitlist": "r.status IN ('waitlisted', 'offered')",
    "session": "r.status = 'confirmed' AND r.id IN (SELECT registration FROM agenda_booking"
    " WHERE session = $2::text::int AND status = 'booked')",
}


def _audience_clause(audience: dict[str, Any]) -> tuple[str, str | None]:
    kind = audience.get("kind")
    if kind not in AUDIENCES:
        require([FieldError("audience.kind", f"must be one of {', '.join(AUDIENCES)}")])
    value = audience.get("value")
    if kind in ("category", "delegation", "session") and not value:
        require([FieldError("audience.value", f"name the {kind} (its code or id)")])
    if kind in ("delegation", "session") and not str(value).isdigit():
        require([FieldError("audience.value", f"give the {kind}'s numeric id")])
    return _AUDIENCE_SQL[kind], None if value is None else str(value)


def unsubscribe_token(person_id: int) -> str:
    mac = purpose_mac(get_settings().secret_key, UNSUBSCRIBE_PURPOSE, str(person_id))
    return f"{person_id}.{mac.hex()[:32]}"


async def unsubscribe(token: str) -> None:
    person_id, _, _ = token.partition(".")
    if not person_id.isdigit() or not hmac.compare_digest(unsubscribe_token(int(person_id)), token):
        raise NotFound("subscription")
    await sql.execute("UPDATE person SET announcements_opt_out = true WHERE id = $1", int(person_id))


async def _recipients_query(event_id: int, audience: dict[str, Any]) -> tuple[str, list]:
    clause, value = _audience_clause(audience)
    if audience["kind"] == "session" and not await sql.fetchval(
        "SELECT 1 FROM agenda_session WHERE id = $1 AND event = $2", int(audience["value"]), event_id
    ):
        require([FieldError("audience.value", "no session with this id in this event")])
    query = (
        " FROM registration r JOIN person p ON p.id = r.person WHERE r.event = $1 AND NOT"
        f" p.announcements_opt_out AND {clause}"
    )
    return query, [event_id] + ([value] if "$2" in clause else [])


async def create(account: CurrentAccount, event_id: int, data: dict[str, Any]) -> dict:
    await require_organizer(account, event_id)
    data = clean_fields(data, ("subject",), ("body",))
    query, args = await _recipients_query(event_id, data["audience"])
    count = await sql.fetchval("SELECT count(*)" + query, *args)
    async with DB.transaction():
        announcement_id = await sql.fetchval(
            "INSERT INTO announcement (event, subject, body, audience, status, recipients, created_by, created_at)"
            " VALUES ($1, $2, $3, $4::jsonb, 'draft', $5, $6, now()) RETURNING id",
            event_id,
            data["subject"].strip(),
            data["body"],
            data["audience"],
            count,
            account.id,
        )
        await audit.record(
            account,
            "announcement.create",
            "announcement",
            announcement_id,
            None,
            {"subject": data["subject"].strip(), "audience": data["audience"]},
            event_id=event_id,
        )
    return await get(account, event_id, announcement_id)


async def get(account: CurrentAccount, event_id: int, announcement_id: int) -> dict:
    await require_organizer(account, event_id)
    row = await sql.fetchrow("SELECT * FROM announcement WHERE id = $1 AND event = $2", announcement_id, event_id)
    if row is None:
        raise NotFound("announcement")
    out = dict(row)
    out["audience"] = json.loads(out["audience"]) if isinstance(out["audience"], str) else out["audience"]
    return out


async def send(account: CurrentAccount, event_id: int, announcement_id: int) -> dict:
    """Queue one message per recipient; a second call sends nothing more."""
    announcement = await get(account, event_id, announcement_id)
    if announcement["status"] == "sent":
        raise Conflict("this announcement has already been sent", "status")
    query, args = await _recipients_query(event_id, announcement["audience"])
    n = len(args)
    async with DB.transaction():
        await sql.execute("SELECT 1 FROM announcement WHERE id = $1 FOR UPDATE", announcement_id)
        status = await sql.execute(
            f"""INSERT INTO outbox_message (kind, event, registration, recipient, language, payload, status, attempts,
                                            next_attempt_at, last_error, message_id, dedupe_key, created_at)
                SELECT 'announcement', r.event, r.id, p.email, r.registered_language,
                       jsonb_build_object('announcement_id', ${n + 1}::int), 'pending', 0, now(), '', '',
                       'announcement:' || ${n + 1}::int || ':' || p.id, now() {query}
                ON CONFLICT (dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING""",
            *args,
            announcement_id,
        )
        count = int(status.split()[-1])
        await sql.execute(
            "UPDATE announcement SET status = 'sent', sent_at = now(), recipients = $2 WHERE id = $1",
            announcement_id,
            count,
        )
        await audit.record(
            account,
            "announcement.send",
            "announcement",
            announcement_id,
            {"status": "draft"},
            {"status": "sent", "recipients": count},
            event_id=event_id,
        )
    await kick_outbox()
    return await get(account, event_id, announcement_id)


async def sample_recipient(event_id: int, audience: dict[str, Any]):
    query, args = await _recipients_query(event_id, audience)
    return await sql.fetchrow(
        "SELECT r.id, p.email, r.registered_language AS language" + query + " ORDER BY r.id LIMIT 1", *args
    )
