"""Event and registration emails composed from hand-made data in English and Spanish (events_app.mail.compose)."""

import pytest

from events_app.mail.compose import AnnouncementMail, EventMail, InvitationMail, compose_event_mail
from tests.unit.mail.compose_data import EVENT, NOW, REGISTRATION, SETTINGS, calendar_of, event_of, parse

KINDS = [
    "event_cancelled",
    "event_reminder",
    "event_updated",
    "manage_link",
    "registration_approved",
    "registration_cancelled",
    "registration_confirmed",
    "registration_offer",
    "registration_offer_expired",
    "registration_promoted",
    "registration_received",
    "registration_rejected",
    "registration_substituted",
    "registration_waitlisted",
]


def _mail(kind="registration_confirmed", language="en", method="REQUEST", sequence=3, **changes) -> EventMail:
    fields = dict(
        outbox_id=41,
        kind=kind,
        language=language,
        recipient="camila@example.org",
        calendar_method=method,
        calendar_sequence=sequence if method else None,
        event=EVENT,
        person_name="Camila Rodríguez",
        person_email="camila@example.org",
        payload={"hours": 24, "offer_expires_at": "2027-05-10T10:00:00+00:00"},
        registration=REGISTRATION,
        manage_url="https://events.example.org/manage/tok",
        view_url="https://events.example.org/view/ro",
    )
    return EventMail(**(fields | changes))


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", KINDS)
def test_event_mail_every_kind_composes_in_both_languages(kind, language):
    outgoing = compose_event_mail(_mail(kind, language, method=None), SETTINGS, NOW)
    message = parse(outgoing.data)
    assert str(message["To"]) == "Camila Rodríguez <camila@example.org>"
    assert str(message["From"]) == "Secretaría <secretariat@example.org>"
    assert message["Message-ID"] == "<outbox-41@example.org>" == outgoing.message_id
    assert (outgoing.sender, outgoing.recipient) == ("secretariat@example.org", "camila@example.org")
    assert message.get_body(("plain",)).get_content().strip()
    assert calendar_of(message) is None


@pytest.mark.parametrize(
    "language, subject",
    [("en", "Registration confirmed: Congreso Mundial"), ("es", "Inscripción confirmada: Congreso Mundial")],
)
def test_event_mail_confirmation_carries_the_event_request(language, subject):
    message = parse(compose_event_mail(_mail(language=language), SETTINGS, NOW).data)
    assert message["Subject"] == subject
    calendar = calendar_of(message)
    vevent = event_of(calendar)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert (str(vevent["UID"]), int(vevent["SEQUENCE"])) == ("event-7@example.org", 3)
    label = {"en": "Your registration", "es": "Su inscripción"}[language]  # the invite speaks the reader's language
    assert f"{label}: https://events.example.org/view/ro" in str(vevent["DESCRIPTION"])
    assert "manage/tok" not in str(vevent["DESCRIPTION"])  # the manage link stays in the body
    assert "manage/tok" in message.get_body(("plain",)).get_content()
    assert str(vevent["ATTENDEE"]).lower() == "mailto:camila@example.org"
    assert str(vevent["URL"]) == "https://events.example.org/events/7"


@pytest.mark.parametrize("language", ["en", "es"])
def test_event_mail_cancellation_carries_a_cancel(language):
    message = parse(compose_event_mail(_mail("registration_cancelled", language, "CANCEL", 5), SETTINGS, NOW).data)
    calendar = calendar_of(message)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert int(event_of(calendar)["SEQUENCE"]) == 5
    assert message["Subject"].startswith("Registration cancelled" if language == "en" else "Inscripción cancelada")


def test_event_mail_without_organizer_is_sent_from_the_default_sender():
    event = EVENT | {"organizer_email": "", "organizer_name": "", "reply_to": "help@example.org"}
    outgoing = compose_event_mail(_mail(event=event), SETTINGS, NOW)
    message = parse(outgoing.data)
    assert str(message["From"]) == "Congress Office <noreply@example.org>"
    assert message["Reply-To"] == "help@example.org"
    assert outgoing.message_id == "<outbox-41@example.org>"
    assert str(event_of(calendar_of(message))["ORGANIZER"]).lower() == "mailto:noreply@example.org"


@pytest.mark.parametrize("language", ["en", "es"])
def test_invitation_mail_shows_the_invitee_the_expiry_and_the_link(language):
    mail = _mail(
        "invitation",
        language,
        method=None,
        registration={},
        manage_url="",
        payload={"name": "Ana", "invitation_id": 3},
        person_name="Ana",
        invitation=InvitationMail("https://events.example.org/events/7/register?invitation=abc", NOW),
    )
    message = parse(compose_event_mail(mail, SETTINGS, NOW).data)
    text = message.get_body(("plain",)).get_content()
    expiry = {
        "en": "Saturday, 1 May 2027, 10:00 (Europe/Madrid)",
        "es": "sábado, 1 de mayo de 2027, 10:00 (Europe/Madrid)",
    }
    assert "Ana" in text and expiry[language] in text
    # The personal link is the point of the invitation: in the text and as the HTML's link.
    link = "https://events.example.org/events/7/register?invitation=abc"
    assert link in text
    assert f'href="{link}"' in message.get_body(("html",)).get_content()
    assert message["Subject"].endswith("Congreso Mundial")


@pytest.mark.parametrize("language", ["en", "es"])
def test_announcement_mail_offers_one_click_unsubscribe(language):
    mail = _mail(
        "announcement",
        language,
        method=None,
        payload={"announcement_id": 2},
        announcement=AnnouncementMail(
            "Buses at 8", "First.\n\nSecond.", "https://events.example.org/api/unsubscribe/u"
        ),
    )
    message = parse(compose_event_mail(mail, SETTINGS, NOW).data)
    assert message["Subject"] == "Buses at 8"
    assert message["List-Unsubscribe"] == "<https://events.example.org/api/unsubscribe/u>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Second." in message.get_body(("html",)).get_content()


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_invites_and_cancellations_name_the_recipients_reply_address_as_organizer_and_sender(method):
    """A calendar's Decline goes to ORGANIZER: the recipient's own reply address proves where it comes from."""
    reply = "forum+rabcdefghijklmnopqrstuvwxyz@example.org"
    message = parse(compose_event_mail(_mail(method=method, reply_address=reply), SETTINGS, NOW).data)
    assert str(event_of(calendar_of(message))["ORGANIZER"]) == f"mailto:{reply}"
    assert message["From"].addresses[0].addr_spec == reply
    plain = parse(compose_event_mail(_mail(method=None, reply_address=reply), SETTINGS, NOW).data)
    assert plain["From"].addresses[0].addr_spec != reply  # mail without a calendar keeps the organizer's address
