"""The delivery log organizers read: what was sent to whom and when, what failed and why; and resending."""

from __future__ import annotations

from events_app.db import sql
from events_app.domain.errors import NotFound
from events_app.jobs import kick_outbox
from events_app.services.people import audit
from events_app.services.people.accounts import CurrentAccount, require_organizer

COLUMNS = (
    "id, kind, recipient, status, attempts, last_error, calendar_method, calendar_sequence, message_id,"
    " created_at, sent_at, next_attempt_at"
)


async def log(
    account: CurrentAccount, event_id: int, status: str | None = None, recipient: str | None = None, limit: int = 500
) -> list[dict]:
    await require_organizer(account, event_id)
    rows = await sql.fetch(
        f"SELECT {COLUMNS} FROM outbox_message WHERE event = $1 AND ($2::text IS NULL OR status = $2)"
        " AND ($3::text IS NULL OR recipient = lower($3)) ORDER BY id DESC LIMIT $4",
        event_id,
        status,
        recipient,
        min(max(limit, 1), 5000),
    )
    return [dict(r) for r in rows]


async def resend(account: CurrentAccount, event_id: int, message_id: int) -> dict:
    """A failed message is retried from scratch; a sent one is sent again as a new message (same content)."""
    await require_organizer(account, event_id)
    row = await sql.fetchrow("SELECT status FROM outbox_message WHERE id = $1 AND event = $2", message_id, event_id)
    if row is None:
        raise NotFound("message")
    if row["status"] in ("failed", "pending"):
        await sql.execute(
            "UPDATE outbox_message SET status = 'pending', attempts = 0, next_attempt_at = now(),"
            " last_error = '' WHERE id = $1",
            message_id,
        )
        new_id = message_id
    else:
        new_id = await sql.fetchval(
            """INSERT INTO outbox_message (kind, event, registration, recipient, language, payload, calendar_method,
                   calendar_sequence, status, attempts, next_attempt_at, last_error, message_id, created_at)
               SELECT kind, event, registration, recipient, language, payload, calendar_method, calendar_sequence,
                      'pending', 0, now(), '', '', now() FROM outbox_message WHERE id = $1 RETURNING id""",
            message_id,
        )
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
    return dict(await sql.fetchrow(f"SELECT {COLUMNS} FROM outbox_message WHERE id = $1", new_id))
