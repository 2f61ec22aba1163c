"""Bearer-token authentication as Litestar dependencies."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide

from events_app.domain.errors import Unauthorized
from events_app.services.people import accounts
from events_app.services.people.accounts import CurrentAccount


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def provide_account(request: Request) -> CurrentAccount:
    """For organizer routes: 401 without a valid token."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized()
    return await accounts.authenticate(token)


async def provide_optional_account(request: Request) -> CurrentAccount | None:
    """For public routes that show more to organizers (drafts)."""
    token = bearer_token(request)
    return await accounts.authenticate(token) if token else None


# Answers that carry a token (login, registration, manage and reset routes) are never stored by a browser or
# proxy: `cache_control=NO_STORE` on the route or controller.
NO_STORE = CacheControlHeader(no_store=True)

# Route dependencies of every organizer route: `account` is the logged-in account (401 without a valid token).
ORGANIZER = {"account": Provide(provide_account)}
