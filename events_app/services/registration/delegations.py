"""Delegations: an organization's group at an event, run by its head of delegation with their manage link.

Members' seats count against the delegation's seat quota and, like everyone's, against the category and the event.
A substitution hands a member's place (seat, or place in line) to another person without ever freeing it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, require
from events_app.domain.ical import METHOD_CANCEL
from events_app.domain.registration import ACTIVE, check_delegation_seat, check_event_live, check_registration_open
from events_app.jobs import kick_outbox
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.people.people import link_or_create_person
from events_app.services.registration import agenda_bookings, seats
from events_app.services.registration.registrations import (
    create_registration,
    registration_by_token,
    registration_out,
    validate_person,
)
from events_app.services.registration.rows import ALL_ROWS, Category, Delegation, LockedEvent

Q = queries.load(__file__, rows=ALL_ROWS)


def _now() -> datetime:
    return datetime.now(timezone.utc)


MAX_SEATS = 100_000  # far above any delegation; keeps values within the database's integer column


async def _active_members(delegation_id: int) -> int:
    return await Q.count_active_members(delegation_id=delegation_id, active_statuses=list(ACTIVE))


async def _member_person(data: dict[str, Any], organization_id: int, event_id: int) -> tuple[int, dict[str, Any]]:
    """The member's person (created if the address is new; an existing person is never changed) and what was typed
    for them, which their registration keeps."""
    person = validate_person({**data, "organization_id": organization_id})
    # Linked or created, never changed: an existing person's profile is theirs (the delegation names the
    # organization they come with).
    person_id = await link_or_create_person(
        person["email"],
        name=person["name"],
        organization_id=organization_id,
        language=person["language"],
        timezone=person["timezone"],
    )
    if await Q.person_registered(event_id=event_id, person_id=person_id, active_statuses=list(ACTIVE)):
        raise Conflict(f"{person['email']} is already registered for this event", "email")
    return person_id, person


async def create(account: CurrentAccount, event_id: int, data: dict[str, Any]) -> dict:
    """Organizer: give an organization a delegation with N seats; its head is registered and emailed.
    Problems with the head of delegation name `head_email`, `head_name` or `head_language`; every problem with
    the input is reported at once."""
    await require_organizer(account, event_id)
    later: list[FieldError] = []  # reported after the organization's and category's, in the form's order
    if not isinstance(data.get("seats"), int) or data["seats"] < 1:
        later.append(FieldError("seats", "a delegation has at least one seat (its head)"))
    elif data["seats"] > MAX_SEATS:
        later.append(FieldError("seats", f"must be at most {MAX_SEATS}"))
    head = {
        "email": data.get("head_email") or "",
        "name": data.get("head_name") or "",
        "language": data.get("head_language") or "en",
    }
    try:
        validate_person(head)
    except InvalidInput as exc:
        later.extend(FieldError(f"head_{e.field}", e.message) for e in exc.errors)
    async with DB.transaction():
        event = await seats.lock_event(event_id)
        errors: list[FieldError] = []
        org_id = await Q.organization_exists(organization_id=data.get("organization_id"))
        if org_id is None:
            chosen = data.get("organization_id") is not None
            errors.append(
                FieldError("organization_id", "no organization has this id" if chosen else "choose an organization")
            )
        category = await Q.category_by_code(event_id=event_id, code=data.get("category") or "")
        if category is None:
            errors.append(FieldError("category", f"unknown category {data.get('category')!r} in this event"))
        errors.extend(later)
        require(errors)
        if await Q.organization_has_delegation(event_id=event_id, organization_id=org_id):
            raise Conflict("this organization already has a delegation at this event", "organization_id")
        try:
            head_id, head_person = await _member_person(head, org_id, event_id)
        except Conflict as exc:
            raise Conflict(exc.detail, "head_email") from None
        delegation_id = await Q.insert_delegation(
            event_id=event_id,
            organization_id=org_id,
            category_id=category.id,
            seat_quota=data["seats"],
            head_person_id=head_id,
        )
        await create_registration(event, category, head_id, head_person, answers={}, delegation_id=delegation_id)
        await audit.record(
            account,
            "delegation.create",
            "delegation",
            delegation_id,
            None,
            {
                "organization_id": org_id,
                "category": data["category"],
                "seats": data["seats"],
                "head_email": head_person["email"],
            },
            event_id=event_id,
        )
    await kick_outbox()
    return await delegation_out(delegation_id)


async def _delegation_of_head(token: str) -> Delegation:
    reg = await registration_by_token(token)
    delegation = await Q.delegation_of_head(registration_id=reg["id"])
    if delegation is None:
        raise Forbidden("this manage link does not belong to a head of delegation")
    if reg["status"] not in ACTIVE:
        raise Forbidden("the head of delegation's own registration is no longer active")
    return delegation


async def _lock_delegation_of_head(token: str) -> tuple[LockedEvent, Delegation]:
    """The event locked, then the head's delegation read again under that lock: its seat quota and the head's
    status as they are now (an organizer lowering the seats, or the head cancelling, holds the same lock), not as
    they were before the lock was granted."""
    event = await seats.lock_event((await _delegation_of_head(token)).event)
    return event, await _delegation_of_head(token)


async def for_head(token: str) -> dict:
    return await delegation_out((await _delegation_of_head(token)).id)


async def add_member(token: str, data: dict[str, Any]) -> dict:
    """Head of delegation: register a member in one of the delegation's seats."""
    async with DB.transaction():
        event, delegation = await _lock_delegation_of_head(token)
        category = await Q.category_by_id(category_id=delegation.category)
        # A member is a new registration: the event's and the category's registration windows apply as on the form.
        now = _now()
        check_registration_open(event.status, event.registration_opens_at, event.registration_closes_at, now)
        check_registration_open("published", category.opens_at, category.closes_at, now, "category")
        check_delegation_seat(delegation.seat_quota, await _active_members(delegation.id))
        person_id, person = await _member_person(data, delegation.organization, delegation.event)
        registration_id, _, _ = await create_registration(
            event, category, person_id, person, answers={}, delegation_id=delegation.id
        )
    await kick_outbox()
    return await registration_out(registration_id)


async def substitute(token: str, registration_id: int, data: dict[str, Any]) -> dict:
    """Head of delegation: give a member's place to someone else. The seat never becomes free in between."""
    async with DB.transaction():
        event, delegation = await _lock_delegation_of_head(token)
        check_event_live(event.status)  # a name change needs no open window, but a live event
        old = await Q.lock_delegation_member(registration_id=registration_id, delegation_id=delegation.id)
        if old is None:
            raise NotFound("delegation member")
        if old["status"] not in ACTIVE:
            raise Conflict(f"this member's registration is {old['status']}; add a member instead", "status")
        if old["person"] == delegation.head_person:
            raise Conflict("the head of delegation cannot be substituted here; ask the organizers", "registration")
        person_id, person = await _member_person(data, delegation.organization, delegation.event)
        category = await Q.category_by_id(category_id=old["category"])
        await Q.cancel_substituted(registration_id=registration_id)
        # The sessions the member booked leave their calendar with the event (their places go to the waiting lists).
        await agenda_bookings.release_bookings(registration_id)
        await seats.notify(
            "registration_substituted", registration_id, invite=METHOD_CANCEL if old["status"] == "confirmed" else None
        )
        # The new person inherits the old status and place in line; counters do not change.
        new_id, _, _ = await _inherit(event, category, person_id, person, delegation.id, old)
    await kick_outbox()
    return await registration_out(new_id)


async def _inherit(
    event: LockedEvent, category: Category, person_id: int, person: dict[str, Any], delegation_id: int, old
):
    status = old["status"]
    if status == "confirmed":
        await seats.free_seat(event.id, category.id)  # create_registration takes it again for the newcomer
    created = await create_registration(
        event,
        category,
        person_id,
        person,
        answers={},
        delegation_id=delegation_id,
        status=status,
        waitlist_seq=old["waitlist_seq"],
    )
    if status == "offered":  # the offer and its deadline: accepted in time, or it passes to the next in line
        await Q.offer_seat(registration_id=created[0], offer_expires_at=old["offer_expires_at"])
    return created


async def delegation_out(delegation_id: int) -> dict:
    row = await Q.delegation_out(delegation_id=delegation_id)
    members = [dict(r) for r in await Q.delegation_members(delegation_id=delegation_id)]
    active = sum(1 for m in members if m["status"] in ACTIVE)
    return dict(row) | {"seats_used": active, "seats_left": row["seat_quota"] - active, "members": members}


async def list_for_event(account: CurrentAccount, event_id: int) -> list[dict]:
    await require_organizer(account, event_id)
    return [await delegation_out(r["id"]) for r in await Q.event_delegation_ids(event_id=event_id)]


async def set_seats(account: CurrentAccount, event_id: int, delegation_id: int, seat_quota: int) -> dict:
    await require_organizer(account, event_id)
    async with DB.transaction():
        await seats.lock_event(event_id)
        if not await Q.delegation_in_event(delegation_id=delegation_id, event_id=event_id):
            raise NotFound("delegation")
        used = await _active_members(delegation_id)
        if seat_quota < max(used, 1):
            require([FieldError("seats", f"{used} members are registered; choose at least {max(used, 1)}")])
        if seat_quota > MAX_SEATS:
            require([FieldError("seats", f"must be at most {MAX_SEATS}")])
        old = await Q.set_delegation_seats(delegation_id=delegation_id, seat_quota=seat_quota)
        await audit.record(
            account,
            "delegation.set_seats",
            "delegation",
            delegation_id,
            {"seats": old},
            {"seats": seat_quota},
            event_id=event_id,
        )
    return await delegation_out(delegation_id)
