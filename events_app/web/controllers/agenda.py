"""The agenda over HTTP: organizers edit rooms, tracks and sessions; anyone reads the published agenda, its feeds
and schedule exports (cached bytes with ETag / 304); delegates book sessions with their manage token."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated, Any

import msgspec
from litestar import Controller, Litestar, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody

from events_app.domain.vocab import RemovedSessions
from events_app.services.agenda import agenda, agenda_cache, agenda_publish, speakers
from events_app.services.agenda.agenda_cache import Rendered, etag_matches
from events_app.services.agenda.agenda_publish import AgendaFilter
from events_app.services.exchange import schedule_exchange
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.registration import agenda_bookings
from events_app.settings import get_settings
from events_app.web import heap
from events_app.web.auth import provide_account, provide_optional_account
from events_app.web.errors import READ_AFTER_PERMISSION, refuse_deep_json_body
from events_app.web.schemas import present
from events_app.web.schemas_agenda import (
    AffectedOut,
    AvailabilityOut,
    BiographyIn,
    BiographyOut,
    BookingOut,
    ChangeOut,
    ConflictOut,
    ImportOut,
    PersonRef,
    RoomCreate,
    RoomOut,
    RoomUpdate,
    SessionChangeOut,
    SessionCreate,
    SessionKind,
    SessionOut,
    SessionStatus,
    SessionUpdate,
    TrackCreate,
    TrackOut,
    TrackUpdate,
    session_fields,
)

ORGANIZER = {"account": Provide(provide_account)}
ANYONE = {"account": Provide(provide_optional_account)}
IfNoneMatch = Annotated[str | None, HeaderParameter(name="if-none-match", required=False)]
CACHE_CONTROL = "public, max-age=0, must-revalidate"
# One person's feed: no shared cache (proxy, CDN) may keep it, and the subscriber's own client revalidates every
# time (ETag / 304 still spares the body). no-store would forbid even that client copy and the 304s with it.
PERSONAL_CACHE_CONTROL = "private, max-age=0, must-revalidate"


def _cache_control(account: CurrentAccount | None) -> str:
    """Someone logged in may be reading a draft's preview: no shared cache may keep what they get."""
    return CACHE_CONTROL if account is None else PERSONAL_CACHE_CONTROL


def served(
    rendered: Rendered, if_none_match: str | None, filename: str | None = None, cache_control: str = CACHE_CONTROL
) -> Response[bytes]:
    """Cached bytes, or 304 Not Modified when the client already holds them (If-None-Match)."""
    headers = {"ETag": rendered.etag, "Cache-Control": cache_control}
    if etag_matches(if_none_match, rendered.etag):
        return Response(content=b"", status_code=304, headers=headers)
    if filename:
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return Response(content=rendered.body, media_type=rendered.media_type, headers=headers)


log = logging.getLogger(__name__)


class RoomController(Controller):
    path = "/api/events/{event_id:int}/rooms"
    tags = ["agenda"]

    @get("/", operation_id="listRooms", dependencies=ANYONE)
    async def list_rooms(
        self, event_id: FromPath[int], account: NamedDependency[CurrentAccount | None]
    ) -> list[RoomOut]:
        return msgspec.convert(await agenda.list_rooms(event_id, account), list[RoomOut])

    @post("/", operation_id="createRoom", dependencies=ORGANIZER)
    async def create_room(
        self, event_id: FromPath[int], data: JSONBody[RoomCreate], account: NamedDependency[CurrentAccount]
    ) -> RoomOut:
        return msgspec.convert(await agenda.create_room(account, event_id, present(data)), RoomOut)

    @patch("/{room_id:int}", operation_id="updateRoom", dependencies=ORGANIZER)
    async def update_room(
        self,
        event_id: FromPath[int],
        room_id: FromPath[int],
        data: JSONBody[RoomUpdate],
        account: NamedDependency[CurrentAccount],
    ) -> RoomOut:
        return msgspec.convert(await agenda.update_room(account, event_id, room_id, present(data)), RoomOut)


class TrackController(Controller):
    path = "/api/events/{event_id:int}/tracks"
    tags = ["agenda"]

    @get("/", operation_id="listTracks", dependencies=ANYONE)
    async def list_tracks(
        self, event_id: FromPath[int], account: NamedDependency[CurrentAccount | None]
    ) -> list[TrackOut]:
        return msgspec.convert(await agenda.list_tracks(event_id, account), list[TrackOut])

    @post("/", operation_id="createTrack", dependencies=ORGANIZER)
    async def create_track(
        self, event_id: FromPath[int], data: JSONBody[TrackCreate], account: NamedDependency[CurrentAccount]
    ) -> TrackOut:
        return msgspec.convert(await agenda.create_track(account, event_id, present(data)), TrackOut)

    @patch("/{track_id:int}", operation_id="updateTrack", dependencies=ORGANIZER)
    async def update_track(
        self,
        event_id: FromPath[int],
        track_id: FromPath[int],
        data: JSONBody[TrackUpdate],
        account: NamedDependency[CurrentAccount],
    ) -> TrackOut:
        return msgspec.convert(await agenda.update_track(account, event_id, track_id, present(data)), TrackOut)


class SessionController(Controller):
    """Sessions for organizers (every status), and one session with its live seats for anyone."""

    path = "/api/events/{event_id:int}/sessions"
    tags = ["agenda"]

    @get("/", operation_id="listSessions", dependencies=ORGANIZER)
    async def list_sessions(
        self,
        event_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
        status: FromQuery[SessionStatus | None] = None,
    ) -> list[SessionOut]:
        return msgspec.convert(await agenda.list_sessions(account, event_id, status), list[SessionOut])

    @post("/", operation_id="createSession", dependencies=ORGANIZER, summary="Add a session (409 lists conflicts)")
    async def create_session(
        self, event_id: FromPath[int], data: JSONBody[SessionCreate], account: NamedDependency[CurrentAccount]
    ) -> SessionOut:
        return msgspec.convert(await agenda.create_session(account, event_id, session_fields(data)), SessionOut)

    @get("/{session_id:int}", operation_id="getSession", dependencies=ANYONE)
    async def get_session(
        self, event_id: FromPath[int], session_id: FromPath[int], account: NamedDependency[CurrentAccount | None]
    ) -> SessionOut:
        return msgspec.convert(await agenda.get_session(event_id, session_id, account), SessionOut)

    @patch(
        "/{session_id:int}", operation_id="updateSession", dependencies=ORGANIZER, summary="Change or move a session"
    )
    async def update_session(
        self,
        event_id: FromPath[int],
        session_id: FromPath[int],
        data: JSONBody[SessionUpdate],
        account: NamedDependency[CurrentAccount],
    ) -> SessionChangeOut:
        return msgspec.convert(
            await agenda.update_session(account, event_id, session_id, session_fields(data)), SessionChangeOut
        )

    @post("/{session_id:int}/cancel", operation_id="cancelSession", status_code=200, dependencies=ORGANIZER)
    async def cancel_session(
        self, event_id: FromPath[int], session_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> SessionOut:
        return msgspec.convert(await agenda.cancel_session(account, event_id, session_id), SessionOut)

    @post("/{session_id:int}/people", operation_id="addSessionPerson", dependencies=ORGANIZER)
    async def add_person(
        self,
        event_id: FromPath[int],
        session_id: FromPath[int],
        data: JSONBody[PersonRef],
        account: NamedDependency[CurrentAccount],
    ) -> SessionOut:
        return msgspec.convert(await agenda.add_person(account, event_id, session_id, present(data)), SessionOut)

    @delete(
        "/{session_id:int}/people/{person_id:int}",
        operation_id="removeSessionPerson",
        status_code=200,
        dependencies=ORGANIZER,
    )
    async def remove_person(
        self,
        event_id: FromPath[int],
        session_id: FromPath[int],
        person_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> SessionOut:
        return msgspec.convert(await agenda.remove_person(account, event_id, session_id, person_id), SessionOut)

    @get(
        "/{session_id:int}/affected",
        operation_id="listAffectedPeople",
        dependencies=ORGANIZER,
        summary="Who must hear about a change of this session (bookers and people in roles)",
    )
    async def affected(
        self, event_id: FromPath[int], session_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> list[AffectedOut]:
        return msgspec.convert(await agenda.affected_for(account, event_id, session_id), list[AffectedOut])


class AgendaController(Controller):
    """The published agenda: JSON, calendar feed, CSV; and the organizers' conflict list and change log."""

    path = "/api/events/{event_id:int}"
    tags = ["agenda"]

    @get(
        "/agenda",
        operation_id="getAgenda",
        dependencies=ANYONE,
        summary="Public agenda (ETag, 304 on If-None-Match); a draft's for its organizers (preview)",
    )
    async def get_agenda(
        self,
        event_id: FromPath[int],
        account: NamedDependency[CurrentAccount | None],
        if_none_match: IfNoneMatch = None,
        day: FromQuery[date | None] = None,
        track: FromQuery[str | None] = None,
        room: FromQuery[int | None] = None,
        kind: FromQuery[SessionKind | None] = None,
        person: FromQuery[int | None] = None,
    ) -> Response[dict[str, Any]]:
        return served(
            await agenda_publish.agenda_json(event_id, AgendaFilter(day, track, room, kind, person), account),
            if_none_match,
            cache_control=_cache_control(account),
        )

    @get(
        "/agenda/availability", operation_id="getAgendaAvailability", summary="Live seats of sessions that need booking"
    )
    async def availability(self, event_id: FromPath[int]) -> list[AvailabilityOut]:
        return msgspec.convert(await agenda.availability(event_id), list[AvailabilityOut])

    @get("/agenda/changes", operation_id="listAgendaChanges", dependencies=ORGANIZER)
    async def changes(
        self,
        event_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
        after_id: FromQuery[int] = 0,
        limit: FromQuery[int] = 500,
    ) -> list[ChangeOut]:
        return msgspec.convert(await agenda.list_changes(account, event_id, after_id, limit), list[ChangeOut])

    @get("/conflicts", operation_id="listAgendaConflicts", dependencies=ORGANIZER)
    async def conflicts(self, event_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> list[ConflictOut]:
        return msgspec.convert(await agenda.conflicts(account, event_id), list[ConflictOut])

    @get(
        "/calendar.ics",
        operation_id="getAgendaFeed",
        dependencies=ANYONE,
        summary="Every published session as an iCalendar feed",
    )
    async def calendar(
        self,
        event_id: FromPath[int],
        account: NamedDependency[CurrentAccount | None],
        if_none_match: IfNoneMatch = None,
    ) -> Response[bytes]:
        return served(
            await agenda_publish.public_feed(event_id, account),
            if_none_match,
            f"event-{event_id}.ics",
            cache_control=_cache_control(account),
        )

    @get("/agenda.csv", operation_id="getAgendaCsv", dependencies=ANYONE)
    async def csv(
        self,
        event_id: FromPath[int],
        account: NamedDependency[CurrentAccount | None],
        if_none_match: IfNoneMatch = None,
    ) -> Response[bytes]:
        return served(
            await agenda_publish.agenda_csv(event_id, account),
            if_none_match,
            f"agenda-{event_id}.csv",
            cache_control=_cache_control(account),
        )


class ScheduleController(Controller):
    """frab schedule exchange: export for conference apps and video teams, import from pretalx, frab and others."""

    path = "/api/events/{event_id:int}"
    tags = ["schedule exchange"]

    @get("/schedule.xml", operation_id="getScheduleXml", dependencies=ANYONE)
    async def schedule_xml(
        self,
        event_id: FromPath[int],
        account: NamedDependency[CurrentAccount | None],
        if_none_match: IfNoneMatch = None,
    ) -> Response[bytes]:
        return served(
            await agenda_publish.schedule_xml(event_id, account), if_none_match, cache_control=_cache_control(account)
        )

    @get("/schedule.json", operation_id="getScheduleJson", dependencies=ANYONE)
    async def schedule_json(
        self,
        event_id: FromPath[int],
        account: NamedDependency[CurrentAccount | None],
        if_none_match: IfNoneMatch = None,
    ) -> Response[dict[str, Any]]:
        return served(
            await agenda_publish.schedule_json(event_id, account), if_none_match, cache_control=_cache_control(account)
        )

    @post(
        "/schedule/import",
        operation_id="importSchedule",
        status_code=200,
        dependencies=ORGANIZER,
        request_max_body_size=50_000_000,
        opt={READ_AFTER_PERMISSION: True},
        summary="Import schedule.xml or schedule.json (re-import updates sessions in place, keyed on guid); "
        "removed=keep|cancel decides what happens to sessions missing from the file; dry_run=true only answers; "
        "day_change=HH:MM sets when conference days turn (empty: the file's)",
    )
    async def import_schedule(
        self,
        request: Request,
        event_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
        content_type: Annotated[str, HeaderParameter(name="content-type")] = "",
        removed: FromQuery[RemovedSessions] = RemovedSessions.KEEP,
        dry_run: FromQuery[bool] = False,
        day_change: FromQuery[str | None] = None,
    ) -> ImportOut:
        # Whether this account may import here is settled before up to 50 MB of body is read.
        await require_organizer(account, event_id)
        body = await request.body()
        refuse_deep_json_body(content_type, body)
        return msgspec.convert(
            await schedule_exchange.import_schedule(
                account, event_id, body, content_type, removed.value, dry_run, day_change
            ),
            ImportOut,
        )


class PersonalAgendaController(Controller):
    """The delegate's own agenda, reached with the secret token of the emailed manage link."""

    path = "/api/registrations/{token:str}"
    tags = ["personal agenda"]

    @get("/agenda", operation_id="getPersonalAgenda")
    async def personal_agenda(self, token: FromPath[str]) -> list[BookingOut]:
        return msgspec.convert(await agenda_bookings.personal_agenda(token), list[BookingOut])

    @put("/agenda/{session_id:int}", operation_id="bookSession", summary="Book a session (or join its waiting list)")
    async def book(self, token: FromPath[str], session_id: FromPath[int]) -> BookingOut:
        return msgspec.convert(await agenda_bookings.book(token, session_id), BookingOut)

    @delete("/agenda/{session_id:int}", operation_id="dropSession", status_code=200)
    async def drop(self, token: FromPath[str], session_id: FromPath[int]) -> BookingOut:
        return msgspec.convert(await agenda_bookings.drop(token, session_id), BookingOut)


class PersonalFeedController(Controller):
    """The delegate's calendar subscription, reached with the registration's feed token: it reads the event and the
    booked sessions and can change nothing. (Feeds under the manage token, /api/registrations/{token}/calendar.ics,
    are retired: a calendar app would have kept a link that can cancel the registration.)"""

    path = "/api/my-agenda/{token:str}"
    tags = ["personal agenda"]

    @get("/calendar.ics", operation_id="getPersonalFeed", summary="The delegate's event and booked sessions")
    async def calendar(self, token: FromPath[str], if_none_match: IfNoneMatch = None) -> Response[bytes]:
        return served(
            await agenda_publish.delegate_feed(token),
            if_none_match,
            "my-agenda.ics",
            cache_control=PERSONAL_CACHE_CONTROL,
        )


class SpeakerController(Controller):
    path = "/api/events/{event_id:int}/speakers"
    tags = ["agenda"]

    @put("/{person_id:int}/biography", operation_id="setSpeakerBiography", dependencies=ORGANIZER)
    async def set_biography(
        self,
        event_id: FromPath[int],
        person_id: FromPath[int],
        data: JSONBody[BiographyIn],
        account: NamedDependency[CurrentAccount],
    ) -> BiographyOut:
        """Write (or, with an empty text, remove) the biography shown with a speaker's sessions at this event."""
        return msgspec.convert(await speakers.set_biography(account, event_id, person_id, data.biography), BiographyOut)


AGENDA_CONTROLLERS = [
    RoomController,
    TrackController,
    SpeakerController,
    SessionController,
    AgendaController,
    ScheduleController,
    PersonalAgendaController,
    PersonalFeedController,
]


@asynccontextmanager
async def agenda_lifespan(app: Litestar) -> AsyncIterator[None]:
    """While the API runs, LISTEN for agenda changes so cached agenda views are served without a query."""
    async with agenda_cache.listening(get_settings().database_url):
        warming = asyncio.create_task(_warm())
        try:
            yield
        finally:
            warming.cancel()


async def _warm() -> None:
    try:
        await agenda_publish.warm()
    except Exception:  # a cold cache is slower, never wrong: startup must not fail over it
        log.exception("could not warm the agenda cache")
    heap.settle()  # the cache lives as long as the process
