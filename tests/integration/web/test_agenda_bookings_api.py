"""Delegates book sessions with their manage token: capacity, waiting lists promoted in order, overlaps refused,
and no session overbooked under concurrency."""

import asyncio

from events_app.db import sql
from events_app.db.engine import DB
from tests.agenda_fixtures import add_session, booked_workshop_and_plenary, congress, delegate


async def _small_session(client, organizer, c, **overrides):
    return await add_session(
        client,
        organizer,
        c,
        room_id=c["rooms"][1]["id"],
        requires_booking=True,
        kind="workshop",
        title="Circular procurement lab",
        **overrides,
    )


async def test_booking_confirmed_delegate_gets_a_place(client, organizer):
    c = await congress(client, organizer)
    session = await _small_session(client, organizer, c)
    token = await delegate(client, c)
    response = await client.put(f"/api/registrations/{token}/agenda/{session['id']}")
    again = await client.put(f"/api/registrations/{token}/agenda/{session['id']}")
    assert (response.status_code, response.json()["status"], again.json()["status"]) == (200, "booked", "booked")
    assert await sql.fetchval("SELECT booked_count FROM agenda_session WHERE id = $1", session["id"]) == 1


async def test_full_session_waitlists_and_dropping_promotes_first_in_line(client, organizer):
    c = await congress(client, organizer)
    session = await _small_session(client, organizer, c, capacity=1)
    tokens = [await delegate(client, c, n) for n in range(3)]
    answers = [(await client.put(f"/api/registrations/{t}/agenda/{session['id']}")).json() for t in tokens]
    dropped = await client.delete(f"/api/registrations/{tokens[0]}/agenda/{session['id']}")
    after = [(await client.get(f"/api/registrations/{t}/agenda")).json() for t in tokens[1:]]
    assert [(a["status"], a["waitlist_position"]) for a in answers] == [
        ("booked", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    assert dropped.json()["status"] == "cancelled"
    assert [(a[0]["status"], a[0]["waitlist_position"]) for a in after] == [("booked", None), ("waitlisted", 1)]


async def test_overlapping_booking_is_409_naming_the_booked_session(client, organizer):
    c = await congress(client, organizer)
    first = await add_session(client, organizer, c, title="Opening plenary", kind="plenary")
    other = await _small_session(client, organizer, c, start="2027-10-29T10:30:00", end="2027-10-29T12:00:00")
    token = await delegate(client, c)
    await client.put(f"/api/registrations/{token}/agenda/{first['id']}")
    response = await client.put(f"/api/registrations/{token}/agenda/{other['id']}")
    body = response.json()
    assert (response.status_code, "Opening plenary" in body["detail"], body["conflicts"][0]["id"]) == (
        409,
        True,
        first["id"],
    )


async def test_pending_registration_cannot_book(client, organizer):
    c = await congress(
        client,
        organizer,
    )
    await client.post(
        f"{c['base']}/categories", json={"code": "press", "name": "Press", "requires_approval": True}, headers=organizer
    )
    token = (
        await client.post(
            f"{c['base']}/registrations",
            json={"email": "press@example.org", "name": "Press", "category": "press", "consent": True},
        )
    ).json()["manage_token"]
    session = await _small_session(client, organizer, c)
    response = await client.put(f"/api/registrations/{token}/agenda/{session['id']}")
    assert (response.status_code, response.json()["errors"][0]["field"]) == (409, "registration")


async def test_cancelled_session_cannot_be_booked_and_unknown_token_is_404(client, organizer):
    c = await congress(client, organizer)
    session = await _small_session(client, organizer, c)
    await client.post(f"{c['base']}/sessions/{session['id']}/cancel", headers=organizer)
    token = await delegate(client, c)
    cancelled = await client.put(f"/api/registrations/{token}/agenda/{session['id']}")
    unknown = await client.put(f"/api/registrations/not-a-token/agenda/{session['id']}")
    assert (cancelled.status_code, unknown.status_code) == (409, 404)


async def test_raising_capacity_promotes_waiting_in_order(client, organizer):
    c = await congress(client, organizer)
    session = await _small_session(client, organizer, c, capacity=1)
    tokens = [await delegate(client, c, n) for n in range(3)]
    for t in tokens:
        await client.put(f"/api/registrations/{t}/agenda/{session['id']}")
    await client.patch(f"{c['base']}/sessions/{session['id']}", json={"capacity": 2}, headers=organizer)
    statuses = [(await client.get(f"/api/registrations/{t}/agenda")).json()[0]["status"] for t in tokens]
    log = await sql.fetchval("SELECT count(*) FROM agenda_change WHERE action = 'waitlist_promoted'")
    assert (statuses, log) == (["booked", "booked", "waitlisted"], 1)


async def test_cancelling_registration_frees_its_place(client, organizer):
    c = await congress(client, organizer)
    session = await _small_session(client, organizer, c, capacity=1)
    first, second = await delegate(client, c, 1), await delegate(client, c, 2)
    await client.put(f"/api/registrations/{first}/agenda/{session['id']}")
    await client.put(f"/api/registrations/{second}/agenda/{session['id']}")
    await client.delete(f"/api/registrations/{first}")
    assert (await client.get(f"/api/registrations/{second}/agenda")).json()[0]["status"] == "booked"


async def test_affected_people_are_bookers_and_people_in_roles(client, organizer):
    c = await congress(client, organizer)
    session = await _small_session(
        client, organizer, c, people=[{"email": "ana.lima@recife.example.org", "name": "Ana Lima", "role": "moderator"}]
    )
    token = await delegate(client, c, 7)
    await client.put(f"/api/registrations/{token}/agenda/{session['id']}")
    affected = (await client.get(f"{c['base']}/sessions/{session['id']}/affected", headers=organizer)).json()
    # The moderator was named by email only: she is listed with the name the organizer gave, nothing stored about
    # her (tests/security/test_scope.py); the booker is connected to the event by her registration.
    assert sorted((a["email"], a["name"], a["reasons"]) for a in affected) == [
        ("", "Ana Lima", ["moderator"]),
        ("delegate7@city7.example.org", "Delegate 7", ["booked"]),
    ]


async def test_concurrent_bookings_never_overbook_and_waitlist_the_rest_in_order(client, organizer):
    c = await congress(client, organizer)
    session = await _small_session(client, organizer, c)  # Room 2 holds 3
    tokens = [await delegate(client, c, n) for n in range(20)]
    answers = await asyncio.gather(*(client.put(f"/api/registrations/{t}/agenda/{session['id']}") for t in tokens))
    rows = await sql.fetch("SELECT status FROM agenda_booking WHERE session = $1 ORDER BY id", session["id"])
    positions = sorted(a.json()["waitlist_position"] for a in answers if a.json()["status"] == "waitlisted")
    assert [a.status_code for a in answers] == [200] * 20
    assert [r["status"] for r in rows] == ["booked"] * 3 + ["waitlisted"] * 17
    assert positions == list(range(1, 18))
    assert await sql.fetchval("SELECT booked_count FROM agenda_session WHERE id = $1", session["id"]) == 3


async def test_a_booking_rush_waits_for_its_turn_in_the_process_not_on_pooled_connections(client, organizer):
    """Bookings of one workshop take their turn before taking a connection (services.platform.turns): none of
    them waits for the session's row lock inside PostgreSQL, so the rest of the pool stays free for everyone else."""
    c = await congress(client, organizer)
    session = await _small_session(client, organizer, c)
    tokens = [await delegate(client, c, n) for n in range(24)]
    watcher = await DB.get_new_connection()
    waits: list[int] = []

    async def watch(rush: asyncio.Task) -> None:
        while not rush.done():
            waits.append(
                await watcher.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
            )
            await asyncio.sleep(0)

    try:
        rush = asyncio.ensure_future(
            asyncio.gather(*(client.put(f"/api/registrations/{t}/agenda/{session['id']}") for t in tokens))
        )
        await asyncio.gather(rush, watch(rush))
    finally:
        await watcher.close()
    answers = rush.result()
    statuses = await sql.fetch("SELECT status FROM agenda_booking WHERE session = $1 ORDER BY id", session["id"])
    assert [a.status_code for a in answers] == [200] * 24
    assert [r["status"] for r in statuses] == ["booked"] * 3 + ["waitlisted"] * 21
    assert len(waits) > 3 and max(waits) == 0


async def test_concurrent_bookings_against_separate_server_never_overbook(client, organizer, api_server):
    import httpx

    c = await congress(client, organizer)
    session = await _small_session(client, organizer, c)
    tokens = [await delegate(client, c, n) for n in range(30)]
    async with httpx.AsyncClient(base_url=api_server, timeout=30) as remote:
        answers = await asyncio.gather(*(remote.put(f"/api/registrations/{t}/agenda/{session['id']}") for t in tokens))
    booked = await sql.fetchval(
        "SELECT count(*) FROM agenda_booking WHERE session = $1 AND status = 'booked'", session["id"]
    )
    waiting = await sql.fetch(
        "SELECT id FROM agenda_booking WHERE session = $1 AND status = 'waitlisted' ORDER BY id", session["id"]
    )
    assert ([a.status_code for a in answers], booked, len(waiting)) == ([200] * 30, 3, 27)


async def test_a_session_published_again_gives_back_no_place_that_clashes_with_a_booking_made_meanwhile(
    client, organizer
):
    c = await congress(client, organizer)
    workshop = await _small_session(client, organizer, c, capacity=1)
    booked, waiting, next_in_line = [await delegate(client, c, n) for n in range(3)]
    for token in (booked, waiting, next_in_line):
        await client.put(f"/api/registrations/{token}/agenda/{workshop['id']}")
    await client.post(f"{c['base']}/sessions/{workshop['id']}/cancel", headers=organizer)
    plenary = await add_session(client, organizer, c, title="Opening plenary", kind="plenary")  # the same hour
    for token in (booked, waiting):
        assert (await client.put(f"/api/registrations/{token}/agenda/{plenary['id']}")).status_code == 200

    back = await client.patch(f"{c['base']}/sessions/{workshop['id']}", json={"status": "published"}, headers=organizer)

    assert (back.status_code, back.json()["bookings_not_restored"]) == (200, 2)
    agendas = [
        [(e["session_id"], e["status"]) for e in (await client.get(f"/api/registrations/{t}/agenda")).json()]
        for t in (booked, waiting, next_in_line)
    ]
    # Each keeps what they chose meanwhile; the place freed goes to the next in line, who clashes with nothing.
    assert agendas == [[(plenary["id"], "booked")], [(plenary["id"], "booked")], [(workshop["id"], "booked")]]
    assert await sql.fetchval("SELECT booked_count FROM agenda_session WHERE id = $1", workshop["id"]) == 1
    told = await sql.fetch(
        "SELECT kind, recipient FROM outbox_message WHERE kind IN ('session_dropped', 'session_promoted') ORDER BY id"
    )
    assert [tuple(r) for r in told] == [
        ("session_dropped", "delegate0@city0.example.org"),
        ("session_dropped", "delegate1@city1.example.org"),
        ("session_promoted", "delegate2@city2.example.org"),
    ]
    # Anyone booking it now is held to the same rule.
    again = await client.put(f"/api/registrations/{booked}/agenda/{workshop['id']}")
    assert again.status_code == 409


async def test_moving_a_booked_session_onto_another_booked_one_tells_the_organizer_how_many_now_clash(
    client, organizer
):
    """The organizer learns how many delegates the move put in two sessions at once (a waiting place counts, as it
    does when booking); the delegates keep both places, as the move only changed the time."""
    c = await congress(client, organizer)
    tokens = [await delegate(client, c, n) for n in range(2)]
    workshop, plenary = await booked_workshop_and_plenary(
        client, organizer, c, tokens, requires_booking=True, capacity=1
    )

    moved = await client.patch(
        f"{c['base']}/sessions/{workshop['id']}",
        json={"starts_at": "2027-10-29T12:00:00", "ends_at": "2027-10-29T13:00:00"},
        headers=organizer,
    )

    assert (moved.status_code, moved.json()["bookers_now_clashing"]) == (200, 2)
    agendas = [
        sorted((e["session_id"], e["status"]) for e in (await client.get(f"/api/registrations/{t}/agenda")).json())
        for t in tokens
    ]
    assert agendas == [
        sorted([(workshop["id"], "booked"), (plenary["id"], "booked")]),
        sorted([(workshop["id"], "waitlisted"), (plenary["id"], "booked")]),
    ]


async def test_a_move_that_makes_no_clash_or_of_a_session_nobody_booked_counts_none(client, organizer):
    """Only overlaps of a delegate's own bookings count: a move to a free hour, or a move onto a booked session's
    time of a session that nobody booked, leaves every delegate's agenda without a clash."""
    c = await congress(client, organizer)
    workshop, _ = await booked_workshop_and_plenary(
        client, organizer, c, [await delegate(client, c)], requires_booking=True, capacity=1
    )
    unbooked = await add_session(
        client,
        organizer,
        c,
        title="Repair café",
        room_id=c["rooms"][1]["id"],
        start="2027-10-29T14:00:00",
        end="2027-10-29T15:00:00",
    )

    later = await client.patch(
        f"{c['base']}/sessions/{workshop['id']}",
        json={"starts_at": "2027-10-29T15:00:00", "ends_at": "2027-10-29T16:00:00"},
        headers=organizer,
    )
    onto_plenary = await client.patch(
        f"{c['base']}/sessions/{unbooked['id']}",
        json={"starts_at": "2027-10-29T12:00:00", "ends_at": "2027-10-29T13:00:00"},
        headers=organizer,
    )

    assert (later.status_code, later.json()["bookers_now_clashing"]) == (200, 0)
    assert (onto_plenary.status_code, onto_plenary.json()["bookers_now_clashing"]) == (200, 0)
