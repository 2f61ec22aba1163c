"""Rendering meeting outbox rows (kind meeting_*) into emails with their iMIP part.

Called by services.messaging.notifications.compose() in the worker. METHOD and SEQUENCE come from the row (fixed in the
transaction of the change); what the series looks like is read now, so a message sent late shows the current
state under its own SEQUENCE, and a later change always carries a higher one.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from events_app.db import sql
from events_app.domain.ical import METHOD_CANCEL, METHOD_REQUEST, Attendee, itip_series_message
from events_app.domain.meetings import Occurrence, location_text, remaining_timing
from events_app.domain.replies import reply_address, reply_token
from events_app.domain.security import digest, new_nonce, person_feed_token, rsvp_token
from events_app.mail.message import Outgoing, build_message, sender_address
from events_app.mail.render import render
from events_app.services.meetings import meeting_calendar
from events_app.services.meetings.meetings import timing_of
from events_app.settings import Settings

UPCOMING_SHOWN = 12


def _when(start: datetime, end: datetime, tzid: str) -> str:
    zone = ZoneInfo(tzid)
    a, b = start.astimezone(zone), end.astimezone(zone)
    offset = a.strftime("%z")
    return f"{a.strftime('%a %Y-%m-%d %H:%M')}–{b.strftime('%H:%M')} ({tzid}, UTC{offset[:3]}:{offset[3:]})"


def _payload(row: dict) -> dict:
    value = row.get("payload") or {}
    return json.loads(value) if isinstance(value, str) else value


def _occurrence_view(occ: Occurrence, tzid: str, person_tz: str | None, rsvp_base: str) -> dict:
    view = {
        "id": occ.key,
        "when": _when(occ.starts_at, occ.ends_at, tzid),
        "when_local": "",
        "cancelled": occ.cancelled,
        "moved": occ.moved,
        "accept_url": f"{rsvp_base}?{urlencode({'answer': 'accepted', 'occurrence': occ.key})}",
        "decline_url": f"{rsvp_base}?{urlencode({'answer': 'declined', 'occurrence': occ.key})}",
        "tentative_url": f"{rsvp_base}?{urlencode({'answer': 'tentative', 'occurrence': occ.key})}",
    }
    if person_tz and person_tz != tzid:
        view["when_local"] = _when(occ.starts_at, occ.ends_at, person_tz)
    return view


async def _reply_token(invitee, secret_key: str) -> str:
    """The invitee's reply token; its digest is stored (once) so the inbound endpoint can find the invitation.
    Invitations made before reply addresses existed get their nonce here, the first time one is sent."""
    nonce = invitee["reply_nonce"]
    if not nonce:
        nonce = await sql.fetchval(
            "UPDATE meeting_invitee SET reply_nonce = $2 WHERE id = $1 AND reply_nonce = '' RETURNING reply_nonce",
            invitee["id"],
            new_nonce(),
        ) or await sql.fetchval("SELECT reply_nonce FROM meeting_invitee WHERE id = $1", invitee["id"])
    token = reply_token(secret_key, nonce)
    if invitee["reply_hash"] != digest(token):
        await sql.execute("UPDATE meeting_invitee SET reply_hash = $2 WHERE id = $1", invitee["id"], digest(token))
    return token


async def compose(row: dict, settings: Settings, now: datetime | None = None) -> Outgoing:
    now = now or datetime.now(timezone.utc)
    payload = _payload(row)
    series, project, agenda, occs, names = await meeting_calendar.load(payload["series_id"])
    person = await sql.fetchrow("SELECT id, name, email, timezone FROM person WHERE id = $1", payload["person_id"])
    invitee = await sql.fetchrow(
        "SELECT id, token_nonce, reply_nonce, reply_hash FROM meeting_invitee"
        " WHERE series = $1 AND person = $2 ORDER BY withdrawn_at IS NULL DESC, id DESC"
        " LIMIT 1",
        series["id"],
        person["id"],
    )
    feed_nonce = await sql.fetchval("SELECT token_nonce FROM person_calendar WHERE person = $1", person["id"])
    tzid = series["timezone"]
    rsvp_base = f"{settings.public_url}/rsvp/{rsvp_token(settings.secret_key, invitee['token_nonce'])}"
    sequence = row["calendar_sequence"] or 0
    method = row["calendar_method"]
    kind = row["kind"]
    occurrence = next((o for o in occs if o.key == payload.get("occurrence")), None)
    if kind == "meeting_occurrence_changed" and occurrence is None:
        kind = "meeting_invitation"  # the occurrence no longer exists (the series was re-timed): send it whole
    if kind == "meeting_invitation":
        timing = remaining_timing(timing_of(series), now) if payload.get("remaining") else None
        items = meeting_calendar.series_items(series, project, agenda, occs, names, sequence, settings, timing)
    elif kind == "meeting_series_cancelled":
        items = meeting_calendar.series_items(series, project, agenda, occs, names, sequence, settings)[:1]
    else:
        items = [meeting_calendar.override_item(series, project, agenda, occurrence, sequence, settings, names)]
    # This recipient's own ORGANIZER (and From) address: a REPLY sent to it proves it came from this invitation.
    reply_to = reply_address(
        meeting_calendar.reply_mailbox(project, settings), await _reply_token(invitee, settings.secret_key)
    )
    items = [replace(item, organizer_email=reply_to) for item in items]
    attendee = Attendee(person["email"], person["name"], rsvp=method == METHOD_REQUEST)
    calendar = itip_series_message(method, items, attendee, now) if method in (METHOD_REQUEST, METHOD_CANCEL) else None
    organizer_email = project["organizer_email"] or settings.mail_from
    organizer_name = project["organizer_name"] or settings.mail_from_name
    upcoming = [
        _occurrence_view(o, tzid, person["timezone"], rsvp_base) for o in occs if o.ends_at > now and not o.cancelled
    ][:UPCOMING_SHOWN]
    language = row["language"] or "en"
    context = {
        "language": language,
        "subject": "",
        "organizer_name": organizer_name,
        "has_calendar": calendar is not None,
        "person": {"name": person["name"], "email": person["email"]},
        "project": {"title": project["title"]},
        "series": {
            "title": series["title"],
            "mode": series["mode"],
            "timezone": tzid,
            "where": location_text(series["mode"], series["location"], series["online_url"]),
            "online_url": series["online_url"] if series["mode"] != "in_person" else "",
            "description": series["description"],
            "agenda": agenda,
            "recurring": bool(series["rrule"]),
        },
        "reason": payload.get("reason", ""),
        "occurrences": upcoming,
        "occurrence": _occurrence_view(occurrence, tzid, person["timezone"], rsvp_base) if occurrence else None,
        "rsvp": {
            "accept_url": f"{rsvp_base}?answer=accepted",
            "decline_url": f"{rsvp_base}?answer=declined",
            "tentative_url": f"{rsvp_base}?answer=tentative",
            "page_url": rsvp_base,
        },
        "feed_url": (
            f"{settings.public_url}/api/people/{person_feed_token(settings.secret_key, feed_nonce)}/calendar.ics"
        )
        if feed_nonce
        else "",
    }
    rendered = render(kind, language, context)
    domain = organizer_email.rsplit("@", 1)[-1]
    message_id = f"<outbox-{row['id']}@{domain}>"
    # From equals ORGANIZER (clients ignore updates from anyone else); the envelope sender stays the plain mailbox.
    data = build_message(
        rendered=rendered,
        sender=sender_address(organizer_name, reply_to),
        recipient=row["recipient"],
        recipient_name=person["name"],
        calendar=calendar,
        method=method,
        message_id=message_id,
    )
    return Outgoing(data, organizer_email, row["recipient"], message_id)
