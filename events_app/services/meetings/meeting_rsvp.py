"""Answers to meeting series: from the emailed links (no login) and from iMIP REPLY and COUNTER messages.

Both record a PARTSTAT for one occurrence or the whole series; the answer the system received last wins, whatever
DTSTAMP a reply carries (Outlook and iOS copy the invite's DTSTAMP into their REPLY: it tells which invite version
was answered, never when). A reply naming one occurrence is recorded for that occurrence only; when the occurrence
cannot be told, nothing changes and the person is emailed. Only invitees whose invitation is still active are
heard; every inbound message is logged with its outcome, rejected ones with the reason, and the project's
coordinators read that log, the proposals of other times (COUNTER, iOS) and the delegations (RFC 5546 4.2.5), and
decide them. Replies about an event's or a session's invite are handed to registration.calendar_answers.

A REPLY proves its origin by the reply token of the per-recipient ORGANIZER address it was sent to
(domain/replies.py), never by its From header or ATTENDEE: the answer goes to the token's invitee, so an ATTENDEE
written with an alias of the invited address still counts, and a message without a valid token changes nothing.
"""

from __future__ import annotations

import email
import email.policy
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.utils import parseaddr

import icalendar

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.errors import Conflict, Gone, InvalidInput, NotFound
from events_app.domain.ical import METHOD_DECLINECOUNTER
from events_app.domain.itip_in import (
    InboundItem,
    Proposal,
    UnplacedOccurrence,
    answering_attendee,
    calendar_text,
    duration_of,
    place_occurrence,
    proposal_in_reply,
    read_items,
    repair_lines,
)
from events_app.domain.meetings import (
    PARTSTATS,
    answer_partstat,
    effective_partstat,
    find_occurrence,
    occurrence_key,
)
from events_app.domain.replies import MAX_DELEGATES_PER_INVITEE, REJECTION_REASONS, tokens_in
from events_app.domain.security import digest
from events_app.jobs import kick_outbox
from events_app.services.meetings import coordinator_notices, meetings
from events_app.services.meetings.meetings import answers_of, occurrence_list, occurrence_out, series_row, timing_of
from events_app.services.meetings.rows import ROWS, InvitationRow
from events_app.services.people import audit
from events_app.services.people.accounts import require_coordinator, require_organizer
from events_app.services.people.people import link_or_create_person
from events_app.services.platform import outbox
from events_app.services.registration import calendar_answers
from events_app.services.registration.registrations import normalize_email

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


# --------------------------------------------------------------------------- inbound iMIP REPLY and COUNTER


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
MAX_ITEMS = 50  # VEVENTs read from one message (a series with its overrides); the rest is ignored
# Headers that may hold the address a message was sent to (forwarders rewrite the envelope, not these).
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")
PROOF_TEXTS = {
    "no-token": "no reply token: not sent to a reply address of an invitation",
    "bad-token": "the reply token is not one of our invitations'",
    "token-conflict": "reply tokens of different invitations",
}


def _headers(message, name: str) -> list[str]:
    """A header's values as text; a value the structured parser chokes on is read as its raw text."""
    try:
        return [str(v) for v in message.get_all(name, [])]
    except Exception:  # noqa: BLE001 - a malformed header is data, not a reason to fail the message
        return [str(v) for _, v in message.raw_items() if _.lower() == name.lower()]


CALENDAR_TYPES = ("text/calendar", "application/ics", "application/x-ics", "text/x-vcalendar")
CALENDAR_SUFFIXES = (".ics", ".ical", ".ifb", ".vcs")
TNEF_TYPES = ("application/ms-tnef", "application/vnd.ms-tnef")
MAX_PARTS = 8  # calendar parts tried in one message


@dataclass(frozen=True)
class MailParts:
    sender: str
    recipients: list[str]
    calendars: list[tuple[bytes, str]]  # each calendar part as UTF-8 and its MIME method parameter, in order
    tnef: bool  # an Outlook TNEF part (winmail.dat) was there: its calendar cannot be read


def calendar_parts(raw: bytes) -> MailParts:
    """The From address, the addresses of the recipient headers, and every text/calendar or .ics part as UTF-8
    (whatever charset and transfer encoding it came in), first first, without repeats: clients attach the same
    object twice (inline and as invite.ics), and some put an empty or broken calendar part before the good one."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    from_values = _headers(message, "From")
    sender = parseaddr(from_values[0])[1].lower().replace("\x00", "") if from_values else ""
    recipients = [value for name in RECIPIENT_HEADERS for value in _headers(message, name)]
    calendars: list[tuple[bytes, str]] = []
    tnef = False
    for part in message.walk():
        if part.is_multipart():
            continue
        try:
            filename = (part.get_filename() or "").lower()
        except Exception:  # noqa: BLE001 - an unreadable filename parameter
            filename = ""
        content_type = part.get_content_type()
        if content_type in TNEF_TYPES or filename == "winmail.dat":
            tnef = True
            continue
        if content_type in CALENDAR_TYPES or filename.endswith(CALENDAR_SUFFIXES):
            payload = part.get_payload(decode=True)
            payload = payload if isinstance(payload, bytes) else b""
            try:
                charset = part.get_content_charset()
            except Exception:  # noqa: BLE001 - an unreadable charset parameter: guessed from the bytes
                charset = None
            try:
                method = str(part.get_param("method") or "").strip().upper()
            except Exception:  # noqa: BLE001 - an unreadable method parameter
                method = ""
            text = calendar_text(payload, charset)
            same = next((i for i, (seen, _) in enumerate(calendars) if seen == text), None)
            if same is not None:
                if method and not calendars[same][1]:  # the attached copy came first without its method parameter
                    calendars[same] = (text, method)
            elif text.strip():
                calendars.append((text, method))
            if len(calendars) >= MAX_PARTS:
                break
    return MailParts(sender, recipients, calendars, tnef)


def _read_calendar(parts: list[tuple[bytes, str]]) -> tuple[object | None, list[InboundItem], str, str]:
    """The calendar object that answers, from the first part that holds one: a REPLY or COUNTER with a VEVENT
    first, else the first readable object (rejected by its METHOD), else the first parse error. A part with several
    VCALENDARs counts its first with a VEVENT."""
    first: tuple[object, list[InboundItem]] | None = None
    error = ""
    readable = False
    for text, part_method in parts:
        try:
            calendars = icalendar.Calendar.from_ical(repair_lines(text), multiple=True)
        except Exception as exc:  # noqa: BLE001 - the next part may be readable
            error = error or str(exc)
            continue
        for cal in calendars:
            if getattr(cal, "name", "") != "VCALENDAR":
                continue
            readable = True
            try:
                items = read_items(cal, part_method)[:MAX_ITEMS]
            except Exception as exc:  # noqa: BLE001 - a part nobody can read
                error = error or str(exc)
                continue
            if not items:
                continue
            if items[0].method in ("REPLY", "COUNTER"):
                return cal, items, "", ""
            first = first or (cal, items)
    if first is not None:
        return first[0], first[1], "", ""
    if readable:
        return None, [], "no VEVENT in the calendar part", "no-calendar"
    return None, [], f"unreadable iCalendar: {error or 'no complete VCALENDAR'}", "unreadable"


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
    event_id: int | None = None,
) -> None:
    # a NUL (which PostgreSQL refuses in text) in a header or the calendar must not turn a rejection into a 451
    sender, uid, attendee, partstat, reason = (v.replace("\x00", "") for v in (sender, uid, attendee, partstat, reason))
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
        event_id=event_id,
    )
    if outcome == "rejected":
        log.warning("iMIP reply rejected: sender=%s uid=%s attendee=%s: %s (%s)", sender, uid, attendee, reason, code)
    else:
        log.info("iMIP reply recorded: uid=%s attendee=%s recurrence-id=%s partstat=%s", uid, attendee, rid, partstat)


def _organizers(cal) -> list[str]:
    """The ORGANIZER addresses (and their EMAIL parameters: Apple and CalDAV servers may write a urn:uuid: URI)."""
    found = []
    for vevent in cal.walk("VEVENT"):
        organizer = vevent.get("ORGANIZER")
        for value in organizer if isinstance(organizer, list) else [organizer] if organizer is not None else []:
            found.append(str(value))
            found.append(str(getattr(value, "params", {}).get("EMAIL", "") or ""))
    return [f for f in found if f]


async def receive_reply(
    raw: bytes, envelope_sender: str = "", recipients: list[str] | None = None, now: datetime | None = None
) -> ReplyOutcome:
    """Process one inbound mail: each VEVENT of a METHOD:REPLY or COUNTER is recorded or rejected (and logged).

    `recipients` are the envelope's RCPT TO addresses. An answer counts only with a valid reply token in them, in
    a recipient header or in the reply's ORGANIZER, and it is recorded for that token's invitee. What the message
    looks like (encodings, line lengths, broken MIME) never raises: it is a rejection with its reason; only a
    database failure raises (the endpoint then answers 451 and the sender retries).
    """
    now = now or datetime.now(timezone.utc)
    addresses = list(recipients or [])
    try:
        mail = calendar_parts(raw)
    except Exception as exc:  # noqa: BLE001 - a message nobody can parse is a rejection, never a retry
        proof = await _proof(addresses)
        series_id = proof.invitation.series_id if proof.invitation else None
        await _log(
            envelope_sender.lower(), "", "", None, "", "rejected", f"unreadable message: {exc}", "unreadable", series_id
        )
        return ReplyOutcome(0, ["unreadable"])
    sender = mail.sender or envelope_sender.lower()
    addresses += mail.recipients
    cal, items, problem, code = _read_calendar(mail.calendars) if mail.calendars else (None, [], "", "no-calendar")
    addresses += _organizers(cal) if cal is not None else []
    proof = await _proof(addresses)
    series_id = proof.invitation.series_id if proof.invitation else None
    if cal is None:
        if not mail.calendars:
            problem = "no text/calendar part"
            if mail.tnef:
                problem += (
                    " (only an Outlook TNEF winmail.dat, which this endpoint does not read: the sender's Outlook "
                    "should send iCalendar to this address)"
                )
        await _log(sender, "", "", None, "", "rejected", problem, code, series_id)
        return ReplyOutcome(0, [code])
    method = items[0].method
    if method == "REFRESH":
        code = await _refresh(items[0], sender, proof)
        if not code:
            await kick_outbox()
        return ReplyOutcome(0 if code else 1, [code] if code else [])
    if method not in ("REPLY", "COUNTER"):
        await _log(
            sender,
            "",
            "",
            None,
            "",
            "rejected",
            f"METHOD:{method or '-'} is not REPLY or COUNTER",
            "not-reply",
            series_id,
        )
        return ReplyOutcome(0, ["not-reply"])
    accepted, rejected = 0, []
    for item in items:
        code = await _reply_event(item, sender, proof, addresses, now)
        if code:
            rejected.append(code)
        else:
            accepted += 1
    if accepted:
        await kick_outbox()  # a release link, a delegate's invite or a note to the person
    return ReplyOutcome(accepted, rejected)


# Exchange's binary GlobalObjectId written in hex, wrapping an iCalendar UID it received (MS-OXCICAL): after the
# "vCal-Uid" marker and a 4-byte version come the UID's bytes up to a NUL.
_VCAL_UID = re.compile(r"7643616C2D55696401000000((?:[0-9A-F]{2})+?)00(?:[0-9A-F]{2})*$", re.IGNORECASE)
_PADDED_HEX = re.compile(r"^([0-9A-F]{32})0+$", re.IGNORECASE)


def _uuid_key(value: str) -> str | None:
    """The UID as our UIDs are stored (lowercase, hyphenated), None when it cannot be one of ours: a client may
    write it in capitals, in braces or as a urn:uuid: URI (which the database would refuse to read); Outlook may
    send back Exchange's hex GlobalObjectId that wraps our UID, and ActiveSync clients (Android's Email) our UUID's
    hex digits padded with zeros."""
    text = (value or "").strip()
    wrapped = _VCAL_UID.search(text)
    if wrapped:
        try:
            text = bytes.fromhex(wrapped.group(1)).decode("ascii").strip()
        except (ValueError, UnicodeDecodeError):
            return None
    padded = _PADDED_HEX.match(text)
    if padded:
        text = padded.group(1)
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return None


async def _reply_event(item: InboundItem, sender: str, proof: Proof, addresses: list[str], now: datetime) -> str:
    uid = item.uid
    key = _uuid_key(uid)
    invitation = proof.invitation
    # only the invitation's own ATTENDEE may answer in a reply that copies the invite's other ATTENDEEs
    hints = [invitation.email] if invitation is not None else []
    if invitation is None and key is not None:
        hints += await calendar_answers.token_holder_emails(addresses)
    answerer, delegate, error = answering_attendee(item, [*hints, sender])
    attendee = answerer.email if answerer else (item.attendees[0].email if item.attendees else "")
    partstat = answerer.partstat if answerer else ""
    series_id = invitation.series_id if invitation else None
    rid: datetime | None = None
    event_id: int | None = None

    async def reject(code: str, detail: str = "") -> str:
        await _log(
            sender,
            uid,
            attendee,
            rid,
            partstat,
            "rejected",
            detail or REJECTION_REASONS[code],
            code,
            series_id,
            event_id,
        )
        return code

    if answerer is None:
        return await reject("attendee-count", error)
    if item.method == "REPLY" and partstat not in (*PARTSTATS, "DELEGATED"):
        return await reject("partstat", f"PARTSTAT {partstat or '-'} is not ACCEPTED, DECLINED or TENTATIVE")
    uid_series = await Q.series_id_by_uid(calendar_uid=key) if key is not None else None
    if uid_series is None:
        if key is not None and item.method == "REPLY" and partstat in PARTSTATS:
            # The answer (with its release link or release) and its log line commit together: a message answered 451
            # because the database went away in between is retried by the sender, and records neither twice.
            async with DB.transaction():
                heard = await calendar_answers.receive(key, attendee, partstat, addresses, now)
                if heard is not None:
                    event_id, series_id = heard.event_id, None
                    if heard.code:
                        return await reject(heard.code, heard.detail)
                    await _log(sender, uid, attendee, None, partstat, "accepted", heard.detail, "", None, event_id)
                    return ""
        if key is not None and await calendar_answers.is_ours(key):
            return await reject(
                "partstat",
                f"{item.method} with PARTSTAT {partstat or '-'}: an event or session invite takes ACCEPTED, DECLINED "
                "or TENTATIVE (proposals and delegations are for meeting series; a delegate registers themselves)",
            )
        return await reject("unknown-uid", "UID is not one of our meeting series, events or sessions")
    series_id = uid_series
    if invitation is None:
        return await reject(proof.code, f"{PROOF_TEXTS[proof.code]} (From {sender})")
    if invitation.series_id != uid_series:
        return await reject("other-series", "the reply token belongs to an invitation to another series")
    async with DB.transaction():
        series = await series_row(uid_series, lock=True)
        if invitation.withdrawn:
            return await reject("withdrawn", f"the invitation of {invitation.email} was withdrawn")
        from_delegate = attendee != invitation.email and invitation.email in answerer.delegated_from
        # Another invitee answering with this invitation's address, in their own name or as a "delegate" they are
        # not: never recorded for anyone (one invitee cannot set another's answer). An accepted delegate of this
        # invitee is an invitee too, and answers for themselves.
        named = await Q.active_invitee_with_address(series_id=uid_series, email=attendee)
        if (
            named is not None
            and named != invitation.person_id
            and not (
                from_delegate
                and await Q.is_accepted_delegate(
                    series_id=uid_series, delegator_id=invitation.person_id, delegate_id=named
                )
            )
        ):
            return await reject(
                "other-invitee",
                f"the reply token is {invitation.email}'s, the ATTENDEE {attendee} is another invitee",
            )
        if series.status == "cancelled":
            return await reject("cancelled", "the series is cancelled")
        occurrences = await occurrence_list(series)
        try:
            rid = place_occurrence(item, [o.recurrence_id for o in occurrences], series.timezone)
        except UnplacedOccurrence as exc:
            await _tell_unplaced(series, invitation.person_id)
            return await reject(exc.code, f"{exc}; nothing was recorded, the person was told by email")
        if rid is not None and any(o.cancelled for o in occurrences if o.recurrence_id == rid):
            # as for the answer links: a meeting that was called off takes no answers (a late reply to the invite)
            return await reject("cancelled", f"the meeting {occurrence_key(rid)} is cancelled")
        notes = []
        if item.sequence is not None and item.sequence < series.calendar_sequence:
            notes.append(
                f"answers an earlier version of the invite (SEQUENCE {item.sequence}, now {series.calendar_sequence})"
            )
        if from_delegate:
            return await _delegate_answer(series, invitation, answerer, rid, now, notes, reject, sender, uid)
        if attendee != invitation.email.lower():
            # RFC 5546: the ATTENDEE answers. Someone the invitation was forwarded to answers for themselves, not
            # for the invitee; the invitee (who may also have answered from another address of theirs) is told.
            await _tell_unplaced(series, invitation.person_id, other_address=True)
            return await reject(
                "other-address",
                f"the ATTENDEE {attendee} is not {invitation.email}, whose reply address it was sent to; nothing was "
                "recorded, the invitee was sent a link to answer",
            )
        if partstat == "DELEGATED":
            return await _delegation(series, invitation, answerer, delegate, rid, now, notes, reject, sender, uid)
        proposal = _proposal(item, occurrences, rid, series)
        if item.method == "COUNTER" and (proposal is None or proposal.starts_at is None):
            return await reject("proposal", "a COUNTER without a readable proposed DTSTART")
        if proposal is not None and proposal.starts_at is not None:
            default = timedelta(minutes=series.duration_minutes)
            try:
                ends = proposal.starts_at + duration_of(proposal, default)
            except OverflowError:
                return await reject("proposal", "the proposed time is beyond the calendar's range")
            added = await Q.add_proposal(
                series_id=uid_series,
                person_id=invitation.person_id,
                recurrence_id=rid,
                proposed_start=proposal.starts_at,
                proposed_end=ends,
                comment=proposal.comment[:2000],
                method=item.method,
            )
            notes.append(
                f"proposes {occurrence_key(proposal.starts_at)}-{occurrence_key(ends)}; "
                + ("waits for the coordinator" if added is not None else "the same proposal already waits")
            )
            if item.method == "COUNTER":
                await _log(sender, uid, attendee, rid, partstat, "accepted", "; ".join(notes), "", uid_series)
                return ""
        if item.this_and_future and rid is not None:
            # RANGE=THISANDFUTURE: the answer holds for this meeting and every later one still to take place
            later = [o.recurrence_id for o in occurrences if o.recurrence_id >= rid and not o.cancelled]
            stored = all([await _record(uid_series, invitation.person_id, r, partstat, "imip", now) for r in later])
            notes.append(f"for this and the {len(later) - 1} later meetings")
        else:
            stored = await _record(uid_series, invitation.person_id, rid, partstat, "imip", now)
        if not stored:
            notes.append("older than the stored answer")
        await _log(sender, uid, attendee, rid, partstat, "accepted", "; ".join(notes), "", uid_series)
    return ""


async def _refresh(item: InboundItem, sender: str, proof: Proof) -> str:
    """RFC 5546 3.2.6: an invitee's calendar asks for the current version of a series it holds (Outlook's and
    Lightning's "request an update"). The whole-series REQUEST goes again to the invitee's own address (never to
    another), at most once an hour; '' when sent, else the rejection's code."""
    invitation = proof.invitation
    attendee = item.attendees[0].email if item.attendees else ""
    key = _uuid_key(item.uid)
    uid_series = await Q.series_id_by_uid(calendar_uid=key) if key is not None else None

    async def reject(code: str, detail: str) -> str:
        series_id = uid_series or (invitation.series_id if invitation else None)
        await _log(sender, item.uid, attendee, None, "", "rejected", detail, code, series_id)
        return code

    if uid_series is None:
        return await reject("unknown-uid", "REFRESH: the UID is not one of our meeting series")
    if invitation is None:
        return await reject(proof.code, f"REFRESH: {PROOF_TEXTS[proof.code]} (From {sender})")
    if invitation.series_id != uid_series:
        return await reject("other-series", "the reply token belongs to an invitation to another series")
    if invitation.withdrawn:
        return await reject("withdrawn", f"the invitation of {invitation.email} was withdrawn")
    async with DB.transaction():
        series = await series_row(uid_series, lock=True)
        if series.status == "cancelled":
            return await reject("cancelled", "the series is cancelled")
        note = "REFRESH: the current invitation was sent again"
        if await outbox.queued_within_an_hour(
            "meeting_invitation", series_id=series.id, person_id=invitation.person_id, refresh=True
        ):
            note = "REFRESH: the invitation was sent again within the hour; not again"
        else:
            await meetings.queue_invitation(series, invitation.person_id, "", refresh=True)
        await _log(sender, item.uid, attendee, None, "", "accepted", note, "", series.id)
    return ""


def _proposal(item: InboundItem, occurrences: list, rid: datetime | None, series) -> Proposal | None:
    """The other time a COUNTER or a REPLY proposes; a REPLY that echoes one of the series' times proposes none."""
    if item.method == "COUNTER":
        return item.proposal
    if item.proposal is not None:
        return item.proposal
    known = {o.recurrence_id for o in occurrences} | {o.starts_at for o in occurrences}
    start = (
        item.starts_at.astimezone(timezone.utc)
        if isinstance(item.starts_at, datetime) and item.starts_at.tzinfo
        else None
    )
    if start is None or start in known:
        return None
    current = next((o for o in occurrences if o.recurrence_id == rid), occurrences[0] if occurrences else None)
    if current is None:
        return None
    return proposal_in_reply(item, current.starts_at, current.ends_at)


async def _tell_unplaced(series, person_id: int, other_address: bool = False) -> None:
    """Nothing was recorded: the person gets the answer link, and each coordinator of the project learns of it by
    email too (the reply is also listed on the project page). At most once an hour per person and series: a
    client resending its reply, or anyone replaying a forwarded invite's reply address, floods nobody (every
    reply is still logged and listed). `other_address`: the answer came from another address than the invited
    one; the invitee is told that instead, and the coordinators see it in the list only."""
    if await outbox.queued_within_an_hour("meeting_reply_unplaced", series_id=series.id, person_id=person_id):
        return
    person = await Q.person_address(person_id=person_id)
    await outbox.enqueue(
        "meeting_reply_unplaced",
        person["email"],
        language=person["language"],
        payload={"series_id": series.id, "person_id": person_id, "reason": "other-address" if other_address else ""},
    )
    if other_address:
        return
    for coordinator in await Q.project_coordinators(project_id=series.project):
        await outbox.enqueue(
            coordinator_notices.REPLY_UNPLACED,
            coordinator["email"],
            payload={"series_id": series.id, "person_id": person_id, "account_id": coordinator["id"]},
        )


async def _delegation(series, invitation, answerer, delegate, rid, now, notes, reject, sender, uid) -> str:
    """RFC 5546 4.2.5: the invitee hands their place on. They are recorded as not coming (DECLINED); the delegate
    joins at once when the project allows it, else the coordinators decide."""
    to = delegate.email if delegate is not None else (answerer.delegated_to[0] if answerer.delegated_to else "")
    if not to or not _is_address(to):
        return await reject("partstat", f"PARTSTAT=DELEGATED without a usable DELEGATED-TO address ({to or '-'})")
    if await _past_delegation_limit(series.id, invitation.person_id, to[:320]):
        return await reject("delegation-limit", f"{invitation.email} may not hand their place to {to} as well")
    await _record(series.id, invitation.person_id, rid, "DECLINED", "imip", now)
    row = await Q.add_delegation(
        series_id=series.id,
        delegator_id=invitation.person_id,
        delegate_email=to[:320],
        delegate_name=(delegate.name if delegate is not None else "")[:200],
    )
    if row["status"] == "pending" and await Q.project_allows_delegation(project_id=series.project):
        await _accept_delegation(row["id"])
        notes.append(f"delegated to {to}, who joins the series (the project allows delegation)")
    else:
        notes.append(f"delegated to {to}; the coordinator decides whether they join")
    await _log(sender, uid, answerer.email, rid, "DELEGATED", "accepted", "; ".join(notes), "", series.id)
    return ""


async def _delegate_answer(series, invitation, answerer, rid, now, notes, reject, sender, uid) -> str:
    """The delegate's own REPLY (DELEGATED-FROM the invitee, sent with the invitee's reply address)."""
    if not _is_address(answerer.email):
        return await reject("attendee-count", f"the delegate's ATTENDEE {answerer.email or '-'} is no email address")
    if await _past_delegation_limit(series.id, invitation.person_id, answerer.email[:320]):
        return await reject(
            "delegation-limit", f"{invitation.email} may not hand their place to {answerer.email} as well"
        )
    row = await Q.add_delegation(
        series_id=series.id,
        delegator_id=invitation.person_id,
        delegate_email=answerer.email[:320],
        delegate_name=answerer.name[:200],
    )
    if row["status"] == "pending" and await Q.project_allows_delegation(project_id=series.project):
        await _accept_delegation(row["id"])
        row = await Q.delegation_for_decision(delegation_id=row["id"])
    if row["status"] != "accepted" or row["delegate"] is None:
        return await reject(
            "delegation-pending",
            f"{answerer.email} answers as {invitation.email}'s delegate; the coordinator has "
            f"not accepted the delegation ({row['status']})",
        )
    if answerer.partstat not in PARTSTATS:
        return await reject("partstat", f"PARTSTAT {answerer.partstat or '-'} is not ACCEPTED, DECLINED or TENTATIVE")
    await _record(series.id, row["delegate"], rid, answerer.partstat, "imip", now)
    notes.append(f"the delegate of {invitation.email}")
    await _log(sender, uid, answerer.email, rid, answerer.partstat, "accepted", "; ".join(notes), "", series.id)
    return ""


def _is_address(value: str) -> bool:
    """An address a person and an invitation may be made for: what registration accepts."""
    try:
        normalize_email(value, "delegate")
    except InvalidInput:
        return False
    return True


async def _past_delegation_limit(series_id: int, delegator_id: int, delegate_email: str) -> bool:
    return bool(
        await Q.delegation_is_new_beyond(
            series_id=series_id,
            delegator_id=delegator_id,
            delegate_email=delegate_email,
            most=MAX_DELEGATES_PER_INVITEE,
        )
    )


async def _accept_delegation(delegation_id: int) -> dict:
    """The delegate becomes a person of ours and an invitee of the series (sent the part still ahead)."""
    row = await Q.delegation_for_decision(delegation_id=delegation_id)
    person_id = await link_or_create_person(row["delegate_email"], name=row["delegate_name"] or None)
    await meetings.invite_delegate(row["series"], person_id, row["organization"])
    await Q.decide_delegation(delegation_id=delegation_id, status="accepted", delegate_id=person_id)
    return dict(row)


# --------------------------------------------------------------------------- what coordinators see


async def inbound_replies(account, project_id: int, limit: int = 200) -> list[dict]:
    """The newest inbound replies about the project's series (heard or not, with why), for its coordinators."""
    await require_coordinator(account, project_id)
    rows = await Q.inbound_replies_of_project(project_id=project_id, row_limit=limit)
    return [{**dict(r), "explanation": REJECTION_REASONS.get(r["reason_code"], "")} for r in rows]


async def event_inbound_replies(account, event_id: int, limit: int = 200) -> list[dict]:
    """The newest calendar replies about an event's and its sessions' invites (heard or not, with why)."""
    await require_organizer(account, event_id)
    rows = await Q.inbound_replies_of_event(event_id=event_id, row_limit=limit)
    return [{**dict(r), "explanation": REJECTION_REASONS.get(r["reason_code"], "")} for r in rows]


async def proposals(account, project_id: int) -> list[dict]:
    """Other times attendees proposed (Google's COUNTER, Outlook's, iOS's), newest first, with their state."""
    await require_coordinator(account, project_id)
    return [dict(r) for r in await Q.proposals_of_project(project_id=project_id)]


async def decide_proposal(account, project_id: int, proposal_id: int, accept: bool) -> dict:
    """Accept: the meeting (or the series) moves to the proposed time through the ordinary change, which sends
    every invitee the update. Decline: the proposer is sent a DECLINECOUNTER (RFC 5546 3.2.8)."""
    await require_coordinator(account, project_id)
    async with DB.transaction():
        row = await Q.proposal_for_decision(proposal_id=proposal_id)
        if row is None or row["project"] != project_id:
            raise NotFound("proposal")
        if row["status"] != "pending":
            raise Conflict(f"this proposal was already {row['status']}", "status")
        series = await series_row(row["series"], lock=True)
        if accept:
            if row["recurrence_id"] is not None:
                await meetings.move_occurrence(
                    account,
                    series.id,
                    occurrence_key(row["recurrence_id"]),
                    {"starts_at": row["proposed_start"], "ends_at": row["proposed_end"]},
                )
            else:
                minutes = int((row["proposed_end"] - row["proposed_start"]).total_seconds() // 60)
                await meetings.update_series(
                    account, series.id, {"start": row["proposed_start"], "duration_minutes": minutes}
                )
        else:
            person = await Q.person_address(person_id=row["person"])
            await outbox.enqueue(
                "meeting_counter_declined",
                person["email"],
                language=person["language"],
                payload={
                    "series_id": series.id,
                    "person_id": row["person"],
                    "recurrence_id": row["recurrence_id"].isoformat() if row["recurrence_id"] else None,
                },
                calendar_method=METHOD_DECLINECOUNTER,
                calendar_sequence=series.calendar_sequence,
            )
        await Q.decide_proposal(proposal_id=proposal_id, status="accepted" if accept else "declined")
        await audit.record(
            account,
            "proposal.accept" if accept else "proposal.decline",
            "meeting_proposal",
            proposal_id,
            {"status": "pending"},
            {"status": "accepted" if accept else "declined"},
            project_id=project_id,
        )
    await kick_outbox()
    return {**dict(row), "status": "accepted" if accept else "declined"}


async def delegations(account, project_id: int) -> list[dict]:
    """Delegations named in replies to the project's series, with their state."""
    await require_coordinator(account, project_id)
    return [dict(r) for r in await Q.delegations_of_project(project_id=project_id)]


async def decide_delegation(account, project_id: int, delegation_id: int, accept: bool) -> dict:
    """Accept: the delegate is invited to the series (its part still ahead). Decline: nothing is sent."""
    await require_coordinator(account, project_id)
    async with DB.transaction():
        row = await Q.delegation_for_decision(delegation_id=delegation_id)
        if row is None or row["project"] != project_id:
            raise NotFound("delegation")
        if row["status"] != "pending":
            raise Conflict(f"this delegation was already {row['status']}", "status")
        if accept:
            await series_row(row["series"], lock=True)
            await _accept_delegation(delegation_id)
        else:
            await Q.decide_delegation(delegation_id=delegation_id, status="declined", delegate_id=None)
        await audit.record(
            account,
            "delegation.accept" if accept else "delegation.decline",
            "meeting_delegation",
            delegation_id,
            {"status": "pending"},
            {"status": "accepted" if accept else "declined", "delegate_email": row["delegate_email"]},
            project_id=project_id,
        )
    await kick_outbox()
    return {**dict(row), "status": "accepted" if accept else "declined"}


async def delegation_policy(account, project_id: int) -> bool:
    await require_coordinator(account, project_id)
    return bool(await Q.project_allows_delegation(project_id=project_id))


async def set_delegation_policy(account, project_id: int, allow: bool) -> dict:
    """Whether a delegate named in a reply joins without the coordinators deciding."""
    await require_coordinator(account, project_id)
    await Q.set_project_delegation(project_id=project_id, allow=allow)
    return {"allow_delegation": allow}
