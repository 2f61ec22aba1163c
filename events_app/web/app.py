"""The Litestar application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.openapi import OpenAPIConfig

from events_app.db.engine import pool
from events_app.settings import get_settings
from events_app.web import access_log, heap
from events_app.web.controllers.admin import ADMIN_CONTROLLERS
from events_app.web.controllers.agenda import AGENDA_CONTROLLERS, agenda_lifespan
from events_app.web.controllers.auth import AuthController
from events_app.web.controllers.calendar_answers import CalendarAnswerController
from events_app.web.controllers.categories import CategoryController, QuestionController
from events_app.web.controllers.certificates import CERTIFICATE_CONTROLLERS
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
from events_app.web.controllers.onsite import ONSITE_CONTROLLERS
from events_app.web.controllers.organizations import OrganizationController
from events_app.web.controllers.people import PersonAccessController
from events_app.web.controllers.registrations import RegistrationController
from events_app.web.errors import MAX_BODY_BYTES, refuse_deep_json
from events_app.web.pages import csrf_config, error_answer, page_routes, security_headers, template_config
from events_app.web.schema_ui import LocalSwaggerUI


@asynccontextmanager
async def lifespan(app: Litestar) -> AsyncIterator[None]:
    async with pool():
        if app.template_engine is not None:
            heap.load(app.template_engine.engine)
        heap.settle()
        yield


def create_app() -> Litestar:
    settings = get_settings()
    settings.check_production()
    settings.trusted_proxy_networks  # noqa: B018 -- a TRUSTED_PROXIES entry that is no address stops the start
    logging.basicConfig(level=logging.INFO)
    access_log.install()  # no link token ever reaches an access log
    return Litestar(
        route_handlers=[
            AuthController,
            EventController,
            CalendarAnswerController,
            CategoryController,
            QuestionController,
            EventRegistrationController,
            DelegationController,
            InvitationController,
            RegistrationController,
            PersonAccessController,
            OrganizationController,
            EventCalendarController,
            AnnouncementController,
            DeliveryController,
            UnsubscribeController,
            HealthController,
            *MEETING_CONTROLLERS,
            *AGENDA_CONTROLLERS,
            *ADMIN_CONTROLLERS,
            *ONSITE_CONTROLLERS,
            *CERTIFICATE_CONTROLLERS,
            *page_routes(),
        ],
        lifespan=[lifespan, agenda_lifespan],
        # One handler for every exception: web.errors classifies it (404, 4xx, 503 only when the database is
        # unreachable, else a logged 500); pages render the answer as HTML in the visitor's language, /api as
        # problem+json. asyncpg's pool discards a broken connection when it is released, so after an outage the
        # next request opens a fresh one.
        exception_handlers={Exception: error_answer},
        template_config=template_config(),
        csrf_config=csrf_config(),
        middleware=[security_headers],
        before_request=refuse_deep_json,
        request_max_body_size=MAX_BODY_BYTES,
        openapi_config=OpenAPIConfig(
            title="Congress and meeting service",
            version="0.1.0",
            description="Congresses, registrations and pilot-project meetings for a network of local governments.",
            # Swagger UI from this project's static files (pinned, vendored): no third-party script on our origin.
            path="/schema",
            render_plugins=[LocalSwaggerUI()],
        ),
        debug=settings.debug,
    )
