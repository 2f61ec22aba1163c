from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.params import FromQuery

from events_app.services import people
from events_app.web.schemas import OrganizationOut


class OrganizationController(Controller):
    path = "/api/organizations"
    tags = ["organizations"]

    @get("/", operation_id="listOrganizations", summary="Member and partner organizations")
    async def list_organizations(self, country: FromQuery[str | None] = None,
                                 q: FromQuery[str | None] = None) -> list[OrganizationOut]:
        return msgspec.convert(await people.list_organizations(country, q), list[OrganizationOut])
