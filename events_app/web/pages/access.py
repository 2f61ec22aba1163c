"""The organizer's access set-up: personal invitations, access codes and delegations of member organizations
(with their seat quotas). The same services as the API; every change is a CSRF-checked POST and a redirect."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from events_app.domain.errors import FieldError, InvalidInput
from events_app.domain.vocab import LANGUAGES
from events_app.services.events import events
from events_app.services.people import people
from events_app.services.people.accounts import CurrentAccount
from events_app.services.registration import delegations, invitations
from events_app.web.pages.common import (
    field_errors,
    form_data,
    int_or_none,
    page,
    prefixed,
    provide_page_account,
    redirect,
    redisplay_on,
)
from events_app.web.pages.organizer import parse_fields

ORGANIZER = {"account": Provide(provide_page_account)}
MAX_ORGANIZATIONS = 5000  # the delegation form lists every organization of the network


def unprefixed(prefix: str, data: dict[str, Any]) -> dict[str, Any]:
    """The fields of one of a page's forms (their inputs are named `<prefix>.<field>`)."""
    return {k.removeprefix(prefix + "."): v for k, v in data.items() if k.startswith(prefix + ".")}


def invitation_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The invitation form as the service reads it; an empty expiry means the service's default."""
    fields, errors = parse_fields(data, ("email", "name", "category", "language"), ("expires_at",))
    if errors:
        raise InvalidInput(errors)
    return {k: v for k, v in fields.items() if v is not None}


def code_fields(data: dict[str, Any]) -> dict[str, Any]:
    fields, errors = parse_fields(data, ("code", "category"), ("expires_at",), ("max_uses",))
    if "max_uses" not in fields and not any(e.field == "max_uses" for e in errors):
        errors.append(FieldError("max_uses", "must be at least 1"))
    if errors:
        raise InvalidInput(errors)
    fields["code"] = fields.get("code") or None
    return fields


def delegation_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The delegation form as the service reads it; the service checks every field at once (a number field
    that is not a number arrives as None and is refused there)."""
    return {
        "organization_id": int_or_none(data.get("organization_id")),
        "category": data.get("category", ""),
        "seats": int_or_none(data.get("seats")),
        "head_name": data.get("head_name", ""),
        "head_email": data.get("head_email", ""),
        "head_language": data.get("head_language") or "en",
    }


class AccessPages(Controller):
    path = "/organizer/events/{event_id:int}"
    include_in_schema = False
    dependencies = ORGANIZER

    # ------------------------------------------------------------------- invitations and access codes

    async def _invitations(
        self,
        request: Request,
        account: CurrentAccount,
        event_id: int,
        *,
        errors: dict | None = None,
        values: dict | None = None,
        status: int = 200,
    ) -> Template:
        event = await events.get_event(event_id, account)
        defaults = {"invitation.language": "en", "code.max_uses": "10"}
        return page(
            request,
            "organizer/invitations.html",
            status=status,
            account=account,
            event=event,
            invitations=await invitations.list_invitations(account, event_id),
            codes=await invitations.list_codes(account, event_id),
            languages=LANGUAGES,
            errors=errors or {},
            values={**defaults, **(values or {})},
        )

    @get("/invitations", name="invitations")
    async def invitations_page(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Template:
        return await self._invitations(request, account, event_id)

    @post("/invitations", name="invitation-create")
    async def invite(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        async with redisplay_on(
            lambda exc: self._invitations(
                request, account, event_id, status=exc.status, values=data, errors=prefixed("invitation", exc)
            )
        ):
            await invitations.invite(account, event_id, invitation_fields(unprefixed("invitation", data)))
        return redirect(f"/organizer/events/{event_id}/invitations#invitations", "invited")

    @post("/access-codes", name="access-code-create")
    async def create_code(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        async with redisplay_on(
            lambda exc: self._invitations(
                request, account, event_id, status=exc.status, values=data, errors=prefixed("code", exc)
            )
        ):
            await invitations.create_code(account, event_id, code_fields(unprefixed("code", data)))
        return redirect(f"/organizer/events/{event_id}/invitations#codes", "code-created")

    # ------------------------------------------------------------------- delegations

    async def _delegations(
        self,
        request: Request,
        account: CurrentAccount,
        event_id: int,
        *,
        errors: dict | None = None,
        values: dict | None = None,
        status: int = 200,
    ) -> Template:
        event = await events.get_event(event_id, account)
        organizations = await people.list_organizations(limit=MAX_ORGANIZATIONS)
        return page(
            request,
            "organizer/delegations.html",
            status=status,
            account=account,
            event=event,
            delegations=await delegations.list_for_event(account, event_id),
            organizations=organizations,
            languages=LANGUAGES,
            errors=errors or {},
            values={"head_language": "en", "seats": "2", **(values or {})},
        )

    @get("/delegations", name="delegations")
    async def delegations_page(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Template:
        return await self._delegations(request, account, event_id)

    @post("/delegations", name="delegation-create")
    async def create_delegation(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        async with redisplay_on(
            lambda exc: self._delegations(
                request, account, event_id, status=exc.status, values=data, errors=field_errors(exc)
            )
        ):
            created = await delegations.create(account, event_id, delegation_fields(data))
        return redirect(f"/organizer/events/{event_id}/delegations#delegation-{created['id']}", "delegation-created")

    @post("/delegations/{delegation_id:int}/seats", name="delegation-seats")
    async def set_seats(
        self,
        request: Request,
        event_id: FromPath[int],
        delegation_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Response:
        data = await form_data(request)
        key = f"delegation-{delegation_id}"
        async with redisplay_on(
            lambda exc: self._delegations(
                request,
                account,
                event_id,
                status=exc.status,
                errors=prefixed(key, exc),
                values={f"{key}.seats": data.get("seats", "")},
            )
        ):
            seats = int_or_none(data.get("seats"))
            if seats is None:
                raise InvalidInput([FieldError("seats", "must be a whole number")])
            await delegations.set_seats(account, event_id, delegation_id, seats)
        return redirect(f"/organizer/events/{event_id}/delegations#delegation-{delegation_id}", "seats-saved")
