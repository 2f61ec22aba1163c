"""Administration: regional offices and their staff, the audit trail, and people's data (export, erasure)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from events_app.services.people import audit, offices
from events_app.services.people.accounts import CurrentAccount
from events_app.services.privacy import privacy
from events_app.web.auth import provide_account
from events_app.web.schemas_security import (
    AuditEntryOut,
    ErasureOut,
    OfficeCreate,
    OfficeOut,
    PersonalDataOut,
    PersonFound,
    StaffIn,
)

ACCOUNT = {"account": Provide(provide_account)}


class OfficeController(Controller):
    path = "/api/admin/offices"
    tags = ["administration"]
    dependencies = ACCOUNT

    @get("/", operation_id="listOffices", summary="Regional offices (administrators: all; staff: their own)")
    async def list_offices(self, account: NamedDependency[CurrentAccount]) -> list[OfficeOut]:
        return msgspec.convert(await offices.list_offices(account), list[OfficeOut])

    @post("/", operation_id="createOffice", summary="Create a regional office (administrators)")
    async def create(self, data: JSONBody[OfficeCreate], account: NamedDependency[CurrentAccount]) -> OfficeOut:
        return msgspec.convert(await offices.create_office(account, data.name, data.region), OfficeOut)

    @post(
        "/{office_id:int}/staff",
        operation_id="addOfficeStaff",
        status_code=200,
        summary="Make an account staff of the office: it manages every event of the office",
    )
    async def add_staff(
        self, office_id: FromPath[int], data: JSONBody[StaffIn], account: NamedDependency[CurrentAccount]
    ) -> OfficeOut:
        return msgspec.convert(await offices.add_staff(account, office_id, data.email), OfficeOut)

    @delete("/{office_id:int}/staff/{account_id:int}", operation_id="removeOfficeStaff", status_code=200)
    async def remove_staff(
        self, office_id: FromPath[int], account_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> OfficeOut:
        return msgspec.convert(await offices.remove_staff(account, office_id, account_id), OfficeOut)


class AuditController(Controller):
    path = "/api/admin/audit-log"
    tags = ["administration"]
    dependencies = ACCOUNT

    @get("/", operation_id="listAuditLog", summary="Who changed what and when, newest first (administrators)")
    async def entries(
        self,
        account: NamedDependency[CurrentAccount],
        event_id: FromQuery[int | None] = None,
        project_id: FromQuery[int | None] = None,
        actor: FromQuery[str | None] = None,
        action: FromQuery[str | None] = None,
        before_id: FromQuery[int | None] = None,
        limit: Annotated[int, Parameter(ge=1, le=500)] = 100,
    ) -> list[AuditEntryOut]:
        rows = await audit.entries(
            account,
            event_id=event_id,
            project_id=project_id,
            actor=actor,
            action=action,
            before_id=before_id,
            limit=limit,
        )
        return msgspec.convert(rows, list[AuditEntryOut])


class PeopleAdminController(Controller):
    path = "/api/admin/people"
    tags = ["personal data"]
    dependencies = ACCOUNT

    @get("/", operation_id="findPerson", summary="Find a person by email (administrators)")
    async def find(
        self, email: Annotated[str, Parameter(max_length=320)], account: NamedDependency[CurrentAccount]
    ) -> PersonFound:
        return msgspec.convert(await privacy.find_person(account, email), PersonFound)

    @get(
        "/{person_id:int}/export",
        operation_id="exportPersonData",
        summary="Everything stored about a person, as JSON (administrators)",
    )
    async def export(self, person_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> PersonalDataOut:
        return msgspec.convert(await privacy.export_for_admin(account, person_id), PersonalDataOut)

    @post(
        "/{person_id:int}/erase",
        operation_id="erasePerson",
        status_code=200,
        summary="Anonymize a person and their registrations; counts stay (administrators)",
    )
    async def erase(self, person_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> ErasureOut:
        return msgspec.convert(await privacy.erase_for_admin(account, person_id), ErasureOut)


ADMIN_CONTROLLERS = [OfficeController, AuditController, PeopleAdminController]
