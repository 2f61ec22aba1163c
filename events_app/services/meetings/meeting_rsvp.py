"""Answers to meeting series: from the emailed links (no login) and from iMIP REPLY messages.

Both record a PARTSTAT for one occurrence or the whole series; the newest answer wins (a REPLY's DTSTAMP, a link's
time of use), so replies arriving out of order cannot overwrite a later answer. Only invitees whose invitation is
still active are heard; every inbound REPLY is logged with its outcome, rejected ones with the reason, and the
project's coordinators can read that log.

A REPLY proves its origin by the reply token of the per-recipient ORGANIZER address it was sent to
(domain/replies.py), never by its From header or ATTENDEE: the answer goes to the token's invitee, so an ATTENDEE
written with an alias of the invited address still counts, and a message without a valid token changes nothing.
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

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.errors import Conflict, Gone, NotFound
from events_app.domain.meetings import (
    PARTSTATS,
    answer_partstat,
    effective_partstat,
    find_occurrence,
    occurrence_key,
)
from events_app.domain.replies import REJECTION_REASONS, tokens_in
from events_app.domain.security import digest
from events_app.services.meetings.meetings import answers_of, occurrence_list, occurrence_out, series_row, timing_of
from events_app.services.meetings.rows import ROWS, InvitationRow
from events_app.services.people.accounts import require_coordinator

log = logging.getLogger(__name__)
Q = queries.load(__file__, rows=ROWS)


async def _invitee(token: str) -> InvitationRow:
    row = await Q.invitation_by_token_hash(token_hash=digest(token))
    if row is None:
        raise NotFound("invitation", "invitation (the link is incomplete or not one of ours) not found")
    if row.withdrawn_at is not None:
        raise Gone(
            "this invitation was withdrawn (you are no longer a contact of the project), so the link "
            "no longer records answers"
        )
    return row


async def view(token: str) -> dict:
    """What the invitee sees: the series, its occurrences and their own answer to each."""
    invitee = await _invitee(token)
    series = await series_row(invitee.series)
    answers = (await answers_of(series.id)).get(invitee.person, [])
    series_answer = max((a for a in answers if a.recurrence_id is None), key=lambda a: a.answered_at, default=None)
    occs = [
        {
            **occurrence_out(series, o, invitee.person_timezone),
            "partstat": effective_partstat(answers, o.recurrence_id),
        }
        for o in await occurrence_list(series)
    ]
    return {
        "series_id": series.id,
        "title": series.title,
        "status": series.status,
        "timezone": series.timezone,
        "name": invitee.name,
        "series_partstat": series_answer.partstat if series_answer else "NEEDS-ACTION",
        "occurrences": occs,
    }


async def answer(token: str, answer_text: str, occurrence: str | None, now: datetime | None = None) -> dict:
    """Record an answer from an RSVP link; idempotent (the same answer again changes only its time)."""
    now = now or datetime.now(timezone.utc)
    partstat = answer_partstat(answer_text)
    invitee = await _invitee(token)
    async with DB.transaction():
        series = await series_row(invitee.series, lock=True)
        if series.status == "cancelled":
            raise Conflict("this meeting series is cancelled", "status")
        rid = None
        if occurrence:
            try:
                rid = find_occurrence(timing_of(series), occurrence)
            except LookupError:
                raise NotFound("occurrence", f"occurrence {occurrence} of this series not found") from None
            occ = next(o for o in await occurrence_list(series) if o.key == occurrence)
            if occ.cancelled:
                raise Conflict(f"the meeting {occurrence} is cancelled", "occurrence")
        await _record(series.id, invitee.person, rid, partstat, "link", now)
    return await view(token)


async def _record(
    series_id: int, person_id: int, rid: datetime | None, partstat: str, source: str, answered_at: datetime
) -> bool:
    """Upsert unless a newer answer for the same scope exists. Returns True if stored."""
    stored = await Q.record_answer(
        series_id=series_id,
        person_id=person_id,
        recurrence_id=rid,
        partstat=partstat,
        source=source,
        answered_at=answered_at,
    )
    return stored is not None


# --------------------------------------------------------------------------- inbound iMIP REPLY


@dataclass(frozen=True)
class ReplyOutcome:
    accepted: int
    rejected: list[str]  # reason codes (domain.replies.REJECTION_REASONS)


@dataclass(frozen=True)
class Invitation:
    """The invitation whose reply address a message came to: the only thing that says who answered."""

    series_id: int
    person_id: int
    email: str
    withdrawn: bool


@dataclass(frozen=True)
class Proof:
    invitation: Invitation | None
    code: str  # why there is no invitation: no-token, bad-token or token-conflict


MAX_TOKENS = 8  # a message naming more addresses than that is not a calendar reply; bounds the lookups
# Headers that may hold the address a message was sent to (forwarders rewrite the envelope, not these).
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")


def calendar_parts(raw: bytes) -> tuple[str, list[str], list[bytes]]:
    """The From address, the addresses of the recipient headers, and every text/calendar or .ics part."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    sender = parseaddr(str(message.get("From", "")))[1].lower()
    recipients = [str(value) for name in RECIPIENT_HEADERS for value in message.get_all(name, [])]
    parts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        if part.get_content_type() in ("text/calendar", "application/ics") or (
            (part.get_filename() or "").lower().endswith(".ics")
        ):
            parts.append(part.get_payload(decode=True) or b"")
    return sender, recipients, parts[:1]  # clients attach the same object twice (inline + file): the first counts


async def _proof(addresses: list[str]) -> Proof:
    """Find the invitation of the reply tokens in these addresses. A token proves the message was written by
    someone holding that recipient's invite; tokens of two different invitations prove nothing."""
    tokens = tokens_in(addresses)[:MAX_TOKENS]
    if not tokens:
        return Proof(None, "no-token")
    found: dict[tuple[int, int], Invitation] = {}
    for token in tokens:
        row = await Q.invitation_by_reply_hash(reply_hash=digest(token))
        if row is not None:
            found[(row["series"], row["person"])] = Invitation(
                row["series"], row["person"], row["email"], row["withdrawn_at"] is not None
            )
    if not found:
        return Proof(None, "bad-token")
    if len(found) > 1:
        return Proof(None, "token-conflict")
    return Proof(next(iter(found.values())), "")


async def _log(
    sender: str,
    uid: str,
    attendee: str,
    rid: datetime | None,
    partstat: str,
    outcome: str,
    reason: str = "",
    code: str = "",
    series_id: int | None = None,
) -> None:
    await Q.log_inbound_reply(
        sender=sender[:320],
        calendar_uid=uid[:255],
        attendee=attendee[:320],
        recurrence_id=rid,
        partstat=partstat[:20],
        outcome=outcome,
        reason=reason,
        reason_code=code,
        series_id=series_id,
    )
    if outcome == "rejected":
        log.warning("iMIP REPLY rejected: sender=%s uid=%s attendee=%s: %s (%s)", sender, uid, attendee, reason, code)
    else:
        log.info("iMIP REPLY recorded: uid=%s attendee=%s recurrence-id=%s partstat=%s", uid, attendee, rid, partstat)


def _organizers(cal) -> list[str]:
    found = []
    for vevent in cal.walk("VEVENT"):
        organizer = vevent.get("ORGANIZER")
        for value in organizer if isinstance(organizer, list) else [organizer] if organizer is not None else []:
            found.append(str(value))
    return found


async def receive_reply(
    raw: bytes, envelope_sender: str = "", recipients: list[str] | None = None, now: datetime | None = None
) -> ReplyOutcome:
    """Process one inbound mail: each VEVENT of a METHOD:REPLY is recorded or rejected (and logged).

    `recipients` are the envelope's RCPT TO addresses. The answer counts only with a valid reply token in them,
    in a recipient header or in the reply's ORGANIZER, and it is recorded for that token's invitee.
    """
    now = now or datetime.now(timezone.utc)
    header_sender, header_recipients, parts = calendar_parts(raw)
    sender = header_sender or envelope_sender.lower()
    addresses = [*(recipients or []), *header_recipients]
    cal = None
    if parts:
        try:
            cal = icalendar.Calendar.from_ical(parts[0])
        except Exception as exc:  # noqa: BLE001 - anything unparsable is a rejection, not a crash
            proof = await _proof(addresses)
            series_id = proof.invitation.series_id if proof.invitation else None
            await _log(sender, "", "", None, "", "rejected", f"unreadable iCalendar: {exc}", "unreadable", series_id)
            return ReplyOutcome(0, ["unreadable"])
    proof = await _proof(addresses + (_organizers(cal) if cal is not None else []))
    series_id = proof.invitation.series_id if proof.invitation else None
    if cal is None:
        await _log(sender, "", "", None, "", "rejected", "no text/calendar part", "no-calendar", series_id)
        return ReplyOutcome(0, ["no-calendar"])
    method = str(cal.get("METHOD", "")).upper()
    if method != "REPLY":
        await _log(sender, "", "", None, "", "rejected", f"METHOD:{method or '-'} is not REPLY", "not-reply", series_id)
        return ReplyOutcome(0, ["not-reply"])
    accepted, rejected = 0, []
    for vevent in cal.walk("VEVENT"):
        code = await _reply_event(vevent, sender, proof, now)
        if code:
            rejected.append(code)
        else:
            accepted += 1
    return ReplyOutcome(accepted, rejected)


async def _reply_event(vevent, sender: str, proof: Proof, now: datetime) -> str:
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
    answered_at = (
        min(stamp.dt.astimezone(timezone.utc), now)
        if stamp is not None and isinstance(stamp.dt, datetime) and stamp.dt.tzinfo
        else now
    )
    invitation = proof.invitation
    series_id = invitation.series_id if invitation else None

    async def reject(code: str, detail: str = "") -> str:
        await _log(sender, uid, attendee, rid, partstat, "rejected", detail or REJECTION_REASONS[code], code, series_id)
        return code

    if len(attendees) != 1:
        return await reject("attendee-count", f"a REPLY names exactly one ATTENDEE, found {len(attendees)}")
    if partstat not in PARTSTATS:
        return await reject("partstat", f"PARTSTAT {partstat or '-'} is not ACCEPTED, DECLINED or TENTATIVE")
    try:
        uuid.UUID(uid)
    except ValueError:
        return await reject("unknown-uid", "UID is not one of our meeting series")
    async with DB.transaction():
        uid_series = await Q.series_id_by_uid(calendar_uid=uid)
        if uid_series is None:
            return await reject("unknown-uid", "UID is not one of our meeting series")
        series_id = uid_series
        if invitation is None:
            return await reject(
                proof.code,
                {
                    "no-token": f"no reply token: not sent to a reply address of an invitation (From {sender})",
                    "bad-token": "the reply token is not one of our invitations'",
                    "token-conflict": "reply tokens of different invitations",
                }[proof.code],
            )
        if invitation.series_id != uid_series:
            return await reject("other-series", "the reply token belongs to an invitation to another series")
        series = await series_row(uid_series, lock=True)
        if invitation.withdrawn:
            return await reject("withdrawn", f"the invitation of {invitation.email} was withdrawn")
        named = await Q.active_invitee_with_address(series_id=uid_series, email=attendee)
        if named is not None and named != invitation.person_id:
            return await reject(
                "other-invitee", f"the reply token is {invitation.email}'s, the ATTENDEE {attendee} is another invitee"
            )
        if series.status == "cancelled":
            return await reject("cancelled", "the series is cancelled")
        if rid is not None:
            try:
                rid = find_occurrence(timing_of(series), occurrence_key(rid))
            except LookupError:
                return await reject(
                    "bad-occurrence", f"RECURRENCE-ID {occurrence_key(rid)} is not an occurrence of this series"
                )
        stored = await _record(uid_series, invitation.person_id, rid, partstat, "imip", answered_at)
        notes = [] if stored else ["older than the stored answer"]
        if attendee != invitation.email:
            notes.append(f"for the invitation of {invitation.email}")  # ATTENDEE is an alias of that address
        await _log(sender, uid, attendee, rid, partstat, "accepted", "; ".join(notes), "", uid_series)
    return ""


# --------------------------------------------------------------------------- what coordinators see


async def inbound_replies(account, project_id: int, limit: int = 200) -> list[dict]:
    """The newest inbound replies about the project's series (heard or not, with why), for its coordinators."""
    await require_coordinator(account, project_id)
    rows = await Q.inbound_replies_of_project(project_id=project_id, row_limit=limit)
    return [{**dict(r), "explanation": REJECTION_REASONS.get(r["reason_code"], "")} for r in rows]
