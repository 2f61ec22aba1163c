"""Printable badges: A6 one per page or A4 sheets of four with cut marks, per category colour and fields."""

from __future__ import annotations

import re
from typing import Any

import anyio

from events_app.db import queries
from events_app.documents import pdf
from events_app.domain.errors import FieldError, NotFound, require
from events_app.domain.vocab import country_name
from events_app.services.onsite import checkin_codes
from events_app.services.people.accounts import CurrentAccount, require_organizer

Q = queries.load(__file__)
COLOUR = re.compile(r"^#[0-9a-f]{6}$")


async def set_style(account: CurrentAccount, event_id: int, category_id: int, data: dict[str, Any]) -> dict:
    """Organizers choose per category the badge colour and which fields show."""
    await require_organizer(account, event_id)
    colour = (data.get("colour") or "#1f4e79").lower()
    fields = list(data.get("fields") or pdf.BADGE_FIELDS)
    errors = []
    if not COLOUR.match(colour):
        errors.append(FieldError("colour", "a colour as #rrggbb, e.g. #2e7d32"))
    unknown = [f for f in fields if f not in pdf.BADGE_FIELDS]
    if unknown:
        errors.append(FieldError("fields", f"unknown fields {unknown}; choose from {list(pdf.BADGE_FIELDS)}"))
    require(errors)
    if await Q.set_badge_style(event_id=event_id, category_id=category_id, colour=colour, fields=fields) is None:
        raise NotFound("category")
    return {"category_id": category_id, "colour": colour, "fields": fields}


async def badges_pdf(account: CurrentAccount, event_id: int, filters: dict[str, Any], layout: str) -> bytes:
    """The badges of the event's confirmed registrations matching the filters (category code, organization, not
    yet printed, one registration); those printed are remembered for the "not yet printed" filter."""
    await require_organizer(account, event_id)
    if layout not in ("a6", "a4"):
        require([FieldError("layout", "a6 (one badge per page) or a4 (sheets of four with cut marks)")])
    await checkin_codes.issue_for_event(event_id)
    event = await Q.ticket_event(event_id=event_id)
    rows = await Q.badge_rows(
        event_id=event_id,
        category=filters.get("category"),
        organization_id=filters.get("organization_id"),
        not_printed=bool(filters.get("not_printed")),
        registration_id=filters.get("registration_id"),
    )
    nonces = {r["registration"]: r["nonce"] for r in await Q.live_codes_of_event(event_id=event_id)}
    items = [
        pdf.Badge(
            name=r["name"],
            organization=r["organization"],
            country=country_name(r["country"]) if r["country"] else "",
            category=r["category"],
            colour=r["colour"],
            delegation=r["delegation"],
            code=checkin_codes.code_of(nonces[r["id"]]) if r["id"] in nonces else "",
            fields=tuple(r["fields"]),
        )
        for r in rows
    ]
    data = await anyio.to_thread.run_sync(pdf.badges, items, event["title"], layout)
    if rows:
        await Q.mark_printed(registration_ids=[r["id"] for r in rows])
    return data
