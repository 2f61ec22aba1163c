"""The SQL that applies domain.sequence: the one form of SEQUENCE growth, per table, used by every writer.

Fragments are constants (no input is ever formatted into them); statements that grow the SEQUENCE as part of a
larger statement (the registration statement, seats.notify) embed GROW / grow_when so they stay one round trip.
"""

from __future__ import annotations

from events_app.db import sql
from events_app.domain.sequence import SEQUENCE_STEP

# SET clause: grow by one step (a change of time, place or status, or a CANCEL).
GROW = f"calendar_sequence = calendar_sequence + {SEQUENCE_STEP}"


def grow_when(condition: str) -> str:
    """SET clause: grow by one step when the SQL `condition` (a constant fragment) holds."""
    return f"calendar_sequence = calendar_sequence + CASE WHEN {condition} THEN {SEQUENCE_STEP} ELSE 0 END"


def cancelled_before(event: str, person: str) -> str:
    """SQL condition: the person was sent a CANCEL for the event before (a cancelled or rejected registration).
    `event` and `person` are SQL expressions written in code (column names, parameters), never input."""
    return (
        f"EXISTS (SELECT 1 FROM registration o WHERE o.event = {event} AND o.person = {person}"
        " AND o.status IN ('cancelled', 'rejected'))"
    )


BUMP_EVENT = f"UPDATE event SET {GROW}, updated_at = now() WHERE id = $1 RETURNING calendar_sequence"
BUMP_SESSION = (
    f"UPDATE agenda_session SET {GROW}, updated_at = clock_timestamp() WHERE id = $1 RETURNING calendar_sequence, event"
)
BUMP_SERIES = f"UPDATE meeting_series SET {GROW}, updated_at = now() WHERE id = $1 RETURNING calendar_sequence"


async def bump_event(event_id: int) -> int:
    return await sql.fetchval(BUMP_EVENT, event_id)


async def bump_session(session_id: int):
    """Grow an agenda session's SEQUENCE; returns the row (calendar_sequence, event)."""
    return await sql.fetchrow(BUMP_SESSION, session_id)


async def bump_series(series_id: int) -> int:
    """Grow a meeting series' SEQUENCE (and the feed's DTSTAMP through updated_at)."""
    return await sql.fetchval(BUMP_SERIES, series_id)
