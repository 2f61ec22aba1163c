"""Registering and cancelling: one transaction each, under the event row's lock, with its outbox message.

The event row is the lock that orders every change of an event's seats: counters are read and written while it is
held, so no quota is exceeded under any concurrency (see DESIGN.md, flow 1).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import asyncpg
from email_validator import EmailNotValidError, validate_email

from events_app.db import sql
from events_app.db.engine import DB
from events_app.domain.errors import Conflict, FieldError, InvalidInput, NotFound, require
from events_app.domain.ical import METHOD_CANCEL, METHOD_REQUEST
from events_app.domain.registration import Seats, check_registration_open, initial_status
from events_app.domain.security import digest, manage_token, new_nonce
from events_app.domain.vocab import ACTIVE_REGISTRATION_STATUSES, LANGUAGES, is_time_zone
from events_app.jobs import kick_outbox
from events_app.services import agenda_bookings, outbox
from events_app.services.accounts import CurrentAccount, require_organizer
from events_app.settings import get_settings


def normalize_email(value: str, field: str = "email") -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput([FieldError(field, f"not a valid email address: {exc}")]) from None


def _validate_person(data: dict[str, Any]) -> dict[str, Any]:
    errors: list[FieldError] = []
    person: dict[str, Any] = {}
    try:
        person["email"] = normalize_email(data.get("email") or "")
    except InvalidInput as exc:  # reported together with the other problems below
        errors.extend(exc.errors)
    name = str(data.get("name") or "").strip()
    if not name:
        errors.append(FieldError("name", "must not be empty"))
    person["name"] = name[:200]
    language = data.get("language") or "en"
    if language not in LANGUAGES:
        errors.append(FieldError("language", f"must be one of {', '.join(LANGUAGES)}"))
    person["language"] = language
    tz = data.get("timezone")
    if tz and not is_time_zone(tz):
        errors.append(FieldError("timezone", f"unknown time zone {tz!r}: use an IANA name such as 'Asia/Seoul'"))
    person["timezone"] = tz
    person["organization_id"] = data.get("organization_id")
    require(errors)
    return person


async def _upsert_person(p: dict[str, Any]) -> int:
    if p["organization_id"] is not None and not await sql.fetchval(
            "SELECT 1 FROM organization WHERE id = $1", p["organization_id"]):
        require([FieldError("organization_id", "no organization has this id: see GET /api/organizations")])
    return await sql.fetchval(
        """INSERT INTO person (email, name, organization, language, timezone, created_at)
           VALUES ($1, $2, $3, $4, $5, now())
           ON CONFLICT (email) DO UPDATE SET
               organization = coalesce(EXCLUDED.organization, person.organization),
               language = EXCLUDED.language,
               timezone = coalesce(EXCLUDED.timezone, person.timezone)
           RETURNING id""",
        p["email"], p["name"], p["organization_id"], p["language"], p["timezone"],
    )


async def register(event_id: int, data: dict[str, Any], now: datetime | None = None) -> dict:
    """Register a person for a published event. Returns the registration and its manage token (shown once)."""
    now = now or datetime.now(timezone.utc)
    person = _validate_person(data)
    code = data.get("category") or ""
    async with DB.transaction():
        event = await sql.fetchrow(
            "SELECT id, status, registration_opens_at, registration_closes_at, capacity, confirmed_count,"
            " calendar_sequence FROM event WHERE id = $1 FOR UPDATE", event_id)
        if event is None:
            raise NotFound("event")
        check_registration_open(event["status"], event["registration_opens_at"], event["registration_closes_at"],
                                now)
        category = await sql.fetchrow(
            "SELECT id, quota, confirmed_count, requires_approval FROM registration_category"
            " WHERE event = $1 AND code = $2", event_id, code)
        if category is None:
            codes = [r["code"] for r in await sql.fetch(
                "SELECT code FROM registration_category WHERE event = $1 ORDER BY position", event_id)]
            require([FieldError("category", f"unknown category {code!r}: choose one of {', '.join(codes)}")])
        person_id = await _upsert_person(person)
        if await sql.fetchval(
                "SELECT 1 FROM registration WHERE event = $1 AND person = $2 AND status = ANY($3::text[])",
                event_id, person_id, list(ACTIVE_REGISTRATION_STATUSES)):
            raise Conflict("this email address is already registered for this event; use the manage link from "
                           "the confirmation email", "email")
        seats = Seats(event["capacity"], event["confirmed_count"], category["quota"], category["confirmed_count"])
        status = initial_status(seats, category["requires_approval"])
        nonce = new_nonce()
        token = manage_token(get_settings().secret_key, nonce)
        try:
            registration_id = await sql.fetchval(
                """INSERT INTO registration (event, person, category, status, token_nonce, token_hash, answers,
                                             created_at, updated_at)
                   VALUES ($1, $2, $3, $4, $5, $6, '{}'::jsonb, now(), now()) RETURNING id""",
                event_id, person_id, category["id"], status, nonce, digest(token))
        except asyncpg.UniqueViolationError:
            raise Conflict("this email address is already registered for this event", "email") from None
        if status == "confirmed":
            await sql.execute("UPDATE event SET confirmed_count = confirmed_count + 1 WHERE id = $1", event_id)
            await sql.execute("UPDATE registration_category SET confirmed_count = confirmed_count + 1"
                              " WHERE id = $1", category["id"])
            await outbox.enqueue("registration_confirmed", person["email"], event_id=event_id,
                                 registration_id=registration_id, language=person["language"],
                                 calendar_method=METHOD_REQUEST, calendar_sequence=event["calendar_sequence"])
        else:
            await outbox.enqueue("registration_received", person["email"], event_id=event_id,
                                 registration_id=registration_id, language=person["language"])
    await kick_outbox()
    result = await get_by_token(token)
    result["manage_token"] = token
    return result


async def _registration_id(token: str) -> tuple[int, int]:
    row = await sql.fetchrow("SELECT id, event FROM registration WHERE token_hash = $1", digest(token))
    if row is None:
        raise NotFound("registration")
    return row["id"], row["event"]


async def get_by_token(token: str) -> dict:
    reg_id, _ = await _registration_id(token)
    return await _registration_out(reg_id)


async def cancel_by_token(token: str) -> dict:
    """The delegate cancels: the seat is freed and a METHOD:CANCEL goes out with a higher SEQUENCE."""
    reg_id, event_id = await _registration_id(token)
    async with DB.transaction():
        # Lock order everywhere: event row first, then its registrations.
        event = await sql.fetchrow("SELECT calendar_sequence FROM event WHERE id = $1 FOR UPDATE", event_id)
        reg = await sql.fetchrow(
            "SELECT r.status, r.category, p.email, p.language FROM registration r JOIN person p ON p.id = r.person"
            " WHERE r.id = $1 FOR UPDATE OF r", reg_id)
        if reg["status"] not in ACTIVE_REGISTRATION_STATUSES:
            raise Conflict(f"this registration is already {reg['status']}", "status")
        await sql.execute("UPDATE registration SET status = 'cancelled', cancelled_at = now(), updated_at = now()"
                          " WHERE id = $1", reg_id)
        await agenda_bookings.release_bookings(reg_id)  # the places it held go to the waiting lists
        if reg["status"] == "confirmed":
            await sql.execute("UPDATE event SET confirmed_count = confirmed_count - 1 WHERE id = $1", event_id)
            await sql.execute("UPDATE registration_category SET confirmed_count = confirmed_count - 1"
                              " WHERE id = $1", reg["category"])
            # RFC 5546 2.1.4: each CANCEL carries a SEQUENCE above every REQUEST sent before it.
            sequence = event["calendar_sequence"] + 1
            await sql.execute("UPDATE event SET calendar_sequence = $2 WHERE id = $1", event_id, sequence)
            await outbox.enqueue("registration_cancelled", reg["email"], event_id=event_id,
                                 registration_id=reg_id, language=reg["language"],
                                 calendar_method=METHOD_CANCEL, calendar_sequence=sequence)
        else:
            await outbox.enqueue("registration_cancelled", reg["email"], event_id=event_id,
                                 registration_id=reg_id, language=reg["language"])
    await kick_outbox()
    return await _registration_out(reg_id)


_REG_SELECT = """
    SELECT r.id, r.event AS event_id, r.status, r.created_at, r.updated_at, r.cancelled_at,
           c.code AS category, c.name AS category_name,
           p.email, p.name, p.language, p.timezone,
           o.id AS organization_id, o.name AS organization_name, o.country AS organization_country,
           e.title AS event_title
    FROM registration r
    JOIN person p ON p.id = r.person
    JOIN registration_category c ON c.id = r.category
    JOIN event e ON e.id = r.event
    LEFT JOIN organization o ON o.id = p.organization
"""


async def _registration_out(reg_id: int) -> dict:
    row = await sql.fetchrow(_REG_SELECT + " WHERE r.id = $1", reg_id)
    return dict(row)


async def list_for_event(account: CurrentAccount, event_id: int, status: str | None = None) -> list[dict]:
    await require_organizer(account, event_id)
    rows = await sql.fetch(
        _REG_SELECT + " WHERE r.event = $1 AND ($2::text IS NULL OR r.status = $2) ORDER BY r.id",
        event_id, status)
    return [dict(r) for r in rows]
