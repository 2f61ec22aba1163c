"""Mail about an account or a person, not an event (password reset, personal-data link), in English and Spanish."""

from datetime import datetime, timezone

import pytest

from events_app.mail.compose import (
    PasswordResetMail,
    PersonAccessMail,
    compose_password_reset_mail,
    compose_person_access_mail,
)
from tests.unit.mail.compose_data import SETTINGS, calendar_of, parse


@pytest.mark.parametrize("language, subject", [("en", "Reset your password"), ("es", "Restablezca su contraseña")])
def test_password_reset_mail_carries_the_live_link(language, subject):
    mail = PasswordResetMail(9, "password_reset", language, "org@example.org", "Olga", "https://e.example/pr/t", True)
    outgoing = compose_password_reset_mail(mail, SETTINGS)
    message = parse(outgoing.data)
    assert message["Subject"] == subject
    assert str(message["To"]) == "Olga <org@example.org>"
    assert str(message["From"]) == "Congress Office <noreply@example.org>"
    assert outgoing.message_id == message["Message-ID"] == "<outbox-9@example.org>"
    text = message.get_body(("plain",)).get_content()
    assert "https://e.example/pr/t" in text and "30" in text
    assert calendar_of(message) is None


@pytest.mark.parametrize(
    "language, subject",
    [("en", "Your link to your personal data"), ("es", "Su enlace a sus datos personales")],
)
def test_person_access_mail_shows_the_link_and_its_expiry(language, subject):
    expires = datetime(2027, 5, 1, 8, 30, tzinfo=timezone.utc)
    mail = PersonAccessMail(
        5, "person_access_link", language, "p@example.org", "Pablo", "https://e.example/me/x", 30, expires
    )
    outgoing = compose_person_access_mail(mail, SETTINGS)
    message = parse(outgoing.data)
    assert message["Subject"] == subject
    assert (outgoing.sender, outgoing.recipient) == ("noreply@example.org", "p@example.org")
    text = message.get_body(("plain",)).get_content()
    expiry = {"en": "Saturday, 1 May 2027, 08:30 (UTC)", "es": "sábado, 1 de mayo de 2027, 8:30 (UTC)"}[language]
    assert "https://e.example/me/x" in text and expiry in text
