"""Loading meeting outbox rows (kind meeting_*) for their email; events_app.mail.compose writes it with its iMIP part.

Called by services.messaging.notifications.compose() in the worker. METHOD and SEQUENCE come from the row (fixed in the
transaction of the change); what the series looks like is read now, so a message sent late shows the current
state under its own SEQUENCE, and a later change always carries a higher one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from events_app.db import queries
from events_app.domain.meetings import remaining_timing
from events_app.domain.replies import reply_address, reply_token
from events_app.domain.security import digest, new_nonce, person_feed_token, rsvp_token
from events_app.mail.compose import MeetingMail, compose_meeting_mail
from events_app.mail.message import Outgoing
from events_app.services.meetings import meeting_calendar
from events_app.services.meetings.meetings import timing_of
from events_app.services.meetings.rows import ROWS
from events_app.settings import Settings

Q = queries.load(__file__, rows=ROWS)


def _payload(row: dict) -> dict:
    return queries.json_value(row.get("payload")) or {}


async def _reply_token(invitee, secret_key: str) -> str:
    """The invitee's reply token; its digest is stored (once) so the inbound endpoint can find the invitation.
    Invitations made before reply addresses existed get their nonce here, the first time one is sent."""
    nonce = invitee["reply_nonce"]
    if not nonce:
        claimed = await Q.claim_reply_nonce(invitee_id=invitee["id"], reply_nonce=new_nonce())
        nonce = claimed or await Q.reply_nonce_of(invitee_id=invitee["id"])
    token = reply_token(secret_key, nonce)
    if invitee["reply_hash"] != digest(token):
        await Q.set_reply_hash(invitee_id=invitee["id"], reply_hash=digest(token))
    return token


async def load(row: dict, settings: Settings, now: datetime) -> MeetingMail:
    """What one meeting outbox row's email shows, read now; the recipient's reply address stored on first use."""
    payload = _payload(row)
    series, project, agenda, occs, names = await meeting_calendar.load(payload["series_id"])
    person = await Q.mail_recipient(person_id=payload["person_id"])
    invitee = await Q.latest_invitation(series_id=series.id, person_id=person["id"])
    feed_nonce = await Q.person_calendar_nonce(person_id=person["id"])
    rsvp_base = f"{settings.public_url}/rsvp/{rsvp_token(settings.secret_key, invitee['token_nonce'])}"
    sequence = row["calendar_sequence"] or 0
    kind = row["kind"]
    occurrence = next((o for o in occs if o.key == payload.get("occurrence")), None)
    if kind == "meeting_occurrence_changed" and occurrence is None:
        kind = "meeting_invitation"  # the occurrence no longer exists (the series was re-timed): send it whole
    language = row["language"] or "en"
    if kind == "meeting_invitation":
        timing = remaining_timing(timing_of(series), now) if payload.get("remaining") else None
        items = meeting_calendar.series_items(
            series, project, agenda, occs, names, sequence, settings, timing, language
        )
    elif kind == "meeting_counter_declined":
        # DECLINECOUNTER: the series' UID and current SEQUENCE, the occurrence the proposal was about, if any
        master = meeting_calendar.series_items(series, project, agenda, occs, names, sequence, settings, None, language)
        rid = payload.get("recurrence_id")
        items = [replace(master[0], recurrence_id=datetime.fromisoformat(rid) if rid else None)]
    elif kind == "meeting_reply_unplaced":
        items = []
    elif kind == "meeting_series_cancelled":
        master = meeting_calendar.series_items(series, project, agenda, occs, names, sequence, settings, None, language)
        items = master[:1]
    else:
        items = [
            meeting_calendar.override_item(series, project, agenda, occurrence, sequence, settings, names, language)
        ]
    # This recipient's own ORGANIZER (and From) address: a REPLY sent to it proves it came from this invitation.
    reply_to = reply_address(
        meeting_calendar.reply_mailbox(project, settings), await _reply_token(invitee, settings.secret_key)
    )
    return MeetingMail(
        outbox_id=row["id"],
        kind=kind,
        language=language,
        recipient=row["recipient"],
        calendar_method=row["calendar_method"],
        person_name=person["name"],
        person_email=person["email"],
        person_timezone=person["timezone"],
        project_title=project.title,
        series=series.as_dict(),
        agenda=agenda,
        occurrences=tuple(occs),
        occurrence=occurrence,
        items=tuple(replace(item, organizer_email=reply_to) for item in items),
        reason=payload.get("reason", ""),
        was=payload.get("was"),
        rsvp_base=rsvp_base,
        feed_url=(f"{settings.public_url}/api/people/{person_feed_token(settings.secret_key, feed_nonce)}/calendar.ics")
        if feed_nonce
        else "",
        reply_to=reply_to,
        organizer_email=project.organizer_email or settings.mail_from,
        organizer_name=project.organizer_name or settings.mail_from_name,
    )


async def compose(row: dict, settings: Settings, now: datetime | None = None) -> Outgoing:
    now = now or datetime.now(timezone.utc)
    return compose_meeting_mail(await load(row, settings, now), now)
