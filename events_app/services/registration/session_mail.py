"""Messages about sessions. A booked delegate and each person in a role (speaker, moderator, panelist) hold the
session's invite; every message to them carries the session's REQUEST or CANCEL.

As for events, a CANCEL to one person grows the session's SEQUENCE (RFC 5546 2.1.4: above every REQUEST sent
before), and a REQUEST to someone who was sent a CANCEL earlier is numbered above it. All of this runs in the
caller's transaction, after it locked the session row.
"""

from __future__ import annotations

from events_app.db import queries
from events_app.domain.ical import METHOD_CANCEL, METHOD_REQUEST
from events_app.domain.sequence import invite_grows_sequence
from events_app.services.platform import calendar_sequence, outbox
from events_app.services.registration.rows import ALL_ROWS

Q = queries.load(__file__, rows=ALL_ROWS)

NOTIFY_CHANNEL = "agenda_changed"  # the agenda's cache listens here; a SEQUENCE is part of what it serves


async def _bump(session_id: int) -> int:
    row = await calendar_sequence.bump_session(session_id)
    await Q.notify_channel(channel=NOTIFY_CHANNEL, payload=str(row["event"]))
    return row["calendar_sequence"]


async def _sequence(
    session_id: int, invite: str | None, cancelled_before: bool, current: int | None = None
) -> int | None:
    """The SEQUENCE an invite carries; `current` is the session's, when the caller read it already (under the lock)."""
    if invite_grows_sequence(invite, cancelled_before):
        return await _bump(session_id)
    if invite == METHOD_REQUEST:
        return current if current is not None else await Q.session_sequence(session_id=session_id)
    return None


async def tell_booker(kind: str, registration_id: int, session_id: int, invite: str | None = None) -> None:
    """Tell a delegate about their booking of a session (booked, waitlisted, promoted, dropped).

    The recipient, whether they were sent a CANCEL of the session before, and the session's SEQUENCE are one read
    (the caller holds the session row's lock, so a booking rush waits on it for every round trip here)."""
    reg = await Q.booker_of_session(registration_id=registration_id, session_id=session_id)
    if invite == METHOD_CANCEL and not await cancel_due(session_id, reg["person"]):
        invite = None  # the message still goes (the booking ended); the calendar keeps what the person still holds
    cancelled_before = reg["cancelled_before"]
    sequence = await _sequence(
        session_id, invite, cancelled_before and kind != "session_dropped", reg["session_sequence"]
    )
    await outbox.enqueue(
        kind,
        reg["email"],
        event_id=reg["event"],
        registration_id=registration_id,
        language=reg["language"],
        payload={"session_id": session_id},
        calendar_method=invite,
        calendar_sequence=sequence,
    )


async def tell_person(kind: str, person_id: int, session_id: int, invite: str) -> None:
    """Tell a speaker, moderator or panelist that they were added to (REQUEST) or removed from (CANCEL) a session.
    A removal is told only to someone it takes the session from (cancel_due): nobody who was never sent the invite
    (a draft) or who still holds it otherwise (booked it); they hear of the change through its update."""
    if invite == METHOD_CANCEL and not await cancel_due(session_id, person_id):
        return
    person = await Q.person_address(person_id=person_id)
    event_id = await Q.session_event(session_id=session_id)
    sequence = await _sequence(session_id, invite, False)
    await outbox.enqueue(
        kind,
        person["email"],
        event_id=event_id,
        language=person["language"],
        payload={"session_id": session_id, "person_id": person_id},
        calendar_method=invite,
        calendar_sequence=sequence,
    )


async def cancel_due(session_id: int, person_id: int) -> bool:
    """Whether a CANCEL of the session is due to the person: their calendar holds a live copy of its invite (the
    last one written for them was a REQUEST) and no booking or role of theirs keeps the session in it. Read after
    the change that ends their booking or role."""
    return bool(await Q.session_cancel_due(session_id=session_id, person_id=person_id))


async def holders(session_id: int) -> list:
    """Everyone holding the session's invite: booked delegates (of confirmed registrations) and people in roles."""
    return await Q.session_invite_holders(session_id=session_id)
