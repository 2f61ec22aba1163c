"""Request and response bodies of the agenda (msgspec). Requests refuse unknown fields (Strict)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from events_app.domain.vocab import BookingStatus, SessionKind, SessionStatus
from events_app.domain.vocab import SessionRole as Role
from events_app.web.schemas import Strict, Text200, Text300, Text500, present

Color = Annotated[str, Meta(pattern=r"^#[0-9a-f]{6}$", description="lower-case hex, e.g. #2e7d32")]
Capacity = Annotated[int, Meta(ge=0)]
Abstract = Annotated[str, Meta(max_length=20000)]
Language = Annotated[str, Meta(max_length=10, description="language code, e.g. en, es, pt-BR")]


class RoomCreate(Strict):
    name: Text200
    capacity: Capacity | None = None
    accessibility: Annotated[str, Meta(max_length=2000, description="step-free access, hearing loop...")] = ""


class RoomUpdate(Strict):
    name: Text200 | UnsetType = UNSET
    capacity: Capacity | None | UnsetType = UNSET
    accessibility: Annotated[str, Meta(max_length=2000)] | UnsetType = UNSET


class RoomOut(Struct):
    id: int
    name: str
    capacity: int | None
    accessibility: str
    guid: str


class TrackCreate(Strict):
    name: Text200
    color: Color
    slug: Annotated[str, Meta(max_length=60, description="derived from the name when left out")] | None = None


class BiographyIn(Strict):
    """What the organizers write about a speaker for this event (plain text; blank lines separate paragraphs; an
    empty text removes it)."""

    biography: Annotated[str, Meta(max_length=20000)]


class BiographyOut(Struct):
    person_id: int
    biography: str


class TrackUpdate(Strict):
    name: Text200 | UnsetType = UNSET
    color: Color | UnsetType = UNSET
    slug: Annotated[str, Meta(max_length=60)] | UnsetType = UNSET


class TrackOut(Struct):
    id: int
    name: str
    slug: str
    color: str


class PersonRef(Strict):
    """An existing person (person_id), or one found or created by email (with name and organization)."""

    role: Role = "speaker"
    person_id: int | None = None
    email: Annotated[str, Meta(max_length=320)] | None = None
    name: Text200 | None = None
    organization_id: int | None = None


class SessionCreate(Strict):
    title: Text300
    kind: SessionKind
    starts_at: Annotated[datetime, Meta(description="with offset, or wall-clock time in the event's zone")]
    ends_at: datetime
    room_id: int | None = None
    track_id: int | None = None
    language: Language = "en"
    online_url: Text500 = ""
    abstract: Abstract = ""
    status: Literal["draft", "published"] = "published"
    requires_booking: bool = False
    capacity: Annotated[int, Meta(ge=0, description="never above the room's; null: the room's")] | None = None
    people: list[PersonRef] = []


class SessionUpdate(Strict):
    title: Text300 | UnsetType = UNSET
    kind: SessionKind | UnsetType = UNSET
    starts_at: datetime | UnsetType = UNSET
    ends_at: datetime | UnsetType = UNSET
    room_id: int | None | UnsetType = UNSET
    track_id: int | None | UnsetType = UNSET
    language: Language | UnsetType = UNSET
    online_url: Text500 | UnsetType = UNSET
    abstract: Abstract | UnsetType = UNSET
    status: SessionStatus | UnsetType = UNSET
    requires_booking: bool | UnsetType = UNSET
    capacity: Capacity | None | UnsetType = UNSET


def session_fields(data: SessionCreate | SessionUpdate) -> dict[str, Any]:
    """The fields a client sent, people as plain dicts."""
    fields = present(data)
    if "people" in fields:
        fields["people"] = [present(p) for p in fields["people"]]
    return fields


class RoomRef(Struct):
    id: int
    name: str


class TrackRef(Struct):
    id: int
    name: str
    slug: str
    color: str


class PersonInRoleOut(Struct):
    person_id: int
    name: str
    role: str
    organization: str | None


class SessionOut(Struct):
    id: int
    event_id: int
    guid: str
    calendar_uid: str
    calendar_sequence: int
    title: str
    kind: str
    abstract: str
    starts_at: datetime
    ends_at: datetime
    room: RoomRef | None
    track: TrackRef | None
    language: str
    online_url: str
    status: str
    requires_booking: bool
    capacity: int | None
    booked_count: int
    seats_left: int | None
    waitlisted_count: int
    people: list[PersonInRoleOut]
    updated_at: datetime


class SessionChangeOut(SessionOut):
    """A session as a change (PATCH) left it, with what the change did to its bookings."""

    bookings_not_restored: Annotated[
        int,
        Meta(
            description="in the answer of the change that brings a cancelled session back (published or draft): "
            "how many delegates did not get their booking or waiting-list place of it back, because it would "
            "overlap a session they booked (or wait for) meanwhile; they are told by email. 0 otherwise"
        ),
    ] = 0
    bookers_now_clashing: Annotated[
        int,
        Meta(
            description="in the answer of the change that moves a published session in time: how many delegates "
            "with a booking or waiting-list place of it now also hold one of another session (not cancelled) at an "
            "overlapping time. Their places stay and their agenda shows the clash; the organizer may want to tell "
            "them or move a session again. 0 otherwise"
        ),
    ] = 0


class ConflictSessionOut(Struct):
    id: int | None
    title: str
    starts_at: str
    ends_at: str
    room_id: int | None


class ConflictOut(Struct):
    rule: Literal["room", "person", "outside_event"]
    detail: str
    room_id: int | None
    person_id: int | None
    sessions: list[ConflictSessionOut]


class ChangeOut(Struct):
    id: int
    session_id: int | None
    session_title: str | None
    action: str
    changes: dict[str, Any]
    calendar_sequence: int | None
    account_id: int | None
    actor: str
    created_at: datetime


class AffectedOut(Struct):
    person_id: int
    email: str
    name: str
    language: str
    registration_id: int | None
    reasons: list[str]


class AvailabilityOut(Struct):
    session_id: int
    capacity: int | None
    booked_count: int
    seats_left: int | None
    waitlisted_count: int


class BookingOut(Struct):
    session_id: int
    title: str
    status: BookingStatus
    session_status: str
    starts_at: datetime
    ends_at: datetime
    waitlist_position: int | None
    booked_at: datetime


class ImportedSessionOut(Struct):
    guid: str
    title: str
    result: str  # created, updated, unchanged
    stays_cancelled: bool = False  # in the file, but cancelled here: an import does not restore it


class RemovedSessionOut(Struct):
    id: int
    guid: str
    title: str
    status: str  # before the import
    action: str  # kept, cancelled, already cancelled


class ImportWarningOut(Struct):
    field: str  # where in the file, naming the session (as the errors of a file that cannot be read do)
    message: str  # what to check, e.g. a <start> that disagrees with the session's <date>


class ImportOut(Struct):
    created: int
    updated: int
    unchanged: int
    not_in_file: int
    duplicates_skipped: int
    rooms_created: int
    tracks_created: int
    people_created: int
    conflicts: int
    removed_cancelled: int = 0
    people_updated: int = 0
    kept_cancelled: int = 0
    bookers_now_clashing: Annotated[
        int,
        Meta(
            description="how many delegates with a booking or waiting-list place of a published session the file "
            "moves in time then also hold one of another session (not cancelled) at an overlapping time; their "
            "places stay, as for a move by hand (in a dry run: would)"
        ),
    ] = 0
    dry_run: bool = False
    removed: list[RemovedSessionOut] = []
    sessions: list[ImportedSessionOut] = []
    warnings: list[ImportWarningOut] = []  # read in spite of them: the file is imported, its organizer checks them
