"""Who may register and what status a new registration takes. Pure: callers pass the locked counters in."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from events_app.domain.errors import Conflict


@dataclass(frozen=True)
class Seats:
    """Counters read under the event row's lock."""

    event_capacity: int | None
    event_confirmed: int
    category_quota: int | None
    category_confirmed: int

    @property
    def available(self) -> bool:
        event_ok = self.event_capacity is None or self.event_confirmed < self.event_capacity
        category_ok = self.category_quota is None or self.category_confirmed < self.category_quota
        return event_ok and category_ok


def check_registration_open(status: str, opens_at: datetime | None, closes_at: datetime | None,
                            now: datetime) -> None:
    """Raise Conflict unless the event accepts registrations at `now`."""
    if status != "published":
        raise Conflict("this event is not open for registration (it is not published)", "event")
    if opens_at is not None and now < opens_at:
        raise Conflict(f"registration opens at {opens_at.isoformat()}", "event")
    if closes_at is not None and now >= closes_at:
        raise Conflict(f"registration closed at {closes_at.isoformat()}", "event")


def initial_status(seats: Seats, requires_approval: bool) -> str:
    """confirmed when a seat is free; pending when an organizer must approve; Conflict when full."""
    if not seats.available:
        raise Conflict("no seats left in this category or event", "category")
    return "pending" if requires_approval else "confirmed"
