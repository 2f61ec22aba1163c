"""Mail headers built from stored values that hold CR, LF, NUL or other control characters: exactly the expected
header fields come out, none injected, and each value reads back as one line."""

import email
import email.errors
import email.policy
from email.headerregistry import Address

import pytest

from events_app.domain.text import one_line
from events_app.mail.message import build_message, sender_address
from events_app.mail.render import Rendered

EVIL = [
    "Ana\r\nBcc: victim@example.org",
    "Ana\nX-Injected: 1",
    "Ana\rSubject: spoof",
    "Ana\x00Bcc: v@example.org",
    "Ana\u2028Bcc: v@example.org",
    "Ana\x85Bcc: v@example.org",
    "Ana\r\n\r\n<html>body</html>",
]
EXPECTED = [
    "Content-Type",
    "MIME-Version",
    "Subject",
    "From",
    "To",
    "Reply-To",
    "Date",
    "Message-ID",
    "List-Unsubscribe",
]


def _parse(value: str, *, calendar: bool = False):
    rendered = Rendered(subject=f"Confirmed: {value}", text="text", html="<p>html</p>")
    data = build_message(
        rendered=rendered,
        sender=sender_address(value, "congress@example.org"),
        recipient="ana@example.org",
        recipient_name=value,
        calendar=b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n" if calendar else None,
        method="REQUEST" if calendar else None,
        reply_to=f"reply@example.org{value[3:]}",
        message_id="<m-1@example.org>",
        headers={"List-Unsubscribe": f"<https://x.org/u>{value}"},
    )
    return data, email.message_from_bytes(data, policy=email.policy.default)


@pytest.mark.parametrize("value", EVIL)
@pytest.mark.parametrize("calendar", [False, True])
def test_message_headers_with_control_characters_hold_no_injected_field(value, calendar):
    data, parsed = _parse(value, calendar=calendar)
    header_block = data.split(b"\r\n\r\n", 1)[0]
    assert [k for k in parsed] == EXPECTED
    assert parsed.defects == []
    assert parsed["Bcc"] is None and parsed["X-Injected"] is None
    assert parsed.get_all("Subject") == [parsed["Subject"]]
    assert parsed["To"].addresses[0].addr_spec == "ana@example.org"
    assert parsed["From"].addresses[0].addr_spec == "congress@example.org"
    for line in header_block.split(b"\r\n"):  # every line a field or its folded continuation; nothing bare
        assert b"\x00" not in line and b"\r" not in line and b"\n" not in line
        assert line[:1] in (b" ", b"\t") or b":" in line
    assert "\n" not in str(parsed["Subject"]) and str(parsed["Subject"]).startswith("Confirmed: Ana ")
    assert parsed["To"].addresses[0].display_name.startswith("Ana ")
    assert b"\r\n\r\n<html>" not in data  # no header block ended early


def test_sender_address_with_line_break_in_the_name_is_one_line():
    assert (
        sender_address("Secretariat\r\nBcc: x@example.org", "congress@example.org").display_name
        == "Secretariat Bcc: x@example.org"
    )


@pytest.mark.parametrize(
    "address",
    [
        "congress@example.org",
        "reply+Zx_9-aB.c@mail.example.org",
        "first.last@sub-domain.example.co.uk",
        "o'brien@example.ie",
        "a!#$%&'*+/=?^_`{|}~-@example.org",
        "x@localhost",
    ],
)
@pytest.mark.parametrize("name", ["", "Secretariat", 'Ñandú, "Org"', "Secretariat\r\nBcc: x@example.org"])
def test_sender_address_without_the_parser_is_what_the_parser_makes(name, address):
    """The common address is built from its parts; it equals the email package's parsing of it."""
    built = sender_address(name, address)
    parsed = Address(one_line(name), addr_spec=address)
    assert (built.display_name, built.username, built.domain, built.addr_spec, str(built)) == (
        parsed.display_name,
        parsed.username,
        parsed.domain,
        parsed.addr_spec,
        str(parsed),
    )


def test_sender_address_unusual_forms_still_go_through_the_parser():
    quoted = sender_address("", '"a,b"@example.org')
    assert (quoted.username, quoted.domain, quoted.addr_spec) == ("a,b", "example.org", '"a,b"@example.org')
    for broken in ("@example.org", "a@b@c"):
        with pytest.raises((ValueError, email.errors.HeaderParseError)):  # as before: the parser's own error
            sender_address("", broken)
