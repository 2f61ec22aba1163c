"""Certificates of attendance: how many hours a delegate attended, and the certificate's verification code. Pure.

The hours rule (one rule for the PDF, the verification page and the tests):

1. The event's scheduled hours, day by day, in the event's time zone: a one-day event runs from its start to its
   end. An event over several days runs each day from the start's wall-clock time to the end's (a congress from
   09:00 on Monday to 18:00 on Wednesday: 09:00-18:00 on each of the three days); when the end's clock time is not
   after the start's (an event that runs through the night) it runs without a break from start to end, cut at
   midnight into days.
2. A day the delegate was checked in at the door (any admitted scan that day, the first of the event or a later
   one counted as a duplicate) counts the event's scheduled hours of that day.
3. A session the delegate was checked in to counts the session's time, clipped to the event's start and end.
4. Time is counted once: the door days and the sessions are merged as intervals, so a session inside a day already
   counted at the door adds nothing, and two overlapping sessions count their union.
5. The total never exceeds the event's scheduled hours (rule 1). It is counted in whole minutes and shown in hours
   to two decimals at most (7.5, 12.25), as the reader's language writes numbers.
6. Check-ins that count no time (a door scan on a day without scheduled hours) certify nothing: no certificate.

Who: a confirmed registration, not erased, checked in at least once. The delegate may ask for it at any time
(it states the hours so far); organizers send them all once the event has ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from events_app.domain.security import purpose_token

# The purpose of the verification code's HMAC (domain.security): part of every certificate's URL already sent.
CERTIFICATE_PURPOSE = "certificate"
Span = tuple[datetime, datetime]


def scheduled_days(starts_at: datetime, ends_at: datetime, tzid: str) -> dict[date, Span]:
    """The event's scheduled time per local day (rule 1): {day: (start, end)}, aware datetimes."""
    zone = ZoneInfo(tzid)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    if end <= start:
        return {}
    if start.date() == end.date():
        return {start.date(): (start, end)}
    days: dict[date, Span] = {}
    day = start.date()
    daily = end.time() > start.time()
    while day <= end.date():
        if daily:
            opens = datetime.combine(day, start.time(), zone)
            closes = datetime.combine(day, end.time(), zone)
        else:
            opens = max(start, datetime.combine(day, time(0), zone))
            closes = min(end, datetime.combine(day + timedelta(days=1), time(0), zone))
        if closes > opens:
            days[day] = (opens, closes)
        day += timedelta(days=1)
    return days


def merged(spans: Iterable[Span]) -> list[Span]:
    """Intervals merged where they overlap or touch, in order."""
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def _minutes(spans: Iterable[Span]) -> int:
    return int(sum(((end - start) for start, end in spans), timedelta()).total_seconds() // 60)


@dataclass(frozen=True)
class Attended:
    """What a delegate attended: the local days checked in at the door, and the sessions checked in to."""

    door_days: frozenset[date]
    sessions: tuple[Span, ...] = ()

    @property
    def checked_in(self) -> bool:
        return bool(self.door_days or self.sessions)


def scheduled_minutes(starts_at: datetime, ends_at: datetime, tzid: str) -> int:
    return _minutes(scheduled_days(starts_at, ends_at, tzid).values())


def attended_minutes(starts_at: datetime, ends_at: datetime, tzid: str, attended: Attended) -> int:
    """Minutes attended by the rule above (rules 2-5)."""
    days = scheduled_days(starts_at, ends_at, tzid)
    spans = [days[d] for d in attended.door_days if d in days]
    spans += [(max(s, starts_at), min(e, ends_at)) for s, e in attended.sessions]
    return min(_minutes(merged(spans)), _minutes(days.values()))


def hours(minutes: int) -> float:
    """Minutes as hours, to two decimals at most (450 -> 7.5)."""
    return round(minutes / 60, 2)


def certificate_code(secret_key: str, nonce: str) -> str:
    """A certificate's verification code, from its stored nonce (128 random bits): HMAC under its own purpose, so
    it never equals a manage link or a check-in code. The database keeps the nonce and digest(code) only."""
    return purpose_token(secret_key, CERTIFICATE_PURPOSE, nonce)
