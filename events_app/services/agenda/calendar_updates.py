"""Calendar updates: when an event (or a session) changes time, place or status, each person holding its invite
gets one REQUEST with a higher SEQUENCE, or a CANCEL, and nobody else gets mail.

The SEQUENCE grows in the transaction of the change (services.events.events); the change also opens (or joins) a pending
update due after the event's update window, so a burst of edits goes out as one message per person. Flushing writes
the outbox rows and closes the update in one transaction, so a retried task cannot send twice or bump anything.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from events_app.db import sql
from events_app.db.engine import DB
from events_app.domain.ical import METHOD_CANCEL, METHOD_REQUEST
from events_app.jobs import kick_outbox
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.platform import outbox
from events_app.services.registration import session_mail


async def record(
    event_id: int, subject: str, subject_id: int, change: dict, delay: timedelta, now: datetime | None = None
) -> None:
    """Inside the change's transaction: open a pending update for this object, or add the change to the open one."""
    now = now or datetime.now(timezone.utc)
    await sql.execute(
        """INSERT INTO calendar_update (event, subject, subject_id, changes, due_at, created_at)
           VALUES ($1, $2, $3, jsonb_build_array($4::jsonb), $5, $6)
           ON CONFLICT (subject, subject_id) WHERE done_at IS NULL
           DO UPDATE SET changes = calendar_update.changes || EXCLUDED.changes""",
        event_id,
        subject,
        subject_id,
        change,
        now + delay,
        now,
    )


async def _event_recipients(event_id: int) -> list:
    """Everyone whose calendar holds the event: confirmed registrations (they received the REQUEST)."""
    return await sql.fetch(
        "SELECT r.id, p.email, r.registered_language AS language FROM registration r"
        " JOIN person p ON p.id = r.person"
        " WHERE r.event = $1 AND r.status = 'confirmed' ORDER BY r.id",
        event_id,
    )


def _changes(update) -> list:
    return update["changes"] if isinstance(update["changes"], list) else json.loads(update["changes"])


async def _flush_one(update) -> int:
    event = await sql.fetchrow(
        "SELECT id, status, calendar_sequence FROM event WHERE id = $1 FOR UPDATE", update["event"]
    )
    count = 0
    if update["subject"] == "event":
        cancelled = event["status"] == "cancelled"
        for person in await _event_recipients(event["id"]):
            await outbox.enqueue(
                "event_cancelled" if cancelled else "event_updated",
                person["email"],
                event_id=event["id"],
                registration_id=person["id"],
                language=person["language"],
                payload={"changes": _changes(update)},
                calendar_method=METHOD_CANCEL if cancelled else METHOD_REQUEST,
                calendar_sequence=event["calendar_sequence"],
                dedupe_key=f"calendar-update:{update['id']}:{person['id']}",
            )
            count += 1
    else:
        session = await sql.fetchrow(
            "SELECT status, calendar_sequence FROM agenda_session WHERE id = $1 FOR UPDATE", update["subject_id"]
        )
        cancelled = session["status"] == "cancelled"
        for person in await session_mail.holders(update["subject_id"]):
            await outbox.enqueue(
                "session_cancelled" if cancelled else "session_updated",
                person["email"],
                event_id=event["id"],
                registration_id=person["registration_id"],
                language=person["language"],
                payload={
                    "session_id": update["subject_id"],
                    "person_id": person["person_id"],
                    "changes": _changes(update),
                },
                calendar_method=METHOD_CANCEL if cancelled else METHOD_REQUEST,
                calendar_sequence=session["calendar_sequence"],
                dedupe_key=f"calendar-update:{update['id']}:p{person['person_id']}",
            )
            count += 1
    await sql.execute("UPDATE calendar_update SET done_at = now(), recipients = $2 WHERE id = $1", update["id"], count)
    return count


async def flush_due(now: datetime | None = None) -> int:
    """Send every update whose window has passed. Returns the number of messages written."""
    now = now or datetime.now(timezone.utc)
    written = 0
    while True:
        async with DB.transaction():
            update = await sql.fetchrow(
                "SELECT * FROM calendar_update WHERE done_at IS NULL AND due_at <= $1 ORDER BY due_at"
                " LIMIT 1 FOR UPDATE SKIP LOCKED",
                now,
            )
            if update is None:
                break
            written += await _flush_one(update)
    if written:
        await kick_outbox()
    return written


async def release(account: CurrentAccount, event_id: int) -> int:
    """Organizer: send the event's pending updates now instead of at the end of the window."""
    await require_organizer(account, event_id)
    await sql.execute("UPDATE calendar_update SET due_at = now() WHERE event = $1 AND done_at IS NULL", event_id)
    return await flush_due()


async def pending(account: CurrentAccount, event_id: int) -> list[dict]:
    await require_organizer(account, event_id)
    rows = await sql.fetch(
        "SELECT id, subject, subject_id, changes, due_at, created_at, done_at, recipients FROM calendar_update"
        " WHERE event = $1 ORDER BY done_at NULLS FIRST, created_at DESC LIMIT 200",
        event_id,
    )
    return [
        dict(r) | {"changes": json.loads(r["changes"]) if isinstance(r["changes"], str) else r["changes"]} for r in rows
    ]
