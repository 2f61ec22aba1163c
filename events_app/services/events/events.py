"""Events and their registration categories: create, change, publish, read."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from events_app.db import queries, sql
from events_app.db.engine import DB
from events_app.domain.errors import Conflict, FieldError, NotFound, require
from events_app.domain.events import DATETIME_FIELDS, localize, validate_event
from events_app.domain.ical import METHOD_REQUEST
from events_app.domain.registration import event_full, limit_below_taken, seats_left
from events_app.domain.text import clean_fields
from events_app.domain.vocab import ELIGIBILITIES
from events_app.jobs import kick_outbox
from events_app.services.agenda import agenda_publish, calendar_updates, invite_state
from events_app.services.events.rows import ROWS, CategoryRow, EventRow
from events_app.services.people import audit, offices
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.registration import questions, seats, session_mail

EVENT_FIELDS = (
    "title",
    "kind",
    "description",
    "timezone",
    "starts_at",
    "ends_at",
    "venue_name",
    "venue_address",
    "city",
    "country",
    "online_url",
    "registration_opens_at",
    "registration_closes_at",
    "capacity",
    "organizer_email",
    "organizer_name",
    "waitlist_mode",
    "offer_hours",
    "update_delay_minutes",
    "reminder_hours",
    "reply_to",
    "session_reminder_minutes",
)
# Text fields under the one text rule (domain.text): single lines, and the one multi-line description.
EVENT_LINES = (
    "title",
    "venue_name",
    "venue_address",
    "city",
    "online_url",
    "organizer_email",
    "organizer_name",
    "reply_to",
    "timezone",
    "country",
)
EVENT_TEXTS = ("description",)
# What a new event has for the fields it is created without (the event table's defaults).
EVENT_DEFAULTS: dict[str, Any] = {
    "description": "",
    "venue_name": "",
    "venue_address": "",
    "city": "",
    "country": None,
    "online_url": "",
    "registration_opens_at": None,
    "registration_closes_at": None,
    "capacity": None,
    "organizer_email": "",
    "organizer_name": "",
    "waitlist_mode": "auto",
    "offer_hours": 48,
    "update_delay_minutes": 10,
    "reminder_hours": [24],
    "reply_to": "",
    "session_reminder_minutes": 30,
}
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
Q = queries.load(__file__, rows=ROWS)


def _localized(fields: dict[str, Any]) -> dict[str, Any]:
    tzid = fields.get("timezone") or "UTC"
    try:
        ZoneInfo(tzid)
    except Exception:  # reported by validate_event; keep the values as given meanwhile
        return fields
    return {k: (localize(v, tzid) if k in DATETIME_FIELDS else v) for k, v in fields.items()}


async def create_event(account: CurrentAccount, fields: dict[str, Any]) -> dict:
    office_id = fields.get("office_id")
    fields = clean_fields(fields, EVENT_LINES, EVENT_TEXTS)
    fields = _localized({k: v for k, v in fields.items() if k in EVENT_FIELDS})
    require(validate_event(fields))
    await offices.check_assignable(account, office_id)
    async with DB.transaction():
        event_id = await Q.create_event(
            **{name: fields.get(name, EVENT_DEFAULTS.get(name)) for name in EVENT_FIELDS},
            office_id=office_id,
            calendar_uid=uuid.uuid4(),
            owner_id=account.id,
        )
        await audit.record(account, "event.create", "event", event_id, None, {**fields, "office_id": office_id})
    return await get_event(event_id, account)


async def update_event(account: CurrentAccount, event_id: int, changes: dict[str, Any]) -> dict:
    """Apply a partial change; a change of anything the event's or its sessions' invites show grows their
    SEQUENCE in the same transaction (every holder's copy is outdated from that moment) and opens their update."""
    await require_organizer(account, event_id)
    changes = clean_fields(changes, EVENT_LINES, EVENT_TEXTS)
    if "office_id" in changes:
        await offices.check_assignable(account, changes["office_id"])
    grown: dict[tuple[str, int], int] = {}
    async with DB.transaction():
        before = (await Q.event_for_update(event_id=event_id)).as_dict()
        if "office_id" in changes and changes["office_id"] != before["office"]:
            await Q.set_event_office(event_id=event_id, office_id=changes["office_id"])
            await audit.record(
                account,
                "event.set_office",
                "event",
                event_id,
                {"office_id": before["office"]},
                {"office_id": changes["office_id"]},
            )
        merged = _localized({**before, **{k: v for k, v in changes.items() if k in EVENT_FIELDS}})
        require(validate_event(merged))
        if limit_below_taken(merged.get("capacity"), before["confirmed_count"]):
            require(
                [
                    FieldError(
                        "capacity",
                        f"{before['confirmed_count']} people are already confirmed; "
                        "cancel registrations first or choose a capacity at least that high",
                    )
                ]
            )
        update = {k: merged[k] for k in EVENT_FIELDS if merged.get(k) != before.get(k)}
        if update:
            # What the event's and its sessions' invites show before the change; settled after it (one rule for
            # every field an invite shows: the event's time, title, description, venue, address and link, which
            # the sessions' invites show too).
            shown_before = await invite_state.watch(event_id)
            await audit.record(
                account, "event.update", "event", event_id, {k: before.get(k) for k in update}, dict(update)
            )
            update["updated_at"] = datetime.now(timezone.utc)
            await Q.update_event(
                event_id=event_id,
                **{k: update.get(k, before[k]) for k in (*EVENT_FIELDS, "calendar_sequence", "updated_at")},
            )
            grown = await invite_state.settle(
                shown_before, account.email, timedelta(minutes=merged["update_delay_minutes"])
            )
            if "capacity" in update:
                await seats.promote(await seats.lock_event(event_id))  # a raised capacity serves the waiting list
    if any(key[0] == "session" for key in grown):  # shown in those sessions' feed pieces
        await agenda_publish.store_feed_pieces(event_id)
    await kick_outbox()
    return await get_event(event_id, account)


async def publish_event(account: CurrentAccount, event_id: int) -> dict:
    await require_organizer(account, event_id)
    async with DB.transaction():
        status = await Q.event_status_for_update(event_id=event_id)
        if status == "cancelled":
            raise Conflict("a cancelled event cannot be published again", "status")
        categories = await Q.category_count(event_id=event_id)
        if categories == 0:
            raise Conflict(
                "add at least one registration category before publishing (POST /api/events/{id}/categories)",
                "categories",
            )
        if status != "published":
            await Q.publish_event(event_id=event_id)
            await audit.record(account, "event.publish", "event", event_id, {"status": status}, {"status": "published"})
            # People put into sessions while the event was a draft were sent nothing: their invites go now.
            for row in await Q.people_of_published_sessions(event_id=event_id):
                await session_mail.tell_person("session_role_added", row["person"], row["session"], METHOD_REQUEST)
    await kick_outbox()
    return await get_event(event_id, account)


async def cancel_event(account: CurrentAccount, event_id: int) -> dict:
    """Cancel an event: everyone holding its invite, or the invite of one of its sessions, gets a METHOD:CANCEL for
    each right away (one message per calendar object: every client accepts those)."""
    await require_organizer(account, event_id)
    async with DB.transaction():
        status = await Q.event_status_for_update(event_id=event_id)
        if status == "cancelled":
            raise Conflict("this event is already cancelled", "status")
        shown_before = await invite_state.watch(event_id)
        await Q.cancel_event(event_id=event_id)
        await audit.record(account, "event.cancel", "event", event_id, {"status": status}, {"status": "cancelled"})
        # The event and every session of it now show STATUS:CANCELLED: each holder of each (registrants, bookers,
        # speakers, moderators) gets its CANCEL at once; drafts were held by nobody.
        await invite_state.settle(shown_before, account.email, timedelta(0))
    await agenda_publish.store_feed_pieces(event_id)
    await calendar_updates.flush_due(event_id=event_id)
    return await get_event(event_id, account)


async def add_category(account: CurrentAccount, event_id: int, fields: dict[str, Any]) -> dict:
    await require_organizer(account, event_id)
    fields = clean_fields(fields, ("code", "name"))
    errors = []
    code = fields.get("code", "")
    opens, closes = fields.get("opens_at"), fields.get("closes_at")
    if opens and closes and closes <= opens:
        errors.append(FieldError("closes_at", "must be after opens_at"))
    if not CODE_RE.match(code):
        errors.append(FieldError("code", "use 1-40 lower-case letters, digits, '-' or '_', e.g. 'delegate'"))
    if not str(fields.get("name") or "").strip():
        errors.append(FieldError("name", "must not be empty"))
    if fields.get("quota") is not None and fields["quota"] < 0:
        errors.append(FieldError("quota", "must be 0 or more, or null for no limit"))
    if fields.get("eligibility", "anyone") not in ELIGIBILITIES:
        errors.append(FieldError("eligibility", f"must be one of {', '.join(ELIGIBILITIES)}"))
    require(errors)
    async with DB.transaction():
        await Q.lock_event(event_id=event_id)
        if await Q.category_code_taken(event_id=event_id, code=code):
            raise Conflict(f"category code {code!r} is already used in this event", "code")
        await Q.insert_category(
            event_id=event_id,
            code=code,
            name=fields["name"].strip(),
            quota=fields.get("quota"),
            requires_approval=bool(fields.get("requires_approval", False)),
            eligibility=fields.get("eligibility", "anyone"),
            opens_at=opens,
            closes_at=closes,
        )
        await audit.record(account, "category.create", "category", code, None, fields, event_id=event_id)
    return next(c for c in (await get_event(event_id, account))["categories"] if c["code"] == code)


def _event_out(row: EventRow, categories: list[CategoryRow], now: datetime) -> dict:
    zone = ZoneInfo(row.timezone)
    out: dict[str, Any] = {"office_id": row.office}
    out |= {
        k: getattr(row, k)
        for k in (
            "id",
            "title",
            "kind",
            "description",
            "timezone",
            "venue_name",
            "venue_address",
            "city",
            "country",
            "online_url",
            "status",
            "capacity",
            "waitlist_mode",
            "offer_hours",
            "update_delay_minutes",
            "reply_to",
            "session_reminder_minutes",
        )
    }
    out["reminder_hours"] = row.reminder_hours
    for name in DATETIME_FIELDS:
        value = getattr(row, name)
        out[name] = value.astimezone(zone) if value else None
    left_in_event = seats_left(row.capacity, row.confirmed_count)
    out["seats_left"] = left_in_event
    out["confirmed_count"] = row.confirmed_count
    out["registration_open"] = (
        row.status == "published"
        and (row.registration_opens_at is None or row.registration_opens_at <= now)
        and (row.registration_closes_at is None or now < row.registration_closes_at)
    )
    out["categories"] = []
    for c in categories:
        left = seats_left(c.quota, c.confirmed_count)
        if left_in_event is not None:
            left = left_in_event if left is None else min(left, left_in_event)
        out["categories"].append(
            {
                "id": c.id,
                "code": c.code,
                "name": c.name,
                "quota": c.quota,
                "seats_left": left,
                "requires_approval": c.requires_approval,
                "eligibility": c.eligibility,
                "confirmed_count": c.confirmed_count,
                "opens_at": c.opens_at,
                "closes_at": c.closes_at,
            }
        )
    out["full"] = event_full(left_in_event, [c["seats_left"] for c in out["categories"]])
    return out


async def _categories(event_ids: list[int]) -> dict[int, list[CategoryRow]]:
    grouped: dict[int, list[CategoryRow]] = {}
    for c in await Q.categories_of_events(event_ids=event_ids):
        grouped.setdefault(c.event, []).append(c)
    return grouped


async def get_event(event_id: int, account: CurrentAccount | None = None) -> dict:
    """A published event for anyone; a draft or cancelled one only for its organizers (404 for others)."""
    row, categories, event_questions = await sql.together(
        Q.event_by_id(event_id=event_id), _categories([event_id]), questions.for_event(event_id)
    )
    if row is None:
        raise NotFound("event")
    if row.status != "published":
        if account is None:
            raise NotFound("event")
        await require_organizer(account, event_id)
    out = _event_out(row, categories.get(event_id, []), datetime.now(timezone.utc))
    out["questions"] = event_questions
    return out


async def list_published(kind: str | None = None, upcoming_only: bool = True) -> list[dict]:
    rows = await Q.published_events(kind=kind, upcoming_only=upcoming_only)
    categories = await _categories([r.id for r in rows])
    now = datetime.now(timezone.utc)
    return [_event_out(r, categories.get(r.id, []), now) | {"questions": []} for r in rows]
