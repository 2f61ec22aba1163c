"""The delegate's pages: the registration form, and the manage page reached from the emailed link."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pycountry
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from events_app.db import sql
from events_app.documents import qr
from events_app.domain.content import localize_event
from events_app.domain.errors import DomainError, Forbidden, InvalidInput, NotFound
from events_app.domain.questions import validate_answers
from events_app.domain.registration import ACTIVE
from events_app.domain.timespan import ranges_overlap
from events_app.domain.vocab import LANGUAGES
from events_app.services.agenda import agenda_publish
from events_app.services.events import events, translations
from events_app.services.onsite import certificates, checkin_codes
from events_app.services.registration import agenda_bookings, delegations, registration_links, registrations
from events_app.web import abuse
from events_app.web.pages.common import (
    field_errors,
    form_data,
    int_or_none,
    language_of,
    local_path,
    organization_choices,
    page,
    prefixed,
    redirect,
    redisplay_on,
    secure_cookies,
)
from events_app.web.pages.i18n import N_
from events_app.web.pages.wording import human


def countries() -> list[tuple[str, str]]:
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])


def answers_from_form(questions: list[dict], data: dict[str, Any]) -> dict[str, Any]:
    """The form's answers in the shape the service validates: lists for multiple choice, booleans for yes/no."""
    answers: dict[str, Any] = {}
    for q in questions:
        name = f"answers.{q['code']}"
        if q["kind"] == "multiple_choice":
            value: Any = data.get(name, [])
            if isinstance(value, str):
                value = [value] if value else []
        elif q["kind"] == "yes_no":
            value = {"yes": True, "no": False}.get(str(data.get(name, "")))
        else:
            value = data.get(name, "")
        if value not in (None, "", []):
            answers[q["code"]] = value
    return answers


def answer_values(questions: list[dict], answers: dict[str, Any]) -> dict[str, Any]:
    """Stored answers as the form shows them (the inverse of answers_from_form)."""
    values: dict[str, Any] = {}
    for q in questions:
        if q["code"] not in answers:
            continue
        value = answers[q["code"]]
        if q["kind"] == "yes_no":
            value = "yes" if value is True else "no" if value is False else ""
        elif q["kind"] == "multiple_choice":
            value = [str(v) for v in value] if isinstance(value, list) else []
        else:
            value = str(value)
        values[f"answers.{q['code']}"] = value
    return values


def registration_payload(data: dict[str, Any], questions: list[dict], invitation: str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "email": data.get("email", ""),
        "name": data.get("name", ""),
        "category": data.get("category", ""),
        "organization_id": int_or_none(data.get("organization_id")),
        "language": data.get("language") or "en",
        "timezone": data.get("timezone") or None,
        "answers": answers_from_form(questions, data),
        "consent": data.get("consent") in ("yes", "on", "true"),
    }
    if invitation:
        payload["invitation_token"] = invitation
    if data.get("access_code"):
        payload["access_code"] = data["access_code"]
    return payload


def other_problems(event: dict, payload: dict[str, Any], found: dict[str, str]) -> dict[str, str]:
    """The service stops at the first group of problems (the person's fields, then the category, then the
    answers); the form shows every problem at once, so the pure checks of the rest run here too."""
    problems: dict[str, str] = {}
    if not payload.get("invitation_token") and not payload.get("category") and "category" not in found:
        problems["category"] = "choose a category"
    _, answer_errors = validate_answers(event["questions"], payload["answers"])
    for error in answer_errors:
        problems.setdefault(error.field, human(error.message))
    return {k: v for k, v in problems.items() if k not in found}


class RegistrationPages(Controller):
    path = "/events/{event_id:int}/register"
    include_in_schema = False

    async def _form(
        self,
        request: Request,
        event_id: int,
        *,
        values: dict,
        errors: dict | None = None,
        invitation: str | None = None,
        status: int = 200,
    ) -> Template:
        event = await translations.localized(await events.get_event(event_id), language_of(request))
        org_q = request.query_params.get("org_q") or values.get("org_q") or ""
        organizations = await organization_choices(org_q, values.get("organization_id"))
        return page(
            request,
            "delegate/register.html",
            org_q=org_q,
            status=status,
            event=event,
            errors=errors or {},
            values=values,
            invitation=invitation or "",
            organizations=organizations,
            countries=countries(),
            languages=LANGUAGES,
            access_codes=any(c["eligibility"] == "invitation" for c in event["categories"]),
        )

    @get("/", name="register-form")
    async def form(
        self,
        request: Request,
        event_id: FromPath[int],
        invitation: FromQuery[str | None] = None,
        category: FromQuery[str | None] = None,
    ) -> Template:
        values = {"category": category or "", "language": language_of(request), "idempotency_key": uuid.uuid4().hex}
        return await self._form(request, event_id, values=values, invitation=invitation)

    @post("/", name="register-submit")
    async def submit(
        self, request: Request, event_id: FromPath[int], invitation: FromQuery[str | None] = None
    ) -> Response:
        data = await form_data(request)
        invitation = data.get("invitation_token") or invitation
        event = await events.get_event(event_id)
        payload = registration_payload(data, event["questions"], invitation)
        await abuse.registration(request, event_id, payload["email"])  # the API's limits: 429 page when over

        def refused(exc: DomainError) -> Awaitable[Template]:
            errors = field_errors(exc)
            if isinstance(exc, InvalidInput):
                errors = {**errors, **other_problems(event, payload, errors)}
            values = dict(data)
            values["idempotency_key"] = uuid.uuid4().hex  # the corrected form is a new attempt
            return self._form(request, event_id, values=values, errors=errors, invitation=invitation, status=exc.status)

        async with redisplay_on(refused):
            result = await registrations.register(
                event_id, payload, idempotency_key=data.get("idempotency_key") or None
            )
        if not result["manage_token"]:  # the link went to the address only (domain.registration.link_only_by_mail)
            return redirect(f"/events/{event_id}", "registered-link-mailed")
        return redirect(f"/manage/{result['manage_token']}", "registered")


def clashes(sessions: list[dict], mine: dict[int, dict]) -> dict[int, str]:
    """For each session not yet in the personal agenda, the title of a booked (or waited-for) session it overlaps:
    shown before booking. Pure."""
    held = [s for s in sessions if s["id"] in mine]
    out = {}
    for s in sessions:
        if s["id"] in mine or s["status"] == "cancelled":
            continue
        other = next(
            (h for h in held if ranges_overlap(h["starts_at"], h["ends_at"], s["starts_at"], s["ends_at"])), None
        )
        if other is not None:
            out[s["id"]] = other["title"]
    return out


async def programme(event: dict, bookings: list[dict]) -> dict | None:
    """The published sessions with the delegate's bookings, or None when the event has no agenda."""
    try:
        data = await agenda_publish.public_agenda_data(event["id"])
    except NotFound:
        return None
    if not data.sessions:
        return None
    mine = {b["session_id"]: b for b in bookings}
    # What every delegate's page shows of the agenda is built once per version of it (and time zone), and kept with
    # it: the sessions in the event's zone, and each card's agenda part (title, time, room, kind, people) rendered
    # once per language. Each request adds only the delegate's own part: bookings, clashes and the forms.
    sessions = data.fragments.get(("manage-sessions", event["timezone"]))
    if sessions is None:
        sessions = data.fragments[("manage-sessions", event["timezone"])] = _programme_sessions(data, event["timezone"])
    clash = clashes(sessions, mine)
    cards = [(s, mine.get(s["id"]), clash.get(s["id"])) for s in sessions if s["status"] != "cancelled"]
    fragments = data.fragments.setdefault("manage-cards", {})
    return {"cards": cards, "fragments": fragments}


def _programme_sessions(data: agenda_publish.PublicAgenda, timezone: str) -> list[dict]:
    zone = ZoneInfo(timezone)
    rooms = {r["id"]: r["name"] for r in data.rooms}
    return [
        {
            "id": s["id"],
            "title": s["title"],
            "kind": s["kind"],
            "status": s["status"],
            "starts_at": s["starts_at"].astimezone(zone),
            "ends_at": s["ends_at"].astimezone(zone),
            "room": rooms.get(s["room"], ""),
            "requires_booking": s["requires_booking"],
            "people": [p["name"] for p in s["people"]],
        }
        for s in data.sessions
    ]


NO_PASS = N_("To book from the programme, first open the manage link from your confirmation email in this browser.")
PROGRAMME_COOKIE = "programme"  # a pass (registration_links.programme_pass), sent only to the event's pages


def programme_cookie(event_id: int, value: str) -> Cookie:
    """Opening the manage link lets this browser book from the event's public programme: the cookie holds a pass
    that opens booking and dropping sessions only (not the manage token), goes back only to /events/{id}/ pages
    (HttpOnly, SameSite=Lax), for as long as a manage link is worth keeping."""
    return Cookie(
        key=PROGRAMME_COOKIE,
        value=value,
        path=f"/events/{event_id}",
        max_age=int(timedelta(days=180).total_seconds()),
        samesite="lax",
        secure=secure_cookies(),
        httponly=True,
    )


async def programme_registration(request: Request, event_id: int) -> tuple[str, dict] | None:
    """The manage token (derived on the server) and the registration behind this browser's programme pass, when
    it is a live pass of a confirmed registration of this event."""
    value = request.cookies.get(PROGRAMME_COOKIE)
    if not value or len(value) > 200:
        return None
    token = await registration_links.manage_token_of_pass(value)
    if token is None:
        return None
    try:
        registration = await registrations.get_by_token(token)
    except DomainError:
        return None
    if registration["event_id"] != event_id or registration["status"] != "confirmed":
        return None
    return token, registration


async def programme_booking(request: Request, event_id: int) -> dict | None:
    """What the public programme needs to offer Book and Drop to this browser's delegate: their bookings and
    name, when the programme cookie holds a live pass of a confirmed registration of this event."""
    found = await programme_registration(request, event_id)
    if found is None:
        return None
    token, registration = found
    mine = {b["session_id"]: b for b in await agenda_bookings.personal_agenda(token)}
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return {"event_id": event_id, "mine": mine, "back": back, "name": registration["name"]}


class ViewPage(Controller):
    """Reached with the registration's view token, the link calendar invites carry: shows the registration and
    changes nothing (changes go through the manage link in the confirmation email)."""

    path = "/view/{token:str}"
    include_in_schema = False

    @get("/", name="registration-view")
    async def view(self, request: Request, token: FromPath[str]) -> Template:
        registration = await registration_links.by_view_token(token)
        event = await translations.localized(await events.get_event(registration["event_id"]), language_of(request))
        return page(request, "delegate/view.html", registration=registration, event=event)


async def _back(request: Request, event_id: int, session_id: int, otherwise: str) -> str:
    """Where a booking made from the public programme returns: the programme page it came from (a path of the
    registration's own event only), else `otherwise`."""
    data = await form_data(request)
    target = local_path(data.get("next"), "")
    if target.startswith(f"/events/{event_id}/"):
        return f"{target.partition('#')[0]}#session-{session_id}"
    return otherwise


class ManagePages(Controller):
    """Reached with the secret manage token: no login, the link is the key."""

    path = "/manage/{token:str}"
    include_in_schema = False

    async def _page(
        self,
        request: Request,
        token: str,
        *,
        errors: dict | None = None,
        values: dict | None = None,
        template: str = "delegate/manage.html",
        status: int = 200,
        with_pass: bool = False,
    ) -> Template:
        registration = await registrations.get_by_token(token)
        confirmed = registration["status"] == "confirmed"

        async def shown_event() -> tuple[dict, dict | None]:
            event_id, language = registration["event_id"], language_of(request)
            event, texts, bookings = await sql.together(
                events.get_event(event_id),
                translations.translations_of(event_id, language),
                agenda_bookings.agenda_of(registration["id"]) if confirmed else asyncio.sleep(0, []),
            )
            event = localize_event(event, texts)
            return event, await programme(event, bookings)

        async def head_of() -> dict | None:
            try:
                return await delegations.for_head(token)
            except Forbidden:
                return None  # not a head of delegation (or no longer an active one)

        # What the page shows once the registration is known is read at once, each on its own connection: on the
        # congress day every round trip waits for the busy event loop, so a dozen in a row made the page slow.
        (event, agenda), delegation, links, code, programme_pass = await sql.together(
            shown_event(),
            head_of(),
            registration_links.ensure(registration["id"]),
            checkin_codes.live_code(registration["id"]) if confirmed else asyncio.sleep(0),
            registration_links.programme_pass(registration["id"]) if confirmed and with_pass else asyncio.sleep(0, ""),
        )
        return page(
            request,
            template,
            status=status,
            registration=registration,
            event=event,
            delegation=delegation,
            token=token,
            errors=errors or {},
            values=values or {},
            feed_url=links.feed_url,
            just_registered=request.query_params.get("done") == "registered",
            programme=agenda,
            checkin_qr=qr.svg(code, scale=5) if code else "",
            programme_pass=programme_pass,
        )

    @get("/", name="manage")
    async def manage(self, request: Request, token: FromPath[str]) -> Template:
        shown = await self._page(request, token, with_pass=True)
        programme_pass = shown.context["programme_pass"]  # for a confirmed registration
        if programme_pass:
            shown.set_cookie(programme_cookie(shown.context["registration"]["event_id"], programme_pass))
        return shown

    @get("/cancel", name="manage-cancel-confirm")
    async def confirm_cancel(self, request: Request, token: FromPath[str]) -> Template:
        return await self._page(request, token, template="delegate/cancel.html")

    @post("/cancel", name="manage-cancel")
    async def cancel(self, request: Request, token: FromPath[str]) -> Response:
        async with redisplay_on(lambda exc: self._page(request, token, errors=field_errors(exc), status=exc.status)):
            await registrations.cancel_by_token(token)
        return redirect(f"/manage/{token}", "cancelled")

    async def _answers_page(
        self, request: Request, token: str, *, errors: dict | None = None, values: dict | None = None, status: int = 200
    ) -> Template:
        registration = await registrations.get_by_token(token)
        event = await translations.localized(await events.get_event(registration["event_id"]), language_of(request))
        if values is None:
            values = answer_values(event["questions"], registration["answers"] or {})
        return page(
            request,
            "delegate/answers.html",
            status=status,
            registration=registration,
            event=event,
            token=token,
            errors=errors or {},
            values=values,
            countries=countries(),
            editable=registration["status"] in ACTIVE,
        )

    @get("/answers", name="manage-answers")
    async def answers_form(self, request: Request, token: FromPath[str]) -> Template:
        return await self._answers_page(request, token)

    @post("/answers", name="manage-answers-save")
    async def save_answers(self, request: Request, token: FromPath[str]) -> Response:
        data = await form_data(request)
        registration = await registrations.get_by_token(token)
        event = await events.get_event(registration["event_id"])
        async with redisplay_on(
            lambda exc: self._answers_page(
                request,
                token,
                values=data,
                status=exc.status,
                errors={("_form" if k == "status" else k): v for k, v in field_errors(exc).items()},
            )
        ):
            await registrations.update_answers(token, answers_from_form(event["questions"], data))
        return redirect(f"/manage/{token}#answers", "answers-saved")

    @post("/accept-offer", name="manage-accept")
    async def accept(self, request: Request, token: FromPath[str]) -> Response:
        async with redisplay_on(lambda exc: self._page(request, token, errors=field_errors(exc), status=exc.status)):
            await registrations.accept_offer(token)
        return redirect(f"/manage/{token}", "accepted")

    @post("/sessions/{session_id:int}/book", name="manage-book")
    async def book(self, request: Request, token: FromPath[str], session_id: FromPath[int]) -> Response:
        # A missing session is shown beside the programme; a link that opens no registration is the error page.
        async with redisplay_on(
            lambda exc: self._page(
                request, token, errors={f"session-{session_id}": human(exc.detail)}, status=exc.status
            ),
            url_names=("registration",),
        ):
            registration = await registrations.get_by_token(token)
            await agenda_bookings.book(token, session_id)
        return redirect(
            await _back(request, registration["event_id"], session_id, f"/manage/{token}#programme"), "booked"
        )

    @post("/sessions/{session_id:int}/drop", name="manage-drop")
    async def drop(self, request: Request, token: FromPath[str], session_id: FromPath[int]) -> Response:
        async with redisplay_on(
            lambda exc: self._page(
                request, token, errors={f"session-{session_id}": human(exc.detail)}, status=exc.status
            ),
            url_names=("registration",),
        ):
            registration = await registrations.get_by_token(token)
            await agenda_bookings.drop(token, session_id)
        return redirect(
            await _back(request, registration["event_id"], session_id, f"/manage/{token}#programme"), "dropped"
        )

    @post("/certificate", name="manage-certificate")
    async def certificate(self, request: Request, token: FromPath[str]) -> Response:
        # Refused (not checked in, not confirmed, too many requests) beside the button; an unknown link: error page.
        async with redisplay_on(
            lambda exc: self._page(request, token, errors={"certificate": human(exc.detail)}, status=exc.status),
            url_names=("registration",),
        ):
            await certificates.request_by_token(token)
        return redirect(f"/manage/{token}#certificate", "certificate-sent")

    @post("/delegation/members", name="manage-add-member")
    async def add_member(self, request: Request, token: FromPath[str]) -> Response:
        data = await form_data(request)
        member = {
            "email": data.get("email", ""),
            "name": data.get("name", ""),
            "language": data.get("language") or "en",
        }
        await abuse.delegation_member(request, token, member["email"])  # the API's limits: 429 page when over
        async with redisplay_on(
            lambda exc: self._page(
                request,
                token,
                errors=prefixed("member", exc),
                values={f"member.{k}": v for k, v in member.items()},
                status=exc.status,
            )
        ):
            await delegations.add_member(token, member)
        return redirect(f"/manage/{token}", "member-added")

    @post("/delegation/members/{registration_id:int}/substitute", name="manage-substitute")
    async def substitute(self, request: Request, token: FromPath[str], registration_id: FromPath[int]) -> Response:
        data = await form_data(request)
        member = {
            "email": data.get("email", ""),
            "name": data.get("name", ""),
            "language": data.get("language") or "en",
        }
        prefix = f"sub{registration_id}"
        await abuse.delegation_member(request, token, member["email"])  # the API's limits: 429 page when over
        # A member who is not in the delegation is shown on the form; a link that opens nothing is the error page.
        async with redisplay_on(
            lambda exc: self._page(
                request,
                token,
                errors=prefixed(prefix, exc),
                values={f"{prefix}.{k}": v for k, v in member.items()},
                status=exc.status,
            ),
            url_names=("registration",),
        ):
            await delegations.substitute(token, registration_id, member)
        return redirect(f"/manage/{token}", "substituted")


class ProgrammeBookingPages(Controller):
    """Book and Drop on the public programme pages, with the programme pass the manage link left in this browser
    (pages carry no token; CSRF-protected like every form). Refusals (a clash, a cancelled session) are the error
    page with the reason; no pass, or another event's, is 403."""

    path = "/events/{event_id:int}/sessions/{session_id:int}"
    include_in_schema = False

    async def _token(self, request: Request, event_id: int) -> str:
        found = await programme_registration(request, event_id)
        if found is None:
            raise Forbidden(NO_PASS)
        return found[0]

    @post("/book", name="programme-book")
    async def book(self, request: Request, event_id: FromPath[int], session_id: FromPath[int]) -> Response:
        token = await self._token(request, event_id)
        await agenda_bookings.book(token, session_id)
        return redirect(await _back(request, event_id, session_id, f"/events/{event_id}/agenda"), "booked")

    @post("/drop", name="programme-drop")
    async def drop(self, request: Request, event_id: FromPath[int], session_id: FromPath[int]) -> Response:
        token = await self._token(request, event_id)
        await agenda_bookings.drop(token, session_id)
        return redirect(await _back(request, event_id, session_id, f"/events/{event_id}/agenda"), "dropped")
