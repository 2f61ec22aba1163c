"""Bodies of the on-site routes: check-in staff, scans, synced batches, the offline list (msgspec)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta, Struct

from events_app.web.schemas import Strict

ScanId = Annotated[str, Meta(min_length=1, max_length=64)]
Device = Annotated[str, Meta(max_length=60)]


class CheckinStaffIn(Strict):
    email: Annotated[str, Meta(max_length=320)]
    desk: Device = ""


class CheckinStaffOut(Struct):
    account_id: int
    desk: str
    email: str
    name: str = ""


class ScanIn(Strict):
    """One scan: the code the camera read (or the registration found by name), the device's own id for the scan
    (a replay with the same id changes nothing), and when it happened on the device."""

    scan_id: ScanId
    code: Annotated[str, Meta(max_length=200)] = ""
    registration_id: int | None = None
    session_id: int | None = None  # a session room; none: the event's door
    device: Device = ""
    scanned_at: datetime | None = None


class SyncIn(Strict):
    scans: Annotated[list[ScanIn], Meta(max_length=500)]


class PersonSeen(Struct):
    """What check-in staff see of a person: nothing beyond name, organization and category."""

    registration_id: int | None = None
    name: str = ""
    organization: str = ""
    category: str = ""


class ScanOut(Struct):
    outcome: str  # admitted, duplicate, refused
    may_enter: bool
    reason: str  # empty when admitted; else unknown, other_event, cancelled, not_confirmed, replaced, erased, ...
    session_id: int
    session_title: str
    scanned_at: datetime
    person: PersonSeen
    first_checked_in_at: datetime | None
    first_device: str
    replayed: bool
    scan_id: str = ""


class SyncOut(Struct):
    received: int
    admitted: int
    duplicates: int
    refused: int
    replayed: int
    results: list[ScanOut]


class ListedPerson(Struct):
    registration_id: int
    code_hash: str  # SHA-256 (hex) of the check-in code: the desk hashes what it scans and looks it up
    state: str  # confirmed, cancelled, pending, waitlisted, offered, rejected, replaced
    name: str
    organization: str
    category: str
    checked_in_at: datetime | None  # at the list's place (the door, or its session)
    device: str
    booking: str = ""  # of the list's session: booked, waitlisted, or empty


class CheckinListOut(Struct):
    event_id: int
    event_title: str
    desk: str
    generated_at: datetime
    registered: int
    checked_in: int
    people: list[ListedPerson]
    session_id: int = 0  # the place: 0 the door, else a session room
    session_title: str = ""
    requires_booking: bool = False
    places: int | None = None  # the session's places (None: unlimited)
    taken: int = 0  # places taken by bookings and walk-ins


class CheckinPlace(Struct):
    """A session a desk can check in at."""

    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    room: str
    requires_booking: bool
    places: int | None
    taken: int


class FoundPerson(Struct):
    registration_id: int
    state: str
    name: str
    organization: str
    category: str
    checked_in_at: datetime | None
    device: str


class AttendanceRow(Struct):
    label: str
    registered: int
    checked_in: int
    rate: int  # percent of the registered who checked in
    code: str = ""  # the country's ISO code (by country), the CLDR region code (by region)
    country: str = ""  # the organization's country (by organization)
    kind: str = ""
    membership: str = ""


class AttendanceOut(Struct):
    event_id: int
    registered: int
    checked_in: int
    by_category: list[AttendanceRow]
    by_organization: list[AttendanceRow]
    by_country: list[AttendanceRow]
    by_region: list[AttendanceRow]  # the countries' continents (code: CLDR region, e.g. 002 Africa)


class BadgeStyleIn(Strict):
    colour: Annotated[str, Meta(max_length=7)] = "#1f4e79"
    fields: Annotated[list[str], Meta(max_length=10)] = msgspec.field(
        default_factory=lambda: ["name", "organization", "country", "category", "delegation", "qr"]
    )


class BadgeStyleOut(Struct):
    category_id: int
    colour: str
    fields: list[str]
