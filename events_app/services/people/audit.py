"""The audit trail of organizer, coordinator and administrator actions: who, what, when, before and after.

`record` joins the transaction in progress (call it inside `DB.transaction()`), so an entry exists exactly when
its change was committed. Values are stored as JSON; dates become ISO strings.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from events_app.db import sql
from events_app.services.people.accounts import CurrentAccount, require_admin

# Never copied into the trail, whatever a caller passes.
SECRET_KEYS = {
    "password",
    "password_hash",
    "token",
    "token_hash",
    "token_nonce",
    "feed_nonce",
    "feed_hash",
    "manage_token",
    "invitation_token",
}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if str(k) not in SECRET_KEYS}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, str) and value[:1] in "[{":
        try:  # JSONB columns arrive as text from asyncpg
            return json.loads(value)
        except ValueError:
            return value
    return value


def _json(value: Any) -> Any:
    return None if value is None else _plain(value)


async def record(
    account: CurrentAccount | None,
    action: str,
    subject_type: str,
    subject_id: Any,
    before: Any = None,
    after: Any = None,
    *,
    event_id: int | None = None,
    project_id: int | None = None,
) -> None:
    """Write one entry. `before`/`after` are the changed values (a row, or just the fields that changed)."""
    if subject_type == "event" and event_id is None:
        event_id = int(subject_id)
    if subject_type == "project" and project_id is None:
        project_id = int(subject_id)
    await sql.execute(
        """INSERT INTO audit_log (at, account, account_email, action, subject_type, subject_id, event, project,
                                  before, after)
           VALUES (clock_timestamp(), $1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb)""",
        account.id if account else None,
        account.email if account else "",
        action,
        subject_type,
        "" if subject_id is None else str(subject_id),
        event_id,
        project_id,
        _json(before),
        _json(after),
    )


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields whose values differ, as (before, after)."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


async def entries(
    account: CurrentAccount,
    *,
    event_id: int | None = None,
    project_id: int | None = None,
    actor: str | None = None,
    action: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[dict]:
    """Newest first; page with before_id (the smallest id of the previous page). Administrators only."""
    require_admin(account)
    rows = await sql.fetch(
        """SELECT id, at, account AS account_id, account_email, action, subject_type, subject_id, event AS event_id,
                  project AS project_id, before, after
           FROM audit_log
           WHERE ($1::int IS NULL OR event = $1) AND ($2::int IS NULL OR project = $2)
             AND ($3::text IS NULL OR account_email = lower($3)) AND ($4::text IS NULL OR action LIKE $4 || '%')
             AND ($5::bigint IS NULL OR id < $5)
           ORDER BY id DESC LIMIT $6""",
        event_id,
        project_id,
        actor,
        action,
        before_id,
        max(1, min(limit, 500)),
    )
    out = []
    for r in rows:
        item = dict(r)
        for key in ("before", "after"):
            if isinstance(item[key], str):
                item[key] = json.loads(item[key])
        out.append(item)
    return out
