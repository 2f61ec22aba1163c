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
from email_validator import EmailNotValidError, validate_email

from events_app.db import sql
from events_app.db.engine import DB
from events_app.domain.errors import Conflict, FieldError, InvalidInput, NotFound, require
from events_app.domain.ical import METHOD_REQUEST
from events_app.domain.questions import validate_answers
from events_app.domain.registration import (
    ACTIVE,
    Seats,
    check_eligibility,
    check_registration_open,
    initial_status,
    membership_unproven,
)
from events_app.domain.security import digest, manage_token, new_nonce
from events_app.domain.text import text_errors
from events_app.domain.vocab import LANGUAGES, is_time_zone
from events_app.jobs import kick_outbox
from events_app.services.people import people
from events_app.services.platform import calendar_sequence, outbox
from events_app.services.registration import questions, seats, waitlist
from events_app.settings import get_settings


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
    name, text_problems = text_errors({"name": str(data.get("name") or "")}, ("name",))
    name = name["name"]
    errors.extend(text_problems)
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


def _snapshot_args(p: dict[str, Any]) -> tuple:
    """What the registrant typed, stored on the registration: name, organization, language, time zone."""
    return p["name"], p["organization_id"], p["language"], p["timezone"]


async def _unlock(event_id: int, data: dict[str, Any], now: datetime) -> tuple[int | None, dict]:
    """An invitation or access code in the request: (category id it unlocks, columns to store). Marks it used."""
    if data.get("invitation_token"):
        inv = await sql.fetchrow(
            "SELECT id, category, email, expires_at, used_at FROM invitation"
            " WHERE token_hash = $1 AND event = $2 FOR UPDATE",
            digest(data["invitation_token"]),
            event_id,
        )
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
        await sql.execute("UPDATE invitation SET used_at = $2 WHERE id = $1", inv["id"], now)
        return inv["category"], {"invitation": inv["id"]}
    if data.get("access_code"):
        code = await sql.fetchrow(
            "SELECT id, category, max_uses, uses, expires_at FROM access_code"
            " WHERE event = $1 AND upper(code) = upper($2) FOR UPDATE",
            event_id,
            data["access_code"],
        )
        if code is None:
            require([FieldError("access_code", "unknown access code for this event")])
        if code["expires_at"] is not None and code["expires_at"] <= now:
            require([FieldError("access_code", "this access code has expired")])
        if code["uses"] >= code["max_uses"]:
            require([FieldError("access_code", "this access code has been used up")])
        await sql.execute("UPDATE access_code SET uses = uses + 1 WHERE id = $1", code["id"])
        return code["category"], {"access_code": code["id"]}
    return None, {}


async def _category(event_id: int, code: str, unlocked_category: int | None):
    if not code and unlocked_category is not None:
        return await sql.fetchrow("SELECT * FROM registration_category WHERE id = $1", unlocked_category)
    category = await sql.fetchrow("SELECT * FROM registration_category WHERE event = $1 AND code = $2", event_id, code)
    if category is None:
        codes = [
            r["code"]
            for r in await sql.fetch(
                "SELECT code FROM registration_category WHERE event = $1 ORDER BY position", event_id
            )
        ]
        require([FieldError("category", f"unknown category {code!r}: choose one of {', '.join(codes)}")])
    if unlocked_category is not None and category["id"] != unlocked_category:
        require(
            [FieldError("category", "your invitation or code is for another category: leave 'category' out to use it")]
        )
    return category


# The person (created if the address is new, or given by id), the registration with what the registrant typed, its
# seat, the event's SEQUENCE for a returning person and its first message, in one statement under the event lock
# (each round trip saved there is time the next registrant of a busy event does not wait). An existing person is
# never changed: anyone may register any address, so the name, organization, language and time zone of the request
# are kept on the registration ($16-$19) and used for its emails and answers. The statement's snapshot is taken
# after the lock was granted and every writer of these rows holds that lock, so what it reads is current. Nothing is
# inserted when the person already holds an active registration for the event (`active` says which). A place in
# line is drawn here too, so places follow the order in which registrations took the lock. A REQUEST to someone who
# had a registration for this event cancelled or rejected must carry a higher SEQUENCE than the CANCEL they got
# (RFC 5546 2.1.4), hence the event's sequence grows first in that case.
# (domain.sequence: a REQUEST to someone sent a CANCEL before grows the SEQUENCE first)
_GROW_FOR_RETURNING_PERSON = calendar_sequence.grow_when(
    calendar_sequence.cancelled_before("$1", "(SELECT id FROM who)")
)
_INSERT_REGISTRATION = f"""
    WITH {{who}},
    active AS (
        SELECT r.id FROM registration r, who
        WHERE r.event = $1 AND r.person = who.id AND r.status = ANY($15::text[])),
    reg AS (
        INSERT INTO registration (event, person, category, status, token_nonce, token_hash, answers, delegation,
                                  invitation, access_code, waitlist_seq, cancel_reason, consent_version, consent_at,
                                  registered_name, registered_organization, registered_language,
                                  registered_timezone, created_at, updated_at)
        SELECT $1, who.id, $2, $3, $4, $5, $6::jsonb, $7, $8, $9,
               coalesce($10::bigint, CASE WHEN $3::varchar = 'waitlisted'
                                          THEN nextval('registration_waitlist_order') END),
               '', $11::text, CASE WHEN $11::text IS NULL THEN NULL ELSE now() END,
               $16::varchar, $17::int, $18::varchar, $19::varchar, now(), now()
        FROM who WHERE NOT EXISTS (SELECT 1 FROM active)
        RETURNING id, status, category, created_at, waitlist_seq, consent_version, consent_at),
    ev AS (
        UPDATE event SET {seats.count_seats("$12::int")},
                         {_GROW_FOR_RETURNING_PERSON}
        WHERE id = $1 AND $12::int > 0 AND EXISTS (SELECT 1 FROM reg)
        RETURNING calendar_sequence),
    cat AS (
        UPDATE registration_category SET {seats.count_seats("$12::int")}
        WHERE id = $2 AND $12::int > 0 AND EXISTS (SELECT 1 FROM reg)),
    msg AS (
        INSERT INTO outbox_message {outbox.COLUMNS}
        SELECT $13::varchar, $1, reg.id, who.email, $18::varchar, '{{{{}}}}'::jsonb, $14::varchar,
               CASE WHEN $14::varchar IS NOT NULL
                    THEN coalesce((SELECT calendar_sequence FROM ev),
                                  (SELECT calendar_sequence FROM event WHERE id = $1)) END,
               {outbox.NEW_ROW_DEFAULTS}, NULL, now()
        FROM reg, who WHERE who.email NOT LIKE '%.invalid')
    SELECT who.id AS person_id, o.id AS organization_id, o.name AS organization_name,
           o.country AS organization_country, o.kind AS organization_kind, (SELECT id FROM active) AS active,
           reg.id, reg.status, reg.created_at, reg.consent_version, reg.consent_at,
           {waitlist.position("reg")} AS waitlist_position
    FROM who LEFT JOIN reg ON true LEFT JOIN organization o ON o.id = $17::int"""
INSERT_FOR_PERSON = _INSERT_REGISTRATION.format(who="who AS (SELECT id, email FROM person WHERE id = $20)")
# Insert if missing, never update: when the address is known, `created` is empty and `who` reads the stored row
# (visible to this statement's snapshot unless another transaction created it a moment ago: then no row comes
# back and insert_registration runs the statement again).
INSERT_WITH_PERSON = _INSERT_REGISTRATION.format(who=people.person_ctes("$20", "$16", "$17", "$18", "$19"))

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
    args = (
        event_id,
        category_id,
        status,
        nonce,
        digest(token),
        answers,
        delegation_id,
        extra.get("invitation"),
        extra.get("access_code"),
        waitlist_seq,
        extra.get("consent_version"),
        1 if status == "confirmed" else 0,
        kind,
        method,
        list(ACTIVE),
        *_snapshot_args(person),
    )
    try:
        if person_id is not None:
            return await sql.fetchrow(INSERT_FOR_PERSON, *args, person_id), token
        row = await sql.fetchrow(INSERT_WITH_PERSON, *args, person["email"])
        if row is None:  # created by a concurrent transaction after this statement's snapshot: now visible
            row = await sql.fetchrow(INSERT_WITH_PERSON, *args, person["email"])
        return row, token
    except asyncpg.UniqueViolationError:  # the active check above makes this a safety net only
        raise Conflict("this person is already registered for this event", "email") from None


async def create_registration(
    event,
    category,
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
            Seats(event["capacity"], event["confirmed_count"], category["quota"], category["confirmed_count"]),
            category["requires_approval"],
        )
    row, token = await insert_registration(
        event["id"],
        category["id"],
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


def _context_columns(event: str, organization: str) -> str:
    """What a registration is checked against besides seats: the event's questions, the named organization (its
    kind, membership and registered email domains)."""
    return f"""(SELECT coalesce(json_agg(json_build_object('code', q.code, 'label', q.label, 'kind', q.kind,
                                                            'required', q.required, 'options', q.options)
                                          ORDER BY q.position), '[]')
                FROM question q WHERE q.event = {event}) AS questions,
               (SELECT json_build_object('kind', o.kind, 'membership_status', o.membership_status,
                                         'domains', (SELECT coalesce(json_agg(d.domain), '[]')
                                                     FROM organization_domain d WHERE d.organization = o.id))
                FROM organization o WHERE o.id = {organization}::int) AS organization"""


# The event and the chosen category, both locked, with the questions and the organization: one round trip. Locking
# the category row too (every writer of it holds the event lock first, so the order is the same everywhere) makes
# PostgreSQL return its newest version when this statement had to wait, so the counters read here are current.
LOCK_WITH_CATEGORY = f"""
    SELECT e.id, e.title, e.status, e.registration_opens_at, e.registration_closes_at, e.capacity, e.confirmed_count,
           c.id AS cat_id, c.code AS cat_code, c.name AS cat_name, c.quota AS cat_quota,
           c.confirmed_count AS cat_confirmed_count, c.requires_approval AS cat_requires_approval,
           c.eligibility AS cat_eligibility, c.opens_at AS cat_opens_at, c.closes_at AS cat_closes_at,
           {_context_columns("e.id", "$3")}
    FROM event e JOIN registration_category c ON c.event = e.id AND c.code = $2
    WHERE e.id = $1 FOR UPDATE OF e, c"""
CONTEXT = f"SELECT {_context_columns('$1', '$2')}"


async def _lock_for(event_id: int, data: dict[str, Any], person: dict[str, Any], now: datetime):
    """Lock the event (and the category) and check the request against them.

    Returns (event, category, context: a row with the `questions` and `organization` JSON columns, extra columns
    for the registration: the invitation or access code used).
    """
    code = data.get("category") or ""
    if code and not data.get("invitation_token") and not data.get("access_code"):
        row = await sql.fetchrow(LOCK_WITH_CATEGORY, event_id, code, person["organization_id"])
        if row is not None:
            event = {k: v for k, v in row.items() if not k.startswith("cat_")}
            category = {k[4:]: v for k, v in row.items() if k.startswith("cat_")}
            check_registration_open(
                event["status"], event["registration_opens_at"], event["registration_closes_at"], now
            )
            return event, category, event, {}
    # With an invitation or an access code, or a category this event does not have: lock, then look up.
    event = dict(await seats.lock_event(event_id))
    check_registration_open(event["status"], event["registration_opens_at"], event["registration_closes_at"], now)
    unlocked, extra = await _unlock(event_id, data, now)
    category = dict(await _category(event_id, code, unlocked))
    context = await sql.fetchrow(CONTEXT, event_id, person["organization_id"])
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
        if row["active"] is not None:
            # Never reveal the link to whoever asked: send it to the address on file.
            await seats.notify("manage_link", row["active"])
        elif idempotency_key:
            await sql.execute(
                "INSERT INTO idempotency_key (scope, key, request_hash, registration, created_at)"
                " VALUES ($1, $2, $3, $4, now())",
                scope,
                idempotency_key,
                request_hash(data),
                row["id"],
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
    row = await sql.fetchrow(
        "SELECT request_hash, registration FROM idempotency_key WHERE scope = $1 AND key = $2", scope, key
    )
    if row is None:
        return None
    if row["request_hash"] != hashed:
        raise Conflict(
            "this Idempotency-Key was used for a different request: use a new key for a new registration",
            "Idempotency-Key",
        )
    result = await registration_out(row["registration"])
    nonce = await sql.fetchval("SELECT token_nonce FROM registration WHERE id = $1", row["registration"])
    result["manage_token"] = manage_token(get_settings().secret_key, nonce)
    return result


async def registration_by_token(token: str):
    row = await sql.fetchrow("SELECT id, event, person, status FROM registration WHERE token_hash = $1", digest(token))
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
        status = await sql.fetchval("SELECT status FROM registration WHERE id = $1", found["id"])
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
        await seats.lock_event(found["event"])
        reg = await sql.fetchrow("SELECT status, offer_expires_at FROM registration WHERE id = $1", found["id"])
        if reg["status"] != "offered":
            raise Conflict(f"there is no open offer for this registration (it is {reg['status']})", "status")
        if reg["offer_expires_at"] <= now:
            raise Conflict("this offer has expired and passed to the next person", "status")
        await sql.execute(
            "UPDATE registration SET status = 'confirmed', offer_expires_at = NULL, updated_at = now() WHERE id = $1",
            found["id"],
        )
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
        status = await sql.fetchval("SELECT status FROM registration WHERE id = $1 FOR UPDATE", found["id"])
        if status not in ACTIVE:
            raise Conflict(f"this registration is {status}; its answers can no longer be changed", "status")
        clean, errors = validate_answers(await questions.for_event(found["event"]), answers or {})
        require(errors)
        await sql.execute(
            "UPDATE registration SET answers = $2::jsonb, updated_at = now() WHERE id = $1",
            found["id"],
            clean,
        )
    return await registration_out(found["id"])


async def resend_link(event_id: int, email: str) -> None:
    """Email the manage link to a registered address again; silent for unknown addresses (no enumeration)."""
    normalized = normalize_email(email)
    async with DB.transaction():
        reg_id = await sql.fetchval(
            "SELECT r.id FROM registration r JOIN person p ON p.id = r.person WHERE r.event = $1 AND p.email = $2"
            " AND r.status = ANY($3::text[])",
            event_id,
            normalized,
            list(ACTIVE),
        )
        if reg_id is not None:
            await seats.notify("manage_link", reg_id)
    await kick_outbox()


async def expire_offers(now: datetime | None = None) -> int:
    """Beat task: offers past their time pass to the next person in line. Returns how many expired."""
    now = now or datetime.now(timezone.utc)
    expired = 0
    for event_id in [
        r["event"]
        for r in await sql.fetch(
            "SELECT DISTINCT event FROM registration WHERE status = 'offered' AND offer_expires_at <= $1", now
        )
    ]:
        async with DB.transaction():
            event = await seats.lock_event(event_id)
            for reg in await sql.fetch(
                "SELECT id FROM registration WHERE event = $1 AND status = 'offered'"
                " AND offer_expires_at <= $2 ORDER BY id",
                event_id,
                now,
            ):
                await seats.cancel(reg["id"], event, "offer_expired", kind="registration_offer_expired")
                expired += 1
    if expired:
        await kick_outbox()
    return expired


REGISTRATION_SELECT = f"""
    SELECT r.id, r.event AS event_id, r.status, r.created_at, r.updated_at, r.cancelled_at, r.cancel_reason,
           r.answers, r.offer_expires_at, r.delegation AS delegation_id, r.consent_version, r.consent_at,
           {waitlist.REGISTRATION_POSITION} AS waitlist_position,
           c.code AS category, c.name AS category_name,
           p.email, r.registered_name AS name, r.registered_language AS language,
           r.registered_timezone AS timezone,
           o.id AS organization_id, o.name AS organization_name, o.country AS organization_country,
           o.kind AS organization_kind,
           e.title AS event_title
    FROM registration r
    JOIN person p ON p.id = r.person
    JOIN registration_category c ON c.id = r.category
    JOIN event e ON e.id = r.event
    LEFT JOIN organization o ON o.id = r.registered_organization
"""


def _out(row) -> dict:
    out = dict(row)
    if isinstance(out.get("answers"), str):
        out["answers"] = json.loads(out["answers"])
    return out


async def registration_out(registration_id: int) -> dict:
    return _out(await sql.fetchrow(REGISTRATION_SELECT + " WHERE r.id = $1", registration_id))
