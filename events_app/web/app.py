"""The Litestar application factory."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from litestar import Litestar
from litestar.openapi import OpenAPIConfig

from events_app.db.engine import pool
from events_app.settings import get_settings
from events_app.web import access_log
from events_app.web.controllers.admin import ADMIN_CONTROLLERS
from events_app.web.controllers.agenda import AGENDA_CONTROLLERS, agenda_lifespan
from events_app.web.controllers.auth import AuthController
from events_app.web.controllers.categories import CategoryController, QuestionController
from events_app.web.controllers.delegations import DelegationController, InvitationController
from events_app.web.controllers.event_registrations import EventRegistrationController
from events_app.web.controllers.events import EventController
from events_app.web.controllers.health import HealthController
from events_app.web.controllers.meetings import MEETING_CONTROLLERS
from events_app.web.controllers.notifications import (
    AnnouncementController,
    DeliveryController,
    EventCalendarController,
    UnsubscribeController,
)
from events_app.web.controllers.organizations import OrganizationController
from events_app.web.controllers.people import PersonAccessController
from events_app.web.controllers.registrations import RegistrationController
from events_app.web.errors import (
    EXCEPTION_HANDLERS,
    MAX_BODY_BYTES,
    data_error,
    database_unavailable,
    refuse_deep_json,
    unexpected_error,
)
from events_app.web.pages import (
    LoginRequired,
    csrf_config,
    login_redirect,
    page_routes,
    pages_or,
    security_headers,
    template_config,
)
from events_app.web.schema_ui import LocalSwaggerUI


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    async with pool():
        yield


def create_app() -> Litestar:
    settings = get_settings()
    settings.check_production()
    settings.trusted_proxy_networks  # noqa: B018 -- a TRUSTED_PROXIES entry that is no address stops the start
    logging.basicConfig(level=logging.INFO)
    access_log.install()  # no link token ever reaches an access log
    handlers = {
        **EXCEPTION_HANDLERS,
        asyncpg.exceptions.DataError: data_error,
        # The database is down, restarting or dropped our connection: 503 with Retry-After. asyncpg's pool
        # discards a broken connection when it is released, so the next request opens a fresh one.
        OSError: database_unavailable,
        asyncpg.exceptions.PostgresConnectionError: database_unavailable,
        asyncpg.exceptions.OperatorInterventionError: database_unavailable,  # shutdown, crash, starting up
        asyncpg.exceptions.InterfaceError: database_unavailable,
        # A connection cut mid-statement (e.g. by a server shutdown during COMMIT) leaves asyncpg's protocol in a
        # state it reports as an internal error; the outcome is unknown, so the client retries (Idempotency-Key).
        asyncpg.exceptions.InternalClientError: database_unavailable,
        Exception: unexpected_error,
    }
    # Page paths get HTML error pages in the visitor's language; /api keeps problem+json.
    handlers = {exc: pages_or(handler) for exc, handler in handlers.items()}
    handlers[LoginRequired] = login_redirect
    return Litestar(
        route_handlers=[AuthController, EventController, CategoryController, QuestionController,
                        EventRegistrationController, DelegationController, InvitationController,
                        RegistrationController, PersonAccessController, OrganizationController,
                        EventCalendarController, AnnouncementController, DeliveryController, UnsubscribeController,
                        HealthController,
                        *MEETING_CONTROLLERS, *AGENDA_CONTROLLERS, *ADMIN_CONTROLLERS, *page_routes()],
        lifespan=[lifespan, agenda_lifespan],
        exception_handlers=handlers,
        template_config=template_config(),
        csrf_config=csrf_config(),
        middleware=[security_headers],
        before_request=refuse_deep_json,
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title="Congress and meeting service", version="0.1.0",
            description="Congresses, registrations and pilot-project meetings for a network of local governments.",
            # Swagger UI from this project's static files (pinned, vendored): no third-party script on our origin.
            path="/schema", render_plugins=[LocalSwaggerUI()],
        ),
        debug=settings.debug,
    )
