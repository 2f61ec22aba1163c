"""Typed rows of the events' named queries (`-- record_class:` in queries.sql). The event row itself is defined
with the agenda's rows (the agenda reads events too and sits below this package)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from events_app.services.agenda.rows import EventRow

__all__ = ["ROWS", "CategoryRow", "EventRow", "OrganizedEventRow"]


class CategoryRow(msgspec.Struct, frozen=True):
    """A registration category of an event."""

    id: int
    event: int
    code: str
    name: str
    quota: int | None
    confirmed_count: int
    requires_approval: bool
    eligibility: str
    position: int
    opens_at: datetime | None
    closes_at: datetime | None


class OrganizedEventRow(msgspec.Struct, frozen=True):
    """An event on its organizer's dashboard, with registration and mail counts."""

    id: int
    title: str
    kind: str
    status: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    city: str
    country: str | None
    capacity: int | None
    confirmed_count: int
    confirmed: int
    pending: int
    waiting: int
    cancelled: int
    pending_updates: int
    failed_messages: int


ROWS: tuple[type, ...] = (CategoryRow, EventRow, OrganizedEventRow)
