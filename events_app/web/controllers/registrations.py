from __future__ import annotations

import msgspec
from litestar import Controller, Request, delete, get, post, put
from litestar.params import FromPath, JSONBody

from events_app.services.registration import delegations, registrations
from events_app.web import abuse
from events_app.web.auth import NO_STORE
from events_app.web.schemas import AnswersIn, DelegationOut, MemberIn, RegistrationOut, present


class RegistrationController(Controller):
    """The delegate's own registration, reached with the secret token of the emailed manage link. The token controls
    this registration only (and, for a head of delegation, the delegation): person-wide actions such as exporting
    or erasing one's data need the emailed access link (controllers.people)."""

    path = "/api/registrations/{token:str}"
    tags = ["registrations"]
    cache_control = NO_STORE

    @get("/", operation_id="getRegistration")
    async def get_registration(self, token: FromPath[str]) -> RegistrationOut:
        return msgspec.convert(await registrations.get_by_token(token), RegistrationOut)

    @delete("/", operation_id="cancelRegistration", status_code=200)
    async def cancel_registration(self, token: FromPath[str]) -> RegistrationOut:
        return msgspec.convert(await registrations.cancel_by_token(token), RegistrationOut)

    @put(
        "/answers",
        operation_id="updateMyAnswers",
        summary="Replace your answers to the event's questions (checked as at registration)",
    )
    async def update_answers(self, token: FromPath[str], data: JSONBody[AnswersIn]) -> RegistrationOut:
        return msgspec.convert(await registrations.update_answers(token, data.answers), RegistrationOut)

    @post(
        "/accept-offer",
        operation_id="acceptOffer",
        status_code=200,
        summary="Take up a waiting-list offer before it expires",
    )
    async def accept_offer(self, token: FromPath[str]) -> RegistrationOut:
        return msgspec.convert(await registrations.accept_offer(token), RegistrationOut)

    @get("/delegation", operation_id="getOwnDelegation", summary="Head of delegation: the delegation and its seats")
    async def delegation(self, token: FromPath[str]) -> DelegationOut:
        return msgspec.convert(await delegations.for_head(token), DelegationOut)

    @post("/delegation/members", operation_id="addDelegationMember")
    async def add_member(self, request: Request, token: FromPath[str], data: JSONBody[MemberIn]) -> RegistrationOut:
        await abuse.delegation_member(request, token, data.email)
        return msgspec.convert(await delegations.add_member(token, present(data)), RegistrationOut)

    @post(
        "/delegation/members/{registration_id:int}/substitute",
        operation_id="substituteDelegationMember",
        summary="Give a member's seat to another person without freeing it",
    )
    async def substitute(
        self, request: Request, token: FromPath[str], registration_id: FromPath[int], data: JSONBody[MemberIn]
    ) -> RegistrationOut:
        await abuse.delegation_member(request, token, data.email)
        return msgspec.convert(await delegations.substitute(token, registration_id, present(data)), RegistrationOut)
