"""Personal data: consent with the policy version, export, erasure that keeps counts, retention, and public pages
that show nobody's personal data."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone

import pytest

from events_app.db import sql
from events_app.domain.security import access_link_token
from events_app.services.privacy import privacy
from events_app.settings import get_settings
from tests.fixtures import login, published_event
from tests.integration.web.test_route_permissions import PUBLIC, ROUTES, build, call


def body(email: str = "ines.garcia@example.org", **extra) -> dict:
    return {"email": email, "name": "Inés García", "category": "delegate", "consent": True, **extra}


async def test_registration_without_consent_is_refused_naming_consent(client, organizer):
    event = await published_event(client, organizer)
    missing = await client.post(
        f"/api/events/{event['id']}/registrations", json={k: v for k, v in body().items() if k != "consent"}
    )
    refused = await client.post(f"/api/events/{event['id']}/registrations", json=body(consent=False))
    assert (missing.status_code, refused.status_code) == (422, 422)
    assert [e["field"] for e in missing.json()["errors"]] == ["consent"]
    assert [e["field"] for e in refused.json()["errors"]] == ["consent"]
    assert await sql.fetchval("SELECT count(*) FROM registration") == 0


async def test_consent_is_recorded_with_the_policy_version(client, organizer):
    event = await published_event(client, organizer)
    created = (await client.post(f"/api/events/{event['id']}/registrations", json=body())).json()
    row = await sql.fetchrow("SELECT consent_version, consent_at FROM registration WHERE id = $1", created["id"])
    assert (created["consent_version"], row["consent_version"]) == (get_settings().privacy_policy_version,) * 2
    assert row["consent_at"] is not None


async def person_session(client, email: str = "ines.garcia@example.org") -> dict[str, str]:
    """Ask for the emailed access link and use it, as the owner of the address does; the session's headers."""
    assert (await client.post("/api/people/access-link", json={"email": email})).status_code == 202
    nonce = await sql.fetchval(
        "SELECT l.token_nonce FROM person_access_link l JOIN person p ON p.id = l.person"
        " WHERE p.email = $1 ORDER BY l.id DESC LIMIT 1",
        email,
    )
    opened = await client.post(
        "/api/people/access", json={"token": access_link_token(get_settings().secret_key, nonce)}
    )
    assert opened.status_code == 200, opened.text
    return {"Authorization": f"Bearer {opened.json()['session']}"}


async def test_export_by_emailed_link_holds_the_persons_data(client, organizer):
    event = await published_event(client, organizer)
    await client.post(f"/api/events/{event['id']}/registrations", json=body())
    data = await client.get("/api/people/me/data", headers=await person_session(client))
    assert data.status_code == 200
    exported = data.json()
    assert (exported["person"]["email"], exported["person"]["name"]) == ("ines.garcia@example.org", "Inés García")
    assert [(r["event_id"], r["status"], r["consent_version"]) for r in exported["registrations"]] == [
        (event["id"], "confirmed", get_settings().privacy_policy_version)
    ]
    assert [m["kind"] for m in exported["messages"]] == ["registration_confirmed", "person_access_link"]


async def test_admin_export_and_erase_are_for_administrators_only(client, organizer):
    event = await published_event(client, organizer)
    created = (await client.post(f"/api/events/{event['id']}/registrations", json=body())).json()
    person_id = await sql.fetchval("SELECT person FROM registration WHERE id = $1", created["id"])
    await sql.execute("UPDATE account SET is_admin = true WHERE email = 'admin@example.org'")
    admin = await login(client, "admin@example.org")
    await sql.execute("UPDATE account SET is_admin = true WHERE email = 'admin@example.org'")
    found = await client.get("/api/admin/people", params={"email": "Ines.Garcia@example.org"}, headers=admin)
    as_organizer = await client.get(f"/api/admin/people/{person_id}/export", headers=organizer)
    exported = await client.get(f"/api/admin/people/{person_id}/export", headers=admin)
    assert (found.status_code, found.json()["id"]) == (200, person_id)
    assert (as_organizer.status_code, exported.status_code) == (403, 200)
    assert exported.json()["person"]["email"] == "ines.garcia@example.org"


async def test_erasure_anonymizes_everywhere_keeps_counts_and_frees_the_seat(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", 1),))
    created = (await client.post(f"/api/events/{event['id']}/registrations", json=body(answers={}))).json()
    waiting = (
        await client.post(
            f"/api/events/{event['id']}/registrations", json=body("next@example.org", name="Next In Line")
        )
    ).json()
    token = created["manage_token"]
    erased = await client.post("/api/people/me/erase", headers=await person_session(client))
    assert erased.status_code == 200
    person = await sql.fetchrow(
        "SELECT p.* FROM person p JOIN registration r ON r.person = p.id WHERE r.id = $1", created["id"]
    )
    assert person["email"].endswith("@erased.invalid") and person["name"] == privacy.ERASED_NAME
    assert person["erased_at"] is not None
    # The registration row stays (counts), cancelled because the event is ahead; the seat went to the next person.
    statuses = dict(await sql.fetch("SELECT id, status FROM registration ORDER BY id"))
    assert statuses == {created["id"]: "cancelled", waiting["id"]: "confirmed"}
    assert (await client.get(f"/api/registrations/{token}")).status_code == 404
    assert await sql.fetchval("SELECT count(*) FROM outbox_message WHERE recipient = 'ines.garcia@example.org'") == 0
    rows = [
        r
        for t in ("outbox_message", "audit_log", "invitation", "person", "registration")
        for r in await sql.fetch(f"SELECT * FROM {t}")
    ]
    dump = " ".join(str(dict(r)) for r in rows)
    assert "ines.garcia" not in dump.lower() and "García" not in dump
    again = await privacy.erase(person["id"])
    assert again["status"] == "erased"


async def test_retention_anonymizes_registrations_of_long_past_events_only(client, organizer, monkeypatch):
    past = await published_event(client, organizer)
    future = await published_event(client, organizer, title="Next forum")
    old = (await client.post(f"/api/events/{past['id']}/registrations", json=body())).json()
    keep = (await client.post(f"/api/events/{future['id']}/registrations", json=body())).json()
    other = (
        await client.post(
            f"/api/events/{past['id']}/registrations", json=body("only.past@example.org", name="Only Past")
        )
    ).json()
    ended = datetime.now(timezone.utc) - timedelta(days=400)
    await sql.execute(
        "UPDATE event SET starts_at = $2, ends_at = $3 WHERE id = $1", past["id"], ended - timedelta(days=1), ended
    )
    await sql.execute("UPDATE person SET created_at = $1", ended - timedelta(days=30))
    settings = dataclasses.replace(get_settings(), retention_days=365)
    monkeypatch.setattr(privacy, "get_settings", lambda: settings)
    counts_before = await client.get(f"/api/events/{past['id']}/registrations/counts", headers=organizer)

    assert await privacy.apply_retention() == 2
    assert await privacy.apply_retention() == 0  # idempotent

    counts_after = await client.get(f"/api/events/{past['id']}/registrations/counts", headers=organizer)
    assert counts_after.json() == counts_before.json()
    rows = {
        r["id"]: r
        for r in await sql.fetch(
            "SELECT r.id, r.anonymized_at, p.email FROM registration r JOIN person p ON p.id = r.person"
        )
    }
    assert rows[old["id"]]["email"].endswith("@erased.invalid") and rows[old["id"]]["anonymized_at"]
    assert rows[other["id"]]["email"].endswith("@erased.invalid")
    assert (rows[keep["id"]]["email"], rows[keep["id"]]["anonymized_at"]) == ("ines.garcia@example.org", None)
    assert await sql.fetchval("SELECT count(*) FROM person WHERE email = 'only.past@example.org'") == 0
    assert (await client.get(f"/api/registrations/{old['manage_token']}")).status_code == 404
    assert (await client.get(f"/api/registrations/{keep['manage_token']}")).status_code == 200


@pytest.mark.parametrize("route", [r for r in ROUTES if r.access == PUBLIC and r.method == "GET"], ids=lambda r: r.path)
async def test_public_routes_show_no_personal_data(client, db, route):
    s = await build()
    # Speakers' names (and organizations) are public by design; nobody's email is, nor anyone else's name.
    people = await sql.fetch(
        "SELECT email, name, EXISTS(SELECT 1 FROM agenda_session_person sp"
        " WHERE sp.person = p.id) AS speaker FROM person p"
    )
    response = await call(client, route, s)
    text = response.text.lower()
    leaked = [
        p["email"] for p in people if p["email"].lower() in text or (not p["speaker"] and p["name"].lower() in text)
    ]
    assert response.status_code in route.ok and leaked == []
