"""A delegate's registration: register, read, cancel, accept an offer, get the manage link again.

Each change is one transaction under the event row's lock (services.registration.seats), with its outbox message; the
dispatcher is kicked after commit.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

import asyncpg
import msgspec
from email_validator import EmailNotValidError, validate_email

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.errors import Conflict, FieldError, InvalidInput, NotFound, require
from events_app.domain.ical import METHOD_REQUEST
from events_app.domain.person import person_field_errors
from events_app.domain.questions import validate_answers
from events_app.domain.registration import (
    ACTIVE,
    Seats,
    check_eligibility,
    check_event_live,
    check_registration_open,
    initial_status,
    link_only_by_mail,
    membership_unproven,
)
from events_app.domain.security import digest, manage_token, new_nonce
from events_app.jobs import kick_outbox
from events_app.services.registration import questions, seats
from events_app.services.registration.rows import ALL_ROWS, Category, LockedEvent
from events_app.settings import get_settings

Q = queries.load(__file__, rows=ALL_ROWS)


def normalize_email(value: str, field: str = "email") -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput([FieldError(field, f"not a valid email address: {exc}")]) from None


def validate_person(data: dict[str, Any]) -> dict[str, Any]:
    """The person fields of a registration, cleaned; every problem reported at once."""
    errors: list[FieldError] = []
    person: dict[str, Any] = {}
    try:
        person["email"] = normalize_email(data.get("email") or "")
    except InvalidInput as exc:
        errors.extend(exc.errors)
    fields, problems = person_field_errors({**data, "language": data.get("language") or "en"})
    errors.extend(problems)
    person.update(fields)
    person["organization_id"] = data.get("organization_id")
    require(errors)
    return person


def _snapshot_args(p: dict[str, Any]) -> dict[str, Any]:
    """What the registrant typed, stored on the registration: name, organization, language, time zone."""
    return {
        "name": p["name"],
        "organization_id": p["organization_id"],
        "language": p["language"],
        "timezone": p["timezone"],
    }


async def _unlock(event_id: int, data: dict[str, Any], now: datetime) -> tuple[int | None, dict]:
    """An invitation or access code in the request: (category id it unlocks, columns to store). Its row stays
    locked; it is used up only by a registration that is made (_consume), never by a refused attempt."""
    if data.get("invitation_token"):
        inv = await Q.invitation_for_use(token_hash=digest(data["invitation_token"]), event_id=event_id)
        if inv is None:
            require([FieldError("invitation_token", "this invitation link is not valid for this event")])
        if inv["used_at"] is not None:
            require([FieldError("invitation_token", "this invitation has already been used")])
        if inv["expires_at"] <= now:
            require(
                [
                    FieldError(
                        "invitation_token",
                        f"this invitation expired at {inv['expires_at'].isoformat()}; ask the organizers for a new one",
                    )
                ]
            )
        return inv["category"], {"invitation": inv["id"]}
    if data.get("access_code"):
        code = await Q.access_code_for_use(event_id=event_id, code=data["access_code"])
        if code is None:
            require([FieldError("access_code", "unknown access code for this event")])
        if code["expires_at"] is not None and code["expires_at"] <= now:
            require([FieldError("access_code", "this access code has expired")])
        if code["uses"] >= code["max_uses"]:
            require([FieldError("access_code", "this access code has been used up")])
        return code["category"], {"access_code": code["id"]}
    return None, {}


async def _consume(extra: dict, now: datetime) -> None:
    """Use up the invitation or count the access code that admitted a registration just inserted (still under the
    event lock and the code's row lock taken by _unlock, so two requests never share one use)."""
    if extra.get("invitation"):
        await Q.mark_invitation_used(invitation_id=extra["invitation"], used_at=now)
    elif extra.get("access_code"):
        await Q.count_access_code_use(access_code_id=extra["access_code"])


async def _category(event_id: int, code: str, unlocked_category: int | None) -> Category:
    if not code and unlocked_category is not None:
        return await Q.category_by_id(category_id=unlocked_category)
    category = await Q.category_by_code(event_id=event_id, code=code)
    if category is None:
        codes = [r["code"] for r in await Q.category_codes(event_id=event_id)]
        require([FieldError("category", f"unknown category {code!r}: choose one of {', '.join(codes)}")])
    if unlocked_category is not None and category.id != unlocked_category:
        require(
            [FieldError("category", "your invitation or code is for another category: leave 'category' out to use it")]
        )
    return category


# The person (created if the address is new, or given by id), the registration with what the registrant typed, its
# seat, the event's SEQUENCE for a returning person and its first message, in one statement under the event lock
# (insert_registration_for_person / insert_registration_with_person in queries.sql; each round trip saved there is
# time the next registrant of a busy event does not wait). An existing person is never changed: anyone may register
# any address, so the name, organization, language and time zone of the request are kept on the registration and
# used for its emails and answers. The statement's snapshot is taken after the lock was granted and every writer of
# these rows holds that lock, so what it reads is current. Nothing is inserted when the person already holds an
# active registration for the event (`active` says which). A place in line is drawn here too, so places follow the
# order in which registrations took the lock. A REQUEST to someone who had a registration for this event cancelled
# or rejected must carry a higher SEQUENCE than the CANCEL they got (RFC 5546 2.1.4), hence the event's sequence
# grows first in that case (domain.sequence). With the address, when the person is new the statement inserts them
# (never updates): when the address is known, `created` is empty and `who` reads the stored row (visible to this
# statement's snapshot unless another transaction created it a moment ago: then no row comes back and
# insert_registration runs the statement again).

# The message a new registration gets, by its status: (kind, calendar method).
FIRST_MESSAGE = {
    "confirmed": ("registration_confirmed", METHOD_REQUEST),
    "waitlisted": ("registration_waitlisted", None),
}
RECEIVED = ("registration_received", None)


async def insert_registration(
    event_id: int,
    category_id: int,
    person: dict[str, Any],
    status: str,
    *,
    answers: dict,
    person_id: int | None = None,
    delegation_id: int | None = None,
    extra: dict | None = None,
    waitlist_seq: int | None = None,
):
    """Insert a registration under the held event lock with its seat (if confirmed) and its first message.

    `person` holds the validated fields of the request (validate_person), stored on the registration; the person is
    the one with `person_id`, or else the one with that email address, created if there is none (an existing person
    is never changed). Returns (row, manage token). The row holds person_id, the registration's organization_*,
    `active` (their active registration's id, when they have one: then nothing was inserted and the registration
    fields are None), and the new registration's id, status, created_at, consent_* and waitlist_position.
    """
    nonce = new_nonce()
    token = manage_token(get_settings().secret_key, nonce)
    extra = extra or {}
    kind, method = FIRST_MESSAGE.get(status, RECEIVED)
    args = {
        "event_id": event_id,
        "category_id": category_id,
        "status": status,
        "token_nonce": nonce,
        "token_hash": digest(token),
        "answers": answers,
        "delegation_id": delegation_id,
        "invitation_id": extra.get("invitation"),
        "access_code_id": extra.get("access_code"),
        "waitlist_seq": waitlist_seq,
        "consent_version": extra.get("consent_version"),
        "seat_delta": 1 if status == "confirmed" else 0,
        "message_kind": kind,
        "calendar_method": method,
        "active_statuses": list(ACTIVE),
        **_snapshot_args(person),
    }
    try:
        if person_id is not None:
            return await Q.insert_registration_for_person(**args, person_id=person_id), token
        row = await Q.insert_registration_with_person(**args, email=person["email"])
        if row is None:  # created by a concurrent transaction after this statement's snapshot: now visible
            row = await Q.insert_registration_with_person(**args, email=person["email"])
        return row, token
    except asyncpg.UniqueViolationError:  # the active check above makes this a safety net only
        raise Conflict("this person is already registered for this event", "email") from None


async def create_registration(
    event: LockedEvent,
    category: Category,
    person_id: int,
    person: dict[str, Any],
    *,
    answers: dict,
    delegation_id: int | None = None,
    extra: dict | None = None,
    status: str | None = None,
    waitlist_seq: int | None = None,
) -> tuple[int, str, str]:
    """Insert a registration of the person `person_id` under the held event lock, take its seat or place it in line,
    write its message. `person` holds what was typed for this registration (validate_person), kept on it. `event`
    and `category` are rows read after the lock was taken (seats.lock_event, then the category).

    Returns (registration id, manage token, status).
    """
    if status is None:  # both rows were read under the event lock: their counters are current
        status = initial_status(
            Seats(event.capacity, event.confirmed_count, category.quota, category.confirmed_count),
            category.requires_approval,
        )
    row, token = await insert_registration(
        event.id,
        category.id,
        person,
        status,
        answers=answers,
        person_id=person_id,
        delegation_id=delegation_id,
        extra=extra,
        waitlist_seq=waitlist_seq,
    )
    if row["active"] is not None:
        raise Conflict(f"{person['email']} is already registered for this event", "email")
    return row["id"], token, status


def request_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


# The event and the chosen category, both locked, with the questions and the organization: one round trip
# (lock_event_with_category). Every writer of a category row holds the event lock first, so the lock order is the
# same everywhere. Without a category code, or with an invitation or access code: lock_event, then
# registration_context reads the same questions and organization columns.


async def _lock_for(event_id: int, data: dict[str, Any], person: dict[str, Any], now: datetime):
    """Lock the event (and the category) and check the request against them.

    Returns (event, category, context: a row with the `questions` and `organization` JSON columns, extra columns
    for the registration: the invitation or access code used).
    """
    code = data.get("category") or ""
    if code and not data.get("invitation_token") and not data.get("access_code"):
        row = await Q.lock_event_with_category(event_id=event_id, code=code, organization_id=person["organization_id"])
        if row is not None:
            event = {k: v for k, v in row.items() if not k.startswith("cat_")}
            category = {k[4:]: v for k, v in row.items() if k.startswith("cat_")}
            check_registration_open(
                event["status"], event["registration_opens_at"], event["registration_closes_at"], now
            )
            return event, category, event, {}
    # With an invitation or an access code, or a category this event does not have: lock, then look up.
    event = msgspec.structs.asdict(await seats.lock_event(event_id))
    check_registration_open(event["status"], event["registration_opens_at"], event["registration_closes_at"], now)
    unlocked, extra = await _unlock(event_id, data, now)
    category = msgspec.structs.asdict(await _category(event_id, code, unlocked))
    context = await Q.registration_context(event_id=event_id, organization_id=person["organization_id"])
    return event, category, context, extra


async def register(
    event_id: int, data: dict[str, Any], *, idempotency_key: str | None = None, now: datetime | None = None
) -> dict:
    """Register a person. Returns the registration with its manage token (the only time the token is shown).

    With an Idempotency-Key, a retry returns the registration the first request created and creates nothing. A
    person already registered gets 409 and their manage link is emailed again to the address on file.
    """
    now = now or datetime.now(timezone.utc)
    policy = get_settings().privacy_policy_version
    consent = (
        []
        if data.get("consent") is True
        else [
            FieldError(
                "consent",
                f'accept the privacy policy (version {policy}) by sending "consent": true; we keep your data '
                "only to run this event",
            )
        ]
    )
    try:
        person = validate_person(data)
    except InvalidInput as exc:  # report the person's fields and consent together
        raise InvalidInput(exc.errors + consent) from None
    require(consent)
    scope = f"register:{event_id}"
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        require([FieldError("Idempotency-Key", "must be 1-200 characters, e.g. a UUID")])
    async with DB.transaction():
        if idempotency_key:
            await seats.lock_event(event_id)  # a retry waits for the first attempt to commit
            replay = await _replay(scope, idempotency_key, request_hash(data))
            if replay is not None:
                return replay
        event, category, context, extra = await _lock_for(event_id, data, person, now)
        extra["consent_version"] = policy
        check_registration_open("published", category["opens_at"], category["closes_at"], now, "category")
        org = context["organization"]
        if person["organization_id"] is not None and org is None:
            require([FieldError("organization_id", "no organization has this id: see GET /api/organizations")])
        unlocked = bool(extra.get("invitation") or extra.get("access_code"))
        check_eligibility(
            category["eligibility"], org["kind"] if org else None, org["membership_status"] if org else None, unlocked
        )
        # Naming an organization proves nothing: unless the address is at one of its registered domains, an
        # organizer confirms the membership first (the registration waits as pending).
        unproven = membership_unproven(
            category["eligibility"], unlocked, person["email"], org["domains"] if org else []
        )
        answers, errors = validate_answers(context["questions"], data.get("answers") or {})
        require(errors)
        status = initial_status(
            Seats(event["capacity"], event["confirmed_count"], category["quota"], category["confirmed_count"]),
            category["requires_approval"] or unproven,
        )
        row, token = await insert_registration(event_id, category["id"], person, status, answers=answers, extra=extra)
        if link_only_by_mail(category["eligibility"], unlocked):
            token = ""  # in the confirmation mailed to the address (with the ticket), not in this answer
        if row["active"] is not None:
            # Never reveal the link to whoever asked: send it to the address on file. Nothing was registered, so
            # the invitation or access code stays unused.
            await seats.notify("manage_link", row["active"])
        else:
            await _consume(extra, now)
        if row["active"] is None and idempotency_key:
            await Q.remember_idempotency_key(
                scope=scope, key=idempotency_key, request_hash=request_hash(data), registration_id=row["id"]
            )
    await kick_outbox()
    if row["active"] is not None:
        raise Conflict(
            "this email address is already registered for this event; we have emailed the manage link to it again",
            "email",
        )
    # The answer is built from what this request wrote and read under the lock (the same fields as
    # registration_out, which a test checks), saving a round trip per registration. It shows only what the request
    # itself supplied: nothing stored about an existing person.
    return {
        "id": row["id"],
        "event_id": event_id,
        "status": row["status"],
        "created_at": row["created_at"],
        "updated_at": row["created_at"],
        "cancelled_at": None,
        "cancel_reason": "",
        "answers": answers,
        "offer_expires_at": None,
        "delegation_id": None,
        "consent_version": row["consent_version"],
        "consent_at": row["consent_at"],
        "waitlist_position": row["waitlist_position"],
        "category": category["code"],
        "category_name": category["name"],
        "email": person["email"],
        "name": person["name"],
        "language": person["language"],
        "timezone": person["timezone"],
        "organization_id": row["organization_id"],
        "organization_name": row["organization_name"],
        "organization_country": row["organization_country"],
        "organization_kind": row["organization_kind"],
        "event_title": event["title"],
        "manage_token": token,
    }


async def _replay(scope: str, key: str, hashed: str) -> dict | None:
    row = await Q.idempotency_key(scope=scope, key=key)
    if row is None:
        return None
    if row["request_hash"] != hashed:
        raise Conflict(
            "this Idempotency-Key was used for a different request: use a new key for a new registration",
            "Idempotency-Key",
        )
    result = await registration_out(row["registration"])
    link = await Q.registration_link_facts(registration_id=row["registration"])
    mailed_only = link_only_by_mail(link["eligibility"], link["unlocked"])
    result["manage_token"] = "" if mailed_only else manage_token(get_settings().secret_key, link["token_nonce"])
    return result


async def registration_by_token(token: str):
    row = await Q.registration_by_token_hash(token_hash=digest(token))
    if row is None:
        raise NotFound("registration")
    return row


async def get_by_token(token: str) -> dict:
    return await registration_out((await registration_by_token(token))["id"])


async def cancel_by_token(token: str) -> dict:
    """The delegate cancels: the seat is freed for the next in line and a METHOD:CANCEL goes out."""
    found = await registration_by_token(token)
    async with DB.transaction():
        event = await seats.lock_event(found["event"])
        status = await Q.registration_status(registration_id=found["id"])
        if status not in ACTIVE:
            raise Conflict(f"this registration is already {status}", "status")
        await seats.cancel(found["id"], event, "by_delegate")
    await kick_outbox()
    return await registration_out(found["id"])


async def accept_offer(token: str, now: datetime | None = None) -> dict:
    """Take up a waiting-list offer before it expires: the held seat becomes a confirmed one."""
    now = now or datetime.now(timezone.utc)
    found = await registration_by_token(token)
    async with DB.transaction():
        event = await seats.lock_event(found["event"])
        check_event_live(event.status, "status")  # an offer of a cancelled event holds nothing to take up
        reg = await Q.registration_offer(registration_id=found["id"])
        if reg["status"] != "offered":
            raise Conflict(f"there is no open offer for this registration (it is {reg['status']})", "status")
        if reg["offer_expires_at"] <= now:
            raise Conflict("this offer has expired and passed to the next person", "status")
        await Q.accept_offer(registration_id=found["id"])
        await seats.notify("registration_confirmed", found["id"], invite=METHOD_REQUEST)
    await kick_outbox()
    return await registration_out(found["id"])


async def update_answers(token: str, answers: dict[str, Any]) -> dict:
    """The delegate replaces their answers to the event's questions (what is left out is removed).

    The answers pass the same checks as at registration (422 naming `answers.<code>`); a registration that is no
    longer active (cancelled, rejected) cannot change them (409). One transaction, under the registration's row
    lock, so a concurrent cancellation either happens before (and wins) or after. No message is sent: nothing about
    the seat or the calendar changes. Delegates' own changes are not in the audit trail (it records organizers,
    coordinators and administrators); `updated_at` records when.
    """
    found = await registration_by_token(token)
    async with DB.transaction():
        status = await Q.lock_registration_status_only(registration_id=found["id"])
        if status not in ACTIVE:
            raise Conflict(f"this registration is {status}; its answers can no longer be changed", "status")
        clean, errors = validate_answers(await questions.for_event(found["event"]), answers or {})
        require(errors)
        await Q.set_answers(registration_id=found["id"], answers=clean)
    return await registration_out(found["id"])


async def resend_link(event_id: int, email: str) -> None:
    """Email a new manage link to a registered address; silent for unknown addresses (no enumeration).

    The link is new and the one before it stops working: anyone may register any address and is shown that
    registration's link, so the owner of the address asking for it takes the registration back (cancelling,
    answers, bookings and the ticket are theirs alone from then on)."""
    normalized = normalize_email(email)
    async with DB.transaction():
        reg_id = await Q.active_registration_by_email(event_id=event_id, email=normalized, active_statuses=list(ACTIVE))
        if reg_id is not None:
            nonce = new_nonce()
            token = manage_token(get_settings().secret_key, nonce)
            await Q.replace_manage_token(registration_id=reg_id, token_nonce=nonce, token_hash=digest(token))
            await seats.notify("manage_link", reg_id)
    await kick_outbox()


async def expire_offers(now: datetime | None = None) -> int:
    """Beat task: offers past their time pass to the next person in line. Returns how many expired."""
    now = now or datetime.now(timezone.utc)
    expired = 0
    for event_id in [r["event"] for r in await Q.events_with_expired_offers(now=now)]:
        async with DB.transaction():
            event = await seats.lock_event(event_id)
            for reg in await Q.expired_offers(event_id=event_id, now=now):
                await seats.cancel(reg["id"], event, "offer_expired", kind="registration_offer_expired")
                expired += 1
    if expired:
        await kick_outbox()
    return expired


async def registration_out(registration_id: int) -> dict:
    """The registration as the API, pages and mails show it (the registration_out columns)."""
    return dict(await Q.registration_out(registration_id=registration_id))
