from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody

from events_app.services.people.accounts import CurrentAccount
from events_app.services.registration import registration_admin, registrations
from events_app.settings import get_settings
from events_app.web import abuse
from events_app.web.auth import NO_STORE, ORGANIZER
from events_app.web.pages.reports import XLSX
from events_app.web.schemas import (
    MoveIn,
    RegistrationCounts,
    RegistrationCreate,
    RegistrationCreated,
    RegistrationOut,
    RegistrationStatus,
    RejectIn,
    ResendLinkIn,
    present,
)


def provide_filters(
    status: FromQuery[RegistrationStatus | None] = None,
    category: FromQuery[str | None] = None,
    organization_id: FromQuery[int | None] = None,
    country: FromQuery[str | None] = None,
    delegation_id: FromQuery[int | None] = None,
    q: FromQuery[str | None] = None,
) -> dict:
    """The organizer's list filters, shared by the list and both exports."""
    return {
        "status": status,
        "category": category,
        "organization_id": organization_id,
        "country": country,
        "delegation_id": delegation_id,
        "q": q,
    }


LISTING = {**ORGANIZER, "filters": Provide(provide_filters, sync_to_thread=False)}


class EventRegistrationController(Controller):
    path = "/api/events/{event_id:int}/registrations"
    tags = ["registrations"]

    @post(
        "/",
        operation_id="register",
        summary="Register for a published event",
        cache_control=NO_STORE,
        description="Send an Idempotency-Key header to make retries safe: a repeat returns the first answer.",
    )
    async def register(
        self,
        request: Request,
        event_id: FromPath[int],
        data: JSONBody[RegistrationCreate],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(
                name="Idempotency-Key",
                max_length=200,
                description="any unique string per registration attempt, e.g. a UUID",
            ),
        ] = None,
    ) -> RegistrationCreated:
        await abuse.registration(request, event_id, data.email)
        result = await registrations.register(event_id, present(data), idempotency_key=idempotency_key)
        token = result["manage_token"]  # empty: the link went to the address only (a members-only category)
        result["manage_url"] = f"{get_settings().public_url}/manage/{token}" if token else ""
        return msgspec.convert(result, RegistrationCreated)

    @post(
        "/resend-link",
        operation_id="resendManageLink",
        status_code=202,
        summary="Email the manage link again to a registered address (answers 202 for any address)",
    )
    async def resend_link(self, request: Request, event_id: FromPath[int], data: JSONBody[ResendLinkIn]) -> None:
        await abuse.resend_link(request, event_id, data.email)
        await registrations.resend_link(event_id, data.email)

    @get("/", operation_id="listRegistrations", dependencies=LISTING)
    async def list_registrations(
        self, event_id: FromPath[int], account: NamedDependency[CurrentAccount], filters: NamedDependency[dict]
    ) -> list[RegistrationOut]:
        rows = await registration_admin.search(account, event_id, filters)
        return msgspec.convert(rows, list[RegistrationOut])

    @get("/counts", operation_id="countRegistrations", dependencies=ORGANIZER)
    async def counts(self, event_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> RegistrationCounts:
        return msgspec.convert(await registration_admin.counts(account, event_id), RegistrationCounts)

    @get("/export.csv", operation_id="exportRegistrationsCsv", dependencies=LISTING, media_type="text/csv")
    async def export_csv(
        self, event_id: FromPath[int], account: NamedDependency[CurrentAccount], filters: NamedDependency[dict]
    ) -> Response[bytes]:
        header, table = await registration_admin.export_rows(account, event_id, filters)
        return Response(
            registration_admin.to_csv(header, table),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="registrations-{event_id}.csv"'},
        )

    @get(
        "/export.xlsx",
        operation_id="exportRegistrationsXlsx",
        dependencies=LISTING,
        media_type=XLSX,
    )
    async def export_xlsx(
        self, event_id: FromPath[int], account: NamedDependency[CurrentAccount], filters: NamedDependency[dict]
    ) -> Response[bytes]:
        header, table = await registration_admin.export_rows(account, event_id, filters)
        return Response(
            registration_admin.to_xlsx(header, table, f"Registrations {event_id}"),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="registrations-{event_id}.xlsx"'},
        )

    @post("/{registration_id:int}/approve", operation_id="approveRegistration", status_code=200, dependencies=ORGANIZER)
    async def approve(
        self, event_id: FromPath[int], registration_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> RegistrationOut:
        return msgspec.convert(await registration_admin.approve(account, event_id, registration_id), RegistrationOut)

    @post("/{registration_id:int}/reject", operation_id="rejectRegistration", status_code=200, dependencies=ORGANIZER)
    async def reject(
        self,
        event_id: FromPath[int],
        registration_id: FromPath[int],
        data: JSONBody[RejectIn],
        account: NamedDependency[CurrentAccount],
    ) -> RegistrationOut:
        result = await registration_admin.reject(account, event_id, registration_id, data.reason)
        return msgspec.convert(result, RegistrationOut)

    @post("/{registration_id:int}/move", operation_id="moveRegistration", status_code=200, dependencies=ORGANIZER)
    async def move(
        self,
        event_id: FromPath[int],
        registration_id: FromPath[int],
        data: JSONBody[MoveIn],
        account: NamedDependency[CurrentAccount],
    ) -> RegistrationOut:
        result = await registration_admin.move(account, event_id, registration_id, data.category)
        return msgspec.convert(result, RegistrationOut)

    @post(
        "/{registration_id:int}/cancel",
        operation_id="cancelRegistrationForDelegate",
        status_code=200,
        dependencies=ORGANIZER,
    )
    async def cancel(
        self, event_id: FromPath[int], registration_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> RegistrationOut:
        return msgspec.convert(await registration_admin.cancel(account, event_id, registration_id), RegistrationOut)
