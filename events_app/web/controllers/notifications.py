from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from events_app.services.agenda import calendar_updates
from events_app.services.events import events
from events_app.services.messaging import announcements, deliveries
from events_app.services.messaging.notifications import preview
from events_app.services.people.accounts import CurrentAccount
from events_app.web.auth import ORGANIZER
from events_app.web.schemas import (
    AnnouncementCreate,
    AnnouncementOut,
    CalendarUpdateOut,
    DeliveryOut,
    EventOut,
    PreviewOut,
    ReleaseOut,
)


class EventCalendarController(Controller):
    path = "/api/events/{event_id:int}"
    tags = ["calendar updates"]
    dependencies = ORGANIZER

    @post(
        "/cancel",
        operation_id="cancelEvent",
        status_code=200,
        summary="Cancel the event: everyone holding its invite gets a METHOD:CANCEL",
    )
    async def cancel(self, event_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> EventOut:
        return msgspec.convert(await events.cancel_event(account, event_id), EventOut)

    @get(
        "/calendar-updates",
        operation_id="listCalendarUpdates",
        summary="Pending and sent calendar updates (changes wait for the event's update window)",
    )
    async def pending(
        self, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> list[CalendarUpdateOut]:
        return msgspec.convert(await calendar_updates.pending(account, event_id), list[CalendarUpdateOut])

    @post(
        "/calendar-updates/release",
        operation_id="releaseCalendarUpdates",
        status_code=200,
        summary="Send pending calendar updates now",
    )
    async def release(self, event_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> ReleaseOut:
        return ReleaseOut(messages=await calendar_updates.release(account, event_id))


class AnnouncementController(Controller):
    path = "/api/events/{event_id:int}/announcements"
    tags = ["announcements"]
    dependencies = ORGANIZER

    @post("/", operation_id="createAnnouncement", summary="Draft an announcement to an audience")
    async def create(
        self, event_id: FromPath[int], data: JSONBody[AnnouncementCreate], account: NamedDependency[CurrentAccount]
    ) -> AnnouncementOut:
        return msgspec.convert(
            await announcements.create(account, event_id, msgspec.to_builtins(data)), AnnouncementOut
        )

    @get(
        "/{announcement_id:int}/preview",
        operation_id="previewAnnouncement",
        summary="The email as its first recipient will see it",
    )
    async def preview(
        self, event_id: FromPath[int], announcement_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> PreviewOut:
        return msgspec.convert(await preview(account, event_id, announcement_id), PreviewOut)

    @post(
        "/{announcement_id:int}/send",
        operation_id="sendAnnouncement",
        status_code=202,
        summary="Queue one email per recipient; workers deliver them",
    )
    async def send(
        self, event_id: FromPath[int], announcement_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> AnnouncementOut:
        return msgspec.convert(await announcements.send(account, event_id, announcement_id), AnnouncementOut)


class DeliveryController(Controller):
    path = "/api/events/{event_id:int}/deliveries"
    tags = ["deliveries"]
    dependencies = ORGANIZER

    @get("/", operation_id="listDeliveries", summary="What was sent to whom and when, and what failed and why")
    async def list_deliveries(
        self,
        event_id: FromPath[int],
        account: NamedDependency[CurrentAccount],
        status: FromQuery[str | None] = None,
        recipient: FromQuery[str | None] = None,
    ) -> list[DeliveryOut]:
        return msgspec.convert(await deliveries.log(account, event_id, status, recipient), list[DeliveryOut])

    @post("/{message_id:int}/resend", operation_id="resendDelivery", status_code=202)
    async def resend(
        self, event_id: FromPath[int], message_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> DeliveryOut:
        return msgspec.convert(await deliveries.resend(account, event_id, message_id), DeliveryOut)


class UnsubscribeController(Controller):
    path = "/api/unsubscribe/{token:str}"
    tags = ["announcements"]

    @post(
        "/", operation_id="unsubscribe", status_code=200, summary="One-click unsubscribe from announcements (RFC 8058)"
    )
    async def unsubscribe(self, token: FromPath[str]) -> dict[str, str]:
        await announcements.unsubscribe(token)
        return {"status": "unsubscribed"}

    @get("/", operation_id="unsubscribeLink", summary="Unsubscribe from announcements (link in the email)")
    async def unsubscribe_link(self, token: FromPath[str]) -> dict[str, str]:
        await announcements.unsubscribe(token)
        return {"status": "unsubscribed"}
