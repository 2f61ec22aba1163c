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

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.errors import FieldError, Gone, NotFound, Unauthorized, require
from events_app.domain.person import PERSON_FIELDS, person_field_errors
from events_app.domain.security import (
    ACCESS_LINK_MINUTES,
    PERSON_SESSION_MINUTES,
    access_link_state,
    access_link_token,
    digest,
    new_bearer_token,
    new_nonce,
)
from events_app.jobs import kick_outbox
from events_app.services.platform import outbox
from events_app.services.privacy import privacy
from events_app.services.privacy.rows import AccessPerson
from events_app.services.registration.registrations import normalize_email
from events_app.settings import get_settings

Q = queries.load(__file__, rows=(AccessPerson,))
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
        person = await Q.person_for_access_link(email=address)
        if person is not None:
            await _write_link(person, address, now)
    await kick_outbox()  # for unknown addresses too, so the answer takes about as long


async def _write_link(person: AccessPerson, address: str, now: datetime) -> None:
    """The link (its nonce and digest) and the message that carries it, in the caller's transaction."""
    nonce = new_nonce()
    link_id = await Q.insert_access_link(
        person_id=person.id,
        token_nonce=nonce,
        token_hash=digest(access_link_token(get_settings().secret_key, nonce)),
        expires_at=now + timedelta(minutes=ACCESS_LINK_MINUTES),
        created_at=now,
    )
    await outbox.enqueue(MAIL_KIND, address, language=person.language or "en", payload={"link_id": link_id})


async def link_state(token: str, now: datetime | None = None) -> str:
    """What the link can still do ('valid', 'used', 'expired', 'unknown'), without using it."""
    now = now or datetime.now(timezone.utc)
    row = await Q.access_link_by_token(token_hash=digest(token))
    return access_link_state(row is not None, row and row["expires_at"], row and row["used_at"], now)


async def exchange(token: str, now: datetime | None = None) -> dict:
    """Use the link (once): returns {"session": token, "expires_at": ...}. A used, expired or unknown link is 410
    with a message saying how to get a new one."""
    now = now or datetime.now(timezone.utc)
    async with DB.transaction():
        person_id = await Q.use_access_link(token_hash=digest(token), now=now)
        if person_id is None:
            raise LinkGone(await link_state(token, now))
        session = new_bearer_token()
        expires = now + timedelta(minutes=PERSON_SESSION_MINUTES)
        await Q.delete_expired_person_sessions(now=now)
        await Q.start_person_session(
            person_id=person_id, token_hash=digest(session), created_at=now, expires_at=expires
        )
    return {"session": session, "expires_at": expires}


async def authenticate(session: str | None, now: datetime | None = None) -> int:
    """The person id of a live session; 401 otherwise."""
    if not session:
        raise Unauthorized(SESSION_REQUIRED)
    person_id = await Q.person_for_session(token_hash=digest(session), now=now or datetime.now(timezone.utc))
    if person_id is None:
        raise Unauthorized("this session has ended or is not valid: ask for a new link (POST /api/people/access-link)")
    return person_id


async def end_session(session: str) -> None:
    await Q.end_person_session(token_hash=digest(session))


async def profile(person_id: int) -> dict:
    """The person's profile and a summary of their registrations (what they can see with their session)."""
    row = await Q.person_profile(person_id=person_id)
    if row is None:
        raise NotFound("person")
    registrations = await Q.person_registration_summary(person_id=person_id)
    return dict(row) | {"registrations": [dict(r) for r in registrations]}


async def update_profile(person_id: int, data: dict[str, Any]) -> dict:
    """Change name, organization, language or time zone (the fields given); every problem reported at once. The
    details kept on existing registrations stay as they were registered. Called through
    services.agenda.speakers.change_profile, which carries a new name or organization to the session invites
    showing it."""
    changes, errors = person_field_errors(data, [f for f in PERSON_FIELDS if f in data])
    if "organization_id" in data:
        org = data["organization_id"]
        if org is not None and not await Q.organization_exists(organization_id=org):
            errors.append(FieldError("organization_id", "no organization has this id: see GET /api/organizations"))
        changes["organization"] = org
    require(errors)
    if changes:
        await Q.update_person_profile(
            person_id=person_id,
            set_name="name" in changes,
            name=changes.get("name"),
            set_language="language" in changes,
            language=changes.get("language"),
            set_timezone="timezone" in changes,
            timezone=changes.get("timezone"),
            set_organization="organization" in changes,
            organization_id=changes.get("organization"),
        )
    return await profile(person_id)


async def export(person_id: int) -> dict:
    return await privacy.export(person_id)


async def erase(person_id: int) -> dict:
    """Erase the person (services.privacy.privacy.erase); their sessions and links end with it."""
    result = await privacy.erase(person_id)
    await Q.delete_person_sessions(person_id=person_id)
    await Q.delete_person_access_links(person_id=person_id)
    return result


async def stop_announcements(person_id: int) -> dict:
    await Q.stop_person_announcements(person_id=person_id)
    return await profile(person_id)


async def link_for_mail(link_id: int) -> dict | None:
    """What the access-link email shows: the link, when it expires, the person's name. None once the link is gone
    (the person was erased) or already used."""
    row = await Q.access_link_for_mail(link_id=link_id)
    if row is None or row["used_at"] is not None:
        return None
    settings = get_settings()
    return {
        "access_url": f"{settings.public_url}/my-data/{access_link_token(settings.secret_key, row['token_nonce'])}",
        "expires_at": row["expires_at"],
        "name": row["name"],
        "minutes": ACCESS_LINK_MINUTES,
    }
