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

import msgspec

from events_app.db import queries
from events_app.services.people.accounts import CurrentAccount, require_admin

Q = queries.load(__file__)

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
    if isinstance(value, msgspec.Struct):  # a typed row
        value = msgspec.structs.asdict(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items() if str(k) not in SECRET_KEYS}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if isinstance(value, str) and value[:1] in "[{":
        try:  # JSON text a caller read elsewhere (e.g. through the ORM) is stored as the value it stands for
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
    await Q.record_audit_entry(
        account_id=account.id if account else None,
        account_email=account.email if account else "",
        action=action,
        subject_type=subject_type,
        subject_id="" if subject_id is None else str(subject_id),
        event_id=event_id,
        project_id=project_id,
        before=_json(before),
        after=_json(after),
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
    rows = await Q.audit_entries(
        event_id=event_id,
        project_id=project_id,
        actor=actor,
        action=action,
        before_id=before_id,
        page_size=max(1, min(limit, 500)),
    )
    out = []
    for r in rows:
        item = dict(r)
        for key in ("before", "after"):
            item[key] = queries.json_value(item[key])
        out.append(item)
    return out
