"""Session emails (bookings, roles) composed from hand-made data in English and Spanish: the session's invite."""

import pytest

from events_app.mail.compose import EventMail, compose_event_mail
from tests.unit.mail.compose_data import EVENT, NOW, REGISTRATION, SESSION, SETTINGS, calendar_of, event_of, parse

SUBJECTS = {
    ("session_booked", "en"): "Booked: Opening plenary",
    ("session_booked", "es"): "Reservado: Opening plenary",
    ("session_role_added", "en"): "You are on the programme: Opening plenary",
    ("session_role_added", "es"): "Participa en el programa: Opening plenary",
}
KINDS = [
    "session_booked",
    "session_cancelled",
    "session_dropped",
    "session_promoted",
    "session_reminder",
    "session_role_added",
    "session_role_removed",
    "session_updated",
    "session_waitlisted",
]


def _mail(kind, language, method="REQUEST", sequence=2) -> EventMail:
    return EventMail(
        outbox_id=77,
        kind=kind,
        language=language,
        recipient="camila@example.org",
        calendar_method=method,
        calendar_sequence=sequence if method else None,
        event=EVENT,
        person_name="Camila Rodríguez",
        person_email="camila@example.org",
        payload={"session_id": 31, "hours": 24},
        registration=REGISTRATION,
        manage_url="https://events.example.org/manage/tok",
        session=SESSION,
    )


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", KINDS)
def test_session_mail_every_kind_composes_in_both_languages(kind, language):
    message = parse(compose_event_mail(_mail(kind, language, method=None), SETTINGS, NOW).data)
    assert message["Message-ID"] == "<outbox-77@example.org>"
    assert "Opening plenary" in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", ["session_booked", "session_role_added"])
def test_session_mail_invite_is_the_sessions_request(kind, language):
    message = parse(compose_event_mail(_mail(kind, language), SETTINGS, NOW).data)
    assert message["Subject"] == SUBJECTS[kind, language]
    calendar = calendar_of(message)
    vevent = event_of(calendar)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert (str(vevent["UID"]), int(vevent["SEQUENCE"])) == ("session-31@example.org", 2)  # the row's, not the item's
    assert str(vevent["LOCATION"]) == "Room A"
    assert str(vevent["ATTENDEE"]).lower() == "mailto:camila@example.org"
    assert "Room A" in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("language", ["en", "es"])
def test_session_mail_removal_is_a_cancel(language):
    calendar = calendar_of(
        parse(compose_event_mail(_mail("session_role_removed", language, "CANCEL", 4), SETTINGS, NOW).data)
    )
    assert (str(calendar["METHOD"]), int(event_of(calendar)["SEQUENCE"])) == ("CANCEL", 4)


# ----------------------------------------------------------------------------- what changed, for this reader


def _update(language: str, person_tz: str | None) -> str:
    from dataclasses import replace
    from datetime import timedelta

    from events_app.domain.invite_shows import shown

    day = timedelta(days=1)
    was = shown(
        replace(SESSION.item, starts_at=SESSION.starts_at - day, ends_at=SESSION.ends_at - day, location="Room B")
    )
    mail = replace(_mail("session_updated", language), payload={"session_id": 31, "was": was, "timezone": person_tz})
    return parse(compose_event_mail(mail, SETTINGS, NOW).data).get_body(("plain",)).get_content()


def test_session_update_says_what_changed_with_the_readers_own_time():
    text = _update("en", "America/Bogota")
    assert "Time was: Monday, 17 May 2027, 10:00–11:30 (Europe/Madrid) - your time: Monday, 17 May 2027, " in text
    assert "03:00–04:30 (America/Bogota)" in text
    assert "Time now: Tuesday, 18 May 2027, 10:00–11:30 (Europe/Madrid) - your time:" in text
    assert "Place was: Room B\nPlace now: Room A" in text


def test_session_update_in_spanish_and_in_the_events_zone_only_when_the_reader_shares_it():
    text = _update("es", "Europe/Madrid")
    assert "Horario anterior: lunes, 17 de mayo de 2027, 10:00–11:30 (Europe/Madrid)\n" in text
    assert "Lugar anterior: Room B\nLugar nuevo: Room A" in text
    assert "su hora" not in text


def test_update_without_a_remembered_copy_shows_the_current_details_only():
    from dataclasses import replace

    mail = replace(_mail("session_updated", "en"), payload={"session_id": 31, "was": None, "timezone": None})
    text = parse(compose_event_mail(mail, SETTINGS, NOW).data).get_body(("plain",)).get_content()
    assert "What changed" not in text and "Opening plenary" in text
