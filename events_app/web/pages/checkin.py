"""The check-in desk page for check-in staff (and organizers): camera scanning, search by name, and an offline list
with a queue of scans synced when the network returns. Its JSON routes use the page's login cookie (POST with the
CSRF header), call the same services as the check-in API and show staff names, organizations and state only."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from events_app.domain.errors import FieldError, InvalidInput, NotFound, Unauthorized
from events_app.services.onsite import attendance, checkin
from events_app.services.people.accounts import CurrentAccount
from events_app.web import abuse
from events_app.web.errors import BOUNDED_JSON
from events_app.web.pages.common import SESSION_COOKIE, LoginRequired, language_of, page, provide_page_account
from events_app.web.pages.i18n import N_, translations
from events_app.web.pages.reports import attendance_report
from events_app.web.schemas_onsite import CheckinListOut, FoundPerson, SyncIn, SyncOut

# The desk page alone may use the camera (every other page keeps camera=()).
CAMERA_ALLOWED = {"permissions-policy": "camera=(self), microphone=(), geolocation=()"}
LABELS = {
    "admitted": N_("Welcome: may enter"),
    "duplicate": N_("Already checked in"),
    "refused": N_("Not admitted"),
    "unknown": N_("Unknown code: not a ticket of this system"),
    "other_event": N_("A ticket of another event"),
    "cancelled": N_("This registration was cancelled"),
    "not_confirmed": N_("This registration is not confirmed"),
    "replaced": N_("An old code: the registration has a new one"),
    "erased": N_("This registration was erased"),
    "not_booked": N_("Not booked for this session, and it is full"),
    "other_session": N_("Not a session of this event"),
    "already": N_("Already checked in at {time} by {desk}"),
    "offline": N_("Offline: {count} scans waiting to be sent"),
    "synced": N_("All scans sent"),
    "queued": N_("{count} scans waiting to be sent"),
    "camera_off": N_("Camera not available: type or scan the code into the field"),
    "checkin": N_("Check in"),
    "no_match": N_("Nobody found"),
    "walk_in": N_("Walk-in: takes one of the session's places"),
    "waitlisted": N_("On the waiting list of this session"),
}


class CheckinPages(Controller):
    path = "/organizer/events/{event_id:int}/checkin"
    include_in_schema = False
    dependencies = {"account": Provide(provide_page_account)}

    async def _desk(self, request: Request, account: CurrentAccount, event_id: int) -> checkin.Desk:
        desk = await checkin.require_checkin(account, event_id)
        await checkin.count_lookups(desk, abuse.client_ip(request))
        return desk

    @get("/", name="checkin-desk")
    async def desk(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Template:
        desk = await checkin.require_checkin(account, event_id)
        lang = language_of(request)
        catalogue = translations(lang)  # placeholders stay: the page fills them
        labels = {key: catalogue.gettext(text) for key, text in LABELS.items()}
        places = await checkin.places(desk)
        response = page(
            request,
            "organizer/checkin.html",
            account=account,
            desk=desk,
            places=places,
            translated_labels=labels,
        )
        response.headers.update(CAMERA_ALLOWED)
        return response

    @get("/list.json", name="checkin-desk-list")
    async def checkin_list(
        self,
        request: Request,
        event_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
        session_id: FromQuery[int] = 0,
    ) -> CheckinListOut:
        desk = await self._desk(request, account, event_id)
        return msgspec.convert(await checkin.checkin_list(desk, session_id), CheckinListOut)

    @get("/search.json", name="checkin-desk-search")
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

    @post("/sync.json", name="checkin-desk-sync", status_code=200, opt={BOUNDED_JSON: True})
    async def sync(self, request: Request, event_id: FromPath[int]) -> Response:
        # The busiest check-in route, so it waits for as few other processes as it can: the login session and the
        # check-in role are read in one statement (afresh on every request, like every page) on the batch's own
        # connection, and the abuse limits are counted in Redis while the batch's facts are read (awaited before
        # anything is decided or written).
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise LoginRequired()

        async def scans() -> list[dict]:  # read once the session and the role are known
            try:
                data = msgspec.json.decode(await request.body(), type=SyncIn)
            except msgspec.DecodeError as exc:  # ValidationError is a DecodeError: a clear 422 naming the field
                raise InvalidInput([FieldError("scans", str(exc))]) from None
            return [msgspec.structs.asdict(s) for s in data.scans]

        try:
            result = await checkin.sync_at_login(token, event_id, abuse.client_ip(request), scans)
        except Unauthorized:
            raise LoginRequired() from None
        return Response(msgspec.json.encode(msgspec.convert(result, SyncOut)), media_type="application/json")


class AttendancePages(Controller):
    """The organizer's attendance page (live counts with bars and tables) and the report across events."""

    path = "/organizer"
    include_in_schema = False
    dependencies = {"account": Provide(provide_page_account)}

    @get("/events/{event_id:int}/attendance", name="event-attendance")
    async def event_attendance(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Template:
        report = await attendance.event_attendance(account, event_id, language_of(request))
        event = await checkin.require_checkin(account, event_id)
        return page(
            request,
            "organizer/attendance.html",
            account=account,
            report=report,
            event={"id": event_id, "title": event.event_title},
        )

    @get("/attendance/export/{fmt:str}", name="attendance-export")
    async def export(
        self,
        request: Request,
        fmt: FromPath[str],
        account: NamedDependency[CurrentAccount],
        separator: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        if fmt not in ("csv", "xlsx"):
            raise NotFound("export format")
        return await attendance_report(request, account, fmt, separator, language_of(request))
