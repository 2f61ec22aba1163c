"""The organizer's back-office pages for the agenda change log, invitations, access codes and delegations, over
HTTP against PostgreSQL: what they show, errors next to fields with input kept, and refused input changing
nothing."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from events_app.db import sql
from events_app.web.pages.i18n import format_datetime
from tests.browser.test_agenda_walkthroughs import agenda_event
from tests.fixtures import login, published_event
from tests.integration.web.test_pages import TOKEN_RE, csrf, page_login


async def counts(*tables: str) -> dict[str, int]:
    return {t: await sql.fetchval(f"SELECT count(*) FROM {t}") for t in tables}


# --------------------------------------------------------------------------- agenda change log


async def test_change_log_shows_who_changed_which_session_before_and_after_in_the_event_zone(client, organizer):
    event, ids, day = await agenda_event(client, organizer)
    finance = ids["sessions"]["Flood finance workshop"]
    moved = await client.patch(
        f"/api/events/{event['id']}/sessions/{finance}",
        headers=organizer,
        json={"starts_at": f"{day}T16:00:00", "ends_at": f"{day}T17:30:00", "room_id": ids["rooms"]["Harbour Hall"]},
    )
    assert moved.status_code == 200, moved.text
    await page_login(client)
    page = await client.get(f"/organizer/events/{event['id']}/agenda/changes")
    assert page.status_code == 200
    text = page.text
    latest = text[text.index('id="change-') : text.index("</tr>", text.index('id="change-'))]
    seoul = "Asia/Seoul"

    def local(hhmm: str) -> str:
        return format_datetime("en", datetime.fromisoformat(f"{day}T{hhmm}:00+09:00"), seoul)

    assert "Session moved" in latest and "organizer@example.org" in latest
    assert f'href="/organizer/events/{event["id"]}/agenda/sessions/{finance}">Flood finance workshop</a>' in latest
    assert (
        f'<span class="change-from">{local("10:30")}</span> → <span class="change-to">{local("16:00")}</span>' in latest
    )
    assert '<span class="change-from">Lagoon Room</span> → <span class="change-to">Harbour Hall</span>' in latest
    assert "calendar version 1" in latest
    assert text.index("Session moved") < text.index("Session created")  # newest first
    assert text.count("Session created") == 3
    assert f'href="/organizer/events/{event["id"]}/agenda/changes" aria-current="page"' in text  # in the nav
    updates = await client.get(f"/organizer/events/{event['id']}/updates")
    assert f'href="/organizer/events/{event["id"]}/agenda/changes"' in updates.text


async def test_change_log_pages_back_through_long_histories(client, organizer):
    event = await published_event(client, organizer)
    await sql.execute(
        "INSERT INTO agenda_change (event, action, changes, actor, created_at)"
        " SELECT $1, 'updated', '{}'::jsonb, 'import ' || n, now() FROM generate_series(1, 130) n",
        event["id"],
    )
    await page_login(client)
    url = f"/organizer/events/{event['id']}/agenda/changes"
    first = await client.get(url)
    assert first.text.count('id="change-') == 100 and "import 130" in first.text and "import 30<" not in first.text
    older = await client.get(url, params={"before": 31})
    assert older.text.count('id="change-') == 30 and "import 30<" in older.text
    assert "Newest changes" in older.text and "Older changes" not in older.text
    assert f'{url}?before=31"' in first.text


async def test_back_office_pages_refuse_organizers_of_other_events(client, organizer):
    event = await published_event(client, organizer)
    await login(client, "other@example.org")
    await page_login(client, "other@example.org")
    for path in ("agenda/changes", "invitations", "delegations"):
        response = await client.get(f"/organizer/events/{event['id']}/{path}")
        assert response.status_code == 403, path


# --------------------------------------------------------------------------- invitations and access codes


async def test_invitation_form_sends_an_invitation_that_expires_in_the_event_zone(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", None), ("speaker", 5)))
    await page_login(client)
    url = f"/organizer/events/{event['id']}/invitations"
    response = await client.post(
        url,
        data={
            "_csrf_token": await csrf(client, url),
            "invitation.email": "Mayor@Example.org",
            "invitation.name": "Mayor Park",
            "invitation.category": "speaker",
            "invitation.language": "es",
            "invitation.expires_at": "2030-01-15T18:00",
        },
    )
    assert (response.status_code, response.headers["location"]) == (303, f"{url}?done=invited#invitations")
    row = await sql.fetchrow("SELECT email, name, expires_at FROM invitation")
    assert tuple(row) == ("mayor@example.org", "Mayor Park", datetime(2030, 1, 15, 9, tzinfo=timezone.utc))
    message = await sql.fetchrow("SELECT kind, recipient, language FROM outbox_message WHERE kind = 'invitation'")
    assert tuple(message) == ("invitation", "mayor@example.org", "es")
    assert await sql.fetchval("SELECT count(*) FROM audit_log WHERE action = 'invitation.create'") == 1
    page = await client.get(response.headers["location"])
    assert "The invitation is on its way." in page.text and "mayor@example.org" in page.text and "not yet" in page.text


async def test_invitation_form_shows_every_problem_next_to_its_field_and_keeps_input(client, organizer):
    event = await published_event(client, organizer)
    await page_login(client)
    url = f"/organizer/events/{event['id']}/invitations"
    before = await counts("invitation", "outbox_message")
    response = await client.post(
        url,
        data={
            "_csrf_token": await csrf(client, url),
            "invitation.email": "mayor-at-example.org",
            "invitation.name": "Mayor Park",
            "invitation.category": "observer",
            "invitation.language": "es",
            "invitation.expires_at": "2020-01-15T18:00",
        },
    )
    assert response.status_code == 422
    for field in ("email", "category", "expires_at"):
        assert f'id="f-invitation-{field}-error"' in response.text, field
    assert 'value="mayor-at-example.org"' in response.text and 'value="Mayor Park"' in response.text
    unreadable = await client.post(
        url,
        data={
            "_csrf_token": TOKEN_RE.search(response.text).group(1),
            "invitation.email": "mayor@example.org",
            "invitation.category": "delegate",
            "invitation.expires_at": "soon",
        },
    )
    assert unreadable.status_code == 422 and 'id="f-invitation-expires_at-error"' in unreadable.text
    assert await counts("invitation", "outbox_message") == before


async def test_access_code_form_creates_codes_and_refuses_duplicates_next_to_the_field(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", None), ("partner", None)))
    await page_login(client)
    url = f"/organizer/events/{event['id']}/invitations"
    token = await csrf(client, url)
    response = await client.post(
        f"/organizer/events/{event['id']}/access-codes",
        data={
            "_csrf_token": token,
            "code.category": "partner",
            "code.max_uses": "3",
            "code.code": "UNHABITAT-27",
            "code.expires_at": "",
        },
    )
    assert (response.status_code, response.headers["location"]) == (303, f"{url}?done=code-created#codes")
    page = await client.get(url)
    assert "UNHABITAT-27" in page.text and "0 of 3" in page.text and "no end" in page.text
    listed = await client.get(f"/api/events/{event['id']}/access-codes", headers=organizer)
    assert [(c["code"], c["category"], c["max_uses"], c["uses"]) for c in listed.json()] == [
        ("UNHABITAT-27", "partner", 3, 0)
    ]
    duplicate = await client.post(
        f"/organizer/events/{event['id']}/access-codes",
        data={"_csrf_token": token, "code.category": "partner", "code.max_uses": "3", "code.code": "unhabitat-27"},
    )
    assert duplicate.status_code == 409 and 'id="f-code-code-error"' in duplicate.text
    assert 'value="unhabitat-27"' in duplicate.text
    bad = await client.post(
        f"/organizer/events/{event['id']}/access-codes",
        data={"_csrf_token": token, "code.category": "partner", "code.max_uses": "0", "code.code": "no"},
    )
    assert bad.status_code == 422
    assert 'id="f-code-max_uses-error"' in bad.text and 'id="f-code-code-error"' in bad.text
    assert await sql.fetchval("SELECT count(*) FROM access_code") == 1


async def test_invitation_api_takes_a_time_without_offset_as_the_event_zone(client, organizer):
    event = await published_event(client, organizer)
    response = await client.post(
        f"/api/events/{event['id']}/invitations",
        headers=organizer,
        json={"email": "guest@example.org", "category": "delegate", "expires_at": "2030-01-15T18:00:00"},
    )
    assert response.status_code == 201, response.text
    assert datetime.fromisoformat(response.json()["expires_at"]) == datetime(2030, 1, 15, 9, tzinfo=timezone.utc)
    late = await client.post(
        f"/api/events/{event['id']}/access-codes",
        headers=organizer,
        json={"category": "delegate", "max_uses": 2, "expires_at": (datetime.now() - timedelta(days=400)).isoformat()},
    )
    assert (late.status_code, [e["field"] for e in late.json()["errors"]]) == (422, ["expires_at"])
    wrong = await client.post(
        f"/api/events/{event['id']}/invitations",
        headers=organizer,
        json={"email": "guest", "category": "nope", "language": "fr"},
    )
    assert sorted(e["field"] for e in wrong.json()["errors"]) == ["category", "email", "language"]


# --------------------------------------------------------------------------- delegations


async def city(name: str = "Nairobi City County", country: str = "KE") -> int:
    return await sql.fetchval(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ($1, 'county', $2, 'active', now()) RETURNING id",
        name,
        country,
    )


async def test_delegation_form_registers_the_head_and_sets_seats(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", 50),))
    nairobi = await city()
    await page_login(client)
    url = f"/organizer/events/{event['id']}/delegations"
    token = await csrf(client, url)
    response = await client.post(
        url,
        data={
            "_csrf_token": token,
            "organization_id": str(nairobi),
            "category": "delegate",
            "seats": "3",
            "head_name": "Wanjiru Kamau",
            "head_email": "w.kamau@nairobi.example",
            "head_language": "en",
        },
    )
    delegation_id = await sql.fetchval("SELECT id FROM delegation")
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"{url}?done=delegation-created#delegation-{delegation_id}",
    )
    head = await sql.fetchrow("SELECT r.status, p.email FROM registration r JOIN person p ON p.id = r.person")
    assert tuple(head) == ("confirmed", "w.kamau@nairobi.example")
    assert await sql.fetchval("SELECT kind FROM outbox_message WHERE recipient = 'w.kamau@nairobi.example'") == (
        "registration_confirmed"
    )
    page = await client.get(url)
    assert "Nairobi City County" in page.text and "1 of 3 seats used; 2 left." in page.text

    seats = f"{url}/{delegation_id}/seats"
    too_few = await client.post(seats, data={"_csrf_token": token, "seats": "0"})
    assert too_few.status_code == 422
    assert f'id="f-delegation-{delegation_id}-seats-error"' in too_few.text
    assert "1 members are registered; choose at least 1" in too_few.text
    assert 'value="0"' in too_few.text
    not_a_number = await client.post(seats, data={"_csrf_token": token, "seats": "five"})
    assert not_a_number.status_code == 422
    huge = await client.post(seats, data={"_csrf_token": token, "seats": "99999999999"})
    assert huge.status_code == 422 and "must be at most 100000" in huge.text
    saved = await client.post(seats, data={"_csrf_token": token, "seats": "5"})
    assert (saved.status_code, saved.headers["location"]) == (303, f"{url}?done=seats-saved#delegation-{delegation_id}")
    assert await sql.fetchval("SELECT seat_quota FROM delegation") == 5
    assert await sql.fetchval("SELECT count(*) FROM audit_log WHERE action = 'delegation.set_seats'") == 1
    assert (await client.post(f"{url}/999999/seats", data={"_csrf_token": token, "seats": "5"})).status_code == 404


async def test_delegation_form_shows_every_problem_next_to_its_field_and_creates_nothing(client, organizer):
    event = await published_event(client, organizer)
    await city()
    await page_login(client)
    url = f"/organizer/events/{event['id']}/delegations"
    before = await counts("delegation", "registration", "person", "outbox_message")
    response = await client.post(
        url,
        data={
            "_csrf_token": await csrf(client, url),
            "organization_id": "",
            "category": "delegate",
            "seats": "0",
            "head_name": "Wanjiru Kamau",
            "head_email": "wanjiru@",
            "head_language": "en",
        },
    )
    assert response.status_code == 422
    for field in ("organization_id", "seats", "head_email"):
        assert f'id="f-{field}-error"' in response.text, field
    assert 'value="Wanjiru Kamau"' in response.text and 'value="wanjiru@"' in response.text
    api = await client.post(
        f"/api/events/{event['id']}/delegations",
        headers=organizer,
        json={"organization_id": 999999, "category": "nope", "seats": 0, "head_email": "x", "head_name": ""},
    )
    assert api.status_code == 422
    assert [e["field"] for e in api.json()["errors"]] == [
        "organization_id",
        "category",
        "seats",
        "head_email",
        "head_name",
    ]
    assert await counts("delegation", "registration", "person", "outbox_message") == before


async def test_a_head_already_registered_is_named_on_the_head_email_field(client, organizer):
    event = await published_event(client, organizer)
    nairobi = await city()
    await client.post(
        f"/api/events/{event['id']}/registrations",
        json={"email": "w.kamau@nairobi.example", "name": "Wanjiru Kamau", "category": "delegate", "consent": True},
    )
    await page_login(client)
    url = f"/organizer/events/{event['id']}/delegations"
    response = await client.post(
        url,
        data={
            "_csrf_token": await csrf(client, url),
            "organization_id": str(nairobi),
            "category": "delegate",
            "seats": "2",
            "head_name": "Wanjiru Kamau",
            "head_email": "w.kamau@nairobi.example",
        },
    )
    assert response.status_code == 409 and 'id="f-head_email-error"' in response.text
    assert await sql.fetchval("SELECT count(*) FROM delegation") == 0
