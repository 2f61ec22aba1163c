"""The benchmarks' SMTP sink: aiosmtpd's Sink (accepts every message and keeps nothing), offering PIPELINING (RFC
2920) as the relays a deployment sends through do (Postfix, Exim, Exchange and the large providers all offer it);
aiosmtpd reads commands in order from its stream, so a client's MAIL, RCPT and DATA in one write are served as
they would be one at a time.

    python -m aiosmtpd -n -l 127.0.0.1:PORT -c smtp_sink.PipeliningSink   (with bench/ on PYTHONPATH)
"""

from __future__ import annotations

from aiosmtpd.handlers import Sink


class PipeliningSink(Sink):
    async def handle_EHLO(self, server, session, envelope, hostname: str, responses: list[str]) -> list[str]:
        session.host_name = hostname  # what aiosmtpd does itself when no handler answers EHLO
        return [*responses[:-1], "250-PIPELINING", responses[-1]]
