"""Attacker probes of the check-in desk that found defects (kept as regression tests): a scan by registration id
must not name registrations the search hides, and a cancelled session is no check-in place."""

from __future__ import annotations

from events_app.db import sql
from tests.fixtures import published_event
from tests.integration.web.test_checkin_api import register, staff_headers, ticket_code


async def test_a_scan_by_id_does_not_name_a_rejected_registration(client, organizer):
    """Registration ids are sequential: check-in staff trying every id must learn nothing of registrations the
    search by name does not show them (rejected ones, other events')."""
    event = await published_event(client, organizer)
    base = f"/api/events/{event['id']}"
    await client.post(
        f"{base}/categories", json={"code": "press", "name": "Press", "requires_approval": True}, headers=organizer
    )
    staff = await staff_headers(client, organizer, event["id"], "door@example.org")
    rejected = await register(client, event["id"], "Rejected Reporter", "rej@example.org", "press")
    pending = await register(client, event["id"], "Pending Reporter", "pen@example.org", "press")
    response = await client.post(f"{base}/registrations/{rejected['id']}/reject", json={}, headers=organizer)
    assert response.status_code == 200, response.text

    answers = []
    for i, reg in enumerate((rejected, pending)):
        scan = {"scan_id": f"by-id-{i}", "registration_id": reg["id"]}
        response = await client.post(f"{base}/checkin/scan", json=scan, headers=staff)
        assert response.status_code == 200, response.text
        answers.append((response.json()["reason"], response.json()["person"]["name"]))
    found = await client.get(f"{base}/checkin/search", params={"q": "Reporter"}, headers=staff)

    assert [p["name"] for p in found.json()] == ["Pending Reporter"]
    assert answers == [("unknown", ""), ("not_confirmed", "Pending Reporter")]
    assert await sql.fetchval("SELECT count(*) FROM checkin_scan WHERE registration IS NOT NULL") == 1


async def test_a_cancelled_session_admits_nobody(client, organizer):
    """A cancelled session is not offered as a place; a scan sent there anyway (an old offline queue, a crafted
    request) is refused, so it neither admits nor counts hours on a certificate."""
    event = await published_event(client, organizer)
    base = f"/api/events/{event['id']}"
    staff = await staff_headers(client, organizer, event["id"], "door@example.org")
    reg = await register(client, event["id"], "Ada Lovelace", "ada@example.org")
    _, code = await ticket_code(client, reg["manage_token"])
    day = event["starts_at"][:11]
    session = await client.post(
        f"{base}/sessions",
        json={"title": "Panel", "kind": "panel", "starts_at": day + "17:00:00", "ends_at": day + "18:00:00"},
        headers=organizer,
    )
    assert session.status_code == 201, session.text
    sid = session.json()["id"]
    assert (await client.post(f"{base}/sessions/{sid}/cancel", json={}, headers=organizer)).status_code == 200

    scan = await client.post(
        f"{base}/checkin/scan", json={"scan_id": "s1", "code": code, "session_id": sid}, headers=staff
    )
    synced = await client.post(
        f"{base}/checkin/sync", json={"scans": [{"scan_id": "s2", "code": code, "session_id": sid}]}, headers=staff
    )
    listing = await client.get(f"{base}/checkin/list", params={"session_id": sid}, headers=staff)
    places = await client.get(f"{base}/checkin/places", headers=staff)

    assert (scan.status_code, scan.json()["outcome"], scan.json()["reason"]) == (200, "refused", "other_session")
    assert [(r["outcome"], r["reason"]) for r in synced.json()["results"]] == [("refused", "other_session")]
    assert listing.status_code == 404
    assert places.json() == []
    assert await sql.fetchval("SELECT count(*) FROM attendance") == 0


async def test_a_device_or_scan_id_with_control_characters_is_refused_by_name(client, organizer):
    """The device name is shown to other desks and in the attendance: control characters (NUL, escape sequences,
    line breaks) are refused with a 422 naming the scan's field, never stored, never a 500."""
    event = await published_event(client, organizer)
    staff = await staff_headers(client, organizer, event["id"], "door@example.org")
    reg = await register(client, event["id"], "Ada Lovelace", "ada@example.org")
    _, code = await ticket_code(client, reg["manage_token"])
    url = f"/api/events/{event['id']}/checkin/sync"
    fine = {"scan_id": "ok-1", "code": code, "device": "Desk 2 – Süd"}

    answers = []
    for bad in ({"device": "desk\u0000"}, {"device": "desk\x1b[2Jdesk 1"}, {"scan_id": "a\nb"}):
        response = await client.post(url, json={"scans": [fine, {**fine, "scan_id": "ok-2", **bad}]}, headers=staff)
        answers.append((response.status_code, [e["field"] for e in response.json()["errors"]]))
    single = await client.post(
        f"/api/events/{event['id']}/checkin/scan", json={**fine, "device": "a\u2028b"}, headers=staff
    )
    accepted = await client.post(url, json={"scans": [fine]}, headers=staff)

    assert answers == [(422, ["scans[1].device"]), (422, ["scans[1].device"]), (422, ["scans[1].scan_id"])]
    assert (single.status_code, single.json()["errors"][0]["field"]) == (422, "device")
    assert (accepted.status_code, accepted.json()["admitted"]) == (200, 1)
    assert await sql.fetchval("SELECT device FROM checkin_scan") == "Desk 2 – Süd"


async def test_malformed_batches_are_refused_whole_and_write_nothing(client, organizer):
    """Forged batches: ids out of range, a non-ISO time, an oversized device or batch. Each is a 4xx, never a
    500, and nothing of the batch is written; absurd but well-formed times are replaced by the time received."""
    event = await published_event(client, organizer)
    staff = await staff_headers(client, organizer, event["id"], "door@example.org")
    url = f"/api/events/{event['id']}/checkin/sync"

    statuses = []
    for scan in (
        {"registration_id": 2**40},
        {"code": "x", "session_id": 2**40},
        {"code": "x", "scanned_at": "yesterday"},
        {"code": "x", "device": "d" * 10_000},
    ):
        response = await client.post(
            url, json={"scans": [{"scan_id": "fine", "code": "y"}, {"scan_id": "s", **scan}]}, headers=staff
        )
        statuses.append(response.status_code)
    too_many = await client.post(
        url, json={"scans": [{"scan_id": str(i), "code": "y"} for i in range(501)]}, headers=staff
    )
    odd_times = await client.post(
        url,
        json={
            "scans": [
                {"scan_id": "t1", "code": "y", "scanned_at": "9999-12-31T23:59:59-14:00"},
                {"scan_id": "t2", "code": "y", "scanned_at": "1970-01-01T00:00:00Z"},
                {"scan_id": "t3", "code": "y", "scanned_at": "2026-01-01T00:00:00"},
            ]
        },
        headers=staff,
    )

    assert all(400 <= s < 500 for s in statuses), statuses
    assert too_many.status_code == 422
    assert odd_times.status_code == 200, odd_times.text
    assert await sql.fetchval("SELECT count(*) FROM checkin_scan WHERE scan_id IN ('fine', 's')") == 0
    assert (
        await sql.fetchval(
            "SELECT count(*) FROM checkin_scan WHERE scanned_at BETWEEN now() - interval '1 minute' AND now()"
        )
        == 3
    )
