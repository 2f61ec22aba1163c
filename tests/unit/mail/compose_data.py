"""Hand-made data for the pure composers of events_app.mail.compose: no database, no settings, no server."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timezone

import icalendar

from events_app.domain.ical import CalendarItem
from events_app.mail.compose import MailSettings, SessionMail

SETTINGS = MailSettings(
    public_url="https://events.example.org",
    mail_from="noreply@example.org",
    mail_from_name="Congress Office",
    password_reset_minutes=30,
)
NOW = datetime(2027, 5, 1, 8, 0, tzinfo=timezone.utc)
EVENT = {
    "id": 7,
    "title": "Congreso Mundial",
    "description": "Three days on water.",
    "starts_at": datetime(2027, 5, 18, 7, 0, tzinfo=timezone.utc),
    "ends_at": datetime(2027, 5, 20, 15, 30, tzinfo=timezone.utc),
    "timezone": "Europe/Madrid",
    "venue_name": "Palacio",
    "venue_address": "Calle 1",
    "city": "Madrid",
    "country": "ES",
    "online_url": "",
    "calendar_uid": "event-7@example.org",
    "organizer_email": "secretariat@example.org",
    "organizer_name": "Secretaría",
    "reply_to": "",
}
SESSION = SessionMail(
    title="Opening plenary",
    starts_at=datetime(2027, 5, 18, 8, 0, tzinfo=timezone.utc),
    ends_at=datetime(2027, 5, 18, 9, 30, tzinfo=timezone.utc),
    item=CalendarItem(
        uid="session-31@example.org",
        sequence=0,
        summary="Opening plenary",
        starts_at=datetime(2027, 5, 18, 8, 0, tzinfo=timezone.utc),
        ends_at=datetime(2027, 5, 18, 9, 30, tzinfo=timezone.utc),
        tzid="Europe/Madrid",
        organizer_email="secretariat@example.org",
        organizer_name="Secretaría",
        location="Room A",
    ),
)
REGISTRATION = {
    "id": 12,
    "status": "confirmed",
    "category_name": "Delegate",
    "category_eligibility": "anyone",
    "waitlist_position": None,
    "name": "Camila Rodríguez",
    "email": "camila@example.org",
}


def parse(data: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, email.message.EmailMessage)
    return message


def calendar_of(message: email.message.EmailMessage) -> icalendar.Calendar | None:
    """The inline text/calendar part, checked to equal the invite.ics attachment."""
    inline = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    attached = [p for p in message.walk() if p.get_content_type() == "application/ics"]
    if not inline:
        assert not attached
        return None
    assert inline[0].get_payload(decode=True) == attached[0].get_payload(decode=True)
    return icalendar.Calendar.from_ical(inline[0].get_payload(decode=True))


def event_of(calendar: icalendar.Calendar) -> icalendar.Event:
    (vevent,) = [c for c in calendar.walk() if c.name == "VEVENT"]
    return vevent
