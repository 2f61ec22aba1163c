"""Turning an outbox row into the email that goes out: load what it is about, render, attach the invite.

The worker calls compose(); rendering happens at send time so DTSTAMP is the moment the message is built, while
METHOD and SEQUENCE come from the row, fixed in the transaction that caused the message.
"""

from __future__ import annotations

import email
import email.policy
import functools
import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email.headerregistry import Address
from zoneinfo import ZoneInfo

from events_app.db import sql
from events_app.domain.agenda import PersonInRole, session_calendar_item
from events_app.domain.events import location_text
from events_app.domain.ical import Attendee, CalendarItem, itip_message
from events_app.domain.security import invitation_token, manage_token
from events_app.domain.vocab import country_name
from events_app.mail.message import Outgoing, build_message, sender_address
from events_app.mail.render import render
from events_app.services.meetings import meeting_mail
from events_app.services.messaging import account_mail
from events_app.services.messaging.announcements import unsubscribe_token
from events_app.services.privacy import person_access
from events_app.services.registration import registration_links, waitlist
from events_app.settings import Settings, get_settings


@functools.lru_cache(maxsize=256)  # the same few events and sessions over and over in a batch
def when_text(starts: datetime, ends: datetime, tzid: str) -> str:
    zone = ZoneInfo(tzid)
    a, b = starts.astimezone(zone), ends.astimezone(zone)
    end = b.strftime("%H:%M") if a.date() == b.date() else b.strftime("%Y-%m-%d %H:%M")
    return f"{a.strftime('%Y-%m-%d %H:%M')} – {end} ({tzid}, UTC{a.strftime('%z')[:3]}:{a.strftime('%z')[3:]})"


def event_item(event: dict, settings: Settings, sequence: int, extra_description: str = "") -> CalendarItem:
    """The calendar object of an event, as every invite, update, cancellation and feed shows it."""
    where = location_text(
        event["venue_name"], event["venue_address"], event["city"], country_name(event["country"]), event["online_url"]
    )
    description = "\n\n".join(
        p
        for p in (
            event["description"],
            (f"Online: {event['online_url']}" if event["online_url"] and where != event["online_url"] else ""),
            extra_description,
        )
        if p
    )
    return CalendarItem(
        uid=f"{event['calendar_uid']}",
        sequence=sequence,
        summary=event["title"],
        starts_at=event["starts_at"],
        ends_at=event["ends_at"],
        tzid=event["timezone"],
        organizer_email=event["organizer_email"] or settings.mail_from,
        organizer_name=event["organizer_name"] or settings.mail_from_name,
        description=description,
        location=where,
        url=f"{settings.public_url}/events/{event['id']}",
    )


@functools.lru_cache(maxsize=64)
def _address(name: str, email: str) -> Address:
    return sender_address(name, email)  # parsed once: the messages of a batch mostly share their sender


def _payload(row: dict) -> dict:
    value = row.get("payload") or {}
    return json.loads(value) if isinstance(value, str) else value


def local_text(value: datetime | str | None, tzid: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    local = value.astimezone(ZoneInfo(tzid))
    return f"{local.strftime('%Y-%m-%d %H:%M')} ({tzid})"


async def _session(session_id: int, event: dict) -> dict:
    """A session's calendar object and what its emails show (title, time, room)."""
    row = dict(
        await sql.fetchrow(
            "SELECT s.*, coalesce(r.name, '') AS room_name, coalesce(t.name, '') AS track_name FROM agenda_session s"
            " LEFT JOIN agenda_room r ON r.id = s.room LEFT JOIN agenda_track t ON t.id = s.track WHERE s.id = $1",
            session_id,
        )
    )
    people = [
        PersonInRole(r["name"], r["role"], r["organization"] or "")
        for r in await sql.fetch(
            "SELECT coalesce(sp.display_name, p.name) AS name, sp.role, o.name AS organization"
            " FROM agenda_session_person sp JOIN person p"
            " ON p.id = sp.person LEFT JOIN organization o ON o.id = coalesce(sp.organization, p.organization)"
            " WHERE sp.session = $1"
            " ORDER BY sp.position",
            session_id,
        )
    ]
    item = session_calendar_item(row, event, people, row["room_name"], row["track_name"])
    return row | {"item": item, "where": item.location}


REGISTRATIONS = f"""
    SELECT r.id, r.status, r.token_nonce, r.view_nonce, r.view_hash, r.feed_nonce, r.feed_hash, c.name AS category_name,
           r.registered_name AS name, p.email,
           {waitlist.REGISTRATION_POSITION} AS waitlist_position,
           c.eligibility AS category_eligibility
    FROM registration r JOIN person p ON p.id = r.person
    JOIN registration_category c ON c.id = r.category WHERE r.id = ANY($1::int[])"""


@dataclass
class Loaded:
    """The events and registrations a batch of outbox rows is about, read in two queries instead of two per row."""

    events: dict[int, dict] = field(default_factory=dict)
    registrations: dict[int, dict] = field(default_factory=dict)


async def load(rows: list[dict]) -> Loaded:
    event_ids = sorted({r["event"] for r in rows if r["event"] is not None})
    registration_ids = sorted({r["registration"] for r in rows if r["registration"] is not None})
    loaded = Loaded()
    if event_ids:
        loaded.events = {
            e["id"]: dict(e) for e in await sql.fetch("SELECT * FROM event WHERE id = ANY($1::int[])", event_ids)
        }
    if registration_ids:
        loaded.registrations = {r["id"]: dict(r) for r in await sql.fetch(REGISTRATIONS, registration_ids)}
    return loaded


async def compose(row: dict, settings: Settings, now: datetime | None = None, loaded: Loaded | None = None) -> Outgoing:
    """The email for one outbox row. `loaded` (from load() over the row's batch) spares the per-row queries."""
    if row["kind"].startswith("meeting_"):
        return await meeting_mail.compose(row, settings, now)
    if row["kind"] == person_access.MAIL_KIND:
        return await _person_access_mail(row, settings)
    if row["kind"] in account_mail.ACCOUNT_KINDS:
        data, sender, message_id = await account_mail.compose(row, settings)
        return Outgoing(data, sender, row["recipient"], message_id)
    now = now or datetime.now(timezone.utc)
    if (
        loaded is None
        or row["event"] not in loaded.events
        or (row["registration"] is not None and row["registration"] not in loaded.registrations)
    ):
        loaded = await load([row])
    event = loaded.events[row["event"]]
    payload = _payload(row)
    registration: dict = {}
    person = {"name": payload.get("name", ""), "email": row["recipient"]}
    links: dict[str, str] = {"manage_url": "", "invitation_url": ""}
    if row["registration"] is not None:
        reg = loaded.registrations[row["registration"]]
        registration = dict(reg)
        person = {"name": reg["name"], "email": reg["email"]}
        links["manage_url"] = f"{settings.public_url}/manage/{manage_token(settings.secret_key, reg['token_nonce'])}"
    if payload.get("invitation_id"):
        invitation = await sql.fetchrow(
            "SELECT token_nonce, expires_at FROM invitation WHERE id = $1", payload["invitation_id"]
        )
        token = invitation_token(settings.secret_key, invitation["token_nonce"])
        links["invitation_url"] = f"{settings.public_url}/events/{event['id']}/register?invitation={token}"
        payload["invitation_expires_text"] = local_text(invitation["expires_at"], event["timezone"])
        payload["invitee_name"] = payload.get("name", "")
    if payload.get("person_id") and row["registration"] is None:
        person["name"] = await sql.fetchval("SELECT name FROM person WHERE id = $1", payload["person_id"]) or ""
    session = await _session(payload["session_id"], event) if payload.get("session_id") else None
    headers: dict[str, str] = {}
    if row["kind"] == "announcement":
        announcement = await sql.fetchrow(
            "SELECT subject, body FROM announcement WHERE id = $1", payload["announcement_id"]
        )
        payload["announcement"] = {
            "subject": announcement["subject"],
            "body": announcement["body"],
            "paragraphs": [p.strip() for p in announcement["body"].split("\n\n") if p.strip()],
        }
        person_id = await sql.fetchval("SELECT person FROM registration WHERE id = $1", row["registration"])
        unsubscribe = f"{settings.public_url}/api/unsubscribe/{unsubscribe_token(person_id)}"
        payload["unsubscribe_url"] = unsubscribe
        headers["List-Unsubscribe"] = f"<{unsubscribe}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    organizer_email = event["organizer_email"] or settings.mail_from
    organizer_name = event["organizer_name"] or settings.mail_from_name
    language = row["language"] or "en"
    event_view = {
        "title": event["title"],
        "when": when_text(event["starts_at"], event["ends_at"], event["timezone"]),
        "where": location_text(
            event["venue_name"],
            event["venue_address"],
            event["city"],
            country_name(event["country"]),
            event["online_url"],
        ),
        "online_url": event["online_url"],
    }
    if session is not None:
        payload["session"] = {
            "title": session["title"],
            "where": session["where"],
            "when": when_text(session["starts_at"], session["ends_at"], event["timezone"]),
        }
    context = {
        "approved": False,
        "reason": "",
        **payload,
        "person": person,
        "event": event_view,
        "registration": registration,
        **links,
        "organizer_name": organizer_name,
        "language": language,
        "has_calendar": row["calendar_method"] is not None,
        "subject": "",
        "offer_expires_text": local_text(payload.get("offer_expires_at"), event["timezone"]),
    }
    rendered = render(row["kind"], language, context)
    calendar = None
    if row["calendar_method"] and session is not None:
        item = replace(
            session["item"],
            sequence=row["calendar_sequence"],
            organizer_email=organizer_email,
            organizer_name=organizer_name,
        )
        calendar = itip_message(row["calendar_method"], item, Attendee(person["email"], person["name"]), now)
    elif row["calendar_method"]:
        # The invite is forwarded, synced and shared with the calendar: it carries the read-only link only. The
        # manage link (cancel, answers, personal data) stays in the email body.
        view_url = (await registration_links.ensure(registration["id"], registration)).view_url if registration else ""
        item = event_item(
            event, settings, row["calendar_sequence"], f"Your registration: {view_url}" if view_url else ""
        )
        calendar = itip_message(row["calendar_method"], item, Attendee(person["email"], person["name"]), now)
    domain = organizer_email.rsplit("@", 1)[-1]
    message_id = f"<outbox-{row['id']}@{domain}>"  # one per outbox row: a resend after a crash keeps it
    data = build_message(
        rendered=rendered,
        sender=_address(organizer_name, organizer_email),
        recipient=row["recipient"],
        recipient_name=person["name"],
        calendar=calendar,
        method=row["calendar_method"],
        message_id=message_id,
        reply_to=event["reply_to"] or None,
        headers=headers,
    )
    return Outgoing(data, organizer_email, row["recipient"], message_id)


async def _person_access_mail(row: dict, settings: Settings) -> Outgoing:
    """The single-use link to act on one's whole person (export, erase, profile): about no event."""
    link = await person_access.link_for_mail(_payload(row)["link_id"])
    if link is None:
        raise LookupError("the access link was used or its person erased before it was sent")
    language = row["language"] or "en"
    context = {
        "person": {"name": link["name"], "email": row["recipient"]},
        "access_url": link["access_url"],
        "minutes": link["minutes"],
        "expires_text": local_text(link["expires_at"], "UTC"),
        "organizer_name": settings.mail_from_name,
        "language": language,
        "subject": "",
    }
    domain = settings.mail_from.rsplit("@", 1)[-1]
    message_id = f"<outbox-{row['id']}@{domain}>"
    data = build_message(
        rendered=render(row["kind"], language, context),
        sender=_address(settings.mail_from_name, settings.mail_from),
        recipient=row["recipient"],
        recipient_name=link["name"],
        calendar=None,
        method=None,
        message_id=message_id,
        reply_to=None,
        headers={},
    )
    return Outgoing(data, settings.mail_from, row["recipient"], message_id)


async def preview(account, event_id: int, announcement_id: int) -> dict:
    """Render an announcement as its first recipient would get it, without writing or sending anything."""
    from events_app.services.messaging import announcements

    announcement = await announcements.get(account, event_id, announcement_id)
    sample = await announcements.sample_recipient(event_id, announcement["audience"])
    row = {
        "id": 0,
        "kind": "announcement",
        "event": event_id,
        "registration": sample["id"] if sample else None,
        "recipient": sample["email"] if sample else "preview@example.org",
        "language": sample["language"] if sample else "en",
        "payload": {"announcement_id": announcement_id},
        "calendar_method": None,
        "calendar_sequence": None,
    }
    if sample is None:
        return {"recipient": None, "subject": announcement["subject"], "text": announcement["body"], "html": ""}
    outgoing = await compose(row, get_settings())
    message = email.message_from_bytes(outgoing.data, policy=email.policy.default)
    return {
        "recipient": row["recipient"],
        "subject": str(message["Subject"]),
        "text": message.get_body(("plain",)).get_content(),
        "html": message.get_body(("html",)).get_content(),
    }
