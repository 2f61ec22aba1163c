"""Invitations (single-use, expiring links sent by email) and access codes (handed out, limited uses)."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain import security
from events_app.domain.errors import Conflict, FieldError, InvalidInput, NotFound, require
from events_app.domain.events import localize
from events_app.domain.security import digest, new_nonce
from events_app.domain.text import text_errors
from events_app.domain.vocab import LANGUAGES
from events_app.jobs import kick_outbox
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.platform import outbox
from events_app.services.registration.registrations import normalize_email
from events_app.services.registration.rows import ALL_ROWS
from events_app.settings import get_settings

Q = queries.load(__file__, rows=ALL_ROWS)

CODE_RE = re.compile(r"^[A-Za-z0-9-]{4,40}$")
MAX_USES = 1_000_000  # keeps values within the database's integer column


def invitation_token(nonce: str) -> str:
    return security.invitation_token(get_settings().secret_key, nonce)


async def _category_id(event_id: int, code: str, errors: list[FieldError]) -> int | None:
    """The category's id, or None with a problem added to `errors`."""
    category_id = await Q.category_id_by_code(event_id=event_id, code=code)
    if category_id is None:
        codes = [r["code"] for r in await Q.category_codes(event_id=event_id)]
        errors.append(
            FieldError("category", f"unknown category {code!r} in this event: choose one of {', '.join(codes)}")
        )
    return category_id


async def _event_zone(event_id: int) -> str:
    tzid = await Q.event_timezone(event_id=event_id)
    if tzid is None:
        raise NotFound("event")
    return tzid


async def invite(account: CurrentAccount, event_id: int, data: dict[str, Any], now: datetime | None = None) -> dict:
    """Email a personal invitation link; the link registers once, until it expires (in 14 days unless given;
    a time without offset is wall-clock time in the event's zone). Every problem is reported at once."""
    now = now or datetime.now(timezone.utc)
    await require_organizer(account, event_id)
    data, errors = text_errors(data, ("name",))
    email = ""
    try:
        email = normalize_email(data.get("email") or "")
    except InvalidInput as exc:
        errors.extend(exc.errors)
    language = data.get("language") or "en"
    if language not in LANGUAGES:
        errors.append(FieldError("language", f"must be one of {', '.join(LANGUAGES)}"))
    expires = localize(data.get("expires_at"), await _event_zone(event_id)) or now + timedelta(days=14)
    if expires <= now:
        errors.append(FieldError("expires_at", "must be in the future"))
    category_id = await _category_id(event_id, data.get("category") or "", errors)
    require(errors)
    async with DB.transaction():
        nonce = new_nonce()
        invitation_id = await Q.insert_invitation(
            event_id=event_id,
            category_id=category_id,
            email=email,
            name=(data.get("name") or "").strip(),
            token_nonce=nonce,
            token_hash=digest(invitation_token(nonce)),
            expires_at=expires,
        )
        await outbox.enqueue(
            "invitation",
            email,
            event_id=event_id,
            language=language,
            payload={"invitation_id": invitation_id, "name": (data.get("name") or "").strip()},
        )
        await audit.record(
            account,
            "invitation.create",
            "invitation",
            invitation_id,
            None,
            {"email": email, "category": data["category"], "expires_at": expires},
            event_id=event_id,
        )
    await kick_outbox()
    return {"id": invitation_id, "email": email, "category": data["category"], "expires_at": expires, "used_at": None}


async def list_invitations(account: CurrentAccount, event_id: int) -> list[dict]:
    await require_organizer(account, event_id)
    return [dict(r) for r in await Q.event_invitations(event_id=event_id)]


async def create_code(
    account: CurrentAccount, event_id: int, data: dict[str, Any], now: datetime | None = None
) -> dict:
    """A code that unlocks a category `max_uses` times, until it expires (if given; a time without offset is
    wall-clock time in the event's zone). Without a code, a random one is made."""
    now = now or datetime.now(timezone.utc)
    await require_organizer(account, event_id)
    errors: list[FieldError] = []
    code = data.get("code") or secrets.token_hex(4).upper()
    if not CODE_RE.match(code):
        errors.append(FieldError("code", "use 4-40 letters, digits or '-'"))
    max_uses = data.get("max_uses")
    if not isinstance(max_uses, int) or max_uses < 1:
        errors.append(FieldError("max_uses", "must be at least 1"))
    elif max_uses > MAX_USES:
        errors.append(FieldError("max_uses", f"must be at most {MAX_USES}"))
    expires = localize(data.get("expires_at"), await _event_zone(event_id))
    if expires is not None and expires <= now:
        errors.append(FieldError("expires_at", "must be in the future"))
    category_id = await _category_id(event_id, data.get("category") or "", errors)
    require(errors)
    async with DB.transaction():
        if await Q.access_code_taken(event_id=event_id, code=code):
            raise Conflict(f"code {code!r} already exists for this event", "code")
        code_id = await Q.insert_access_code(
            event_id=event_id, category_id=category_id, code=code, max_uses=max_uses, expires_at=expires
        )
        await audit.record(
            account,
            "access_code.create",
            "access_code",
            code_id,
            None,
            {"code": code, "category": data["category"], "max_uses": max_uses},
            event_id=event_id,
        )
    return {
        "id": code_id,
        "code": code,
        "category": data["category"],
        "max_uses": max_uses,
        "uses": 0,
        "expires_at": expires,
    }


async def list_codes(account: CurrentAccount, event_id: int) -> list[dict]:
    """The event's access codes with how often each was used."""
    await require_organizer(account, event_id)
    return [dict(r) for r in await Q.event_access_codes(event_id=event_id)]
