from __future__ import annotations

import msgspec
from litestar import Controller, get, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from events_app.services.people import people
from events_app.services.people.accounts import CurrentAccount
from events_app.web.auth import provide_account
from events_app.web.schemas import OrganizationDomainsIn, OrganizationDomainsOut, OrganizationOut

ACCOUNT = {"account": Provide(provide_account)}


class OrganizationController(Controller):
    path = "/api/organizations"
    tags = ["organizations"]

    @get("/", operation_id="listOrganizations", summary="Member and partner organizations")
    async def list_organizations(
        self, country: FromQuery[str | None] = None, q: FromQuery[str | None] = None
    ) -> list[OrganizationOut]:
        return msgspec.convert(await people.list_organizations(country, q), list[OrganizationOut])

    @get(
        "/{organization_id:int}/domains",
        operation_id="getOrganizationDomains",
        dependencies=ACCOUNT,
        summary="The organization's registered email domains (administrators and office staff)",
    )
    async def domains(
        self, organization_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> OrganizationDomainsOut:
        return msgspec.convert(await people.organization_domains(account, organization_id), OrganizationDomainsOut)

    @put(
        "/{organization_id:int}/domains",
        operation_id="setOrganizationDomains",
        dependencies=ACCOUNT,
        summary="Replace the organization's email domains: registrants at them are admitted to members- or "
        "partners-only categories at once, others wait for approval (administrators and office staff)",
    )
    async def set_domains(
        self,
        organization_id: FromPath[int],
        data: JSONBody[OrganizationDomainsIn],
        account: NamedDependency[CurrentAccount],
    ) -> OrganizationDomainsOut:
        result = await people.set_organization_domains(account, organization_id, list(data.domains))
        return msgspec.convert(result, OrganizationDomainsOut)
