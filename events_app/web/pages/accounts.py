"""An organizer's own account on pages: change the password, and reset a forgotten one through an emailed link.

The same services and the same entry policy as the API's /api/auth routes (web.abuse for the request's limits).
Every answer here is no-store (the page middleware's default), and the reset link's token never leaves the path.
"""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template

from events_app.services.people import accounts
from events_app.services.people.accounts import CurrentAccount
from events_app.web import abuse
from events_app.web.pages.common import (
    SESSION_COOKIE,
    field_errors,
    form_data,
    language_of,
    page,
    provide_page_account,
    redirect,
    redisplay_on,
)

ORGANIZER = {"account": Provide(provide_page_account)}


class PasswordResetPages(Controller):
    path = "/password-reset"
    include_in_schema = False

    @get("/", name="password-reset-request-form")
    async def request_form(self, request: Request) -> Template:
        return page(request, "organizer/password_reset_request.html")

    @post("/", name="password-reset-request")
    async def request_reset(self, request: Request) -> Response:
        data = await form_data(request)
        email = data.get("email", "")
        await abuse.password_reset(request, email)
        await accounts.request_password_reset(email, language_of(request))
        return redirect("/login", "reset-sent")  # the same answer for every address

    @get("/{token:str}", name="password-reset-form")
    async def reset_form(self, request: Request, token: FromPath[str]) -> Template:
        await accounts.check_reset_token(token)
        return page(request, "organizer/password_reset.html", token=token)

    @post("/{token:str}", name="password-reset-submit")
    async def reset(self, request: Request, token: FromPath[str]) -> Response:
        data = await form_data(request)
        async with redisplay_on(
            lambda exc: page(
                request, "organizer/password_reset.html", status=exc.status, token=token, errors=field_errors(exc)
            )
        ):
            await accounts.reset_password(token, data.get("password", ""))  # a used or expired link: 410 page
        return redirect("/login", "password-reset")


class PasswordChangePages(Controller):
    path = "/organizer/password"
    include_in_schema = False
    dependencies = ORGANIZER

    @get("/", name="password-change-form")
    async def form(self, request: Request, account: NamedDependency[CurrentAccount]) -> Template:
        return page(request, "organizer/password_change.html", account=account)

    @post("/", name="password-change")
    async def change(self, request: Request, account: NamedDependency[CurrentAccount]) -> Response:
        data = await form_data(request)
        async with redisplay_on(
            lambda exc: page(
                request, "organizer/password_change.html", status=exc.status, account=account, errors=field_errors(exc)
            )
        ):
            await accounts.change_password(
                account,
                data.get("current_password", ""),
                data.get("new_password", ""),
                keep_token=request.cookies.get(SESSION_COOKIE),
            )
        return redirect("/organizer", "password-changed")
