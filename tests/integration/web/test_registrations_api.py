from datetime import datetime, timedelta, timezone

from events_app.db import sql
from tests.fixtures import published_event


def delegate(**overrides) -> dict:
    body = {"email": "Thandiwe.Nkosi@Example.org", "name": "Thandiwe Nkosi", "category": "delegate", "consent": True}
    body.update(overrides)
    return body


async def counts() -> tuple[int, int, int]:
    return (
        await sql.fetchval("SELECT count(*) FROM registration"),
        await sql.fetchval("SELECT count(*) FROM person"),
        await sql.fetchval("SELECT count(*) FROM outbox_message"),
    )


async def test_register_confirms_and_writes_one_outbox_request(client, organizer):
    event = await published_event(client, organizer)
    response = await client.post(f"/api/events/{event['id']}/registrations", json=delegate())
    body = response.json()
    outbox = await sql.fetch("SELECT kind, recipient, calendar_method, calendar_sequence FROM outbox_message")
    assert (response.status_code, body["status"], body["email"]) == (201, "confirmed", "thandiwe.nkosi@example.org")
    assert [dict(r) for r in outbox] == [
        {
            "kind": "registration_confirmed",
            "recipient": "thandiwe.nkosi@example.org",
            "calendar_method": "REQUEST",
            "calendar_sequence": 0,
        }
    ]


async def test_manage_token_is_not_stored(client, organizer):
    event = await published_event(client, organizer)
    token = (await client.post(f"/api/events/{event['id']}/registrations", json=delegate())).json()["manage_token"]
    stored = await sql.fetchrow("SELECT * FROM registration")
    assert token not in {str(v) for v in dict(stored).values()}


async def test_same_email_in_other_case_is_409(client, organizer):
    event = await published_event(client, organizer)
    await client.post(f"/api/events/{event['id']}/registrations", json=delegate())
    response = await client.post(
        f"/api/events/{event['id']}/registrations", json=delegate(email="THANDIWE.NKOSI@example.org")
    )
    assert (response.status_code, response.json()["errors"][0]["field"]) == (409, "email")
    assert "manage_token" not in response.text
    kinds = [r["kind"] for r in await sql.fetch("SELECT kind FROM outbox_message ORDER BY id")]
    assert (await counts())[:2] == (1, 1)
    assert kinds == ["registration_confirmed", "manage_link"]


async def test_full_category_waitlists_with_a_position(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", 1),))
    await client.post(f"/api/events/{event['id']}/registrations", json=delegate())
    response = await client.post(
        f"/api/events/{event['id']}/registrations", json=delegate(email="jiwon.park@example.org", name="Ji-won Park")
    )
    assert (response.status_code, response.json()["status"], response.json()["waitlist_position"]) == (
        201,
        "waitlisted",
        1,
    )


async def test_event_capacity_limits_all_categories(client, organizer):
    event = await published_event(client, organizer, capacity=1, categories=(("delegate", None), ("press", None)))
    first = await client.post(f"/api/events/{event['id']}/registrations", json=delegate())
    second = await client.post(
        f"/api/events/{event['id']}/registrations",
        json=delegate(email="press@example.org", name="Erik", category="press"),
    )
    assert (first.json()["status"], second.json()["status"]) == ("confirmed", "waitlisted")


async def test_draft_event_refuses_registration(client, organizer):
    event = (
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
    response = await client.post(f"/api/events/{event['id']}/registrations", json=delegate())
    assert (response.status_code, response.json()["errors"][0]["field"]) == (409, "event")
    assert await counts() == (0, 0, 0)


async def test_closed_window_refuses_registration(client, organizer):
    closed = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    opened = (datetime.now(timezone.utc) - timedelta(days=2)).isoformat()
    event = await published_event(client, organizer, registration_opens_at=opened, registration_closes_at=closed)
    response = await client.post(f"/api/events/{event['id']}/registrations", json=delegate())
    assert response.status_code == 409 and "closed" in response.json()["detail"]


async def test_invalid_email_and_unknown_category_are_422_and_write_nothing(client, organizer):
    event = await published_event(client, organizer)
    response = await client.post(
        f"/api/events/{event['id']}/registrations", json=delegate(email="not-an-address", category="vip")
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["email"]
    unknown = await client.post(f"/api/events/{event['id']}/registrations", json=delegate(category="vip"))
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "category")
    assert await counts() == (0, 0, 0)


async def test_unknown_event_is_404(client):
    response = await client.post("/api/events/999/registrations", json=delegate())
    assert response.status_code == 404


async def test_delegate_reads_and_cancels_with_token(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", 1),))
    token = (await client.post(f"/api/events/{event['id']}/registrations", json=delegate())).json()["manage_token"]
    seen = await client.get(f"/api/registrations/{token}")
    cancelled = await client.delete(f"/api/registrations/{token}")
    again = await client.delete(f"/api/registrations/{token}")
    seats = (await client.get(f"/api/events/{event['id']}")).json()["categories"][0]["seats_left"]
    outbox = await sql.fetch("SELECT calendar_method, calendar_sequence FROM outbox_message ORDER BY id")
    assert (seen.status_code, cancelled.json()["status"], again.status_code, seats) == (200, "cancelled", 409, 1)
    assert [tuple(r) for r in outbox] == [("REQUEST", 0), ("CANCEL", 1)]


async def test_cancelled_delegate_may_register_again_with_a_higher_sequence(client, organizer):
    event = await published_event(client, organizer)
    token = (await client.post(f"/api/events/{event['id']}/registrations", json=delegate())).json()["manage_token"]
    await client.delete(f"/api/registrations/{token}")
    again = await client.post(f"/api/events/{event['id']}/registrations", json=delegate())
    sequences = [
        r["calendar_sequence"] for r in await sql.fetch("SELECT calendar_sequence FROM outbox_message ORDER BY id")
    ]
    assert (again.status_code, sequences) == (201, [0, 1, 2])


async def test_wrong_token_is_404(client):
    assert (await client.get("/api/registrations/not-a-token")).status_code == 404


async def test_organizer_lists_registrations_others_cannot(client, organizer):
    from tests.fixtures import login

    event = await published_event(client, organizer)
    await client.post(f"/api/events/{event['id']}/registrations", json=delegate())
    mine = await client.get(f"/api/events/{event['id']}/registrations", headers=organizer)
    other = await client.get(
        f"/api/events/{event['id']}/registrations", headers=await login(client, "other@example.org")
    )
    anonymous = await client.get(f"/api/events/{event['id']}/registrations")
    assert (mine.status_code, [r["name"] for r in mine.json()]) == (200, ["Thandiwe Nkosi"])
    assert (other.status_code, anonymous.status_code) == (403, 401)
