"""The outbox: messages written in the transaction of the change that causes them, sent later by a worker.

Claiming leases rows (status 'sending' until lease_until) with FOR UPDATE SKIP LOCKED, so concurrent workers never
take the same row; a worker that dies before marking a row sent leaves its lease to expire, and the row is sent
again: a crash may resend, never lose. A worker whose batch takes longer than the lease renews it as it goes
(renew()), so a live worker's rows are not taken by another; each claim increments `attempts`, which tells a
worker whether a row it claimed is still its own.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from typing import Any

from events_app.db import queries
from events_app.settings import get_settings

Q = queries.load(__file__)
MAX_ATTEMPTS = 8
ROWS_PER_SLICE = 400  # about 2 ms of JSON encoding between turns of the event loop


async def enqueue(
    kind: str,
    recipient: str,
    *,
    event_id: int | None = None,
    registration_id: int | None = None,
    language: str = "en",
    payload: dict[str, Any] | None = None,
    calendar_method: str | None = None,
    calendar_sequence: int | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Write one message; call inside the transaction that makes the change.

    With a dedupe_key the message is written at most once (None is returned when it already exists). Nothing is
    written for reserved `.invalid` addresses (placeholders for imported speakers whose address is not known yet).
    """
    if recipient.endswith(".invalid"):
        return None
    return await Q.enqueue_message(
        kind=kind,
        event_id=event_id,
        registration_id=registration_id,
        recipient=recipient,
        language=language,
        payload=payload or {},
        calendar_method=calendar_method,
        calendar_sequence=calendar_sequence,
        dedupe_key=dedupe_key,
    )


async def enqueue_many(messages: list[dict[str, Any]]) -> int:
    """Write many messages in one statement (one round trip, however many recipients): each dict holds enqueue()'s
    arguments by name (`kind` and `recipient` required). Same rules as enqueue(): `.invalid` addresses are skipped and
    a dedupe_key writes its message at most once. Returns the number written."""
    rows = [
        {
            "n": n,
            "kind": m["kind"],
            "recipient": m["recipient"],
            "event_id": m.get("event_id"),
            "registration_id": m.get("registration_id"),
            "language": m.get("language") or "en",
            "payload": m.get("payload") or {},
            "calendar_method": m.get("calendar_method"),
            "calendar_sequence": m.get("calendar_sequence"),
            "dedupe_key": m.get("dedupe_key"),
        }
        for n, m in enumerate(messages)
        if not m["recipient"].endswith(".invalid")
    ]
    if not rows:
        return 0
    return await Q.enqueue_messages(messages=await _json_array(rows))


async def _json_array(rows: list[dict[str, Any]]) -> str:
    """The rows as one JSON array, encoded a slice at a time with the event loop let through in between: a venue
    change's 3,000 messages took about 20 ms to encode in one piece, and every request on the loop waited for it.
    Values JSON cannot say are written as their text, as the pool's codec writes them."""
    parts = []
    for start in range(0, len(rows), ROWS_PER_SLICE):
        if start:
            await asyncio.sleep(0)
        parts.append(json.dumps(rows[start : start + ROWS_PER_SLICE], default=str)[1:-1])
    return "[" + ",".join(parts) + "]"


async def claim(limit: int) -> list[dict]:
    """Lease up to `limit` due messages (pending, or sending with an expired lease) to this worker."""
    rows = await Q.claim_due_messages(batch_size=limit, lease=timedelta(seconds=get_settings().outbox_lease_seconds))
    return [dict(r) for r in sorted(rows, key=lambda r: r["id"])]


async def renew(rows: list[dict]) -> set[int]:
    """Extend the lease on claimed rows this worker still holds; returns their ids.

    A row is still held if it is 'sending' with the attempt number our claim gave it: a row whose lease ran out and
    that another worker claimed has a higher one, and belongs to that worker now.
    """
    if not rows:
        return set()
    renewed = await Q.renew_leases(
        ids=[r["id"] for r in rows],
        attempts=[r["attempts"] for r in rows],
        lease=timedelta(seconds=get_settings().outbox_lease_seconds),
    )
    return {r["id"] for r in renewed}


async def release(rows: list[dict]) -> None:
    """Give back claimed rows this worker did not send (its batch was cut short by a lost database connection): due
    again at once, the attempt not counted. Only rows it still holds are touched (see renew)."""
    if not rows:
        return
    await Q.release_leases(ids=[r["id"] for r in rows], attempts=[r["attempts"] for r in rows])


async def mark_sent(message_id: int, header_id: str) -> None:
    await Q.mark_message_sent(message_id=message_id, header_id=header_id)


def backoff(attempts: int, base: float | None = None) -> timedelta:
    """base, 2 base, 4 base, ... (base 30 s by default) capped at one hour."""
    base = get_settings().outbox_retry_base_seconds if base is None else base
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


async def mark_retry(message_id: int, attempts: int, error: str) -> str:
    """A temporary failure: try again later, or give up after MAX_ATTEMPTS. Returns the new status."""
    if attempts >= MAX_ATTEMPTS:
        await mark_failed(message_id, f"gave up after {attempts} attempts: {error}")
        return "failed"
    await Q.mark_message_retry(
        message_id=message_id, next_attempt_at=datetime.now(timezone.utc) + backoff(attempts), error=error[:2000]
    )
    return "pending"


async def mark_failed(message_id: int, error: str) -> None:
    await Q.mark_message_failed(message_id=message_id, error=error[:2000])


async def queued_within_an_hour(kind: str, **payload: Any) -> bool:
    """Whether a message of this kind about these payload values went out (or waits) in the last hour: the guard
    of the notices one person can set off again and again (a reply resent, an answer flipped)."""
    return bool(await Q.queued_within_an_hour(kind=kind, payload=payload))


async def due_count() -> int:
    return await Q.due_message_count()
