"""Check-in at the door and in session rooms: who may do it, one scan, a synced batch of offline scans, the list an
offline desk downloads, and the search by name.

Check-in staff of an event (checkin_staff) see names, organizations, categories and check-in state, nothing else;
the event's organizers, its office's staff and administrators may check in too. Every scan is kept with its
outcome; a device's scan id makes a replayed scan change nothing twice (the stored answer is returned). Scans of one
registration at one place are serialized (an advisory lock), so two desks scanning the same badge at the same
moment give one admission and one duplicate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.checkin import (
    DOOR,
    CodeFacts,
    Method,
    Outcome,
    Reason,
    SessionFacts,
    looks_like_code,
    normalize_name,
    outcome,
    registration_verdict,
    scan_time,
    session_verdict,
)
from events_app.domain.errors import FieldError, Forbidden, NotFound, require
from events_app.domain.security import digest
from events_app.domain.text import clean_fields
from events_app.services.onsite import checkin_codes
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.platform import limits
from events_app.settings import get_settings

Q = queries.load(__file__)
MAX_BATCH = 500  # scans in one synced batch


@dataclass(frozen=True)
class Desk:
    """Who is checking in at which event: the account, and the desk name its scans carry by default."""

    account: CurrentAccount
    event_id: int
    event_title: str
    desk: str


async def require_checkin(account: CurrentAccount, event_id: int) -> Desk:
    """NotFound for an unknown event; Forbidden unless the account is check-in staff of this event, manages it, or
    is an administrator. Staff of one event cannot check in at another."""
    row = await Q.checkin_access(event_id=event_id, account_id=account.id)
    if row is None:
        raise NotFound("event")
    if not (row["manages"] or account.is_admin or row["desk"] is not None):
        raise Forbidden("your account is not check-in staff of this event")
    return Desk(account, event_id, row["title"], row["desk"] or account.name)


async def count_lookups(desk: Desk, client: str) -> None:
    """The abuse limits of check-in lookups (a scan, a search, a synced batch, the list): 429 over them, per
    account and per client address."""
    settings = get_settings()
    await limits.hit(
        ("checkin-account", str(desk.account.id), settings.limit_checkin_account, "check-in lookups"),
        ("checkin-ip", client, settings.limit_checkin_ip, "check-in lookups from your address"),
    )


async def _count_unknown(desk: Desk) -> None:
    await limits.hit(
        ("checkin-unknown", str(desk.account.id), get_settings().limit_checkin_unknown, "unknown check-in codes")
    )


# ----------------------------------------------------------------------------- staff


async def add_staff(account: CurrentAccount, event_id: int, data: dict[str, Any]) -> dict:
    """Organizers make an existing account check-in staff of their event (with a desk name)."""
    await require_organizer(account, event_id)
    data = clean_fields(data, ("desk",))
    staff_id = await Q.account_by_email(email=data["email"])
    if staff_id is None:
        require([FieldError("email", "no active account has this address: create the account first")])
    row = await Q.add_checkin_staff(event_id=event_id, account_id=staff_id, desk=data.get("desk") or "")
    return {"account_id": row["account"], "event_id": row["event"], "desk": row["desk"], "email": data["email"]}


async def remove_staff(account: CurrentAccount, event_id: int, staff_account_id: int) -> None:
    await require_organizer(account, event_id)
    if await Q.remove_checkin_staff(event_id=event_id, account_id=staff_account_id) is None:
        raise NotFound("check-in staff")


async def list_staff(account: CurrentAccount, event_id: int) -> list[dict]:
    await require_organizer(account, event_id)
    return [dict(r) for r in await Q.checkin_staff_of_event(event_id=event_id)]


# ----------------------------------------------------------------------------- scanning


def _facts(row) -> CodeFacts | None:
    if row is None:
        return None
    return CodeFacts(
        event_id=row["event"],
        status=row["status"],
        code_live=row["revoked_at"] is None and row["code_category"] == row["category"],
        erased=row["anonymized_at"] is not None,
    )


def _person(row) -> dict:
    """What staff may see of the person a scan found: name, organization, category. Nothing else."""
    if row is None:
        return {}
    return {
        "registration_id": row["registration_id"],
        "name": row["name"],
        "organization": row["organization"],
        "category": row["category_name"],
    }


async def _scan_one(desk: Desk, scan: dict[str, Any], received: datetime) -> dict:
    """One scan inside the caller's transaction: decide, keep it, record the winning check-in."""
    device = (scan.get("device") or desk.desk or "desk")[:60]
    scan_id = scan["scan_id"]
    session_id = scan.get("session_id") or DOOR
    stored = await Q.stored_scan(event_id=desk.event_id, device=device, scan_id=scan_id)
    if stored is not None:
        return await _answer_stored(desk, stored)
    code = (scan.get("code") or "").strip()
    if code:
        row = await Q.code_facts(code_hash=digest(code)) if looks_like_code(code) else None
        method = Method.CODE
    else:
        row = await Q.registration_facts(registration_id=scan["registration_id"])
        if row is not None and row["event"] != desk.event_id:
            row = None  # by name, only this event's registrations can be named: another event's id is unknown
        method = Method.NAME
    facts = _facts(row)
    reason = registration_verdict(facts, desk.event_id)
    # A genuine code of another event: who it is stays with that event.
    row_for_staff = None if reason is Reason.OTHER_EVENT else row
    scanned_at = scan_time(scan.get("scanned_at"), received)
    registration_id = row["registration_id"] if row is not None and reason is not Reason.OTHER_EVENT else None
    session_title = ""
    if reason is Reason.NONE and session_id != DOOR:
        found = await Q.session_checkin_facts(
            session_id=session_id, event_id=desk.event_id, registration_id=registration_id
        )
        if found is None:
            reason = Reason.OTHER_SESSION
        else:
            session_title = found["title"]
            reason = session_verdict(
                SessionFacts(found["requires_booking"], found["booking"], found["places"], found["present"])
            )
    first = None
    if registration_id is not None:
        await Q.lock_attendance_key(registration_id=registration_id, session_id=session_id)
        first = await Q.attendance_of(registration_id=registration_id, session_id=session_id)
    result = outcome(reason, first["checked_in_at"] if first else None, scanned_at)
    if result is Outcome.DUPLICATE:
        reason = Reason.ALREADY
    scan_row = await Q.insert_scan(
        event_id=desk.event_id,
        session_id=session_id,
        registration_id=registration_id,
        account_id=desk.account.id,
        device=device,
        scan_id=scan_id,
        method=method.value,
        scanned_at=scanned_at,
        outcome=result.value,
        reason=reason.value,
    )
    if scan_row is None:  # the same scan id from this device, received a moment ago: its stored answer
        return await _answer_stored(desk, await Q.stored_scan(event_id=desk.event_id, device=device, scan_id=scan_id))
    if result is Outcome.ADMITTED:
        await Q.set_attendance(
            event_id=desk.event_id,
            session_id=session_id,
            registration_id=registration_id,
            scan=scan_row,
            checked_in_at=scanned_at,
            device=device,
        )
        if first is not None:  # an earlier scan, synced late, wins: the one that won until now is a duplicate
            await Q.demote_scan(scan_id=first["scan"])
    return {
        "scan_id": scan_id,
        "outcome": result.value,
        "may_enter": result is Outcome.ADMITTED,
        "reason": reason.value,
        "session_id": session_id,
        "session_title": session_title,
        "scanned_at": scanned_at,
        "person": _person(row_for_staff),
        "first_checked_in_at": first["checked_in_at"] if first and result is Outcome.DUPLICATE else None,
        "first_device": first["device"] if first and result is Outcome.DUPLICATE else "",
        "replayed": False,
    }


async def _answer_stored(desk: Desk, stored) -> dict:
    """The answer a scan got when it was first received (a replay changes nothing)."""
    row = await Q.registration_facts(registration_id=stored["registration"]) if stored["registration"] else None
    first = (
        await Q.attendance_of(registration_id=stored["registration"], session_id=stored["session"])
        if stored["registration"]
        else None
    )
    return {
        "scan_id": "",
        "outcome": stored["outcome"],
        "may_enter": stored["outcome"] == Outcome.ADMITTED,
        "reason": stored["reason"],
        "session_id": stored["session"],
        "session_title": "",
        "scanned_at": stored["scanned_at"],
        "person": _person(row),
        "first_checked_in_at": first["checked_in_at"] if first else None,
        "first_device": first["device"] if first else "",
        "replayed": True,
    }


def _check_scan(scan: dict[str, Any], index: int | None = None) -> None:
    prefix = "" if index is None else f"scans[{index}]."
    errors = []
    if not scan.get("code") and not scan.get("registration_id"):
        errors.append(FieldError(f"{prefix}code", "send the scanned code, or the registration_id found by name"))
    scan_id = scan.get("scan_id") or ""
    if not (1 <= len(scan_id) <= 64):
        errors.append(FieldError(f"{prefix}scan_id", "a unique id per scan from the device, 1 to 64 characters"))
    require(errors)


async def scan(desk: Desk, data: dict[str, Any]) -> dict:
    """One scan at a desk that is online: the answer at once (admitted, duplicate with the first check-in, or
    refused with the reason)."""
    _check_scan(data)
    received = datetime.now(timezone.utc)
    async with DB.transaction():
        answer = await _scan_one(desk, data, received)
    if answer["reason"] == Reason.UNKNOWN:
        await _count_unknown(desk)
    return answer


async def sync(desk: Desk, scans: list[dict[str, Any]]) -> dict:
    """A batch of scans a desk made offline, in one transaction; replaying it changes nothing twice. Scans are
    taken in (registration, place) order so two batches locking the same registrations cannot deadlock; which scan
    wins is decided by when each happened, not by the order they arrive."""
    if len(scans) > MAX_BATCH:
        require([FieldError("scans", f"at most {MAX_BATCH} scans per batch: send the rest in another")])
    for i, s in enumerate(scans):
        _check_scan(s, i)
    received = datetime.now(timezone.utc)
    answers: list[dict | None] = [None] * len(scans)
    # Resolve the registration of each scan first (for the lock order); unknown codes sort first.
    keyed = []
    for i, s in enumerate(scans):
        key = 0
        if s.get("code") and looks_like_code(s["code"].strip()):
            found = await Q.code_facts(code_hash=digest(s["code"].strip()))
            key = found["registration_id"] if found else 0
        elif s.get("registration_id"):
            key = int(s["registration_id"])
        keyed.append((key, s.get("session_id") or DOOR, i))
    keyed.sort()
    async with DB.transaction():
        for _, _, i in keyed:
            answers[i] = await _scan_one(desk, scans[i], received)
    unknown = sum(1 for a in answers if a and a["reason"] == Reason.UNKNOWN)
    if unknown:
        await _count_unknown(desk)
    return {
        "received": len(scans),
        "admitted": sum(1 for a in answers if a and a["outcome"] == Outcome.ADMITTED and not a["replayed"]),
        "duplicates": sum(1 for a in answers if a and a["outcome"] == Outcome.DUPLICATE and not a["replayed"]),
        "refused": sum(1 for a in answers if a and a["outcome"] == Outcome.REFUSED and not a["replayed"]),
        "replayed": sum(1 for a in answers if a and a["replayed"]),
        "results": answers,
    }


async def checkin_list(desk: Desk) -> dict:
    """What an offline desk needs: for every confirmed registration (and every code ever issued, so an old code
    shows why it is refused), the SHA-256 of its code, name, organization, category, status and door check-in."""
    await checkin_codes.issue_for_event(desk.event_id)
    rows = await Q.checkin_list(event_id=desk.event_id)
    counts = await Q.checkin_counts(event_id=desk.event_id)
    return {
        "event_id": desk.event_id,
        "event_title": desk.event_title,
        "desk": desk.desk,
        "generated_at": datetime.now(timezone.utc),
        "registered": counts["registered"],
        "checked_in": counts["checked_in"],
        "people": [
            {
                "registration_id": r["registration_id"],
                "code_hash": r["code_hash"] or "",
                "state": "replaced" if r["replaced"] else r["status"],
                "name": r["name"],
                "organization": r["organization"],
                "category": r["category"],
                "checked_in_at": r["checked_in_at"],
                "device": r["device"] or "",
            }
            for r in rows
        ],
    }


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(desk: Desk, q: str, session_id: int = DOOR) -> list[dict]:
    """Registrations of the event whose name or organization contains `q` (at least 2 characters)."""
    q = " ".join(q.split())
    if len(q) < 2:
        require([FieldError("q", "type at least 2 characters of the name or the organization")])
    # Unicode case folding on both sides (PostgreSQL's pg_unicode_fast, Python's casefold): "шевч" finds
    # "Шевченко" whatever the database's locale.
    rows = await Q.search_by_name(event_id=desk.event_id, pattern=_like(normalize_name(q)), session_id=session_id)
    return [
        {
            "registration_id": r["registration_id"],
            "state": r["status"],
            "name": r["name"],
            "organization": r["organization"],
            "category": r["category"],
            "checked_in_at": r["checked_in_at"],
            "device": r["device"] or "",
        }
        for r in rows
    ]
