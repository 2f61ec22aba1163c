"""The check-in desk page and its JSON routes, over HTTP with the page's login cookie and CSRF header."""

from __future__ import annotations

import re
import uuid

from events_app.db import sql
from tests.fixtures import published_event
from tests.integration.web.test_checkin_api import register, ticket_code
from tests.integration.web.test_pages import page_login

CSRF_RE = re.compile(r'data-csrf="([^"]+)"')


async def test_desk_page_lists_people_and_syncs_queued_scans(client, organizer):
    event = await published_event(client, organizer)
    reg = await register(client, event["id"], "Ирина Шевченко", "irina@example.org")
    _, code = await ticket_code(client, reg["manage_token"])
    await page_login(client, "door@example.org")
    added = await client.post(
        f"/api/events/{event['id']}/checkin-staff",
        json={"email": "door@example.org", "desk": "North"},
        headers=organizer,
    )
    assert added.status_code == 201
    base = f"/organizer/events/{event['id']}/checkin"

    page = await client.get(base + "/")
    listing = await client.get(base + "/list.json")
    token = CSRF_RE.search(page.text).group(1)
    batch = {"scans": [{"scan_id": uuid.uuid4().hex, "code": code, "device": "North"}]}
    without_csrf = await client.post(base + "/sync.json", json=batch)
    synced = await client.post(base + "/sync.json", json=batch, headers={"x-csrftoken": token})
    replayed = await client.post(base + "/sync.json", json=batch, headers={"x-csrftoken": token})
    bad = await client.post(base + "/sync.json", json={"scans": [{"code": code}]}, headers={"x-csrftoken": token})

    assert page.status_code == 200
    assert page.headers["permissions-policy"].startswith("camera=(self)")
    assert "/static/vendor/jsqr/jsQR.js" in page.text and "/static/checkin.js" in page.text
    assert [p["name"] for p in listing.json()["people"]] == ["Ирина Шевченко"]
    assert without_csrf.status_code == 403
    assert (synced.status_code, synced.json()["admitted"]) == (200, 1)
    assert (replayed.json()["admitted"], replayed.json()["replayed"]) == (0, 1)
    assert bad.status_code == 422 and "scan_id" in bad.text
    assert await sql.fetchval("SELECT count(*) FROM checkin_scan") == 1


async def test_desk_page_refuses_an_account_without_the_role(client, organizer):
    event = await published_event(client, organizer)
    await page_login(client, "someone@example.org")
    response = await client.get(f"/organizer/events/{event['id']}/checkin/")
    assert response.status_code == 403


async def test_other_pages_keep_the_camera_off(client, organizer):
    response = await client.get("/")
    assert response.headers["permissions-policy"].startswith("camera=()")


async def test_desk_page_offers_the_event_sessions_as_places_and_lists_a_room(client, organizer):
    from tests.agenda_fixtures import add_session, congress

    c = await congress(client, organizer)
    session = await add_session(
        client, organizer, c, room_id=c["rooms"][1]["id"], requires_booking=True, capacity=2, title="Circular lab"
    )
    await page_login(client, "room@example.org")
    added = await client.post(
        f"/api/events/{c['id']}/checkin-staff", json={"email": "room@example.org", "desk": "Room 2"}, headers=organizer
    )
    assert added.status_code == 201
    base = f"/organizer/events/{c['id']}/checkin"

    page = await client.get(base + "/")
    room = await client.get(base + "/list.json", params={"session_id": session["id"]})
    elsewhere = await client.get(base + "/list.json", params={"session_id": 999999})

    assert page.status_code == 200
    assert f'<option value="{session["id"]}" data-requires-booking="true">Circular lab · Room 2' in page.text
    assert (room.json()["session_id"], room.json()["requires_booking"], room.json()["places"]) == (
        session["id"],
        True,
        2,
    )
    assert elsewhere.status_code == 404
