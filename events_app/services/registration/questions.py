"""An event's custom registration questions."""

from __future__ import annotations

from typing import Any

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.errors import Conflict, require
from events_app.domain.questions import validate_question
from events_app.domain.text import clean_fields, clean_items
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.registration.rows import ALL_ROWS

Q = queries.load(__file__, rows=ALL_ROWS)


async def add(account: CurrentAccount, event_id: int, data: dict[str, Any]) -> dict:
    await require_organizer(account, event_id)
    data = clean_fields(data, ("code", "label"))
    options = clean_items(data.get("options") or [], "options")
    require(validate_question(data["code"], data["label"], data["kind"], options))
    async with DB.transaction():
        if await Q.question_code_taken(event_id=event_id, code=data["code"]):
            raise Conflict(f"question code {data['code']!r} is already used in this event", "code")
        row = await Q.add_question(
            event_id=event_id,
            code=data["code"],
            label=data["label"].strip(),
            kind=data["kind"],
            required=bool(data.get("required")),
            options=options,
        )
        await audit.record(account, "question.create", "question", row["id"], None, dict(row), event_id=event_id)
    return dict(row)


async def for_event(event_id: int) -> list[dict]:
    return [dict(r) for r in await Q.event_questions(event_id=event_id)]
