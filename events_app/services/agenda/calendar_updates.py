"""Calendar updates: when an event (or a session) changes time, place or status, each person holding its invite
gets one REQUEST with a higher SEQUENCE, or a CANCEL, and nobody else gets mail.

The SEQUENCE grows in the transaction of the change (services.events.events); the change also opens (or joins) a pending
update due after the event's update window, so a burst of edits goes out as one message per person. Flushing writes
the outbox rows and closes the update in one transaction, so a retried task cannot send twice or bump anything.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.ical import METHOD_CANCEL, METHOD_REQUEST
from events_app.jobs import kick_outbox
from events_app.services.agenda.rows import ROWS, CalendarUpdateRow
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.platform import outbox
from events_app.services.registration import session_mail

Q = queries.load(__file__, rows=ROWS)


async def record(
    event_id: int, subject: str, subject_id: int, change: dict, delay: timedelta, now: datetime | None = None
) -> None:
    """Inside the change's transaction: open a pending update for this object, or add the change to the open one."""
    now = now or datetime.now(timezone.utc)
    await Q.record_calendar_update(
        event_id=event_id, subject=subject, subject_id=subject_id, change=change, due_at=now + delay, created_at=now
    )


async def _event_recipients(event_id: int) -> list:
    """Everyone whose calendar holds the event: confirmed registrations (they received the REQUEST)."""
    return await Q.event_invite_holders(event_id=event_id)


async def _flush_one(update: CalendarUpdateRow) -> int:
    event = await Q.event_sequence_for_update(event_id=update.event)
    count = 0
    if update.subject == "event":
        cancelled = event["status"] == "cancelled"
        for person in await _event_recipients(event["id"]):
            await outbox.enqueue(
                "event_cancelled" if cancelled else "event_updated",
                person["email"],
                event_id=event["id"],
                registration_id=person["id"],
                language=person["language"],
                payload={"changes": update.changes},
                calendar_method=METHOD_CANCEL if cancelled else METHOD_REQUEST,
                calendar_sequence=event["calendar_sequence"],
                dedupe_key=f"calendar-update:{update.id}:{person['id']}",
            )
            count += 1
    else:
        session = await Q.session_sequence_for_update(session_id=update.subject_id)
        cancelled = session["status"] == "cancelled"
        for person in await session_mail.holders(update.subject_id):
            await outbox.enqueue(
                "session_cancelled" if cancelled else "session_updated",
                person["email"],
                event_id=event["id"],
                registration_id=person["registration_id"],
                language=person["language"],
                payload={
                    "session_id": update.subject_id,
                    "person_id": person["person_id"],
                    "changes": update.changes,
                },
                calendar_method=METHOD_CANCEL if cancelled else METHOD_REQUEST,
                calendar_sequence=session["calendar_sequence"],
                dedupe_key=f"calendar-update:{update.id}:p{person['person_id']}",
            )
            count += 1
    await Q.close_calendar_update(update_id=update.id, recipients=count)
    return count


async def flush_due(now: datetime | None = None) -> int:
    """Send every update whose window has passed. Returns the number of messages written."""
    now = now or datetime.now(timezone.utc)
    written = 0
    while True:
        async with DB.transaction():
            update = await Q.next_due_calendar_update(now=now)
            if update is None:
                break
            written += await _flush_one(update)
    if written:
        await kick_outbox()
    return written


async def release(account: CurrentAccount, event_id: int) -> int:
    """Organizer: send the event's pending updates now instead of at the end of the window."""
    await require_organizer(account, event_id)
    await Q.release_calendar_updates(event_id=event_id)
    return await flush_due()


async def pending(account: CurrentAccount, event_id: int) -> list[dict]:
    await require_organizer(account, event_id)
    return [dict(r) for r in await Q.calendar_updates_of_event(event_id=event_id)]
