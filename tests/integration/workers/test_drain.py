"""The outbox drain against real PostgreSQL and a real SMTP server (aiosmtpd in this process, on a free port).

The drain composes the next messages while earlier SMTP transactions wait for the server, over more than one
connection, and ends each message only once the one before it is marked sent. The server here checks, at the end
of every message (when it accepts it), that each message it accepted before is already marked sent in the
database: a worker killed at any moment can have at most one message sent but not marked.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from email.parser import BytesHeaderParser

import asyncpg
import pytest
from aiosmtpd.controller import Controller

from events_app.db import sql
from events_app.mail.transport import SmtpTransport, Turn
from events_app.settings import get_settings
from tests.fixtures import free_port, published_event
from workers import delivery


class Checking:
    """Accepts every message but those in `reject`; at each DATA, looks up which rows the database has as sent."""

    def __init__(self, reject: dict[str, str] | None = None, pipelining: bool = False) -> None:
        self.reject = reject or {}
        self.pipelining = pipelining  # offer PIPELINING (RFC 2920): MAIL, RCPT and DATA then come in one write
        self.accepted: list[str] = []  # Message-IDs, in order
        self.unmarked_at_data: list[list[str]] = []  # per DATA: messages accepted before it and not marked sent
        self.connection: asyncpg.Connection | None = None

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        return [*responses[:-1], "250-PIPELINING", responses[-1]] if self.pipelining else responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return self.reject[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.connection is None:  # this handler runs on the server's own event loop, in its own thread
            self.connection = await asyncpg.connect(get_settings().database_url)
        sent = {
            r["message_id"]
            for r in await self.connection.fetch("SELECT message_id FROM outbox_message WHERE status = 'sent'")
        }
        self.unmarked_at_data.append([mid for mid in self.accepted if mid not in sent])
        self.accepted.append(str(BytesHeaderParser().parsebytes(envelope.content)["Message-ID"]))
        return "250 OK queued"


@pytest.fixture
async def smtp_server():
    """start(handler) serves the handler on a free port and points the worker's transport at it; start(None)
    points it at a free port where nothing listens."""
    controllers: list[Controller] = []
    previous = delivery._transport

    def start(handler):
        port = free_port()
        if handler is not None:
            controller = Controller(handler, hostname="127.0.0.1", port=port)
            controller.start()
            controllers.append(controller)
        delivery._transport = SmtpTransport(dataclasses.replace(get_settings(), smtp_url=f"smtp://127.0.0.1:{port}"))
        return handler

    yield start
    for controller in controllers:
        controller.stop()
    await delivery.close()
    delivery._transport = previous


async def register(client, event_id: int, emails: list[str]) -> None:
    for address in emails:
        response = await client.post(
            f"/api/events/{event_id}/registrations",
            json={"email": address, "name": "Delegate", "category": "delegate", "consent": True},
        )
        assert response.status_code == 201, response.text


async def statuses() -> dict[str, str]:
    return {r["recipient"]: r["status"] for r in await sql.fetch("SELECT recipient, status FROM outbox_message")}


@pytest.mark.parametrize("pipelining", [False, True])
async def test_drain_marks_each_message_sent_before_the_next_one_is_handed_over(
    client, organizer, smtp_server, pipelining
):
    server = smtp_server(Checking(pipelining=pipelining))
    event = await published_event(client, organizer)
    emails = [f"delegate{i:02d}@example.org" for i in range(12)]
    await register(client, event["id"], emails)

    counts = await delivery.drain()

    rows = await sql.fetch("SELECT recipient, status, message_id FROM outbox_message ORDER BY id")
    assert counts == {"sent": 12, "retry": 0, "failed": 0}
    assert [r["status"] for r in rows] == ["sent"] * 12
    assert server.accepted == [r["message_id"] for r in rows]  # each once, in the order of the outbox
    assert server.unmarked_at_data == [[]] * 12


@pytest.mark.parametrize("pipelining", [False, True])
async def test_a_refused_recipient_fails_alone_and_the_rest_are_sent_and_marked_in_order(
    client, organizer, smtp_server, pipelining
):
    refused = "unknown@example.org"
    server = smtp_server(Checking(reject={refused: "550 5.1.1 User unknown"}, pipelining=pipelining))
    event = await published_event(client, organizer)
    emails = ["first@example.org", refused, "third@example.org", "fourth@example.org"]
    await register(client, event["id"], emails)

    counts = await delivery.drain()

    failed = await sql.fetchrow("SELECT status, last_error FROM outbox_message WHERE recipient = $1", refused)
    assert counts == {"sent": 3, "retry": 0, "failed": 1}
    assert (failed["status"], "550" in failed["last_error"]) == ("failed", True)
    assert await statuses() == {**{e: "sent" for e in emails}, refused: "failed"}
    assert server.unmarked_at_data == [[]] * 3


async def test_an_unreachable_server_puts_the_batch_back_untried(client, organizer, smtp_server):
    smtp_server(None)
    event = await published_event(client, organizer)
    emails = [f"delegate{i:02d}@example.org" for i in range(5)]
    await register(client, event["id"], emails)

    counts = await delivery.drain()

    rows = await sql.fetch("SELECT status, next_attempt_at > now() AS later, last_error FROM outbox_message")
    assert counts == {"sent": 0, "retry": 1, "failed": 0}  # one tried; the rest put back without a try each
    assert [(r["status"], r["later"]) for r in rows] == [("pending", True)] * 5
    assert all("cannot reach the SMTP server" in r["last_error"] for r in rows)


@pytest.mark.parametrize("pipelining", [False, True])
async def test_a_message_held_back_is_not_delivered_and_the_next_one_is(smtp_server, pipelining):
    """When `ready` says no, nothing is delivered (with PIPELINING the server already waits for the content: the
    connection is closed under it), and the next message goes out on a new connection."""
    server = smtp_server(Checking(pipelining=pipelining))
    transport = delivery.transport()
    message = b"Message-ID: <%d@example.org>\r\nSubject: x\r\n\r\nbody\r\n"

    async def no() -> bool:
        return False

    await transport.send(message % 1, "from@example.org", "to@example.org")
    assert ("pipelining" in transport.extensions) is pipelining
    with pytest.raises(delivery.Withheld):
        await transport.send(message % 2, "from@example.org", "to@example.org", no)
    await transport.send(message % 3, "from@example.org", "to@example.org")
    assert server.accepted == ["<1@example.org>", "<3@example.org>"]


async def test_a_send_given_up_while_it_waits_for_its_turn_never_completes_its_message(smtp_server):
    """The end of a message waiting for a Turn goes out from the step that decides the turn, but only while its send
    still waits: a send cancelled before (a worker stopping) leaves its message undelivered for good, and the next
    message goes out on a new connection."""
    server = smtp_server(Checking(pipelining=True))
    transport = delivery.transport()
    message = b"Message-ID: <%d@example.org>\r\nSubject: x\r\n\r\nbody\r\n"
    turn, asked = Turn(), asyncio.Event()

    def ready() -> Turn:
        asked.set()
        return turn

    waiting = asyncio.ensure_future(transport.send(message % 1, "from@example.org", "to@example.org", ready))
    await asked.wait()
    await asyncio.sleep(0.05)  # the content is out; the send waits for its turn
    waiting.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiting
    turn.set_result(True)
    await transport.send(message % 2, "from@example.org", "to@example.org")
    decided = Turn()
    decided.set_result(True)
    await transport.send(message % 3, "from@example.org", "to@example.org", lambda: decided)
    assert server.accepted == ["<2@example.org>", "<3@example.org>"]
