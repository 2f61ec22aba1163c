from __future__ import annotations

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from events_app.services import accounts
from events_app.services.accounts import CurrentAccount
from events_app.web import abuse
from events_app.web.auth import ORGANIZER, bearer_token
from events_app.web.schemas import LoginIn, LoginOut


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post("/login", operation_id="login", status_code=200, summary="Log in; returns a bearer token")
    async def login(self, request: Request, data: JSONBody[LoginIn]) -> LoginOut:
        await abuse.login(request)
        token, expires, account = await accounts.login(data.email, data.password)
        return LoginOut(token=token, token_type="bearer", expires_at=expires, email=account.email, name=account.name)

    @post("/logout", operation_id="logout", status_code=204, dependencies=ORGANIZER)
    async def logout(self, request: Request, account: NamedDependency[CurrentAccount]) -> None:
        await accounts.logout(bearer_token(request) or "")
