"""What people answered to an event's and its sessions' invites from their calendars, for its organizers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from msgspec import Meta, Struct

from events_app.services.meetings import meeting_rsvp
from events_app.services.people.accounts import CurrentAccount
from events_app.services.registration import calendar_answers
from events_app.web.auth import ORGANIZER
from events_app.web.schemas import Strict


class CalendarAnswerOut(Struct):
    """The answer a person last gave (in the order received) to the event's invite or a session's."""

    id: int
    person_id: int
    name: str
    email: str
    session_id: Annotated[int | None, Meta(description="null: the event's own invite (the registration)")]
    session_title: str | None
    partstat: Annotated[str, Meta(description="ACCEPTED, TENTATIVE or DECLINED")]
    answered_at: Annotated[datetime, Meta(description="when the answer was received")]
    released_at: Annotated[datetime | None, Meta(description="when the declined seat was released")]


class EventReplyOut(Struct):
    """One calendar reply received about the event's or its sessions' invites: recorded or rejected, and why."""

    id: int
    received_at: datetime
    sender: str
    attendee: str
    partstat: str
    outcome: str
    reason_code: str
    reason: str
    explanation: str


class DeclinePolicy(Strict):
    decline_releases_seat: Annotated[
        bool,
        Meta(description="true: a Decline releases the seat at once; false: the person is emailed a link to do so"),
    ]


class CalendarAnswerController(Controller):
    path = "/api/events/{event_id:int}"
    tags = ["events"]
    dependencies = ORGANIZER

    @get("/calendar-answers", operation_id="listCalendarAnswers", summary="Answers given from calendars")
    async def answers(
        self, event_id: FromPath[int], account: NamedDependency[CurrentAccount]
    ) -> list[CalendarAnswerOut]:
        return msgspec.convert(await calendar_answers.answers_of_event(account, event_id), list[CalendarAnswerOut])

    @get(
        "/calendar-replies",
        operation_id="listEventCalendarReplies",
        summary="Calendar replies received about the event's invites: recorded or rejected, and why",
    )
    async def replies(self, event_id: FromPath[int], account: NamedDependency[CurrentAccount]) -> list[EventReplyOut]:
        return msgspec.convert(await meeting_rsvp.event_inbound_replies(account, event_id), list[EventReplyOut])

    @put("/decline-policy", operation_id="setDeclinePolicy")
    async def set_decline_policy(
        self, event_id: FromPath[int], data: JSONBody[DeclinePolicy], account: NamedDependency[CurrentAccount]
    ) -> DeclinePolicy:
        return msgspec.convert(
            await calendar_answers.set_decline_policy(account, event_id, data.decline_releases_seat), DeclinePolicy
        )
