"""Who controls a person: a registration's link controls that registration only; person-wide actions (export, erase,
profile, announcements) need a single-use link mailed to the address on file; no unauthenticated request changes
or reveals an existing person. Each test plays the attack against the real stack (API and pages, in process, on the
runner's PostgreSQL and Redis)."""

from __future__ import annotations

import email
import re
from email.policy import default

import pytest

from events_app.db import sql
from events_app.domain.security import access_link_token, manage_token
from events_app.services.messaging import notifications
from events_app.services.privacy import privacy
from events_app.settings import get_settings
from tests.fixtures import published_event

OWNER = "ines.garcia@example.org"
SECRET_ANSWER = "insulin-dependent"
TOKEN_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')
LINK_RE = re.compile(r"/my-data/([A-Za-z0-9_-]{20,})")


async def csrf(client, url: str) -> str:
    response = await client.get(url)
    assert response.status_code in (200, 410), response.text
    return TOKEN_RE.search(response.text).group(1)


async def organization(name: str) -> int:
    return await sql.fetchval(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ($1, 'city', 'ES', 'active', now()) RETURNING id",
        name,
    )


@pytest.fixture
async def owner(client, organizer) -> dict:
    """Inés registered for event A with a health answer, her organization, Spanish and her time zone; event B is
    open too."""
    event_a = await published_event(client, organizer, title="Event A")
    r = await client.post(
        f"/api/events/{event_a['id']}/questions",
        headers=organizer,
        json={"code": "health", "label": "Health or access needs", "kind": "short_text"},
    )
    assert r.status_code == 201, r.text
    org = await organization("Ciudad de Valencia")
    created = await client.post(
        f"/api/events/{event_a['id']}/registrations",
        json={
            "email": OWNER,
            "name": "Inés García",
            "category": "delegate",
            "consent": True,
            "language": "es",
            "timezone": "Europe/Madrid",
            "organization_id": org,
            "answers": {"health": SECRET_ANSWER},
        },
    )
    assert created.status_code == 201, created.text
    event_b = await published_event(client, organizer, title="Event B")
    person = await sql.fetchrow("SELECT id, name, organization, language, timezone FROM person WHERE email = $1", OWNER)
    return {
        "event_a": event_a,
        "event_b": event_b,
        "registration": created.json(),
        "person": dict(person),
        "organization": org,
    }


async def stranger_registers(client, owner: dict, **extra) -> dict:
    r = await client.post(
        f"/api/events/{owner['event_b']['id']}/registrations",
        json={
            "email": OWNER.upper(),
            "name": "Mallory Stranger",
            "category": "delegate",
            "consent": True,
            "language": "en",
            **extra,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


async def profile_of(email: str) -> dict:
    return dict(
        await sql.fetchrow(
            "SELECT id, name, organization, language, timezone, erased_at FROM person WHERE email = $1", email
        )
    )


async def access_links(email: str) -> list:
    return await sql.fetch(
        "SELECT l.token_nonce, l.used_at FROM person_access_link l JOIN person p"
        " ON p.id = l.person WHERE p.email = $1 ORDER BY l.id",
        email,
    )


async def link_token(email: str = OWNER) -> str:
    """The token of the newest access link mailed to `email` (as the worker puts it into the message)."""
    links = await access_links(email)
    return access_link_token(get_settings().secret_key, links[-1]["token_nonce"])


async def ask_for_link(client, email: str = OWNER) -> str:
    r = await client.post("/api/people/access-link", json={"email": email})
    assert r.status_code == 202, r.text
    return await link_token(email)


# --------------------------------------------------------------------------- a registration's link is scoped


async def test_stranger_registration_token_cannot_read_or_erase_the_person(client, owner):
    token = (await stranger_registers(client, owner))["manage_token"]
    bearer = {"Authorization": f"Bearer {token}"}

    old_export = await client.get(f"/api/registrations/{token}/my-data")
    old_erase = await client.post(f"/api/registrations/{token}/erase")
    export = await client.get("/api/people/me/data", headers=bearer)
    erase = await client.post("/api/people/me/erase", headers=bearer)
    own = await client.get(f"/api/registrations/{token}")
    page = await client.get(f"/manage/{token}")

    assert (old_export.status_code, old_erase.status_code) in {(404, 404), (404, 405)}
    assert (export.status_code, erase.status_code) == (401, 401)
    assert own.status_code == 200 and page.status_code == 200
    assert SECRET_ANSWER not in own.text + page.text + old_export.text + export.text
    assert (await profile_of(OWNER))["erased_at"] is None
    assert (
        await sql.fetchval("SELECT status FROM registration WHERE id = $1", owner["registration"]["id"]) == "confirmed"
    )


async def test_the_owner_asking_for_the_link_takes_a_strangers_registration_back(client, owner):
    """Anyone may register any address and is shown that registration's link; when the owner of the address asks
    for the link, a new one is mailed to them and the stranger's stops working."""
    created = await stranger_registers(client, owner)
    old = created["manage_token"]
    event_b = owner["event_b"]["id"]
    asked = await client.post(f"/api/events/{event_b}/registrations/resend-link", json={"email": OWNER})
    assert asked.status_code == 202
    nonce = await sql.fetchval("SELECT token_nonce FROM registration WHERE id = $1", created["id"])
    new = manage_token(get_settings().secret_key, nonce)
    assert new != old
    for attempt in (
        client.get(f"/api/registrations/{old}"),
        client.get(f"/api/registrations/{old}/ticket.pdf"),
        client.delete(f"/api/registrations/{old}"),
        client.get(f"/manage/{old}"),
    ):
        assert (await attempt).status_code == 404
    assert (await client.get(f"/api/registrations/{new}")).status_code == 200
    mailed = await sql.fetch(
        "SELECT recipient FROM outbox_message WHERE kind = 'manage_link' AND registration = $1", created["id"]
    )
    assert [r["recipient"] for r in mailed] == [OWNER]
    message = dict(
        await sql.fetchrow(
            "SELECT * FROM outbox_message WHERE kind = 'manage_link' AND registration = $1", created["id"]
        )
    )
    sent = email.message_from_bytes((await notifications.compose(message, get_settings())).data, policy=default)
    texts = "".join(part.get_content() for part in sent.walk() if part.get_content_maintype() == "text")
    assert new in texts and old not in texts


async def test_registration_answer_shows_only_what_the_request_supplied(client, owner):
    created = await stranger_registers(client, owner)
    shown = await client.get(f"/api/registrations/{created['manage_token']}")
    page = await client.get(f"/manage/{created['manage_token']}")

    assert (created["name"], created["organization_id"], created["language"]) == ("Mallory Stranger", None, "en")
    assert (shown.json()["name"], shown.json()["organization_id"]) == ("Mallory Stranger", None)
    for text in (str(created), shown.text, page.text):
        assert "García" not in text and "Garc&#237;a" not in text and "Ciudad de Valencia" not in text


async def test_stranger_registration_leaves_the_profile_unchanged(client, owner, organizer):
    other_org = await organization("Somewhere Else")
    before = await profile_of(OWNER)
    await stranger_registers(client, owner, organization_id=other_org, timezone="Pacific/Auckland")
    # The registration form too: it goes through the same service.
    event_c = await published_event(client, organizer, title="Event C")
    url = f"/events/{event_c['id']}/register"
    form = await client.post(
        url,
        data={
            "_csrf_token": await csrf(client, url),
            "name": "Page Stranger",
            "email": OWNER,
            "category": "delegate",
            "language": "en",
            "organization_id": str(other_org),
            "consent": "yes",
        },
    )
    manage = await client.get(form.headers["location"])

    assert form.status_code == 303 and manage.status_code == 200
    assert "García" not in manage.text and "Page Stranger" in manage.text
    assert await profile_of(OWNER) == before
    assert (before["name"], before["language"], before["timezone"], before["organization"]) == (
        "Inés García",
        "es",
        "Europe/Madrid",
        owner["organization"],
    )


async def test_registration_emails_use_what_was_registered(client, owner):
    created = await stranger_registers(client, owner)
    row = await sql.fetchrow("SELECT language FROM outbox_message WHERE registration = $1", created["id"])
    own = await sql.fetchrow("SELECT language FROM outbox_message WHERE registration = $1", owner["registration"]["id"])
    assert (row["language"], own["language"]) == ("en", "es")


async def test_duplicate_registration_reveals_nothing_and_mails_the_address_on_file(client, owner):
    again = await client.post(
        f"/api/events/{owner['event_a']['id']}/registrations",
        json={"email": OWNER, "name": "Mallory Stranger", "category": "delegate", "consent": True},
    )
    assert again.status_code == 409
    for secret in ("García", "Valencia", SECRET_ANSWER, owner["registration"]["manage_token"], "Europe/Madrid"):
        assert secret not in again.text
    sent = await sql.fetch("SELECT recipient FROM outbox_message WHERE kind = 'manage_link'")
    assert [r["recipient"] for r in sent] == [OWNER]


async def kisumu_delegation(client, organizer, event: dict) -> tuple[int, int, str]:
    """City of Kisumu's delegation (3 seats) at the event: (organization id, delegation id, the head's manage
    token)."""
    org = await organization("City of Kisumu")
    r = await client.post(
        f"/api/events/{event['id']}/delegations",
        headers=organizer,
        json={
            "organization_id": org,
            "category": "delegate",
            "seats": 3,
            "head_email": "head@kisumu.example",
            "head_name": "Hadiza Odhiambo",
        },
    )
    assert r.status_code == 201, r.text
    head_nonce = await sql.fetchval("SELECT token_nonce FROM registration WHERE delegation = $1", r.json()["id"])
    return org, r.json()["id"], manage_token(get_settings().secret_key, head_nonce)


async def test_delegation_member_add_and_substitution_leave_profiles_unchanged(client, owner, organizer):
    org, delegation_id, head = await kisumu_delegation(client, organizer, owner["event_b"])
    before = await profile_of(OWNER)

    added = await client.post(
        f"/api/registrations/{head}/delegation/members",
        json={"email": OWNER, "name": "Renamed By Head", "language": "en"},
    )
    other = await client.post(
        f"/api/registrations/{head}/delegation/members", json={"email": "member@kisumu.example", "name": "Moses Wekesa"}
    )
    substituted = await client.post(
        f"/api/registrations/{head}/delegation/members/{other.json()['id']}/substitute",
        json={"email": "ines.garcia@example.org", "name": "Also Renamed"},
    )

    assert added.status_code == 201, added.text
    assert (added.json()["name"], added.json()["organization_id"]) == ("Renamed By Head", org)
    assert "García" not in added.text
    assert substituted.status_code == 409  # she holds a seat in this event already: nothing about her is shown
    assert "García" not in substituted.text
    assert await profile_of(OWNER) == before


async def test_a_new_registration_of_the_heads_address_heads_nothing(client, owner, organizer):
    """Head rights belong to the head's registration in the delegation, not to the address: once the head's own
    registration is cancelled, anyone registering that address publicly gets a registration of their own only (no
    members, no substitutions), on the API and on the manage page."""
    org, delegation_id, head = await kisumu_delegation(client, organizer, owner["event_b"])
    member = await client.post(
        f"/api/registrations/{head}/delegation/members",
        json={"email": "member@kisumu.example", "name": "Moses Wekesa"},
    )
    assert member.status_code == 201, member.text
    assert (await client.get(f"/api/registrations/{head}/delegation")).status_code == 200
    assert (await client.delete(f"/api/registrations/{head}")).status_code == 200

    taken = await client.post(
        f"/api/events/{owner['event_b']['id']}/registrations",
        json={"email": "head@kisumu.example", "name": "Mallory", "category": "delegate", "consent": True},
    )
    assert taken.status_code == 201, taken.text
    token = taken.json()["manage_token"]
    listed = await client.get(f"/api/registrations/{token}/delegation")
    swapped = await client.post(
        f"/api/registrations/{token}/delegation/members/{member.json()['id']}/substitute",
        json={"email": "mallory@attacker.example", "name": "Mallory Two"},
    )
    added = await client.post(
        f"/api/registrations/{token}/delegation/members", json={"email": "eve@attacker.example", "name": "Eve"}
    )
    manage = await client.get(f"/manage/{token}")

    assert listed.status_code == swapped.status_code == added.status_code == 403, (listed.text, swapped.text)
    for answer in (listed, swapped, added, manage):
        assert "Moses" not in answer.text and "member@kisumu.example" not in answer.text
    still = await sql.fetchval("SELECT status FROM registration WHERE id = $1", member.json()["id"])
    assert still == "confirmed"
    assert await sql.fetchval("SELECT count(*) FROM registration WHERE delegation = $1", delegation_id) == 2


# --------------------------------------------------------------------------- the emailed access link


async def test_access_link_request_answers_the_same_for_known_and_unknown_addresses(client, owner):
    known = await client.post("/api/people/access-link", json={"email": OWNER})
    unknown = await client.post("/api/people/access-link", json={"email": "nobody.here@example.org"})
    url = "/my-data"
    token = await csrf(client, url)
    known_page = await client.post(url, data={"_csrf_token": token, "email": OWNER})
    unknown_page = await client.post(url, data={"_csrf_token": token, "email": "nobody.here@example.org"})
    shown = [await client.get(p.headers["location"]) for p in (known_page, unknown_page)]

    assert known.status_code == unknown.status_code == 202 and known.content == unknown.content
    assert (
        (known_page.status_code, known_page.headers["location"])
        == (unknown_page.status_code, unknown_page.headers["location"])
        == (303, "/my-data?done=access-link-sent")
    )
    assert TOKEN_RE.sub("", shown[0].text) == TOKEN_RE.sub("", shown[1].text)
    rows = await sql.fetch("SELECT * FROM outbox_message WHERE kind = 'person_access_link' ORDER BY id")
    assert [r["recipient"] for r in rows] == [OWNER, OWNER]
    # The message, as the worker builds it, carries the link; nothing went to the unknown address.
    message = _decoded((await notifications.compose(dict(rows[-1]), get_settings())).data.decode())
    assert LINK_RE.search(message).group(1) == await link_token()
    assert await sql.fetchval("SELECT count(*) FROM person WHERE email = 'nobody.here@example.org'") == 0


def _decoded(raw: str) -> str:
    import email
    import email.policy

    message = email.message_from_string(raw, policy=email.policy.default)
    return message.get_body(("plain",)).get_content()


async def test_access_link_mail_carries_a_working_link(client, owner):
    await client.post("/api/people/access-link", json={"email": OWNER})
    row = await sql.fetchrow("SELECT * FROM outbox_message WHERE kind = 'person_access_link'")
    text = _decoded((await notifications.compose(dict(row), get_settings())).data.decode())
    token = LINK_RE.search(text).group(1)
    assert token == await link_token()
    assert (
        await sql.fetchval("SELECT count(*) FROM person_access_link WHERE token_hash = $1 OR token_nonce = $1", token)
        == 0
    )  # stored only as nonce and digest
    opened = await client.post("/api/people/access", json={"token": token})
    assert opened.status_code == 200, opened.text
    assert opened.headers["cache-control"] == "no-store"


async def test_opening_the_link_does_not_use_it_the_button_does_once(client, owner):
    token = await ask_for_link(client)
    first_look = await client.get(f"/my-data/{token}")
    second_look = await client.get(f"/my-data/{token}")
    assert (first_look.status_code, second_look.status_code) == (200, 200)
    assert [r["used_at"] for r in await access_links(OWNER)] == [None]

    opened = await client.post(f"/my-data/{token}", data={"_csrf_token": TOKEN_RE.search(second_look.text).group(1)})
    assert opened.status_code == 303 and opened.headers["location"] == "/me"
    cookie = opened.headers["set-cookie"]
    assert "person_session=" in cookie and "HttpOnly" in cookie and "Path=/me" in cookie
    me = await client.get("/me")
    assert me.status_code == 200 and OWNER in me.text and "Inés García" in me.text

    again = await client.post(f"/my-data/{token}", data={"_csrf_token": TOKEN_RE.search(second_look.text).group(1)})
    api_again = await client.post("/api/people/access", json={"token": token})
    assert again.status_code == 410 and "already been used" in again.text and 'href="/my-data"' in again.text
    assert api_again.status_code == 410 and "already been used" in api_again.json()["detail"]


async def test_expired_link_is_refused_with_a_way_to_ask_again(client, owner):
    token = await ask_for_link(client)
    await sql.execute("UPDATE person_access_link SET expires_at = now() - interval '1 minute'")
    look = await client.get(f"/my-data/{token}")
    api = await client.post("/api/people/access", json={"token": token})
    assert look.status_code == 410 and "expired" in look.text and 'href="/my-data"' in look.text
    assert 'action="/my-data/' not in look.text
    assert api.status_code == 410 and "expired" in api.json()["detail"] and "new one" in api.json()["detail"]
    assert [r["used_at"] for r in await access_links(OWNER)] == [None]


async def test_erasure_through_the_person_session(client, owner):
    b = await stranger_registers(client, owner)  # her own registration elsewhere is cancelled too
    token = await ask_for_link(client)
    session = (await client.post("/api/people/access", json={"token": token})).json()
    bearer = {"Authorization": f"Bearer {session['session']}"}
    exported = await client.get("/api/people/me/data", headers=bearer)
    assert exported.status_code == 200 and SECRET_ANSWER in exported.text

    erased = await client.post("/api/people/me/erase", headers=bearer)
    after = await client.get("/api/people/me", headers=bearer)

    assert erased.status_code == 200 and erased.json()["status"] == "erased"
    assert after.status_code == 401
    person = await sql.fetchrow("SELECT email, name, erased_at FROM person WHERE id = $1", owner["person"]["id"])
    assert person["erased_at"] is not None and person["name"] == privacy.ERASED_NAME
    statuses = {r["id"]: r["status"] for r in await sql.fetch("SELECT id, status FROM registration")}
    assert statuses == {owner["registration"]["id"]: "cancelled", b["id"]: "cancelled"}
    names = [r["registered_name"] for r in await sql.fetch("SELECT registered_name FROM registration")]
    assert names == [privacy.ERASED_NAME, privacy.ERASED_NAME]


async def test_erasure_and_profile_change_through_the_pages(client, owner):
    token = await ask_for_link(client)
    look = await client.get(f"/my-data/{token}")
    opened = await client.post(f"/my-data/{token}", data={"_csrf_token": TOKEN_RE.search(look.text).group(1)})
    assert opened.status_code == 303
    me = await client.get("/me")
    form_token = TOKEN_RE.search(me.text).group(1)
    saved = await client.post(
        "/me/profile",
        data={
            "_csrf_token": form_token,
            "name": "Inés García Pérez",
            "language": "en",
            "timezone": "",
            "organization_id": "",
        },
    )
    assert saved.status_code == 303
    profile = await profile_of(OWNER)
    assert (profile["name"], profile["language"], profile["timezone"], profile["organization"]) == (
        "Inés García Pérez",
        "en",
        None,
        None,
    )
    # The registration keeps what it was made with.
    assert (
        await sql.fetchval("SELECT registered_name FROM registration WHERE id = $1", owner["registration"]["id"])
        == "Inés García"
    )

    download = await client.get("/me/data.json")
    assert download.status_code == 200 and SECRET_ANSWER in download.text
    assert download.json()["person"]["email"] == OWNER

    erased = await client.post("/me/erase", data={"_csrf_token": form_token})
    assert erased.status_code == 303 and erased.headers["location"].startswith("/my-data")
    assert await sql.fetchval("SELECT erased_at FROM person WHERE id = $1", owner["person"]["id"]) is not None
    assert (await client.get("/me")).headers.get("location", "").startswith("/my-data")


async def test_profile_change_and_stop_announcements_through_the_api(client, owner):
    token = await ask_for_link(client)
    session = (await client.post("/api/people/access", json={"token": token})).json()["session"]
    bearer = {"Authorization": f"Bearer {session}"}
    bad = await client.patch("/api/people/me", headers=bearer, json={"name": " ", "timezone": "Mars/Olympus"})
    broken = await client.patch("/api/people/me", headers=bearer, json={"name": "Eve\r\nBcc: victim@example.org\x07"})
    changed = await client.patch("/api/people/me", headers=bearer, json={"name": "Inés G.", "language": "en"})
    stopped = await client.post("/api/people/me/stop-announcements", headers=bearer)

    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["name", "timezone"]
    assert broken.status_code == 422 and [e["field"] for e in broken.json()["errors"]] == ["name"]
    assert changed.status_code == 200 and (changed.json()["name"], changed.json()["language"]) == ("Inés G.", "en")
    assert stopped.status_code == 200 and stopped.json()["announcements_opt_out"] is True
    assert (await profile_of(OWNER))["timezone"] == "Europe/Madrid"


async def test_person_routes_refuse_anonymous_and_registration_tokens(client, owner):
    token = owner["registration"]["manage_token"]
    for method, path in (
        ("GET", "/api/people/me"),
        ("PATCH", "/api/people/me"),
        ("GET", "/api/people/me/data"),
        ("POST", "/api/people/me/erase"),
        ("POST", "/api/people/me/stop-announcements"),
    ):
        for headers in ({}, {"Authorization": f"Bearer {token}"}):
            kwargs = {"json": {"name": "X"}} if method == "PATCH" else {}
            r = await client.request(method, path, headers=headers, **kwargs)
            assert r.status_code == 401, (method, path, r.text)
    assert (await profile_of(OWNER))["name"] == "Inés García"


async def test_session_expires(client, owner):
    token = await ask_for_link(client)
    session = (await client.post("/api/people/access", json={"token": token})).json()["session"]
    await sql.execute("UPDATE person_session SET expires_at = now() - interval '1 second'")
    r = await client.get("/api/people/me/data", headers={"Authorization": f"Bearer {session}"})
    assert r.status_code == 401


async def test_access_link_requests_are_rate_limited_per_client_and_per_email(client, owner, monkeypatch):
    import dataclasses
    import secrets

    import httpx

    from events_app.services.platform import limits
    from events_app.web import abuse
    from events_app.web.app import create_app

    settings = dataclasses.replace(get_settings(), limit_person_link_ip="3/60", limit_person_link_email="2/3600")
    monkeypatch.setattr(limits, "get_settings", lambda: settings)
    monkeypatch.setattr(abuse, "get_settings", lambda: settings)

    def client_from(ip: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(), client=(ip, 40000)), base_url="http://testserver"
        )

    email = f"someone-{secrets.token_hex(4)}@example.org"
    async with (
        client_from(f"203.0.113.{secrets.randbelow(250)}-{secrets.token_hex(4)}") as one,
        client_from(f"203.0.113.{secrets.randbelow(250)}-{secrets.token_hex(4)}") as two,
    ):
        per_email = [
            (await c.post("/api/people/access-link", json={"email": email})).status_code for c in (one, two, two)
        ]
        token = await csrf(two, "/my-data")
        page = await two.post("/my-data", data={"_csrf_token": token, "email": email})
        per_client = [
            (
                await one.post("/api/people/access-link", json={"email": f"x{i}-{secrets.token_hex(4)}@example.org"})
            ).status_code
            for i in range(3)
        ]
    assert per_email == [202, 202, 429]
    assert page.status_code == 429
    assert per_client == [202, 202, 429]  # the first request of `one` counted too


async def test_only_the_owners_mailbox_gets_a_link_through_the_real_worker(client, organizer, celery_worker, maildir):
    import secrets

    from tests.fixtures import read_mail, wait_for_mail

    known, unknown = (f"{who}-{secrets.token_hex(4)}@example.org" for who in ("owner", "nobody"))
    event = await published_event(client, organizer)
    r = await client.post(
        f"/api/events/{event['id']}/registrations",
        json={"email": known, "name": "Olga Owner", "category": "delegate", "consent": True},
    )
    assert r.status_code == 201, r.text
    for address in (unknown, known):
        assert (await client.post("/api/people/access-link", json={"email": address})).status_code == 202
    token = await csrf(client, "/my-data")
    for address in (unknown, known):
        assert (await client.post("/my-data", data={"_csrf_token": token, "email": address})).status_code == 303

    messages = [m for m in wait_for_mail(maildir, known, count=3) if "personal data" in str(m["Subject"])]
    links = [LINK_RE.search(m.get_body(("plain",)).get_content()).group(1) for m in messages]
    assert len(links) == 2 and links[0] != links[1]
    assert read_mail(maildir, unknown) == []
    opened = await client.post("/api/people/access", json={"token": links[1]})
    assert opened.status_code == 200, opened.text
    me = await client.get("/api/people/me", headers={"Authorization": f"Bearer {opened.json()['session']}"})
    assert me.json()["email"] == known
