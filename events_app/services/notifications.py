"""Turning an outbox row into the email that goes out: load what it is about, render, attach the invite.

The worker calls compose(); rendering happens at send time so DTSTAMP is the moment the message is built, while
METHOD and SEQUENCE come from the row, fixed in the transaction that caused the message.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import Message
from zoneinfo import ZoneInfo

from events_app.db import sql
from events_app.domain.events import location_text
from events_app.domain.ical import Attendee, CalendarItem, itip_message
from events_app.domain.security import manage_token
from events_app.domain.vocab import country_name
from events_app.mail.message import build_message
from events_app.mail.render import render
from events_app.settings import Settings


@dataclass(frozen=True)
class Outgoing:
    message: Message
    sender: str
    recipient: str
    message_id: str


def when_text(starts: datetime, ends: datetime, tzid: str) -> str:
    zone = ZoneInfo(tzid)
    a, b = starts.astimezone(zone), ends.astimezone(zone)
    end = b.strftime("%H:%M") if a.date() == b.date() else b.strftime("%Y-%m-%d %H:%M")
    return f"{a.strftime('%Y-%m-%d %H:%M')} – {end} ({tzid}, UTC{a.strftime('%z')[:3]}:{a.strftime('%z')[3:]})"


def event_item(event: dict, settings: Settings, sequence: int, extra_description: str = "") -> CalendarItem:
    """The calendar object of an event, as every invite, update, cancellation and feed shows it."""
    where = location_text(event["venue_name"], event["venue_address"], event["city"],
                          country_name(event["country"]), event["online_url"])
    description = "\n\n".join(p for p in (event["description"], (
        f"Online: {event['online_url']}" if event["online_url"] and where != event["online_url"] else ""),
        extra_description) if p)
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


def _payload(row: dict) -> dict:
    value = row.get("payload") or {}
    return json.loads(value) if isinstance(value, str) else value


async def compose(row: dict, settings: Settings, now: datetime | None = None) -> Outgoing:
    if row["kind"].startswith("meeting_"):
        from events_app.services import meeting_mail  # imports this module: loaded on first use

        return await meeting_mail.compose(row, settings, now)
    now = now or datetime.now(timezone.utc)
    event = dict(await sql.fetchrow("SELECT * FROM event WHERE id = $1", row["event"]))
    registration = None
    person = {"name": "", "email": row["recipient"]}
    manage_url = ""
    if row["registration"] is not None:
        reg = await sql.fetchrow(
            """SELECT r.id, r.status, r.token_nonce, c.name AS category_name, p.name, p.email
               FROM registration r JOIN person p ON p.id = r.person
               JOIN registration_category c ON c.id = r.category WHERE r.id = $1""", row["registration"])
        registration = dict(reg)
        person = {"name": reg["name"], "email": reg["email"]}
        token = manage_token(settings.secret_key, reg["token_nonce"])
        manage_url = f"{settings.public_url}/manage/{token}"
    organizer_email = event["organizer_email"] or settings.mail_from
    organizer_name = event["organizer_name"] or settings.mail_from_name
    language = row["language"] or "en"
    event_view = {
        "title": event["title"],
        "when": when_text(event["starts_at"], event["ends_at"], event["timezone"]),
        "where": location_text(event["venue_name"], event["venue_address"], event["city"],
                               country_name(event["country"]), event["online_url"]),
        "online_url": event["online_url"],
    }
    context = {"person": person, "event": event_view, "registration": registration or {},
               "manage_url": manage_url, "organizer_name": organizer_name, "language": language,
               "has_calendar": row["calendar_method"] is not None, "subject": "", **_payload(row)}
    rendered = render(row["kind"], language, context)
    calendar = None
    if row["calendar_method"]:
        item = event_item(event, settings, row["calendar_sequence"],
                          f"Manage your registration: {manage_url}" if manage_url else "")
        calendar = itip_message(row["calendar_method"], item, Attendee(person["email"], person["name"]), now)
    domain = organizer_email.rsplit("@", 1)[-1]
    message_id = f"<outbox-{row['id']}@{domain}>"  # one per outbox row: a resend after a crash keeps it
    message = build_message(rendered=rendered, sender=Address(organizer_name, addr_spec=organizer_email),
                            recipient=row["recipient"], recipient_name=person["name"], calendar=calendar,
                            method=row["calendar_method"], message_id=message_id)
    return Outgoing(message, organizer_email, row["recipient"], message_id)
