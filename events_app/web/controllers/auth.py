from __future__ import annotations

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from events_app.services.people import accounts
from events_app.services.people.accounts import CurrentAccount
from events_app.web import abuse
from events_app.web.auth import NO_STORE, ORGANIZER, bearer_token
from events_app.web.schemas import LoginIn, LoginOut
from events_app.web.schemas_accounts import (
    PasswordChangeIn,
    PasswordChangeOut,
    PasswordResetIn,
    PasswordResetRequestIn,
)


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]
    cache_control = NO_STORE

    @post("/login", operation_id="login", status_code=200, summary="Log in; returns a bearer token")
    async def login(self, request: Request, data: JSONBody[LoginIn]) -> LoginOut:
        client = await abuse.login(request, data.email)
        token, expires, account = await accounts.login(data.email, data.password, client=client)
        return LoginOut(token=token, token_type="bearer", expires_at=expires, email=account.email, name=account.name)  # noqa: S106 - OAuth token type

    @post("/logout", operation_id="logout", status_code=204, dependencies=ORGANIZER)
    async def logout(self, request: Request, account: NamedDependency[CurrentAccount]) -> None:
        await accounts.logout(bearer_token(request) or "")

    @post(
        "/password",
        operation_id="changePassword",
        status_code=200,
        dependencies=ORGANIZER,
        summary="Change your password; every other session of the account is logged out",
    )
    async def change_password(
        self, request: Request, data: JSONBody[PasswordChangeIn], account: NamedDependency[CurrentAccount]
    ) -> PasswordChangeOut:
        ended = await accounts.change_password(
            account, data.current_password, data.new_password, keep_token=bearer_token(request)
        )
        return PasswordChangeOut(other_sessions_ended=ended)

    @post(
        "/password-reset",
        operation_id="requestPasswordReset",
        status_code=202,
        summary="Email a password reset link to an organizer account (answers 202 for any address)",
    )
    async def request_reset(self, request: Request, data: JSONBody[PasswordResetRequestIn]) -> None:
        await abuse.password_reset(request, data.email)
        await accounts.request_password_reset(data.email, data.language)

    @post(
        "/password-reset/confirm",
        operation_id="resetPassword",
        status_code=204,
        summary="Set a new password with the emailed link's token; every session of the account is logged out",
    )
    async def reset(self, data: JSONBody[PasswordResetIn]) -> None:
        await accounts.reset_password(data.token, data.password)
