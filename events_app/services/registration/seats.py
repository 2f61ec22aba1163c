"""Seats of an event, changed only while its row is locked: taking, freeing, promoting, and telling people.

Every function here runs inside the caller's transaction, after `lock_event`. Lock order everywhere: the event
row first, then its registrations; so two transactions on one event never deadlock and counters never drift.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from events_app.db import sql
from events_app.domain.errors import NotFound
from events_app.domain.ical import METHOD_CANCEL, METHOD_REQUEST
from events_app.domain.registration import SEAT_HOLDING, Waiting, plan_promotions, seat_free
from events_app.services.platform import calendar_sequence, outbox
from events_app.services.registration import agenda_bookings

EVENT_LOCK = """SELECT id, title, status, registration_opens_at, registration_closes_at, capacity, confirmed_count,
                       calendar_sequence, waitlist_mode, offer_hours
                FROM event WHERE id = $1 FOR UPDATE"""


async def lock_event(event_id: int):
    event = await sql.fetchrow(EVENT_LOCK, event_id)
    if event is None:
        raise NotFound("event")
    return event


# Each counter change is one statement (a data-modifying CTE): the event row's lock is held while it runs, so every
# round trip saved there is time the next registrant of a busy event does not wait.
# The seat counters (event.confirmed_count, registration_category.confirmed_count) change only through these
# statements and the registration statement (services.registration.registrations), which embeds count_seats.


def count_seats(delta: str) -> str:
    """SET clause changing a seat counter by `delta`, a constant SQL expression ('1', '-1', a parameter)."""
    return f"confirmed_count = confirmed_count + {delta}"


TAKE_SEAT = f"""WITH event_seat AS (UPDATE event SET {count_seats("1")} WHERE id = $1)
               UPDATE registration_category SET {count_seats("1")} WHERE id = $2"""
FREE_SEAT = f"""WITH event_seat AS (UPDATE event SET {count_seats("-1")} WHERE id = $1)
               UPDATE registration_category SET {count_seats("-1")} WHERE id = $2"""
# A held seat changing category: the event-wide count stays, one category gives the seat to the other.
MOVE_SEAT = f"""WITH old_seat AS (UPDATE registration_category SET {count_seats("-1")} WHERE id = $1)
               UPDATE registration_category SET {count_seats("1")} WHERE id = $2"""


async def take_seat(event_id: int, category_id: int) -> None:
    await sql.execute(TAKE_SEAT, event_id, category_id)


async def free_seat(event_id: int, category_id: int) -> None:
    await sql.execute(FREE_SEAT, event_id, category_id)


async def move_seat(from_category_id: int, to_category_id: int) -> None:
    await sql.execute(MOVE_SEAT, from_category_id, to_category_id)


async def next_waitlist_seq() -> int:
    return await sql.fetchval("SELECT nextval('registration_waitlist_order')")


# The recipient of a message about a registration and, for a calendar invite, its SEQUENCE, read in one round trip.
# A REQUEST to someone who received a CANCEL for this event before must carry a higher SEQUENCE than that CANCEL,
# so the event's sequence grows first; a CANCEL always grows it (RFC 5546 2.1.4: every CANCEL above every earlier
# REQUEST). The outer SELECT sees the event row as it was before the CTE's update, hence coalesce(bumped, before).
RECIPIENT = """SELECT r.event, r.person, p.email, r.registered_language AS language, NULL::int AS sequence
               FROM registration r JOIN person p ON p.id = r.person WHERE r.id = $1"""
_CANCELLED_BEFORE = calendar_sequence.cancelled_before("(SELECT event FROM reg)", "(SELECT person FROM reg)")
RECIPIENT_AND_REQUEST_SEQUENCE = f"""
    WITH reg AS (SELECT r.event, r.person, p.email, r.registered_language AS language
                 FROM registration r JOIN person p ON p.id = r.person WHERE r.id = $1),
         bumped AS (UPDATE event SET {calendar_sequence.GROW}
                    WHERE id = (SELECT event FROM reg)
                      AND {_CANCELLED_BEFORE}
                    RETURNING calendar_sequence)
    SELECT reg.*, coalesce((SELECT calendar_sequence FROM bumped),
                           (SELECT calendar_sequence FROM event WHERE id = reg.event)) AS sequence
    FROM reg"""
RECIPIENT_AND_CANCEL_SEQUENCE = f"""
    WITH reg AS (SELECT r.event, r.person, p.email, r.registered_language AS language
                 FROM registration r JOIN person p ON p.id = r.person WHERE r.id = $1),
         bumped AS (UPDATE event SET {calendar_sequence.GROW} WHERE id = (SELECT event FROM reg)
                    RETURNING calendar_sequence)
    SELECT reg.*, (SELECT calendar_sequence FROM bumped) AS sequence FROM reg"""


async def notify(kind: str, registration_id: int, *, invite: str | None = None, payload: dict | None = None) -> None:
    """Write the outbox message about a registration; invite=REQUEST or CANCEL attaches the event's calendar."""
    query = {METHOD_REQUEST: RECIPIENT_AND_REQUEST_SEQUENCE, METHOD_CANCEL: RECIPIENT_AND_CANCEL_SEQUENCE}.get(
        invite, RECIPIENT
    )
    reg = await sql.fetchrow(query, registration_id)
    await outbox.enqueue(
        kind,
        reg["email"],
        event_id=reg["event"],
        registration_id=registration_id,
        language=reg["language"],
        payload=payload,
        calendar_method=invite,
        calendar_sequence=reg["sequence"],
    )


async def promote(event) -> list[int]:
    """Fill free seats from the waiting list in order; auto mode confirms, offer mode sends time-limited offers."""
    taken = await sql.fetchval("SELECT confirmed_count FROM event WHERE id = $1", event["id"])
    if not seat_free(event["capacity"], taken):
        return []
    categories = {
        r["id"]: (r["quota"], r["confirmed_count"])
        for r in await sql.fetch(
            "SELECT id, quota, confirmed_count FROM registration_category WHERE event = $1", event["id"]
        )
    }
    free = sum(1 for quota, taken in categories.values() if seat_free(quota, taken))
    if not free:
        return []
    waiting = [
        Waiting(r["id"], r["category"])
        for r in await sql.fetch(
            "SELECT id, category FROM registration WHERE event = $1 AND status = 'waitlisted'"
            " ORDER BY waitlist_seq LIMIT 2000",
            event["id"],
        )
    ]
    chosen = plan_promotions(event["capacity"], taken, categories, waiting)
    category_of = {w.registration_id: w.category_id for w in waiting}
    for registration_id in chosen:
        await take_seat(event["id"], category_of[registration_id])
        if event["waitlist_mode"] == "offer":
            expires = datetime.now(timezone.utc) + timedelta(hours=event["offer_hours"])
            await sql.execute(
                "UPDATE registration SET status = 'offered', offer_expires_at = $2, updated_at = now() WHERE id = $1",
                registration_id,
                expires,
            )
            await notify("registration_offer", registration_id, payload={"offer_expires_at": expires.isoformat()})
        else:
            await sql.execute(
                "UPDATE registration SET status = 'confirmed', updated_at = now() WHERE id = $1", registration_id
            )
            await notify("registration_promoted", registration_id, invite=METHOD_REQUEST)
    return chosen


async def cancel(registration_id: int, event, reason: str, kind: str = "registration_cancelled") -> None:
    """Cancel an active registration: free its seat, remove it from calendars, promote the next in line."""
    reg = await sql.fetchrow("SELECT status, category FROM registration WHERE id = $1 FOR UPDATE", registration_id)
    await sql.execute(
        "UPDATE registration SET status = 'cancelled', cancel_reason = $2, cancelled_at = now(),"
        " offer_expires_at = NULL, updated_at = now() WHERE id = $1",
        registration_id,
        reason,
    )
    if reg["status"] in SEAT_HOLDING:
        await free_seat(event["id"], reg["category"])
    await agenda_bookings.release_bookings(registration_id)  # its session places go to their waiting lists
    await notify(kind, registration_id, invite=METHOD_CANCEL if reg["status"] == "confirmed" else None)
    if reg["status"] in SEAT_HOLDING:
        await promote(event)
