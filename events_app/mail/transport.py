"""SMTP delivery with one reused connection per worker process, and a clear temporary/permanent split."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable

from events_app.settings import Settings


class TemporaryFailure(Exception):
    """Try again later: the server is down, busy, or answered 4xx."""


class PermanentFailure(Exception):
    """Do not retry: the server refused this message or recipient with 5xx."""


class Withheld(Exception):
    """Not sent: the check made once the server had accepted the envelope said no; the transaction was reset."""


def smtp_answer(code: int, reason: bytes | str) -> str:
    """An SMTP server's answer as the delivery log shows it: `550 5.1.1 <x@y>: Recipient address rejected`, plain
    text (servers send bytes, possibly not UTF-8, possibly over several lines)."""
    text = reason.decode("utf-8", errors="replace") if isinstance(reason, bytes) else str(reason)
    return f"{code} {' '.join(text.split())}".strip()


class _ReadyBeforeData:
    """smtplib's own sendmail(), asking `ready()` (when set) between the accepted envelope and DATA."""

    ready: Callable[[], bool] | None = None

    def data(self, msg):
        if self.ready is not None and not self.ready():
            raise Withheld("the message was held back before DATA")
        return super().data(msg)


class _SMTP(_ReadyBeforeData, smtplib.SMTP):
    pass


class _SMTP_SSL(_ReadyBeforeData, smtplib.SMTP_SSL):
    pass


def tls_context(verify: bool) -> ssl.SSLContext:
    """The TLS settings for SMTPS and STARTTLS: the system's trusted CAs and a host name check (smtplib's own
    default checks neither). verify=False (SMTP_TLS_VERIFY=false) is for a local relay with a self-signed
    certificate only: the connection is still encrypted, but anyone in between could read it."""
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class SmtpTransport:
    """One SMTP connection, kept open across messages. Not for use by two threads at once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.connection: _SMTP | _SMTP_SSL | None = None

    def _connect(self) -> _SMTP | _SMTP_SSL:
        s = self.settings
        context = tls_context(s.smtp_tls_verify)
        conn: _SMTP | _SMTP_SSL
        if s.smtp_ssl:
            conn = _SMTP_SSL(s.smtp_host, s.smtp_port, timeout=30, context=context)
        else:
            conn = _SMTP(s.smtp_host, s.smtp_port, timeout=30)
        if s.smtp_starttls:
            conn.starttls(context=context)
        if s.smtp_credentials:
            conn.login(*s.smtp_credentials)
        return conn

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.connection = None

    def send(self, data: bytes, sender: str, recipient: str, ready: Callable[[], bool] | None = None) -> None:
        """Deliver one message (its bytes, CRLF line ends, as mail.message.build_message writes them) or raise
        TemporaryFailure / PermanentFailure with the server's reason.

        `ready`, if given, is called once the server has accepted sender and recipient, before the message itself
        goes out (it may block, e.g. until the previous message is marked sent, while the envelope's round trips
        are already done). If it returns False the transaction is reset and Withheld raised: nothing was sent.
        """
        # As smtplib's send_message does: an address beyond ASCII needs the server's SMTPUTF8 extension.
        options = () if (sender + recipient).isascii() else ("SMTPUTF8", "BODY=8BITMIME")
        for attempt in (1, 2):  # a reused connection may have been closed by the server: reconnect once
            try:
                if self.connection is None:
                    self.connection = self._connect()
                self.connection.ehlo_or_helo_if_needed()
                if options and not self.connection.has_extn("smtputf8"):
                    raise PermanentFailure("the SMTP server does not accept addresses beyond ASCII (no SMTPUTF8)")
                self.connection.ready = ready
                try:
                    refused = self.connection.sendmail(sender, [recipient], data, options)
                finally:
                    self.connection.ready = None
                if refused:
                    code, reason = refused[recipient]
                    raise (PermanentFailure if code >= 500 else TemporaryFailure)(smtp_answer(code, reason))
                return
            except Withheld:
                self._reset()
                raise
            except smtplib.SMTPServerDisconnected as exc:
                self.connection = None
                if attempt == 2:
                    raise TemporaryFailure(f"server disconnected: {exc}") from exc
            except smtplib.SMTPResponseException as exc:
                self._reset()
                text = smtp_answer(exc.smtp_code, exc.smtp_error)
                raise (PermanentFailure if exc.smtp_code >= 500 else TemporaryFailure)(text) from exc
            except smtplib.SMTPRecipientsRefused as exc:
                self._reset()
                code, reason = next(iter(exc.recipients.values()))
                raise (PermanentFailure if code >= 500 else TemporaryFailure)(smtp_answer(code, reason)) from exc
            except (TimeoutError, OSError, smtplib.SMTPException) as exc:
                self.close()
                raise TemporaryFailure(f"cannot reach the SMTP server: {exc}") from exc

    def _reset(self) -> None:
        try:
            if self.connection is not None:
                self.connection.rset()
        except (smtplib.SMTPException, OSError):
            self.close()
