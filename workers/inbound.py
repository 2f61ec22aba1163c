"""Inbound iMIP endpoint: a small SMTP server that receives the REPLYs calendar clients send to the ORGANIZER
address when someone presses Accept/Decline (or proposes another time: COUNTER), and records them: answers to
meeting series, registration and session invites, proposals and delegations for the coordinators.

    INBOUND_SMTP_HOST=0.0.0.0 INBOUND_SMTP_PORT=2525 python -m workers.inbound

Route the reply mailbox's mail here (an MX or a forwarding rule), including its plus-addresses: every invitee's
invite names its own ORGANIZER `mailbox+r<token>@domain` (REPLY_MAILBOX, else the project's organizer address, else
MAIL_FROM), and only a REPLY carrying such a token changes an answer. Every message is answered 250 once it is
stored or rejected (rejections are logged and kept in meeting_inbound_reply, never bounced: a bounce would go to
whoever forged the sender); a database outage answers 451 so the sending server retries later.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from aiosmtpd.smtp import SMTP

from events_app.db.engine import DB, close_pool
from events_app.services.meetings import meeting_rsvp

log = logging.getLogger("workers.inbound")
MAX_MESSAGE_BYTES = 5 * 1024 * 1024


class ReplySMTP(SMTP):
    """RFC 5321 limits a line to 1,000 octets, but real replies break it (Outlook's X-ALT-DESC, an unfolded
    DESCRIPTION, 8bit HTML on one line) and aiosmtpd would answer such a message with a permanent 500, so the
    sender's server bounces the answer. The form of a message is never a reason to refuse it: a line may be as long
    as the message may be."""

    line_length_limit = MAX_MESSAGE_BYTES


class ReplyHandler:
    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content
        try:
            outcome = await meeting_rsvp.receive_reply(raw, envelope.mail_from or "", list(envelope.rcpt_tos))
        except Exception:  # noqa: BLE001 - the sender retries on 4xx; nothing was recorded
            log.exception("could not process an inbound message from %s", envelope.mail_from)
            return "451 4.3.0 Temporary failure, please retry"
        log.info(
            "inbound message from %s: %d recorded, %d rejected",
            envelope.mail_from,
            outcome.accepted,
            len(outcome.rejected),
        )
        return "250 2.0.0 OK"


STOP_SECONDS = 3


async def serve(host: str, port: int) -> None:
    # No connection at start: the endpoint listens even while the database is down (it answers 451 until it is up).
    await DB.start_connection_pool(min_size=0, max_size=4)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: ReplySMTP(
            ReplyHandler(), data_size_limit=MAX_MESSAGE_BYTES, enable_SMTPUTF8=True, hostname="imip-inbound"
        ),
        host=host,
        port=port,
    )
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("inbound iMIP endpoint listening on %s:%s", host, port)
    try:
        await stop.wait()
    finally:
        # A stop never waits on a client: sessions still open get a few seconds (a sender retries what it did not
        # finish), then the pool closes, its connections terminated if one is stuck on a database that went away.
        server.close()
        try:
            await asyncio.wait_for(server.wait_closed(), STOP_SECONDS)
        except TimeoutError:
            log.warning("inbound: sessions still open at stop; closing them")
        await close_pool(STOP_SECONDS)


def main() -> None:
    from events_app.settings import get_settings

    get_settings().check_production()  # like the API and the workers: no development shortcuts in production
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(
        serve(os.environ.get("INBOUND_SMTP_HOST", "127.0.0.1"), int(os.environ.get("INBOUND_SMTP_PORT", "2525")))
    )


if __name__ == "__main__":
    main()
