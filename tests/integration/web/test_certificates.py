"""Certificates of attendance (issue 17): issued from real check-ins (door days and session rooms), emailed as a
PDF read back with pypdf and zxing-cpp, verified on the public page and API, refused with the reason when the
delegate was not checked in, sent in bulk once per certificate, and out of reach of another event's organizers."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import io
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pypdf
import pytest

from events_app.db import sql
from events_app.services.messaging import notifications
from events_app.services.onsite import certificates
from events_app.settings import get_settings
from tests.fixtures import login, published_event
from tests.integration.web.test_abuse_limits import client_from, new_ip
from tests.integration.web.test_checkin_api import decode_qr, register, staff_headers
from tests.integration.web.test_pages import csrf, page_login

MADRID = ZoneInfo("Europe/Madrid")
SHIFT = "52 weeks"  # the congress is moved back one year after setting up: it took place last June
NAME = "Zoë Ñúñez-Łukasiewicz"


def local(day: int, hour: int, minute: int = 0) -> str:
    """A time of the congress as it took place (June 2026, after the shift), as a device sends it."""
    return datetime(2026, 6, day, hour, minute, tzinfo=MADRID).isoformat()


async def past_congress(client, organizer) -> dict:
    """A three-day congress, 09:00-18:00 each day in Madrid (27 scheduled hours), with one 90-minute session on its
    last day, moved into the past; and a check-in desk."""
    event = await published_event(
        client,
        organizer,
        title="Congreso Mundial de Ciudades",
        timezone="Europe/Madrid",
        starts_at="2027-06-07T09:00:00",
        ends_at="2027-06-09T18:00:00",
        venue_name="Palacio de Congresos",
        city="Madrid",
        country="ES",
    )
    base = f"/api/events/{event['id']}"
    room = (await client.post(f"{base}/rooms", json={"name": "Sala 1", "capacity": 100}, headers=organizer)).json()
    session = await client.post(
        f"{base}/sessions",
        json={
            "title": "Adaptación costera",
            "kind": "panel",
            "starts_at": "2027-06-09T10:00:00",
            "ends_at": "2027-06-09T11:30:00",
            "room_id": room["id"],
        },
        headers=organizer,
    )
    assert session.status_code == 201, session.text
    staff = await staff_headers(client, organizer, event["id"], "door@example.org")
    return {"event": event, "id": event["id"], "session_id": session.json()["id"], "staff": staff}


async def move_to_the_past(event_id: int) -> None:
    await sql.execute(
        f"UPDATE event SET starts_at = starts_at - interval '{SHIFT}', ends_at = ends_at - interval '{SHIFT}'"
        " WHERE id = $1",
        event_id,
    )
    await sql.execute(
        f"UPDATE agenda_session SET starts_at = starts_at - interval '{SHIFT}',"
        f" ends_at = ends_at - interval '{SHIFT}' WHERE event = $1",
        event_id,
    )


async def checkin_code(registration_id: int) -> str:
    from events_app.services.onsite import checkin_codes

    code = await checkin_codes.live_code(registration_id)
    assert code is not None
    return code


async def scan(client, c: dict, code: str, when: str, session_id: int | None = None) -> str:
    """A scan made during the congress (last June), synced now: the event is moved there for the scan, and back
    (a scan from long before an event's desks open is not believed)."""
    body = {"scan_id": uuid.uuid4().hex, "code": code, "device": "desk 3", "scanned_at": when}
    if session_id:
        body["session_id"] = session_id
    await sql.execute(f"UPDATE event SET starts_at = starts_at - interval '{SHIFT}' WHERE id = $1", c["id"])
    try:
        response = await client.post(f"/api/events/{c['id']}/checkin/scan", json=body, headers=c["staff"])
    finally:
        await sql.execute(f"UPDATE event SET starts_at = starts_at + interval '{SHIFT}' WHERE id = $1", c["id"])
    assert response.status_code == 200, response.text
    return response.json()["outcome"]


async def delegate_at_congress(client, c: dict, name: str, address: str, language: str = "en") -> dict:
    """A registration checked in at the door on the first and second day and in the session on the third: 9 + 9 +
    1.5 = 19.5 hours by the rule."""
    reg = await register(client, c["id"], name, address)
    await sql.execute("UPDATE registration SET registered_language = $2 WHERE id = $1", reg["id"], language)
    code = await checkin_code(reg["id"])
    assert await scan(client, c, code, local(8, 9, 30)) == "admitted"
    assert await scan(client, c, code, local(9, 8, 45)) == "duplicate"  # back the next morning: still a day there
    assert await scan(client, c, code, local(10, 10, 5), c["session_id"]) == "admitted"
    return reg


async def certificate_mails(registration_id: int | None = None) -> list[dict]:
    rows = await sql.fetch(
        "SELECT * FROM outbox_message WHERE kind = 'certificate' AND ($1::int IS NULL OR registration = $1) ORDER BY id",
        registration_id,
    )
    return [dict(r) for r in rows]


async def composed_pdf(row: dict) -> tuple[email.message.EmailMessage, bytes]:
    """The certificate mail as the worker writes it, and its attached PDF."""
    outgoing = await notifications.compose(row, get_settings())
    message = email.message_from_bytes(outgoing.data, policy=email.policy.default)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    return message, attachment.get_content()


def read_pdf(data: bytes) -> tuple[str, list[str]]:
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    return page.extract_text(), decode_qr(page.images[0].image)


async def test_certificate_states_the_hours_and_verifies(client, organizer):
    c = await past_congress(client, organizer)
    reg = await delegate_at_congress(client, c, NAME, "zoe@example.org", language="es")
    await move_to_the_past(c["id"])

    asked = await client.post(f"/api/registrations/{reg['manage_token']}/certificate")
    [row] = await certificate_mails(reg["id"])
    message, data = await composed_pdf(row)
    text, codes = read_pdf(data)
    [url] = codes
    code = url.rsplit("/", 1)[-1]
    stored = await sql.fetchrow("SELECT nonce, code_hash, minutes FROM certificate WHERE registration = $1", reg["id"])
    verified = await client.get(f"/api/certificates/{code}")
    page_en = await client.get(f"/certificates/{code}")
    page_es = await client.get(f"/certificates/{code}", headers={"accept-language": "es"})

    assert (asked.status_code, asked.json()["hours"]) == (202, 19.5)
    assert (row["recipient"], row["language"]) == ("zoe@example.org", "es")
    assert str(message["Subject"]) == "Su certificado de asistencia: Congreso Mundial de Ciudades"
    assert url == f"{get_settings().public_url}/certificates/{code}" and len(code) == 43
    assert url in text
    for shown in (NAME, "Congreso Mundial de Ciudades", "Certificado de asistencia", "Horas de asistencia: 19,5"):
        assert shown in text
    assert "8–10 de junio de 2026" in text  # Babel, in Spanish, the event's days
    assert "Palacio de Congresos, Madrid, España" in text
    assert stored["minutes"] == 1170 and code not in (stored["nonce"], stored["code_hash"])  # only a hash kept
    assert verified.status_code == 200
    assert {k: verified.json()[k] for k in ("state", "name", "event_title", "hours")} == {
        "state": "genuine",
        "name": NAME,
        "event_title": "Congreso Mundial de Ciudades",
        "hours": 19.5,
    }
    assert page_en.status_code == 200 and 'data-state="genuine"' in page_en.text
    assert "This certificate of attendance is genuine" in page_en.text and "19.5" in page_en.text
    assert NAME in page_en.text and "8–10 June 2026" in page_en.text.replace("Jun ", "June ")
    assert "Este certificado de asistencia es auténtico" in page_es.text and "19,5" in page_es.text


async def test_a_forged_code_is_not_a_genuine_certificate(client, organizer):
    forged = "A" * 43
    api = await client.get(f"/api/certificates/{forged}")
    page = await client.get(f"/certificates/{forged}")
    page_es = await client.get("/certificates/not-even-a-code", headers={"accept-language": "es"})

    assert api.status_code == 404 and "not a genuine certificate" in api.json()["detail"]
    assert page.status_code == 404 and 'data-state="unknown"' in page.text
    assert "This is not a genuine certificate" in page.text
    assert page_es.status_code == 404 and "Este no es un certificado auténtico" in page_es.text


async def test_not_checked_in_is_refused_with_the_reason(client, organizer):
    c = await past_congress(client, organizer)
    reg = await register(client, c["id"], "Ana Absent", "ana@example.org")
    await move_to_the_past(c["id"])
    manage = f"/manage/{reg['manage_token']}"

    api = await client.post(f"/api/registrations/{reg['manage_token']}/certificate")
    token = await csrf(client, manage)
    page = await client.post(f"{manage}/certificate", data={"_csrf_token": token}, headers={"accept-language": "es"})
    unknown = await client.post("/api/registrations/no-such-token-xxxxxxxxxxxxxxxxxxxx/certificate")

    assert api.status_code == 409 and "you have not been checked in at this event" in api.json()["detail"]
    assert page.status_code == 409
    assert "No se ha registrado su entrada en este evento" in page.text
    assert unknown.status_code == 404
    assert await certificate_mails() == []
    assert await sql.fetchval("SELECT count(*) FROM certificate") == 0


async def test_manage_page_button_queues_the_certificate(client, organizer):
    c = await past_congress(client, organizer)
    reg = await delegate_at_congress(client, c, "Bruno Díaz", "bruno@example.org")
    await move_to_the_past(c["id"])
    manage = f"/manage/{reg['manage_token']}"

    token = await csrf(client, manage)
    sent = await client.post(f"{manage}/certificate", data={"_csrf_token": token})
    shown = await client.get(sent.headers["location"])

    assert sent.status_code == 303
    assert "Your certificate of attendance is on its way to your email address." in shown.text
    assert [r["recipient"] for r in await certificate_mails(reg["id"])] == ["bruno@example.org"]


async def test_bulk_send_is_idempotent_and_reissues_when_figures_change(client, organizer):
    c = await past_congress(client, organizer)
    first = await delegate_at_congress(client, c, "Chen Li", "chen@example.org")
    second = await register(client, c["id"], "Dara Day", "dara@example.org")
    absent = await register(client, c["id"], "Eli Away", "eli@example.org")
    dara_code = await checkin_code(second["id"])
    assert await scan(client, c, dara_code, local(8, 9, 10)) == "admitted"  # the first day only: 9 hours
    await move_to_the_past(c["id"])
    send = f"/api/events/{c['id']}/certificates/send"

    once = await client.post(send, headers=organizer)
    twice = await client.post(send, headers=organizer)
    mails_after_two = await certificate_mails()
    old_code_row = await sql.fetchrow("SELECT nonce FROM certificate WHERE registration = $1", second["id"])
    # a scan from the third day's session, synced late (the desk was offline): Dara's figures change
    await scan(client, c, dara_code, local(10, 10, 0), c["session_id"])
    third = await client.post(send, headers=organizer)
    mails = await certificate_mails()

    assert (once.status_code, once.json()) == (200, {"certificates": 2, "queued": 2})
    assert (twice.status_code, twice.json()) == (200, {"certificates": 2, "queued": 0})
    assert sorted(m["recipient"] for m in mails_after_two) == ["chen@example.org", "dara@example.org"]
    assert third.json() == {"certificates": 2, "queued": 1}
    assert [m["recipient"] for m in mails[2:]] == ["dara@example.org"]
    assert absent["id"] not in [m["registration"] for m in mails]
    assert (
        await sql.fetchval(
            "SELECT minutes FROM certificate WHERE registration = $1 AND revoked_at IS NULL", second["id"]
        )
        == 9 * 60 + 90
    )
    from events_app.domain.certificates import certificate_code

    old = certificate_code(get_settings().secret_key, old_code_row["nonce"])
    replaced = await client.get(f"/api/certificates/{old}")
    replaced_page = await client.get(f"/certificates/{old}")
    assert replaced.status_code == 410 and 'data-state="replaced"' in replaced_page.text
    _, data = await composed_pdf(mails[-1])
    text, _codes = read_pdf(data)
    assert "Dara Day" in text and "Hours attended: 10.5" in text
    # the first mail, still queued when the figures changed, carries the live certificate, not the replaced one
    [earlier] = [m for m in mails_after_two if m["recipient"] == "dara@example.org"]
    _, earlier_data = await composed_pdf(earlier)
    earlier_text, [earlier_url] = read_pdf(earlier_data)
    assert "Hours attended: 10.5" in earlier_text and earlier_url == read_pdf(data)[1][0]
    assert first["id"] in [m["registration"] for m in mails]


async def test_a_door_scan_outside_the_scheduled_days_certifies_nothing(client, organizer):
    c = await past_congress(client, organizer)
    reg = await register(client, c["id"], "Ivo Early", "ivo@example.org")
    assert await scan(client, c, await checkin_code(reg["id"]), local(7, 17, 0)) == "admitted"  # the day before
    await move_to_the_past(c["id"])

    asked = await client.post(f"/api/registrations/{reg['manage_token']}/certificate")
    sent = await client.post(f"/api/events/{c['id']}/certificates/send", headers=organizer)

    assert asked.status_code == 409 and asked.json()["detail"] == "there is nothing to certify for this registration"
    assert sent.json() == {"certificates": 0, "queued": 0}
    assert await certificate_mails() == []


async def test_bulk_send_waits_for_the_end_of_the_event(client, organizer):
    c = await past_congress(client, organizer)  # not moved: the congress is next year
    response = await client.post(f"/api/events/{c['id']}/certificates/send", headers=organizer)
    assert response.status_code == 409 and "sent after the event" in response.json()["detail"]


async def test_another_events_organizer_cannot_send_certificates(client, organizer):
    c = await past_congress(client, organizer)
    await delegate_at_congress(client, c, "Fay Field", "fay@example.org")
    await move_to_the_past(c["id"])
    other = await login(client, "other-organizer@example.org")
    await published_event(client, other, title="Their own forum")

    api = await client.post(f"/api/events/{c['id']}/certificates/send", headers=other)

    assert api.status_code == 403
    assert await certificate_mails() == []


async def test_attendance_page_button_sends_once(client, organizer):
    c = await past_congress(client, organizer)
    await delegate_at_congress(client, c, "Gil Gómez", "gil@example.org")
    await move_to_the_past(c["id"])
    await page_login(client, "pages@example.org")
    await sql.execute(
        "INSERT INTO event_organizer (event, account) SELECT $1, id FROM account WHERE email = 'pages@example.org'",
        c["id"],
    )
    attendance = f"/organizer/events/{c['id']}/attendance"

    token = await csrf(client, attendance)
    once = await client.post(f"/organizer/events/{c['id']}/certificates", data={"_csrf_token": token})
    shown = await client.get(once.headers["location"])
    twice = await client.post(f"/organizer/events/{c['id']}/certificates", data={"_csrf_token": token})
    shown_again = await client.get(twice.headers["location"])

    assert once.status_code == 303 and "every checked-in delegate receives theirs by email" in shown.text
    assert "nothing new to send" in shown_again.text
    assert len(await certificate_mails()) == 1


@pytest.fixture
def limited(monkeypatch):
    """Low certificate limits for one test (the suite runs with them raised)."""

    def apply(**values):
        settings = dataclasses.replace(get_settings(), **values)
        monkeypatch.setattr(certificates, "get_settings", lambda: settings)
        return settings

    return apply


async def test_verification_is_limited_per_client_on_page_and_api_together(client, limited):
    limited(limit_certificate_ip="3/60")
    forged = "B" * 43
    async with client_from(new_ip()) as c, client_from(new_ip()) as other:
        answers = [
            (await c.get(f"/api/certificates/{forged}")).status_code,
            (await c.get(f"/certificates/{forged}")).status_code,
            (await c.get(f"/api/certificates/{forged}")).status_code,
            (await c.get(f"/certificates/{forged}")).status_code,
            (await c.get(f"/api/certificates/{forged}")).status_code,
        ]
        elsewhere = (await other.get(f"/api/certificates/{forged}")).status_code
        refused = await c.get(f"/api/certificates/{forged}")
    assert answers == [404, 404, 404, 429, 429]
    assert elsewhere == 404
    assert "too many certificate checks from your address" in refused.json()["detail"]
    assert "retry-after" in refused.headers


async def test_certificate_mails_on_request_are_limited_per_registration(client, organizer, limited):
    limited(limit_certificate_mail="2/3600")
    c = await past_congress(client, organizer)
    reg = await delegate_at_congress(client, c, "Hana Hill", "hana@example.org")
    await move_to_the_past(c["id"])
    path = f"/api/registrations/{reg['manage_token']}/certificate"

    answers = [(await client.post(path)).status_code for _ in range(3)]

    assert answers == [202, 202, 429]
    assert len(await certificate_mails(reg["id"])) == 2
    assert await sql.fetchval("SELECT count(*) FROM certificate WHERE registration = $1", reg["id"]) == 1  # same one


async def test_erasure_ends_the_certificate(client, organizer):
    from events_app.services.privacy import privacy

    c = await past_congress(client, organizer)
    reg = await delegate_at_congress(client, c, "Jon Gone", "jon@example.org")
    await move_to_the_past(c["id"])
    assert (await client.post(f"/api/events/{c['id']}/certificates/send", headers=organizer)).json()["queued"] == 1
    [row] = await certificate_mails(reg["id"])
    _, data = await composed_pdf(row)
    [url] = read_pdf(data)[1]
    code = url.rsplit("/", 1)[-1]
    assert (await client.get(f"/api/certificates/{code}")).status_code == 200

    await privacy.erase(await sql.fetchval("SELECT person FROM registration WHERE id = $1", reg["id"]))
    api = await client.get(f"/api/certificates/{code}")
    page = await client.get(f"/certificates/{code}")

    assert api.status_code == 404 and "Jon Gone" not in api.text
    assert page.status_code == 404 and "Jon Gone" not in page.text and 'data-state="unknown"' in page.text
    with pytest.raises(LookupError):  # a mail still queued is given up, never sent with an erased name
        await notifications.compose(row, get_settings())
