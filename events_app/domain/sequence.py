"""When a calendar object's SEQUENCE grows (RFC 5546 2.1.4). The one rule; services.platform.calendar_sequence
applies it.

Every calendar object (event, agenda session, meeting series) keeps one SEQUENCE for life:
- a change of anything its invite shows (domain.invite_shows: time, place, title, description, people, status)
  grows it by one, so every copy in people's calendars is replaced by the new REQUEST;
- a CANCEL always grows it, so the CANCEL outranks every REQUEST sent before;
- a REQUEST to someone who was sent a CANCEL for this object before (a cancelled or rejected registration, a
  cancelled booking) grows it, so the new invite outranks that CANCEL;
- anything else (another REQUEST, a message without calendar) leaves it as it is.
"""

from __future__ import annotations

from events_app.domain.ical import METHOD_CANCEL, METHOD_REQUEST

SEQUENCE_STEP = 1


def next_sequence(current: int, calendar_changed: bool) -> int:
    """The SEQUENCE after a change: one higher when people's calendar copies are outdated, otherwise the same."""
    return current + SEQUENCE_STEP if calendar_changed else current


def invite_grows_sequence(method: str | None, cancelled_before: bool) -> bool:
    """Whether sending an invite with `method` (REQUEST, CANCEL or None) must grow the SEQUENCE first:
    always for a CANCEL, for a REQUEST only when the recipient was sent a CANCEL for this object before."""
    return method == METHOD_CANCEL or (method == METHOD_REQUEST and cancelled_before)
