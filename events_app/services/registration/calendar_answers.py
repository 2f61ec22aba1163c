"""Answers to registration and session invites (RSVP=TRUE): calendar clients' Accept, Tentative and Decline.

Trust is the meeting replies' (domain/replies.py): every event or session invite to a person names as ORGANIZER
(and From) the reply mailbox plus that person's reply token for the event, so a REPLY sent there proves it came
from someone holding the invite. The answer is recorded for the token's person; the one received last wins.

A Decline records the answer and emails the delegate a one-click link that releases the seat (the registration, or
the session booking) when they confirm it; when the organizer chose "a decline releases the seat", it is released
at once if the ATTENDEE is the invited address (another address may be a colleague the invite was forwarded to).
Speakers and other people in a session's roles are recorded only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from events_app.db import queries
from events_app.db.engine import DB
from events_app.domain.errors import Conflict, Gone, NotFound
from events_app.domain.registration import ACTIVE
from events_app.domain.replies import reply_address, reply_token, tokens_in
from events_app.domain.security import digest, manage_token, new_nonce, purpose_token
from events_app.jobs import kick_outbox
from events_app.services.people.accounts import require_organizer
from events_app.services.platform import outbox
from events_app.services.registration import agenda_bookings, registrations
from events_app.services.registration.rows import ALL_ROWS
from events_app.settings import Settings, get_settings

Q = queries.load(__file__, rows=ALL_ROWS)
RELEASE_PURPOSE = "seat-release"
PARTSTATS = ("ACCEPTED", "DECLINED", "TENTATIVE")
RELEASE_MAIL_KIND = "calendar_decline_release"


def reply_mailbox(event: dict, settings: Settings) -> str:
    """As for meeting series: REPLY_MAILBOX, else the event's organizer address, else MAIL_FROM."""
    return settings.reply_mailbox or event.get("organizer_email") or settings.mail_from


async def reply_address_for(event: dict, person_id: int, settings: Settings) -> str:
    """The person's ORGANIZER address for the event's and its sessions' invites (made and stored on first use)."""
    await Q.ensure_event_reply_address(event_id=event["id"], person_id=person_id, reply_nonce=new_nonce())
    row = await Q.event_reply_address_of(event_id=event["id"], person_id=person_id)
    token = reply_token(settings.secret_key, row["reply_nonce"])
    if row["reply_hash"] != digest(token):
        await Q.set_event_reply_hash(address_id=row["id"], reply_hash=digest(token))
    return reply_address(reply_mailbox(event, settings), token)


async def reply_addresses_for(event: dict, person_ids: list[int], settings: Settings) -> dict[int, str]:
    """reply_address_for() for many people of one event (a batch of invites): person id -> address, in two
    statements instead of two per person."""
    await Q.ensure_event_reply_addresses(
        event_id=event["id"], person_ids=person_ids, reply_nonces=[new_nonce() for _ in person_ids]
    )
    mailbox = reply_mailbox(event, settings)
    addresses = {}
    for row in await Q.event_reply_addresses_of(event_id=event["id"], person_ids=person_ids):
        token = reply_token(settings.secret_key, row["reply_nonce"])
        if row["reply_hash"] != digest(token):
            await Q.set_event_reply_hash(address_id=row["id"], reply_hash=digest(token))
        addresses[row["person"]] = reply_address(mailbox, token)
    return addresses


def release_token(secret_key: str, nonce: str) -> str:
    return purpose_token(secret_key, RELEASE_PURPOSE, nonce)


@dataclass(frozen=True)
class Heard:
    """What became of one REPLY about an event or session: code '' when recorded (REJECTION_REASONS otherwise)."""

    event_id: int
    code: str
    detail: str


async def is_ours(uid: str) -> bool:
    return await Q.calendar_object_by_uid(calendar_uid=uid) is not None


async def token_holder_emails(addresses: list[str]) -> list[str]:
    """The addresses of the people whose event reply tokens these addresses carry (to pick their ATTENDEE out of a
    reply that copies every ATTENDEE of the invite; receive() still decides whether the answer counts)."""
    emails = []
    for token in tokens_in(addresses)[:8]:
        row = await Q.event_reply_address_by_hash(reply_hash=digest(token))
        if row is not None and row["email"] not in emails:
            emails.append(row["email"])
    return emails


async def receive(uid: str, attendee: str, partstat: str, addresses: list[str], now: datetime) -> Heard | None:
    """Record one REPLY to an event or session invite; None when the UID is none of ours."""
    obj = await Q.calendar_object_by_uid(calendar_uid=uid)
    if obj is None:
        return None
    event_id, session_id = obj["event"], obj["session"]
    tokens = tokens_in(addresses)[:8]
    if not tokens:
        return Heard(event_id, "no-token", "no reply token: not sent to a reply address of an invitation")
    found = {}
    for token in tokens:
        row = await Q.event_reply_address_by_hash(reply_hash=digest(token))
        if row is not None:
            found[(row["event"], row["person"])] = row
    if not found:
        return Heard(event_id, "bad-token", "the reply token is not one of our invitations'")
    if len(found) > 1:
        return Heard(event_id, "token-conflict", "reply tokens of different invitations")
    holder = next(iter(found.values()))
    if holder["event"] != event_id:
        return Heard(event_id, "other-series", "the reply token belongs to an invitation to another event")
    named = await Q.event_person_with_address(event_id=event_id, email=attendee)
    if named is not None and named != holder["person"]:
        return Heard(event_id, "other-invitee", f"the reply token is {holder['email']}'s, the ATTENDEE is {attendee}")
    if partstat not in PARTSTATS:
        return Heard(event_id, "partstat", f"PARTSTAT {partstat or '-'} is not ACCEPTED, DECLINED or TENTATIVE")
    if obj["cancelled"]:
        # a late answer to a cancelled event or session: nothing to attend, no seat to release, no release email
        what = "event" if session_id is None else "session"
        return Heard(event_id, "cancelled", f"the {what} is cancelled: the answer was not recorded")
    person_id = holder["person"]
    secret = get_settings().secret_key
    release_now = None  # a manage token: the seat to release at once
    rearmed = False  # the release link emailed within the hour works again (no second email)
    async with DB.transaction():
        if session_id is None:
            reg = await Q.active_registration_of(event_id=event_id, person_id=person_id, active_statuses=list(ACTIVE))
            if reg is None:
                return Heard(event_id, "not-holder", f"{holder['email']} holds no active registration of this event")
            seat_nonce = reg["token_nonce"]
        else:
            held = await Q.session_holding_of(
                session_id=session_id, person_id=person_id, active_statuses=list(agenda_bookings.ACTIVE)
            )
            if held is None:
                return Heard(event_id, "not-holder", f"{holder['email']} holds no booking or role in this session")
            seat_nonce = held["token_nonce"]  # None for a speaker: nothing to release
        answer_id = await Q.record_calendar_answer(
            event_id=event_id, person_id=person_id, session_id=session_id, partstat=partstat, answered_at=now
        )
        if partstat == "DECLINED" and answer_id is not None and seat_nonce:
            # At once only when the invitee's own address declines: another ATTENDEE may be someone the invite was
            # forwarded to, so the invitee confirms with the emailed link (as when the organizer did not choose it).
            if obj["decline_releases_seat"] and attendee == holder["email"].lower():
                release_now = manage_token(secret, seat_nonce)
            else:
                # a Decline, an Accept and a Decline again: the link emailed within the hour works again
                mailed = None
                if await outbox.queued_within_an_hour(RELEASE_MAIL_KIND, answer_id=answer_id):
                    mailed = await Q.release_nonce_of(answer_id=answer_id)
                nonce = mailed or new_nonce()
                rearmed = mailed is not None
                await Q.set_release_link(
                    answer_id=answer_id, release_nonce=nonce, release_hash=digest(release_token(secret, nonce))
                )
                person = await Q.person_address(person_id=person_id)
                if mailed is None:  # else the link emailed within the hour works again: one email, not one a flip
                    await outbox.enqueue(
                        RELEASE_MAIL_KIND,
                        person["email"],
                        event_id=event_id,
                        language=person["language"],
                        payload={"answer_id": answer_id, "person_id": person_id, "session_id": session_id},
                    )
    detail = "" if answer_id is not None else "the same answer as the stored one, or older than it: nothing changed"
    if attendee != holder["email"]:
        detail = "; ".join(d for d in (detail, f"for the invitation of {holder['email']}") if d)
    if release_now is not None:
        await _release(release_now, session_id)
        await Q.mark_released(answer_id=answer_id)
        detail = "; ".join(d for d in (detail, "the seat was released (organizer's setting)") if d)
    elif partstat == "DECLINED" and answer_id is not None and seat_nonce:
        emailed = (
            "the release link emailed within the hour works again"
            if rearmed
            else "a link to release the seat was emailed"
        )
        detail = "; ".join(d for d in (detail, emailed) if d)
    await kick_outbox()
    return Heard(event_id, "", detail)


async def _release(manage: str, session_id: int | None) -> None:
    """Release through the existing paths (the same as the delegate's own cancel or drop)."""
    try:
        if session_id is None:
            await registrations.cancel_by_token(manage)
        else:
            await agenda_bookings.drop(manage, session_id)
    except (NotFound, Gone, Conflict):
        pass  # already cancelled or dropped: nothing left to release


async def release_view(token: str) -> dict:
    """What the release link shows before the delegate confirms."""
    row = await Q.answer_by_release_hash(release_hash=digest(token))
    if row is None:
        raise NotFound("release link", "release link (used, withdrawn by a later answer, or not one of ours) not found")
    return dict(row)


async def release(token: str) -> dict:
    """The delegate confirms: the registration (or the session booking) is released and the link used up."""
    row = await release_view(token)
    reg = await Q.active_registration_of(event_id=row["event"], person_id=row["person"], active_statuses=list(ACTIVE))
    if reg is not None:
        manage = manage_token(get_settings().secret_key, reg["token_nonce"])
        await _release(manage, row["session"])
    await Q.mark_released(answer_id=row["id"])
    return {**row, "released": True}


async def release_mail_data(answer_id: int, settings: Settings) -> dict:
    """What the release email shows: the link (made from the stored nonce) and the session, if any."""
    row = await Q.answer_for_release_mail(answer_id=answer_id)
    if row is None or not row["release_nonce"] or not row["armed"]:
        raise LookupError("the decline was changed before its release email was sent")
    return {
        "release_url": f"{settings.public_url}/release/{release_token(settings.secret_key, row['release_nonce'])}",
        "session_title": row["session_title"] or "",
        "name": row["name"],
    }


async def answers_of_event(account, event_id: int) -> list[dict]:
    """Every calendar answer to the event's and its sessions' invites, for its organizers."""
    await require_organizer(account, event_id)
    return [dict(r) for r in await Q.calendar_answers_of_event(event_id=event_id)]


async def decline_policy(account, event_id: int) -> bool:
    await require_organizer(account, event_id)
    return bool(await Q.decline_releases_seat_of(event_id=event_id))


async def set_decline_policy(account, event_id: int, releases: bool) -> dict:
    await require_organizer(account, event_id)
    await Q.set_decline_releases_seat(event_id=event_id, releases=releases)
    return {"decline_releases_seat": releases}
