"""Attendance by category, organization and country, and the report by organization across events (issue 17)."""

from __future__ import annotations

import csv
import io
import uuid

import openpyxl

from events_app.db import sql
from tests.fixtures import published_event
from tests.integration.web.test_checkin_api import register, staff_headers, ticket_code
from tests.integration.web.test_pages import page_login


async def organization(name: str, country: str) -> int:
    return await sql.fetchval(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ($1, 'city', $2, 'active', now()) RETURNING id",
        name,
        country,
    )


async def test_attendance_counts_by_category_organization_and_country(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", None), ("press", None)))
    staff = await staff_headers(client, organizer, event["id"], "door@example.org")
    quito = await organization("Quito", "EC")
    cuenca = await organization("=Cuenca", "EC")  # a name a spreadsheet would run as a formula
    lyon = await organization("Lyon", "FR")
    people = [
        ("Ana", quito, "delegate", True),
        ("Bea", quito, "delegate", False),
        ("Cai", cuenca, "press", True),
        ("Dan", lyon, "delegate", True),
        ("Eve", None, "delegate", False),
    ]
    for i, (name, org, category, present) in enumerate(people):
        body = {"email": f"p{i}@example.org", "name": name, "category": category, "consent": True}
        if org:
            body["organization_id"] = org
        r = await client.post(f"/api/events/{event['id']}/registrations", json=body)
        assert r.status_code == 201, r.text
        if present:
            _, code = await ticket_code(client, r.json()["manage_token"])
            scan = {"scan_id": uuid.uuid4().hex, "code": code}
            assert (await client.post(f"/api/events/{event['id']}/checkin/scan", json=scan, headers=staff)).json()[
                "outcome"
            ] == "admitted"

    report = (await client.get(f"/api/events/{event['id']}/attendance", headers=organizer)).json()
    csv_file = await client.get("/api/attendance/organizations.csv", headers=organizer)
    xlsx_file = await client.get("/api/attendance/organizations.xlsx", headers=organizer)

    assert (report["registered"], report["checked_in"]) == (5, 3)
    assert [(r["label"], r["registered"], r["checked_in"]) for r in report["by_category"]] == [
        ("Delegate", 4, 2),
        ("Press", 1, 1),
    ]
    assert sorted((r["label"], r["registered"], r["checked_in"], r["rate"]) for r in report["by_organization"]) == [
        ("", 1, 0, 0),
        ("=Cuenca", 1, 1, 100),
        ("Lyon", 1, 1, 100),
        ("Quito", 2, 1, 50),
    ]
    assert [(r["code"], r["registered"], r["checked_in"]) for r in report["by_country"]] == [
        ("EC", 3, 2),
        ("FR", 1, 1),
        ("", 1, 0),
    ]
    # by continent (CLDR region), summing to the totals
    assert [(r["code"], r["label"], r["registered"], r["checked_in"]) for r in report["by_region"]] == [
        ("005", "South America", 3, 2),
        ("150", "Europe", 1, 1),
        ("", "", 1, 0),
    ]
    rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "organization",
        "country",
        "kind",
        "membership",
        "activity",
        "title",
        "date",
        "registered",
        "attended",
    ]
    assert sorted((r[0], r[4], r[7], r[8]) for r in rows[1:]) == [
        ("'=Cuenca", "event", "1", "1"),
        ("(none)", "event", "1", "0"),  # people of no organization have a row of their own
        ("Lyon", "event", "1", "1"),
        ("Quito", "event", "2", "1"),
    ]
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_file.content)).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0] == rows[0]
    assert sorted((r[0], r[7], r[8]) for r in cells[1:]) == [
        ("'=Cuenca", 1, 1),
        ("(none)", 1, 0),
        ("Lyon", 1, 1),
        ("Quito", 2, 1),
    ]


async def test_report_covers_only_the_events_one_manages(client, organizer):
    mine = await published_event(client, organizer)
    other_organizer = await page_login_api(client)
    theirs = await published_event(client, other_organizer, title="Their forum")
    quito = await organization("Quito", "EC")
    for event in (mine, theirs):
        r = await client.post(
            f"/api/events/{event['id']}/registrations",
            json={
                "email": f"x{event['id']}@example.org",
                "name": "X",
                "category": "delegate",
                "consent": True,
                "organization_id": quito,
            },
        )
        assert r.status_code == 201, r.text

    rows = list(
        csv.reader(
            io.StringIO(
                (await client.get("/api/attendance/organizations.csv", headers=organizer)).content.decode("utf-8-sig")
            )
        )
    )
    assert [r[5] for r in rows[1:]] == [mine["title"]]


async def page_login_api(client) -> dict:
    from tests.fixtures import login

    return await login(client, "other@example.org")


async def test_attendance_page_shows_the_tables_and_export_links(client, organizer):
    event = await published_event(client, organizer)
    await register(client, event["id"], "Ana", "ana@example.org")
    await page_login(client)
    page = await client.get(f"/organizer/events/{event['id']}/attendance")
    export = await client.get("/organizer/attendance/export/xlsx")
    assert page.status_code == 200, page.text
    assert 'id="attendance-total"' in page.text and "<progress" in page.text
    assert export.status_code == 200 and export.content[:2] == b"PK"
