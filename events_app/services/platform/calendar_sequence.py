"""The SQL that applies domain.sequence: the one form of SEQUENCE growth, per table, used by every writer.

bump_event/bump_session/bump_series run the named queries of platform/queries.sql. A statement that grows the
SEQUENCE as part of a larger statement (the registration statement, seats.notify) writes the growth in its own
queries.sql exactly as GROW / grow_when / cancelled_before give it, so it stays one round trip;
tests/unit/db/test_shared_sql_rules.py reads every queries.sql and fails on any other form of the rule.
"""

from __future__ import annotations

from events_app.db import queries
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
        f"EXISTS (SELECT 1 FROM registration o WHERE o.event = {event} AND o.person = {person}"  # noqa: S608 (aliases written in code, never input)
        " AND o.status IN ('cancelled', 'rejected'))"
    )


Q = queries.load(__file__)


async def bump_event(event_id: int) -> int:
    return await Q.bump_event_sequence(event_id=event_id)


async def bump_session(session_id: int):
    """Grow an agenda session's SEQUENCE; returns the row (calendar_sequence, event)."""
    return await Q.bump_session_sequence(session_id=session_id)


async def bump_sessions(session_ids: list[int]) -> dict[int, int]:
    """Grow many agenda sessions' SEQUENCE in one statement; session id -> new SEQUENCE."""
    if not session_ids:
        return {}
    return {r["id"]: r["calendar_sequence"] for r in await Q.bump_sessions_sequence(session_ids=session_ids)}


async def bump_series(series_id: int) -> int:
    """Grow a meeting series' SEQUENCE (and the feed's DTSTAMP through updated_at)."""
    return await Q.bump_series_sequence(series_id=series_id)
