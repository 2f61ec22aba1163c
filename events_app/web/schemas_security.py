"""Bodies of the administration, audit and personal-data routes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from msgspec import UNSET, Meta, Struct, UnsetType

from events_app.web.schemas import Strict


class OfficeCreate(Strict):
    name: Annotated[str, Meta(min_length=1, max_length=200)]
    region: Annotated[str, Meta(max_length=60, description="e.g. 'Africa', 'Asia-Pacific', 'Europe'")] = ""


class StaffIn(Strict):
    email: Annotated[str, Meta(max_length=320, description="an existing account")]


class StaffOut(Struct):
    id: int
    email: str
    name: str


class OfficeOut(Struct):
    id: int
    name: str
    region: str
    created_at: datetime
    staff: list[StaffOut]
    event_ids: list[int]


class AuditEntryOut(Struct):
    id: int
    at: datetime
    account_id: int | None
    account_email: str
    action: str
    subject_type: str
    subject_id: str
    event_id: int | None
    project_id: int | None
    before: Any
    after: Any


class PersonFound(Struct):
    id: int
    email: str
    name: str
    erased_at: datetime | None


class ErasureOut(Struct):
    person_id: int
    status: str
    erased_at: datetime


class PersonalDataOut(Struct):
    """Everything stored about one person (GDPR access and portability)."""

    exported_at: datetime
    privacy_policy_version: str
    person: dict[str, Any]
    registrations: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    invitations: list[dict[str, Any]]
    delegations_headed: list[dict[str, Any]]
    project_contacts: list[dict[str, Any]]
    meeting_invitations: list[dict[str, Any]]
    meeting_answers: list[dict[str, Any]]
    meeting_attendance: list[dict[str, Any]]
    session_bookings: list[dict[str, Any]] = []
    session_roles: list[dict[str, Any]] = []
    meeting_actions: list[dict[str, Any]] = []
    inbound_replies: list[dict[str, Any]] = []
    audit_entries: list[dict[str, Any]] = []
    agenda_changes: list[dict[str, Any]] = []


# --------------------------------------------------------------------------- the person, by an emailed link


class AccessLinkIn(Strict):
    email: Annotated[str, Meta(max_length=320, description="the address the link is emailed to, if it is known")]


class AccessIn(Strict):
    token: Annotated[str, Meta(max_length=200, description="the token at the end of the emailed link")]


class PersonSessionOut(Struct):
    session: str
    token_type: str
    expires_at: datetime


class PersonRegistrationOut(Struct):
    id: int
    event_id: int
    event_title: str
    event_starts_at: datetime
    status: str
    category_name: str


class PersonProfileOut(Struct):
    email: str
    name: str
    language: str
    timezone: str | None
    organization_id: int | None
    organization_name: str | None
    announcements_opt_out: bool
    registrations: list[PersonRegistrationOut]


class PersonProfileUpdate(Strict):
    name: Annotated[str, Meta(max_length=200)] | UnsetType = UNSET
    language: Annotated[str, Meta(max_length=10)] | UnsetType = UNSET
    timezone: Annotated[str, Meta(max_length=64, description="IANA name, e.g. Asia/Seoul")] | None | UnsetType = UNSET
    organization_id: int | None | UnsetType = UNSET
