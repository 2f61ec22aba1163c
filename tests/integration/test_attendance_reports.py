"""Attendance report as the network's staff use it: counting (sessions, cancellations, no organization), the
reader's language and CSV separator, and XLSX cells typed for Excel."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl

from events_app.db import sql
from tests.fixtures import published_event
from tests.integration.web.test_attendance import organization


async def checked_in(event_id: int, registration_id: int, session: int = 0) -> None:
    scan = await sql.fetchval(
        "INSERT INTO checkin_scan (event, session, registration, device, scan_id, method, scanned_at, outcome)"
        " VALUES ($1, $2, $3, 'd', gen_random_uuid()::text, 'name', now(), 'admitted') RETURNING id",
        event_id,
        session,
        registration_id,
    )
    await sql.execute(
        "INSERT INTO attendance (event, session, registration, scan, checked_in_at, device)"
        " VALUES ($1, $2, $3, $4, now(), 'd')",
        event_id,
        session,
        registration_id,
        scan,
    )


async def registered(client, event_id: int, email: str, organization_id: int | None = None) -> int:
    body = {"email": email, "name": "Ана محمد 李", "category": "delegate", "consent": True}
    if organization_id:
        body["organization_id"] = organization_id
    r = await client.post(f"/api/events/{event_id}/registrations", json=body)
    assert r.status_code == 201, r.text
    return await sql.fetchval(
        "SELECT r.id FROM registration r JOIN person p ON p.id = r.person WHERE r.event = $1 AND p.email = $2",
        event_id,
        email,
    )


async def test_counts_sessions_cancellations_and_people_without_organization(client, organizer):
    # 23:30 UTC is the next day in Seoul: the report shows the event's local day.
    event = await published_event(
        client, organizer, starts_at="2027-03-09T23:30:00+00:00", ends_at="2027-03-10T09:30:00+00:00"
    )
    quito = await organization("Quito", "EC")
    door_and_session = await registered(client, event["id"], "a@example.org", quito)
    session_only = await registered(client, event["id"], "b@example.org", quito)
    no_organization = await registered(client, event["id"], "c@example.org")
    cancelled_after = await registered(client, event["id"], "d@example.org", quito)
    await checked_in(event["id"], door_and_session)
    await checked_in(event["id"], door_and_session, session=7)
    await checked_in(event["id"], session_only, session=7)
    await checked_in(event["id"], no_organization)
    await checked_in(event["id"], cancelled_after)
    await sql.execute("UPDATE registration SET status = 'cancelled' WHERE id = $1", cancelled_after)

    report = (await client.get(f"/api/events/{event['id']}/attendance", headers=organizer)).json()
    assert (report["registered"], report["checked_in"]) == (4, 4)
    for part in ("by_category", "by_organization", "by_country", "by_region"):
        assert sum(r["registered"] for r in report[part]) == 4, part
        assert sum(r["checked_in"] for r in report[part]) == 4, part

    es = await client.get(
        "/api/attendance/organizations.csv", headers={**organizer, "accept-language": "es-ES,es;q=0.9"}
    )
    assert es.headers["content-type"] == "text/csv; charset=utf-8"
    assert es.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(es.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Organización",
        "País",
        "Tipo",
        "Membresía",
        "Actividad",
        "Título",
        "Fecha",
        "Personas inscritas",
        "Personas que asistieron",
    ]
    assert [(r[0], r[4], r[6], r[7], r[8]) for r in rows[1:]] == [
        ("Quito", "Evento", "2027-03-10", "3", "3"),
        ("(ninguna)", "Evento", "2027-03-10", "1", "1"),
    ]
    forced = await client.get(
        "/api/attendance/organizations.csv?separator=comma", headers={**organizer, "accept-language": "fr-FR"}
    )
    assert forced.content.decode("utf-8-sig").splitlines()[0].count(",") == 8
    bad = await client.get("/api/attendance/organizations.csv?separator=tab", headers=organizer)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "separator"

    sheet = openpyxl.load_workbook(
        io.BytesIO((await client.get("/api/attendance/organizations.xlsx", headers=organizer)).content)
    ).active
    assert sheet.freeze_panes == "A2"
    first = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert first[6].date() == date(2027, 3, 10) and sheet.cell(2, 7).number_format == "yyyy-mm-dd"
    assert sheet.column_dimensions["F"].width >= len(event["title"])
