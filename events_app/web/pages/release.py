"""The one-click link a Decline from a calendar emails: it releases the delegate's seat (or session place) when
they confirm. Opening it changes nothing (mail scanners open links); the button posts."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Template

from events_app.services.registration import calendar_answers
from events_app.web.pages.common import page


class ReleasePages(Controller):
    path = "/release/{token:str}"
    include_in_schema = False

    @get("/", name="release")
    async def release(self, request: Request, token: FromPath[str]) -> Template:
        found = await calendar_answers.release_view(token)
        return page(request, "delegate/release.html", answer=found, token=token, released=False)

    @post("/", name="release-confirm", status_code=200)
    async def confirm(self, request: Request, token: FromPath[str]) -> Template:
        done = await calendar_answers.release(token)
        return page(request, "delegate/release.html", answer=done, token=token, released=True)
