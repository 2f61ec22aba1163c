"""On site: whether a person may enter (the door or a session room), and which scan counts. Pure: the service reads
the facts (the code's registration, its check-in so far, the session's places) and these functions decide, so the
online desk, the sync of offline scans and the tests apply one rule.

A check-in code is an HMAC of a stored random nonce (domain.security.checkin_token); the database keeps its SHA-256
only. A code admits when its registration is confirmed, for this event, the code is the registration's live one
(issued for its current category: moving the registration to another category changes the badge, so the old code
stops working) and the registration was not erased. Every scan is kept; the first admitted one wins and later ones
are duplicates, shown to staff as "already checked in at 08:41 by desk 3".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

CODE_LENGTH = 43  # URL-safe base64 of an HMAC-SHA256, without padding
CODE_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
# A device's clock may be off, and an offline scan is sent late: a scan time in the future beyond this is not
# believed (the time it reached the server is used), and neither is one from before the desks open, DESKS_OPEN
# before the event starts (badges are often handed out the day before): a device whose clock was reset, or one
# back-dating its scans to win "first scan", cannot take an admission from a scan that really came first.
CLOCK_SKEW = timedelta(minutes=5)
DESKS_OPEN = timedelta(days=2)
DOOR = 0  # the `session` of a check-in at the event's door
# The registrations a desk can find by name (the search) and so check in by their id: rejected and erased ones are
# not staff's business (a scan naming one by id is answered as unknown, like another event's).
NAMEABLE_STATUSES = frozenset({"confirmed", "cancelled", "pending", "waitlisted", "offered"})


class Outcome(StrEnum):
    ADMITTED = "admitted"
    DUPLICATE = "duplicate"
    REFUSED = "refused"


class Reason(StrEnum):
    """Why a scan did not admit: shown to staff in their language."""

    NONE = ""
    UNKNOWN = "unknown"  # forged, mistyped, or a code that never existed
    OTHER_EVENT = "other_event"  # a genuine code of another event
    CANCELLED = "cancelled"
    NOT_CONFIRMED = "not_confirmed"  # pending approval, on the waiting list, offered, rejected
    REPLACED = "replaced"  # the registration moved to another category (new badge) or the code was reissued
    ERASED = "erased"
    NOT_BOOKED = "not_booked"  # a session that needs booking, not booked by them, and full
    OTHER_SESSION = "other_session"  # a session not of this event
    ALREADY = "already"  # duplicate: checked in before


class Method(StrEnum):
    CODE = "code"
    NAME = "name"


def looks_like_code(text: str) -> bool:
    """Whether a scanned text can be a check-in code at all (checked before any lookup)."""
    return len(text) == CODE_LENGTH and set(text) <= CODE_ALPHABET


@dataclass(frozen=True)
class CodeFacts:
    """What the database says about a scanned code (or a registration found by name)."""

    event_id: int
    status: str  # the registration's status
    code_live: bool  # not revoked, and issued for the registration's current category
    erased: bool


def registration_verdict(facts: CodeFacts | None, event_id: int) -> Reason:
    """Whether the registration a code (or a name) found may enter the event `event_id`: Reason.NONE when it may."""
    if facts is None:
        return Reason.UNKNOWN
    if facts.event_id != event_id:
        return Reason.OTHER_EVENT
    if facts.erased:
        return Reason.ERASED
    if facts.status == "cancelled":
        return Reason.CANCELLED
    if facts.status != "confirmed":
        return Reason.NOT_CONFIRMED
    if not facts.code_live:
        return Reason.REPLACED
    return Reason.NONE


@dataclass(frozen=True)
class SessionFacts:
    """A session room's check-in: whether it needs booking, the person's booking, and its places."""

    requires_booking: bool
    booking: str | None  # 'booked', 'waitlisted' or None
    places: int | None  # the session's capacity (or its room's), None: unlimited
    taken: int  # places taken: bookings, and walk-ins admitted at the room's door


def session_verdict(session: SessionFacts) -> Reason:
    """A confirmed delegate enters a session room when it needs no booking, when they booked it or wait for it,
    or as a walk-in while places remain (see takes_place)."""
    if not session.requires_booking or session.booking in ("booked", "waitlisted"):
        return Reason.NONE
    if session.places is None or session.taken < session.places:
        return Reason.NONE
    return Reason.NOT_BOOKED


def takes_place(session: SessionFacts) -> bool:
    """Whether admitting this person takes one of the session's places: a walk-in (no booking, no place on the
    waiting list) at a session that needs booking. Booked people hold their place already; waiting people enter
    without taking one (the organizers chose to admit the waiting list at the door)."""
    return session.requires_booking and session.booking not in ("booked", "waitlisted")


def scan_time(claimed: datetime | None, received: datetime, event_starts: datetime | None = None) -> datetime:
    """When a scan happened: the device's time, unless missing, ahead of the server by more than CLOCK_SKEW, or
    from before the desks open (DESKS_OPEN before the event starts); then the time the server received it."""
    if claimed is None or claimed.tzinfo is None or claimed > received + CLOCK_SKEW:
        return received
    if event_starts is not None and claimed < event_starts - DESKS_OPEN:
        return received
    return claimed


def outcome(reason: Reason, first_at: datetime | None, scanned_at: datetime) -> Outcome:
    """The outcome of one scan: refused with a reason, else admitted when no earlier admitted scan exists (first
    scan wins, by the time it happened, whenever it reached the server), else a duplicate."""
    if reason is not Reason.NONE:
        return Outcome.REFUSED
    if first_at is not None and first_at <= scanned_at:
        return Outcome.DUPLICATE
    return Outcome.ADMITTED


def normalize_name(text: str) -> str:
    """A name as the search by name compares it: case-folded, accents kept (PostgreSQL compares the same way)."""
    return " ".join(text.casefold().split())
