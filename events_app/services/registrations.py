"""A delegate's registration: register, read, cancel, accept an offer, get the manage link again.

Each change is one transaction under the event row's lock (services.seats), with its outbox message; the
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
)
from events_app.domain.security import digest, manage_token, new_nonce
from events_app.domain.vocab import LANGUAGES, is_time_zone
from events_app.jobs import kick_outbox
from events_app.services import seats
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


PERSON_UPSERT = """INSERT INTO person (email, name, organization, language, timezone, created_at)
                   VALUES ($1, $2, $3, $4, $5, now())
                   ON CONFLICT (email) DO UPDATE SET
                       organization = coalesce(EXCLUDED.organization, person.organization),
                       language = EXCLUDED.language,
                       timezone = coalesce(EXCLUDED.timezone, person.timezone)
                   RETURNING id"""
# The person, and their active registration for the event if they have one, in one round trip under the lock.
PERSON_UPSERT_AND_ACTIVE = f"""WITH upserted AS ({PERSON_UPSERT})
    SELECT upserted.id, (SELECT r.id FROM registration r WHERE r.event = $6 AND r.person = upserted.id
                                                        AND r.status = ANY($7::text[])) AS active
    FROM upserted"""


def _person_args(p: dict[str, Any]) -> tuple:
    return p["email"], p["name"], p["organization_id"], p["language"], p["timezone"]


async def upsert_person(p: dict[str, Any]) -> int:
    return await sql.fetchval(PERSON_UPSERT, *_person_args(p))


async def _organization(organization_id: int | None):
    if organization_id is None:
        return None
    org = await sql.fetchrow("SELECT id, kind, membership_status FROM organization WHERE id = $1", organization_id)
    if org is None:
        require([FieldError("organization_id", "no organization has this id: see GET /api/organizations")])
    return org


async def _unlock(event_id: int, data: dict[str, Any], now: datetime) -> tuple[int | None, dict]:
    """An invitation or access code in the request: (category id it unlocks, columns to store). Marks it used."""
    if data.get("invitation_token"):
        inv = await sql.fetchrow(
            "SELECT id, category, email, expires_at, used_at FROM invitation"
            " WHERE token_hash = $1 AND event = $2 FOR UPDATE", digest(data["invitation_token"]), event_id)
        if inv is None:
            require([FieldError("invitation_token", "this invitation link is not valid for this event")])
        if inv["used_at"] is not None:
            require([FieldError("invitation_token", "this invitation has already been used")])
        if inv["expires_at"] <= now:
            require([FieldError("invitation_token", f"this invitation expired at {inv['expires_at'].isoformat()}; "
                                                    "ask the organizers for a new one")])
        await sql.execute("UPDATE invitation SET used_at = $2 WHERE id = $1", inv["id"], now)
        return inv["category"], {"invitation": inv["id"]}
    if data.get("access_code"):
        code = await sql.fetchrow(
            "SELECT id, category, max_uses, uses, expires_at FROM access_code"
            " WHERE event = $1 AND upper(code) = upper($2) FOR UPDATE", event_id, data["access_code"])
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
    category = await sql.fetchrow("SELECT * FROM registration_category WHERE event = $1 AND code = $2",
                                  event_id, code)
    if category is None:
        codes = [r["code"] for r in await sql.fetch(
            "SELECT code FROM registration_category WHERE event = $1 ORDER BY position", event_id)]
        require([FieldError("category", f"unknown category {code!r}: choose one of {', '.join(codes)}")])
    if unlocked_category is not None and category["id"] != unlocked_category:
        require([FieldError("category", "your invitation or code is for another category: leave 'category' out "
                                        "to use it")])
    return category


async def create_registration(event, category, person_id: int, *, email: str, answers: dict,
                              delegation_id: int | None = None, extra: dict | None = None,
                              status: str | None = None, waitlist_seq: int | None = None) -> tuple[int, str, str]:
    """Insert a registration under the held event lock, take its seat or place it in line, write its message.

    Returns (registration id, manage token, status).
    """
    if status is None:
        taken = await sql.fetchrow(
            "SELECT e.confirmed_count AS event, c.confirmed_count AS category FROM event e, registration_category c"
            " WHERE e.id = $1 AND c.id = $2", event["id"], category["id"])
        status = initial_status(Seats(event["capacity"], taken["event"], category["quota"], taken["category"]),
                                category["requires_approval"])
    nonce = new_nonce()
    token = manage_token(get_settings().secret_key, nonce)
    extra = extra or {}
    try:
        # A new place in line is drawn in the same statement (the sequence is read under the event lock, so places
        # follow the order in which registrations took the lock).
        registration_id = await sql.fetchval(
            """INSERT INTO registration (event, person, category, status, token_nonce, token_hash, answers,
                                         delegation, invitation, access_code, waitlist_seq, cancel_reason,
                                         consent_version, consent_at, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10,
                       coalesce($11::bigint, CASE WHEN $4::varchar = 'waitlisted'
                                                  THEN nextval('registration_waitlist_order') END),
                       '', $12::text, CASE WHEN $12::text IS NULL THEN NULL ELSE now() END, now(), now())
               RETURNING id""",
            event["id"], person_id, category["id"], status, nonce, digest(token), json.dumps(answers),
            delegation_id, extra.get("invitation"), extra.get("access_code"), waitlist_seq,
            extra.get("consent_version"))
    except asyncpg.UniqueViolationError:
        raise Conflict(f"{email} is already registered for this event", "email") from None
    if status == "confirmed":
        await seats.take_seat(event["id"], category["id"])
        await seats.notify("registration_confirmed", registration_id, invite=METHOD_REQUEST)
    elif status == "waitlisted":
        await seats.notify("registration_waitlisted", registration_id)
    else:
        await seats.notify("registration_received", registration_id)
    return registration_id, token, status


def request_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


async def register(event_id: int, data: dict[str, Any], *, idempotency_key: str | None = None,
                   now: datetime | None = None) -> dict:
    """Register a person. Returns the registration with its manage token (the only time the token is shown).

    With an Idempotency-Key, a retry returns the registration the first request created and creates nothing. A
    person already registered gets 409 and their manage link is emailed again to the address on file.
    """
    now = now or datetime.now(timezone.utc)
    policy = get_settings().privacy_policy_version
    consent = [] if data.get("consent") is True else [FieldError(
        "consent", f"accept the privacy policy (version {policy}) by sending \"consent\": true; we keep your data "
                   "only to run this event")]
    try:
        person = validate_person(data)
    except InvalidInput as exc:  # report the person's fields and consent together
        raise InvalidInput(exc.errors + consent) from None
    require(consent)
    scope = f"register:{event_id}"
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 200:
        require([FieldError("Idempotency-Key", "must be 1-200 characters, e.g. a UUID")])
    duplicate = False
    async with DB.transaction():
        event = await seats.lock_event(event_id)
        if idempotency_key:
            replay = await _replay(scope, idempotency_key, request_hash(data))
            if replay is not None:
                return replay
        check_registration_open(event["status"], event["registration_opens_at"], event["registration_closes_at"],
                                now)
        unlocked, extra = await _unlock(event_id, data, now)
        extra["consent_version"] = policy
        category = await _category(event_id, data.get("category") or "", unlocked)
        check_registration_open("published", category["opens_at"], category["closes_at"], now, "category")
        org = await _organization(person["organization_id"])
        check_eligibility(category["eligibility"], org["kind"] if org else None,
                          org["membership_status"] if org else None, unlocked is not None)
        questions = [dict(q) | {"options": json.loads(q["options"]) if isinstance(q["options"], str)
                                else q["options"]}
                     for q in await sql.fetch("SELECT code, label, kind, required, options FROM question"
                                              " WHERE event = $1 ORDER BY position", event_id)]
        answers, errors = validate_answers(questions, data.get("answers") or {})
        require(errors)
        person_id, existing = await sql.fetchrow(PERSON_UPSERT_AND_ACTIVE, *_person_args(person), event_id,
                                                 list(ACTIVE))
        if existing is not None:
            # Never reveal the link to whoever asked: send it to the address on file.
            await seats.notify("manage_link", existing)
            duplicate = True
        else:
            registration_id, token, _ = await create_registration(event, category, person_id, email=person["email"],
                                                                  answers=answers, extra=extra)
            if idempotency_key:
                await sql.execute(
                    "INSERT INTO idempotency_key (scope, key, request_hash, registration, created_at)"
                    " VALUES ($1, $2, $3, $4, now())", scope, idempotency_key, request_hash(data), registration_id)
    await kick_outbox()
    if duplicate:
        raise Conflict("this email address is already registered for this event; we have emailed the manage link "
                       "to it again", "email")
    result = await registration_out(registration_id)
    result["manage_token"] = token
    return result


async def _replay(scope: str, key: str, hashed: str) -> dict | None:
    row = await sql.fetchrow("SELECT request_hash, registration FROM idempotency_key WHERE scope = $1 AND key = $2",
                             scope, key)
    if row is None:
        return None
    if row["request_hash"] != hashed:
        raise Conflict("this Idempotency-Key was used for a different request: use a new key for a new "
                       "registration", "Idempotency-Key")
    result = await registration_out(row["registration"])
    nonce = await sql.fetchval("SELECT token_nonce FROM registration WHERE id = $1", row["registration"])
    result["manage_token"] = manage_token(get_settings().secret_key, nonce)
    return result


async def registration_by_token(token: str):
    row = await sql.fetchrow("SELECT id, event, person, status FROM registration WHERE token_hash = $1",
                             digest(token))
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
        await sql.execute("UPDATE registration SET status = 'confirmed', offer_expires_at = NULL, updated_at = now()"
                          " WHERE id = $1", found["id"])
        await seats.notify("registration_confirmed", found["id"], invite=METHOD_REQUEST)
    await kick_outbox()
    return await registration_out(found["id"])


async def resend_link(event_id: int, email: str) -> None:
    """Email the manage link to a registered address again; silent for unknown addresses (no enumeration)."""
    normalized = normalize_email(email)
    async with DB.transaction():
        reg_id = await sql.fetchval(
            "SELECT r.id FROM registration r JOIN person p ON p.id = r.person WHERE r.event = $1 AND p.email = $2"
            " AND r.status = ANY($3::text[])", event_id, normalized, list(ACTIVE))
        if reg_id is not None:
            await seats.notify("manage_link", reg_id)
    await kick_outbox()


async def expire_offers(now: datetime | None = None) -> int:
    """Beat task: offers past their time pass to the next person in line. Returns how many expired."""
    now = now or datetime.now(timezone.utc)
    expired = 0
    for event_id in [r["event"] for r in await sql.fetch(
            "SELECT DISTINCT event FROM registration WHERE status = 'offered' AND offer_expires_at <= $1", now)]:
        async with DB.transaction():
            event = await seats.lock_event(event_id)
            for reg in await sql.fetch("SELECT id FROM registration WHERE event = $1 AND status = 'offered'"
                                       " AND offer_expires_at <= $2 ORDER BY id", event_id, now):
                await seats.cancel(reg["id"], event, "offer_expired", kind="registration_offer_expired")
                expired += 1
    if expired:
        await kick_outbox()
    return expired


REGISTRATION_SELECT = """
    SELECT r.id, r.event AS event_id, r.status, r.created_at, r.updated_at, r.cancelled_at, r.cancel_reason,
           r.answers, r.offer_expires_at, r.delegation AS delegation_id, r.consent_version, r.consent_at,
           CASE WHEN r.status = 'waitlisted' THEN (
               SELECT count(*) FROM registration w WHERE w.category = r.category AND w.status = 'waitlisted'
                 AND w.waitlist_seq <= r.waitlist_seq) END AS waitlist_position,
           c.code AS category, c.name AS category_name,
           p.email, p.name, p.language, p.timezone,
           o.id AS organization_id, o.name AS organization_name, o.country AS organization_country,
           o.kind AS organization_kind,
           e.title AS event_title
    FROM registration r
    JOIN person p ON p.id = r.person
    JOIN registration_category c ON c.id = r.category
    JOIN event e ON e.id = r.event
    LEFT JOIN organization o ON o.id = p.organization
"""


def _out(row) -> dict:
    out = dict(row)
    if isinstance(out.get("answers"), str):
        out["answers"] = json.loads(out["answers"])
    return out


async def registration_out(registration_id: int) -> dict:
    return _out(await sql.fetchrow(REGISTRATION_SELECT + " WHERE r.id = $1", registration_id))
