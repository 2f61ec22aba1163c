"""Request and response bodies of pilot projects and meeting series (msgspec)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from msgspec import UNSET, Meta, Struct, UnsetType

from events_app.domain.vocab import DecisionStatus
from events_app.domain.vocab import MeetingMode as Mode
from events_app.web.schemas import Strict, Text200, Text300, Text500

Email = Annotated[str, Meta(max_length=320)]
Answer = Literal["accepted", "declined", "tentative"]
OccurrenceId = Annotated[str, Meta(max_length=16, description="original start in UTC, e.g. 20261006T120000Z")]


class ProjectCreate(Strict):
    title: Text300
    theme: Text200 = ""
    description: Annotated[str, Meta(max_length=20000)] = ""
    coordinating_organization_id: int | None = None
    organizer_email: Annotated[
        Email,
        Meta(
            description="organizer mailbox of the invites: each invitee's ORGANIZER is "
            "its plus-address local+r<token>@domain, where iMIP REPLYs "
            "arrive (unless REPLY_MAILBOX is set)"
        ),
    ] = ""
    organizer_name: Text200 = ""


class ProjectUpdate(Strict):
    title: Text300 | UnsetType = UNSET
    theme: Text200 | UnsetType = UNSET
    description: Annotated[str, Meta(max_length=20000)] | UnsetType = UNSET
    organizer_email: Email | UnsetType = UNSET
    organizer_name: Text200 | UnsetType = UNSET


class ContactIn(Strict):
    email: Email
    name: Text200
    language: Annotated[str, Meta(max_length=10)] = "en"
    timezone: Annotated[str, Meta(max_length=64)] | None = None


class ContactCreate(ContactIn, kw_only=True):
    organization_id: int


class MemberCreate(Strict):
    organization_id: int
    contacts: list[ContactIn] = []


class CoordinatorCreate(Strict):
    email: Email


class ContactOut(Struct):
    person_id: int
    email: str
    name: str
    language: str
    timezone: str | None
    joined_at: datetime


class MemberOut(Struct):
    organization_id: int
    name: str
    kind: str
    country: str
    joined_at: datetime
    contacts: list[ContactOut]


class CoordinatorOut(Struct):
    id: int
    email: str
    name: str
    role: str


class ProjectOut(Struct):
    id: int
    title: str
    theme: str
    description: str
    coordinating_organization_id: int | None
    organizer_email: str
    organizer_name: str
    feed_url: str
    coordinators: list[CoordinatorOut]
    members: list[MemberOut]
    created_at: datetime
    status: str = "active"
    cancelled_at: datetime | None = None


class InboundReplyOut(Struct):
    """One iMIP message received about a series of the project: recorded as an answer or rejected, and why."""

    id: int
    received_at: datetime
    series_id: int
    series_title: str
    sender: Annotated[str, Meta(description="the From address (anyone can write it: it proves nothing)")]
    attendee: Annotated[str, Meta(description="the ATTENDEE as the reply wrote it")]
    partstat: str
    recurrence_id: datetime | None
    outcome: Annotated[str, Meta(description="accepted (the answer counts) or rejected")]
    reason_code: Annotated[
        str,
        Meta(
            description="why it was rejected: no-token, bad-token, other-series, "
            "other-invitee, withdrawn, unknown-uid, ...; empty if accepted"
        ),
    ]
    reason: str
    explanation: Annotated[str, Meta(description="the reason code in a sentence")]


class ProposalOut(Struct):
    """Another time an attendee proposed (Google's or Outlook's COUNTER, an iOS proposal in a REPLY)."""

    id: int
    series_id: int
    series_title: str
    person_id: int
    name: str
    email: str
    recurrence_id: Annotated[datetime | None, Meta(description="the meeting it is about; null: the whole series")]
    proposed_start: datetime
    proposed_end: datetime
    comment: str
    method: Annotated[str, Meta(description="COUNTER, or REPLY for a proposal inside an answer")]
    status: Annotated[
        DecisionStatus, Meta(description="pending, accepted (the meeting moved) or declined (DECLINECOUNTER)")
    ]
    received_at: datetime
    decided_at: datetime | None


class DelegationOut(Struct):
    """An invitee handed their place on (RFC 5546 4.2.5) in a calendar reply."""

    id: int
    series_id: int
    series_title: str
    delegator_id: int
    delegator_name: str
    delegator_email: str
    delegate_email: str
    delegate_name: str
    delegate_id: int | None
    status: Annotated[DecisionStatus, Meta(description="pending (the coordinators decide), accepted or declined")]
    received_at: datetime
    decided_at: datetime | None


class DecisionIn(Strict):
    accept: Annotated[bool, Meta(description="true: accept; false: decline")]


class DelegationPolicy(Strict):
    allow_delegation: Annotated[
        bool, Meta(description="true: a delegate named in a reply joins at once; false: the coordinators decide")
    ]


class AgendaItem(Strict):
    title: Text300
    duration_minutes: int | None = None
    presenter: Text200 = ""


class SeriesCreate(Strict):
    title: Text300
    mode: Mode
    timezone: Annotated[str, Meta(max_length=64, description="IANA zone of the wall-clock times, e.g. Europe/Berlin")]
    start: Annotated[datetime, Meta(description="first occurrence; without offset = wall-clock time in `timezone`")]
    duration_minutes: int
    rrule: (
        Annotated[
            str,
            Meta(max_length=300, description="e.g. FREQ=MONTHLY;BYDAY=1TU;UNTIL=20271231; omit for a one-off meeting"),
        ]
        | None
    ) = None
    description: Annotated[str, Meta(max_length=20000)] = ""
    location: Text500 = ""
    online_url: Text500 = ""
    agenda: list[AgendaItem] = []
    host_rotation: Annotated[list[int], Meta(description="organization ids of the cohort, hosting in turn")] = []


class SeriesUpdate(Strict):
    title: Text300 | UnsetType = UNSET
    mode: Mode | UnsetType = UNSET
    timezone: Annotated[str, Meta(max_length=64)] | UnsetType = UNSET
    start: datetime | UnsetType = UNSET
    duration_minutes: int | UnsetType = UNSET
    rrule: Annotated[str, Meta(max_length=300)] | None | UnsetType = UNSET
    description: Annotated[str, Meta(max_length=20000)] | UnsetType = UNSET
    location: Text500 | UnsetType = UNSET
    online_url: Text500 | UnsetType = UNSET
    agenda: list[AgendaItem] | UnsetType = UNSET
    host_rotation: list[int] | UnsetType = UNSET


class AgendaItemOut(Struct):
    title: str
    duration_minutes: int | None
    presenter: str


class SeriesOut(Struct):
    id: int
    project_id: int
    title: str
    description: str
    mode: str
    location: str
    online_url: str
    timezone: str
    start: datetime
    duration_minutes: int
    rrule: str | None
    status: str
    calendar_uid: str
    calendar_sequence: int
    agenda: list[AgendaItemOut]
    host_rotation: list[int]
    occurrence_count: int
    invitee_count: int


class OccurrenceOut(Struct):
    id: str
    index: int
    original_start: datetime
    starts_at: datetime
    ends_at: datetime
    status: str
    location: str
    online_url: str
    host_organization_id: int | None


class OccurrenceChange(Strict):
    starts_at: Annotated[datetime, Meta(description="without offset = wall-clock time in the series' zone")] | None = (
        None
    )
    ends_at: datetime | None = None
    location: Text500 | None = None
    online_url: Text500 | None = None


class ResponseOut(Struct):
    person_id: int
    name: str
    email: str
    organization_id: int | None
    organization_name: str | None
    partstat: str


class ResponsesOut(Struct):
    occurrence: OccurrenceOut
    counts: dict[str, int]
    people: list[ResponseOut]


class MinutesIn(Strict):
    minutes: Annotated[str, Meta(max_length=100000)]


class AttendanceIn(Strict):
    person_ids: list[int]


class ActionCreate(Strict):
    title: Text500
    owner_person_id: int | None = None
    due_date: date | None = None


class ActionUpdate(Strict):
    title: Text500 | UnsetType = UNSET
    due_date: date | None | UnsetType = UNSET
    done: bool | UnsetType = UNSET


class ActionOut(Struct):
    id: int
    title: str
    raised_in: str
    owner_person_id: int | None
    owner_name: str | None
    owner_organization: str | None
    due_date: date | None
    done: bool
    done_at: datetime | None
    carried_over: bool | UnsetType = UNSET


class AttendeeOut(Struct):
    person_id: int
    name: str
    organization_id: int | None
    organization_name: str | None


class OccurrenceRecordOut(Struct):
    occurrence: OccurrenceOut
    minutes: str
    attendance: list[AttendeeOut]
    actions: list[ActionOut]


class RsvpIn(Strict):
    answer: Answer
    occurrence: OccurrenceId | None = None


class RsvpOccurrenceOut(OccurrenceOut):
    partstat: str


class RsvpOut(Struct):
    series_id: int
    title: str
    status: str
    timezone: str
    name: str
    series_partstat: str
    occurrences: list[RsvpOccurrenceOut]
