"""Abuse limits against the runner's real Redis: per address and per target, 429 with Retry-After, login lockout
with a growing backoff, shared by every app instance, and registrations going on when Redis is unreachable."""

from __future__ import annotations

import dataclasses
import secrets

import httpx
import pytest

from events_app.db import sql
from events_app.services.people import accounts
from events_app.services.platform import limits
from events_app.settings import get_settings
from events_app.web import abuse
from events_app.web.app import create_app
from tests.fixtures import PASSWORD, published_event


@pytest.fixture
def limited(monkeypatch):
    """Low limits for this test (the suite runs with them raised)."""

    def apply(**values):
        settings = dataclasses.replace(get_settings(), **values)
        monkeypatch.setattr(limits, "get_settings", lambda: settings)
        monkeypatch.setattr(abuse, "get_settings", lambda: settings)
        return settings

    return apply


def client_from(ip: str) -> httpx.AsyncClient:
    """A separate app instance (as a second API process would be), seen as coming from `ip`."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(), client=(ip, 40000)), base_url="http://testserver"
    )


def new_ip() -> str:
    return f"198.51.100.{secrets.randbelow(250) + 1}-{secrets.token_hex(4)}"


def person(n: int | str) -> dict:
    return {
        "email": f"rush{n}-{secrets.token_hex(3)}@example.org",
        "name": f"Rush {n}",
        "category": "delegate",
        "consent": True,
    }


async def test_registration_limit_per_address_is_shared_between_app_instances(client, organizer, limited):
    limited(limit_register_ip="3/60")
    event = await published_event(client, organizer)
    ip = new_ip()
    async with client_from(ip) as first, client_from(ip) as second, client_from(new_ip()) as elsewhere:
        statuses = [
            (await c.post(f"/api/events/{event['id']}/registrations", json=person(i))).status_code
            for i, c in enumerate([first, second, first, second])
        ]
        refused = await first.post(f"/api/events/{event['id']}/registrations", json=person("x"))
        other = await elsewhere.post(f"/api/events/{event['id']}/registrations", json=person("y"))
    assert statuses == [201, 201, 201, 429]
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["retry_after"] == int(refused.headers["retry-after"])
    assert other.status_code == 201
    assert await sql.fetchval("SELECT count(*) FROM registration") == 4


async def test_registration_limit_per_email_stops_mail_bombing_through_duplicates(client, organizer, limited):
    limited(limit_register_email="2/3600")
    event = await published_event(client, organizer)
    body = person("dup")
    async with client_from(new_ip()) as c:
        statuses = [(await c.post(f"/api/events/{event['id']}/registrations", json=body)).status_code for _ in range(4)]
    assert statuses == [201, 409, 429, 429]
    assert await sql.fetchval("SELECT count(*) FROM outbox_message WHERE kind = 'manage_link'") == 1


async def test_resend_link_limited_per_email_and_per_address(client, organizer, limited):
    limited(limit_resend_email="2/3600", limit_resend_ip="5/60")
    event = await published_event(client, organizer)
    path = f"/api/events/{event['id']}/registrations/resend-link"
    async with client_from(new_ip()) as c:
        same = [(await c.post(path, json={"email": "target@example.org"})).status_code for _ in range(3)]
        others = [(await c.post(path, json={"email": f"x{i}@example.org"})).status_code for i in range(3)]
    assert same == [202, 202, 429]
    assert others == [202, 202, 429]  # the refused request above counted against the address too


async def test_spellings_of_one_mailbox_share_its_limits(client, organizer, limited):
    """Case and the domain's Unicode forms (fullwidth letters fold to the same domain) are one mailbox: the
    per-address limits of link requests and registrations count them together, on every way in."""
    limited(limit_resend_email="2/3600", limit_person_link_email="2/3600", limit_register_email="2/3600")
    event = await published_event(client, organizer)
    spellings = ["ana@example.org", "ANA@ｅxample.org", "ana@eｘample.org", "ana@exａmple.ORG"]
    resend = f"/api/events/{event['id']}/registrations/resend-link"
    async with client_from(new_ip()) as c:
        resent = [(await c.post(resend, json={"email": e})).status_code for e in spellings]
        linked = [(await c.post("/api/people/access-link", json={"email": e})).status_code for e in spellings]
    async with client_from(new_ip()) as c:
        registered = [
            (await c.post(f"/api/events/{event['id']}/registrations", json={**person("x"), "email": e})).status_code
            for e in spellings
        ]
    assert resent == [202, 202, 429, 429]
    assert linked == [202, 202, 429, 429]
    assert registered == [201, 409, 429, 429]


async def test_login_limit_per_address(client, limited):
    limited(limit_login_ip="2/60")
    async with client_from(new_ip()) as c:
        statuses = [
            (await c.post("/api/auth/login", json={"email": f"a{i}@example.org", "password": "x"})).status_code
            for i in range(3)
        ]
    assert statuses == [401, 401, 429]


async def test_login_lockout_backs_off_exponentially_and_success_resets_it(client, limited):
    limited(login_lockout_after=3, login_lockout_base_seconds=30, login_lockout_max_seconds=100)
    email = f"locked-{secrets.token_hex(3)}@example.org"
    await accounts.create_account(email, "Locked", PASSWORD)
    ip = new_ip()
    async with client_from(ip) as c:
        wrong = [
            (await c.post("/api/auth/login", json={"email": email, "password": "nope"})).status_code for _ in range(3)
        ]
        locked = await c.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert wrong == [401, 401, 401]
    assert locked.status_code == 429
    assert 1 <= int(locked.headers["retry-after"]) <= 30
    assert [limits.lockout_seconds(n) for n in (1, 2, 3, 4, 5, 6)] == [0, 0, 30, 60, 100, 100]
    await limits.client().delete(limits._key("login-lock", limits._pair(email, ip)))  # the wait is over
    async with client_from(ip) as c:
        ok = await c.post("/api/auth/login", json={"email": email, "password": PASSWORD})
        after = await c.post("/api/auth/login", json={"email": email, "password": "nope"})
        still_open = await c.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert (ok.status_code, after.status_code, still_open.status_code) == (200, 401, 200)


async def test_unknown_emails_lock_like_known_ones(client, limited):
    limited(login_lockout_after=2)
    email = f"ghost-{secrets.token_hex(3)}@example.org"
    async with client_from(new_ip()) as c:
        statuses = [
            (await c.post("/api/auth/login", json={"email": email, "password": "x"})).status_code for _ in range(3)
        ]
    assert statuses == [401, 401, 429]


async def test_redis_unreachable_registrations_go_on(client, organizer, limited, monkeypatch):
    limited(limit_register_ip="1/60", limit_register_email="1/60")
    event = await published_event(client, organizer)
    monkeypatch.setattr(limits, "_client", None)
    monkeypatch.setattr(
        limits,
        "get_settings",
        lambda: dataclasses.replace(
            get_settings(), redis_url="redis://127.0.0.1:1/0", limit_register_ip="1/60", limit_register_email="1/60"
        ),
    )
    async with client_from(new_ip()) as c:
        statuses = [
            (await c.post(f"/api/events/{event['id']}/registrations", json=person(i))).status_code for i in range(3)
        ]
    monkeypatch.setattr(limits, "_client", None)
    assert statuses == [201, 201, 201]


def test_limit_specs_parse():
    assert (limits.parse("20/60"), limits.parse("0/60"), limits.parse(""), limits.parse("5")) == (
        (20, 60.0),
        None,
        None,
        (5, 60.0),
    )
