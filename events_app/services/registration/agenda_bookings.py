"""The delegate's personal agenda: booking and dropping sessions with the manage token.

Lock order everywhere: the registration row, then the session row. The session row is the lock that orders every
change of its seats, so its booked_count is read and written under it and no session is ever overbooked; the
waiting list is served in booking-id order, which under that lock is the order in which bookings arrived. The
registration row lock keeps one delegate's concurrent bookings from overlapping each other.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.agenda import bookable, booking_status, effective_capacity, places_to_promote
from events_app.domain.errors import Conflict, NotFound
from events_app.domain.ical import METHOD_CANCEL, METHOD_REQUEST
from events_app.domain.registration import check_event_live
from events_app.domain.security import digest
from events_app.jobs import kick_outbox
from events_app.services.platform.turns import Turns
from events_app.services.registration import session_mail
from events_app.services.registration.rows import ALL_ROWS, BookingEntry, LockedSession

Q = queries.load(__file__, rows=ALL_ROWS)

ACTIVE = ("booked", "waitlisted")
# Bookings and drops of one session wait for their turn in the process before taking a pooled connection
# (services.platform.turns): a rush on a workshop then holds one connection, not the whole pool.
SESSION_TURNS = Turns()


# A session's place counter changes only here (booked, cancelled, promoted, dropped with the registration).
async def count_bookings(session_id: int, delta: int) -> None:
    await Q.count_bookings(session_id=session_id, delta=delta)


async def _registration(token: str, lock: bool) -> dict:
    find = Q.lock_booking_registration if lock else Q.booking_registration
    row = await find(token_hash=digest(token))
    if row is None:
        raise NotFound("registration")
    return dict(row)


async def _locked_session(event_id: int, session_id: int) -> LockedSession:
    row = await Q.lock_session_for_booking(session_id=session_id, event_id=event_id)
    if row is None:
        raise NotFound("session")
    return row


async def book(token: str, session_id: int) -> dict:
    """Book a place, or join the session's waiting list when it is full. Booking again answers the same entry.
    409 when the registration is not confirmed, the session is not open, or it overlaps a session already
    booked (that one is named)."""
    async with SESSION_TURNS.turn(session_id), DB.transaction():
        registration = await _registration(token, lock=True)
        session = await _locked_session(registration["event"], session_id)
        check_event_live(registration["event_status"], "session")
        problem = bookable(session.status, registration["status"])
        if problem is not None:
            raise Conflict(problem.message, problem.field)
        # Booked already (booking again answers the same entry), or the bookings it would clash with: one read. Each
        # round trip here is one that every later booking of a hot session waits for.
        found = await Q.booking_or_overlaps(
            session_id=session_id,
            registration_id=registration["id"],
            active_statuses=list(ACTIVE),
            starts_at=session.starts_at,
            ends_at=session.ends_at,
        )
        if not any(r["id"] == session_id for r in found):  # not booked yet: what was found overlaps it
            if found:
                first = found[0]
                how = "you have booked" if first["status"] == "booked" else "whose waiting list you are on"
                raise Conflict(
                    f"this session overlaps '{first['title']}', which {how}: drop it first",
                    "session_id",
                    conflicts=[
                        {
                            "id": r["id"],
                            "title": r["title"],
                            "starts_at": r["starts_at"].isoformat(),
                            "ends_at": r["ends_at"].isoformat(),
                            "status": r["status"],
                        }
                        for r in found
                    ],
                )
            capacity = effective_capacity(session.capacity, session.room_capacity)
            status = booking_status(session.requires_booking, capacity, session.booked_count)
            await Q.insert_booking(session_id=session_id, registration_id=registration["id"], status=status)
            if status == "booked":  # counted by the insert
                await session_mail.tell_booker("session_booked", registration["id"], session_id, METHOD_REQUEST)
            else:
                await session_mail.tell_booker("session_waitlisted", registration["id"], session_id)
    await kick_outbox()
    return await _entry(registration["id"], session_id)


async def drop(token: str, session_id: int) -> dict:
    """Give up a place (the head of the waiting list gets it) or leave the waiting list."""
    async with SESSION_TURNS.turn(session_id), DB.transaction():
        registration = await _registration(token, lock=True)
        await _locked_session(registration["event"], session_id)
        row = await Q.lock_active_booking(
            session_id=session_id, registration_id=registration["id"], active_statuses=list(ACTIVE)
        )
        if row is None:
            raise NotFound("booking of this session")
        await _end_place(row["id"], registration["id"], session_id, row["status"])
        if row["status"] == "booked":
            await promote_waiting(session_id)
    await kick_outbox()
    return await _entry(registration["id"], session_id, row["id"])


async def _end_place(booking_id: int, registration_id: int, session_id: int, status: str) -> None:
    """A booking or waiting-list place ends as a drop ends it, and its delegate is told; the caller holds the session
    row's lock and promotes the waiting list when a booked place was freed."""
    await Q.cancel_booking(booking_id=booking_id)
    # The CANCEL first: whoever moves up then gets a REQUEST numbered above it.
    await session_mail.tell_booker(
        "session_dropped", registration_id, session_id, METHOD_CANCEL if status == "booked" else None
    )
    if status == "booked":
        await count_bookings(session_id, -1)


async def promote_waiting(session_id: int) -> list[int]:
    """Give free places to the head of the waiting list, in order (the caller holds the session row's lock).
    Returns the promoted registrations; each promotion is in the change log for the notifications."""
    session = await Q.session_for_promotion(session_id=session_id)
    if session["status"] != "published":
        return []
    waiting = await Q.count_session_waiting(session_id=session_id)
    count = places_to_promote(
        session["requires_booking"],
        effective_capacity(session["capacity"], session["room_capacity"]),
        session["booked_count"],
        waiting,
    )
    if count == 0:
        return []
    rows = await Q.promote_session_waiting(session_id=session_id, places=count)
    await count_bookings(session_id, len(rows))
    promoted = [r["registration"] for r in sorted(rows, key=lambda r: r["id"])]
    for registration_id in promoted:
        await session_mail.tell_booker("session_promoted", registration_id, session_id, METHOD_REQUEST)
    await Q.record_session_promotions(
        event_id=session["event"],
        session_id=session_id,
        changes={"registrations": {"from": "waitlisted", "to": "booked", "ids": promoted}},
        calendar_sequence=session["calendar_sequence"],
    )
    return promoted


async def release_bookings(registration_id: int) -> None:
    """A registration ends: free its places (in session-id order, so concurrent releases cannot deadlock) and
    promote the waiting lists. Runs in the caller's transaction, after it locked the registration."""
    rows = await Q.active_bookings_of_registration(registration_id=registration_id, active_statuses=list(ACTIVE))
    for row in rows:
        await Q.lock_session(session_id=row["session"])
        await Q.cancel_registration_bookings_of_session(
            session_id=row["session"], registration_id=registration_id, active_statuses=list(ACTIVE)
        )
        if row["status"] == "booked":
            await count_bookings(row["session"], -1)
            # The session leaves their calendar together with the event.
            await session_mail.tell_booker("session_dropped", registration_id, row["session"], METHOD_CANCEL)
            await promote_waiting(row["session"])


async def lock_bookers_of_cancelled(event_id: int, session_id: int) -> None:
    """Before a change that may bring a cancelled session back takes its row: lock the registrations holding a
    booking or waiting-list place of it (a booking's lock order: registration, then session), so that none of them
    books an overlapping session while restore_bookings decides. Nothing when the session is not cancelled."""
    await Q.lock_bookers_of_cancelled_session(session_id=session_id, event_id=event_id, active_statuses=list(ACTIVE))


async def restore_bookings(session_id: int) -> int:
    """A cancelled session comes back (published again, or a draft): its bookings and waiting-list places come back
    with it, under the rule of every booking: none may overlap another session the delegate has booked or waits
    for. While it was cancelled its bookings did not count, so a delegate may have booked another session at that
    time: that one, chosen meanwhile, wins. Their place here ends as a drop does (a CANCEL only if their calendar
    still holds the session, e.g. inside the update window of its cancellation) and is told the same way; the
    places freed go to the waiting list when the caller promotes it. The caller holds the session row's lock and
    took the registrations' first (lock_bookers_of_cancelled). Returns how many delegates were not restored."""
    rows = await Q.clashing_bookings_of_session(session_id=session_id, active_statuses=list(ACTIVE))
    for row in rows:
        await _end_place(row["id"], row["registration"], session_id, row["status"])
    return len(rows)


async def bookers_now_clashing(session_ids: list[int]) -> int:
    """How many delegates holding a booking or waiting-list place of one of these sessions (not cancelled) also hold
    one of another session (not cancelled) that overlaps it, each counted once: what a booking refuses, and what a
    move by hand or by a schedule import can bring about. Only counted, for the organizer who moved them: the
    delegate's agenda shows the clash and the places stay."""
    if not session_ids:
        return 0
    return await Q.count_bookers_clashing_in_sessions(session_ids=session_ids, active_statuses=list(ACTIVE))


def _entry_out(row: BookingEntry) -> dict:
    zone = ZoneInfo(row.timezone)
    return {
        "session_id": row.session_id,
        "title": row.title,
        "status": row.status,
        "session_status": row.session_status,
        "starts_at": row.starts_at.astimezone(zone),
        "ends_at": row.ends_at.astimezone(zone),
        "waitlist_position": row.waitlist_position,
        "booked_at": row.created_at,
    }


async def _entry(registration_id: int, session_id: int, booking_id: int | None = None) -> dict:
    if booking_id is None:
        row = await Q.booking_entry(
            registration_id=registration_id, session_id=session_id, active_statuses=list(ACTIVE)
        )
    else:
        row = await Q.booking_entry_by_id(booking_id=booking_id)
    return _entry_out(row)


async def personal_agenda(token: str) -> list[dict]:
    """The delegate's booked and waiting sessions, by start time, with their place on each waiting list."""
    registration = await _registration(token, lock=False)
    return await agenda_of(registration["id"])


async def agenda_of(registration_id: int) -> list[dict]:
    """personal_agenda of a registration the caller has already found by its token."""
    rows = await Q.personal_agenda(registration_id=registration_id, active_statuses=list(ACTIVE))
    return [_entry_out(r) for r in rows]
