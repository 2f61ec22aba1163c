"""Agenda pages: the organizer's grid (rooms by time) to create and move sessions with conflicts marked, and the
delegate's session booking on the manage page."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from events_app.domain.agenda import LOGGED_FIELDS, ROLES, SESSION_KINDS
from events_app.domain.errors import DomainError, FieldError, InvalidInput
from events_app.domain.schedule import conference_day, day_window
from events_app.services.agenda import agenda, agenda_publish, speakers
from events_app.services.events import events
from events_app.services.exchange import schedule_exchange
from events_app.services.people import people
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.web.pages.common import (
    UPLOAD_FORM,
    checked_form,
    field_errors,
    form_data,
    int_or_none,
    page,
    prefixed,
    provide_page_account,
    redirect,
    redisplay_on,
)
from events_app.web.pages.wording import human

ORGANIZER = {"account": Provide(provide_page_account)}
# Languages offered for a session (named in the reader's language); a session in another language keeps its own.
SESSION_LANGUAGES = ("en", "es", "fr", "pt", "de", "it", "ar", "zh", "ja", "ko", "ru", "tr", "nl", "sv")
IMPORT_MAX_BYTES = 50_000_000  # the largest real schedules are 1-2 MB; sent twice (upload, then the preview's form)
SLOT = timedelta(minutes=30)
MAX_ROWS = 48  # half-hour rows of one day; app.css has a class per row and span


def event_days(event: dict) -> list[date]:
    zone = ZoneInfo(event["timezone"])
    first, last = event["starts_at"].astimezone(zone).date(), event["ends_at"].astimezone(zone).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def grid_layout(
    sessions: list[dict], rooms: list[dict], day: date, tzid: str, day_change: time | None = None
) -> dict[str, Any]:
    """Place the day's sessions on a grid of half-hour rows (row 1 is the room header) and one column per room
    (column 1 holds the times; sessions without a room go in a last 'no room' column). The day is the conference's
    (domain.schedule.conference_day): with a day change at 06:00, a session at 01:00 is the night of the day
    before, and the grid runs past midnight to show it. Pure."""
    zone = ZoneInfo(tzid)
    todays = [
        s for s in sessions if conference_day(s["starts_at"], zone, day_change) == day and s["status"] != "cancelled"
    ]
    window_start, window_end = day_window(day, zone, day_change)
    earliest = min([s["starts_at"].astimezone(zone) for s in todays], default=None)
    latest = max([s["ends_at"].astimezone(zone) for s in todays], default=None)
    start = datetime.combine(day, time(8), zone)
    if earliest is not None:
        start = min(start, earliest.replace(minute=0, second=0, microsecond=0))
    start = max(start, window_start)
    end = datetime.combine(day, time(18), zone)
    if latest is not None:
        end = max(
            end,
            latest.replace(minute=0, second=0, microsecond=0) + (timedelta(hours=1) if latest.minute else timedelta(0)),
        )
    end = min(end, window_end)
    rows = min(int((end - start) / SLOT), MAX_ROWS)
    columns = {room["id"]: i + 2 for i, room in enumerate(rooms)}
    no_room = len(rooms) + 2
    placed = []
    for s in todays:
        begin = s["starts_at"].astimezone(zone)
        finish = min(s["ends_at"].astimezone(zone), start + rows * SLOT)
        row = max(int((begin - start) / SLOT), 0) + 2
        span = max(int(-(-(finish - begin) // SLOT)), 1)
        span = min(span, rows + 2 - row) or 1
        room_id = (s.get("room") or {}).get("id")
        minutes = int((s["ends_at"] - s["starts_at"]).total_seconds() // 60)
        placed.append({**s, "row": row, "span": span, "column": columns.get(room_id, no_room), "minutes": minutes})
    times = [(i + 2, (start + i * SLOT).strftime("%H:%M")) for i in range(rows)]
    # Empty cells a session can be dropped on: one per half hour and room, carrying the room and wall-clock start.
    slots = [
        {"row": i + 2, "column": columns[room["id"]], "room_id": room["id"], "starts_at": (start + i * SLOT)}
        for i in range(rows)
        for room in rooms
    ]
    has_unplaced = any(p["column"] == no_room for p in placed)
    return {
        "sessions": placed,
        "times": times,
        "slots": slots,
        "columns": len(rooms) + (2 if has_unplaced else 1),
        "no_room_column": no_room if has_unplaced else None,
    }


def session_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The session form's values for the agenda service (times are wall-clock in the event's zone)."""
    fields: dict[str, Any] = {}
    errors: list[FieldError] = []
    for name in ("starts_at", "ends_at"):
        if name in data:
            try:
                fields[name] = datetime.fromisoformat(data[name])
            except ValueError:
                errors.append(FieldError(name, "must be a date and time, e.g. 2026-10-06T09:30"))
    for name in ("room_id", "track_id"):
        if name in data:
            fields[name] = int_or_none(data[name])
    for name in ("title", "kind", "abstract", "language", "online_url", "status"):
        if name in data:
            fields[name] = data[name]
    if "capacity" in data:
        fields["capacity"] = int_or_none(data["capacity"])
    if "title" in data:
        fields["requires_booking"] = data.get("requires_booking") == "on"
    if errors:
        raise InvalidInput(errors)
    return fields


CHANGES_PER_PAGE = 100
TIME_FIELDS = ("starts_at", "ends_at")


def shown_value(field: str, value: Any, rooms: dict[int, str], tracks: dict[int, str]) -> dict[str, Any]:
    """One side of a logged change, typed for the template: a time (shown in the event's zone), a word to
    translate, or text as it is. Pure."""
    if field in TIME_FIELDS and isinstance(value, str):
        try:
            return {"time": datetime.fromisoformat(value)}
        except ValueError:
            return {"text": value}
    if value is None or value == "":
        return {"word": {"room_id": "No room", "track_id": "No track"}.get(field, "none")}
    if isinstance(value, bool):
        return {"word": "Yes" if value else "No"}
    if field == "room_id":
        return {"text": rooms.get(value, f"#{value}")}
    if field == "track_id":
        return {"text": tracks.get(value, f"#{value}")}
    if field in ("status", "registrations"):
        return {"word": str(value)}
    if field == "people" and isinstance(value, dict):
        return {"text": f"{value.get('name', '')} ({value.get('role', '')})"}
    if field == "kind":
        return {"text": str(value).replace("_", " ")}
    text = str(value)
    return {"text": text if len(text) <= 160 else text[:159] + "…"}


def change_rows(
    action: str, changes: dict[str, Any], rooms: dict[int, str], tracks: dict[int, str]
) -> list[dict[str, Any]]:
    """A change-log entry's {field: {from, to}} as rows of (field, before, after); a new session shows only the
    fields it was given (not its empty abstract or unset options). Pure."""
    rows = []
    order = {name: i for i, name in enumerate(LOGGED_FIELDS)}  # JSONB keeps no key order
    for field, pair in sorted((changes or {}).items(), key=lambda item: (order.get(item[0], len(order)), item[0])):
        if not isinstance(pair, dict):
            continue
        if action == "created" and (pair.get("to") in (None, "", False, []) or field == "abstract"):
            continue
        row = {
            "field": field,
            "from": shown_value(field, pair.get("from"), rooms, tracks),
            "to": shown_value(field, pair.get("to"), rooms, tracks),
        }
        if field == "registrations":
            row["count"] = len(pair.get("ids") or [])
        rows.append(row)
    return rows


def update_rows(changes: list[Any], rooms: dict[int, str], tracks: dict[int, str]) -> list[dict[str, Any]]:
    """A pending calendar update's changes (each {"by", "fields"}; a field as {"from", "to"} or [before, after])
    as rows of (field, before, after) typed for display: a field changed several times in the window shows where
    it started and where it ended. Pure."""
    first: dict[str, Any] = {}
    last: dict[str, Any] = {}
    for change in changes or []:
        fields = change.get("fields") if isinstance(change, dict) else None
        for field, pair in (fields or {}).items():
            if isinstance(pair, dict):
                before, after = pair.get("from"), pair.get("to")
            elif isinstance(pair, list | tuple) and len(pair) == 2:
                before, after = pair
            else:
                continue
            first.setdefault(field, before)
            last[field] = after
    order = {name: i for i, name in enumerate(LOGGED_FIELDS)}
    return [
        {
            "field": field,
            "from": shown_value(field, first[field], rooms, tracks),
            "to": shown_value(field, last[field], rooms, tracks),
        }
        for field in sorted(last, key=lambda f: (order.get(f, len(order)), f))
        if first[field] != last[field]
    ]


# The new-session form's choices before anything is typed.
NEW_SESSION = {"kind": "talk", "language": "en"}


class AgendaPages(Controller):
    path = "/organizer/events/{event_id:int}/agenda"
    include_in_schema = False
    dependencies = ORGANIZER

    async def _grid(
        self,
        request: Request,
        account: CurrentAccount,
        event_id: int,
        day: str | None = None,
        *,
        errors: dict | None = None,
        values: dict | None = None,
        attempted: list[dict] | None = None,
        moving: int | None = None,
        clashing: int = 0,
        status: int = 200,
    ) -> Template:
        event = await events.get_event(event_id, account)
        rooms = await agenda.list_rooms(event_id, account)
        tracks = await agenda.list_tracks(event_id, account)
        sessions = await agenda.list_sessions(account, event_id)
        conflicts = await agenda.conflicts(account, event_id)
        day_change = await agenda_publish.day_change_of(event_id)
        days = event_days(event)
        chosen = next((d for d in days if d.isoformat() == day), None)
        if chosen is None and moving is not None:
            moved = next((s for s in sessions if s["id"] == moving), None)
            zone = ZoneInfo(event["timezone"])
            chosen = conference_day(moved["starts_at"], zone, day_change) if moved else None
        chosen = chosen or days[0]
        marked: dict[int, list[str]] = {}
        for c in conflicts + (attempted or []):
            for s in c["sessions"]:
                marked.setdefault(s["id"], []).append(c["detail"])
        if moving is not None and attempted:
            marked.setdefault(moving, []).extend(c["detail"] for c in attempted)
        layout = grid_layout(sessions, rooms, chosen, event["timezone"], day_change)
        return page(
            request,
            "organizer/agenda.html",
            status=status,
            account=account,
            event=event,
            rooms=rooms,
            tracks=tracks,
            languages=SESSION_LANGUAGES,
            days=days,
            day=chosen,
            layout=layout,
            marked=marked,
            conflicts=conflicts,
            attempted=attempted or [],
            kinds=SESSION_KINDS,
            errors=errors or {},
            values=values or NEW_SESSION,
            sessions=sessions,
            clashing=clashing,
            agenda_enabled=True,
        )

    @get("/", name="agenda-grid")
    async def grid(
        self,
        request: Request,
        event_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
        day: FromQuery[str | None] = None,
    ) -> Template:
        return await self._grid(request, account, event_id, day, clashing=clashing_of(request))

    @get("/import", name="agenda-import")
    async def import_form(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Template:
        """Upload a schedule file, see what it would create, change and remove, then import it."""
        await require_organizer(account, event_id)
        event = await events.get_event(event_id, account)
        own = await agenda_publish.day_change_of(event_id)
        values = {"removed": "keep", "day_change": own.strftime("%H:%M") if own else ""}
        return page(request, "organizer/agenda_import.html", account=account, event=event, values=values)

    @post("/import", name="agenda-import-run", request_max_body_size=IMPORT_MAX_BYTES, opt=UPLOAD_FORM)
    async def run_import(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Template:
        """Preview (a dry run: nothing written) or apply an import. The previewed file travels in the preview's
        form, so what is applied is exactly what was previewed."""
        await require_organizer(account, event_id)  # before the upload is read
        event = await events.get_event(event_id, account)
        form = await checked_form(request)
        upload = form.get("file")
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read()
            content_type = upload.content_type or ("application/json" if upload.filename.endswith(".json") else "")
        else:
            data = base64.b64decode(str(form.get("content") or ""), validate=False)
            content_type = str(form.get("content_type") or "")
        values = {"removed": str(form.get("removed") or "keep"), "day_change": str(form.get("day_change") or "")}
        context: dict[str, Any] = {"account": account, "event": event, "values": values}
        if not data:
            return page(request, "organizer/agenda_import.html", status=422, missing_file=True, **context)
        dry_run = form.get("action") != "apply"
        try:
            result = await schedule_exchange.import_schedule(
                account, event_id, data, content_type, values["removed"], dry_run, values["day_change"]
            )
        except InvalidInput as exc:
            problems = [{"field": e.field, "message": e.message} for e in exc.errors]
            return page(request, "organizer/agenda_import.html", status=422, problems=problems, **context)
        return page(
            request,
            "organizer/agenda_import.html",
            result=result,
            content=base64.b64encode(data).decode() if dry_run else "",
            content_type=content_type,
            **context,
        )

    @get("/changes", name="agenda-changes")
    async def changes(
        self,
        request: Request,
        event_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
        before: FromQuery[int | None] = None,
    ) -> Template:
        """The agenda's change log, newest first: who changed which session when, each field before -> after."""
        event = await events.get_event(event_id, account)
        entries = await agenda.recent_changes(account, event_id, before, CHANGES_PER_PAGE)
        rooms = {r["id"]: r["name"] for r in await agenda.list_rooms(event_id, account)}
        tracks = {t["id"]: t["name"] for t in await agenda.list_tracks(event_id, account)}
        shown = [{**e, "rows": change_rows(e["action"], e["changes"], rooms, tracks)} for e in entries]
        older = entries[-1]["id"] if len(entries) == CHANGES_PER_PAGE else None
        return page(
            request,
            "organizer/agenda_changes.html",
            account=account,
            event=event,
            entries=shown,
            older=older,
            paged=before is not None,
        )

    @post("/rooms", name="agenda-room-create")
    async def add_room(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        async with redisplay_on(
            lambda exc: self._grid(
                request,
                account,
                event_id,
                status=exc.status,
                errors=prefixed("room", exc),
                values={**NEW_SESSION, "room.name": data.get("name", ""), "room.capacity": data.get("capacity", "")},
            )
        ):
            await agenda.create_room(
                account, event_id, {"name": data.get("name", ""), "capacity": int_or_none(data.get("capacity"))}
            )
        return redirect(f"/organizer/events/{event_id}/agenda", "saved")

    @post("/sessions", name="agenda-session-create")
    async def add_session(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        day = data.get("starts_at", "")[:10] or None
        async with redisplay_on(
            lambda exc: self._grid(
                request,
                account,
                event_id,
                day,
                status=exc.status,
                errors=field_errors(exc),
                values=data,
                attempted=exc.extra.get("conflicts", []),
            )
        ):
            created = await agenda.create_session(account, event_id, session_fields(data))
        return redirect(f"/organizer/events/{event_id}/agenda?day={created['starts_at'].date().isoformat()}", "saved")

    async def _session_page(
        self,
        request: Request,
        account: CurrentAccount,
        event_id: int,
        session_id: int,
        *,
        template: str = "organizer/agenda_session.html",
        status: int = 200,
        errors: dict | None = None,
        values: dict | None = None,
        **extra: Any,
    ) -> Template:
        await require_organizer(account, event_id)  # the editor is the organizers' (the API's PATCH asks the same)
        event = await events.get_event(event_id, account)
        found = await agenda.get_session(event_id, session_id, account)
        zone = ZoneInfo(event["timezone"])
        current = {
            "title": found["title"],
            "kind": found["kind"],
            "abstract": found["abstract"],
            "language": found["language"],
            "online_url": found["online_url"],
            "status": found["status"],
            "room_id": (found["room"] or {}).get("id", ""),
            "track_id": (found["track"] or {}).get("id", ""),
            "capacity": "" if found["capacity"] is None else found["capacity"],
            "requires_booking": "on" if found["requires_booking"] else "",
            "starts_at": found["starts_at"].astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
            "ends_at": found["ends_at"].astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
        }
        return page(
            request,
            template,
            status=status,
            account=account,
            event=event,
            session=found,
            rooms=await agenda.list_rooms(event_id, account),
            tracks=await agenda.list_tracks(event_id, account),
            kinds=SESSION_KINDS,
            roles=ROLES,
            languages=_languages_with(found["language"]),
            biographies=await speakers.biographies(event_id),
            values={**current, **(values or {})},
            errors=errors or {},
            agenda_enabled=True,
            **extra,
        )

    @get("/sessions/{session_id:int}", name="agenda-session")
    async def session(
        self,
        request: Request,
        event_id: FromPath[int],
        session_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Template:
        """The session's editor: its text, kind, track, language, room and time; its speakers (found among the people
        the organizer may see, or named by email); cancelling it."""
        query = (request.query_params.get("person_q") or "").strip()
        found = await people.search_people(account, query) if query else None
        return await self._session_page(
            request,
            account,
            event_id,
            session_id,
            person_q=query,
            found_people=found,
            clashing=clashing_of(request),
        )

    @post("/sessions/{session_id:int}", name="agenda-session-edit")
    async def edit_session(
        self,
        request: Request,
        event_id: FromPath[int],
        session_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Response:
        """Save the editor's form through the same service (and rules) as the API's PATCH. A move that leaves
        delegates booked for the session with another booked session at the same time is saved, and the editor
        says how many they are."""
        data = await form_data(request)
        data.setdefault("requires_booking", "")

        def refused(exc: DomainError) -> Awaitable[Template]:
            attempted = exc.extra.get("conflicts", [])
            return self._session_page(
                request,
                account,
                event_id,
                session_id,
                status=exc.status,
                errors=field_errors(exc) if not attempted else {"_form": human(exc.detail)},
                values=data,
                attempted=attempted,
            )

        async with redisplay_on(refused, url_names=("session", "event")):
            changed = await agenda.update_session(account, event_id, session_id, session_fields(data))
        url = f"/organizer/events/{event_id}/agenda/sessions/{session_id}"
        return redirect(with_clashing(url, changed["bookers_now_clashing"]), "saved")

    @get("/sessions/{session_id:int}/cancel", name="agenda-session-cancel-confirm")
    async def cancel_confirm(
        self,
        request: Request,
        event_id: FromPath[int],
        session_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Template:
        """The confirm step: who holds the session in their calendar and will receive the cancellation."""
        affected = await agenda.affected_for(account, event_id, session_id)
        return await self._session_page(
            request,
            account,
            event_id,
            session_id,
            template="organizer/agenda_session_cancel.html",
            affected=affected,
        )

    @post("/sessions/{session_id:int}/cancel", name="agenda-session-cancel")
    async def cancel(
        self,
        request: Request,
        event_id: FromPath[int],
        session_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Response:
        async with redisplay_on(
            lambda exc: self._session_page(
                request, account, event_id, session_id, status=exc.status, errors={"_form": human(exc.detail)}
            ),
            url_names=("session", "event"),
        ):
            await agenda.cancel_session(account, event_id, session_id)
        return redirect(f"/organizer/events/{event_id}/agenda/sessions/{session_id}", "session-cancelled")

    @post("/sessions/{session_id:int}/people", name="agenda-session-person-add")
    async def add_person(
        self,
        request: Request,
        event_id: FromPath[int],
        session_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Response:
        """Add a speaker, moderator or panelist by name and email (linked to the person with that address, or a
        new one); a clash with their other sessions is refused like in the API."""
        data = await form_data(request)
        person: dict[str, Any] = {
            "name": data.get("name", ""),
            "email": data.get("email", ""),
            "role": data.get("role") or "speaker",
        }
        if int_or_none(data.get("person_id")) is not None:  # chosen from the search: the person as they are
            person = {"person_id": int_or_none(data.get("person_id")), "role": data.get("role") or "speaker"}

        def refused(exc: DomainError) -> Awaitable[Template]:
            errors = {f"person.{person_field(k)}": v for k, v in field_errors(exc).items()}
            return self._session_page(
                request,
                account,
                event_id,
                session_id,
                status=exc.status,
                errors=errors,
                person_values=person,
                attempted=exc.extra.get("conflicts", []),
            )

        async with redisplay_on(refused, url_names=("session", "event")):
            await agenda.add_person(account, event_id, session_id, person)
        return redirect(f"/organizer/events/{event_id}/agenda/sessions/{session_id}#people", "person-added")

    @post("/sessions/{session_id:int}/people/{person_id:int}/biography", name="agenda-session-person-biography")
    async def set_biography(
        self,
        request: Request,
        event_id: FromPath[int],
        session_id: FromPath[int],
        person_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Response:
        """The speaker's biography at this event (shown on the public session pages of all their sessions)."""
        data = await form_data(request)

        def refused(exc: DomainError) -> Awaitable[Template]:
            errors = {f"biography-{person_id}": v for v in field_errors(exc).values()}
            return self._session_page(request, account, event_id, session_id, status=exc.status, errors=errors)

        async with redisplay_on(refused, url_names=("session", "event")):
            text = data.get(f"biography-{person_id}", data.get("biography", ""))
            await speakers.set_biography(account, event_id, person_id, text)
        return redirect(f"/organizer/events/{event_id}/agenda/sessions/{session_id}#people", "biography-saved")

    @post("/sessions/{session_id:int}/people/{person_id:int}/remove", name="agenda-session-person-remove")
    async def remove_person(
        self,
        request: Request,
        event_id: FromPath[int],
        session_id: FromPath[int],
        person_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Response:
        await agenda.remove_person(account, event_id, session_id, person_id)
        return redirect(f"/organizer/events/{event_id}/agenda/sessions/{session_id}#people", "person-removed")

    @post("/sessions/{session_id:int}/move", name="agenda-session-move")
    async def move(
        self,
        request: Request,
        event_id: FromPath[int],
        session_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Response:
        """Move to another room and/or time. A clash is refused and shown on the grid, both sessions marked; delegates
        whose bookings the move makes overlap are counted on the grid (their places stay)."""
        data = await form_data(request)
        day = data.get("starts_at", "")[:10] or None

        def refused(exc: DomainError) -> Awaitable[Template]:
            attempted = exc.extra.get("conflicts", [])
            # A clash is shown on the grid itself; other problems at the top (the new-session form is not at fault)
            errors = {} if attempted else {"_form": human(exc.detail)}
            return self._grid(
                request,
                account,
                event_id,
                day,
                status=exc.status,
                errors=errors,
                attempted=attempted,
                moving=session_id,
            )

        async with redisplay_on(refused):
            moved = await agenda.update_session(account, event_id, session_id, session_fields(data))
        url = f"/organizer/events/{event_id}/agenda?day={moved['starts_at'].date().isoformat()}"
        return redirect(with_clashing(url, moved["bookers_now_clashing"]), "saved")

    @post("/rooms/{room_id:int}", name="agenda-room-edit")
    async def edit_room(
        self,
        request: Request,
        event_id: FromPath[int],
        room_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Response:
        data = await form_data(request)
        changes = {"name": data.get("name", ""), "capacity": int_or_none(data.get("capacity"))}
        async with redisplay_on(
            lambda exc: self._grid(
                request,
                account,
                event_id,
                status=exc.status,
                errors=prefixed(f"room-{room_id}", exc),
                values={**NEW_SESSION, **{f"room-{room_id}.{k}": v for k, v in data.items()}},
            ),
            url_names=("room", "event"),
        ):
            await agenda.update_room(account, event_id, room_id, changes)
        return redirect(f"/organizer/events/{event_id}/agenda#rooms", "saved")

    @post("/rooms/{room_id:int}/remove", name="agenda-room-remove")
    async def remove_room(
        self,
        request: Request,
        event_id: FromPath[int],
        room_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Response:
        await self._remove(request, account, event_id, "room", room_id, agenda.delete_room)
        return redirect(f"/organizer/events/{event_id}/agenda#rooms", "removed")

    async def _remove(
        self,
        request: Request,
        account: CurrentAccount,
        event_id: int,
        what: str,
        item_id: int,
        delete: Callable[[CurrentAccount, int, int], Awaitable[None]],
    ) -> None:
        """Remove a room or track; a refusal (sessions still use it) shows on its row of the grid page."""
        async with redisplay_on(
            lambda exc: self._grid(
                request, account, event_id, status=exc.status, errors={f"{what}-{item_id}._form": human(exc.detail)}
            ),
            url_names=(what, "event"),
        ):
            await delete(account, event_id, item_id)

    @post("/tracks", name="agenda-track-create")
    async def add_track(
        self, request: Request, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> Response:
        data = await form_data(request)
        async with redisplay_on(
            lambda exc: self._grid(
                request,
                account,
                event_id,
                status=exc.status,
                errors=prefixed("track", exc),
                values={**NEW_SESSION, "track.name": data.get("name", ""), "track.color": data.get("color", "")},
            )
        ):
            await agenda.create_track(
                account, event_id, {"name": data.get("name", ""), "color": data.get("color", "").lower()}
            )
        return redirect(f"/organizer/events/{event_id}/agenda#tracks", "saved")

    @post("/tracks/{track_id:int}", name="agenda-track-edit")
    async def edit_track(
        self,
        request: Request,
        event_id: FromPath[int],
        track_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Response:
        data = await form_data(request)
        async with redisplay_on(
            lambda exc: self._grid(
                request,
                account,
                event_id,
                status=exc.status,
                errors=prefixed(f"track-{track_id}", exc),
                values={**NEW_SESSION, **{f"track-{track_id}.{k}": v for k, v in data.items()}},
            ),
            url_names=("track", "event"),
        ):
            await agenda.update_track(
                account, event_id, track_id, {"name": data.get("name", ""), "color": data.get("color", "").lower()}
            )
        return redirect(f"/organizer/events/{event_id}/agenda#tracks", "saved")

    @post("/tracks/{track_id:int}/remove", name="agenda-track-remove")
    async def remove_track(
        self,
        request: Request,
        event_id: FromPath[int],
        track_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
    ) -> Response:
        await self._remove(request, account, event_id, "track", track_id, agenda.delete_track)
        return redirect(f"/organizer/events/{event_id}/agenda#tracks", "removed")


def with_clashing(url: str, count: int) -> str:
    """The page a session's move redirects to, with how many of its bookers now have an overlapping booking (none:
    the page as it is). Pure."""
    return f"{url}{'&' if '?' in url else '?'}clashing={count}" if count > 0 else url


def clashing_of(request: Request) -> int:
    """The count a move put in the page's address: only a number, shown in the page's own words (0 if not one)."""
    value = request.query_params.get("clashing") or ""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 7 else 0


def person_field(name: str) -> str:
    """The add-person form's field for a service error about `people[0].email`, `people[0]` or `person_id`. Pure."""
    if name.startswith("people["):
        return name.split("]", 1)[1].lstrip(".") or "email"
    return "email" if name == "person_id" else name


def _languages_with(code: str) -> tuple[str, ...]:
    return SESSION_LANGUAGES if code in SESSION_LANGUAGES else (code, *SESSION_LANGUAGES)
