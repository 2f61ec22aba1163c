"""Request and response bodies (msgspec). Unknown fields are refused so a typo never passes silently."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

Text200 = Annotated[str, Meta(max_length=200)]
Text300 = Annotated[str, Meta(max_length=300)]
Text500 = Annotated[str, Meta(max_length=500)]
EventKind = Literal["congress", "forum", "meeting", "webinar"]
Eligibility = Literal["anyone", "members", "partners", "invitation"]


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


class CategoryCreate(Strict):
    code: Annotated[str, Meta(max_length=40, description="short identifier, e.g. 'delegate'")]
    name: Text200
    quota: int | None = None
    requires_approval: bool = False
    eligibility: Eligibility = "anyone"


class CategoryOut(Struct):
    id: int
    code: str
    name: str
    quota: int | None
    seats_left: int | None
    confirmed_count: int
    requires_approval: bool
    eligibility: str


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
    status: str
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    registration_open: bool
    capacity: int | None
    seats_left: int | None
    confirmed_count: int
    categories: list[CategoryOut]


class RegistrationCreate(Strict):
    email: Annotated[str, Meta(max_length=320)]
    name: Text200
    category: Annotated[str, Meta(max_length=40, description="a category code of the event")]
    organization_id: int | None = None
    language: Annotated[str, Meta(max_length=10)] = "en"
    timezone: Annotated[str, Meta(max_length=64)] | None = None


class RegistrationOut(Struct):
    id: int
    event_id: int
    event_title: str
    status: str
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


class RegistrationCreated(RegistrationOut):
    manage_token: str
    manage_url: str


class OrganizationOut(Struct):
    id: int
    name: str
    kind: str
    country: str
    membership_status: str


class HealthOut(Struct):
    status: str
    database: str
    broker: str
