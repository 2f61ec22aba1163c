"""The registration engine attacked by its users' adversaries (API, real PostgreSQL): single-use admissions that a
refused attempt must not burn, races on one invitation, one access code and one delegation's seats, a head of
delegation racing an organizer who lowers the seats, and links that must take nothing in a cancelled event."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import secrets

from events_app.db import sql
from events_app.domain.security import manage_token
from events_app.services.platform import limits
from events_app.services.registration import delegations, seats
from events_app.services.registration.invitations import invitation_token
from events_app.settings import get_settings
from events_app.web import abuse
from tests.agenda_fixtures import add_session, congress, delegate
from tests.fixtures import published_event


async def register(client, event_id: int, email: str, **extra):
    body = {"email": email, "name": "Someone", "category": "delegate", "consent": True, **extra}
    return await client.post(f"/api/events/{event_id}/registrations", json=body)


async def token_of(email: str) -> str:
    nonce = await sql.fetchval(
        "SELECT r.token_nonce FROM registration r JOIN person p ON p.id = r.person WHERE p.email = $1", email
    )
    return manage_token(get_settings().secret_key, nonce)


async def delegation(client, organizer, event_id: int, seat_quota: int) -> str:
    """A delegation of a new organization; its head's manage token."""
    org_id = await sql.fetchval(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ('Nairobi City County', 'city', 'KE', 'active', now()) RETURNING id"
    )
    created = await client.post(
        f"/api/events/{event_id}/delegations",
        json={
            "organization_id": org_id,
            "category": "delegate",
            "seats": seat_quota,
            "head_email": "head@example.org",
            "head_name": "Wanjiru Kamau",
        },
        headers=organizer,
    )
    assert created.status_code == 201, created.text
    return await token_of("head@example.org")


def add_member(client, head: str, email: str):
    return client.post(f"/api/registrations/{head}/delegation/members", json={"email": email, "name": "Member"})


async def test_a_refused_registration_burns_no_invitation_and_no_access_code_use(client, organizer):
    event = await published_event(client, organizer)
    base = f"/api/events/{event['id']}"
    await register(client, event["id"], "mayor@example.org")
    await client.post(
        f"{base}/invitations", json={"email": "mayor@example.org", "category": "delegate"}, headers=organizer
    )
    await client.post(
        f"{base}/access-codes", json={"category": "delegate", "max_uses": 1, "code": "ONCE-1"}, headers=organizer
    )
    invitation = invitation_token(await sql.fetchval("SELECT token_nonce FROM invitation"))
    # Already registered: 409, the manage link goes to the address; the single-use admissions stay unused.
    again = await register(client, event["id"], "mayor@example.org", invitation_token=invitation, category="")
    coded = await register(client, event["id"], "mayor@example.org", access_code="ONCE-1", category="")
    assert (again.status_code, coded.status_code) == (409, 409)
    assert await sql.fetchval("SELECT used_at FROM invitation") is None
    assert await sql.fetchval("SELECT uses FROM access_code") == 0
    # ... so they still admit, once each.
    used = await register(client, event["id"], "deputy@example.org", invitation_token=invitation, category="")
    code_used = await register(client, event["id"], "adviser@example.org", access_code="once-1", category="")
    assert (used.status_code, code_used.status_code) == (201, 201)
    assert await sql.fetchval("SELECT used_at IS NOT NULL FROM invitation")
    assert await sql.fetchval("SELECT uses FROM access_code") == 1


async def test_concurrent_requests_share_no_single_use_admission_and_no_delegation_seat(client, organizer):
    event = await published_event(client, organizer)
    base = f"/api/events/{event['id']}"
    await client.post(f"{base}/invitations", json={"email": "x@example.org", "category": "delegate"}, headers=organizer)
    await client.post(
        f"{base}/access-codes", json={"category": "delegate", "max_uses": 2, "code": "TWICE-2"}, headers=organizer
    )
    head = await delegation(client, organizer, event["id"], seat_quota=3)
    invitation = invitation_token(await sql.fetchval("SELECT token_nonce FROM invitation"))
    results = await asyncio.gather(
        *(
            register(client, event["id"], f"i{i}@example.org", invitation_token=invitation, category="")
            for i in range(4)
        ),
        *(register(client, event["id"], f"c{i}@example.org", access_code="twice-2", category="") for i in range(4)),
        *(add_member(client, head, f"m{i}@example.org") for i in range(4)),
    )
    invited, coded, members = results[:4], results[4:8], results[8:]
    assert sum(r.status_code == 201 for r in invited) == 1
    assert (sum(r.status_code == 201 for r in coded), await sql.fetchval("SELECT uses FROM access_code")) == (2, 2)
    active_members = await sql.fetchval("SELECT count(*) FROM registration WHERE delegation IS NOT NULL")
    assert (sum(r.status_code == 201 for r in members), active_members) == (2, 3)


async def test_head_adding_a_member_sees_the_seats_an_organizer_lowered_meanwhile(client, organizer, monkeypatch):
    event = await published_event(client, organizer)
    head = await delegation(client, organizer, event["id"], seat_quota=3)
    assert (await add_member(client, head, "m1@example.org")).status_code == 201
    delegation_id = await sql.fetchval("SELECT id FROM delegation")
    lock_event = seats.lock_event

    async def organizer_first(event_id: int):
        # The organizer's PATCH (2 seats, both in use) commits after the head's request read its delegation and
        # before it got the event lock.
        monkeypatch.setattr(seats, "lock_event", lock_event)
        lowered = await client.patch(
            f"/api/events/{event_id}/delegations/{delegation_id}", json={"seats": 2}, headers=organizer
        )
        assert lowered.status_code == 200, lowered.text
        return await lock_event(event_id)

    monkeypatch.setattr(seats, "lock_event", organizer_first)
    with_stale_seats = await add_member(client, head, "m2@example.org")
    assert with_stale_seats.status_code == 409
    assert await sql.fetchval("SELECT count(*) FROM registration WHERE delegation = $1", delegation_id) == 2
    assert delegations.seats is seats


async def test_links_take_no_seat_member_offer_or_session_in_a_cancelled_event(client, organizer):
    c = await congress(client, organizer)
    await client.patch(f"{c['base']}", json={"waitlist_mode": "offer", "offer_hours": 24}, headers=organizer)
    session = await add_session(client, organizer, c)
    booker = await delegate(client, c, 1)
    head = await delegation(client, organizer, c["id"], seat_quota=3)
    member = (await add_member(client, head, "m1@example.org")).json()
    category_id = c["event"]["categories"][0]["id"]
    await client.patch(f"{c['base']}/categories/{category_id}", json={"quota": 3}, headers=organizer)
    waiting = (await register(client, c["id"], "waiting@example.org")).json()
    assert waiting["status"] == "waitlisted"
    assert (await client.post(f"{c['base']}/cancel", headers=organizer)).status_code == 200

    booked = await client.put(f"/api/registrations/{booker}/agenda/{session['id']}")
    added = await add_member(client, head, "late@example.org")
    swapped = await client.post(
        f"/api/registrations/{head}/delegation/members/{member['id']}/substitute",
        json={"email": "new@example.org", "name": "New"},
    )
    # A seat freed in a cancelled event goes to nobody: no offer, no invite to the event.
    assert (await client.delete(f"/api/registrations/{booker}")).status_code == 200
    offered = await sql.fetchval("SELECT status FROM registration WHERE id = $1", waiting["id"])
    assert (booked.status_code, added.status_code, swapped.status_code, offered) == (409, 409, 409, "waitlisted")
    kinds = [
        r["kind"] for r in await sql.fetch("SELECT kind FROM outbox_message WHERE registration = $1", waiting["id"])
    ]
    assert kinds == ["registration_waitlisted"]


async def test_an_offer_cannot_be_taken_up_once_the_event_is_cancelled(client, organizer):
    event = await published_event(
        client, organizer, categories=(("delegate", 1),), waitlist_mode="offer", offer_hours=24
    )
    first = (await register(client, event["id"], "a@example.org")).json()["manage_token"]
    second = (await register(client, event["id"], "b@example.org")).json()["manage_token"]
    await client.delete(f"/api/registrations/{first}")
    assert (await client.get(f"/api/registrations/{second}")).json()["status"] == "offered"
    await client.post(f"/api/events/{event['id']}/cancel", headers=organizer)
    accepted = await client.post(f"/api/registrations/{second}/accept-offer")
    assert accepted.status_code == 409
    assert (await client.get(f"/api/registrations/{second}")).json()["status"] == "offered"


async def test_a_head_adds_no_member_after_registration_closed(client, organizer):
    event = await published_event(client, organizer)
    head = await delegation(client, organizer, event["id"], seat_quota=3)
    await sql.execute("UPDATE event SET registration_closes_at = now() - interval '1 minute'")
    added = await add_member(client, head, "late@example.org")
    public = await register(client, event["id"], "public@example.org")
    assert (added.status_code, public.status_code) == (409, 409)


async def test_a_head_of_delegation_meets_the_registration_limits_on_api_and_page(client, organizer, monkeypatch):
    """Substituting member after member mails every typed address: without limits a head's link is a mail relay."""
    settings = dataclasses.replace(get_settings(), limit_register_email="2/3600")
    for module in (limits, abuse):
        monkeypatch.setattr(module, "get_settings", lambda: settings)
    event = await published_event(client, organizer)
    head = await delegation(client, organizer, event["id"], seat_quota=5)
    member = (await add_member(client, head, f"m-{secrets.token_hex(4)}@example.org")).json()
    target = f"victim-{secrets.token_hex(4)}@example.org"
    swap = f"/api/registrations/{head}/delegation/members/{member['id']}/substitute"
    api = [(await client.post(swap, json={"email": target, "name": "V"})).status_code for _ in range(2)]
    page = await client.get(f"/manage/{head}")
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    form = await client.post(
        f"/manage/{head}/delegation/members", data={"email": target, "name": "V", "_csrf_token": csrf}
    )
    assert (api, form.status_code) == ([201, 409], 429)
