"""The delivery log organizers read: what was sent to whom and when, what failed and why; and resending."""

from __future__ import annotations

from events_app.db import queries
from events_app.domain.errors import NotFound
from events_app.jobs import kick_outbox
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_organizer

Q = queries.load(__file__)


async def log(
    account: CurrentAccount, event_id: int, status: str | None = None, recipient: str | None = None, limit: int = 500
) -> list[dict]:
    await require_organizer(account, event_id)
    rows = await Q.delivery_log(
        event_id=event_id, status=status, recipient=recipient, row_limit=min(max(limit, 1), 5000)
    )
    return [dict(r) for r in rows]


async def resend(account: CurrentAccount, event_id: int, message_id: int) -> dict:
    """A failed message is retried from scratch; a sent one is sent again as a new message (same content)."""
    await require_organizer(account, event_id)
    row = await Q.message_status(message_id=message_id, event_id=event_id)
    if row is None:
        raise NotFound("message")
    if row["status"] in ("failed", "pending"):
        await Q.retry_message(message_id=message_id)
        new_id = message_id
    else:
        new_id = await Q.copy_message_for_resend(message_id=message_id)
    await audit.record(
        account,
        "delivery.resend",
        "outbox_message",
        message_id,
        {"status": row["status"]},
        {"message": new_id},
        event_id=event_id,
    )
    await kick_outbox()
    return dict(await Q.delivery_by_id(message_id=new_id))
