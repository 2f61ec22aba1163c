"""Certificates of attendance (issue 17): issued to a confirmed registration that was checked in (at the door or a
session room), stating the hours attended (domain.certificates: the rule), sent as a PDF through the outbox, and
verified by anyone at the URL printed on it.

- A delegate asks from the manage page (request_by_token): refused, with the reason, unless checked in; at most
  limit_certificate_mail emails per registration and window.
- Organizers send them all after the event (send_all): one mail per checked-in delegate and certificate, at most
  once (the outbox's dedupe key), so pressing twice sends nothing twice.
- A registration has one live certificate: asked again with the same figures, the same certificate (same code) is
  sent; with other figures (a scan synced late) a new one is issued and the old one is shown as replaced.
- verify() answers the public page and API: genuine (name, event, dates, hours), replaced, or not genuine. Lookups
  are limited per client (limit_certificate_ip), like the other public token routes.

The worker renders the PDF when it sends the mail (load_mail; events_app.mail.compose.compose_certificate_mail).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from babel.dates import format_interval
from babel.numbers import format_decimal

from events_app import i18n
from events_app.db import queries
from events_app.db.engine import DB
from events_app.documents import pdf
from events_app.domain.certificates import Attended, attended_minutes, certificate_code, hours
from events_app.domain.checkin import looks_like_code
from events_app.domain.errors import Conflict, NotFound
from events_app.domain.security import digest, new_nonce
from events_app.domain.vocab import country_name
from events_app.jobs import kick_outbox
from events_app.mail.compose import CertificateMail
from events_app.mail.render import translate
from events_app.services.people.accounts import CurrentAccount, require_organizer
from events_app.services.platform import limits, outbox
from events_app.services.registration import registrations
from events_app.settings import Settings, get_settings

Q = queries.load(__file__)
MAIL_KIND = "certificate"


def verification_url(settings: Settings, nonce: str) -> str:
    return f"{settings.public_url}/certificates/{certificate_code(settings.secret_key, nonce)}"


def dates_text(language: str, starts_at: datetime, ends_at: datetime, tzid: str) -> str:
    """'7–9 June 2027' / '7–9 de junio de 2027': the event's days in its zone, as the reader's language writes them."""
    zone = ZoneInfo(tzid)
    first, last = starts_at.astimezone(zone).date(), ends_at.astimezone(zone).date()
    return format_interval(first, last, "yMMMMd", locale=i18n.locale(language))


def hours_text(language: str, minutes: int) -> str:
    return format_decimal(hours(minutes), format="#,##0.##", locale=i18n.locale(language))


async def _event(event_id: int) -> dict:
    row = await Q.ticket_event(event_id=event_id)
    if row is None:
        raise NotFound("event")
    return dict(row)


async def _attended(event_id: int, registration_id: int | None) -> dict[int, Attended]:
    days: dict[int, set] = defaultdict(set)
    spans: dict[int, list] = defaultdict(list)
    for r in await Q.certificate_door_days(event_id=event_id, registration_id=registration_id):
        days[r["registration"]].add(r["day"])
    for r in await Q.certificate_session_spans(event_id=event_id, registration_id=registration_id):
        spans[r["registration"]].append((r["starts_at"], r["ends_at"]))
    return {reg: Attended(frozenset(days[reg]), tuple(spans[reg])) for reg in set(days) | set(spans)}


async def _live(event_id: int, registration_id: int | None) -> dict[int, dict]:
    rows = await Q.live_certificates(event_id=event_id, registration_id=registration_id)
    return {r["registration"]: dict(r) for r in rows}


async def _issue(event: dict, registration_id: int | None) -> list[dict]:
    """Inside a transaction: the live certificate of every checked-in registration of the event (or of one),
    issued or re-issued where the figures changed. Rows: registration, certificate id, nonce, minutes."""
    await Q.lock_certificates(event_id=event["id"])
    candidates = await Q.certificate_candidates(event_id=event["id"], registration_id=registration_id)
    if not candidates:
        return []
    attended = await _attended(event["id"], registration_id)
    minutes = {
        c["id"]: attended_minutes(event["starts_at"], event["ends_at"], event["timezone"], attended[c["id"]])
        for c in candidates
        if c["id"] in attended
    }
    minutes = {reg: m for reg, m in minutes.items() if m > 0}  # check-ins that count no hours certify nothing
    live = await _live(event["id"], registration_id)
    stale = [live[reg]["id"] for reg, m in minutes.items() if reg in live and live[reg]["minutes"] != m]
    new = [reg for reg, m in minutes.items() if reg not in live or live[reg]["minutes"] != m]
    if stale:
        await Q.revoke_certificates(certificate_ids=stale)
    if new:
        nonces = [new_nonce() for _ in new]
        key = get_settings().secret_key
        await Q.insert_certificates(
            event_id=event["id"],
            registration_ids=new,
            nonces=nonces,
            code_hashes=[digest(certificate_code(key, n)) for n in nonces],
            minutes=[minutes[reg] for reg in new],
        )
        live = await _live(event["id"], registration_id)
    return [dict(live[reg]) for reg in minutes if reg in live]


async def request_by_token(token: str) -> dict:
    """The delegate asks for their certificate by email (the manage link is the key). 404 for an unknown link; 409
    with the reason unless the registration is confirmed and was checked in; 429 over the per-registration limit."""
    registration = await registrations.get_by_token(token)
    if registration["status"] != "confirmed":
        raise Conflict(
            f"a certificate of attendance is only for confirmed registrations; this one is {registration['status']}",
            "status",
        )
    event = await _event(registration["event_id"])
    if not await Q.certificate_candidates(event_id=event["id"], registration_id=registration["id"]):
        raise Conflict(
            "you have not been checked in at this event: a certificate of attendance is issued once you were checked "
            "in at the entrance or in a session room",
            "attendance",
        )
    settings = get_settings()
    await limits.hit(
        (
            "certificate-mail",
            digest(token),  # one registration (its id repeats across databases that share one Redis)
            settings.limit_certificate_mail,
            "certificate emails for this registration",
        )
    )
    async with DB.transaction():
        issued = await _issue(event, registration["id"])
        if not issued:  # checked in a moment ago, erased or cancelled meanwhile
            raise Conflict("there is nothing to certify for this registration", "attendance")
        cert = issued[0]
        await outbox.enqueue(
            MAIL_KIND,
            registration["email"],
            event_id=event["id"],
            registration_id=registration["id"],
            language=registration["language"] or "en",
            payload={"certificate_id": cert["id"]},
        )
    await kick_outbox()
    return {
        "certificate_id": cert["id"],
        "hours": hours(cert["minutes"]),
        "email": registration["email"],
    }


async def send_all(account: CurrentAccount, event_id: int, now: datetime | None = None) -> dict:
    """Organizers send every checked-in delegate their certificate, after the event: 409 before it ends. Returns how
    many delegates have a certificate and how many mails were queued now (0 when pressed again)."""
    await require_organizer(account, event_id)
    event = await _event(event_id)
    now = now or datetime.now(timezone.utc)
    if event["ends_at"] > now:
        raise Conflict(
            "certificates of attendance are sent after the event: it ends at "
            f"{event['ends_at'].isoformat()}; send them then",
            "event",
        )
    async with DB.transaction():
        issued = await _issue(event, None)
        queued = (
            await Q.queue_certificate_mails(event_id=event_id, certificate_ids=[c["id"] for c in issued])
            if issued
            else 0
        )
    if queued:
        await kick_outbox()
    return {"certificates": len(issued), "queued": queued}


async def verify(code: str, client: str) -> dict:
    """What the public verification page shows for a code: state 'genuine' with the name, event, dates and hours;
    'replaced' (a newer certificate with other figures exists); or 'unknown' (forged, mistyped, withdrawn)."""
    settings = get_settings()
    await limits.hit(("certificate-ip", client, settings.limit_certificate_ip, "certificate checks from your address"))
    row = await Q.certificate_by_hash(code_hash=digest(code)) if looks_like_code(code) else None
    if row is None or row["anonymized_at"] is not None or row["status"] != "confirmed":
        return {"state": "unknown"}
    if row["revoked_at"] is not None:
        return {"state": "replaced", "event_title": row["title"]}
    return {
        "state": "genuine",
        "name": row["name"],
        "event_id": row["event_id"],
        "event_title": row["title"],
        "starts_at": row["starts_at"],
        "ends_at": row["ends_at"],
        "timezone": row["timezone"],
        "hours": hours(row["minutes"]),
        "minutes": row["minutes"],
        "issued_at": row["issued_at"],
    }


# ----------------------------------------------------------------------------- the document and the mail (worker)


def document(row: dict, language: str, settings: Settings) -> pdf.Certificate:
    """The PDF's content for a certificate row (certificate_by_id), in the reader's language."""
    url = verification_url(settings, row["nonce"])
    code = row["country"] or ""
    country = i18n.locale(language).territories.get(code) or country_name(code)  # "España" for a Spanish reader
    place = ", ".join(x for x in (row["venue_name"], row["city"], country) if x)
    return pdf.Certificate(
        name=row["name"],
        event_title=row["title"],
        dates=dates_text(language, row["starts_at"], row["ends_at"], row["timezone"]),
        place=place,
        hours=hours_text(language, row["minutes"]),
        url=url,
        issued=i18n.format_date(language, row["issued_at"], row["timezone"]),
        labels={
            "title": translate(language, "Certificate of attendance"),
            "certifies": translate(language, "This is to certify that"),
            "attended": translate(language, "attended"),
            "hours": translate(language, "Hours attended"),
            "issued": translate(language, "Issued on"),
            "verify": translate(language, "Check that this certificate is genuine at"),
        },
    )


async def load_mail(row: dict, settings: Settings) -> CertificateMail:
    """The certificate an outbox row is about, as the PDF shows it: the registration's live certificate when the one
    queued was replaced meanwhile (the mail carries what the verification page confirms). LookupError when none
    stands any more (the registration was erased or cancelled): the worker gives the row up."""
    payload = queries.json_value(row.get("payload")) or {}
    found = await Q.certificate_by_id(certificate_id=payload.get("certificate_id") or 0)
    if found is None or found["revoked_at"] is not None or found["anonymized_at"] is not None:
        raise LookupError("the certificate was withdrawn or its registration erased before it was sent")
    if found["status"] != "confirmed":
        raise LookupError("the registration is no longer confirmed")
    language = row["language"] or found["language"] or "en"
    return CertificateMail(
        outbox_id=row["id"],
        kind=row["kind"],
        language=language,
        recipient=row["recipient"],
        document=document(dict(found), language, settings),
        filename=f"certificate-{found['event_id']}-{found['registration']}.pdf",
    )
