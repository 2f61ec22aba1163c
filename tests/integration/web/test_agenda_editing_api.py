"""Organizers build the agenda: sessions, people in roles, conflicts (409 listing them), the change log."""

from events_app.db import sql
from tests.agenda_fixtures import add_session, congress, session_body
from tests.fixtures import login


async def test_create_session_returns_times_in_event_zone_with_offset(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(
        client, organizer, c, people=[{"email": "ana.lima@recife.example.org", "name": "Ana Lima", "role": "moderator"}]
    )
    assert (session["starts_at"], session["ends_at"], session["calendar_sequence"], session["room"]["name"]) == (
        "2027-10-29T10:00:00+02:00",
        "2027-10-29T11:00:00+02:00",
        0,
        "Plenary Hall",
    )
    assert [(p["name"], p["role"]) for p in session["people"]] == [("Ana Lima", "moderator")]


async def test_session_in_taken_room_is_409_listing_the_other_session(client, organizer):
    c = await congress(client, organizer)
    first = await add_session(client, organizer, c, title="Opening plenary")
    response = await client.post(
        f"{c['base']}/sessions",
        json=session_body(c, start="2027-10-29T10:30:00", end="2027-10-29T11:30:00", title="Overlapping"),
        headers=organizer,
    )
    body = response.json()
    assert (response.status_code, body["conflicts"][0]["rule"], body["errors"][0]["field"]) == (409, "room", "room_id")
    assert [s["title"] for s in body["conflicts"][0]["sessions"]] == ["Overlapping", "Opening plenary"]
    assert body["conflicts"][0]["sessions"][1]["id"] == first["id"]
    assert await sql.fetchval("SELECT count(*) FROM agenda_session") == 1


async def test_person_in_two_sessions_at_once_is_409(client, organizer):
    c = await congress(client, organizer)
    ana = {"email": "ana.lima@recife.example.org", "name": "Ana Lima", "role": "speaker"}
    await add_session(client, organizer, c, people=[ana])
    response = await client.post(
        f"{c['base']}/sessions",
        json=session_body(c, room_id=c["rooms"][1]["id"], title="Parallel workshop", kind="workshop", people=[ana]),
        headers=organizer,
    )
    conflict = response.json()["conflicts"][0]
    assert (response.status_code, conflict["rule"], conflict["person_id"] is not None) == (409, "person", True)


async def test_adding_busy_person_to_session_is_409(client, organizer):
    c = await congress(client, organizer)
    ana = {"email": "ana.lima@recife.example.org", "name": "Ana Lima"}
    await add_session(client, organizer, c, people=[ana])
    other = await add_session(client, organizer, c, room_id=c["rooms"][1]["id"], title="Parallel")
    response = await client.post(
        f"{c['base']}/sessions/{other['id']}/people", json={**ana, "role": "panelist"}, headers=organizer
    )
    assert (response.status_code, response.json()["conflicts"][0]["rule"]) == (409, "person")


async def test_session_outside_event_dates_is_409(client, organizer):
    c = await congress(client, organizer)
    response = await client.post(
        f"{c['base']}/sessions",
        json=session_body(c, start="2027-11-02T10:00:00", end="2027-11-02T11:00:00"),
        headers=organizer,
    )
    assert (response.status_code, response.json()["conflicts"][0]["rule"]) == (409, "outside_event")


async def test_move_into_taken_room_is_409_and_changes_nothing(client, organizer):
    c = await congress(client, organizer)
    await add_session(client, organizer, c, title="In the hall")
    small = await add_session(client, organizer, c, room_id=c["rooms"][1]["id"], title="In room 2")
    response = await client.patch(
        f"{c['base']}/sessions/{small['id']}", json={"room_id": c["rooms"][0]["id"]}, headers=organizer
    )
    row = await sql.fetchrow("SELECT room, calendar_sequence FROM agenda_session WHERE id = $1", small["id"])
    assert (response.status_code, row["room"], row["calendar_sequence"]) == (409, c["rooms"][1]["id"], 0)


async def test_move_grows_sequence_and_is_logged_with_from_and_to(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    response = await client.patch(
        f"{c['base']}/sessions/{session['id']}",
        json={"starts_at": "2027-10-29T14:00:00", "ends_at": "2027-10-29T15:00:00"},
        headers=organizer,
    )
    changes = (await client.get(f"{c['base']}/agenda/changes", headers=organizer)).json()
    assert (response.status_code, response.json()["calendar_sequence"], response.json()["starts_at"]) == (
        200,
        1,
        "2027-10-29T14:00:00+02:00",
    )
    assert [(ch["action"], ch["calendar_sequence"], ch["actor"]) for ch in changes] == [
        ("created", 0, "organizer@example.org"),
        ("moved", 1, "organizer@example.org"),
    ]
    assert changes[1]["changes"]["starts_at"] == {
        "from": "2027-10-29T08:00:00+00:00",
        "to": "2027-10-29T12:00:00+00:00",
    }


async def test_title_change_grows_sequence_capacity_change_keeps_it(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    response = await client.patch(
        f"{c['base']}/sessions/{session['id']}", json={"title": "New title"}, headers=organizer
    )
    assert (response.json()["calendar_sequence"], response.json()["title"]) == (1, "New title")
    response = await client.patch(f"{c['base']}/sessions/{session['id']}", json={"capacity": 10}, headers=organizer)
    assert response.json()["calendar_sequence"] == 1


async def test_cancel_grows_sequence_logs_and_frees_the_room(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    cancelled = (await client.post(f"{c['base']}/sessions/{session['id']}/cancel", headers=organizer)).json()
    replacement = await client.post(
        f"{c['base']}/sessions", json=session_body(c, title="Replacement"), headers=organizer
    )
    actions = [ch["action"] for ch in (await client.get(f"{c['base']}/agenda/changes", headers=organizer)).json()]
    assert (cancelled["status"], cancelled["calendar_sequence"], replacement.status_code) == ("cancelled", 1, 201)
    assert actions == ["created", "cancelled", "created"]


async def test_cancelling_twice_is_409(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    await client.post(f"{c['base']}/sessions/{session['id']}/cancel", headers=organizer)
    response = await client.post(f"{c['base']}/sessions/{session['id']}/cancel", headers=organizer)
    assert response.status_code == 409


async def test_add_and_remove_person_are_logged(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    added = (
        await client.post(
            f"{c['base']}/sessions/{session['id']}/people",
            json={"email": "kwame@accra.example.org", "name": "Kwame Mensah", "role": "panelist"},
            headers=organizer,
        )
    ).json()
    person_id = added["people"][0]["person_id"]
    removed = await client.delete(f"{c['base']}/sessions/{session['id']}/people/{person_id}", headers=organizer)
    changes = (await client.get(f"{c['base']}/agenda/changes", headers=organizer)).json()
    assert (removed.status_code, removed.json()["people"]) == (200, [])
    assert [(ch["action"], ch["changes"]["people"]) for ch in changes[1:]] == [
        ("person_added", {"from": None, "to": {"person_id": person_id, "name": "Kwame Mensah", "role": "panelist"}}),
        ("person_removed", {"from": {"person_id": person_id, "name": "Kwame Mensah", "role": "panelist"}, "to": None}),
    ]


async def test_dst_wall_clock_times_are_kept_and_gaps_refused(client, organizer):
    c = await congress(client, organizer)
    # Sunday 31 October 2027: 01:30 is summer time, 04:00 winter time, so this session lasts 3.5 hours.
    night = await add_session(
        client,
        organizer,
        c,
        start="2027-10-31T01:30:00",
        end="2027-10-31T04:00:00",
        title="Night session over the clock change",
    )
    ambiguous = await client.post(
        f"{c['base']}/sessions",
        json=session_body(c, start="2027-10-31T02:30:00", end="2027-10-31T05:00:00", room_id=c["rooms"][1]["id"]),
        headers=organizer,
    )
    assert (night["starts_at"], night["ends_at"]) == ("2027-10-31T01:30:00+02:00", "2027-10-31T04:00:00+01:00")
    assert (ambiguous.status_code, ambiguous.json()["errors"][0]["field"]) == (422, "starts_at")


async def test_session_past_midnight_is_accepted_and_blocks_the_room_next_morning(client, organizer):
    c = await congress(client, organizer)
    await add_session(
        client,
        organizer,
        c,
        start="2027-10-29T23:00:00",
        end="2027-10-30T01:30:00",
        title="Late networking",
        kind="networking",
    )
    response = await client.post(
        f"{c['base']}/sessions",
        json=session_body(c, start="2027-10-30T01:00:00", end="2027-10-30T02:00:00"),
        headers=organizer,
    )
    assert (response.status_code, response.json()["conflicts"][0]["sessions"][1]["title"]) == (409, "Late networking")


async def test_capacity_above_room_is_422(client, organizer):
    c = await congress(client, organizer)
    response = await client.post(
        f"{c['base']}/sessions",
        json=session_body(c, room_id=c["rooms"][1]["id"], requires_booking=True, capacity=10),
        headers=organizer,
    )
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "capacity")


async def test_unknown_field_and_unknown_room_are_422(client, organizer):
    c = await congress(client, organizer)
    typo = await client.post(f"{c['base']}/sessions", json=session_body(c, speaker="x"), headers=organizer)
    room = await client.post(f"{c['base']}/sessions", json=session_body(c, room_id=999999), headers=organizer)
    assert [
        (typo.status_code, typo.json()["errors"][0]["field"]),
        (room.status_code, room.json()["errors"][0]["field"]),
    ] == [(422, "speaker"), (422, "room_id")]


async def test_other_organizer_is_403_and_anonymous_401(client, organizer):
    c = await congress(client, organizer)
    other = await login(client, "other@example.org")
    forbidden = await client.post(f"{c['base']}/sessions", json=session_body(c), headers=other)
    anonymous = await client.post(f"{c['base']}/sessions", json=session_body(c))
    assert (forbidden.status_code, anonymous.status_code) == (403, 401)


async def test_conflicts_endpoint_lists_conflicts_already_in_agenda(client, organizer):
    c = await congress(client, organizer)
    a = await add_session(client, organizer, c, title="A")
    b = await add_session(client, organizer, c, title="B", start="2027-10-29T11:00:00", end="2027-10-29T12:00:00")
    # as an import may do: write a clash directly
    await sql.execute("UPDATE agenda_session SET starts_at = starts_at - interval '30 minutes' WHERE id = $1", b["id"])
    listed = (await client.get(f"{c['base']}/conflicts", headers=organizer)).json()
    assert [(x["rule"], [s["id"] for s in x["sessions"]]) for x in listed] == [("room", [a["id"], b["id"]])]


async def test_duplicate_room_name_is_409_and_track_colour_checked(client, organizer):
    c = await congress(client, organizer)
    room = await client.post(f"{c['base']}/rooms", json={"name": "Room 2"}, headers=organizer)
    track = await client.post(f"{c['base']}/tracks", json={"name": "Equitable", "color": "green"}, headers=organizer)
    assert (room.status_code, track.status_code) == (409, 422)


async def test_shrinking_room_below_booked_sessions_is_422(client, organizer):
    c = await congress(client, organizer)
    await add_session(client, organizer, c, requires_booking=True, capacity=100)
    response = await client.patch(f"{c['base']}/rooms/{c['rooms'][0]['id']}", json={"capacity": 50}, headers=organizer)
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "capacity")


async def test_draft_session_is_hidden_from_public_but_seen_by_organizer(client, organizer):
    c = await congress(client, organizer)
    draft = await add_session(client, organizer, c, status="draft")
    public = await client.get(f"{c['base']}/sessions/{draft['id']}")
    own = await client.get(f"{c['base']}/sessions/{draft['id']}", headers=organizer)
    listed = (await client.get(f"{c['base']}/sessions", headers=organizer)).json()
    assert (public.status_code, own.status_code, [s["status"] for s in listed]) == (404, 200, ["draft"])
