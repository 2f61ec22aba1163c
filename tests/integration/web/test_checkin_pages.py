"""The check-in desk page and its JSON routes, over HTTP with the page's login cookie and CSRF header."""

from __future__ import annotations

import dataclasses
import re
import uuid

from events_app.db import sql
from events_app.services.onsite import checkin
from events_app.services.platform import limits
from events_app.settings import get_settings
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


async def _desk_with_csrf(client, organizer, email: str) -> tuple[dict, str, str, str]:
    """A published event with one delegate, `email` logged in as its check-in staff: event, code, sync URL, CSRF."""
    event = await published_event(client, organizer)
    reg = await register(client, event["id"], "Lucía Núñez", f"lucia-{uuid.uuid4().hex[:6]}@example.org")
    _, code = await ticket_code(client, reg["manage_token"])
    await page_login(client, email)
    added = await client.post(
        f"/api/events/{event['id']}/checkin-staff", json={"email": email, "desk": "South"}, headers=organizer
    )
    assert added.status_code == 201
    base = f"/organizer/events/{event['id']}/checkin"
    token = CSRF_RE.search((await client.get(base + "/")).text).group(1)
    return event, code, base + "/sync.json", token


async def test_sync_checks_login_role_and_event_in_its_one_lookup(client, organizer):
    event, code, url, token = await _desk_with_csrf(client, organizer, "south@example.org")
    batch = {"scans": [{"scan_id": uuid.uuid4().hex, "code": code}]}
    other = await published_event(client, organizer)  # staff of one event cannot check in at another

    at_other = await client.post(
        f"/organizer/events/{other['id']}/checkin/sync.json", json=batch, headers={"x-csrftoken": token}
    )
    unknown_event = await client.post(
        "/organizer/events/999999/checkin/sync.json", json=batch, headers={"x-csrftoken": token}
    )
    await sql.execute("UPDATE auth_session SET expires_at = now() - interval '1 minute'")
    expired = await client.post(url, json=batch, headers={"x-csrftoken": token})

    assert at_other.status_code == 403
    assert unknown_event.status_code == 404
    assert expired.status_code == 303 and expired.headers["location"].startswith("/login")
    assert await sql.fetchval("SELECT count(*) FROM checkin_scan") == 0


async def test_sync_over_the_abuse_limit_answers_429_and_records_nothing(client, organizer, monkeypatch):
    event, code, url, token = await _desk_with_csrf(client, organizer, "limited@example.org")
    account_id = await sql.fetchval("SELECT id FROM account WHERE email = 'limited@example.org'")
    await limits.client().delete(limits._key("checkin-account", str(account_id)))  # earlier tests' lookups
    settings = dataclasses.replace(get_settings(), limit_checkin_account="1/60")
    monkeypatch.setattr(checkin, "get_settings", lambda: settings)
    first = {"scans": [{"scan_id": uuid.uuid4().hex, "code": code}]}
    second = {"scans": [{"scan_id": uuid.uuid4().hex, "code": code}]}

    allowed = await client.post(url, json=first, headers={"x-csrftoken": token})
    over = await client.post(url, json=second, headers={"x-csrftoken": token})
    bad_and_over = await client.post(url, json={"scans": [{"code": code}]}, headers={"x-csrftoken": token})

    assert (allowed.status_code, allowed.json()["admitted"]) == (200, 1)
    assert over.status_code == 429 and "retry-after" in over.headers
    assert bad_and_over.status_code == 429
    assert await sql.fetchval("SELECT count(*) FROM checkin_scan") == 1
    assert await sql.fetchval("SELECT count(*) FROM attendance WHERE event = $1", event["id"]) == 1


async def test_sync_refuses_a_deeply_nested_body_without_walking_it(client, organizer):
    _, _, url, token = await _desk_with_csrf(client, organizer, "deep@example.org")
    for body in ('{"scans": ' + "[" * 5000 + "]" * 5000 + "}", '{"x": ' + '{"a": ' * 5000 + "1" + "}" * 5001):
        response = await client.post(
            url, content=body.encode(), headers={"x-csrftoken": token, "content-type": "application/json"}
        )
        assert response.status_code == 422 and "scans" in response.text
    assert await sql.fetchval("SELECT count(*) FROM checkin_scan") == 0
