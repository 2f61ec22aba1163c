"""Publication of sessions and events reaches calendars: a session taken back to draft leaves them (CANCEL), one
published again or un-cancelled comes back (REQUEST above the CANCEL), speakers of sessions published from draft
or of an event published later get their invite, a larger room serves the waiting list, and changes that show
nothing new (a no-op PATCH, an edit of a cancelled event) send nothing."""

from __future__ import annotations

from events_app.db import sql
from tests.agenda_fixtures import add_session, congress, delegate
from tests.integration.test_calendar_holders import D1, UTC_FORUM, calendar_rows, last_id, release, sequences_grow

SP = "sp@x.org"


async def booked_and_spoken(client, organizer, c, **overrides) -> dict:
    session = await add_session(
        client, organizer, c, people=[{"email": SP, "name": "Sp", "role": "speaker"}], **overrides
    )
    await client.put(f"/api/registrations/{await delegate(client, c, 1)}/agenda/{session['id']}")
    return session


async def patch_session(client, organizer, c, session, body) -> None:
    response = await client.patch(f"{c['base']}/sessions/{session['id']}", json=body, headers=organizer)
    assert response.status_code == 200, response.text


async def test_a_session_taken_back_to_draft_is_cancelled_and_comes_back_when_published(client, organizer):
    c = await congress(client, organizer)
    session = await booked_and_spoken(client, organizer, c)
    since = await last_id()

    await patch_session(client, organizer, c, session, {"status": "draft"})
    assert await release(client, c, organizer) == 2
    await patch_session(client, organizer, c, session, {"status": "published"})
    assert await release(client, c, organizer) == 2

    sid = session["id"]
    assert sorted(await calendar_rows(since), key=lambda r: (r[3], r[1])) == [
        ("session_cancelled", D1, "CANCEL", 1, sid),
        ("session_cancelled", SP, "CANCEL", 1, sid),
        ("session_updated", D1, "REQUEST", 2, sid),
        ("session_updated", SP, "REQUEST", 2, sid),
    ]
    assert sequences_grow(await calendar_rows())


async def test_an_uncancelled_session_comes_back_to_its_holders(client, organizer):
    c = await congress(client, organizer)
    session = await booked_and_spoken(client, organizer, c)
    assert (await client.post(f"{c['base']}/sessions/{session['id']}/cancel", headers=organizer)).status_code == 200
    assert await release(client, c, organizer) == 2
    since = await last_id()

    await patch_session(client, organizer, c, session, {"status": "published"})
    assert await release(client, c, organizer) == 2

    assert sorted(await calendar_rows(since)) == [
        ("session_updated", D1, "REQUEST", 2, session["id"]),
        ("session_updated", SP, "REQUEST", 2, session["id"]),
    ]


async def test_speakers_of_a_session_published_from_draft_get_their_invite(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(
        client, organizer, c, status="draft", people=[{"email": SP, "name": "Sp", "role": "speaker"}]
    )
    await patch_session(client, organizer, c, session, {"title": "Still a draft"})  # nobody holds it: nothing
    assert await release(client, c, organizer) == 0

    await patch_session(client, organizer, c, session, {"status": "published"})
    assert await release(client, c, organizer) == 1

    assert await calendar_rows() == [("session_role_added", SP, "REQUEST", 1, session["id"])]


async def test_publishing_an_event_sends_the_speakers_of_its_published_sessions_their_invites(client, organizer):
    response = await client.post("/api/events", json=UTC_FORUM | {"title": "Forum"}, headers=organizer)
    base = f"/api/events/{response.json()['id']}"
    await client.post(f"{base}/categories", json={"code": "delegate", "name": "Delegate"}, headers=organizer)
    for title, status in (("Published", "published"), ("Draft", "draft")):
        response = await client.post(
            f"{base}/sessions",
            json={
                "title": title,
                "kind": "panel",
                "status": status,
                "starts_at": "2027-10-29T10:00:00",
                "ends_at": "2027-10-29T11:00:00",
                "people": [{"email": f"{status}@x.org", "name": "Sp", "role": "speaker"}],
            },
            headers=organizer,
        )
        assert response.status_code == 201, response.text
    assert await calendar_rows() == []

    assert (await client.post(f"{base}/publish", headers=organizer)).status_code == 200

    assert [r[:4] for r in await calendar_rows()] == [("session_role_added", "published@x.org", "REQUEST", 0)]


async def test_a_larger_room_serves_its_sessions_waiting_lists(client, organizer):
    c = await congress(client, organizer)
    room = c["rooms"][1]  # 3 seats
    session = await add_session(client, organizer, c, room_id=room["id"], requires_booking=True)
    for n in range(4):
        await client.put(f"/api/registrations/{await delegate(client, c, n)}/agenda/{session['id']}")
    since = await last_id()

    response = await client.patch(f"{c['base']}/rooms/{room['id']}", json={"capacity": 10}, headers=organizer)

    assert response.status_code == 200, response.text
    assert await calendar_rows(since) == [
        ("session_promoted", "delegate3@city3.example.org", "REQUEST", 0, session["id"])
    ]


async def test_editing_a_cancelled_event_sends_no_second_cancel(client, organizer):
    c = await congress(client, organizer)
    session = await booked_and_spoken(client, organizer, c)
    assert (await client.post(f"{c['base']}/cancel", headers=organizer)).status_code == 200
    assert sorted(r[:3] for r in await calendar_rows(await last_id() - 3)) == [
        ("event_cancelled", D1, "CANCEL"),
        ("session_cancelled", D1, "CANCEL"),
        ("session_cancelled", SP, "CANCEL"),
    ]
    since = await last_id()

    response = await client.patch(c["base"], json={"title": "Renamed after all"}, headers=organizer)
    await client.patch(f"{c['base']}/rooms/{session['room']['id']}", json={"name": "Hall B"}, headers=organizer)

    assert response.status_code == 200, response.text
    assert await release(client, c, organizer) == 0
    assert await calendar_rows(since) == []


async def test_patches_with_the_same_values_send_and_grow_nothing(client, organizer):
    c = await congress(client, organizer)
    session = await booked_and_spoken(client, organizer, c)
    event = (await client.get(c["base"], headers=organizer)).json()
    before = await sql.fetch(
        "SELECT calendar_sequence FROM event UNION ALL SELECT calendar_sequence FROM agenda_session"
    )
    since = await last_id()

    same_event = {k: event[k] for k in ("title", "description", "timezone", "venue_name", "city", "online_url")}
    for body in (
        same_event | {"starts_at": "2027-10-29T08:00:00", "ends_at": "2027-11-01T18:00:00"},
        {"starts_at": event["starts_at"], "ends_at": event["ends_at"]},
    ):
        assert (await client.patch(c["base"], json=body, headers=organizer)).status_code == 200
    await patch_session(
        client,
        organizer,
        c,
        session,
        {
            "title": session["title"] + " ",
            "abstract": session["abstract"],
            "starts_at": "2027-10-29T10:00:00",
            "ends_at": "2027-10-29T11:00:00",
            "room_id": session["room"]["id"],
            "track_id": session["track"]["id"],
            "status": "published",
        },
    )
    for kind, item in (("rooms", c["rooms"][0]), ("tracks", c["tracks"][0])):
        response = await client.patch(
            f"{c['base']}/{kind}/{item['id']}", json={"name": item["name"]}, headers=organizer
        )
        assert response.status_code == 200, response.text

    assert await release(client, c, organizer) == 0
    assert await calendar_rows(since) == []
    assert (
        await sql.fetch("SELECT calendar_sequence FROM event UNION ALL SELECT calendar_sequence FROM agenda_session")
        == before
    )


D2 = "delegate2@city2.example.org"


async def booked_meanwhile(client, organizer, c, session) -> str:
    """Delegate 2 books the session too; it is cancelled, and delegate 2 books another session at its time."""
    token = await delegate(client, c, 2)
    assert (await client.put(f"/api/registrations/{token}/agenda/{session['id']}")).status_code == 200
    assert (await client.post(f"{c['base']}/sessions/{session['id']}/cancel", headers=organizer)).status_code == 200
    return token


async def book_at_the_same_time(client, organizer, c, token) -> None:
    other = await add_session(
        client,
        organizer,
        c,
        title="Mayors' roundtable",
        room_id=c["rooms"][1]["id"],
        start="2027-10-29T10:30:00",
        end="2027-10-29T11:30:00",
    )
    assert (await client.put(f"/api/registrations/{token}/agenda/{other['id']}")).status_code == 200


async def test_a_session_published_again_does_not_come_back_to_a_delegate_who_booked_another_at_its_time(
    client, organizer
):
    c = await congress(client, organizer)
    session = await booked_and_spoken(client, organizer, c)
    token = await booked_meanwhile(client, organizer, c, session)
    assert await release(client, c, organizer) == 3  # the CANCEL to both delegates and the speaker
    await book_at_the_same_time(client, organizer, c, token)
    since = await last_id()

    response = await client.patch(
        f"{c['base']}/sessions/{session['id']}", json={"status": "published"}, headers=organizer
    )
    assert await release(client, c, organizer) == 2

    assert response.status_code == 200, response.text
    assert response.json()["bookings_not_restored"] == 1
    sid = session["id"]
    # Delegate 2's calendar holds the cancelled copy: the email says the booking ended, and carries no calendar.
    dropped = await sql.fetch("SELECT recipient, calendar_method FROM outbox_message WHERE kind = 'session_dropped'")
    assert [tuple(r) for r in dropped] == [(D2, None)]
    assert sorted(await calendar_rows(since)) == [
        ("session_updated", D1, "REQUEST", 2, sid),
        ("session_updated", SP, "REQUEST", 2, sid),
    ]
    assert sequences_grow(await calendar_rows())


async def test_inside_the_update_window_the_delegate_not_restored_gets_a_cancel_above_the_invite_they_hold(
    client, organizer, tmp_path
):
    from events_app.services.messaging.notifications import compose
    from events_app.settings import get_settings
    from tests.fixtures import validate_ics

    c = await congress(client, organizer)
    session = await booked_and_spoken(client, organizer, c)
    token = await booked_meanwhile(client, organizer, c, session)  # its CANCEL still waits for the window
    await book_at_the_same_time(client, organizer, c, token)
    since = await last_id()

    response = await client.patch(
        f"{c['base']}/sessions/{session['id']}", json={"status": "published"}, headers=organizer
    )
    assert await release(client, c, organizer) == 2

    assert response.json()["bookings_not_restored"] == 1
    sid = session["id"]
    assert sorted(await calendar_rows(since)) == [
        ("session_dropped", D2, "CANCEL", 3, sid),
        ("session_updated", D1, "REQUEST", 3, sid),
        ("session_updated", SP, "REQUEST", 3, sid),
    ]
    assert sequences_grow(await calendar_rows())
    paths = []
    for kind in ("session_booked", "session_dropped"):
        row = await sql.fetchrow(
            "SELECT * FROM outbox_message WHERE kind = $1 AND recipient = $2 AND (payload->>'session_id')::int = $3",
            kind,
            D2,
            sid,
        )
        path = tmp_path / f"{kind}.eml"
        path.write_bytes((await compose(dict(row), get_settings())).data)
        paths.append(path)
    validate_ics(paths[1], previous=paths[0])
