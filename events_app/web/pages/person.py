"""The person's own pages: ask for an emailed access link (/my-data), use it once (/my-data/<token>), then see
and change the profile, download or erase everything, stop all announcements (/me), for a short session kept in an
HttpOnly cookie. The same services and limits as the API (controllers.people)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events_app.domain.errors import InvalidInput, Unauthorized
from events_app.domain.security import ACCESS_LINK_MINUTES, PERSON_SESSION_MINUTES
from events_app.domain.vocab import LANGUAGES
from events_app.services.agenda import speakers
from events_app.services.privacy import person_access
from events_app.web import abuse
from events_app.web.pages.common import (
    field_errors,
    form_data,
    int_or_none,
    organization_choices,
    page,
    redirect,
    redisplay_on,
    secure_cookies,
)

PERSON_COOKIE = "person_session"
PERSON_PATH = "/me"


def person_cookie(token: str, max_age: int) -> Cookie:
    return Cookie(
        key=PERSON_COOKIE,
        value=token,
        path=PERSON_PATH,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(),
        max_age=max_age,
    )


class AccessLinkPages(Controller):
    """Ask for the link and use it. Opening the link shows a button and changes nothing (mail scanners open links);
    the button's POST uses it."""

    path = "/my-data"
    include_in_schema = False

    @get("/", name="my-data")
    async def form(self, request: Request) -> Template:
        return page(request, "person/request.html", minutes=ACCESS_LINK_MINUTES)

    @post("/", name="my-data-request")
    async def request_link(self, request: Request) -> Response:
        data = await form_data(request)
        email = data.get("email", "")
        try:
            await abuse.person_link(request, email)
            await person_access.request_link(email)
        except InvalidInput as exc:  # about what was typed only: the same for known and unknown addresses
            return page(
                request,
                "person/request.html",
                status=422,
                errors=field_errors(exc),
                values={"email": email},
                minutes=ACCESS_LINK_MINUTES,
            )
        return redirect("/my-data", "access-link-sent")

    @get("/{token:str}", name="my-data-link")
    async def link(self, request: Request, token: FromPath[str]) -> Template:
        state = await person_access.link_state(token)
        return page(
            request,
            "person/link.html",
            status={"valid": 200, "unknown": 404}.get(state, 410),
            state=state,
            token=token,
            minutes=PERSON_SESSION_MINUTES,
        )

    @post("/{token:str}", name="my-data-open")
    async def open(self, request: Request, token: FromPath[str]) -> Response:
        try:
            session = await person_access.exchange(token)
        except person_access.LinkGone as exc:
            return page(
                request,
                "person/link.html",
                status=404 if exc.extra["state"] == "unknown" else 410,
                state=exc.extra["state"],
                token=token,
                minutes=PERSON_SESSION_MINUTES,
            )
        seconds = int((session["expires_at"] - datetime.now(timezone.utc)).total_seconds())
        return Redirect(path=PERSON_PATH, status_code=303, cookies=[person_cookie(session["session"], seconds)])


class PersonPages(Controller):
    """The person's session pages; without a live session they send the visitor to /my-data."""

    path = PERSON_PATH
    include_in_schema = False

    async def _person(self, request: Request) -> int | None:
        try:
            return await person_access.authenticate(request.cookies.get(PERSON_COOKIE))
        except Unauthorized:
            return None

    async def _page(
        self,
        request: Request,
        person_id: int,
        *,
        errors: dict | None = None,
        values: dict | None = None,
        status: int = 200,
        template: str = "person/me.html",
    ) -> Template:
        profile = await person_access.profile(person_id)
        if values is None:
            values = {
                "name": profile["name"],
                "language": profile["language"],
                "timezone": profile["timezone"] or "",
                "organization_id": profile["organization_id"] or "",
            }
        org_q = request.query_params.get("org_q") or ""
        organizations = await organization_choices(org_q, values.get("organization_id"))
        return page(
            request,
            template,
            org_q=org_q,
            status=status,
            profile=profile,
            errors=errors or {},
            values=values,
            languages=LANGUAGES,
            organizations=organizations,
        )

    @get("/", name="me")
    async def me(self, request: Request) -> Response:
        person_id = await self._person(request)
        if person_id is None:
            return redirect("/my-data", "person-session-ended")
        return await self._page(request, person_id)

    @post("/profile", name="me-profile")
    async def save_profile(self, request: Request) -> Response:
        person_id = await self._person(request)
        if person_id is None:
            return redirect("/my-data", "person-session-ended")
        data = await form_data(request)
        changes = {
            "name": data.get("name", ""),
            "language": data.get("language") or "en",
            "timezone": data.get("timezone") or None,
            "organization_id": int_or_none(data.get("organization_id")),
        }
        async with redisplay_on(
            lambda exc: self._page(request, person_id, errors=field_errors(exc), values=data, status=exc.status)
        ):
            await speakers.change_profile(person_id, changes)
        return redirect(PERSON_PATH, "profile-saved")

    @get("/data.json", name="me-data")
    async def data(self, request: Request) -> Response:
        person_id = await self._person(request)
        if person_id is None:
            return redirect("/my-data", "person-session-ended")
        exported = await person_access.export(person_id)
        return Response(
            json.dumps(msgspec.to_builtins(exported), ensure_ascii=False, indent=2),
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="my-data.json"'},
        )

    @post("/stop-announcements", name="me-stop-announcements")
    async def stop_announcements(self, request: Request) -> Response:
        person_id = await self._person(request)
        if person_id is None:
            return redirect("/my-data", "person-session-ended")
        await person_access.stop_announcements(person_id)
        return redirect(PERSON_PATH, "announcements-stopped")

    @get("/erase", name="me-erase-confirm")
    async def confirm_erase(self, request: Request) -> Response:
        person_id = await self._person(request)
        if person_id is None:
            return redirect("/my-data", "person-session-ended")
        return await self._page(request, person_id, template="person/erase.html")

    @post("/erase", name="me-erase")
    async def erase(self, request: Request) -> Response:
        person_id = await self._person(request)
        if person_id is None:
            return redirect("/my-data", "person-session-ended")
        await person_access.erase(person_id)
        response = redirect("/my-data", "erased")
        response.cookies.append(person_cookie("", 0))
        return response

    @post("/logout", name="me-logout")
    async def logout(self, request: Request) -> Response:
        await person_access.end_session(request.cookies.get(PERSON_COOKIE) or "")
        response = redirect("/my-data", "person-logged-out")
        response.cookies.append(person_cookie("", 0))
        return response
