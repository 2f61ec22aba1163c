"""An event's custom registration questions."""

from __future__ import annotations

import json
from typing import Any

from events_app.db import sql
from events_app.db.engine import DB
from events_app.domain.errors import Conflict, require
from events_app.domain.questions import validate_question
from events_app.domain.text import clean_fields, clean_items
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_organizer


def _out(row) -> dict:
    out = dict(row)
    if isinstance(out["options"], str):
        out["options"] = json.loads(out["options"])
    return out


async def add(account: CurrentAccount, event_id: int, data: dict[str, Any]) -> dict:
    await require_organizer(account, event_id)
    data = clean_fields(data, ("code", "label"))
    options = clean_items(data.get("options") or [], "options")
    require(validate_question(data["code"], data["label"], data["kind"], options))
    async with DB.transaction():
        if await sql.fetchval("SELECT 1 FROM question WHERE event = $1 AND code = $2", event_id, data["code"]):
            raise Conflict(f"question code {data['code']!r} is already used in this event", "code")
        row = await sql.fetchrow(
            "INSERT INTO question (event, code, label, kind, required, options, position)"
            " VALUES ($1, $2, $3, $4, $5, $6::jsonb,"
            " (SELECT coalesce(max(position), 0) + 1 FROM question WHERE event = $1))"
            " RETURNING id, code, label, kind, required, options, position",
            event_id,
            data["code"],
            data["label"].strip(),
            data["kind"],
            bool(data.get("required")),
            options,
        )
        await audit.record(account, "question.create", "question", row["id"], None, dict(row), event_id=event_id)
    return _out(row)


async def for_event(event_id: int) -> list[dict]:
    rows = await sql.fetch(
        "SELECT id, code, label, kind, required, options, position FROM question WHERE event = $1 ORDER BY position",
        event_id,
    )
    return [_out(r) for r in rows]
