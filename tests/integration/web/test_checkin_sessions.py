"""Check-in at session rooms through the HTTP API: booked, waiting and walk-in delegates, places that never
overfill, offline batches whose first scan wins, and staff who stay at their own event (issue 17)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

from events_app.db import sql
from events_app.services.onsite import checkin_codes
from tests.agenda_fixtures import add_session, congress
from tests.fixtures import published_event
from tests.integration.web.test_checkin_api import staff_headers

# Scan times a device claims must not be in the future (those are not believed): an hour ago, to the second.
T0 = (datetime.now(timezone.utc) - timedelta(hours=1)).replace(microsecond=0)


async def _delegate(client, c: dict, n: int) -> dict:
    """A confirmed delegate: registration id, manage token and live check-in code."""
    response = await client.post(
        f"{c['base']}/registrations",
        json={
            "email": f"room{n}@city{n}.example.org",
            "name": f"Delegate {n}",
            "category": "delegate",
            "consent": True,
        },
    )
    assert response.status_code == 201, response.text
    reg = response.json()
    return {"id": reg["id"], "token": reg["manage_token"], "code": await checkin_codes.live_code(reg["id"])}


async def _workshop(client, organizer, c: dict, capacity: int | None = 2, requires_booking: bool = True) -> dict:
    return await add_session(
        client,
        organizer,
        c,
        room_id=c["rooms"][1]["id"],  # Room 2: three seats
        requires_booking=requires_booking,
        capacity=capacity,
        kind="workshop",
        title=f"Circular procurement lab {uuid.uuid4().hex[:6]}",
    )


async def _book(client, person: dict, session_id: int) -> str:
    response = await client.put(f"/api/registrations/{person['token']}/agenda/{session_id}")
    assert response.status_code == 200, response.text
    return response.json()["status"]


def _scan(person: dict, session_id: int, device: str = "Room 2 door", at: datetime | None = None) -> dict:
    body = {"scan_id": uuid.uuid4().hex, "code": person["code"], "device": device, "session_id": session_id}
    if at is not None:
        body["scanned_at"] = at.isoformat()
    return body


async def _room(client, c: dict, staff: dict, person: dict, session_id: int, **extra) -> dict:
    response = await client.post(f"{c['base']}/checkin/scan", json=_scan(person, session_id, **extra), headers=staff)
    assert response.status_code == 200, response.text
    return response.json()


async def test_room_admits_the_booked_and_the_waiting_and_refuses_others_once_full(client, organizer):
    c = await congress(client, organizer)
    session = await _workshop(client, organizer, c, capacity=2)
    booked, also_booked, waiting, walk_in = [await _delegate(client, c, n) for n in range(4)]
    statuses = [await _book(client, p, session["id"]) for p in (booked, also_booked, waiting)]
    staff = await staff_headers(client, organizer, c["id"], "room2@example.org", desk="Room 2 door")

    answers = [await _room(client, c, staff, p, session["id"]) for p in (booked, waiting, walk_in)]

    assert statuses == ["booked", "booked", "waitlisted"]
    assert [(a["outcome"], a["reason"], a["session_title"]) for a in answers] == [
        ("admitted", "", session["title"]),
        ("admitted", "", session["title"]),
        ("refused", "not_booked", session["title"]),  # no booking, not waiting, and no place left
    ]
    assert answers[2]["person"]["name"] == "Delegate 3"
    assert await sql.fetchval("SELECT booked_count FROM agenda_session WHERE id = $1", session["id"]) == 2


async def test_walk_ins_take_places_until_none_remain_and_a_second_scan_is_a_duplicate(client, organizer):
    c = await congress(client, organizer)
    session = await _workshop(client, organizer, c, capacity=2)
    first, second, third = [await _delegate(client, c, n) for n in range(3)]
    staff = await staff_headers(client, organizer, c["id"], "room2@example.org", desk="Room 2 door")

    answers = [await _room(client, c, staff, p, session["id"]) for p in (first, second, third)]
    again = await _room(client, c, staff, first, session["id"], device="Room 2 side door")
    door = await client.post(f"{c['base']}/checkin/scan", json=_scan(third, 0), headers=staff)

    assert [(a["outcome"], a["reason"]) for a in answers] == [
        ("admitted", ""),
        ("admitted", ""),
        ("refused", "not_booked"),
    ]
    assert (again["outcome"], again["reason"], again["first_device"]) == ("duplicate", "already", "Room 2 door")
    assert door.json()["outcome"] == "admitted"  # the event's door is another place
    assert await sql.fetchval("SELECT booked_count FROM agenda_session WHERE id = $1", session["id"]) == 2
    booked = await sql.fetch(
        "SELECT registration FROM agenda_booking WHERE session = $1 AND status = 'booked' ORDER BY registration",
        session["id"],
    )
    assert [r["registration"] for r in booked] == [first["id"], second["id"]]
    assert await sql.fetchval("SELECT count(*) FROM attendance WHERE session = $1", session["id"]) == 2


async def test_a_session_without_booking_admits_every_confirmed_delegate(client, organizer):
    c = await congress(client, organizer)
    session = await _workshop(client, organizer, c, capacity=1, requires_booking=False)
    people = [await _delegate(client, c, n) for n in range(3)]
    staff = await staff_headers(client, organizer, c["id"], "room2@example.org")

    answers = [await _room(client, c, staff, p, session["id"]) for p in people]

    assert [a["outcome"] for a in answers] == ["admitted"] * 3
    assert await sql.fetchval("SELECT booked_count FROM agenda_session WHERE id = $1", session["id"]) == 0


async def test_offline_room_batches_the_earliest_scan_wins_and_a_replay_changes_nothing(client, organizer):
    c = await congress(client, organizer)
    session = await _workshop(client, organizer, c, capacity=3)
    walker, other = [await _delegate(client, c, n) for n in range(2)]
    staff = await staff_headers(client, organizer, c["id"], "room2@example.org")
    await sql.execute("UPDATE event SET starts_at = $2 WHERE id = $1", c["id"], T0 - timedelta(hours=1))  # doors open
    sync = f"{c['base']}/checkin/sync"
    # Desk B was online later but its batch arrives first; desk A scanned the same person earlier, offline.
    batch_b = {"scans": [_scan(walker, session["id"], "Desk B", T0 + timedelta(minutes=5))]}
    batch_a = {
        "scans": [
            _scan(walker, session["id"], "Desk A", T0),
            _scan(other, session["id"], "Desk A", T0 + timedelta(minutes=1)),
            _scan(other, session["id"], "Desk A", T0 + timedelta(minutes=2)),  # the same badge twice in one batch
        ]
    }

    b = (await client.post(sync, json=batch_b, headers=staff)).json()
    a = (await client.post(sync, json=batch_a, headers=staff)).json()
    replay = (await client.post(sync, json=batch_a, headers=staff)).json()

    assert [r["outcome"] for r in b["results"]] == ["admitted"]
    assert [r["outcome"] for r in a["results"]] == ["admitted", "admitted", "duplicate"]
    assert (a["admitted"], a["duplicates"]) == (2, 1)
    assert (replay["admitted"], replay["duplicates"], replay["replayed"]) == (0, 0, 3)
    winners = await sql.fetch(
        "SELECT registration, device, checked_in_at FROM attendance WHERE session = $1 ORDER BY registration",
        session["id"],
    )
    assert [(w["registration"], w["device"], w["checked_in_at"]) for w in winners] == [
        (walker["id"], "Desk A", T0),
        (other["id"], "Desk A", T0 + timedelta(minutes=1)),
    ]
    scans = await sql.fetch(
        "SELECT device, outcome FROM checkin_scan WHERE registration = $1 AND session = $2 ORDER BY device",
        walker["id"],
        session["id"],
    )
    assert [(s["device"], s["outcome"]) for s in scans] == [("Desk A", "admitted"), ("Desk B", "duplicate")]
    assert await sql.fetchval("SELECT count(*) FROM checkin_scan WHERE session = $1", session["id"]) == 4
    # each walk-in took one place, once, however many times they were scanned
    assert await sql.fetchval("SELECT booked_count FROM agenda_session WHERE id = $1", session["id"]) == 2


async def test_two_desks_racing_for_the_last_place_admit_one(client, organizer):
    c = await congress(client, organizer)
    session = await _workshop(client, organizer, c, capacity=1)
    people = [await _delegate(client, c, n) for n in range(2)]
    staff = await staff_headers(client, organizer, c["id"], "room2@example.org")

    answers = await asyncio.gather(
        *(
            client.post(
                f"{c['base']}/checkin/sync", json={"scans": [_scan(p, session["id"], f"Desk {n}")]}, headers=staff
            )
            for n, p in enumerate(people)
        )
    )

    outcomes = sorted((r.json()["results"][0]["outcome"], r.json()["results"][0]["reason"]) for r in answers)
    assert outcomes == [("admitted", ""), ("refused", "not_booked")]
    assert await sql.fetchval("SELECT booked_count FROM agenda_session WHERE id = $1", session["id"]) == 1


async def test_staff_of_another_event_cannot_check_in_at_its_rooms(client, organizer):
    c = await congress(client, organizer)
    session = await _workshop(client, organizer, c, capacity=2)
    person = await _delegate(client, c, 0)
    other = await published_event(client, organizer, title="Forum on Coastal Cities")
    outsider = await staff_headers(client, organizer, other["id"], "elsewhere@example.org", desk="Forum door")
    staff = await staff_headers(client, organizer, c["id"], "room2@example.org")

    refused = await client.post(f"{c['base']}/checkin/scan", json=_scan(person, session["id"]), headers=outsider)
    listing = await client.get(f"{c['base']}/checkin/list", params={"session_id": session["id"]}, headers=outsider)
    # their own event's desk, pointed at this event's session: not a session of their event
    foreign = await client.post(
        f"/api/events/{other['id']}/checkin/scan", json=_scan(person, session["id"]), headers=outsider
    )
    unknown_room = await client.get(f"{c['base']}/checkin/list", params={"session_id": 999999}, headers=staff)

    assert refused.status_code == 403 and "check-in staff" in refused.text
    assert listing.status_code == 403
    assert (foreign.json()["outcome"], foreign.json()["reason"]) == ("refused", "other_event")
    assert foreign.json()["person"] == {"registration_id": None, "name": "", "organization": "", "category": ""}
    assert unknown_room.status_code == 404
    assert await sql.fetchval("SELECT count(*) FROM attendance") == 0


async def test_room_list_shows_bookings_and_places_for_an_offline_desk(client, organizer):
    c = await congress(client, organizer)
    session = await _workshop(client, organizer, c, capacity=2)
    booked, waiting, walk_in = [await _delegate(client, c, n) for n in range(3)]
    await _book(client, booked, session["id"])
    await _book(client, walk_in, session["id"])
    await client.delete(f"/api/registrations/{walk_in['token']}/agenda/{session['id']}")
    await _book(client, waiting, session["id"])
    await _book(client, walk_in, session["id"])  # now full: waits
    staff = await staff_headers(client, organizer, c["id"], "room2@example.org")
    await _room(client, c, staff, booked, session["id"])

    places = await client.get(f"{c['base']}/checkin/places", headers=staff)
    listing = await client.get(f"{c['base']}/checkin/list", params={"session_id": session["id"]}, headers=staff)
    door = await client.get(f"{c['base']}/checkin/list", headers=staff)

    assert [(p["id"], p["requires_booking"], p["places"], p["taken"]) for p in places.json()] == [
        (session["id"], True, 2, 2)
    ]
    body = listing.json()
    assert (body["session_id"], body["requires_booking"], body["places"], body["taken"]) == (session["id"], True, 2, 2)
    seen = {p["name"]: (p["booking"], p["checked_in_at"] is not None) for p in body["people"]}
    assert seen == {
        "Delegate 0": ("booked", True),
        "Delegate 1": ("booked", False),
        "Delegate 2": ("waitlisted", False),
    }
    assert {p["name"]: p["checked_in_at"] for p in door.json()["people"]} == {
        "Delegate 0": None,
        "Delegate 1": None,
        "Delegate 2": None,
    }
