import base64
import email
import email.policy
import random
import re
from email.headerregistry import Address
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr

import pytest

from events_app.mail import message
from events_app.mail.message import POLICY, build_message
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
    message = build_message(
        rendered=rendered,
        sender=Address("Secretariat", addr_spec="congress@example.org"),
        recipient="c@example.org",
        recipient_name="Camila",
        calendar=ics,
        method="REQUEST",
        message_id="<outbox-1@example.org>",
    )
    parsed = email.message_from_bytes(message, policy=email.policy.default)
    layout = [(p.get_content_type(), p.get_param("method")) for p in parsed.walk()]
    assert layout == [
        ("multipart/mixed", None),
        ("multipart/alternative", None),
        ("text/plain", None),
        ("text/html", None),
        ("text/calendar", "REQUEST"),
        ("application/ics", None),
    ]
    attachment = list(parsed.walk())[-1]
    assert (attachment.get_filename(), attachment.get_payload(decode=True)) == ("invite.ics", ics)
    assert parsed["Message-ID"] == "<outbox-1@example.org>"
    assert len(parsed.get_all("MIME-Version")) == 1  # RFC 2045 4: once per message header


def email_package_message(
    rendered, sender, recipient, recipient_name, calendar, method, reply_to, message_id, headers, boundaries, date
):
    """The same layout built as a tree of email package parts, as build_message did before it wrote bytes."""
    alternative = MIMEMultipart("alternative", boundary=boundaries["alt"], policy=POLICY)
    alternative.attach(MIMEText(rendered.text, "plain", "utf-8"))
    alternative.attach(MIMEText(rendered.html, "html", "utf-8"))
    message = alternative
    if calendar is not None:
        part = MIMEText(calendar.decode("utf-8"), "calendar", "utf-8")
        part.set_param("method", method)
        alternative.attach(part)
        message = MIMEMultipart("mixed", boundary=boundaries["mixed"], policy=POLICY)
        message.attach(alternative)
        attachment = MIMEApplication(calendar, "ics", name="invite.ics")
        attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
        message.attach(attachment)
    message["Subject"] = rendered.subject
    message["From"] = formataddr((sender.display_name, sender.addr_spec))
    message["To"] = formataddr((recipient_name, recipient))
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = date
    message["Message-ID"] = message_id  # MIMEMultipart wrote MIME-Version already
    for key, value in (headers or {}).items():
        message[key] = value
    return message.as_bytes()  # POLICY writes CRLF, as smtplib.send_message flattens


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("name", ["Camila", "Rodríguez, Camila", 'Jean "JJ" Dupont', "李小龍 " * 12, ""])
@pytest.mark.parametrize(
    "calendar",
    [
        None,
        b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n",
        "BEGIN:VCALENDAR\r\nSUMMARY:Ñandú\r\n".encode() * 40,
        b"BEGIN:VCALENDAR",
    ],
)
def test_message_bytes_equal_the_email_packages_for_the_same_layout(language, name, calendar):
    rendered = render("registration_confirmed", language, {**CONTEXT, "person": {"name": name, "email": "c@x.org"}})
    sender = Address(
        "Secretariat of the World Congress of Local and Regional Governments, Malmö", addr_spec="congress@example.org"
    )
    headers = {
        "List-Unsubscribe": "<https://example.org/api/unsubscribe/" + "a" * 90 + ">",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    kwargs = dict(
        rendered=rendered,
        sender=sender,
        recipient="c@example.org",
        recipient_name=name,
        calendar=calendar,
        method="REQUEST",
        reply_to="Programme <programme@example.org>",
        message_id="<outbox-7@example.org>",
        headers=headers,
    )
    data = build_message(**kwargs)
    # boundaries are random ("=_alt_<hex>", "=_mixed_<hex>"), the Date is the clock's: take both from the message
    boundaries = {value.split("_")[1]: value for value in re.findall(r'boundary="([^"]+)"', data.decode("ascii"))}
    date = re.search(rb"\r\nDate: ([^\r]+)\r\n", data).group(1).decode()
    assert data == email_package_message(**kwargs, boundaries=boundaries, date=date)


@pytest.mark.parametrize("size", [0, 1, 2, 56, 57, 58, 113, 114, 115, 1000, 4096])
def test_base64_lines_are_encodebytes_with_crlf(size):
    data = bytes(random.Random(size).randrange(256) for _ in range(size))
    assert message._base64_lines(data) == base64.encodebytes(data).replace(b"\n", b"\r\n")
