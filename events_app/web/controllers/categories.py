from __future__ import annotations

import msgspec
from litestar import Controller, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from events_app.services.events import events
from events_app.services.people.accounts import CurrentAccount
from events_app.services.registration import questions, registration_admin
from events_app.web.auth import ORGANIZER
from events_app.web.schemas import (
    CategoryCreate,
    CategoryOut,
    CategoryUpdate,
    QuestionCreate,
    QuestionOut,
    present,
)


class CategoryController(Controller):
    path = "/api/events/{event_id:int}/categories"
    tags = ["registration setup"]
    dependencies = ORGANIZER

    @post("/", operation_id="createCategory")
    async def create_category(
        self, event_id: FromPath[int], data: JSONBody[CategoryCreate], account: NamedDependency[CurrentAccount]
    ) -> CategoryOut:
        return msgspec.convert(await events.add_category(account, event_id, present(data)), CategoryOut)

    @patch(
        "/{category_id:int}",
        operation_id="updateCategory",
        summary="Change a category; a raised quota promotes from the waiting list at once",
    )
    async def update_category(
        self,
        event_id: FromPath[int],
        category_id: FromPath[int],
        data: JSONBody[CategoryUpdate],
        account: NamedDependency[CurrentAccount],
    ) -> CategoryOut:
        await registration_admin.update_category(account, event_id, category_id, present(data))
        event = await events.get_event(event_id, account)
        return msgspec.convert(next(c for c in event["categories"] if c["id"] == category_id), CategoryOut)


class QuestionController(Controller):
    path = "/api/events/{event_id:int}/questions"
    tags = ["registration setup"]

    @post("/", operation_id="createQuestion", dependencies=ORGANIZER)
    async def create_question(
        self, event_id: FromPath[int], data: JSONBody[QuestionCreate], account: NamedDependency[CurrentAccount]
    ) -> QuestionOut:
        return msgspec.convert(await questions.add(account, event_id, present(data)), QuestionOut)

    @get("/", operation_id="listQuestions", summary="The event's registration questions (public)")
    async def list_questions(self, event_id: FromPath[int]) -> list[QuestionOut]:
        await events.get_event(event_id)
        return msgspec.convert(await questions.for_event(event_id), list[QuestionOut])
