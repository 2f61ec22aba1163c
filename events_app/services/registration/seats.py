"""Seats of an event, changed only while its row is locked: taking, freeing, promoting, and telling people.

Every function here runs inside the caller's transaction, after `lock_event`. Lock order everywhere: the event
row first, then its registrations; so two transactions on one event never deadlock and counters never drift.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from events_app.db import queries
from events_app.domain.errors import NotFound
from events_app.domain.ical import METHOD_CANCEL, METHOD_REQUEST
from events_app.domain.registration import SEAT_HOLDING, Waiting, plan_promotions, seat_free
from events_app.services.platform import outbox
from events_app.services.registration import agenda_bookings
from events_app.services.registration.rows import ALL_ROWS, LockedEvent, MessageRecipient

Q = queries.load(__file__, rows=ALL_ROWS)


async def lock_event(event_id: int) -> LockedEvent:
    event = await Q.lock_event(event_id=event_id)
    if event is None:
        raise NotFound("event")
    return event


# Each counter change is one statement (a data-modifying CTE): the event row's lock is held while it runs, so every
# round trip saved there is time the next registrant of a busy event does not wait.
# The seat counters (event.confirmed_count, registration_category.confirmed_count) change only through these
# statements and the registration statements (insert_registration_*), which all write the change as
# `confirmed_count = confirmed_count + <delta>` (tests/unit/db/test_shared_sql_rules.py holds them to it).


async def take_seat(event_id: int, category_id: int) -> None:
    await Q.take_seat(event_id=event_id, category_id=category_id)


async def free_seat(event_id: int, category_id: int) -> None:
    await Q.free_seat(event_id=event_id, category_id=category_id)


async def move_seat(from_category_id: int, to_category_id: int) -> None:
    await Q.move_seat(from_category_id=from_category_id, to_category_id=to_category_id)


async def next_waitlist_seq() -> int:
    return await Q.next_waitlist_seq()


# The recipient of a message about a registration and, for a calendar invite, its SEQUENCE, read in one round trip.
# A REQUEST to someone who received a CANCEL for this event before must carry a higher SEQUENCE than that CANCEL,
# so the event's sequence grows first; a CANCEL always grows it (RFC 5546 2.1.4: every CANCEL above every earlier
# REQUEST).
_RECIPIENT = {METHOD_REQUEST: Q.recipient_and_request_sequence, METHOD_CANCEL: Q.recipient_and_cancel_sequence}


async def notify(kind: str, registration_id: int, *, invite: str | None = None, payload: dict | None = None) -> None:
    """Write the outbox message about a registration; invite=REQUEST or CANCEL attaches the event's calendar."""
    reg: MessageRecipient = await _RECIPIENT.get(invite, Q.recipient)(registration_id=registration_id)
    await outbox.enqueue(
        kind,
        reg.email,
        event_id=reg.event,
        registration_id=registration_id,
        language=reg.language,
        payload=payload,
        calendar_method=invite,
        calendar_sequence=reg.sequence,
    )


async def promote(event: LockedEvent) -> list[int]:
    """Fill free seats from the waiting list in order; auto mode confirms, offer mode sends time-limited offers.
    A cancelled event promotes nobody: an invite or offer for it would be a seat at nothing."""
    if event.status != "published":
        return []
    taken = await Q.event_seats_taken(event_id=event.id)
    if not seat_free(event.capacity, taken):
        return []
    categories = {
        r["id"]: (r["quota"], r["confirmed_count"]) for r in await Q.category_seats_of_event(event_id=event.id)
    }
    free = sum(1 for quota, taken in categories.values() if seat_free(quota, taken))
    if not free:
        return []
    waiting = [Waiting(r["id"], r["category"]) for r in await Q.waiting_registrations(event_id=event.id)]
    chosen = plan_promotions(event.capacity, taken, categories, waiting)
    category_of = {w.registration_id: w.category_id for w in waiting}
    for registration_id in chosen:
        await take_seat(event.id, category_of[registration_id])
        if event.waitlist_mode == "offer":
            expires = datetime.now(timezone.utc) + timedelta(hours=event.offer_hours)
            await Q.offer_seat(registration_id=registration_id, offer_expires_at=expires)
            await notify("registration_offer", registration_id, payload={"offer_expires_at": expires.isoformat()})
        else:
            await Q.confirm_registration(registration_id=registration_id)
            await notify("registration_promoted", registration_id, invite=METHOD_REQUEST)
    return chosen


async def cancel(registration_id: int, event: LockedEvent, reason: str, kind: str = "registration_cancelled") -> None:
    """Cancel an active registration: free its seat, remove it from calendars, promote the next in line."""
    reg = await Q.lock_registration_status(registration_id=registration_id)
    await Q.cancel_registration(registration_id=registration_id, reason=reason)
    if reg["status"] in SEAT_HOLDING:
        await free_seat(event.id, reg["category"])
    await agenda_bookings.release_bookings(registration_id)  # its session places go to their waiting lists
    await notify(kind, registration_id, invite=METHOD_CANCEL if reg["status"] == "confirmed" else None)
    if reg["status"] in SEAT_HOLDING:
        await promote(event)
