"""What organizers do with registrations: find, count, approve, reject, move, cancel, export; change quotas."""

from __future__ import annotations

from datetime import timezone
from typing import Any

from events_app.db import sql
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
from events_app.services.registration.registrations import REGISTRATION_SELECT, _out, registration_out


async def _registration(event_id: int, registration_id: int):
    reg = await sql.fetchrow(
        "SELECT id, status, category, person FROM registration WHERE id = $1 AND event = $2 FOR UPDATE",
        registration_id,
        event_id,
    )
    if reg is None:
        raise NotFound("registration")
    return reg


async def _seats_for(event, category_id: int) -> Seats:
    category = await sql.fetchrow("SELECT quota, confirmed_count FROM registration_category WHERE id = $1", category_id)
    taken = await sql.fetchval("SELECT confirmed_count FROM event WHERE id = $1", event["id"])
    return Seats(event["capacity"], taken, category["quota"], category["confirmed_count"])


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
            await sql.execute(
                "UPDATE registration SET status = 'confirmed', updated_at = now() WHERE id = $1", registration_id
            )
            await seats.take_seat(event_id, reg["category"])
            await seats.notify("registration_approved", registration_id, invite=METHOD_REQUEST)
        else:
            await sql.execute(
                "UPDATE registration SET status = 'waitlisted', waitlist_seq = $2, updated_at = now() WHERE id = $1",
                registration_id,
                await seats.next_waitlist_seq(),
            )
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
        await sql.execute(
            "UPDATE registration SET status = 'rejected', cancel_reason = 'rejected', updated_at = now() WHERE id = $1",
            registration_id,
        )
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
        target = await sql.fetchrow(
            "SELECT id, quota, confirmed_count FROM registration_category WHERE event = $1 AND code = $2",
            event_id,
            category_code,
        )
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
        await sql.execute(
            "UPDATE registration SET category = $2, updated_at = now() WHERE id = $1", registration_id, target["id"]
        )
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
        current = await sql.fetchrow(
            "SELECT * FROM registration_category WHERE id = $1 AND event = $2", category_id, event_id
        )
        if current is None:
            raise NotFound("category")
        merged = {**dict(current), **changes}
        check_quota(merged["quota"], current["confirmed_count"])
        if merged["eligibility"] not in ELIGIBILITIES:
            require([FieldError("eligibility", f"must be one of {', '.join(ELIGIBILITIES)}")])
        if merged["opens_at"] and merged["closes_at"] and merged["closes_at"] <= merged["opens_at"]:
            require([FieldError("closes_at", "must be after opens_at")])
        await sql.execute(
            "UPDATE registration_category SET name = $2, quota = $3, requires_approval = $4, eligibility = $5,"
            " opens_at = $6, closes_at = $7 WHERE id = $1",
            category_id,
            merged["name"],
            merged["quota"],
            merged["requires_approval"],
            merged["eligibility"],
            merged["opens_at"],
            merged["closes_at"],
        )
        await audit.record(
            account,
            "category.update",
            "category",
            category_id,
            *audit.changed(dict(current), {k: merged[k] for k in changes}),
            event_id=event_id,
        )
        await seats.promote(event)
    await kick_outbox()


FILTERS = {
    "status": "r.status = ${}",
    "category": "c.code = ${}",
    "organization_id": "o.id = ${}",
    "country": "o.country = upper(${})",
    "delegation_id": "r.delegation = ${}",
    "q": "(r.registered_name ILIKE '%' || ${} || '%' OR p.email ILIKE '%' || ${} || '%'"
    " OR o.name ILIKE '%' || ${} || '%')",
}


async def search(account: CurrentAccount, event_id: int, filters: dict[str, Any]) -> list[dict]:
    await require_organizer(account, event_id)
    if filters.get("status") and filters["status"] not in REGISTRATION_STATUSES + ("offered",):
        require([FieldError("status", f"must be one of {', '.join(REGISTRATION_STATUSES + ('offered',))}")])
    clauses, args = ["r.event = $1"], [event_id]
    for name, clause in FILTERS.items():
        if filters.get(name) not in (None, ""):
            args.append(filters[name])
            clauses.append(clause.replace("${}", f"${len(args)}"))
    rows = await sql.fetch(
        REGISTRATION_SELECT
        + " WHERE "
        + " AND ".join(clauses)
        + " ORDER BY r.status, r.waitlist_seq NULLS FIRST, r.id",
        *args,
    )
    return [_out(r) for r in rows]


async def counts(account: CurrentAccount, event_id: int) -> dict:
    """Registrations per category and status, per organization and per country (active ones)."""
    await require_organizer(account, event_id)
    by_category = await sql.fetch(
        """SELECT c.code, c.name, c.quota, c.confirmed_count AS seats_taken,
                  count(*) FILTER (WHERE r.status = 'confirmed') AS confirmed,
                  count(*) FILTER (WHERE r.status = 'offered') AS offered,
                  count(*) FILTER (WHERE r.status = 'pending') AS pending,
                  count(*) FILTER (WHERE r.status = 'waitlisted') AS waitlisted,
                  count(*) FILTER (WHERE r.status = 'cancelled') AS cancelled,
                  count(*) FILTER (WHERE r.status = 'rejected') AS rejected
           FROM registration_category c LEFT JOIN registration r ON r.category = c.id
           WHERE c.event = $1 GROUP BY c.id ORDER BY c.position""",
        event_id,
    )
    by_org = await sql.fetch(
        """SELECT o.id AS organization_id, o.name, o.kind, o.country, count(*) AS active,
                  count(*) FILTER (WHERE r.status = 'confirmed') AS confirmed
           FROM registration r JOIN organization o ON o.id = r.registered_organization
           WHERE r.event = $1 AND r.status = ANY($2::text[]) GROUP BY o.id ORDER BY active DESC, o.name""",
        event_id,
        list(ACTIVE),
    )
    by_country = await sql.fetch(
        """SELECT o.country, count(*) AS active, count(*) FILTER (WHERE r.status = 'confirmed') AS confirmed
           FROM registration r JOIN organization o ON o.id = r.registered_organization
           WHERE r.event = $1 AND r.status = ANY($2::text[]) GROUP BY o.country ORDER BY active DESC, o.country""",
        event_id,
        list(ACTIVE),
    )
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
    questions = [
        r["code"] for r in await sql.fetch("SELECT code FROM question WHERE event = $1 ORDER BY position", event_id)
    ]
    delegations = {
        r["id"]: r["name"]
        for r in await sql.fetch(
            "SELECT d.id, o.name FROM delegation d JOIN organization o ON o.id = d.organization WHERE d.event = $1",
            event_id,
        )
    }
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
