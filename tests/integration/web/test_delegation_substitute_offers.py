"""A delegation member holding a waiting-list offer is substituted: the newcomer holds the same offer, with its
deadline, and can accept it in time; past the deadline it passes to the next in line like any other offer."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from events_app.db import sql
from events_app.domain.security import manage_token
from events_app.services.registration import registrations
from events_app.settings import get_settings
from tests.fixtures import published_event


async def _token_of(email: str) -> str:
    nonce = await sql.fetchval(
        "SELECT r.token_nonce FROM registration r JOIN person p ON p.id = r.person WHERE p.email = $1"
        " ORDER BY r.id DESC LIMIT 1",
        email,
    )
    return manage_token(get_settings().secret_key, nonce)


async def _offered_member_substituted(client, organizer) -> tuple[dict, dict]:
    """Quota 2: the head and an outsider confirmed, a member waits, one waits behind; the outsider cancels (the
    member is offered the seat), then the head hands the member's place to a newcomer."""
    event = await published_event(
        client, organizer, categories=(("delegate", 2),), waitlist_mode="offer", offer_hours=24
    )
    city = await sql.fetchval(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ('City of Quito', 'city', 'EC', 'active', now()) RETURNING id"
    )
    created = await client.post(
        f"/api/events/{event['id']}/delegations",
        json={
            "organization_id": city,
            "category": "delegate",
            "seats": 3,
            "head_email": "head@quito.example.org",
            "head_name": "Head of Delegation",
        },
        headers=organizer,
    )
    assert created.status_code == 201, created.text
    head = await _token_of("head@quito.example.org")

    async def register(email: str) -> dict:
        body = {"email": email, "name": "Someone", "category": "delegate", "consent": True}
        return (await client.post(f"/api/events/{event['id']}/registrations", json=body)).json()

    outsider = await register("outsider@example.org")
    member = (
        await client.post(
            f"/api/registrations/{head}/delegation/members", json={"email": "member@quito.example.org", "name": "M"}
        )
    ).json()
    assert member["status"] == "waitlisted"
    await register("next@example.org")
    await client.delete(f"/api/registrations/{outsider['manage_token']}")
    offered = (await client.get(f"/api/registrations/{await _token_of('member@quito.example.org')}")).json()
    assert offered["status"] == "offered" and offered["offer_expires_at"]
    substituted = await client.post(
        f"/api/registrations/{head}/delegation/members/{member['id']}/substitute",
        json={"email": "newcomer@quito.example.org", "name": "Newcomer"},
    )
    assert substituted.status_code == 201, substituted.text
    return offered, substituted.json()


async def test_the_newcomer_holds_the_offer_with_its_deadline_and_can_accept_it(client, organizer):
    offered, newcomer = await _offered_member_substituted(client, organizer)
    token = await _token_of("newcomer@quito.example.org")
    shown = (await client.get(f"/api/registrations/{token}")).json()
    assert (shown["status"], shown["offer_expires_at"]) == ("offered", offered["offer_expires_at"])
    accepted = await client.post(f"/api/registrations/{token}/accept-offer")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "confirmed"


async def test_the_newcomers_offer_expires_and_passes_to_the_next_in_line(client, organizer):
    await _offered_member_substituted(client, organizer)
    expired = await registrations.expire_offers(datetime.now(timezone.utc) + timedelta(days=3))
    following = (await client.get(f"/api/registrations/{await _token_of('next@example.org')}")).json()
    assert (expired, following["status"]) == (1, "offered")
