import email
import email.policy
from email.headerregistry import Address

from events_app.mail.message import build_message
from events_app.mail.render import render

CONTEXT = {
    "person": {"name": "Camila Rodríguez Ortiz", "email": "c@example.org"},
    "event": {"title": "Congreso Mundial", "when": "2027-05-18 09:00 – 17:30", "where": "Malmö", "online_url": ""},
    "registration": {"category_name": "Delegate"},
    "manage_url": "https://example.org/manage/abc",
    "organizer_name": "Secretariat",
    "language": "es",
    "has_calendar": True,
    "subject": "",
}


def test_render_uses_the_persons_language_and_falls_back_to_english():
    spanish = render("registration_confirmed", "es", CONTEXT)
    unknown = render("registration_confirmed", "fr", CONTEXT)
    assert spanish.subject == "Inscripción confirmada: Congreso Mundial"
    assert unknown.subject == "Registration confirmed: Congreso Mundial"


def test_html_is_escaped():
    rendered = render("registration_confirmed", "en", {**CONTEXT, "person": {"name": "<b>X</b>", "email": "x"}})
    assert "&lt;b&gt;X&lt;/b&gt;" in rendered.html and "<b>X</b>" in rendered.text


def test_message_layout_is_mixed_alternative_with_inline_calendar_and_attachment():
    rendered = render("registration_confirmed", "en", CONTEXT)
    ics = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    message = build_message(rendered=rendered, sender=Address("Secretariat", addr_spec="congress@example.org"),
                            recipient="c@example.org", recipient_name="Camila", calendar=ics, method="REQUEST",
                            message_id="<outbox-1@example.org>")
    parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    layout = [(p.get_content_type(), p.get_param("method")) for p in parsed.walk()]
    assert layout == [("multipart/mixed", None), ("multipart/alternative", None), ("text/plain", None),
                      ("text/html", None), ("text/calendar", "REQUEST"), ("application/ics", None)]
    attachment = list(parsed.walk())[-1]
    assert (attachment.get_filename(), attachment.get_payload(decode=True)) == ("invite.ics", ics)
    assert parsed["Message-ID"] == "<outbox-1@example.org>"
