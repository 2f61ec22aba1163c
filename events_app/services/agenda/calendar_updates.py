"""Calendar updates: when what an event's (or a session's) invite shows changes (services.agenda.invite_state),
each person holding an older copy gets one REQUEST with a higher SEQUENCE, or a CANCEL, and nobody else gets mail.

The SEQUENCE grows in the transaction of the change (services.events.events); the change also opens (or joins) a pending
update due after the event's update window, so a burst of edits goes out as one message per person. Flushing writes
the outbox rows and closes the update in one transaction, so a retried task cannot send twice or bump anything.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.ical import METHOD_CANCEL, METHOD_REQUEST
from events_app.domain.invite_shows import copy_is_stale
from events_app.jobs import kick_outbox
from events_app.services.agenda.rows import ROWS, CalendarUpdateRow
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.platform import outbox
from events_app.services.registration import session_mail

Q = queries.load(__file__, rows=ROWS)


async def record(
    event_id: int, changes: list[tuple[str, int, dict]], delay: timedelta, now: datetime | None = None
) -> None:
    """Inside the change's transaction: open a pending update for each object, or add the change to the open one;
    (subject, subject_id, change) each, one statement for all."""
    if not changes:
        return
    now = now or datetime.now(timezone.utc)
    await Q.record_calendar_updates(
        event_id=event_id,
        subjects=[c[0] for c in changes],
        subject_ids=[c[1] for c in changes],
        changes=[json.dumps(c[2], default=str) for c in changes],
        due_at=now + delay,
        created_at=now,
    )


async def _event_recipients(event_id: int) -> list:
    """Everyone whose calendar holds the event: confirmed registrations (they received the REQUEST)."""
    return await Q.event_invite_holders(event_id=event_id)


def _shown_value(value: Any) -> dict | None:
    if value is None:
        return None
    return json.loads(value) if isinstance(value, str) else dict(value)


async def _copies(uid: Any, person_ids: list[int]) -> tuple[dict[int, Any], dict[int, dict | None]]:
    """The copy each holder holds of the object (person id -> row), for those the system remembers, and what the
    versions those copies show showed (by SEQUENCE): each version read and decoded once, not once per holder."""
    if not person_ids:
        return {}, {}
    copies = {row["person"]: row for row in await Q.held_copies(uid=str(uid), person_ids=person_ids)}
    sequences = sorted({row["shown_sequence"] for row in copies.values() if row["shown_sequence"] is not None})
    versions = await Q.calendar_versions(uid=str(uid), sequences=sequences) if sequences else []
    return copies, {v["sequence"]: _shown_value(v["shown"]) for v in versions}


async def _flush_one(update: CalendarUpdateRow) -> int:
    """Write the update's messages: one to each holder whose copy is older than the object (a person who was sent
    the current version meanwhile, e.g. who registered or booked inside the window, gets nothing). Each message
    carries what that holder's copy showed (`was`), so its email can say what changed for them."""
    event = await Q.event_sequence(event_id=update.event)
    if update.subject == "event":
        kinds, obj = ("event_cancelled", "event_updated"), event
        holders = [
            {**dict(p), "registration_id": p["id"], "dedupe": f"calendar-update:{update.id}:{p['id']}"}
            for p in await _event_recipients(event["id"])
        ]
        extra: dict[str, Any] = {}
    else:
        kinds = ("session_cancelled", "session_updated")
        obj = await Q.session_sequence_for_update(session_id=update.subject_id)
        holders = [
            {**dict(p), "dedupe": f"calendar-update:{update.id}:p{p['person_id']}"}
            for p in await session_mail.holders(update.subject_id)
        ]
        extra = {"session_id": update.subject_id}
    # Cancelled (itself or with its event) or taken back to draft: it leaves every calendar holding it.
    cancelled = obj["status"] != "published"
    copies, shown = await _copies(obj["calendar_uid"], [h["person_id"] for h in holders])
    messages = []
    for n, person in enumerate(holders, 1):
        if n % 500 == 0:  # a congress's thousands of holders: other requests are served in between
            await asyncio.sleep(0)
        copy = copies.get(person["person_id"])
        if copy is not None and not copy_is_stale(copy["sequence"], obj["calendar_sequence"]):
            continue
        if cancelled and (copy is None or copy["method"] == METHOD_CANCEL):
            continue  # a CANCEL only to whoever holds a live copy: not to someone never invited or cancelled already
        kind = kinds[0] if cancelled else kinds[1]
        if copy is None and update.subject != "event" and person["registration_id"] is None:
            kind = "session_role_added"  # a speaker's first invite (the session was published from draft)
        payload = {
            **extra,
            "changes": update.changes,
            "was": shown.get(copy["shown_sequence"]) if copy is not None else None,
            "timezone": person["timezone"],
        }
        if update.subject != "event":
            payload["person_id"] = person["person_id"]
        messages.append(
            {
                "kind": kind,
                "recipient": person["email"],
                "event_id": event["id"],
                "registration_id": person["registration_id"],
                "language": person["language"],
                "payload": payload,
                "calendar_method": METHOD_CANCEL if cancelled else METHOD_REQUEST,
                "calendar_sequence": obj["calendar_sequence"],
                "dedupe_key": person["dedupe"],
            }
        )
    # One statement for every recipient: the event row stays locked for one round trip, not one per delegate.
    count = await outbox.enqueue_many(messages)
    await Q.close_calendar_update(update_id=update.id, recipients=count)
    return count


async def flush_due(now: datetime | None = None, event_id: int | None = None) -> int:
    """Send every update whose window has passed (of one event, or of every event). Returns the number of messages
    written."""
    now = now or datetime.now(timezone.utc)
    written = 0
    while True:
        async with DB.transaction():
            update = await Q.next_due_calendar_update(now=now, event_id=event_id)
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
    # Only this event's: an organizer's request neither waits for other events' updates nor counts their messages.
    return await flush_due(event_id=event_id)


async def pending(account: CurrentAccount, event_id: int) -> list[dict]:
    await require_organizer(account, event_id)
    return [dict(r) for r in await Q.calendar_updates_of_event(event_id=event_id)]
