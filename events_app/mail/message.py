"""The MIME layout calendar clients handle best (CalConnect iMIP practice, RFC 6047):

multipart/mixed
  multipart/alternative
    text/plain
    text/html
    text/calendar; method=REQUEST|CANCEL; charset=UTF-8     (inline: what Outlook and Gmail act on)
  application/ics; name=invite.ics                           (attachment: for clients that only import files)
"""
from __future__ import annotations

from email.headerregistry import Address
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid

from events_app.mail.render import Rendered


def build_message(*, rendered: Rendered, sender: Address, recipient: str, recipient_name: str = "",
                  calendar: bytes | None = None, method: str | None = None, reply_to: str | None = None,
                  message_id: str | None = None, headers: dict[str, str] | None = None) -> MIMEMultipart:
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText(rendered.text, "plain", "utf-8"))
    alternative.attach(MIMEText(rendered.html, "html", "utf-8"))
    if calendar is not None:
        if method is None:
            raise ValueError("a calendar part needs its iTIP method")
        part = MIMEText(calendar.decode("utf-8"), "calendar", "utf-8")
        part.set_param("method", method)
        alternative.attach(part)
    if calendar is not None:
        message = MIMEMultipart("mixed")
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
