"""A session's CANCEL goes only to someone whose calendar holds it and keeps it by no other right: a substituted
delegation member loses their booked sessions, a speaker who also booked keeps the session, and nobody is sent the
removal of something they were never sent."""

from __future__ import annotations

from events_app.db import sql
from events_app.domain.security import manage_token
from events_app.settings import get_settings
from tests.agenda_fixtures import add_session, congress, delegate

D1 = "delegate1@city1.example.org"
# A draft event (POST /api/events) on fixed UTC dates.
UTC_FORUM = {"kind": "forum", "timezone": "UTC", "starts_at": "2027-10-29T08:00:00", "ends_at": "2027-10-30T18:00:00"}


async def calendar_rows(since: int = 0) -> list[tuple]:
    """(kind, recipient, METHOD, SEQUENCE, session id or None) of every calendar message after outbox id `since`."""
    rows = await sql.fetch(
        "SELECT kind, recipient, calendar_method, calendar_sequence, (payload->>'session_id')::int AS session"
        " FROM outbox_message WHERE calendar_method IS NOT NULL AND id > $1 ORDER BY id",
        since,
    )
    return [tuple(r) for r in rows]


async def last_id() -> int:
    return await sql.fetchval("SELECT coalesce(max(id), 0) FROM outbox_message")


async def release(client, c, organizer) -> int:
    response = await client.post(f"{c['base']}/calendar-updates/release", headers=organizer)
    assert response.status_code == 200, response.text
    return response.json()["messages"]


def sequences_grow(rows: list[tuple]) -> bool:
    """Per recipient and calendar object, every message numbered above the one before."""
    last: dict[tuple, int] = {}
    for _, recipient, _, sequence, session in rows:
        if last.get((recipient, session), -1) >= sequence:
            return False
        last[(recipient, session)] = sequence
    return True


async def token_of(registration_id: int) -> str:
    nonce = await sql.fetchval("SELECT token_nonce FROM registration WHERE id = $1", registration_id)
    return manage_token(get_settings().secret_key, nonce)


async def make_speaker(client, organizer, c, session, email, name="Speaker") -> None:
    response = await client.post(
        f"{c['base']}/sessions/{session['id']}/people",
        json={"email": email, "name": name, "role": "speaker"},
        headers=organizer,
    )
    assert response.status_code == 201, response.text


async def test_substituted_member_loses_booked_sessions_and_their_place_goes_to_the_waiting(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c, requires_booking=True, capacity=1)
    city = await sql.fetchval(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ('Bogotá D.C.', 'city', 'CO', 'active', now()) RETURNING id"
    )
    response = await client.post(
        f"{c['base']}/delegations",
        json={"organization_id": city, "category": "delegate", "seats": 3, "head_email": "h@x.org", "head_name": "H"},
        headers=organizer,
    )
    assert response.status_code == 201, response.text
    head = await token_of(await sql.fetchval("SELECT min(id) FROM registration"))
    member = (
        await client.post(f"/api/registrations/{head}/delegation/members", json={"email": "old@x.org", "name": "Old"})
    ).json()
    await client.put(f"/api/registrations/{await token_of(member['id'])}/agenda/{session['id']}")
    await client.put(f"/api/registrations/{await delegate(client, c, 1)}/agenda/{session['id']}")  # waits
    since = await last_id()

    response = await client.post(
        f"/api/registrations/{head}/delegation/members/{member['id']}/substitute",
        json={"email": "new@x.org", "name": "New"},
    )

    assert response.status_code == 201, response.text
    assert await calendar_rows(since) == [
        ("session_dropped", "old@x.org", "CANCEL", 1, session["id"]),
        ("session_promoted", D1, "REQUEST", 1, session["id"]),
        ("registration_substituted", "old@x.org", "CANCEL", 1, None),
        ("registration_confirmed", "new@x.org", "REQUEST", 1, None),
    ]
    booking = await sql.fetchval("SELECT status FROM agenda_booking WHERE registration = $1", member["id"])
    assert booking == "cancelled"


async def test_speaker_who_booked_keeps_the_session_when_the_role_ends(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    await client.put(f"/api/registrations/{await delegate(client, c, 1)}/agenda/{session['id']}")
    await make_speaker(client, organizer, c, session, D1)
    person = await sql.fetchval("SELECT id FROM person WHERE email = $1", D1)
    since = await last_id()

    response = await client.delete(f"{c['base']}/sessions/{session['id']}/people/{person}", headers=organizer)
    assert await release(client, c, organizer) == 1

    assert response.status_code == 200, response.text
    # Still booked: no CANCEL, but the update (the speakers are in the invite) numbered above their copy.
    assert await calendar_rows(since) == [("session_updated", D1, "REQUEST", 2, session["id"])]


async def test_speaker_keeps_the_session_when_their_booking_or_registration_ends(client, organizer):
    c = await congress(client, organizer)
    first, second = (
        await add_session(client, organizer, c),
        await add_session(client, organizer, c, title="Second", start="2027-10-29T14:00:00", end="2027-10-29T15:00:00"),
    )
    token = await delegate(client, c, 1)
    for session in (first, second):
        await client.put(f"/api/registrations/{token}/agenda/{session['id']}")
        await make_speaker(client, organizer, c, session, D1)
    await release(client, c, organizer)
    since = await last_id()

    assert (await client.delete(f"/api/registrations/{token}/agenda/{first['id']}")).status_code == 200
    dropped = await sql.fetch("SELECT kind, calendar_method FROM outbox_message WHERE id > $1", since)
    assert (await client.delete(f"/api/registrations/{token}")).status_code == 200

    # The booking's end is told without a calendar; only the event leaves their calendar.
    assert [tuple(r) for r in dropped] == [("session_dropped", None)]
    assert [r[:3] for r in await calendar_rows(since)] == [("registration_cancelled", D1, "CANCEL")]
    kinds = await sql.fetch("SELECT kind, calendar_method FROM outbox_message WHERE id > $1 ORDER BY id", since)
    assert [tuple(r) for r in kinds] == [
        ("session_dropped", None),
        ("session_dropped", None),
        ("registration_cancelled", "CANCEL"),
    ]


async def test_removing_a_speaker_from_a_draft_sends_nothing(client, organizer):
    response = await client.post("/api/events", json=UTC_FORUM | {"title": "Draft forum"}, headers=organizer)
    base = f"/api/events/{response.json()['id']}"
    response = await client.post(
        f"{base}/sessions",
        json={
            "title": "Panel",
            "kind": "panel",
            "starts_at": "2027-10-29T10:00:00",
            "ends_at": "2027-10-29T11:00:00",
            "people": [{"email": "sp@x.org", "name": "Sp", "role": "speaker"}],
        },
        headers=organizer,
    )
    assert response.status_code == 201, response.text
    person = await sql.fetchval("SELECT id FROM person WHERE email = 'sp@x.org'")

    removed = await client.delete(f"{base}/sessions/{response.json()['id']}/people/{person}", headers=organizer)

    assert removed.status_code == 200, removed.text
    assert await sql.fetchval("SELECT count(*) FROM outbox_message") == 0
