"""Announcements: an organizer writes to an audience, previews the rendered email, and sends.

Sending writes one outbox row per recipient in a single INSERT ... SELECT (5,000 recipients take a fraction of a
second), de-duplicated per announcement and person; workers deliver them like every other message. People who
unsubscribed from announcements are left out; every announcement carries List-Unsubscribe.
"""

from __future__ import annotations

import hmac
from typing import Any

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.content import TRANSLATABLE
from events_app.domain.errors import Conflict, FieldError, NotFound, require
from events_app.domain.security import UNSUBSCRIBE_PURPOSE, purpose_mac
from events_app.domain.text import clean_fields, text_errors
from events_app.domain.vocab import LANGUAGES
from events_app.jobs import kick_outbox
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.settings import get_settings

Q = queries.load(__file__)
AUDIENCES = ("confirmed", "category", "delegation", "waitlist", "session")


def _audience(audience: dict[str, Any]) -> dict[str, Any]:
    """The audience as the parameters of its predicate in queries.sql (audience_kind, audience_code: a category's
    code, audience_id: a delegation's or session's id); 422 naming the field when it is incomplete."""
    kind = audience.get("kind")
    if kind not in AUDIENCES:
        require([FieldError("audience.kind", f"must be one of {', '.join(AUDIENCES)}")])
    value = audience.get("value")
    if kind in ("category", "delegation", "session") and not value:
        require([FieldError("audience.value", f"name the {kind} (its code or id)")])
    if kind in ("delegation", "session") and not str(value).isdigit():
        require([FieldError("audience.value", f"give the {kind}'s numeric id")])
    return {
        "audience_kind": kind,
        "audience_code": str(value) if kind == "category" else None,
        "audience_id": int(str(value)) if kind in ("delegation", "session") else None,
    }


def unsubscribe_token(person_id: int) -> str:
    mac = purpose_mac(get_settings().secret_key, UNSUBSCRIBE_PURPOSE, str(person_id))
    return f"{person_id}.{mac.hex()[:32]}"


async def unsubscribe(token: str) -> None:
    person_id, _, _ = token.partition(".")
    if not person_id.isdigit() or not hmac.compare_digest(unsubscribe_token(int(person_id)), token):
        raise NotFound("subscription")
    await Q.opt_out_of_announcements(person_id=int(person_id))


async def _audience_of(event_id: int, audience: dict[str, Any]) -> dict[str, Any]:
    """The parameters naming the event's audience, checked (a session must be one of this event's)."""
    params = _audience(audience)
    if params["audience_kind"] == "session" and not await Q.session_in_event(
        session_id=params["audience_id"], event_id=event_id
    ):
        require([FieldError("audience.value", "no session with this id in this event")])
    return {"event_id": event_id, **params}


def _translations(given: dict[str, Any] | None) -> dict[str, dict[str, str]]:
    """The announcement's texts in other languages ({language: {"subject", "body"}}), cleaned; empty texts are
    left out (the reader gets the original). 422 naming `translations.<language>.<field>` when one is refused."""
    out: dict[str, dict[str, str]] = {}
    errors: list[FieldError] = []
    for language, texts in (given or {}).items():
        if language not in LANGUAGES[1:]:
            errors.append(FieldError(f"translations.{language}", f"choose one of {', '.join(LANGUAGES[1:])}"))
            continue
        present = {k: v for k, v in (texts or {}).items() if isinstance(v, str) and v.strip()}
        cleaned, problems = text_errors(present, ("subject",), ("body",), prefix=f"translations.{language}.")
        errors += problems
        if cleaned:
            out[language] = {k: v.strip() for k, v in cleaned.items() if k in TRANSLATABLE["announcement"]}
    require(errors)
    return out


async def create(account: CurrentAccount, event_id: int, data: dict[str, Any]) -> dict:
    """A draft announcement (sent only when the organizer confirms), optionally written in other languages too:
    each recipient gets their language, the original where none was given."""
    await require_organizer(account, event_id)
    translations = _translations(data.pop("translations", None))
    data = clean_fields(data, ("subject",), ("body",))
    count = await Q.audience_count(**await _audience_of(event_id, data["audience"]))
    async with DB.transaction():
        announcement_id = await Q.insert_announcement(
            event_id=event_id,
            subject=data["subject"].strip(),
            body=data["body"],
            audience=data["audience"],
            recipients=count,
            created_by=account.id,
        )
        for language, texts in translations.items():
            for field, text in texts.items():
                await Q.save_announcement_translation(
                    event_id=event_id, announcement_id=announcement_id, language=language, field=field, text=text
                )
        await audit.record(
            account,
            "announcement.create",
            "announcement",
            announcement_id,
            None,
            {"subject": data["subject"].strip(), "audience": data["audience"]},
            event_id=event_id,
        )
    return await get(account, event_id, announcement_id)


async def get(account: CurrentAccount, event_id: int, announcement_id: int) -> dict:
    await require_organizer(account, event_id)
    row = await Q.announcement_by_id(announcement_id=announcement_id, event_id=event_id)
    if row is None:
        raise NotFound("announcement")
    out = dict(row)
    out["audience"] = queries.json_value(out["audience"])
    out["translations"] = {}
    for r in await Q.announcement_translations(announcement_id=announcement_id):
        out["translations"].setdefault(r["language"], {})[r["field"]] = r["text"]
    return out


async def send(account: CurrentAccount, event_id: int, announcement_id: int) -> dict:
    """Queue one message per recipient; a second call sends nothing more."""
    announcement = await get(account, event_id, announcement_id)
    if announcement["status"] == "sent":
        raise Conflict("this announcement has already been sent", "status")
    audience = await _audience_of(event_id, announcement["audience"])
    async with DB.transaction():
        # Sends at the same moment: the first queues the messages, the others find it sent once they hold the lock.
        if await Q.lock_announcement(announcement_id=announcement_id) == "sent":
            raise Conflict("this announcement has already been sent", "status")
        status = await Q.queue_announcement(**audience, announcement_id=announcement_id)
        count = int(status.split()[-1])
        await Q.mark_announcement_sent(announcement_id=announcement_id, recipients=count)
        await audit.record(
            account,
            "announcement.send",
            "announcement",
            announcement_id,
            {"status": "draft"},
            {"status": "sent", "recipients": count},
            event_id=event_id,
        )
    await kick_outbox()
    return await get(account, event_id, announcement_id)


async def sample_recipient(event_id: int, audience: dict[str, Any]):
    return await Q.sample_audience_recipient(**await _audience_of(event_id, audience))
