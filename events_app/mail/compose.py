"""Composing emails as a pure step: plain data in, message bytes out.

services/ load what a message is about (outbox row, event, registration, links computed with the secret key) into
the dataclasses below; the functions here render the templates, build the iTIP calendar and write the message. They
read no database and no settings: what they need from the configuration comes in a MailSettings. So every kind of
email is built in tests/unit/mail from hand-made data.
"""

from __future__ import annotations

import functools
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.headerregistry import Address
from typing import Any
from urllib.parse import urlencode

from events_app import i18n
from events_app.documents import pdf, qr
from events_app.domain.events import location_text
from events_app.domain.ical import (
    METHOD_CANCEL,
    METHOD_DECLINECOUNTER,
    METHOD_REQUEST,
    Attendee,
    CalendarItem,
    itip_declinecounter,
    itip_message,
    itip_series_message,
)
from events_app.domain.invite_shows import shown, was_and_now
from events_app.domain.meetings import Occurrence
from events_app.domain.meetings import location_text as meeting_location_text
from events_app.domain.vocab import country_name, is_time_zone
from events_app.mail.message import Attachment, InlineImage, Outgoing, build_message, sender_address
from events_app.mail.render import render, translate


@dataclass(frozen=True)
class MailSettings:
    """The configuration values composition reads: the public address of the site and the default sender."""

    public_url: str
    mail_from: str
    mail_from_name: str
    password_reset_minutes: int = 0


def when_text(starts: datetime, ends: datetime, tzid: str, language: str = i18n.DEFAULT_LANGUAGE) -> str:
    """'Monday, 10 May 2027, 16:00–17:00 (Europe/Madrid)', written by Babel in the reader's language."""
    return i18n.format_span(language, starts, ends, tzid)


def local_text(value: datetime | str | None, tzid: str, language: str = i18n.DEFAULT_LANGUAGE) -> str:
    """'Monday, 10 May 2027, 16:00 (Europe/Madrid)', written by Babel in the reader's language."""
    return i18n.format_moment(language, value, tzid)


def event_item(
    event: Mapping[str, Any],
    settings: MailSettings,
    sequence: int,
    extra_description: str = "",
    language: str = i18n.DEFAULT_LANGUAGE,
) -> CalendarItem:
    """The calendar object of an event, as every invite, update, cancellation and feed shows it (the labels of its
    description in `language`: an invite's recipient's, English in feeds)."""
    where = location_text(
        event["venue_name"], event["venue_address"], event["city"], country_name(event["country"]), event["online_url"]
    )
    description = "\n\n".join(
        p
        for p in (
            event["description"],
            (
                translate(language, "Online: {url}", url=event["online_url"])
                if event["online_url"] and where != event["online_url"]
                else ""
            ),
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


def change_view(
    was: Mapping[str, Any] | None, item: CalendarItem, person_tz: str | None, language: str
) -> dict[str, Any] | None:
    """What an update email says changed for its reader: the time and place their copy showed (`was`, the shown
    fields of domain.invite_shows remembered for them) and those the object shows now, the times in the object's
    zone and, when the reader's own zone differs, in theirs too. None when nothing about their copy is known."""
    if not was or not was.get("starts_at"):
        return None
    now = shown(item)
    parts = was_and_now(was, now)
    was_start, was_end = datetime.fromisoformat(was["starts_at"]), datetime.fromisoformat(was["ends_at"])
    was_tz = was.get("tzid") or item.tzid
    own_tz = person_tz if person_tz and person_tz != item.tzid and is_time_zone(person_tz) else ""
    return {
        "time": parts["time"],
        "place": parts["place"],
        "title": was.get("summary") != now["summary"],
        "was_title": was.get("summary") or "",
        "now_title": item.summary,
        "was_when": when_text(was_start, was_end, was_tz, language),
        "now_when": when_text(item.starts_at, item.ends_at, item.tzid, language),
        "was_when_own": when_text(was_start, was_end, own_tz, language) if own_tz else "",
        "now_when_own": when_text(item.starts_at, item.ends_at, own_tz, language) if own_tz else "",
        "was_where": was.get("location") or "",
        "now_where": item.location,
    }


@functools.lru_cache(maxsize=64)
def _address(name: str, email: str) -> Address:
    return sender_address(name, email)  # parsed once: the messages of a batch mostly share their sender


def _message_id(outbox_id: int, sender_email: str) -> str:
    domain = sender_email.rsplit("@", 1)[-1]
    return f"<outbox-{outbox_id}@{domain}>"  # one per outbox row: a resend after a crash keeps it


# ----------------------------------------------------------------------------- event, registration and session mail


@dataclass(frozen=True)
class SessionMail:
    """A session an email is about: what the body shows and its calendar object (SEQUENCE set from the row)."""

    title: str
    starts_at: datetime
    ends_at: datetime
    item: CalendarItem


@dataclass(frozen=True)
class InvitationMail:
    url: str
    expires_at: datetime | None


@dataclass(frozen=True)
class AnnouncementMail:
    subject: str
    body: str
    unsubscribe_url: str


@dataclass(frozen=True)
class EventMail:
    """Everything one event-related outbox row's email shows (registration, invitation, session, announcement)."""

    outbox_id: int
    kind: str
    language: str
    recipient: str
    calendar_method: str | None
    calendar_sequence: int | None
    event: Mapping[str, Any]  # the event row
    person_name: str
    person_email: str
    payload: Mapping[str, Any] = field(default_factory=dict)  # the outbox row's payload, as enqueued
    registration: Mapping[str, Any] = field(default_factory=dict)  # empty when about no registration
    manage_url: str = ""
    view_url: str = ""  # the read-only registration link an event invite carries
    invitation: InvitationMail | None = None
    session: SessionMail | None = None
    announcement: AnnouncementMail | None = None
    # The recipient's own reply address (ORGANIZER and From of invites, updates and cancellations): a REPLY sent to
    # it proves it came from this recipient's invite. Empty: the event's organizer address.
    reply_address: str = ""
    checkin_code: str = ""  # a confirmed registration's check-in code: shown as a QR code (an inline image)
    ticket_url: str = ""  # its printable ticket (PDF)


def compose_event_mail(mail: EventMail, settings: MailSettings, now: datetime) -> Outgoing:
    """The email of one event-related outbox row; `now` is the calendar's DTSTAMP."""
    return finish(event_mail_steps(mail, settings, now))


Steps = Generator[None, None, Outgoing]


def finish(steps: Steps) -> Outgoing:
    """Run a composition's steps to the end (see event_mail_steps)."""
    while True:
        try:
            next(steps)
        except StopIteration as done:
            return done.value


def event_mail_steps(mail: EventMail, settings: MailSettings, now: datetime) -> Steps:
    """compose_event_mail in steps: it pauses (yields) between its larger pieces of work (the QR image, the
    templates, the invite, the MIME message), so that a caller on an event loop can let other work through, such
    as the SMTP answers of the message before it; its return value is the message."""
    event = mail.event
    payload: dict[str, Any] = dict(mail.payload)
    person = {"name": mail.person_name, "email": mail.person_email}
    headers: dict[str, str] = {}
    if mail.invitation is not None:
        payload["invitation_expires_text"] = local_text(mail.invitation.expires_at, event["timezone"], mail.language)
        payload["invitee_name"] = payload.get("name", "")
    if mail.announcement is not None:
        announcement = mail.announcement
        payload["announcement"] = {
            "subject": announcement.subject,
            "body": announcement.body,
            "paragraphs": [p.strip() for p in announcement.body.split("\n\n") if p.strip()],
        }
        payload["unsubscribe_url"] = announcement.unsubscribe_url
        headers["List-Unsubscribe"] = f"<{announcement.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    organizer_email = event["organizer_email"] or settings.mail_from
    organizer_name = event["organizer_name"] or settings.mail_from_name
    # Messages with a calendar part come From their ORGANIZER: the recipient's reply address when there is one.
    calendar_organizer = (mail.reply_address if mail.calendar_method else "") or organizer_email
    event_view = {
        "title": event["title"],
        "when": when_text(event["starts_at"], event["ends_at"], event["timezone"], mail.language),
        "where": location_text(
            event["venue_name"],
            event["venue_address"],
            event["city"],
            country_name(event["country"]),
            event["online_url"],
        ),
        "online_url": event["online_url"],
    }
    session = mail.session
    if session is not None:
        payload["session"] = {
            "title": session.title,
            "where": session.item.location,
            "when": when_text(session.starts_at, session.ends_at, event["timezone"], mail.language),
        }
    if "was" in payload:  # an update: what changed for this reader
        shown_item = session.item if session is not None else event_item(event, settings, 0)
        payload["change"] = change_view(payload["was"], shown_item, payload.get("timezone"), mail.language)
    context = {
        "approved": False,
        "reason": "",
        "change": None,
        **payload,
        "person": person,
        "event": event_view,
        "registration": dict(mail.registration),
        "manage_url": mail.manage_url,
        "invitation_url": mail.invitation.url if mail.invitation is not None else "",
        "organizer_name": organizer_name,
        "language": mail.language,
        "has_calendar": mail.calendar_method is not None,
        "subject": "",
        "offer_expires_text": local_text(payload.get("offer_expires_at"), event["timezone"], mail.language),
    }
    inline_images = []
    context["checkin_cid"] = ""
    context["ticket_url"] = mail.ticket_url
    if mail.checkin_code:
        cid = f"checkin-{mail.outbox_id}@{organizer_email.rsplit('@', 1)[-1]}"
        inline_images.append(InlineImage(cid, "checkin.png", "image/png", qr.png(mail.checkin_code, scale=6)))
        context["checkin_cid"] = cid
        yield
    rendered = render(mail.kind, mail.language, context)
    yield
    calendar = None
    if mail.calendar_method and session is not None:
        item = replace(
            session.item,
            sequence=mail.calendar_sequence,  # type: ignore[arg-type]  # set on every row with a calendar_method
            organizer_email=calendar_organizer,
            organizer_name=organizer_name,
            # a REQUEST composed after its session or event was cancelled (the CANCEL outranks it) stays a valid one
            status="CONFIRMED" if mail.calendar_method == METHOD_REQUEST else session.item.status,
        )
        calendar = itip_message(
            mail.calendar_method,
            item,
            Attendee(person["email"], person["name"], rsvp=mail.calendar_method == METHOD_REQUEST),
            now,
        )
    elif mail.calendar_method:
        # The invite is forwarded, synced and shared with the calendar: it carries the read-only link only. The
        # manage link (cancel, answers, personal data) stays in the email body.
        item = event_item(
            event,
            settings,
            mail.calendar_sequence,  # type: ignore[arg-type]  # set on every row with a calendar_method
            translate(mail.language, "Your registration: {url}", url=mail.view_url) if mail.view_url else "",
            mail.language,
        )
        item = replace(item, organizer_email=calendar_organizer)
        calendar = itip_message(
            mail.calendar_method,
            item,
            Attendee(person["email"], person["name"], rsvp=mail.calendar_method == METHOD_REQUEST),
            now,
        )
    if calendar is not None:
        yield
    message_id = _message_id(mail.outbox_id, organizer_email)
    data = build_message(
        rendered=rendered,
        sender=_address(organizer_name, calendar_organizer),
        recipient=mail.recipient,
        recipient_name=person["name"],
        calendar=calendar,
        method=mail.calendar_method,
        message_id=message_id,
        reply_to=event["reply_to"] or None,
        headers=headers,
        inline_images=inline_images,
    )
    return Outgoing(data, organizer_email, mail.recipient, message_id)


# ----------------------------------------------------------------------------- mail about a person, not an event


@dataclass(frozen=True)
class PersonAccessMail:
    """The single-use link to act on one's whole person (export, erase, profile)."""

    outbox_id: int
    kind: str
    language: str
    recipient: str
    name: str
    access_url: str
    minutes: int
    expires_at: datetime | str | None


def _plain_mail(
    kind: str, language: str, context: dict[str, Any], outbox_id: int, recipient: str, name: str, settings: MailSettings
) -> Outgoing:
    """A message without a calendar part, from the system's own address: access links, password resets, notices."""
    message_id = _message_id(outbox_id, settings.mail_from)
    data = build_message(
        rendered=render(kind, language, {**context, "language": language}),
        sender=_address(settings.mail_from_name, settings.mail_from),
        recipient=recipient,
        recipient_name=name,
        message_id=message_id,
    )
    return Outgoing(data, settings.mail_from, recipient, message_id)


def compose_person_access_mail(mail: PersonAccessMail, settings: MailSettings) -> Outgoing:
    context = {
        "person": {"name": mail.name, "email": mail.recipient},
        "access_url": mail.access_url,
        "minutes": mail.minutes,
        "expires_text": local_text(mail.expires_at, "UTC", mail.language),
        "organizer_name": settings.mail_from_name,
        "subject": "",
    }
    return _plain_mail(mail.kind, mail.language, context, mail.outbox_id, mail.recipient, mail.name, settings)


@dataclass(frozen=True)
class PasswordResetMail:
    """A password reset: `reset_url` holds the token when the request is still the live one (`live`)."""

    outbox_id: int
    kind: str
    language: str
    recipient: str
    name: str
    reset_url: str
    live: bool


def compose_password_reset_mail(mail: PasswordResetMail, settings: MailSettings) -> Outgoing:
    context = {
        "name": mail.name,
        "reset_url": mail.reset_url,
        "live": mail.live,
        "minutes": settings.password_reset_minutes,
        "sender_name": settings.mail_from_name,
        "subject": "",
    }
    return _plain_mail(mail.kind, mail.language, context, mail.outbox_id, mail.recipient, mail.name, settings)


@dataclass(frozen=True)
class CoordinatorNotice:
    """A notice to one coordinator account about a calendar reply that changed nothing (see
    services.meetings.coordinator_notices)."""

    outbox_id: int
    kind: str
    language: str
    recipient: str
    name: str
    series_title: str
    person_name: str
    person_email: str
    replies_url: str


def compose_coordinator_notice(mail: CoordinatorNotice, settings: MailSettings) -> Outgoing:
    context = {
        "name": mail.name,
        "series_title": mail.series_title,
        "person_name": mail.person_name,
        "person_email": mail.person_email,
        "replies_url": mail.replies_url,
        "sender_name": settings.mail_from_name,
    }
    return _plain_mail(mail.kind, mail.language, context, mail.outbox_id, mail.recipient, mail.name, settings)


@dataclass(frozen=True)
class CertificateMail:
    """A delegate's certificate of attendance, sent with its PDF (see services.onsite.certificates)."""

    outbox_id: int
    kind: str
    language: str
    recipient: str
    document: pdf.Certificate
    filename: str


def compose_certificate_mail(mail: CertificateMail, settings: MailSettings) -> Outgoing:
    """The certificate mail: a short text and the PDF (rendered here, at send time) attached."""
    doc = mail.document
    rendered = render(
        mail.kind,
        mail.language,
        {
            "name": doc.name,
            "event_title": doc.event_title,
            "dates": doc.dates,
            "hours": doc.hours,
            "verification_url": doc.url,
            "sender_name": settings.mail_from_name,
            "language": mail.language,
        },
    )
    message_id = _message_id(mail.outbox_id, settings.mail_from)
    data = build_message(
        rendered=rendered,
        sender=_address(settings.mail_from_name, settings.mail_from),
        recipient=mail.recipient,
        recipient_name=doc.name,
        message_id=message_id,
        attachments=[Attachment(mail.filename, "application/pdf", pdf.certificate(doc))],
    )
    return Outgoing(data, settings.mail_from, mail.recipient, message_id)


# ----------------------------------------------------------------------------- meeting series


UPCOMING_SHOWN = 12  # occurrences a meeting email lists


def meeting_when(start: datetime, end: datetime, tzid: str, language: str = i18n.DEFAULT_LANGUAGE) -> str:
    return i18n.format_span(language, start, end, tzid)


def _occurrence_view(
    occ: Occurrence, tzid: str, person_tz: str | None, rsvp_base: str, language: str
) -> dict[str, Any]:
    view = {
        "id": occ.key,
        "when": meeting_when(occ.starts_at, occ.ends_at, tzid, language),
        "when_local": "",
        "cancelled": occ.cancelled,
        "moved": occ.moved,
        "accept_url": f"{rsvp_base}?{urlencode({'answer': 'accepted', 'occurrence': occ.key})}",
        "decline_url": f"{rsvp_base}?{urlencode({'answer': 'declined', 'occurrence': occ.key})}",
        "tentative_url": f"{rsvp_base}?{urlencode({'answer': 'tentative', 'occurrence': occ.key})}",
    }
    if person_tz and person_tz != tzid:
        view["when_local"] = meeting_when(occ.starts_at, occ.ends_at, person_tz, language)
    return view


def _was_view(was: Mapping[str, Any] | None, tzid: str, person_tz: str | None, language: str) -> dict | None:
    """A moved occurrence's earlier time, in the series' zone and, when different, the reader's."""
    if not was:
        return None
    starts, ends = datetime.fromisoformat(was["starts_at"]), datetime.fromisoformat(was["ends_at"])
    own = person_tz if person_tz and person_tz != tzid and is_time_zone(person_tz) else ""
    return {
        "when": meeting_when(starts, ends, tzid, language),
        "when_local": meeting_when(starts, ends, own, language) if own else "",
    }


@dataclass(frozen=True)
class MeetingMail:
    """One meeting outbox row's email: the series as it is now, the calendar objects to send (their ORGANIZER is
    the recipient's own reply address, `reply_to`), and the recipient's links."""

    outbox_id: int
    kind: str  # as it is sent (an occurrence change whose occurrence is gone goes out as the whole invitation)
    language: str
    recipient: str
    calendar_method: str | None
    person_name: str
    person_email: str
    person_timezone: str | None
    project_title: str
    series: Mapping[str, Any]  # the series row: title, mode, timezone, location, online_url, description, rrule
    agenda: Any  # the series' agenda as the templates list it
    occurrences: tuple[Occurrence, ...]
    occurrence: Occurrence | None  # the one occurrence the message is about, if any
    items: tuple[CalendarItem, ...]  # the calendar objects of the iMIP part
    reason: str
    rsvp_base: str
    feed_url: str
    reply_to: str  # From and ORGANIZER
    organizer_email: str  # the envelope sender
    organizer_name: str
    was: Mapping[str, Any] | None = None  # a moved occurrence's earlier times ({"starts_at", "ends_at"}, ISO 8601)


def compose_meeting_mail(mail: MeetingMail, now: datetime) -> Outgoing:
    """The email of one meeting outbox row, with its REQUEST or CANCEL for the series or one occurrence."""
    method = mail.calendar_method
    attendee = Attendee(mail.person_email, mail.person_name, rsvp=method == METHOD_REQUEST)
    calendar = (
        itip_series_message(method, list(mail.items), attendee, now)
        if method in (METHOD_REQUEST, METHOD_CANCEL)
        else itip_declinecounter(mail.items[0], attendee, now, mail.reason)
        if method == METHOD_DECLINECOUNTER
        else None
    )
    series, tzid, rsvp_base = mail.series, mail.series["timezone"], mail.rsvp_base
    upcoming = [
        _occurrence_view(o, tzid, mail.person_timezone, rsvp_base, mail.language)
        for o in mail.occurrences
        if o.ends_at > now and not o.cancelled
    ][:UPCOMING_SHOWN]
    context = {
        "language": mail.language,
        "subject": "",
        "organizer_name": mail.organizer_name,
        "has_calendar": calendar is not None,
        "person": {"name": mail.person_name, "email": mail.person_email},
        "project": {"title": mail.project_title},
        "series": {
            "title": series["title"],
            "mode": series["mode"],
            "timezone": tzid,
            "where": meeting_location_text(series["mode"], series["location"], series["online_url"]),
            "online_url": series["online_url"] if series["mode"] != "in_person" else "",
            "description": series["description"],
            "agenda": mail.agenda,
            "recurring": bool(series["rrule"]),
        },
        "reason": mail.reason,
        "was": _was_view(mail.was, tzid, mail.person_timezone, mail.language),
        "occurrences": upcoming,
        "occurrence": (
            _occurrence_view(mail.occurrence, tzid, mail.person_timezone, rsvp_base, mail.language)
            if mail.occurrence
            else None
        ),
        "rsvp": {
            "accept_url": f"{rsvp_base}?answer=accepted",
            "decline_url": f"{rsvp_base}?answer=declined",
            "tentative_url": f"{rsvp_base}?answer=tentative",
            "page_url": rsvp_base,
        },
        "feed_url": mail.feed_url,
    }
    rendered = render(mail.kind, mail.language, context)
    message_id = _message_id(mail.outbox_id, mail.organizer_email)
    # From equals ORGANIZER (clients ignore updates from anyone else); the envelope sender stays the plain mailbox.
    data = build_message(
        rendered=rendered,
        sender=sender_address(mail.organizer_name, mail.reply_to),
        recipient=mail.recipient,
        recipient_name=mail.person_name,
        calendar=calendar,
        method=method,
        message_id=message_id,
    )
    return Outgoing(data, mail.organizer_email, mail.recipient, message_id)
