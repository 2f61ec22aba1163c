"""The delegate's ticket: a one-page PDF with the check-in code as a QR code, reached with the manage link."""

from __future__ import annotations

import anyio

from events_app.db import queries
from events_app.documents import pdf
from events_app.domain.errors import Conflict
from events_app.domain.events import location_text
from events_app.domain.vocab import country_name
from events_app.mail.compose import when_text
from events_app.mail.render import translate
from events_app.services.onsite import checkin_codes
from events_app.services.registration import registrations

Q = queries.load(__file__)


async def ticket_pdf(token: str) -> tuple[bytes, str]:
    """The ticket of the registration whose manage token this is, and a file name. 404 for an unknown token, 409
    unless the registration is confirmed (a cancelled, pending or waiting registration has no ticket)."""
    registration = await registrations.get_by_token(token)
    code = await checkin_codes.live_code(registration["id"])
    if code is None:
        raise Conflict(f"a {registration['status']} registration has no ticket", "status")
    event = await Q.ticket_event(event_id=registration["event_id"])
    language = registration["language"] or "en"
    ticket = pdf.Ticket(
        code=code,
        event_title=event["title"],
        when=when_text(event["starts_at"], event["ends_at"], event["timezone"], language),
        where=location_text(
            event["venue_name"], event["venue_address"], event["city"], country_name(event["country"]), ""
        ),
        name=registration["name"],
        organization=registration["organization_name"] or "",
        category=registration["category_name"],
        labels={
            "ticket": translate(language, "Ticket"),
            "show": translate(language, "Show this code at the entrance."),
        },
    )
    data = await anyio.to_thread.run_sync(pdf.ticket, ticket)  # fonts and shaping: CPU, off the event loop
    return data, f"ticket-{registration['event_id']}-{registration['id']}.pdf"
