"""Request and response bodies (msgspec). Unknown fields are refused so a typo never passes silently."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from events_app.domain.vocab import (
    Eligibility,
    EventKind,
    EventStatus,
    MembershipStatus,
    OrganizationKind,
    QuestionKind,
    RegistrationStatus,
    WaitlistMode,
)

Text200 = Annotated[str, Meta(max_length=200)]
Text300 = Annotated[str, Meta(max_length=300)]
Text500 = Annotated[str, Meta(max_length=500)]


class Strict(Struct, forbid_unknown_fields=True, kw_only=True):
    pass


def present(struct: Struct) -> dict:
    """The fields a client actually sent (UNSET ones dropped)."""
    return {k: v for k, v in msgspec.structs.asdict(struct).items() if v is not UNSET}


class LoginIn(Strict):
    email: Annotated[str, Meta(max_length=320)]
    password: Annotated[str, Meta(max_length=500)]


class LoginOut(Struct):
    token: str
    token_type: str
    expires_at: datetime
    email: str
    name: str


class EventCreate(Strict):
    title: Text300
    kind: EventKind
    timezone: Annotated[str, Meta(max_length=64, description="IANA time zone, e.g. Europe/Bonn")]
    starts_at: Annotated[datetime, Meta(description="with offset, or wall-clock time in the event's zone")]
    ends_at: datetime
    description: Annotated[str, Meta(max_length=20000)] = ""
    venue_name: Text300 = ""
    venue_address: Text500 = ""
    city: Annotated[str, Meta(max_length=120)] = ""
    country: Annotated[str, Meta(min_length=2, max_length=2, description="ISO 3166 alpha-2")] | None = None
    online_url: Text500 = ""
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    capacity: int | None = None
    organizer_email: Annotated[str, Meta(max_length=320)] = ""
    organizer_name: Text200 = ""
    waitlist_mode: WaitlistMode = "auto"
    offer_hours: int = 48
    update_delay_minutes: Annotated[
        int, Meta(description="calendar changes within this window go out as one update per person")
    ] = 10
    reminder_hours: list[int] = msgspec.field(default_factory=lambda: [24])
    reply_to: Annotated[str, Meta(max_length=320)] = ""
    session_reminder_minutes: Annotated[int, Meta(ge=0, le=1440)] = 30
    office_id: Annotated[int | None, Meta(description="regional office whose staff also manage the event")] = None


class EventUpdate(Strict):
    title: Text300 | UnsetType = UNSET
    kind: EventKind | UnsetType = UNSET
    timezone: Annotated[str, Meta(max_length=64)] | UnsetType = UNSET
    starts_at: datetime | UnsetType = UNSET
    ends_at: datetime | UnsetType = UNSET
    description: Annotated[str, Meta(max_length=20000)] | UnsetType = UNSET
    venue_name: Text300 | UnsetType = UNSET
    venue_address: Text500 | UnsetType = UNSET
    city: Annotated[str, Meta(max_length=120)] | UnsetType = UNSET
    country: Annotated[str, Meta(min_length=2, max_length=2)] | None | UnsetType = UNSET
    online_url: Text500 | UnsetType = UNSET
    registration_opens_at: datetime | None | UnsetType = UNSET
    registration_closes_at: datetime | None | UnsetType = UNSET
    capacity: int | None | UnsetType = UNSET
    organizer_email: Annotated[str, Meta(max_length=320)] | UnsetType = UNSET
    organizer_name: Text200 | UnsetType = UNSET
    waitlist_mode: WaitlistMode | UnsetType = UNSET
    offer_hours: int | UnsetType = UNSET
    update_delay_minutes: int | UnsetType = UNSET
    reminder_hours: list[int] | UnsetType = UNSET
    reply_to: Annotated[str, Meta(max_length=320)] | UnsetType = UNSET
    session_reminder_minutes: Annotated[int, Meta(ge=0, le=1440)] | UnsetType = UNSET
    office_id: int | None | UnsetType = UNSET


class CategoryCreate(Strict):
    code: Annotated[str, Meta(max_length=40, description="short identifier, e.g. 'delegate'")]
    name: Text200
    quota: int | None = None
    requires_approval: bool = False
    eligibility: Eligibility = "anyone"
    opens_at: datetime | None = None
    closes_at: datetime | None = None


class CategoryUpdate(Strict):
    name: Text200 | UnsetType = UNSET
    quota: int | None | UnsetType = UNSET
    requires_approval: bool | UnsetType = UNSET
    eligibility: Eligibility | UnsetType = UNSET
    opens_at: datetime | None | UnsetType = UNSET
    closes_at: datetime | None | UnsetType = UNSET


class QuestionCreate(Strict):
    code: Annotated[str, Meta(max_length=40)]
    label: Text300
    kind: QuestionKind
    required: bool = False
    options: list[Text200] = []


class QuestionOut(Struct):
    id: int
    code: str
    label: str
    kind: str
    required: bool
    options: list[str]
    position: int


class CategoryOut(Struct):
    id: int
    code: str
    name: str
    quota: int | None
    seats_left: int | None
    confirmed_count: int
    requires_approval: bool
    eligibility: str
    opens_at: datetime | None
    closes_at: datetime | None


class EventOut(Struct):
    id: int
    title: str
    kind: str
    description: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    venue_name: str
    venue_address: str
    city: str
    country: str | None
    online_url: str
    status: EventStatus
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    registration_open: bool
    capacity: int | None
    seats_left: int | None
    confirmed_count: int
    waitlist_mode: str
    offer_hours: int
    update_delay_minutes: int
    reminder_hours: list[int]
    reply_to: str
    session_reminder_minutes: int
    office_id: int | None
    categories: list[CategoryOut]
    questions: list[QuestionOut]


class RegistrationCreate(Strict):
    email: Annotated[str, Meta(max_length=320)]
    name: Text200
    category: Annotated[str, Meta(max_length=40, description="a category code of the event")]
    consent: Annotated[
        bool,
        Meta(
            description="true: the person accepts the privacy policy (its version is "
            "recorded with the registration); required"
        ),
    ]
    organization_id: int | None = None
    language: Annotated[str, Meta(max_length=10)] = "en"
    timezone: Annotated[str, Meta(max_length=64)] | None = None
    answers: dict[str, Any] = {}
    invitation_token: Annotated[str, Meta(max_length=100)] | None = None
    access_code: Annotated[str, Meta(max_length=40)] | None = None


class AnswersIn(Strict):
    answers: Annotated[
        dict[str, Any],
        Meta(
            description="every answer, by question code; a question left out "
            "loses its answer (required ones must be present)"
        ),
    ]


class RegistrationOut(Struct):
    id: int
    event_id: int
    event_title: str
    status: RegistrationStatus
    category: str
    category_name: str
    email: str
    name: str
    language: str
    organization_id: int | None
    organization_name: str | None
    organization_country: str | None
    created_at: datetime
    cancelled_at: datetime | None
    cancel_reason: str
    waitlist_position: int | None
    offer_expires_at: datetime | None
    delegation_id: int | None
    answers: dict[str, Any]
    consent_version: str | None
    consent_at: datetime | None


class RegistrationCreated(RegistrationOut):
    # Both empty in a members- or partners-only category entered without an invitation or access code: the link
    # (with the ticket) is mailed to the address only, whose mailbox is the proof of membership.
    manage_token: str
    manage_url: str


class OrganizationOut(Struct):
    id: int
    name: str
    kind: OrganizationKind
    country: str
    membership_status: MembershipStatus


class OrganizationDomainsIn(Strict):
    """The organization's email domains (the part after '@'); replaces the registered list."""

    domains: Annotated[list[Annotated[str, Meta(max_length=253)]], Meta(max_length=50)]


class OrganizationDomainsOut(Struct):
    organization_id: int
    name: str
    domains: list[str]


class HealthOut(Struct):
    status: str
    database: str
    broker: str


class ResendLinkIn(Strict):
    email: Annotated[str, Meta(max_length=320)]


class RejectIn(Strict):
    reason: Annotated[str, Meta(max_length=1000)] = ""


class MoveIn(Strict):
    category: Annotated[str, Meta(max_length=40)]


class CategoryCount(Struct):
    code: str
    name: str
    quota: int | None
    seats_taken: int
    confirmed: int
    offered: int
    pending: int
    waitlisted: int
    cancelled: int
    rejected: int


class OrganizationCount(Struct):
    organization_id: int
    name: str
    kind: str
    country: str
    active: int
    confirmed: int


class CountryCount(Struct):
    country: str
    country_name: str
    active: int
    confirmed: int


class RegistrationCounts(Struct):
    categories: list[CategoryCount]
    organizations: list[OrganizationCount]
    countries: list[CountryCount]


class DelegationCreate(Strict):
    organization_id: int
    category: Annotated[str, Meta(max_length=40)]
    seats: int
    head_email: Annotated[str, Meta(max_length=320)]
    head_name: Text200
    head_language: Annotated[str, Meta(max_length=10)] = "en"


class DelegationSeats(Strict):
    seats: int


class MemberIn(Strict):
    email: Annotated[str, Meta(max_length=320)]
    name: Text200
    language: Annotated[str, Meta(max_length=10)] = "en"


class DelegationOut(Struct):
    id: int
    event_id: int
    organization_id: int
    organization_name: str
    organization_country: str
    category: str
    seat_quota: int
    seats_used: int
    seats_left: int
    head_name: str
    head_email: str
    members: list[RegistrationOut]


class InvitationCreate(Strict):
    email: Annotated[str, Meta(max_length=320)]
    category: Annotated[str, Meta(max_length=40)]
    name: Text200 = ""
    language: Annotated[str, Meta(max_length=10)] = "en"
    expires_at: datetime | None = None


class InvitationOut(Struct):
    id: int
    email: str
    category: str
    expires_at: datetime
    used_at: datetime | None


class AccessCodeCreate(Strict):
    category: Annotated[str, Meta(max_length=40)]
    max_uses: int
    code: Annotated[str, Meta(max_length=40)] | None = None
    expires_at: datetime | None = None


class AccessCodeOut(Struct):
    id: int
    code: str
    category: str
    max_uses: int
    uses: int
    expires_at: datetime | None


class CalendarUpdateOut(Struct):
    id: int
    subject: str
    subject_id: int
    changes: list[dict[str, Any]]
    due_at: datetime
    created_at: datetime
    done_at: datetime | None
    recipients: int | None


class ReleaseOut(Struct):
    messages: int


AudienceKind = Literal["confirmed", "category", "delegation", "waitlist", "session"]


class Audience(Strict):
    kind: AudienceKind
    value: Annotated[str, Meta(max_length=40, description="category code, delegation id or session id")] | None = None


class AnnouncementText(Strict):
    """An announcement's subject and body in another language; either may be left out (the original is used)."""

    subject: Annotated[str, Meta(max_length=300)] = ""
    body: Annotated[str, Meta(max_length=20000)] = ""


class AnnouncementCreate(Strict):
    subject: Text300
    body: Annotated[
        str, Meta(min_length=1, max_length=20000, description="plain text; blank lines separate paragraphs")
    ]
    audience: Audience
    translations: Annotated[
        dict[str, AnnouncementText],
        Meta(description="the subject and body in other languages, by language code (es); readers get theirs"),
    ] = {}


class AnnouncementOut(Struct):
    id: int
    event: int
    subject: str
    body: str
    audience: dict[str, Any]
    status: str
    recipients: int | None
    created_at: datetime
    sent_at: datetime | None
    translations: dict[str, dict[str, str]] = {}


class PreviewOut(Struct):
    recipient: str | None
    subject: str
    text: str
    html: str


class DeliveryOut(Struct):
    id: int
    kind: str
    recipient: str
    status: str
    attempts: int
    last_error: str
    calendar_method: str | None
    calendar_sequence: int | None
    message_id: str
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime
