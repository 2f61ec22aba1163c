"""SMTP delivery on the worker's event loop: one SmtpTransport is one connection, reused across messages, with a
clear temporary/permanent split.

The client is asyncio's own streams and TLS speaking the few SMTP commands a worker needs (RFC 5321: EHLO, STARTTLS,
AUTH, MAIL, RCPT, DATA, RSET, QUIT; MAIL, RCPT and DATA in one write where the server offers PIPELINING). Running in
the event loop instead of a thread lets a worker compose the next message and keep other connections busy while
this one waits for the server, without threads taking turns at the interpreter (see workers/delivery.py).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import re
import socket
import ssl
from collections.abc import Awaitable, Callable

from events_app.settings import Settings

TIMEOUT = 30.0  # seconds for connecting, and for each answer of the server (smtplib's per-operation timeout)
CRLF = b"\r\n"
_LINE_END = re.compile(rb"\r\n|\r(?!\n)|\n")  # any line end, written as CRLF (as smtplib does)


class TemporaryFailure(Exception):
    """Try again later: the server is down, busy, or answered 4xx."""


class PermanentFailure(Exception):
    """Do not retry: the server refused this message or recipient with 5xx."""


class Withheld(Exception):
    """Not delivered: `ready` said no before the message's end; the connection was closed under the open DATA."""


class Turn(asyncio.Future[bool]):
    """Whether a message may be completed, decided by the code that settles the message before it (`ready` may
    answer with one). Besides waking whoever awaits it in a later step of the event loop, as any future does, it
    hands its answer at once, within the step that decides it, to the callbacks given to `at_once`: the transport
    ends the message there, so a chain of messages each waiting for the one before moves at the speed of the server
    and the database, not of the other work on the loop."""

    _at_once: list[Callable[[bool], None]] | None = None

    def at_once(self, callback: Callable[[bool], None]) -> None:
        """Call `callback(answer)` as soon as the answer is set (now, if it is)."""
        if self.done():
            callback(bool(self.result()))
        else:
            self._at_once = [*(self._at_once or []), callback]

    def set_result(self, result: bool) -> None:
        super().set_result(result)
        for callback in self._at_once or ():
            callback(result)


class _Disconnected(Exception):
    """The server closed the connection (a reused connection the server timed out, or a server going down)."""


class _Refused(Exception):
    """The server answered a command with something other than the expected success."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(smtp_answer(code, text))
        self.code = code


def smtp_answer(code: int, reason: bytes | str) -> str:
    """An SMTP server's answer as the delivery log shows it: `550 5.1.1 <x@y>: Recipient address rejected`, plain
    text (servers send bytes, possibly not UTF-8, possibly over several lines)."""
    text = reason.decode("utf-8", errors="replace") if isinstance(reason, bytes) else str(reason)
    return f"{code} {' '.join(text.split())}".strip()


def tls_context(verify: bool) -> ssl.SSLContext:
    """The TLS settings for SMTPS and STARTTLS: the system's trusted CAs and a host name check (smtplib's own
    default checks neither). verify=False (SMTP_TLS_VERIFY=false) is for a local relay with a self-signed
    certificate only: the connection is still encrypted, but anyone in between could read it."""
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


END_OF_DATA = b".\r\n"


def data_lines(data: bytes) -> bytes:
    """A message as DATA carries it: CRLF line ends, a leading dot doubled (RFC 5321 4.5.2), the final CRLF and
    the terminating dot."""
    crlf = data.count(CRLF)
    if data.count(b"\n") != crlf or data.count(b"\r") != crlf:  # a line end other than CRLF (ours are all CRLF)
        data = _LINE_END.sub(CRLF, data)
    if data.startswith(b"."):
        data = b"." + data
    data = data.replace(b"\r\n.", b"\r\n..")
    return data + (END_OF_DATA if data.endswith(CRLF) else CRLF + END_OF_DATA)


class SmtpTransport:
    """One SMTP connection, kept open across messages, on the event loop that uses it (one coroutine at a time)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.extensions: dict[str, str] = {}
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._name = ""

    @property
    def connected(self) -> bool:
        return self._streams is not None

    def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """The connection's streams (the caller has connected)."""
        if self._streams is None:
            raise _Disconnected("not connected")
        return self._streams

    # ------------------------------------------------------------------------------------------ the conversation

    async def _reply(self) -> tuple[int, str]:
        """The server's next answer: its code and text (the lines of a multi-line answer joined)."""
        reader = self._open()[0]
        lines = []
        async with asyncio.timeout(TIMEOUT):
            while True:
                try:
                    line = await reader.readline()
                except ValueError as exc:  # a line longer than the stream's limit
                    raise _Refused(500, f"the server's answer is too long: {exc}") from exc
                if not line:
                    raise _Disconnected("the server closed the connection")
                lines.append(line[4:].strip().decode("utf-8", errors="replace"))
                if line[3:4] != b"-":
                    break
        try:
            return int(line[:3]), "\n".join(lines)
        except ValueError:
            raise _Refused(500, f"not an SMTP answer: {line[:80]!r}") from None

    async def _command(self, line: bytes, expected: int = 250) -> str:
        self._open()[1].write(line)
        code, text = await self._reply()
        if code != expected:
            raise _Refused(code, text)
        return text

    async def _hello(self) -> None:
        """EHLO (its answer lists the extensions), or HELO for a server that knows no EHLO."""
        self._open()[1].write(b"EHLO " + self._name.encode("ascii") + CRLF)
        code, text = await self._reply()
        if code != 250:
            await self._command(b"HELO " + self._name.encode("ascii") + CRLF)
            self.extensions = {}
            return
        self.extensions = {}
        for line in text.split("\n")[1:]:
            keyword, _, params = line.partition(" ")
            self.extensions[keyword.lower()] = params

    async def _login(self, user: str, password: str) -> None:
        offered = self.extensions.get("auth", "").upper().split()
        if "CRAM-MD5" in offered:
            challenge = base64.b64decode(await self._command(b"AUTH CRAM-MD5\r\n", 334))
            digest = hmac.new(password.encode(), challenge, "md5").hexdigest()
            await self._command(base64.b64encode(f"{user} {digest}".encode()) + CRLF, 235)
        elif "PLAIN" in offered or not offered:
            await self._command(b"AUTH PLAIN " + base64.b64encode(f"\0{user}\0{password}".encode()) + CRLF, 235)
        elif "LOGIN" in offered:
            await self._command(b"AUTH LOGIN\r\n", 334)
            await self._command(base64.b64encode(user.encode()) + CRLF, 334)
            await self._command(base64.b64encode(password.encode()) + CRLF, 235)
        else:
            raise _Refused(504, f"no authentication method in common (the server offers {' '.join(offered)})")

    async def _connect(self) -> None:
        s = self.settings
        context = tls_context(s.smtp_tls_verify) if s.smtp_ssl or s.smtp_starttls else None
        if not self._name:
            self._name = socket.getfqdn().encode("idna").decode("ascii") or "localhost"
        async with asyncio.timeout(TIMEOUT):
            self._streams = await asyncio.open_connection(
                s.smtp_host, s.smtp_port, ssl=context if s.smtp_ssl else None, limit=65536
            )
        self._loop = asyncio.get_running_loop()
        code, text = await self._reply()
        if code != 220:
            raise _Refused(code, text)
        await self._hello()
        if s.smtp_starttls:
            if "starttls" not in self.extensions:
                raise _Refused(502, "the server does not offer STARTTLS")
            await self._command(b"STARTTLS\r\n", 220)
            async with asyncio.timeout(TIMEOUT):
                await self._streams[1].start_tls(context or tls_context(s.smtp_tls_verify), server_hostname=s.smtp_host)
            await self._hello()
        if s.smtp_credentials:
            await self._login(*s.smtp_credentials)

    def drop(self) -> None:
        """Forget the connection without a goodbye (it failed, or its event loop is gone)."""
        if self._streams is not None:
            transport = self._streams[1].transport
            if self._loop is not None and not self._loop.is_closed():
                transport.abort()
            else:
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    sock.close()
        self._streams = None
        self._loop = None

    async def close(self) -> None:
        if self._streams is None:
            return
        if self._loop is not asyncio.get_running_loop():
            self.drop()
            return
        with contextlib.suppress(Exception, TimeoutError):  # saying goodbye is a courtesy: the socket closes anyway
            async with asyncio.timeout(5):
                writer = self._open()[1]
                writer.write(b"QUIT\r\n")
                await self._reply()
                writer.close()
                await writer.wait_closed()
        self.drop()

    async def _reset(self) -> None:
        try:
            await self._command(b"RSET\r\n")
        except (Exception, TimeoutError):
            self.drop()

    # ------------------------------------------------------------------------------------------ one message

    async def _end_on(self, turn: Turn, writer: asyncio.StreamWriter) -> bool:
        """Wait for `turn`, the message's content sent but its end not: the end goes out from the step that decides
        the turn (Turn.at_once), if the answer is yes and this send is still waiting for it on this connection (a
        send cancelled meanwhile must not complete its message later)."""
        waiting, ended = True, False

        def end(ok: bool) -> None:
            nonlocal ended
            if ok and waiting and self._streams is not None and self._streams[1] is writer:
                writer.write(END_OF_DATA)
                ended = True

        turn.at_once(end)
        try:
            answer = await asyncio.shield(turn)
        finally:
            waiting = False
        if answer and not ended:  # the connection was dropped meanwhile
            raise _Disconnected("the connection was closed before the message's end")
        return answer

    async def send(
        self, data: bytes, sender: str, recipient: str, ready: Callable[[], bool | Awaitable[bool]] | None = None
    ) -> None:
        """Deliver one message (its bytes, as mail.message.build_message writes them) or raise TemporaryFailure /
        PermanentFailure with the server's reason.

        `ready`, if given, says whether the message may be completed (e.g. once the previous message is marked
        sent): asked once the server waits for the content, it answers at once or with an awaitable, and then the
        whole message but its terminating dot goes out while the caller waits (the server accepts a message only
        at its end); a Turn has the dot sent by the code that decides it, in the same step. If it answers False,
        Withheld is raised and nothing was delivered: the connection is closed under the unfinished message.
        """
        # As smtplib's send_message does: an address beyond ASCII needs the server's SMTPUTF8 extension.
        options = b"" if (sender + recipient).isascii() else b" SMTPUTF8 BODY=8BITMIME"
        envelope = (
            b"MAIL FROM:<" + sender.encode() + b">" + options + CRLF,
            b"RCPT TO:<" + recipient.encode() + b">" + CRLF,
        )
        for attempt in (1, 2):  # a reused connection may have been closed by the server: reconnect once
            body_sent = False
            try:
                if self._streams is None or self._loop is not asyncio.get_running_loop():
                    self.drop()
                    try:
                        await self._connect()
                    except (_Refused, _Disconnected, TimeoutError, OSError) as exc:
                        self.drop()
                        raise TemporaryFailure(f"cannot reach the SMTP server: {exc}") from exc
                if options and "smtputf8" not in self.extensions:
                    raise PermanentFailure("the SMTP server does not accept addresses beyond ASCII (no SMTPUTF8)")
                writer = self._open()[1]
                if "pipelining" in self.extensions:
                    # RFC 2920: MAIL, RCPT and DATA in one write (DATA ends the group), their answers read after.
                    writer.write(envelope[0] + envelope[1] + b"DATA\r\n")
                    mail, rcpt, opened = await self._reply(), await self._reply(), await self._reply()
                else:
                    writer.write(envelope[0])
                    mail = await self._reply()
                    if mail[0] == 250:
                        writer.write(envelope[1])
                    rcpt = await self._reply() if mail[0] == 250 else mail
                    opened = (0, "")
                if mail[0] != 250 or rcpt[0] not in (250, 251):
                    if opened[0] == 354:  # the server opened the message despite refusing its envelope: walk away
                        self.drop()
                    else:
                        await self._reset()
                    raise _Refused(*(mail if mail[0] != 250 else rcpt))
                if opened[0] != 354:
                    if "pipelining" in self.extensions:
                        await self._reset()
                        raise _Refused(*opened)
                    await self._command(b"DATA\r\n", 354)
                content = data_lines(data)
                answer = True if ready is None else ready()
                if not isinstance(answer, bool):  # not known yet: the content goes out, its end waits
                    writer.write(content[: -len(END_OF_DATA)])
                    content = END_OF_DATA
                    if isinstance(answer, Turn):
                        answer = await self._end_on(answer, writer)
                        content = b""  # ended by then, if the answer was yes
                    else:
                        answer = await answer
                if not answer:
                    # The server waits for the end of the content: closing the connection ends the transaction
                    # with nothing delivered (RFC 5321 3.8).
                    self.drop()
                    raise Withheld("the message was held back before its end")
                body_sent = True
                if content:
                    writer.write(content)
                async with asyncio.timeout(TIMEOUT):
                    await writer.drain()
                await self._command(b"", 250)
                return
            except (Withheld, PermanentFailure):
                raise
            except asyncio.CancelledError:
                self.drop()  # mid-transaction: the conversation cannot go on with the next message
                raise
            except _Refused as exc:
                if exc.code in (354, 250) or exc.code < 400:  # an answer out of place: the conversation is lost
                    self.drop()
                    raise TemporaryFailure(f"the SMTP server answered out of turn: {exc}") from exc
                if body_sent:  # the message was refused after DATA; the transaction is over
                    await self._reset()
                raise (PermanentFailure if exc.code >= 500 else TemporaryFailure)(str(exc)) from exc
            except (_Disconnected, ConnectionResetError, BrokenPipeError) as exc:
                self.drop()
                if attempt == 2 or body_sent:
                    raise TemporaryFailure(f"server disconnected: {exc}") from exc
            except (TimeoutError, OSError) as exc:
                self.drop()
                raise TemporaryFailure(f"cannot reach the SMTP server: {exc}") from exc
