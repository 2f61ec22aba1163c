"""Turning an outbox row into the email that goes out: load what it is about (here, from the database, into the
plain data of events_app.mail.compose), then compose it there (render, attach the invite: no database).

The worker calls compose(); rendering happens at send time so DTSTAMP is the moment the message is built, while
METHOD and SEQUENCE come from the row, fixed in the transaction that caused the message.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
from dataclasses import dataclass, field
from datetime import datetime, timezone

from events_app.db import queries
from events_app.domain.agenda import PersonInRole, session_calendar_item
from events_app.domain.ical import CalendarItem
from events_app.domain.security import invitation_token, manage_token
from events_app.mail import compose as mail_compose
from events_app.mail.compose import MailSettings
from events_app.mail.message import Outgoing
from events_app.mail.render import translator
from events_app.services.meetings import coordinator_notices, meeting_mail
from events_app.services.messaging import account_mail
from events_app.services.messaging.announcements import unsubscribe_token
from events_app.services.onsite import certificates, checkin_codes
from events_app.services.privacy import person_access
from events_app.services.registration import calendar_answers, registration_links
from events_app.settings import Settings, get_settings

Q = queries.load(__file__)
# The messages that tell a delegate they are in: they carry the check-in code (a QR code) and the ticket's link.
CHECKIN_KINDS = frozenset({"registration_confirmed", "registration_approved", "registration_promoted"})


def mail_settings(settings: Settings) -> MailSettings:
    """The configuration values the pure composers in mail.compose read."""
    return MailSettings(
        public_url=settings.public_url,
        mail_from=settings.mail_from,
        mail_from_name=settings.mail_from_name,
        password_reset_minutes=settings.password_reset_minutes,
    )


def event_item(event: dict, settings: Settings, sequence: int, extra_description: str = "") -> CalendarItem:
    """The calendar object of an event, as every invite, update, cancellation and feed shows it."""
    return mail_compose.event_item(event, mail_settings(settings), sequence, extra_description)


def _payload(row: dict) -> dict:
    return queries.json_value(row.get("payload")) or {}


async def _session(session_id: int, event: dict, language: str = "en") -> mail_compose.SessionMail:
    """A session's calendar object and what its emails show (title, time, room)."""
    row = dict(await Q.session_for_mail(session_id=session_id))
    people = [
        PersonInRole(r["name"], r["role"], r["organization"] or "")
        for r in await Q.session_people_for_mail(session_id=session_id)
    ]
    item = session_calendar_item(row, event, people, row["room_name"], row["track_name"], translator(language))
    return mail_compose.SessionMail(title=row["title"], starts_at=row["starts_at"], ends_at=row["ends_at"], item=item)


@dataclass
class Loaded:
    """What a batch of outbox rows is about, read a few statements per batch instead of a few per row: the events,
    the registrations, the check-in codes of the confirmations, and the reply addresses (ORGANIZER) of the
    invites' recipients."""

    events: dict[int, dict] = field(default_factory=dict)
    registrations: dict[int, dict] = field(default_factory=dict)
    checkin_codes: dict[int, str] = field(default_factory=dict)  # registration id -> code ("" when none)
    reply_addresses: dict[tuple[int, int], str] = field(default_factory=dict)  # (event id, person id) -> address


async def load(rows: list[dict]) -> Loaded:
    event_ids = sorted({r["event"] for r in rows if r["event"] is not None})
    registration_ids = sorted({r["registration"] for r in rows if r["registration"] is not None})
    loaded = Loaded()
    if event_ids:
        loaded.events = {e["id"]: dict(e) for e in await Q.events_for_mail(event_ids=event_ids)}
    if registration_ids:
        loaded.registrations = {
            r["id"]: dict(r) for r in await Q.registrations_for_mail(registration_ids=registration_ids)
        }
    coded = sorted({r["registration"] for r in rows if r["registration"] is not None and r["kind"] in CHECKIN_KINDS})
    if coded:
        loaded.checkin_codes = await checkin_codes.live_codes(coded)
    invited: dict[int, set[int]] = {}  # event -> people whose invite names their reply address
    for r in rows:
        if r["calendar_method"] and r["event"] in loaded.events and not r["kind"].startswith("meeting_"):
            person_id = _person_of(r, loaded)
            if person_id:
                invited.setdefault(r["event"], set()).add(person_id)
    settings = get_settings()
    for event_id, people in invited.items():
        found = await calendar_answers.reply_addresses_for(loaded.events[event_id], sorted(people), settings)
        loaded.reply_addresses.update({(event_id, person): address for person, address in found.items()})
    return loaded


def _person_of(row: dict, loaded: Loaded) -> int | None:
    """The person an event message is about (its registration's, else the payload's)."""
    registration = loaded.registrations.get(row["registration"]) if row["registration"] is not None else None
    return (registration or {}).get("person_id") or _payload(row).get("person_id")


async def compose(row: dict, settings: Settings, now: datetime | None = None, loaded: Loaded | None = None) -> Outgoing:
    """The email for one outbox row. `loaded` (from load() over the row's batch) spares the per-row queries."""
    if row["kind"].startswith("meeting_"):
        return await meeting_mail.compose(row, settings, now)
    if row["kind"] == person_access.MAIL_KIND:
        return mail_compose.compose_person_access_mail(await load_person_access_mail(row), mail_settings(settings))
    if row["kind"] in coordinator_notices.NOTICE_KINDS:
        return mail_compose.compose_coordinator_notice(
            await coordinator_notices.load(row, settings), mail_settings(settings)
        )
    if row["kind"] == certificates.MAIL_KIND:
        certificate = await certificates.load_mail(row, settings)
        return mail_compose.compose_certificate_mail(certificate, mail_settings(settings))
    if row["kind"] in account_mail.ACCOUNT_KINDS:
        return mail_compose.compose_password_reset_mail(await account_mail.load(row, settings), mail_settings(settings))
    mail = await load_event_mail(row, settings, loaded)
    steps = mail_compose.event_mail_steps(mail, mail_settings(settings), now or datetime.now(timezone.utc))
    while True:  # between its steps, the event loop runs what is ready (a worker's SMTP conversation goes on)
        try:
            next(steps)
        except StopIteration as done:
            return done.value
        await asyncio.sleep(0)


async def load_event_mail(row: dict, settings: Settings, loaded: Loaded | None = None) -> mail_compose.EventMail:
    """What the email of one event-related outbox row shows, read from the database (links made with the key)."""
    if (
        loaded is None
        or row["event"] not in loaded.events
        or (row["registration"] is not None and row["registration"] not in loaded.registrations)
    ):
        loaded = await load([row])
    event = loaded.events[row["event"]]
    payload = _payload(row)
    registration: dict = {}
    person_name, person_email = payload.get("name", ""), row["recipient"]
    manage_url = ""
    checkin_code = ticket_url = ""
    if row["registration"] is not None:
        reg = loaded.registrations[row["registration"]]
        registration = dict(reg)
        person_name, person_email = reg["name"], reg["email"]
        token = manage_token(settings.secret_key, reg["token_nonce"])
        manage_url = f"{settings.public_url}/manage/{token}"
        if row["kind"] in CHECKIN_KINDS:
            batched = loaded.checkin_codes.get(row["registration"])  # None: not in the batch's load
            checkin_code = batched if batched is not None else await checkin_codes.live_code(row["registration"]) or ""
            ticket_url = f"{settings.public_url}/api/registrations/{token}/ticket.pdf" if checkin_code else ""
    invitation = None
    if payload.get("invitation_id"):
        found = await Q.invitation_for_mail(invitation_id=payload["invitation_id"])
        token = invitation_token(settings.secret_key, found["token_nonce"])
        invitation = mail_compose.InvitationMail(
            url=f"{settings.public_url}/events/{event['id']}/register?invitation={token}",
            expires_at=found["expires_at"],
        )
    if payload.get("person_id") and row["registration"] is None:
        person_name = await Q.person_name(person_id=payload["person_id"]) or ""
    session = (
        await _session(payload["session_id"], event, row["language"] or "en") if payload.get("session_id") else None
    )
    announcement = None
    if row["kind"] == "announcement":
        found = await Q.announcement_for_mail(
            announcement_id=payload["announcement_id"], language=row["language"] or "en"
        )
        person_id = await Q.registration_person(registration_id=row["registration"])
        announcement = mail_compose.AnnouncementMail(
            subject=found["subject"],
            body=found["body"],
            unsubscribe_url=f"{settings.public_url}/api/unsubscribe/{unsubscribe_token(person_id)}",
        )
    if row["kind"] == calendar_answers.RELEASE_MAIL_KIND:
        payload.update(await calendar_answers.release_mail_data(payload["answer_id"], settings))
        person_name = payload["name"]
    reply_address = ""
    person_id = registration.get("person_id") or payload.get("person_id")
    if row["calendar_method"] and person_id:
        reply_address = loaded.reply_addresses.get(
            (event["id"], person_id)
        ) or await calendar_answers.reply_address_for(event, person_id, settings)
    view_url = ""
    if row["calendar_method"] and session is None and registration:
        view_url = (await registration_links.ensure(registration["id"], registration)).view_url
    return mail_compose.EventMail(
        outbox_id=row["id"],
        kind=row["kind"],
        language=row["language"] or "en",
        recipient=row["recipient"],
        calendar_method=row["calendar_method"],
        calendar_sequence=row["calendar_sequence"],
        event=event,
        person_name=person_name,
        person_email=person_email,
        payload=payload,
        registration=registration,
        manage_url=manage_url,
        view_url=view_url,
        invitation=invitation,
        session=session,
        announcement=announcement,
        reply_address=reply_address,
        checkin_code=checkin_code,
        ticket_url=ticket_url,
    )


async def load_person_access_mail(row: dict) -> mail_compose.PersonAccessMail:
    """The single-use link to act on one's whole person (export, erase, profile): about no event."""
    link = await person_access.link_for_mail(_payload(row)["link_id"])
    if link is None:
        raise LookupError("the access link was used or its person erased before it was sent")
    return mail_compose.PersonAccessMail(
        outbox_id=row["id"],
        kind=row["kind"],
        language=row["language"] or "en",
        recipient=row["recipient"],
        name=link["name"],
        access_url=link["access_url"],
        minutes=link["minutes"],
        expires_at=link["expires_at"],
    )


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
