"""A confirmed registration's check-in code: issued when first needed (the confirmation email, the manage page,
the ticket, a desk downloading the check-in list), one live code per registration.

The code is domain.security.checkin_token of a stored 128-bit nonce; the database keeps the nonce and the SHA-256
of the code. A code belongs to the category it was issued for: a registration moved to another category gets a new
code (its badge changes) and the old one is refused as replaced; an erased registration's code is revoked; a
cancelled registration's code is refused for that reason. A substitute in a delegation is a new registration, so
a new code.
"""

from __future__ import annotations

from typing import Any

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.security import checkin_token, digest, new_nonce
from events_app.settings import get_settings

Q = queries.load(__file__)


def code_of(nonce: str) -> str:
    return checkin_token(get_settings().secret_key, nonce)


async def live_code(registration_id: int) -> str | None:
    """The registration's live check-in code, issued now if it has none for its current category; None unless the
    registration is confirmed (and not erased)."""
    row = await Q.live_code(registration_id=registration_id)
    if row is not None and _still_live(row):  # the usual case, a page showing the code: one read, no transaction
        return code_of(row["nonce"])
    async with DB.transaction():
        code = await _live_code(registration_id)
    return code


def _still_live(row: Any) -> bool:
    """Whether the registration's live code (if any) is still the one to show: confirmed, not erased, issued for its
    current category."""
    return (
        row["status"] == "confirmed"
        and row["anonymized_at"] is None
        and row["code_id"] is not None
        and row["code_category"] == row["category"]
    )


async def live_codes(registration_ids: list[int]) -> dict[int, str]:
    """live_code() for many registrations (a batch of confirmation emails): registration id -> its live code, or ""
    when it gets none (not confirmed, erased). One read and, for those without a code, one insert per event,
    instead of a transaction each."""
    rows = await Q.live_codes_of_registrations(registration_ids=registration_ids)
    codes: dict[int, str] = {}
    missing: dict[int, list] = {}  # event -> registrations without a code
    for row in rows:
        if row["status"] != "confirmed" or row["anonymized_at"] is not None:
            codes[row["id"]] = ""
        elif _still_live(row):
            codes[row["id"]] = code_of(row["nonce"])
        elif row["code_id"] is not None:  # moved to another category: revoke and issue, one at a time (rare)
            codes[row["id"]] = await live_code(row["id"]) or ""
        else:
            missing.setdefault(row["event"], []).append(row)
    for event_id, regs in missing.items():
        nonces = [new_nonce() for _ in regs]
        await Q.insert_codes(
            event_id=event_id,
            registration_ids=[r["id"] for r in regs],
            category_ids=[r["category"] for r in regs],
            nonces=nonces,
            code_hashes=[digest(code_of(n)) for n in nonces],
        )
    if missing:  # read back what is stored: a code issued meanwhile by another caller stays the live one
        issued = [r["id"] for regs in missing.values() for r in regs]
        for row in await Q.live_codes_of_registrations(registration_ids=issued):
            codes[row["id"]] = code_of(row["nonce"]) if row["nonce"] is not None else ""
    return codes


async def _live_code(registration_id: int) -> str | None:
    row = await Q.live_code(registration_id=registration_id)
    if row is None or row["status"] != "confirmed" or row["anonymized_at"] is not None:
        return None
    if _still_live(row):
        return code_of(row["nonce"])
    if row["code_id"] is not None:
        await Q.revoke_code(code_id=row["code_id"], reason="moved")
    nonce = new_nonce()
    stored = await Q.insert_code(
        registration_id=registration_id,
        event_id=row["event"],
        category_id=row["category"],
        nonce=nonce,
        code_hash=digest(code_of(nonce)),
    )
    if stored is None:  # issued by a concurrent call a moment ago: read it
        stored = (await Q.live_code(registration_id=registration_id))["nonce"]
    return code_of(stored)


async def issue_for_event(event_id: int) -> int:
    """Give every confirmed registration of the event a live code for its category (before a desk downloads the
    check-in list or badges are printed). Returns how many were issued."""
    async with DB.transaction():
        rows = await Q.registrations_needing_codes(event_id=event_id)
        if not rows:
            return 0
        stale = [r["stale_code"] for r in rows if r["stale_code"] is not None]
        if stale:
            await Q.revoke_codes(code_ids=stale, reason="moved")
        nonces = [new_nonce() for _ in rows]
        await Q.insert_codes(
            event_id=event_id,
            registration_ids=[r["id"] for r in rows],
            category_ids=[r["category"] for r in rows],
            nonces=nonces,
            code_hashes=[digest(code_of(n)) for n in nonces],
        )
    return len(rows)


async def revoke_for_erasure(registration_ids: list[int]) -> None:
    """Erasure: the registrations' codes stop working (called inside the erasure's transaction)."""
    if registration_ids:
        await Q.revoke_codes_of_registrations(registration_ids=registration_ids, reason="erased")
