"""Who hears about which change, once: event updates, cancellations, reminders, announcements, delivery log."""

import asyncio
import email
import email.policy
import json
from datetime import datetime, timedelta, timezone

from events_app.db import queries, sql
from events_app.db.engine import DB
from events_app.services.agenda import calendar_updates
from events_app.services.messaging import reminders
from events_app.services.messaging.notifications import compose
from events_app.services.registration import seats
from events_app.settings import get_settings
from tests.agenda_fixtures import add_session, congress
from tests.fixtures import login, published_event


async def register(client, event_id: int, name: str) -> dict:
    response = await client.post(
        f"/api/events/{event_id}/registrations",
        json={"email": f"{name}@example.org", "name": name.title(), "category": "delegate", "consent": True},
    )
    return response.json()


async def messages(kind: str) -> list[tuple[str, str | None, int | None]]:
    rows = await sql.fetch(
        "SELECT recipient, calendar_method, calendar_sequence FROM outbox_message WHERE kind = $1 ORDER BY recipient",
        kind,
    )
    return [tuple(r) for r in rows]


async def test_changes_in_the_window_collapse_into_one_update_per_confirmed_person(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", 2),))
    other = await published_event(client, organizer, title="Another forum")
    for name in ("ana", "bo", "cy"):  # cy waits: no invite, so no update
        await register(client, event["id"], name)
    await register(client, other["id"], "dee")
    gone = await register(client, event["id"], "eve")
    await client.delete(f"/api/registrations/{gone['manage_token']}")
    await client.patch(f"/api/events/{event['id']}", json={"venue_name": "G-Tower"}, headers=organizer)
    await client.patch(f"/api/events/{event['id']}", json={"title": "Renamed"}, headers=organizer)
    await client.patch(f"/api/events/{event['id']}", json={"city": "Seoul"}, headers=organizer)
    pending = (await client.get(f"/api/events/{event['id']}/calendar-updates", headers=organizer)).json()
    before_release = await messages("event_updated")
    released = (await client.post(f"/api/events/{event['id']}/calendar-updates/release", headers=organizer)).json()
    sequence = await sql.fetchval("SELECT calendar_sequence FROM event WHERE id = $1", event["id"])
    again = await calendar_updates.flush_due(datetime.now(timezone.utc) + timedelta(days=1))
    # the title is shown in the invite too: three changes, one update
    assert (len(pending), len(pending[0]["changes"]), before_release) == (1, 3, [])
    assert released == {"messages": 2} and again == 0
    assert await messages("event_updated") == [
        ("ana@example.org", "REQUEST", sequence),
        ("bo@example.org", "REQUEST", sequence),
    ]


async def test_releasing_an_events_updates_sends_only_that_events(client, organizer):
    """An organizer's release neither sends another organizer's pending updates before their window ends nor counts
    their messages in its answer."""
    theirs = await login(client, "other.organizer@example.org")
    event = await published_event(client, organizer)
    other = await published_event(client, theirs, title="Another forum")
    await register(client, event["id"], "ana")
    for name in ("bo", "cy"):
        await register(client, other["id"], name)
    await client.patch(f"/api/events/{event['id']}", json={"venue_name": "G-Tower"}, headers=organizer)
    await client.patch(f"/api/events/{other['id']}", json={"venue_name": "Hall 2"}, headers=theirs)
    # Both windows have passed (as when the periodic flush is late): the release still sends only its own event's.
    await sql.execute("UPDATE calendar_update SET due_at = now() - interval '1 minute'")

    released = await client.post(f"/api/events/{event['id']}/calendar-updates/release", headers=organizer)

    assert released.json() == {"messages": 1}
    assert [r for r, _, _ in await messages("event_updated")] == ["ana@example.org"]
    pending = (await client.get(f"/api/events/{other['id']}/calendar-updates", headers=theirs)).json()
    assert [u["done_at"] for u in pending] == [None]


async def test_a_flush_holds_its_update_not_the_event_and_a_change_meanwhile_goes_into_the_next_update(
    client, organizer
):
    """A venue change mailing thousands writes its messages holding its update's row, not the event's: a
    registration, whose seat lock is on the event row, goes on meanwhile (it waited for the whole flush, the
    congress day's slowest registrations), and a change to the event made meanwhile waits for the update's row and
    opens the next update instead of being closed unsent with this one."""
    event = await published_event(client, organizer)
    await register(client, event["id"], "ana")
    await client.patch(f"/api/events/{event['id']}", json={"venue_name": "G-Tower"}, headers=organizer)
    now = datetime.now(timezone.utc)
    record = calendar_updates.Q.record_calendar_updates  # what a change to the event writes
    change = {"event_id": event["id"], "subjects": ["event"], "subject_ids": [event["id"]], "due_at": now}
    change.update(changes=[json.dumps({"field": "title"})], created_at=now)
    other = await DB.get_new_connection()
    try:
        await other.execute("SET lock_timeout = '3s'")
        async with DB.transaction():
            update = await calendar_updates.Q.next_due_calendar_update(now=now + timedelta(days=1), event_id=None)
            written = await calendar_updates._flush_one(update)
            seat = await other.fetchrow(seats.Q.lock_event.sql, event["id"])  # a registration's first statement
            meanwhile = asyncio.ensure_future(other.execute(record.sql, *[change[p] for p in record.parameters]))
            await asyncio.sleep(0.5)
            waited = not meanwhile.done()
        await meanwhile
        updates = await sql.fetch(
            "SELECT changes, done_at IS NOT NULL AS done, recipients FROM calendar_update WHERE event = $1 ORDER BY id",
            event["id"],
        )
    finally:
        await other.close()
    assert seat["id"] == event["id"] and written == 1 and waited
    assert [(len(u["changes"]), u["done"], u["recipients"]) for u in updates] == [(1, True, 1), (1, False, None)]
    assert [queries.json_value(c) for c in updates[1]["changes"]] == [{"field": "title"}]


async def test_a_venue_change_takes_as_many_statements_for_a_congress_as_for_a_workshop(client, organizer, monkeypatch):
    """A venue change shows in every session's invite: each one's SEQUENCE grows, both its versions are remembered
    and an update opens for it, while the change holds its event's row (registrations wait). That is the same few
    statements however many sessions the event has, not a few for each (a congress has hundreds)."""
    run = sql.run

    async def venue_change(sessions: int) -> tuple[int, int]:
        c = await congress(client, organizer, title=f"Forum of {sessions}")
        for n in range(sessions):
            start, end = (
                f"2027-10-29T{8 + n // 2:02d}:{n % 2 * 30:02d}:00",
                f"2027-10-29T{8 + n // 2:02d}:{n % 2 * 30 + 29:02d}:00",
            )
            await add_session(client, organizer, c, title=f"Session {n}", start=start, end=end)
        statements = 0

        async def counted(*args):
            nonlocal statements
            statements += 1
            return await run(*args)

        monkeypatch.setattr(sql, "run", counted)
        response = await client.patch(f"/api/events/{c['id']}", json={"venue_name": "G-Tower"}, headers=organizer)
        monkeypatch.setattr(sql, "run", run)
        assert response.status_code == 200, response.text
        opened = await sql.fetchval(
            "SELECT count(*) FROM calendar_update WHERE event = $1 AND done_at IS NULL", c["id"]
        )
        return statements, opened

    workshop, congress_day = await venue_change(3), await venue_change(20)
    assert (workshop[1], congress_day[1]) == (1 + 3, 1 + 20)  # the event and each session
    assert congress_day[0] == workshop[0], (workshop, congress_day)


async def test_update_waits_for_the_window(client, organizer):
    event = await published_event(client, organizer, update_delay_minutes=10)
    await register(client, event["id"], "ana")
    await client.patch(f"/api/events/{event['id']}", json={"venue_name": "Hall B"}, headers=organizer)
    now = datetime.now(timezone.utc)
    early = await calendar_updates.flush_due(now + timedelta(minutes=5))
    late = await calendar_updates.flush_due(now + timedelta(minutes=11))
    assert (early, late) == (0, 1)


async def test_changes_to_a_draft_tell_nobody(client, organizer):
    created = (
        await client.post(
            "/api/events",
            json={
                "title": "Draft",
                "kind": "webinar",
                "timezone": "UTC",
                "starts_at": "2027-01-01T10:00:00Z",
                "ends_at": "2027-01-01T11:00:00Z",
            },
            headers=organizer,
        )
    ).json()
    await client.patch(
        f"/api/events/{created['id']}",
        json={"starts_at": "2027-01-02T10:00:00Z", "ends_at": "2027-01-02T11:00:00Z"},
        headers=organizer,
    )
    assert await sql.fetchval("SELECT count(*) FROM calendar_update") == 0


async def test_cancelling_the_event_sends_cancel_with_a_higher_sequence_at_once(client, organizer):
    event = await published_event(client, organizer)
    await register(client, event["id"], "ana")
    response = await client.post(f"/api/events/{event['id']}/cancel", headers=organizer)
    again = await client.post(f"/api/events/{event['id']}/cancel", headers=organizer)
    register_after = await client.post(
        f"/api/events/{event['id']}/registrations",
        json={"email": "late@example.org", "name": "Late", "category": "delegate", "consent": True},
    )
    assert (response.json()["status"], again.status_code, register_after.status_code) == ("cancelled", 409, 409)
    assert await messages("event_cancelled") == [("ana@example.org", "CANCEL", 1)]


async def test_reminder_is_sent_once_to_confirmed_and_again_after_a_move(client, organizer):
    start = datetime.now(timezone.utc) + timedelta(hours=20)
    event = await published_event(
        client,
        organizer,
        categories=(("delegate", 1),),
        starts_at=start.isoformat(),
        ends_at=(start + timedelta(hours=3)).isoformat(),
    )
    await register(client, event["id"], "ana")
    await register(client, event["id"], "bo")  # waitlisted: no reminder
    first = await reminders.send_due()
    second = await reminders.send_due()
    moved = start + timedelta(hours=2)
    await client.patch(
        f"/api/events/{event['id']}",
        json={"starts_at": moved.isoformat(), "ends_at": (moved + timedelta(hours=3)).isoformat()},
        headers=organizer,
    )
    after_move = await reminders.send_due()
    assert (first, second, after_move) == (1, 0, 1)
    assert [r[0] for r in await messages("event_reminder")] == ["ana@example.org", "ana@example.org"]


def test_due_hours_only_between_the_reminder_and_the_start():
    start = datetime(2027, 5, 18, 7, tzinfo=timezone.utc)
    assert reminders.due_hours(start, [24, 2], start - timedelta(hours=25)) == []
    assert reminders.due_hours(start, [24, 2], start - timedelta(hours=23)) == [24]
    assert reminders.due_hours(start, [24, 2], start - timedelta(hours=1)) == [24, 2]
    assert reminders.due_hours(start, [24, 2], start + timedelta(minutes=1)) == []


async def test_announcement_to_5000_confirmed_goes_through_the_outbox(client, organizer):
    event = await published_event(client, organizer)
    category = event["categories"][0]["id"]
    await sql.execute(
        """WITH people AS (
               INSERT INTO person (email, name, language, announcements_opt_out, created_at)
               SELECT 'delegate' || i || '@example.org', 'Delegate ' || i, CASE WHEN i % 3 = 0 THEN 'es' ELSE 'en'
                      END, i = 1, now() FROM generate_series(1, 5001) AS i RETURNING id)
           INSERT INTO registration (event, person, category, status, token_nonce, token_hash, answers,
                                     cancel_reason, created_at, updated_at)
           SELECT $1, id, $2, 'confirmed', md5(id::text), md5('t' || id::text), '{}'::jsonb, '', now(), now()
           FROM people""",
        event["id"],
        category,
    )
    created = await client.post(
        f"/api/events/{event['id']}/announcements",
        json={
            "subject": "Shuttle buses from the airport",
            "body": "Buses leave every 20 minutes.\n\nLook for the sign.",
            "audience": {"kind": "confirmed"},
        },
        headers=organizer,
    )
    preview = (
        await client.get(f"/api/events/{event['id']}/announcements/{created.json()['id']}/preview", headers=organizer)
    ).json()
    sent = await client.post(f"/api/events/{event['id']}/announcements/{created.json()['id']}/send", headers=organizer)
    twice = await client.post(f"/api/events/{event['id']}/announcements/{created.json()['id']}/send", headers=organizer)
    queued = await sql.fetchval("SELECT count(*) FROM outbox_message WHERE kind = 'announcement'")
    assert (created.json()["recipients"], sent.json()["recipients"], queued, twice.status_code) == (
        5000,
        5000,
        5000,
        409,
    )
    assert preview["subject"] == "Shuttle buses from the airport" and "<p>Look for the sign.</p>" in preview["html"]
    assert "Unsubscribe" in preview["text"]


async def test_announcement_email_has_list_unsubscribe_and_reply_to(client, organizer):
    event = await published_event(client, organizer, reply_to="help@example.org")
    reg = await register(client, event["id"], "ana")
    created = (
        await client.post(
            f"/api/events/{event['id']}/announcements",
            json={
                "subject": "Welcome",
                "body": "See you in Incheon.",
                "audience": {"kind": "category", "value": "delegate"},
            },
            headers=organizer,
        )
    ).json()
    await client.post(f"/api/events/{event['id']}/announcements/{created['id']}/send", headers=organizer)
    row = dict(await sql.fetchrow("SELECT * FROM outbox_message WHERE kind = 'announcement'"))
    message = email.message_from_bytes((await compose(row, get_settings())).data, policy=email.policy.default)
    unsubscribe = message["List-Unsubscribe"].strip("<>").split("/api/")[1]
    result = await client.post(f"/api/{unsubscribe}")
    forged = await client.post("/api/unsubscribe/1.0000")
    opted_out = await sql.fetchval("SELECT announcements_opt_out FROM person WHERE email = 'ana@example.org'")
    assert (message["Reply-To"], message["List-Unsubscribe-Post"]) == ("help@example.org", "List-Unsubscribe=One-Click")
    assert (result.status_code, forged.status_code, opted_out, reg["status"]) == (200, 404, True, "confirmed")


async def test_announcement_audience_must_be_named(client, organizer):
    event = await published_event(client, organizer)
    response = await client.post(
        f"/api/events/{event['id']}/announcements",
        json={"subject": "x", "body": "y", "audience": {"kind": "category"}},
        headers=organizer,
    )
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "audience.value")


async def test_delivery_log_shows_failures_and_resends(client, organizer):
    event = await published_event(client, organizer)
    await register(client, event["id"], "ana")
    await sql.execute(
        "UPDATE outbox_message SET status = 'failed', attempts = 8, last_error = '550 5.1.1 mailbox unavailable'"
    )
    log = (
        await client.get(f"/api/events/{event['id']}/deliveries", params={"status": "failed"}, headers=organizer)
    ).json()
    resent = await client.post(f"/api/events/{event['id']}/deliveries/{log[0]['id']}/resend", headers=organizer)
    assert [(d["recipient"], d["last_error"]) for d in log] == [("ana@example.org", "550 5.1.1 mailbox unavailable")]
    assert (resent.status_code, resent.json()["status"], resent.json()["attempts"]) == (202, "pending", 0)
    assert await sql.fetchval("SELECT action FROM audit_log WHERE subject_type = 'outbox_message'") == "delivery.resend"
    stranger = await client.get(f"/api/events/{event['id']}/deliveries")
    assert stranger.status_code == 401


async def test_announcement_in_two_languages_reaches_each_reader_in_theirs(client, organizer):
    event = await published_event(client, organizer)
    await register(client, event["id"], "ana")
    spanish = await client.post(
        f"/api/events/{event['id']}/registrations",
        json={"email": "lucia@example.org", "name": "Lucía", "category": "delegate", "consent": True, "language": "es"},
    )
    assert spanish.status_code == 201, spanish.text
    base = f"/api/events/{event['id']}/announcements"
    refused = await client.post(
        base,
        headers=organizer,
        json={
            "subject": "Welcome",
            "body": "x",
            "audience": {"kind": "confirmed"},
            "translations": {"xx": {"subject": "?"}, "es": {"subject": "Bienvenida\u0000"}},
        },
    )
    assert refused.status_code == 422, refused.text
    fields = {e["field"] for e in refused.json()["errors"]}
    assert fields == {"translations.xx", "translations.es.subject"}, refused.text
    assert await sql.fetchval("SELECT count(*) FROM announcement") == 0
    created = await client.post(
        base,
        headers=organizer,
        json={
            "subject": "Welcome to Incheon",
            "body": "First paragraph.\r\n\r\nSecond paragraph.",
            "audience": {"kind": "confirmed"},
            "translations": {"es": {"subject": "Bienvenida a Incheon", "body": "Primer párrafo.\r\n\r\nSegundo."}},
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["translations"] == {
        "es": {"subject": "Bienvenida a Incheon", "body": "Primer párrafo.\n\nSegundo."}
    }
    await client.post(f"{base}/{created.json()['id']}/send", headers=organizer)
    got = {}
    for row in await sql.fetch("SELECT * FROM outbox_message WHERE kind = 'announcement'"):
        message = email.message_from_bytes((await compose(dict(row), get_settings())).data, policy=email.policy.default)
        got[row["recipient"]] = (str(message["Subject"]), message.get_body(("plain",)).get_content())
    assert got["ana@example.org"][0] == "Welcome to Incheon" and "Second paragraph." in got["ana@example.org"][1]
    assert got["lucia@example.org"][0] == "Bienvenida a Incheon" and "Segundo." in got["lucia@example.org"][1]


async def test_an_announcement_sent_four_times_at_once_is_queued_and_recorded_once(client, organizer):
    event = await published_event(client, organizer)
    for name in ("ana", "bea", "caio"):
        await register(client, event["id"], name)
    created = await client.post(
        f"/api/events/{event['id']}/announcements",
        json={"subject": "Shuttle buses", "body": "Every 20 minutes.", "audience": {"kind": "confirmed"}},
        headers=organizer,
    )
    url = f"/api/events/{event['id']}/announcements/{created.json()['id']}/send"
    answers = await asyncio.gather(*(client.post(url, headers=organizer) for _ in range(4)))
    assert sorted(a.status_code for a in answers) == [202, 409, 409, 409], [a.text for a in answers]
    recorded = await sql.fetchval("SELECT recipients FROM announcement WHERE id = $1", created.json()["id"])
    queued = await sql.fetchval("SELECT count(*) FROM outbox_message WHERE kind = 'announcement'")
    audits = await sql.fetchval("SELECT count(*) FROM audit_log WHERE action = 'announcement.send'")
    assert (recorded, queued, audits) == (3, 3, 1)
