from __future__ import annotations

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody

from events_app.services.events import events
from events_app.services.people.accounts import CurrentAccount
from events_app.web.auth import ORGANIZER, provide_optional_account
from events_app.web.schemas import (
    EventCreate,
    EventKind,
    EventOut,
    EventUpdate,
    present,
)


class EventController(Controller):
    path = "/api/events"
    tags = ["events"]

    @get("/", operation_id="listEvents", summary="Published upcoming events")
    async def list_events(
        self, kind: FromQuery[EventKind | None] = None, include_past: FromQuery[bool] = False
    ) -> list[EventOut]:
        return msgspec.convert(await events.list_published(kind, not include_past), list[EventOut])

    @post("/", operation_id="createEvent", dependencies=ORGANIZER, summary="Create a draft event")
    async def create_event(self, data: JSONBody[EventCreate], account: NamedDependency[CurrentAccount]) -> EventOut:
        return msgspec.convert(await events.create_event(account, present(data)), EventOut)

    @get("/{event_id:int}", operation_id="getEvent", dependencies={"account": Provide(provide_optional_account)})
    async def get_event(self, event_id: FromPath[int], account: NamedDependency[CurrentAccount | None]) -> EventOut:
        return msgspec.convert(await events.get_event(event_id, account), EventOut)

    @patch("/{event_id:int}", operation_id="updateEvent", dependencies=ORGANIZER)
    async def update_event(
        self, event_id: FromPath[int], data: JSONBody[EventUpdate], account: NamedDependency[CurrentAccount]
    ) -> EventOut:
        return msgspec.convert(await events.update_event(account, event_id, present(data)), EventOut)

    @post("/{event_id:int}/publish", operation_id="publishEvent", status_code=200, dependencies=ORGANIZER)
    async def publish_event(self, event_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> EventOut:
        return msgspec.convert(await events.publish_event(account, event_id), EventOut)
