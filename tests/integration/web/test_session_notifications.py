"""Session messages: booked, waitlisted, dropped, promoted, moved, cancelled, reminded; speakers added and removed.
Each goes to exactly the people holding the session's invite, with the session's UID and a growing SEQUENCE."""

import email
import email.policy
from datetime import datetime, timedelta, timezone

import icalendar

from events_app.db import sql
from events_app.services.messaging import reminders
from events_app.services.messaging.notifications import compose
from events_app.settings import get_settings
from tests.agenda_fixtures import add_session, congress, delegate
from tests.fixtures import calendar_part, validate_ics


async def mail(kind: str) -> list[tuple[str, str | None, int | None]]:
    rows = await sql.fetch(
        "SELECT recipient, calendar_method, calendar_sequence FROM outbox_message WHERE kind = $1 ORDER BY id", kind
    )
    return [tuple(r) for r in rows]


async def full_session(client, organizer, c) -> dict:
    return await add_session(
        client,
        organizer,
        c,
        room_id=c["rooms"][1]["id"],
        requires_booking=True,
        capacity=1,
        people=[{"email": "ana.lima@recife.example.org", "name": "Ana Lima", "role": "moderator"}],
    )


async def test_booking_dropping_and_promotion_carry_the_session_invite(client, organizer):
    c = await congress(client, organizer)
    session = await full_session(client, organizer, c)
    first, second = await delegate(client, c, 1), await delegate(client, c, 2)
    await client.put(f"/api/registrations/{first}/agenda/{session['id']}")
    await client.put(f"/api/registrations/{second}/agenda/{session['id']}")
    await client.delete(f"/api/registrations/{first}/agenda/{session['id']}")
    assert await mail("session_role_added") == [("ana.lima@recife.example.org", "REQUEST", 0)]
    assert await mail("session_booked") == [("delegate1@city1.example.org", "REQUEST", 0)]
    assert await mail("session_waitlisted") == [("delegate2@city2.example.org", None, None)]
    assert await mail("session_dropped") == [("delegate1@city1.example.org", "CANCEL", 1)]
    assert await mail("session_promoted") == [("delegate2@city2.example.org", "REQUEST", 1)]


async def test_rebooking_after_a_drop_is_numbered_above_the_cancel(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    token = await delegate(client, c, 1)
    for method in ("put", "delete", "put"):
        await getattr(client, method)(f"/api/registrations/{token}/agenda/{session['id']}")
    sent = [(m, s) for _, m, s in await mail("session_booked") + await mail("session_dropped")]
    assert sorted(sent, key=lambda x: x[1]) == [("REQUEST", 0), ("CANCEL", 1), ("REQUEST", 2)]


async def test_moving_a_session_updates_bookers_and_speakers_only(client, organizer):
    c = await congress(client, organizer)
    session = await full_session(client, organizer, c)
    other = await add_session(
        client, organizer, c, title="Another panel", start="2027-10-29T14:00:00", end="2027-10-29T15:00:00"
    )
    booked, waiting, elsewhere = [await delegate(client, c, n) for n in (1, 2, 3)]
    await client.put(f"/api/registrations/{booked}/agenda/{session['id']}")
    await client.put(f"/api/registrations/{waiting}/agenda/{session['id']}")
    await client.put(f"/api/registrations/{elsewhere}/agenda/{other['id']}")
    moved = await client.patch(
        f"{c['base']}/sessions/{session['id']}",
        json={"starts_at": "2027-10-29T16:00:00", "ends_at": "2027-10-29T17:00:00"},
        headers=organizer,
    )
    await client.post(f"{c['base']}/calendar-updates/release", headers=organizer)
    assert moved.status_code == 200
    assert sorted(await mail("session_updated")) == [
        ("ana.lima@recife.example.org", "REQUEST", 1),
        ("delegate1@city1.example.org", "REQUEST", 1),
    ]


async def test_cancelling_a_session_sends_cancel_to_its_holders(client, organizer):
    c = await congress(client, organizer)
    session = await full_session(client, organizer, c)
    token = await delegate(client, c, 1)
    await client.put(f"/api/registrations/{token}/agenda/{session['id']}")
    await client.post(f"{c['base']}/sessions/{session['id']}/cancel", headers=organizer)
    await client.post(f"{c['base']}/calendar-updates/release", headers=organizer)
    assert sorted(await mail("session_cancelled")) == [
        ("ana.lima@recife.example.org", "CANCEL", 1),
        ("delegate1@city1.example.org", "CANCEL", 1),
    ]


async def test_cancelling_the_registration_removes_booked_sessions_from_the_calendar(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    token = await delegate(client, c, 1)
    await client.put(f"/api/registrations/{token}/agenda/{session['id']}")
    await client.delete(f"/api/registrations/{token}")
    assert await mail("session_dropped") == [("delegate1@city1.example.org", "CANCEL", 1)]
    assert [m for _, m, _ in await mail("registration_cancelled")] == ["CANCEL"]


async def test_removing_a_speaker_sends_them_a_cancel(client, organizer):
    c = await congress(client, organizer)
    session = await full_session(client, organizer, c)
    person_id = session["people"][0]["person_id"]
    await client.delete(f"{c['base']}/sessions/{session['id']}/people/{person_id}", headers=organizer)
    # the speakers are in the invite: the others' copies grow to 1, the CANCEL outranks that (2)
    assert await mail("session_role_removed") == [("ana.lima@recife.example.org", "CANCEL", 2)]


async def test_session_reminder_once_per_booked_place(client, organizer):
    start = datetime.now(timezone.utc) + timedelta(days=2)
    c = await congress(
        client, organizer, timezone="UTC", starts_at=start.isoformat(), ends_at=(start + timedelta(days=2)).isoformat()
    )
    begins = start + timedelta(hours=3)
    session = await add_session(
        client, organizer, c, start=begins.isoformat(), end=(begins + timedelta(hours=1)).isoformat()
    )
    token = await delegate(client, c, 1)
    await client.put(f"/api/registrations/{token}/agenda/{session['id']}")
    early = await reminders.send_due(begins - timedelta(hours=1))
    due = await reminders.send_due(begins - timedelta(minutes=20))
    again = await reminders.send_due(begins - timedelta(minutes=10))
    assert (early, due, again) == (0, 1, 0)
    assert [r for r, _, _ in await mail("session_reminder")] == ["delegate1@city1.example.org"]


async def test_session_invite_email_passes_the_validator(client, organizer, tmp_path):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    token = await delegate(client, c, 1)
    await client.put(f"/api/registrations/{token}/agenda/{session['id']}")
    await client.delete(f"/api/registrations/{token}/agenda/{session['id']}")
    paths = []
    for kind in ("session_booked", "session_dropped"):
        row = dict(await sql.fetchrow("SELECT * FROM outbox_message WHERE kind = $1", kind))
        path = tmp_path / f"{kind}.eml"
        path.write_bytes((await compose(row, get_settings())).data)
        paths.append(path)
    uid = str(await sql.fetchval("SELECT calendar_uid FROM agenda_session WHERE id = $1", session["id"]))
    message = email.message_from_bytes(paths[0].read_bytes(), policy=email.policy.default)
    invite = icalendar.Calendar.from_ical(calendar_part(message)).walk("VEVENT")[0]
    assert (str(invite["UID"]), str(invite["SUMMARY"])) == (uid, session["title"])
    validate_ics(*paths)
    validate_ics(paths[1], previous=paths[0])


async def test_announcement_to_a_sessions_attendees(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    booked = await delegate(client, c, 1)
    await delegate(client, c, 2)
    await client.put(f"/api/registrations/{booked}/agenda/{session['id']}")
    created = await client.post(
        f"{c['base']}/announcements",
        json={
            "subject": "Room change",
            "body": "Meet in Room 2.",
            "audience": {"kind": "session", "value": str(session["id"])},
        },
        headers=organizer,
    )
    assert created.json()["recipients"] == 1


async def test_a_speaker_changing_her_profile_updates_the_invites_that_show_it(client, organizer):
    from tests.integration.web.test_privacy import person_session

    c = await congress(client, organizer)
    session = await full_session(client, organizer, c)
    elsewhere = await add_session(
        client, organizer, c, title="Another panel", start="2027-10-29T14:00:00", end="2027-10-29T15:00:00"
    )
    booked, other = await delegate(client, c, 1), await delegate(client, c, 2)
    await client.put(f"/api/registrations/{booked}/agenda/{session['id']}")
    await client.put(f"/api/registrations/{other}/agenda/{elsewhere['id']}")
    recife = await sql.fetchval(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ('City of Recife', 'city', 'BR', 'active', now()) RETURNING id"
    )
    ana = await person_session(client, "ana.lima@recife.example.org")

    # Her language and her own name (the organizer gave the name the session shows): no invite shows them.
    quiet = await client.patch("/api/people/me", json={"language": "es", "name": "Ana L."}, headers=ana)
    assert quiet.status_code == 200, quiet.text
    # A refused change changes nothing either, and names the field.
    refused = await client.patch("/api/people/me", json={"organization_id": recife, "name": ""}, headers=ana)
    assert refused.status_code == 422 and "name" in refused.text
    await client.post(f"{c['base']}/calendar-updates/release", headers=organizer)
    assert await mail("session_updated") == []

    # Her organization is shown next to her name in the session: its holders get one update, nobody else.
    changed = await client.patch("/api/people/me", json={"organization_id": recife}, headers=ana)
    assert changed.status_code == 200, changed.text
    agenda = (await client.get(f"{c['base']}/agenda")).json()
    shown = next(s for s in agenda["sessions"] if s["id"] == session["id"])
    assert [(p["name"], p["organization"]) for p in shown["people"]] == [("Ana Lima", "City of Recife")]
    await client.post(f"{c['base']}/calendar-updates/release", headers=organizer)
    assert sorted(await mail("session_updated")) == [
        ("ana.lima@recife.example.org", "REQUEST", 1),
        ("delegate1@city1.example.org", "REQUEST", 1),
    ]
    message = await sql.fetchrow("SELECT * FROM outbox_message WHERE kind = 'session_updated' LIMIT 1")
    sent = email.message_from_bytes((await compose(dict(message), get_settings())).data, policy=email.policy.default)
    invite = icalendar.Calendar.from_ical(calendar_part(sent)).walk("VEVENT")[0]
    assert "Ana Lima (City of Recife)" in str(invite["DESCRIPTION"])
