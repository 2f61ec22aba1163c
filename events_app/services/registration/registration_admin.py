"""What organizers do with registrations: find, count, approve, reject, move, cancel, export; change quotas."""

from __future__ import annotations

from datetime import timezone
from typing import Any

import msgspec

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.errors import Conflict, FieldError, NotFound, require
from events_app.domain.ical import METHOD_REQUEST
from events_app.domain.registration import (
    ACTIVE,
    SEAT_HOLDING,
    Seats,
    check_quota,
    seat_free,
    status_after_approval,
)
from events_app.domain.spreadsheet import csv_bytes, xlsx_bytes
from events_app.domain.text import clean_fields
from events_app.domain.vocab import ELIGIBILITIES, REGISTRATION_STATUSES, country_name
from events_app.jobs import kick_outbox
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.registration import seats
from events_app.services.registration.registrations import registration_out
from events_app.services.registration.rows import ALL_ROWS, LockedEvent

Q = queries.load(__file__, rows=ALL_ROWS)


async def _registration(event_id: int, registration_id: int):
    reg = await Q.lock_event_registration(registration_id=registration_id, event_id=event_id)
    if reg is None:
        raise NotFound("registration")
    return reg


async def _seats_for(event: LockedEvent, category_id: int) -> Seats:
    category = await Q.category_seats(category_id=category_id)
    taken = await Q.event_seats_taken(event_id=event.id)
    return Seats(event.capacity, taken, category["quota"], category["confirmed_count"])


async def approve(account: CurrentAccount, event_id: int, registration_id: int) -> dict:
    await require_organizer(account, event_id)
    async with DB.transaction():
        event = await seats.lock_event(event_id)
        reg = await _registration(event_id, registration_id)
        if reg["status"] != "pending":
            raise Conflict(f"only pending registrations can be approved; this one is {reg['status']}", "status")
        status = status_after_approval(await _seats_for(event, reg["category"]))
        await audit.record(
            account,
            "registration.approve",
            "registration",
            registration_id,
            {"status": "pending"},
            {"status": status},
            event_id=event_id,
        )
        if status == "confirmed":
            await Q.confirm_registration(registration_id=registration_id)
            await seats.take_seat(event_id, reg["category"])
            await seats.notify("registration_approved", registration_id, invite=METHOD_REQUEST)
        else:
            await Q.waitlist_registration(registration_id=registration_id, waitlist_seq=await seats.next_waitlist_seq())
            await seats.notify("registration_waitlisted", registration_id, payload={"approved": True})
    await kick_outbox()
    return await registration_out(registration_id)


async def reject(account: CurrentAccount, event_id: int, registration_id: int, reason: str = "") -> dict:
    await require_organizer(account, event_id)
    reason = clean_fields({"reason": reason}, texts=("reason",))["reason"]
    async with DB.transaction():
        await seats.lock_event(event_id)
        reg = await _registration(event_id, registration_id)
        if reg["status"] not in ("pending", "waitlisted"):
            raise Conflict(
                f"only pending or waitlisted registrations can be rejected; this one is {reg['status']}"
                " (cancel it instead)",
                "status",
            )
        await Q.reject_registration(registration_id=registration_id)
        await audit.record(
            account,
            "registration.reject",
            "registration",
            registration_id,
            {"status": reg["status"]},
            {"status": "rejected", "reason": reason[:1000]},
            event_id=event_id,
        )
        await seats.notify("registration_rejected", registration_id, payload={"reason": reason[:1000]})
    await kick_outbox()
    return await registration_out(registration_id)


async def cancel(account: CurrentAccount, event_id: int, registration_id: int) -> dict:
    """Cancel on someone's behalf (they are told, their seat goes to the next in line)."""
    await require_organizer(account, event_id)
    async with DB.transaction():
        event = await seats.lock_event(event_id)
        reg = await _registration(event_id, registration_id)
        if reg["status"] not in ACTIVE:
            raise Conflict(f"this registration is already {reg['status']}", "status")
        await seats.cancel(registration_id, event, "by_organizer")
        await audit.record(
            account,
            "registration.cancel",
            "registration",
            registration_id,
            {"status": reg["status"]},
            {"status": "cancelled"},
            event_id=event_id,
        )
    await kick_outbox()
    return await registration_out(registration_id)


async def move(account: CurrentAccount, event_id: int, registration_id: int, category_code: str) -> dict:
    """Move a registration to another category; a held seat moves only if the new category has room."""
    await require_organizer(account, event_id)
    async with DB.transaction():
        event = await seats.lock_event(event_id)
        reg = await _registration(event_id, registration_id)
        target = await Q.category_seats_by_code(event_id=event_id, code=category_code)
        if target is None:
            require([FieldError("category", f"unknown category {category_code!r} in this event")])
        if reg["status"] not in ACTIVE:
            raise Conflict(f"a {reg['status']} registration cannot be moved", "status")
        if target["id"] == reg["category"]:
            return await registration_out(registration_id)
        if reg["status"] in SEAT_HOLDING:
            if not seat_free(target["quota"], target["confirmed_count"]):
                raise Conflict(f"category {category_code!r} is full ({target['quota']} seats)", "category")
            await seats.move_seat(reg["category"], target["id"])
        await Q.set_registration_category(registration_id=registration_id, category_id=target["id"])
        await audit.record(
            account,
            "registration.move",
            "registration",
            registration_id,
            {"category_id": reg["category"]},
            {"category_id": target["id"], "category": category_code},
            event_id=event_id,
        )
        await seats.promote(event)  # the seat left behind may serve someone waiting in the old category
    await kick_outbox()
    return await registration_out(registration_id)


async def update_category(account: CurrentAccount, event_id: int, category_id: int, changes: dict[str, Any]) -> None:
    """Change a category; a quota below the seats taken is refused, a raised quota promotes at once."""
    await require_organizer(account, event_id)
    changes = clean_fields(changes, ("name",))
    async with DB.transaction():
        event = await seats.lock_event(event_id)
        found = await Q.event_category(category_id=category_id, event_id=event_id)
        if found is None:
            raise NotFound("category")
        current = msgspec.structs.asdict(found)
        merged = {**current, **changes}
        check_quota(merged["quota"], current["confirmed_count"])
        if merged["eligibility"] not in ELIGIBILITIES:
            require([FieldError("eligibility", f"must be one of {', '.join(ELIGIBILITIES)}")])
        if merged["opens_at"] and merged["closes_at"] and merged["closes_at"] <= merged["opens_at"]:
            require([FieldError("closes_at", "must be after opens_at")])
        await Q.update_category(
            category_id=category_id,
            name=merged["name"],
            quota=merged["quota"],
            requires_approval=merged["requires_approval"],
            eligibility=merged["eligibility"],
            opens_at=merged["opens_at"],
            closes_at=merged["closes_at"],
        )
        await audit.record(
            account,
            "category.update",
            "category",
            category_id,
            *audit.changed(current, {k: merged[k] for k in changes}),
            event_id=event_id,
        )
        await seats.promote(event)
    await kick_outbox()


# The organizer's list filters: search_registrations takes each one as a parameter (NULL matches all).
FILTERS = ("status", "category", "organization_id", "country", "delegation_id", "q")


async def search(account: CurrentAccount, event_id: int, filters: dict[str, Any]) -> list[dict]:
    await require_organizer(account, event_id)
    if filters.get("status") and filters["status"] not in REGISTRATION_STATUSES + ("offered",):
        require([FieldError("status", f"must be one of {', '.join(REGISTRATION_STATUSES + ('offered',))}")])
    given = {name: None if filters.get(name) in (None, "") else filters[name] for name in FILTERS}
    return [dict(r) for r in await Q.search_registrations(event_id=event_id, **given)]


async def counts(account: CurrentAccount, event_id: int) -> dict:
    """Registrations per category and status, per organization and per country (active ones)."""
    await require_organizer(account, event_id)
    by_category = await Q.registrations_by_category(event_id=event_id)
    by_org = await Q.active_registrations_by_organization(event_id=event_id, active_statuses=list(ACTIVE))
    by_country = await Q.active_registrations_by_country(event_id=event_id, active_statuses=list(ACTIVE))
    return {
        "categories": [dict(r) for r in by_category],
        "organizations": [dict(r) for r in by_org],
        "countries": [dict(r) | {"country_name": country_name(r["country"])} for r in by_country],
    }


EXPORT_COLUMNS = [
    "id",
    "name",
    "email",
    "status",
    "waitlist_position",
    "category",
    "organization_name",
    "organization_kind",
    "organization_country",
    "delegation",
    "language",
    "created_at",
]


async def export_rows(account: CurrentAccount, event_id: int, filters: dict[str, Any]) -> tuple[list[str], list]:
    rows = await search(account, event_id, filters)
    questions = [r["code"] for r in await Q.question_codes(event_id=event_id)]
    delegations = {r["id"]: r["name"] for r in await Q.delegation_names(event_id=event_id)}
    header = EXPORT_COLUMNS + [f"answer: {q}" for q in questions]
    table = []
    for r in rows:
        line = [
            r["id"],
            r["name"],
            r["email"],
            r["status"],
            r["waitlist_position"],
            r["category"],
            r["organization_name"],
            r["organization_kind"],
            r["organization_country"],
            delegations.get(r["delegation_id"], ""),
            r["language"],
            r["created_at"].astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
        ]
        for q in questions:
            value = (r["answers"] or {}).get(q, "")
            line.append("; ".join(value) if isinstance(value, list) else value)
        table.append(line)
    return header, table


def to_csv(header: list[str], table: list) -> bytes:
    """UTF-8 with a byte-order mark so spreadsheet programs detect the encoding (names in many scripts); text that
    a spreadsheet would run as a formula is neutralised (domain.spreadsheet)."""
    return csv_bytes(header, table, bom=True)


def to_xlsx(header: list[str], table: list, title: str) -> bytes:
    return xlsx_bytes(header, table, sheet="Registrations", title=title)
