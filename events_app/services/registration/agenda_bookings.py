"""The delegate's personal agenda: booking and dropping sessions with the manage token.

Lock order everywhere: the registration row, then the session row. The session row is the lock that orders every
change of its seats, so its booked_count is read and written under it and no session is ever overbooked; the
waiting list is served in booking-id order, which under that lock is the order in which bookings arrived. The
registration row lock keeps one delegate's concurrent bookings from overlapping each other.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from events_app.db import sql
from events_app.db.engine import DB
from events_app.domain.agenda import bookable, booking_status, effective_capacity, places_to_promote
from events_app.domain.errors import Conflict, NotFound
from events_app.domain.ical import METHOD_CANCEL, METHOD_REQUEST
from events_app.domain.security import digest
from events_app.jobs import kick_outbox
from events_app.services.platform import time_overlap
from events_app.services.registration import session_mail

ACTIVE = ("booked", "waitlisted")


# A session's place counter changes only here (booked, cancelled, promoted, dropped with the registration).
COUNT_BOOKINGS = "UPDATE agenda_session SET booked_count = booked_count + $2 WHERE id = $1"


async def count_bookings(session_id: int, delta: int) -> None:
    await sql.execute(COUNT_BOOKINGS, session_id, delta)


async def _registration(token: str, lock: bool) -> dict:
    row = await sql.fetchrow(
        "SELECT id, event, status FROM registration WHERE token_hash = $1" + (" FOR UPDATE" if lock else ""),
        digest(token),
    )
    if row is None:
        raise NotFound("registration")
    return dict(row)


async def _locked_session(event_id: int, session_id: int) -> dict:
    row = await sql.fetchrow(
        """SELECT s.id, s.title, s.starts_at, s.ends_at, s.status, s.requires_booking, s.capacity, s.booked_count,
                  r.capacity AS room_capacity
           FROM agenda_session s LEFT JOIN agenda_room r ON r.id = s.room
           WHERE s.id = $1 AND s.event = $2 FOR UPDATE OF s""",
        session_id,
        event_id,
    )
    if row is None:
        raise NotFound("session")
    return dict(row)


async def book(token: str, session_id: int) -> dict:
    """Book a place, or join the session's waiting list when it is full. Booking again answers the same entry.
    409 when the registration is not confirmed, the session is not open, or it overlaps a session already
    booked (that one is named)."""
    async with DB.transaction():
        registration = await _registration(token, lock=True)
        session = await _locked_session(registration["event"], session_id)
        problem = bookable(session["status"], registration["status"])
        if problem is not None:
            raise Conflict(problem.message, problem.field)
        existing = await sql.fetchval(
            "SELECT id FROM agenda_booking WHERE session = $1 AND registration = $2 AND status = ANY($3::text[])",
            session_id,
            registration["id"],
            list(ACTIVE),
        )
        if existing is None:
            overlapping = await sql.fetch(
                f"""SELECT s.id, s.title, s.starts_at, s.ends_at, b.status FROM agenda_booking b
                   JOIN agenda_session s ON s.id = b.session
                   WHERE b.registration = $1 AND b.status = ANY($2::text[]) AND s.status <> 'cancelled'
                     AND {time_overlap.overlaps("s.starts_at", "s.ends_at", "$3", "$4")} ORDER BY s.starts_at""",
                registration["id"],
                list(ACTIVE),
                session["starts_at"],
                session["ends_at"],
            )
            if overlapping:
                first = overlapping[0]
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
                        for r in overlapping
                    ],
                )
            capacity = effective_capacity(session["capacity"], session["room_capacity"])
            status = booking_status(session["requires_booking"], capacity, session["booked_count"])
            await sql.execute(
                """INSERT INTO agenda_booking (session, registration, status, created_at, updated_at)
                   VALUES ($1, $2, $3, clock_timestamp(), clock_timestamp())""",
                session_id,
                registration["id"],
                status,
            )
            if status == "booked":
                await count_bookings(session_id, 1)
                await session_mail.tell_booker("session_booked", registration["id"], session_id, METHOD_REQUEST)
            else:
                await session_mail.tell_booker("session_waitlisted", registration["id"], session_id)
    await kick_outbox()
    return await _entry(registration["id"], session_id)


async def drop(token: str, session_id: int) -> dict:
    """Give up a place (the head of the waiting list gets it) or leave the waiting list."""
    async with DB.transaction():
        registration = await _registration(token, lock=True)
        await _locked_session(registration["event"], session_id)
        row = await sql.fetchrow(
            "SELECT id, status FROM agenda_booking WHERE session = $1 AND registration = $2"
            " AND status = ANY($3::text[]) FOR UPDATE",
            session_id,
            registration["id"],
            list(ACTIVE),
        )
        if row is None:
            raise NotFound("booking of this session")
        await sql.execute(
            "UPDATE agenda_booking SET status = 'cancelled', updated_at = clock_timestamp() WHERE id = $1", row["id"]
        )
        # The CANCEL first: whoever moves up then gets a REQUEST numbered above it.
        await session_mail.tell_booker(
            "session_dropped", registration["id"], session_id, METHOD_CANCEL if row["status"] == "booked" else None
        )
        if row["status"] == "booked":
            await count_bookings(session_id, -1)
            await promote_waiting(session_id)
    await kick_outbox()
    return await _entry(registration["id"], session_id, row["id"])


async def promote_waiting(session_id: int) -> list[int]:
    """Give free places to the head of the waiting list, in order (the caller holds the session row's lock).
    Returns the promoted registrations; each promotion is in the change log for the notifications."""
    session = await sql.fetchrow(
        """SELECT s.event, s.status, s.requires_booking, s.capacity, s.booked_count, r.capacity AS room_capacity,
                  s.calendar_sequence
           FROM agenda_session s LEFT JOIN agenda_room r ON r.id = s.room WHERE s.id = $1""",
        session_id,
    )
    if session["status"] != "published":
        return []
    waiting = await sql.fetchval(
        "SELECT count(*) FROM agenda_booking WHERE session = $1 AND status = 'waitlisted'", session_id
    )
    count = places_to_promote(
        session["requires_booking"],
        effective_capacity(session["capacity"], session["room_capacity"]),
        session["booked_count"],
        waiting,
    )
    if count == 0:
        return []
    rows = await sql.fetch(
        """UPDATE agenda_booking SET status = 'booked', updated_at = clock_timestamp()
           WHERE id IN (SELECT id FROM agenda_booking WHERE session = $1 AND status = 'waitlisted'
                        ORDER BY id LIMIT $2)
           RETURNING id, registration""",
        session_id,
        count,
    )
    await count_bookings(session_id, len(rows))
    promoted = [r["registration"] for r in sorted(rows, key=lambda r: r["id"])]
    for registration_id in promoted:
        await session_mail.tell_booker("session_promoted", registration_id, session_id, METHOD_REQUEST)
    await sql.execute(
        """INSERT INTO agenda_change (event, session, action, changes, calendar_sequence, actor, created_at)
           VALUES ($1, $2, 'waitlist_promoted', $3::jsonb, $4, 'waiting list', clock_timestamp())""",
        session["event"],
        session_id,
        {"registrations": {"from": "waitlisted", "to": "booked", "ids": promoted}},
        session["calendar_sequence"],
    )
    return promoted


async def release_bookings(registration_id: int) -> None:
    """A registration ends: free its places (in session-id order, so concurrent releases cannot deadlock) and
    promote the waiting lists. Runs in the caller's transaction, after it locked the registration."""
    rows = await sql.fetch(
        "SELECT b.session, b.status FROM agenda_booking b WHERE b.registration = $1 AND b.status = ANY($2::text[])"
        " ORDER BY b.session",
        registration_id,
        list(ACTIVE),
    )
    for row in rows:
        await sql.execute("SELECT 1 FROM agenda_session WHERE id = $1 FOR UPDATE", row["session"])
        await sql.execute(
            "UPDATE agenda_booking SET status = 'cancelled', updated_at = clock_timestamp()"
            " WHERE session = $1 AND registration = $2 AND status = ANY($3::text[])",
            row["session"],
            registration_id,
            list(ACTIVE),
        )
        if row["status"] == "booked":
            await count_bookings(row["session"], -1)
            # The session leaves their calendar together with the event.
            await session_mail.tell_booker("session_dropped", registration_id, row["session"], METHOD_CANCEL)
            await promote_waiting(row["session"])


_ENTRY_SELECT = """
    SELECT b.id, b.session AS session_id, b.status, b.created_at, s.title, s.starts_at, s.ends_at,
           s.status AS session_status, e.timezone,
           CASE WHEN b.status = 'waitlisted' THEN
               (SELECT count(*) FROM agenda_booking w WHERE w.session = b.session AND w.status = 'waitlisted'
                                                        AND w.id <= b.id) END AS waitlist_position
    FROM agenda_booking b JOIN agenda_session s ON s.id = b.session JOIN event e ON e.id = s.event
"""


def _entry_out(row: Any) -> dict:
    zone = ZoneInfo(row["timezone"])
    return {
        "session_id": row["session_id"],
        "title": row["title"],
        "status": row["status"],
        "session_status": row["session_status"],
        "starts_at": row["starts_at"].astimezone(zone),
        "ends_at": row["ends_at"].astimezone(zone),
        "waitlist_position": row["waitlist_position"],
        "booked_at": row["created_at"],
    }


async def _entry(registration_id: int, session_id: int, booking_id: int | None = None) -> dict:
    if booking_id is None:
        row = await sql.fetchrow(
            _ENTRY_SELECT + " WHERE b.registration = $1 AND b.session = $2 AND b.status = ANY($3::text[])",
            registration_id,
            session_id,
            list(ACTIVE),
        )
    else:
        row = await sql.fetchrow(_ENTRY_SELECT + " WHERE b.id = $1", booking_id)
    return _entry_out(row)


async def personal_agenda(token: str) -> list[dict]:
    """The delegate's booked and waiting sessions, by start time, with their place on each waiting list."""
    registration = await _registration(token, lock=False)
    rows = await sql.fetch(
        _ENTRY_SELECT + " WHERE b.registration = $1 AND b.status = ANY($2::text[]) ORDER BY s.starts_at, s.id",
        registration["id"],
        list(ACTIVE),
    )
    return [_entry_out(r) for r in rows]
