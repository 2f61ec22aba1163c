"""The MIME layout calendar clients handle best (CalConnect iMIP practice, RFC 6047):

multipart/mixed
  multipart/alternative
    text/plain
    text/html
    text/calendar; method=REQUEST|CANCEL; charset=UTF-8     (inline: what Outlook and Gmail act on)
  application/ics; name=invite.ics                           (attachment: for clients that only import files)
"""
from __future__ import annotations

import secrets
from email.policy import Compat32
from email.headerregistry import Address
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid

from events_app.mail.render import Rendered


class MailPolicy(Compat32):
    """compat32, with a short cut for the common header: one line of ASCII is written as it is.

    The general folding (email.header.Header) costs more than everything else in writing a message, and gives the
    same bytes for such a header.
    """

    def _fold(self, name, value, sanitize):
        if (isinstance(value, str) and len(name) + len(value) + 2 <= (self.max_line_length or 78)
                and value.isascii() and "\n" not in value and "\r" not in value):
            return f"{name}: {value}{self.linesep}"
        return super()._fold(name, value, sanitize)


POLICY = MailPolicy()


def _boundary(kind: str) -> str:
    # Every leaf part is base64, whose lines never start with "--": a random boundary cannot occur in them. Set
    # here, it spares the generator its search of the whole text for a boundary that does not occur.
    return f"=_{kind}_{secrets.token_hex(12)}"


def build_message(*, rendered: Rendered, sender: Address, recipient: str, recipient_name: str = "",
                  calendar: bytes | None = None, method: str | None = None, reply_to: str | None = None,
                  message_id: str | None = None, headers: dict[str, str] | None = None) -> MIMEMultipart:
    alternative = MIMEMultipart("alternative", boundary=_boundary("alt"), policy=POLICY)
    alternative.attach(MIMEText(rendered.text, "plain", "utf-8"))
    alternative.attach(MIMEText(rendered.html, "html", "utf-8"))
    if calendar is not None:
        if method is None:
            raise ValueError("a calendar part needs its iTIP method")
        part = MIMEText(calendar.decode("utf-8"), "calendar", "utf-8")
        part.set_param("method", method)
        alternative.attach(part)
    if calendar is not None:
        message = MIMEMultipart("mixed", boundary=_boundary("mixed"), policy=POLICY)
        message.attach(alternative)
        attachment = MIMEApplication(calendar, "ics", name="invite.ics")
        attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
        message.attach(attachment)
    else:
        message = alternative
    message["Subject"] = rendered.subject
    message["From"] = formataddr((sender.display_name, sender.addr_spec))
    message["To"] = formataddr((recipient_name, recipient))
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id or make_msgid(domain=sender.domain)
    message["MIME-Version"] = "1.0"
    for key, value in (headers or {}).items():
        message[key] = value
    return message
