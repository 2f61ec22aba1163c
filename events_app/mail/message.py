"""The MIME layout calendar clients handle best (CalConnect iMIP practice, RFC 6047):

multipart/mixed
  multipart/alternative
    text/plain
    text/html
    text/calendar; method=REQUEST|CANCEL; charset=UTF-8     (inline: what Outlook and Gmail act on)
  application/ics; name=invite.ics                           (attachment: for clients that only import files)

build_message() writes this one layout straight to the bytes that go over SMTP: the bytes the email package's
generator writes for the same tree of MIMEMultipart/MIMEText/MIMEApplication parts (tests/unit/mail compares the
two), at a fraction of the cost of building and walking that tree for every message. Header folding and RFC 2047
encoding are still the email package's (the same policy's fold_binary the generator calls); bodies are base64 as
email.encoders writes it.
"""

from __future__ import annotations

import binascii
import functools
import random
import re
from dataclasses import dataclass
from email.headerregistry import Address
from email.policy import Compat32
from email.utils import formataddr, formatdate, make_msgid

from events_app.domain.text import one_line
from events_app.mail.render import Rendered


@dataclass(frozen=True)
class Outgoing:
    """One composed email, ready for SMTP."""

    data: bytes  # the message as it goes over SMTP (build_message)
    sender: str
    recipient: str
    message_id: str


class MailPolicy(Compat32):
    """compat32, with a short cut for the common header: one line of ASCII is written as it is.

    The general folding (email.header.Header) costs more than everything else in writing a header, and gives the
    same bytes for such a header.
    """

    def _fold(self, name, value, sanitize):
        if (
            isinstance(value, str)
            and len(name) + len(value) + 2 <= (self.max_line_length or 78)
            and value.isascii()
            and "\n" not in value
            and "\r" not in value
        ):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


POLICY = MailPolicy(linesep="\r\n")  # SMTP's line end, as smtplib.send_message flattens with
CRLF = b"\r\n"


def _boundary(kind: str) -> str:
    # Every leaf part is base64, whose lines never start with "--": a random boundary cannot occur in them. It
    # needs no secrecy (the email package's own boundaries come from `random` too), so no system call for it.
    return f"=_{kind}_{random.getrandbits(96):024x}"


# Folded header lines, kept: most fields (Subject, From, the parts' Content-Type) are the same in every message of
# a batch, and folding a non-ASCII Subject (RFC 2047) costs more than the rest of the headers together.
_fold = functools.lru_cache(maxsize=1024)(POLICY.fold_binary)


def header_value(value: str) -> str:
    """A header field's value that cannot break the header block, whatever was stored: the one text rule
    (domain.text.one_line) turns CR, LF, NUL and every other control character into a space. Names and titles
    are refused or repaired where they enter; this is the defence that holds for values stored before that."""
    return one_line(value)


def address_header(display_name: str, addr_spec: str) -> str:
    """`Name <addr>` with the name sanitised and quoted or RFC 2047-encoded as needed (email.utils.formataddr); an
    address holding a control character or a space has them removed (it cannot be delivered as such anyway)."""
    return formataddr((header_value(display_name), "".join(header_value(addr_spec).split())))


def sender_address(display_name: str, addr_spec: str) -> Address:
    """The From of a message as an Address, built from stored values that may hold control characters (Address
    itself refuses CR and LF, which would fail every message of the sender)."""
    addr_spec = "".join(header_value(addr_spec).split())
    if _DOT_ATOM_ADDRESS.fullmatch(addr_spec):
        # The usual address (an invite's From carries each recipient's own reply address): what the email
        # package's parser would make of it, without running the parser for every message.
        username, _, domain = addr_spec.rpartition("@")
        return Address(_display_name(display_name), username=username, domain=domain)
    return Address(_display_name(display_name), addr_spec=addr_spec)


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_DOT_ATOM_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
_display_name = functools.lru_cache(maxsize=256)(header_value)


def _headers(fields: list[tuple[str, str]]) -> bytes:
    return b"".join(_fold(name, value) for name, value in fields)


def _base64_part(fields: list[tuple[str, str]], data: bytes) -> bytes:
    """A leaf part: its header fields, a blank line, the data in base64 lines of 76 characters (email.encoders)."""
    return _headers(fields) + CRLF + _base64_lines(data)


def _base64_lines(data: bytes) -> bytes:
    """base64.encodebytes with CRLF line ends: lines of 76 characters, each ended (encoded once, then cut)."""
    encoded = binascii.b2a_base64(data, newline=False)
    return b"".join([encoded[i : i + 76] + CRLF for i in range(0, len(encoded), 76)])


def _multipart(fields: list[tuple[str, str]], boundary: str, parts: list[bytes]) -> bytes:
    """A multipart entity without preamble or epilogue, delimited as email.generator writes it."""
    delimiter = b"--" + boundary.encode("ascii")
    body = (CRLF + delimiter + CRLF).join(parts)
    return _headers(fields) + CRLF + delimiter + CRLF + body + CRLF + delimiter + b"--" + CRLF


def _text_part(subtype: str, text: str) -> bytes:
    return _base64_part(
        [
            ("Content-Type", f'text/{subtype}; charset="utf-8"'),
            ("MIME-Version", "1.0"),
            ("Content-Transfer-Encoding", "base64"),
        ],
        text.encode("utf-8"),
    )


@dataclass(frozen=True)
class Attachment:
    """A file the message carries for download (a certificate's PDF): after the body, in multipart/mixed."""

    filename: str  # ASCII
    content_type: str
    data: bytes


def _attachment_part(item: Attachment) -> bytes:
    return _base64_part(
        [
            ("Content-Type", f'{item.content_type}; name="{item.filename}"'),
            ("MIME-Version", "1.0"),
            ("Content-Transfer-Encoding", "base64"),
            ("Content-Disposition", f'attachment; filename="{item.filename}"'),
        ],
        item.data,
    )


@dataclass(frozen=True)
class InlineImage:
    """An image the HTML body shows by its Content-ID (<img src="cid:{cid}">)."""

    cid: str  # "name@domain", without angle brackets
    filename: str
    content_type: str
    data: bytes


def _image_part(image: InlineImage) -> bytes:
    return _base64_part(
        [
            ("Content-Type", f'{image.content_type}; name="{image.filename}"'),
            ("MIME-Version", "1.0"),
            ("Content-Transfer-Encoding", "base64"),
            ("Content-ID", f"<{image.cid}>"),
            ("Content-Disposition", f'inline; filename="{image.filename}"'),
        ],
        image.data,
    )


def build_message(
    *,
    rendered: Rendered,
    sender: Address,
    recipient: str,
    recipient_name: str = "",
    calendar: bytes | None = None,
    method: str | None = None,
    reply_to: str | None = None,
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    inline_images: list[InlineImage] | None = None,
    attachments: list[Attachment] | None = None,
) -> bytes:
    """The whole message as it is handed to the SMTP server (CRLF line ends, 7-bit: every body part is base64).

    With `inline_images` the HTML part becomes multipart/related: the HTML, then each image with its Content-ID
    (the HTML shows it as <img src="cid:...">), so the image shows without loading anything from the internet.
    With `attachments` (no calendar) the message is multipart/mixed: the alternatives, then each file."""
    if calendar is not None and method is None:
        raise ValueError("a calendar part needs its iTIP method")
    if calendar is not None and attachments:
        raise ValueError("a message carries a calendar or attachments, not both")
    html = _text_part("html", rendered.html)
    if inline_images:
        related_boundary = _boundary("rel")
        html = _multipart(
            [("Content-Type", f'multipart/related; boundary="{related_boundary}"'), ("MIME-Version", "1.0")],
            related_boundary,
            [html, *(_image_part(image) for image in inline_images)],
        )
    alternatives = [_text_part("plain", rendered.text), html]
    if calendar is not None:
        alternatives.append(
            _base64_part(
                [
                    ("MIME-Version", "1.0"),
                    ("Content-Transfer-Encoding", "base64"),
                    ("Content-Type", f'text/calendar; charset="utf-8"; method="{method}"'),
                ],
                calendar,
            )
        )
    top = [
        ("Subject", header_value(rendered.subject)),
        ("From", address_header(sender.display_name, sender.addr_spec)),
        ("To", address_header(recipient_name, recipient)),
    ]
    if reply_to:
        top.append(("Reply-To", header_value(reply_to)))
    top += [
        ("Date", formatdate(localtime=False, usegmt=True)),
        ("Message-ID", header_value(message_id or make_msgid(domain=sender.domain))),
        *((header_value(name), header_value(value)) for name, value in (headers or {}).items()),
    ]
    alternative_boundary = _boundary("alt")
    alternative_type = ("Content-Type", f'multipart/alternative; boundary="{alternative_boundary}"')
    if calendar is None and not attachments:
        return _multipart([alternative_type, ("MIME-Version", "1.0"), *top], alternative_boundary, alternatives)
    alternative = _multipart([alternative_type, ("MIME-Version", "1.0")], alternative_boundary, alternatives)
    if attachments:
        files_boundary = _boundary("mixed")
        return _multipart(
            [("Content-Type", f'multipart/mixed; boundary="{files_boundary}"'), ("MIME-Version", "1.0"), *top],
            files_boundary,
            [alternative, *(_attachment_part(item) for item in attachments)],
        )
    assert calendar is not None  # noqa: S101 (narrowing for the type checker: the branches above return otherwise)
    attachment = _base64_part(
        [
            ("Content-Type", 'application/ics; name="invite.ics"'),
            ("MIME-Version", "1.0"),
            ("Content-Transfer-Encoding", "base64"),
            ("Content-Disposition", 'attachment; filename="invite.ics"'),
        ],
        calendar,
    )
    mixed_boundary = _boundary("mixed")
    return _multipart(
        [("Content-Type", f'multipart/mixed; boundary="{mixed_boundary}"'), ("MIME-Version", "1.0"), *top],
        mixed_boundary,
        [alternative, attachment],
    )
