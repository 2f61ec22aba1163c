"""Answers to meeting series: from the emailed links (no login) and from iMIP REPLY messages.

Both record a PARTSTAT for one occurrence or the whole series; the newest answer wins (a REPLY's DTSTAMP, a link's
time of use), so replies arriving out of order cannot overwrite a later answer. Only invitees whose invitation is
still active are heard; every inbound REPLY is logged with its outcome, rejected ones with the reason.
"""
from __future__ import annotations

import email
import email.policy
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parseaddr

import icalendar

from events_app.db import sql
from events_app.db.engine import DB
from events_app.domain.errors import Conflict, DomainError, NotFound
from events_app.domain.meetings import (
    PARTSTATS,
    answer_partstat,
    effective_partstat,
    find_occurrence,
    occurrence_key,
)
from events_app.domain.security import digest
from events_app.services.meetings import answers_of, occurrence_list, occurrence_out, series_row, timing_of

log = logging.getLogger(__name__)


class Gone(DomainError):
    def __init__(self, detail: str):
        super().__init__(detail, [], 410, "Gone")


async def _invitee(token: str) -> dict:
    row = await sql.fetchrow(
        "SELECT i.*, p.name, p.email, p.timezone AS person_timezone FROM meeting_invitee i"
        " JOIN person p ON p.id = i.person WHERE i.token_hash = $1", digest(token))
    if row is None:
        raise NotFound("invitation (the link is incomplete or not one of ours)")
    if row["withdrawn_at"] is not None:
        raise Gone("this invitation was withdrawn (you are no longer a contact of the project), so the link "
                   "no longer records answers")
    return dict(row)


async def view(token: str) -> dict:
    """What the invitee sees: the series, its occurrences and their own answer to each."""
    invitee = await _invitee(token)
    series = await series_row(invitee["series"])
    answers = (await answers_of(series["id"])).get(invitee["person"], [])
    series_answer = max((a for a in answers if a.recurrence_id is None), key=lambda a: a.answered_at, default=None)
    occs = [{**occurrence_out(series, o, invitee["person_timezone"]),
             "partstat": effective_partstat(answers, o.recurrence_id)} for o in await occurrence_list(series)]
    return {"series_id": series["id"], "title": series["title"], "status": series["status"],
            "timezone": series["timezone"], "name": invitee["name"],
            "series_partstat": series_answer.partstat if series_answer else "NEEDS-ACTION", "occurrences": occs}


async def answer(token: str, answer_text: str, occurrence: str | None, now: datetime | None = None) -> dict:
    """Record an answer from an RSVP link; idempotent (the same answer again changes only its time)."""
    now = now or datetime.now(timezone.utc)
    partstat = answer_partstat(answer_text)
    invitee = await _invitee(token)
    async with DB.transaction():
        series = await series_row(invitee["series"], lock=True)
        if series["status"] == "cancelled":
            raise Conflict("this meeting series is cancelled", "status")
        rid = None
        if occurrence:
            try:
                rid = find_occurrence(timing_of(series), occurrence)
            except LookupError:
                raise NotFound(f"occurrence {occurrence} of this series") from None
            occ = next(o for o in await occurrence_list(series) if o.key == occurrence)
            if occ.cancelled:
                raise Conflict(f"the meeting {occurrence} is cancelled", "occurrence")
        await _record(series["id"], invitee["person"], rid, partstat, "link", now)
    return await view(token)


async def _record(series_id: int, person_id: int, rid: datetime | None, partstat: str, source: str,
                  answered_at: datetime) -> bool:
    """Upsert unless a newer answer for the same scope exists. Returns True if stored."""
    stored = await sql.fetchval(
        """INSERT INTO meeting_rsvp (series, person, recurrence_id, partstat, source, answered_at)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (series, person, recurrence_id) DO UPDATE SET partstat = EXCLUDED.partstat,
               source = EXCLUDED.source, answered_at = EXCLUDED.answered_at
           WHERE meeting_rsvp.answered_at <= EXCLUDED.answered_at
           RETURNING id""", series_id, person_id, rid, partstat, source, answered_at)
    return stored is not None


# --------------------------------------------------------------------------- inbound iMIP REPLY


@dataclass(frozen=True)
class ReplyOutcome:
    accepted: int
    rejected: list[str]


def calendar_parts(raw: bytes) -> tuple[str, list[bytes]]:
    """The envelope sender (From header) and every text/calendar or .ics part of a mail message."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        if part.get_content_type() in ("text/calendar", "application/ics") or (
                (part.get_filename() or "").lower().endswith(".ics")):
            parts.append(part.get_payload(decode=True) or b"")
    return sender, parts[:1]  # clients attach the same object twice (inline + file): the first is authoritative


async def _log(sender: str, uid: str, attendee: str, rid: datetime | None, partstat: str, outcome: str,
               reason: str = "") -> None:
    await sql.execute(
        "INSERT INTO meeting_inbound_reply (received_at, sender, calendar_uid, attendee, recurrence_id, partstat,"
        " outcome, reason) VALUES (now(), $1, $2, $3, $4, $5, $6, $7)",
        sender[:320], uid[:255], attendee[:320], rid, partstat[:20], outcome, reason)
    if outcome == "rejected":
        log.warning("iMIP REPLY rejected: sender=%s uid=%s attendee=%s: %s", sender, uid, attendee, reason)
    else:
        log.info("iMIP REPLY recorded: uid=%s attendee=%s recurrence-id=%s partstat=%s", uid, attendee, rid,
                 partstat)


async def receive_reply(raw: bytes, envelope_sender: str = "", now: datetime | None = None) -> ReplyOutcome:
    """Process one inbound mail: each VEVENT of a METHOD:REPLY is recorded or rejected (and logged)."""
    now = now or datetime.now(timezone.utc)
    header_sender, parts = calendar_parts(raw)
    sender = header_sender or envelope_sender.lower()
    if not parts:
        await _log(sender, "", "", None, "", "rejected", "no text/calendar part")
        return ReplyOutcome(0, ["no text/calendar part"])
    try:
        cal = icalendar.Calendar.from_ical(parts[0])
    except Exception as exc:  # noqa: BLE001 - anything unparsable is a rejection, not a crash
        await _log(sender, "", "", None, "", "rejected", f"unreadable iCalendar: {exc}")
        return ReplyOutcome(0, ["unreadable iCalendar"])
    method = str(cal.get("METHOD", "")).upper()
    if method != "REPLY":
        await _log(sender, "", "", None, "", "rejected", f"METHOD:{method or '-'} is not REPLY")
        return ReplyOutcome(0, [f"METHOD {method} is not REPLY"])
    accepted, rejected = 0, []
    for vevent in cal.walk("VEVENT"):
        reason = await _reply_event(vevent, sender, now)
        if reason:
            rejected.append(reason)
        else:
            accepted += 1
    return ReplyOutcome(accepted, rejected)


async def _reply_event(vevent, sender: str, now: datetime) -> str:
    uid = str(vevent.get("UID", ""))
    attendees = vevent.get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else ([attendees] if attendees is not None else [])
    attendee = str(attendees[0]).removeprefix("mailto:").removeprefix("MAILTO:").lower() if attendees else ""
    partstat = str(attendees[0].params.get("PARTSTAT", "")).upper() if attendees else ""
    rid = None
    if vevent.get("RECURRENCE-ID") is not None:
        value = vevent["RECURRENCE-ID"].dt
        rid = value.astimezone(timezone.utc) if isinstance(value, datetime) and value.tzinfo else None
    stamp = vevent.get("DTSTAMP")
    answered_at = min(stamp.dt.astimezone(timezone.utc), now) if stamp is not None and isinstance(
        stamp.dt, datetime) and stamp.dt.tzinfo else now

    async def reject(reason: str) -> str:
        await _log(sender, uid, attendee, rid, partstat, "rejected", reason)
        return reason

    if len(attendees) != 1:
        return await reject(f"a REPLY names exactly one ATTENDEE, found {len(attendees)}")
    if partstat not in PARTSTATS:
        return await reject(f"PARTSTAT {partstat or '-'} is not ACCEPTED, DECLINED or TENTATIVE")
    try:
        uuid.UUID(uid)
    except ValueError:
        return await reject("UID is not one of our meeting series")
    async with DB.transaction():
        series_id = await sql.fetchval("SELECT id FROM meeting_series WHERE calendar_uid = $1::uuid", uid)
        if series_id is None:
            return await reject("UID is not one of our meeting series")
        series = await series_row(series_id, lock=True)
        person = await sql.fetchval(
            "SELECT i.person FROM meeting_invitee i JOIN person p ON p.id = i.person WHERE i.series = $1"
            " AND p.email = $2 AND i.withdrawn_at IS NULL", series_id, attendee)
        if person is None:
            return await reject(f"{attendee} is not invited to this series")
        if sender != attendee:
            return await reject(f"sent by {sender}, not by the attendee {attendee}")
        if series["status"] == "cancelled":
            return await reject("the series is cancelled")
        if rid is not None:
            try:
                rid = find_occurrence(timing_of(series), occurrence_key(rid))
            except LookupError:
                return await reject(f"RECURRENCE-ID {occurrence_key(rid)} is not an occurrence of this series")
        stored = await _record(series_id, person, rid, partstat, "imip", answered_at)
        await _log(sender, uid, attendee, rid, partstat, "accepted", "" if stored else "older than the stored answer")
    return ""
