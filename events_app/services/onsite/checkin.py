"""Check-in at the door and in session rooms: who may do it, one scan, a synced batch of offline scans, the list an
offline desk downloads, and the search by name.

Check-in staff of an event (checkin_staff) see names, organizations, categories and check-in state, nothing else;
the event's organizers, its office's staff and administrators may check in too. Every scan is kept with its
outcome; a device's scan id makes a replayed scan change nothing twice (the stored answer is returned). Scans of one
registration at one place are serialized (an advisory lock), so two desks scanning the same badge at the same
moment give one admission and one duplicate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.checkin import (
    DOOR,
    NAMEABLE_STATUSES,
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
    takes_place,
)
from events_app.domain.errors import FieldError, Forbidden, NotFound, Unauthorized, require
from events_app.domain.security import digest
from events_app.domain.text import LINE_MESSAGE, clean_fields, is_line
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
    starts_at: datetime | None = None  # the event's start: no scan is believed to have happened long before it


async def require_checkin(account: CurrentAccount, event_id: int) -> Desk:
    """NotFound for an unknown event; Forbidden unless the account is check-in staff of this event, manages it, or
    is an administrator. Staff of one event cannot check in at another."""
    return _desk(account, event_id, await Q.checkin_access(event_id=event_id, account_id=account.id))


def _desk(account: CurrentAccount, event_id: int, row) -> Desk:
    if row is None:
        raise NotFound("event")
    if not (row["manages"] or account.is_admin or row["desk"] is not None):
        raise Forbidden("your account is not check-in staff of this event")
    return Desk(account, event_id, row["title"], row["desk"] or account.name, row["starts_at"])


async def desk_of_session(token: str, event_id: int) -> Desk:
    """authenticate() and require_checkin() in one round trip, for the desk's sync (the busiest check-in route):
    Unauthorized for an unknown or expired login session, then the same NotFound and Forbidden as require_checkin.
    Nothing is kept between requests: every call reads the session and the account's roles afresh."""
    row = await Q.checkin_desk_of_session(token_hash=digest(token), event_id=event_id)
    if row is None:
        raise Unauthorized("the token is unknown or expired: log in again at POST /api/auth/login")
    account = CurrentAccount(row["account_id"], row["email"], row["account_name"], row["is_admin"])
    return _desk(account, event_id, row if row["event_id"] is not None else None)


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
    if row is None or row["registration_id"] is None:
        return None
    return CodeFacts(
        event_id=row["event"],
        status=row["status"],
        code_live=row["revoked_at"] is None and row["code_category"] == row["category"],
        erased=row["anonymized_at"] is not None,
    )


def _person(row) -> dict:
    """What staff may see of the person a scan found: name, organization, category. Nothing else."""
    if row is None or row["registration_id"] is None:
        return {}
    return {
        "registration_id": row["registration_id"],
        "name": row["name"],
        "organization": row["organization"],
        "category": row["category_name"],
    }


def _check_scan(scan: dict[str, Any], index: int | None = None) -> None:
    prefix = "" if index is None else f"scans[{index}]."
    errors = []
    if not scan.get("code") and not scan.get("registration_id"):
        errors.append(FieldError(f"{prefix}code", "send the scanned code, or the registration_id found by name"))
    scan_id = scan.get("scan_id") or ""
    if not (1 <= len(scan_id) <= 64):
        errors.append(FieldError(f"{prefix}scan_id", "a unique id per scan from the device, 1 to 64 characters"))
    elif not is_line(scan_id):
        errors.append(FieldError(f"{prefix}scan_id", LINE_MESSAGE))
    # The device is shown to other desks ("already checked in by ..."), in the list and the attendance: one line,
    # like the desk name an organizer gives (no control characters that could break or disguise what staff see).
    if not is_line(scan.get("device") or ""):
        errors.append(FieldError(f"{prefix}device", LINE_MESSAGE))
    require(errors)


@dataclass
class _Scan:
    """One scan of a batch on its way through the rules."""

    data: dict[str, Any]
    device: str
    session_id: int
    method: Method
    facts: Any  # the scan_batch_facts row
    scanned_at: datetime
    reason: Reason = Reason.NONE
    registration_id: int | None = None
    result: Outcome = Outcome.REFUSED
    first: dict | None = None  # the winning check-in before this scan (a duplicate's first)
    session: SessionFacts | None = None


def _answer(scan: _Scan) -> dict:
    row_for_staff = None if scan.reason is Reason.OTHER_EVENT else scan.facts  # who it is stays with that event
    first = scan.first if scan.result is Outcome.DUPLICATE else None
    return {
        "scan_id": scan.data["scan_id"],
        "outcome": scan.result.value,
        "may_enter": scan.result is Outcome.ADMITTED,
        "reason": scan.reason.value,
        "session_id": scan.session_id,
        "session_title": scan.facts["session_title"] if scan.session_id != DOOR else "",
        "scanned_at": scan.scanned_at,
        "person": _person(row_for_staff),
        "first_checked_in_at": first["checked_in_at"] if first else None,
        "first_device": first["device"] if first else "",
        "replayed": False,
    }


def _answer_stored(row, first: dict | None) -> dict:
    """The answer a scan got when it was first received (a replay changes nothing)."""
    return {
        "scan_id": "",
        "outcome": row["stored_outcome"],
        "may_enter": row["stored_outcome"] == Outcome.ADMITTED,
        "reason": row["stored_reason"],
        "session_id": row["stored_session"],
        "session_title": "",
        "scanned_at": row["stored_scanned_at"],
        "person": _person(row) if row["stored_registration"] else {},
        "first_checked_in_at": first["checked_in_at"] if first else None,
        "first_device": first["device"] if first else "",
        "replayed": True,
    }


def _nameable(desk: Desk, row) -> bool:
    return row["event"] == desk.event_id and row["status"] in NAMEABLE_STATUSES and row["anonymized_at"] is None


def _verdict(desk: Desk, scan: _Scan) -> None:
    """Who the scan found and whether they may enter here, from the facts read for the batch (the check-in so far
    is looked at later, under the lock)."""
    row = scan.facts
    if scan.method is Method.NAME and row["registration_id"] is not None and not _nameable(desk, row):
        # by name, only the registrations the search finds can be named: another event's id, or a rejected or
        # erased registration's, is unknown (sequential ids must not list who staff cannot search for)
        scan.facts = row = {**dict(row), "registration_id": None}
    reason = registration_verdict(_facts(row), desk.event_id)
    if reason is not Reason.OTHER_EVENT and row["registration_id"] is not None:
        scan.registration_id = row["registration_id"]
    if reason is Reason.NONE and scan.session_id != DOOR:
        if row["session_found"] is None:
            reason = Reason.OTHER_SESSION
        else:
            scan.session = SessionFacts(row["requires_booking"], row["booking"], row["places"], row["booked_count"])
    scan.reason = reason


async def _scan_batch(
    desk: Desk, batch: list[dict[str, Any]], received: datetime, counted: asyncio.Future[None] | None = None
) -> list[dict]:
    """A batch of scans in the caller's transaction, in a fixed number of statements whatever its size: read what
    every scan is (and which were received before) while locking each person's place, read their check-ins so far,
    decide each scan in the order they happened, and write every scan, the winning check-ins and the demoted ones
    in one statement. A walk-in into a session that needs booking takes its place one at a time (a conditional
    update of the session's places, so no session is ever overfilled)."""
    devices = [((s.get("device") or desk.desk or "desk")[:60]) for s in batch]
    codes = [(s.get("code") or "").strip() for s in batch]
    rows = await Q.scan_batch_facts(
        event_id=desk.event_id,
        account_id=desk.account.id,
        devices=devices,
        scan_ids=[s["scan_id"] for s in batch],
        code_hashes=[digest(c) if c and looks_like_code(c) else ("" if c else None) for c in codes],
        registration_ids=[None if c else int(s["registration_id"]) for s, c in zip(batch, codes, strict=True)],
        session_ids=[s.get("session_id") or DOOR for s in batch],
    )
    rows = sorted(rows, key=lambda r: r["ord"])
    # A scan whose claimed time is not believed is timed now, under the locks the facts took: two desks scanning
    # one badge at once are then timed in the order they are decided, so the later one is the duplicate.
    received = max(received, datetime.now(timezone.utc))
    answers: list[dict | None] = [None] * len(batch)
    fresh: list[tuple[int, _Scan]] = []
    replays: list[tuple[int, Any]] = []
    seen: set[tuple[str, str]] = set()
    for i, (data, row) in enumerate(zip(batch, rows, strict=True)):
        key = (devices[i], data["scan_id"])
        if row["stored_id"] is not None:
            replays.append((i, row))
            continue
        if key in seen:  # the same scan twice in one batch: the second is a replay of the first
            replays.append((i, None))
            continue
        seen.add(key)
        scan = _Scan(
            data=data,
            device=devices[i],
            session_id=data.get("session_id") or DOOR,
            method=Method.CODE if codes[i] else Method.NAME,
            facts=row,
            scanned_at=scan_time(data.get("scanned_at"), received, desk.starts_at),
        )
        _verdict(desk, scan)
        fresh.append((i, scan))
    admissible = [s for _, s in fresh if s.reason is Reason.NONE and s.registration_id is not None]
    # The facts carry the winning check-in so far at each scan's place (a fresh scan's, or where a replayed one was
    # stored), read after the locks were taken: every key decided or answered below is among them.
    firsts: dict[tuple[int, int], dict] = {
        (row["registration_id"], row["place"]): {
            "checked_in_at": row["first_checked_in_at"],
            "device": row["first_device"],
            "scan": row["first_scan"],
        }
        for row in rows
        if row["first_scan"] is not None
    }
    if counted is not None:  # the abuse limits, counted while the facts were read: over them, nothing is written
        await counted
    demote: list[int] = []
    # Decide in the order the scans happened: within a batch the earliest scan of a person at a place wins.
    for scan in sorted(admissible, key=lambda s: s.scanned_at):
        key = (scan.registration_id or 0, scan.session_id)
        first = firsts.get(key)
        if first is None and scan.session is not None:
            scan.reason = session_verdict(scan.session)
            if scan.reason is Reason.NONE and takes_place(scan.session):
                taken = await Q.take_walk_in_place(session_id=scan.session_id, registration_id=scan.registration_id)
                if taken is None:  # the last place went a moment ago
                    scan.reason = Reason.NOT_BOOKED
        scan.result = outcome(scan.reason, first["checked_in_at"] if first else None, scan.scanned_at)
        scan.first = first
        if scan.result is Outcome.DUPLICATE:
            scan.reason = Reason.ALREADY
        elif scan.result is Outcome.ADMITTED:
            if first is not None and first.get("scan") is not None:
                demote.append(first["scan"])  # an earlier scan, synced late, wins: the one that won until now
            firsts[key] = {"checked_in_at": scan.scanned_at, "device": scan.device, "scan": None}
    kept: set[tuple[str, str]] = set()
    if fresh:
        scans = [s for _, s in fresh]
        written = await Q.record_scans(
            event_id=desk.event_id,
            account_id=desk.account.id,
            session_ids=[s.session_id for s in scans],
            registration_ids=[s.registration_id for s in scans],
            devices=[s.device for s in scans],
            scan_ids=[s.data["scan_id"] for s in scans],
            methods=[s.method.value for s in scans],
            scanned_ats=[s.scanned_at for s in scans],
            outcomes=[s.result.value for s in scans],
            reasons=[s.reason.value for s in scans],
            demote_ids=demote,
        )
        kept = {(r["device"], r["scan_id"]) for r in written}
    late: list[int] = []
    for i, scan in fresh:
        if (scan.device, scan.data["scan_id"]) in kept:
            answers[i] = _answer(scan)
        else:  # the same scan id from this device, received a moment ago by another request: its stored answer
            late.append(i)
    for i, row in replays:
        if row is None:
            late.append(i)
        else:
            first = firsts.get((row["stored_registration"], row["stored_session"]))
            answers[i] = _answer_stored(row, first)
    if late:
        answers_late = await _scan_batch(desk, [batch[i] for i in late], received)
        for i, answer in zip(late, answers_late, strict=True):
            answers[i] = answer
    return [a for a in answers if a is not None]


async def scan(desk: Desk, data: dict[str, Any]) -> dict:
    """One scan at a desk that is online: the answer at once (admitted, duplicate with the first check-in, or
    refused with the reason)."""
    _check_scan(data)
    received = datetime.now(timezone.utc)
    async with DB.transaction(generic_plans=True):
        (answer,) = await _scan_batch(desk, [data], received)
    if answer["reason"] == Reason.UNKNOWN:
        await _count_unknown(desk)
    return answer


async def sync_at_login(
    token: str, event_id: int, client: str, scans_of: Callable[[], Awaitable[list[dict[str, Any]]]]
) -> dict:
    """The desk page's sync (its busiest route): the login session's desk is looked up on the batch's own
    connection, inside its transaction (one pool hand-over and one statement's transaction less), then the body is
    read (`scans_of`: an unknown session is answered before a malformed body), and the batch is synced as sync()
    does. The abuse limits (count_lookups) are counted in Redis while the facts are read: `_scan_batch` awaits them
    after reading the facts, so the two waits overlap, and before anything is decided or written, so a request over
    them changes nothing; they are awaited again in any case (429 whatever else it would have answered)."""
    received = datetime.now(timezone.utc)
    async with DB.transaction(generic_plans=True):
        desk = await desk_of_session(token, event_id)
        counted = asyncio.ensure_future(count_lookups(desk, client))
        try:
            scans = _checked_batch(await scans_of())
            answers = await _scan_batch(desk, scans, received, counted) if scans else []
        finally:
            await counted  # over the limits: 429, whatever else the request would have answered
    return await _synced(desk, scans, answers)


def _checked_batch(scans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(scans) > MAX_BATCH:
        require([FieldError("scans", f"at most {MAX_BATCH} scans per batch: send the rest in another")])
    for i, s in enumerate(scans):
        _check_scan(s, i)
    return scans


async def _synced(desk: Desk, scans: list[dict[str, Any]], answers: list[dict]) -> dict:
    if any(a["reason"] == Reason.UNKNOWN and not a["replayed"] for a in answers):
        await _count_unknown(desk)
    return {
        "received": len(scans),
        "admitted": sum(1 for a in answers if a["outcome"] == Outcome.ADMITTED and not a["replayed"]),
        "duplicates": sum(1 for a in answers if a["outcome"] == Outcome.DUPLICATE and not a["replayed"]),
        "refused": sum(1 for a in answers if a["outcome"] == Outcome.REFUSED and not a["replayed"]),
        "replayed": sum(1 for a in answers if a["replayed"]),
        "results": answers,
    }


async def sync(desk: Desk, scans: list[dict[str, Any]]) -> dict:
    """A batch of scans a desk made offline, in one transaction; replaying it changes nothing twice. Which scan
    wins is decided by when each happened, not by the order they arrive."""
    _checked_batch(scans)
    received = datetime.now(timezone.utc)
    answers: list[dict] = []
    if scans:
        async with DB.transaction(generic_plans=True):
            answers = await _scan_batch(desk, scans, received)
    return await _synced(desk, scans, answers)


async def _place(desk: Desk, session_id: int) -> dict | None:
    """The session a room's desk checks in at (None: the door); NotFound when it is not a session of this event."""
    if session_id == DOOR:
        return None
    row = await Q.checkin_session(event_id=desk.event_id, session_id=session_id)
    if row is None:
        raise NotFound("session")
    return dict(row)


async def places(desk: Desk) -> list[dict]:
    """Where a desk can check in: the door, and every session of the event that is not cancelled."""
    return [dict(r) for r in await Q.checkin_sessions(event_id=desk.event_id)]


async def checkin_list(desk: Desk, session_id: int = DOOR) -> dict:
    """What an offline desk needs at a place (the door, or a session room): for every confirmed registration (and
    every code ever issued, so an old code shows why it is refused), the SHA-256 of its code, name, organization,
    category, status, check-in at that place and booking of that session; for a session, its booking rule and its
    places (a walk-in takes one)."""
    session = await _place(desk, session_id)
    await checkin_codes.issue_for_event(desk.event_id)
    rows = await Q.checkin_list(event_id=desk.event_id, session_id=session_id)
    counts = await Q.checkin_counts(event_id=desk.event_id, session_id=session_id)
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
                "booking": r["booking"] or "",
            }
            for r in rows
        ],
        "session_id": session_id,
        "session_title": session["title"] if session else "",
        "requires_booking": bool(session and session["requires_booking"]),
        "places": session["places"] if session else None,
        "taken": session["taken"] if session else 0,
    }


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(desk: Desk, q: str, session_id: int = DOOR) -> list[dict]:
    """Registrations of the event whose name or organization contains `q` (at least 2 characters)."""
    q = " ".join(q.split())
    await _place(desk, session_id)
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
