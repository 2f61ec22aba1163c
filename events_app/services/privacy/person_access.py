"""Person-wide actions (see and change my profile, export all my data, erase me, stop all announcements), reached
only through a short-lived, single-use link mailed to the address on file.

A registration's manage link controls that registration only; anyone can register any address, so holding one proves
nothing about the person. The flow: request_link() (same answer whether or not the address is known) writes an
outbox message with a link valid ACCESS_LINK_MINUTES; opening the link changes nothing (mail scanners fetch links);
exchange() marks it used, in one conditional UPDATE so it works once, and returns a session token valid
PERSON_SESSION_MINUTES. Links and sessions are stored as digests only (links as nonce + digest, like manage links).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from events_app.db import sql
from events_app.db.engine import DB
from events_app.domain.errors import FieldError, Gone, NotFound, Unauthorized, require
from events_app.domain.security import (
    ACCESS_LINK_MINUTES,
    PERSON_SESSION_MINUTES,
    access_link_state,
    access_link_token,
    digest,
    new_bearer_token,
    new_nonce,
)
from events_app.domain.vocab import LANGUAGES, is_time_zone
from events_app.jobs import kick_outbox
from events_app.services.platform import outbox
from events_app.services.privacy import privacy
from events_app.services.registration.registrations import normalize_email
from events_app.settings import get_settings

MAIL_KIND = "person_access_link"
SESSION_REQUIRED = (
    "this needs a fresh link: ask for one with POST /api/people/access-link, then exchange it with "
    "POST /api/people/access and send 'Authorization: Bearer <session>'"
)


class LinkGone(Gone):
    """410: the access link was used or has expired; the answer says how to get a new one."""

    def __init__(self, state: str):
        reason = {"used": "this link has already been used", "expired": "this link has expired"}.get(
            state, "this link is not valid"
        )
        super().__init__(
            f"{reason}; ask for a new one (it is emailed to the address on file and works once, "
            f"for {ACCESS_LINK_MINUTES} minutes)",
            [FieldError("token", reason)],
            {"state": state},
        )


async def request_link(email: str, now: datetime | None = None) -> None:
    """Email a single-use access link to the address if a person has it; for an unknown address do nothing. The
    caller answers the same in both cases, so nobody learns whether an address is known."""
    now = now or datetime.now(timezone.utc)
    address = normalize_email(email)
    async with DB.transaction():
        person = await sql.fetchrow("SELECT id, language FROM person WHERE email = $1 AND erased_at IS NULL", address)
        if person is not None:
            await _write_link(person, address, now)
    await kick_outbox()  # for unknown addresses too, so the answer takes about as long


async def _write_link(person, address: str, now: datetime) -> None:
    """The link (its nonce and digest) and the message that carries it, in the caller's transaction."""
    nonce = new_nonce()
    link_id = await sql.fetchval(
        "INSERT INTO person_access_link (person, token_nonce, token_hash, expires_at, created_at)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING id",
        person["id"],
        nonce,
        digest(access_link_token(get_settings().secret_key, nonce)),
        now + timedelta(minutes=ACCESS_LINK_MINUTES),
        now,
    )
    await outbox.enqueue(MAIL_KIND, address, language=person["language"] or "en", payload={"link_id": link_id})


async def link_state(token: str, now: datetime | None = None) -> str:
    """What the link can still do ('valid', 'used', 'expired', 'unknown'), without using it."""
    now = now or datetime.now(timezone.utc)
    row = await sql.fetchrow(
        "SELECT l.expires_at, l.used_at FROM person_access_link l JOIN person p"
        " ON p.id = l.person AND p.erased_at IS NULL WHERE l.token_hash = $1",
        digest(token),
    )
    return access_link_state(row is not None, row and row["expires_at"], row and row["used_at"], now)


async def exchange(token: str, now: datetime | None = None) -> dict:
    """Use the link (once): returns {"session": token, "expires_at": ...}. A used, expired or unknown link is 410
    with a message saying how to get a new one."""
    now = now or datetime.now(timezone.utc)
    async with DB.transaction():
        person_id = await sql.fetchval(
            "UPDATE person_access_link l SET used_at = $2 FROM person p"
            " WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > $2 AND p.id = l.person"
            " AND p.erased_at IS NULL RETURNING l.person",
            digest(token),
            now,
        )
        if person_id is None:
            raise LinkGone(await link_state(token, now))
        session = new_bearer_token()
        expires = now + timedelta(minutes=PERSON_SESSION_MINUTES)
        await sql.execute("DELETE FROM person_session WHERE expires_at < $1", now)
        await sql.execute(
            "INSERT INTO person_session (person, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            person_id,
            digest(session),
            now,
            expires,
        )
    return {"session": session, "expires_at": expires}


async def authenticate(session: str | None, now: datetime | None = None) -> int:
    """The person id of a live session; 401 otherwise."""
    if not session:
        raise Unauthorized(SESSION_REQUIRED)
    person_id = await sql.fetchval(
        "SELECT s.person FROM person_session s JOIN person p ON p.id = s.person AND p.erased_at IS NULL"
        " WHERE s.token_hash = $1 AND s.expires_at > $2",
        digest(session),
        now or datetime.now(timezone.utc),
    )
    if person_id is None:
        raise Unauthorized("this session has ended or is not valid: ask for a new link (POST /api/people/access-link)")
    return person_id


async def end_session(session: str) -> None:
    await sql.execute("DELETE FROM person_session WHERE token_hash = $1", digest(session))


async def profile(person_id: int) -> dict:
    """The person's profile and a summary of their registrations (what they can see with their session)."""
    row = await sql.fetchrow(
        """SELECT p.email, p.name, p.language, p.timezone, p.announcements_opt_out, o.id AS organization_id,
                  o.name AS organization_name
           FROM person p LEFT JOIN organization o ON o.id = p.organization WHERE p.id = $1""",
        person_id,
    )
    if row is None:
        raise NotFound("person")
    registrations = await sql.fetch(
        """SELECT r.id, r.event AS event_id, e.title AS event_title, e.starts_at AS event_starts_at, r.status,
                  c.name AS category_name
           FROM registration r JOIN event e ON e.id = r.event JOIN registration_category c ON c.id = r.category
           WHERE r.person = $1 ORDER BY e.starts_at DESC, r.id""",
        person_id,
    )
    return dict(row) | {"registrations": [dict(r) for r in registrations]}


async def update_profile(person_id: int, data: dict[str, Any]) -> dict:
    """Change name, organization, language or time zone (the fields given); every problem reported at once. The
    details kept on existing registrations stay as they were registered."""
    errors: list[FieldError] = []
    changes: dict[str, Any] = {}
    if "name" in data:
        name = str(data["name"] or "").strip()
        if not name:
            errors.append(FieldError("name", "must not be empty"))
        elif len(name) > 200:
            errors.append(FieldError("name", "must be at most 200 characters"))
        changes["name"] = name
    if "language" in data:
        if data["language"] not in LANGUAGES:
            errors.append(FieldError("language", f"must be one of {', '.join(LANGUAGES)}"))
        changes["language"] = data["language"]
    if "timezone" in data:
        tz = data["timezone"] or None
        if tz and not is_time_zone(tz):
            errors.append(
                FieldError(
                    "timezone", f"unknown time zone {tz!r}: use an IANA name such as 'Asia/Seoul', or leave it empty"
                )
            )
        changes["timezone"] = tz
    if "organization_id" in data:
        org = data["organization_id"]
        if org is not None and not await sql.fetchval("SELECT 1 FROM organization WHERE id = $1", org):
            errors.append(FieldError("organization_id", "no organization has this id: see GET /api/organizations"))
        changes["organization"] = org
    require(errors)
    if changes:
        await sql.execute(
            "UPDATE person SET name = CASE WHEN $2 THEN $3 ELSE name END,"
            " language = CASE WHEN $4 THEN $5 ELSE language END,"
            " timezone = CASE WHEN $6 THEN $7 ELSE timezone END,"
            " organization = CASE WHEN $8 THEN $9::int ELSE organization END WHERE id = $1",
            person_id,
            "name" in changes,
            changes.get("name"),
            "language" in changes,
            changes.get("language"),
            "timezone" in changes,
            changes.get("timezone"),
            "organization" in changes,
            changes.get("organization"),
        )
    return await profile(person_id)


async def export(person_id: int) -> dict:
    return await privacy.export(person_id)


async def erase(person_id: int) -> dict:
    """Erase the person (services.privacy.privacy.erase); their sessions and links end with it."""
    result = await privacy.erase(person_id)
    await sql.execute("DELETE FROM person_session WHERE person = $1", person_id)
    await sql.execute("DELETE FROM person_access_link WHERE person = $1", person_id)
    return result


async def stop_announcements(person_id: int) -> dict:
    await sql.execute("UPDATE person SET announcements_opt_out = true WHERE id = $1", person_id)
    return await profile(person_id)


async def link_for_mail(link_id: int) -> dict | None:
    """What the access-link email shows: the link, when it expires, the person's name. None once the link is gone
    (the person was erased) or already used."""
    row = await sql.fetchrow(
        "SELECT l.token_nonce, l.expires_at, l.used_at, p.name FROM person_access_link l"
        " JOIN person p ON p.id = l.person WHERE l.id = $1",
        link_id,
    )
    if row is None or row["used_at"] is not None:
        return None
    settings = get_settings()
    return {
        "access_url": f"{settings.public_url}/my-data/{access_link_token(settings.secret_key, row['token_nonce'])}",
        "expires_at": row["expires_at"],
        "name": row["name"],
        "minutes": ACCESS_LINK_MINUTES,
    }
