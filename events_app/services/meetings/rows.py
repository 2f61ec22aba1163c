"""Typed rows of pilot projects and meeting series, as the named queries of queries.sql return them.

Each struct names the columns its callers read; a query may select more (they are ignored). The stored override of
one occurrence comes back as the domain's `Override`, so the calendar code receives it as it computes with it.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import msgspec

from events_app.domain.meetings import Override

__all__ = ["ROWS", "ActionRow", "InvitationRow", "Override", "ProjectRow", "SeriesRow"]


class ProjectRow(msgspec.Struct, frozen=True):
    """A pilot project (pilot_project row)."""

    id: int
    title: str
    theme: str
    description: str
    coordinating_organization: int | None
    organizer_email: str
    organizer_name: str
    feed_nonce: str
    feed_hash: str
    created_at: datetime
    updated_at: datetime
    status: str = "active"
    cancelled_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return msgspec.structs.asdict(self)


class SeriesRow(msgspec.Struct, frozen=True):
    """A meeting series (meeting_series row): wall-clock start in its zone, RRULE, UID and SEQUENCE."""

    id: int
    project: int
    title: str
    description: str
    mode: str
    location: str
    online_url: str
    timezone: str
    start_local: datetime  # naive wall-clock time in `timezone`
    duration_minutes: int
    rrule: str | None
    first_start: datetime
    last_end: datetime
    host_rotation: list[int]
    status: str
    calendar_uid: uuid.UUID
    calendar_sequence: int
    created_at: datetime
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return msgspec.structs.asdict(self)


class InvitationRow(msgspec.Struct, frozen=True):
    """An invitation to a series (meeting_invitee row) with the invited person's name, address and time zone."""

    id: int
    series: int
    person: int
    organization: int | None
    invited_at: datetime
    withdrawn_at: datetime | None
    name: str
    email: str
    person_timezone: str | None


class ActionRow(msgspec.Struct, frozen=True):
    """An action item (meeting_action row), with its owner's name and organization where the query joins them."""

    id: int
    series: int
    raised_at: datetime
    title: str
    owner: int | None
    due_date: date | None
    done_at: datetime | None
    owner_name: str | None = None
    owner_organization: str | None = None


# Every row type queries.sql names: each module loads the file with all of them (an unknown name would give Records).
ROWS = (ActionRow, InvitationRow, Override, ProjectRow, SeriesRow)
