from __future__ import annotations

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from events_app.services.people.accounts import CurrentAccount
from events_app.services.registration import delegations, invitations
from events_app.web.auth import ORGANIZER
from events_app.web.schemas import (
    AccessCodeCreate,
    AccessCodeOut,
    DelegationCreate,
    DelegationOut,
    DelegationSeats,
    InvitationCreate,
    InvitationOut,
    present,
)


class DelegationController(Controller):
    path = "/api/events/{event_id:int}/delegations"
    tags = ["delegations"]
    dependencies = ORGANIZER

    @post("/", operation_id="createDelegation", summary="Give an organization a delegation; registers its head")
    async def create(
        self, event_id: FromPath[int], data: JSONBody[DelegationCreate], account: NamedDependency[CurrentAccount]
    ) -> DelegationOut:
        return msgspec.convert(await delegations.create(account, event_id, present(data)), DelegationOut)

    @get("/", operation_id="listDelegations")
    async def list_delegations(
        self, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> list[DelegationOut]:
        return msgspec.convert(await delegations.list_for_event(account, event_id), list[DelegationOut])

    @patch("/{delegation_id:int}", operation_id="setDelegationSeats")
    async def set_seats(
        self,
        event_id: FromPath[int],
        delegation_id: FromPath[int],
        data: JSONBody[DelegationSeats],
        account: NamedDependency[CurrentAccount],
    ) -> DelegationOut:
        result = await delegations.set_seats(account, event_id, delegation_id, data.seats)
        return msgspec.convert(result, DelegationOut)


class InvitationController(Controller):
    path = "/api/events/{event_id:int}"
    tags = ["invitations"]
    dependencies = ORGANIZER

    @post("/invitations", operation_id="createInvitation", summary="Email a single-use, expiring invitation")
    async def invite(
        self, event_id: FromPath[int], data: JSONBody[InvitationCreate], account: NamedDependency[CurrentAccount]
    ) -> InvitationOut:
        return msgspec.convert(await invitations.invite(account, event_id, present(data)), InvitationOut)

    @get("/invitations", operation_id="listInvitations")
    async def list_invitations(
        self, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> list[InvitationOut]:
        return msgspec.convert(await invitations.list_invitations(account, event_id), list[InvitationOut])

    @post("/access-codes", operation_id="createAccessCode", summary="A code that unlocks a category N times")
    async def create_code(
        self, event_id: FromPath[int], data: JSONBody[AccessCodeCreate], account: NamedDependency[CurrentAccount]
    ) -> AccessCodeOut:
        return msgspec.convert(await invitations.create_code(account, event_id, present(data)), AccessCodeOut)

    @get("/access-codes", operation_id="listAccessCodes", summary="The event's access codes and their uses")
    async def list_codes(
        self, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> list[AccessCodeOut]:
        return msgspec.convert(await invitations.list_codes(account, event_id), list[AccessCodeOut])
