"""Mail is translated through gettext catalogues: one template per kind, every text of it in every catalogue.

The texts are found the ecosystem's way (Babel's extractors: Jinja2's `babel_extract` for the templates, Babel's
python extractor for the code that writes calendar descriptions); every kind is then composed, without a database,
in every language, and the Spanish messages must show no English text, weekday, month or ISO date.
"""

from __future__ import annotations

import re
import string
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.extract import extract

from events_app.domain.agenda import ROLE_LABELS, PersonInRole, session_description
from events_app.domain.vocab import LANGUAGES
from events_app.mail import render
from events_app.mail.compose import (
    AnnouncementMail,
    CertificateMail,
    CoordinatorNotice,
    InvitationMail,
    PasswordResetMail,
    PersonAccessMail,
    compose_certificate_mail,
    compose_coordinator_notice,
    compose_event_mail,
    compose_meeting_mail,
    compose_password_reset_mail,
    compose_person_access_mail,
    local_text,
    when_text,
)
from events_app.services.meetings.meeting_calendar import _description
from events_app.services.onsite.certificates import document
from tests.unit.mail import test_compose_meeting, test_compose_registration
from tests.unit.mail.compose_data import NOW, SESSION, SETTINGS, calendar_of, parse

ROOT = Path(__file__).resolve().parents[3]
TRANSLATED = [code for code in LANGUAGES if code != "en"]
TEMPLATE_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
# Code that writes reader-visible text outside the templates: calendar descriptions an invite carries.
CODE = [
    "events_app/mail/compose.py",
    "events_app/services/meetings/meeting_calendar.py",
    "events_app/domain/agenda.py",
    "events_app/services/onsite/certificates.py",  # the certificate PDF's captions
]
CODE_KEYWORDS = {"_": None, "translate": (2,)}


def mail_texts() -> set[str]:
    """Every msgid mail uses, as the catalogue keys it ("context\\x04text" for a text with a context)."""
    found: set[str] = set(ROLE_LABELS.values())
    sources = [(p, "jinja2.ext:babel_extract", TEMPLATE_KEYWORDS) for p in render.TEMPLATES.iterdir()]
    sources += [(ROOT / p, "python", CODE_KEYWORDS) for p in CODE]
    for path, method, keywords in sources:
        with path.open("rb") as source:
            for _lineno, message, _comments, context in extract(method, source, keywords=keywords):
                for text in [message] if isinstance(message, str) else [m for m in message if m]:
                    found.add(f"{context}\x04{text}" if context else text)
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_one_template_per_kind_and_part():
    assert not [p for p in render.TEMPLATES.iterdir() if p.is_dir()]  # no copies per language
    kinds = render.kinds()
    assert len(kinds) >= 30 and "registration_confirmed" in kinds
    for kind in kinds:
        assert all((render.TEMPLATES / f"{kind}.{ext}").is_file() for ext in render.PARTS), kind


def test_every_language_has_a_catalogue():
    assert TRANSLATED
    assert all(render.catalogue_path(code).is_file() for code in TRANSLATED)


def test_extraction_finds_the_template_and_description_texts():
    texts = mail_texts()
    assert len(texts) > 150
    assert {"Dear {name},", "Join online: {url}", "Host: {host}", "Agenda:", "Online: {url}"} <= texts
    assert "meeting\x04Dear {name}," in texts  # Spanish greets meeting invitees differently


def test_every_mail_text_has_a_translation_in_every_catalogue():
    texts = mail_texts()
    missing = {code: sorted(texts - render.catalog(code).keys()) for code in TRANSLATED}
    assert missing == {code: [] for code in TRANSLATED}


def test_translations_keep_their_placeholders():
    for code in TRANSLATED:
        wrong = [k for k, v in render.catalog(code).items() if placeholders(k) != placeholders(v)]
        assert wrong == []


def test_no_template_shows_text_outside_translation_markers():
    for path in render.TEMPLATES.iterdir():
        bare = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|<[^>]*>", "", path.read_text(), flags=re.S)
        assert re.findall(r"[A-Za-z]{2,}", bare) == [], path.name


# ----------------------------------------------------------------------------- every kind, composed


def _event_kinds() -> list[str]:
    return [
        k
        for k in render.kinds()
        if not k.startswith(("meeting_", "coordinator_"))
        and k not in ("password_reset", "person_access_link", "certificate")
    ]


def certificate_mail(language: str) -> CertificateMail:
    """A certificate mail as the worker builds it (services.onsite.certificates.document), from hand-made data."""
    row = {
        "name": "Ана Ли 李安",
        "title": "World Congress",
        "starts_at": datetime(2027, 6, 7, 7, 0, tzinfo=timezone.utc),
        "ends_at": datetime(2027, 6, 9, 16, 0, tzinfo=timezone.utc),
        "timezone": "Europe/Madrid",
        "venue_name": "Palacio",
        "city": "Madrid",
        "country": "ES",
        "minutes": 1170,
        "nonce": "0" * 32,
        "issued_at": datetime(2027, 6, 10, 9, 0, tzinfo=timezone.utc),
    }
    settings = SimpleNamespace(public_url="https://events.example.org", secret_key="k" * 40)
    return CertificateMail(8, "certificate", language, "a@example.org", document(row, language, settings), "c.pdf")


def composed(kind: str, language: str) -> tuple[str, str, str, str]:
    """Subject, plain text, HTML and calendar description of one kind composed from hand-made data."""
    if kind.startswith("meeting_"):
        occurrence = test_compose_meeting.OCCURRENCES[1] if kind.startswith("meeting_occurrence") else None
        mail = test_compose_meeting._mail(kind, language, "REQUEST", occurrence=occurrence)
        data = compose_meeting_mail(mail, NOW).data
    elif kind == "password_reset":
        data = compose_password_reset_mail(
            PasswordResetMail(9, kind, language, "org@example.org", "Olga", "https://e.example/pr/t", True), SETTINGS
        ).data
    elif kind.startswith("coordinator_"):
        notice = CoordinatorNotice(
            4, kind, language, "c@example.org", "Chen", "Pilot call", "Amara", "a@example.org", "https://e.example/p#r"
        )
        data = compose_coordinator_notice(notice, SETTINGS).data
    elif kind == "person_access_link":
        expires = datetime(2027, 5, 1, 8, 30, tzinfo=timezone.utc)
        mail = PersonAccessMail(5, kind, language, "p@example.org", "Pablo", "https://e.example/me/x", 30, expires)
        data = compose_person_access_mail(mail, SETTINGS).data
    elif kind == "certificate":
        data = compose_certificate_mail(certificate_mail(language), SETTINGS).data
    else:
        extra: dict = {}
        if kind.startswith("session_"):
            extra["session"] = SESSION
        if kind == "invitation":
            extra["invitation"] = InvitationMail("https://events.example.org/events/7/register?invitation=abc", NOW)
            extra["payload"] = {"name": "Ana", "invitation_id": 3}
        if kind == "calendar_decline_release":
            extra["payload"] = {"release_url": "https://e.example/release/t", "session_title": "Plenary", "name": "Ana"}
        if kind == "announcement":
            extra["announcement"] = AnnouncementMail("Programme", "First.\n\nSecond.", "https://e.example/unsub")
        extra["payload"] = {**extra.get("payload", {}), "hours": 24, "offer_expires_at": "2027-05-10T10:00:00+00:00"}
        mail = test_compose_registration._mail(kind, language, **extra)
        data = compose_event_mail(mail, SETTINGS, NOW).data
    message = parse(data)
    calendar = calendar_of(message)
    descriptions = [str(c.get("DESCRIPTION", "")) for c in calendar.walk() if c.name == "VEVENT"] if calendar else []
    return (
        str(message["Subject"]),
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
        "\n".join(descriptions),
    )


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", render.kinds())
def test_every_kind_composes_in_every_language(kind, language):
    subject, text, html, _description_text = composed(kind, language)
    assert subject and text.strip() and html.strip()
    assert f'<html lang="{language}">' in html


ENGLISH_DATES = re.compile(
    r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|January|February|March|April|May|June|July|"
    r"August|September|October|November|December)\b|\b\d{4}-\d{2}-\d{2}\b"
)


def _english_fragments(code: str) -> set[str]:
    """The words of each English text that its translation does not share (a few words at least)."""
    fragments = set()
    for key, translated in render.catalog(code).items():
        english = key.split("\x04")[-1]
        for part in re.split(r"\{\w+\}|<[^>]*>|\n", english):
            part = part.strip(" .,:;()")
            if len(part) >= 12 and " " in part and part not in translated:
                fragments.add(part)
    return fragments


@pytest.mark.parametrize("code", TRANSLATED)
def test_translated_mail_shows_no_english(code):
    fragments = _english_fragments(code)
    assert len(fragments) > 100
    for kind in render.kinds():
        for part in composed(kind, code):
            shown = re.sub(r"https?://\S+", "", part)  # links carry English words (?answer=accepted)
            assert [f for f in fragments if f in shown] == [], kind
            assert ENGLISH_DATES.findall(shown) == [], kind


# ----------------------------------------------------------------------------- dates and calendar descriptions


def test_dates_and_times_are_written_in_the_readers_language_and_zone():
    starts = datetime(2027, 5, 10, 14, 0, tzinfo=timezone.utc)
    ends = datetime(2027, 5, 10, 15, 0, tzinfo=timezone.utc)
    assert when_text(starts, ends, "Europe/Madrid", "en") == "Monday, 10 May 2027, 16:00–17:00 (Europe/Madrid)"
    assert when_text(starts, ends, "Europe/Madrid", "es") == "lunes, 10 de mayo de 2027, 16:00–17:00 (Europe/Madrid)"
    later = datetime(2027, 5, 11, 9, 0, tzinfo=timezone.utc)
    assert when_text(starts, later, "America/Bogota", "es") == (
        "lunes, 10 de mayo de 2027, 9:00 – martes, 11 de mayo de 2027, 4:00 (America/Bogota)"
    )
    assert local_text("2027-05-10T10:00:00+00:00", "UTC", "es") == "lunes, 10 de mayo de 2027, 10:00 (UTC)"


def test_numbers_in_mail_texts_follow_the_language():
    assert render.translate("es", "{minutes} min", minutes=1500) == "1.500 min"
    assert render.translate("en", "{minutes} min", minutes=1500) == "1,500 min"


def test_html_parts_escape_the_values_but_keep_the_translated_markup():
    html = render.environment().overlay(autoescape=True)
    template = html.from_string(
        '{{ _("your registration for <strong>{title}</strong> is confirmed ({category_name}).", title=t, '
        'category_name="C") }}'
    )
    shown = template.render(language="es", t="<b>&</b>")
    assert shown == "su inscripción en <strong>&lt;b&gt;&amp;&lt;/b&gt;</strong> está confirmada (C)."


def test_calendar_descriptions_speak_the_invitees_language():
    series = SimpleNamespace(description="Weekly.", online_url="https://meet.example.org/wb", mode="online")
    agenda = [{"title": "Budget", "duration_minutes": 20, "presenter": "Ana"}]
    assert _description(series, agenda, "Lima", "en") == (
        "Weekly.\n\nJoin online: https://meet.example.org/wb\n\nHost: Lima\n\nAgenda:\n1. Budget (20 min) - Ana"
    )
    spanish = _description(series, agenda, "Lima", "es")
    assert (
        "Unirse en línea: https://meet.example.org/wb" in spanish
        and "Orden del día:\n1. Budget (20 min) - Ana" in spanish
    )
    people = [PersonInRole("Ana", "speaker")]
    assert session_description("", people, "https://x.example") == "Speakers: Ana\n\nOnline: https://x.example"
    assert session_description("", people, "https://x.example", render.translator("es")) == (
        "Ponentes: Ana\n\nEn línea: https://x.example"
    )
