from __future__ import annotations

import msgspec
from litestar import Controller, delete, get
from litestar.params import FromPath

from events_app.services import registrations
from events_app.web.schemas import RegistrationOut


class RegistrationController(Controller):
    """The delegate's own registration, reached with the secret token of the emailed manage link."""

    path = "/api/registrations"
    tags = ["registrations"]

    @get("/{token:str}", operation_id="getRegistration")
    async def get_registration(self, token: FromPath[str]) -> RegistrationOut:
        return msgspec.convert(await registrations.get_by_token(token), RegistrationOut)

    @delete("/{token:str}", operation_id="cancelRegistration", status_code=200)
    async def cancel_registration(self, token: FromPath[str]) -> RegistrationOut:
        return msgspec.convert(await registrations.cancel_by_token(token), RegistrationOut)
