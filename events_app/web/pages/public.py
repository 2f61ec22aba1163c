"""Public pages: upcoming events with filters, the event page, add-to-calendar, the language switch."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from events_app.domain.agenda import now_and_next
from events_app.domain.errors import InvalidInput, NotFound
from events_app.domain.events import location_text
from events_app.domain.schedule import conference_day, plain_text
from events_app.domain.text import fold
from events_app.domain.timespan import days_overlap
from events_app.domain.vocab import EVENT_KINDS, country_name
from events_app.services.agenda import agenda_publish
from events_app.services.events import event_calendar, events, translations
from events_app.services.people.accounts import CurrentAccount
from events_app.services.registration import registrations
from events_app.settings import get_settings
from events_app.web import abuse
from events_app.web.pages.agenda import grid_layout
from events_app.web.pages.common import (
    form_data,
    language_of,
    local_path,
    optional_page_account,
    page,
    redirect,
    secure_cookies,
)
from events_app.web.pages.delegate import programme_booking
from events_app.web.pages.i18n import LANG_COOKIE, UI_LANGUAGES

OPTIONAL_ACCOUNT = {"account": Provide(optional_page_account)}


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def session_text(session: dict) -> str:
    """What the programme's search looks in: title, abstract, speakers and their organizations, folded. Pure."""
    people = " ".join(f"{p['name']} {p.get('organization') or ''}" for p in session.get("people") or [])
    return fold(f"{session['title']} {session.get('abstract') or ''} {people}")


def filter_events(
    rows: list[dict], *, country: str | None, starts_from: date | None, until: date | None, q: str | None
) -> list[dict]:
    """The public list's filters beyond kind: country, a date range (event days overlapping it) and free text."""
    out = []
    for e in rows:
        first, last = e["starts_at"].date(), e["ends_at"].date()
        if country and (e["country"] or "") != country:
            continue
        if not days_overlap(first, last, starts_from, until):
            continue
        if q and q.lower() not in f"{e['title']} {e['city']} {e['description']}".lower():
            continue
        out.append(e)
    return out


def google_calendar_link(event: dict) -> str:
    """A prefilled 'add to Google Calendar' link (the event's own zone keeps the times right)."""
    fmt = "%Y%m%dT%H%M%SZ"
    start = event["starts_at"].astimezone(timezone.utc).strftime(fmt)
    end = event["ends_at"].astimezone(timezone.utc).strftime(fmt)
    where = location_text(
        event["venue_name"], event["venue_address"], event["city"], country_name(event["country"]), event["online_url"]
    )
    details = f"{get_settings().public_url}/events/{event['id']}"
    query = urlencode(
        {
            "action": "TEMPLATE",
            "text": event["title"],
            "dates": f"{start}/{end}",
            "ctz": event["timezone"],
            "location": where,
            "details": details,
        }
    )
    return f"https://calendar.google.com/calendar/render?{query}"


class PublicPages(Controller):
    path = "/"
    include_in_schema = False
    dependencies = OPTIONAL_ACCOUNT

    @get("/", name="home")
    async def home(
        self,
        request: Request,
        account: NamedDependency[CurrentAccount | None],
        kind: FromQuery[str | None] = None,
        country: FromQuery[str | None] = None,
        starts_from: FromQuery[str | None] = None,
        until: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
    ) -> Template:
        kind = kind if kind in EVENT_KINDS else None
        language = language_of(request)
        published = [await translations.localized(e, language) for e in await events.list_published(kind, True)]
        countries = sorted({e["country"] for e in published if e["country"]}, key=country_name)
        shown = filter_events(
            published,
            country=country or None,
            starts_from=_day(starts_from),
            until=_day(until),
            q=(q or "").strip() or None,
        )
        return page(
            request,
            "public/home.html",
            account=account,
            events=shown,
            kinds=EVENT_KINDS,
            countries=[(c, country_name(c)) for c in countries],
            values={
                "kind": kind or "",
                "country": country or "",
                "starts_from": starts_from or "",
                "until": until or "",
                "q": q or "",
            },
        )

    @get("/events/{event_id:int}", name="event")
    async def event(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount | None]
    ) -> Template:
        event = await translations.localized(await events.get_event(event_id, account), language_of(request))
        where = location_text(
            event["venue_name"], event["venue_address"], event["city"], country_name(event["country"]), ""
        )
        ics = f"/events/{event_id}/calendar.ics"
        webcal = get_settings().public_url.replace("https://", "webcal://").replace("http://", "webcal://") + ics
        return page(
            request,
            "public/event.html",
            account=account,
            event=event,
            where=where,
            country=country_name(event["country"]),
            google_link=google_calendar_link(event),
            ics_link=ics,
            webcal_link=webcal,
        )

    @get("/events/{event_id:int}/agenda", name="agenda")
    async def agenda(
        self,
        request: Request,
        event_id: FromPath[int],
        day: FromQuery[str | None] = None,
        track: FromQuery[str | None] = None,
        room: FromQuery[str | None] = None,
        kind: FromQuery[str | None] = None,
        q: FromQuery[str | None] = None,
    ) -> Template:
        """The programme by day: a room-by-time grid on wide screens and a list on phones, filtered by track,
        room, kind and words (accents and case ignored), with what is on now and next during the event."""
        data = await agenda_publish.public_agenda_data(event_id)
        zone = ZoneInfo(data.event["timezone"])
        # a night session (after midnight, before the conference's day change) is on the day it belongs to
        days = sorted({conference_day(s["starts_at"], zone, data.day_change) for s in data.sessions})
        chosen = _day(day) if _day(day) in days else (days[0] if days else None)
        room_id = int(room) if room and room.isdigit() else None
        track_ids = {t["slug"]: t["id"] for t in data.tracks}
        words = fold((q or "").strip())
        shown = [
            s
            for s in data.sessions
            if conference_day(s["starts_at"], zone, data.day_change) == chosen
            and (not track or s["track"] == track_ids.get(track))
            and (room_id is None or s["room"] == room_id)
            and (not kind or s["kind"] == kind)
            and (not words or words in session_text(s))
        ]
        rooms = {r["id"]: r for r in data.rooms}
        tracks = {t["id"]: t for t in data.tracks}
        grid_rooms = [r for r in data.rooms if room_id is None or r["id"] == room_id]
        layout = (
            grid_layout(
                [{**s, "room": {"id": s["room"]} if s["room"] else None} for s in shown],
                grid_rooms,
                chosen,
                data.event["timezone"],
            )
            if chosen and grid_rooms
            else None
        )
        current, upcoming = now_and_next(data.sessions, datetime.now(timezone.utc))
        booking = await programme_booking(request, event_id)
        # The day's grid and list are the page's costly part (about 10 ms for a congress day): for visitors without
        # a booking link they depend only on this version of the agenda, the language and known filter values,
        # and are rendered once per combination (a search's words are not kept).
        known = (not track or track in track_ids) and (room_id is None or room_id in rooms) and not words
        cacheable = booking is None and known and (not kind or any(s["kind"] == kind for s in data.sessions))
        return page(
            request,
            "public/agenda.html",
            fragments=data.fragments if cacheable else None,
            fragment_key=(language_of(request), chosen, track or "", room_id, kind or ""),
            event=data.event,
            days=days,
            day=chosen,
            sessions=shown,
            layout=layout,
            grid_rooms=grid_rooms,
            rooms=rooms,
            tracks=tracks,
            room_list=data.rooms,
            track_list=data.tracks,
            kinds=sorted({s["kind"] for s in data.sessions}),
            values={"track": track or "", "room": room or "", "kind": kind or "", "q": q or ""},
            current=current,
            upcoming=upcoming,
            booking=booking,
        )

    @get("/events/{event_id:int}/sessions/{session_id:int}", name="session")
    async def session(self, request: Request, event_id: FromPath[int], session_id: FromPath[int]) -> Template:
        data = await agenda_publish.public_agenda_data(event_id)
        found = next((s for s in data.sessions if s["id"] == session_id), None)
        if found is None:
            raise NotFound("session")
        room = next((r for r in data.rooms if r["id"] == found["room"]), None)
        track = next((t for t in data.tracks if t["id"] == found["track"]), None)
        # a biography from a schedule file may be HTML (sanitised on import); the page shows its text
        people = [
            {**p, "biography": plain_text(data.person_sources.get(p["person_id"], {}).get("biography") or "")}
            for p in found["people"]
        ]
        google = google_calendar_link(
            {**data.event, "title": found["title"], "starts_at": found["starts_at"], "ends_at": found["ends_at"]}
        )
        day = found["starts_at"].astimezone(ZoneInfo(data.event["timezone"])).date()
        return page(
            request,
            "public/session.html",
            event=data.event,
            session=found,
            people=people,
            room=room,
            track=track,
            booking=await programme_booking(request, event_id),
            google_link=google,
            day=day,
        )

    @get("/events/{event_id:int}/calendar.ics", name="event-ics", media_type="text/calendar")
    async def event_ics(self, event_id: FromPath[int]) -> Response:
        return Response(
            await event_calendar.event_ics(event_id),
            media_type="text/calendar",
            headers={"Content-Disposition": f'attachment; filename="event-{event_id}.ics"'},
        )

    @post("/events/{event_id:int}/resend-link", name="resend-link")
    async def resend_link(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount | None]
    ) -> Response:
        data = await form_data(request)
        await abuse.resend_link(request, event_id, data.get("email", ""))  # the API's limits: 429 page when over
        try:
            await registrations.resend_link(event_id, data.get("email", ""))
        except InvalidInput:
            pass  # the same answer for every address: nobody learns who is registered
        return redirect(f"/events/{event_id}", "link-sent")

    @get("/language/{code:str}", name="language")
    async def language(self, code: FromPath[str], next: FromQuery[str | None] = None) -> Redirect:
        """Remember the chosen language for a year and go back to the page it was chosen on."""
        target = local_path(next)
        if code not in UI_LANGUAGES:
            return Redirect(path=target, status_code=303)
        cookie = Cookie(
            key=LANG_COOKIE,
            value=code,
            path="/",
            max_age=int(timedelta(days=365).total_seconds()),
            samesite="lax",
            secure=secure_cookies(),
            httponly=True,
        )
        return Redirect(path=target, status_code=303, cookies=[cookie])
