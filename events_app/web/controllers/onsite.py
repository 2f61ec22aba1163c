"""On site: the delegate's ticket, check-in staff, the check-in API (scan, search, offline list, sync)."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from events_app.services.onsite import attendance, badges, checkin, tickets
from events_app.services.people.accounts import CurrentAccount
from events_app.web import abuse
from events_app.web.auth import NO_STORE, ORGANIZER
from events_app.web.pages.reports import CSV, XLSX, attendance_report
from events_app.web.schemas import present
from events_app.web.schemas_onsite import (
    AttendanceOut,
    BadgeStyleIn,
    BadgeStyleOut,
    CheckinListOut,
    CheckinPlace,
    CheckinStaffIn,
    CheckinStaffOut,
    FoundPerson,
    ScanIn,
    ScanOut,
    SyncIn,
    SyncOut,
)

PDF = "application/pdf"


class TicketController(Controller):
    """The delegate's printable ticket, reached with the manage link's token."""

    path = "/api/registrations/{token:str}/ticket.pdf"
    tags = ["registrations"]
    cache_control = NO_STORE

    @get("/", operation_id="getTicket", media_type=PDF, summary="The ticket (PDF) with the check-in QR code")
    async def ticket(self, token: FromPath[str]) -> Response[bytes]:
        data, filename = await tickets.ticket_pdf(token)
        return Response(data, media_type=PDF, headers={"Content-Disposition": f'inline; filename="{filename}"'})


class CheckinStaffController(Controller):
    """Organizers name who checks in at their event (a role of its own: names, organizations, check-in state)."""

    path = "/api/events/{event_id:int}/checkin-staff"
    tags = ["check-in"]
    dependencies = ORGANIZER

    @get("/", operation_id="listCheckinStaff")
    async def list_staff(
        self, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> list[CheckinStaffOut]:
        return msgspec.convert(await checkin.list_staff(account, event_id), list[CheckinStaffOut])

    @post("/", operation_id="addCheckinStaff", status_code=201)
    async def add_staff(
        self, event_id: FromPath[int], data: JSONBody[CheckinStaffIn], account: NamedDependency[CurrentAccount]
    ) -> CheckinStaffOut:
        return msgspec.convert(await checkin.add_staff(account, event_id, present(data)), CheckinStaffOut)

    @delete("/{account_id:int}", operation_id="removeCheckinStaff", status_code=204)
    async def remove_staff(
        self, event_id: FromPath[int], account_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> None:
        await checkin.remove_staff(account, event_id, account_id)


class CheckinController(Controller):
    """The check-in desk: check-in staff of the event, its organizers, its office's staff, administrators."""

    path = "/api/events/{event_id:int}/checkin"
    tags = ["check-in"]
    dependencies = ORGANIZER
    cache_control = NO_STORE

    async def _desk(self, request: Request, account: CurrentAccount, event_id: int) -> checkin.Desk:
        desk = await checkin.require_checkin(account, event_id)
        await checkin.count_lookups(desk, abuse.client_ip(request))
        return desk

    @post("/scan", operation_id="checkinScan", status_code=200, summary="One scan: may this person enter?")
    async def scan(
        self,
        request: Request,
        event_id: FromPath[int],
        data: JSONBody[ScanIn],
        account: NamedDependency[CurrentAccount],
    ) -> ScanOut:
        desk = await self._desk(request, account, event_id)
        return msgspec.convert(await checkin.scan(desk, msgspec.structs.asdict(data)), ScanOut)

    @post(
        "/sync",
        operation_id="checkinSync",
        status_code=200,
        summary="Scans made offline, in order; replays change nothing",
    )
    async def sync(
        self,
        request: Request,
        event_id: FromPath[int],
        data: JSONBody[SyncIn],
        account: NamedDependency[CurrentAccount],
    ) -> SyncOut:
        desk = await self._desk(request, account, event_id)
        scans = [msgspec.structs.asdict(s) for s in data.scans]
        return msgspec.convert(await checkin.sync(desk, scans), SyncOut)

    @get("/list", operation_id="checkinList", summary="The check-in list an offline desk downloads")
    async def checkin_list(
        self,
        request: Request,
        event_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
        session_id: FromQuery[int] = 0,
    ) -> CheckinListOut:
        desk = await self._desk(request, account, event_id)
        return msgspec.convert(await checkin.checkin_list(desk, session_id), CheckinListOut)

    @get("/search", operation_id="checkinSearch", summary="Find a person by name or organization")
    async def search(
        self,
        request: Request,
        event_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
        q: FromQuery[str] = "",
        session_id: FromQuery[int] = 0,
    ) -> list[FoundPerson]:
        desk = await self._desk(request, account, event_id)
        return msgspec.convert(await checkin.search(desk, q, session_id), list[FoundPerson])

    @get("/places", operation_id="checkinPlaces", summary="The session rooms a desk can check in at")
    async def places(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> list[CheckinPlace]:
        desk = await self._desk(request, account, event_id)
        return msgspec.convert(await checkin.places(desk), list[CheckinPlace])


class AttendanceController(Controller):
    """Who was really there: an event's live counts, and attendance by organization across events and meetings."""

    tags = ["attendance"]
    dependencies = ORGANIZER

    @get(
        "/api/events/{event_id:int}/attendance",
        operation_id="eventAttendance",
        summary="Registered vs checked in, by category, organization and country",
    )
    async def event_attendance(
        self, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> AttendanceOut:
        return msgspec.convert(await attendance.event_attendance(account, event_id), AttendanceOut)

    @get(
        "/api/attendance/organizations.csv",
        operation_id="organizationAttendanceCsv",
        media_type=CSV,
        summary="Attendance by organization across events and meetings (CSV in the reader's language and separator)",
    )
    async def organizations_csv(
        self, request: Request, account: NamedDependency[CurrentAccount], separator: FromQuery[str | None] = None
    ) -> Response[bytes]:
        return await attendance_report(request, account, "csv", separator)

    @get("/api/attendance/organizations.xlsx", operation_id="organizationAttendanceXlsx", media_type=XLSX)
    async def organizations_xlsx(self, request: Request, account: NamedDependency[CurrentAccount]) -> Response[bytes]:
        return await attendance_report(request, account, "xlsx", None)


class BadgeController(Controller):
    """Printable badges of an event and the badge style of each category."""

    path = "/api/events/{event_id:int}"
    tags = ["badges"]
    dependencies = ORGANIZER

    @put(
        "/categories/{category_id:int}/badge",
        operation_id="setBadgeStyle",
        summary="A category's badge colour and fields",
    )
    async def set_style(
        self,
        event_id: FromPath[int],
        category_id: FromPath[int],
        data: JSONBody[BadgeStyleIn],
        account: NamedDependency[CurrentAccount],
    ) -> BadgeStyleOut:
        return msgspec.convert(await badges.set_style(account, event_id, category_id, present(data)), BadgeStyleOut)

    @get(
        "/badges.pdf",
        operation_id="badgesPdf",
        media_type=PDF,
        summary="Badges: all, a filter, or one (A6 or A4 sheets)",
    )
    async def badges_pdf(
        self,
        event_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
        layout: FromQuery[str] = "a6",
        category: FromQuery[str | None] = None,
        organization_id: FromQuery[int | None] = None,
        not_printed: FromQuery[bool] = False,
        registration_id: FromQuery[int | None] = None,
    ) -> Response[bytes]:
        filters = {
            "category": category,
            "organization_id": organization_id,
            "not_printed": not_printed,
            "registration_id": registration_id,
        }
        data = await badges.badges_pdf(account, event_id, filters, layout)
        return Response(
            data, media_type=PDF, headers={"Content-Disposition": f'inline; filename="badges-{event_id}.pdf"'}
        )


ONSITE_CONTROLLERS = [
    TicketController,
    CheckinStaffController,
    CheckinController,
    AttendanceController,
    BadgeController,
]
