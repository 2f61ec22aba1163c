"""The server-rendered pages over HTTP (in process): forms, errors next to fields, CSRF, CSP, sessions, language."""

from __future__ import annotations

import re

import pytest

from events_app.services.people import accounts
from tests.fixtures import PASSWORD, published_event

TOKEN_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')


async def csrf(client, url: str) -> str:
    """Open a page as a browser would and return the CSRF token of its forms."""
    response = await client.get(url)
    assert response.status_code == 200, response.text
    return TOKEN_RE.search(response.text).group(1)


async def page_login(client, email: str = "organizer@example.org") -> None:
    await accounts.create_account(email, "Olga Organizer", PASSWORD)
    token = await csrf(client, "/login")
    response = await client.post(
        "/login", data={"email": email, "password": PASSWORD, "next": "/organizer", "_csrf_token": token}
    )
    assert response.status_code == 303 and response.headers["location"] == "/organizer"


async def test_home_lists_published_events_with_filters(client, organizer):
    await published_event(client, organizer, title="Forum on Resilient Coastal Cities", country="KR")
    await published_event(
        client,
        organizer,
        title="Webinar on Nature-based Solutions",
        kind="webinar",
        country="BR",
        timezone="America/Sao_Paulo",
    )
    page = await client.get("/")
    assert page.status_code == 200
    assert "Forum on Resilient Coastal Cities" in page.text and "Webinar on Nature-based Solutions" in page.text
    only_webinars = await client.get("/", params={"kind": "webinar"})
    assert "Forum on Resilient" not in only_webinars.text and "Webinar on Nature" in only_webinars.text
    only_korea = await client.get("/", params={"country": "KR"})
    assert "Forum on Resilient" in only_korea.text and "Webinar on Nature" not in only_korea.text


async def test_event_page_shows_seats_zone_and_calendar_links(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", 40), ("press", None)))
    page = await client.get(f"/events/{event['id']}")
    assert page.status_code == 200
    assert "Asia/Seoul" in page.text and "40" in page.text and "No limit" in page.text
    assert "calendar.google.com/calendar/render" in page.text
    ics = await client.get(f"/events/{event['id']}/calendar.ics")
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in ics.content and b"TZID=Asia/Seoul" in ics.content


async def test_pages_carry_csp_and_no_inline_script(client, organizer):
    event = await published_event(client, organizer)
    for url in ("/", f"/events/{event['id']}", f"/events/{event['id']}/register", "/login"):
        page = await client.get(url)
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, url
        assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text) is None, url
        assert re.search(r'\sstyle="', page.text) is None, url
        assert page.headers["x-content-type-options"] == "nosniff"
    api = await client.get("/api/events")
    assert "content-security-policy" not in api.headers


async def test_registration_form_shows_errors_next_to_fields_and_keeps_input(client, organizer):
    event = await published_event(client, organizer)
    await client.post(
        f"/api/events/{event['id']}/questions",
        headers=organizer,
        json={
            "code": "dietary",
            "label": "Dietary needs",
            "kind": "single_choice",
            "required": True,
            "options": ["none", "vegetarian", "vegan"],
        },
    )
    url = f"/events/{event['id']}/register"
    token = await csrf(client, url)
    response = await client.post(
        url,
        data={
            "_csrf_token": token,
            "name": "Ana Ferreira",
            "email": "not-an-email",
            "category": "delegate",
            "language": "es",
        },
    )
    assert response.status_code == 422
    assert 'id="f-email-error"' in response.text and 'aria-invalid="true"' in response.text
    assert 'id="f-answers-dietary-error"' in response.text
    assert 'value="Ana Ferreira"' in response.text  # input kept
    assert 'href="#f-email"' in response.text  # error summary links to the field
    assert 'id="f-consent-error"' in response.text  # consent is asked for, not assumed


async def test_registration_through_the_form_lands_on_the_manage_page(client, organizer):
    event = await published_event(client, organizer)
    url = f"/events/{event['id']}/register"
    token = await csrf(client, url)
    response = await client.post(
        url,
        data={
            "_csrf_token": token,
            "name": "Ana Ferreira",
            "email": "ana@example.org",
            "category": "delegate",
            "language": "en",
            "consent": "yes",
        },
    )
    assert response.status_code == 303
    manage = await client.get(response.headers["location"])
    assert manage.status_code == 200 and "You are registered" in manage.text and "ana@example.org" in manage.text


async def test_form_post_without_csrf_token_is_refused(client, organizer):
    event = await published_event(client, organizer)
    await client.get(f"/events/{event['id']}/register")  # the cookie alone is not enough
    response = await client.post(
        f"/events/{event['id']}/register", data={"name": "Eve", "email": "eve@example.org", "category": "delegate"}
    )
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    listing = await client.get(f"/api/events/{event['id']}/registrations", headers=organizer)
    assert listing.json() == []


async def test_api_stays_exempt_from_csrf(client, organizer):
    event = await published_event(client, organizer)
    response = await client.post(
        f"/api/events/{event['id']}/registrations",
        json={"email": "ana@example.org", "name": "Ana", "category": "delegate", "consent": True},
    )
    assert response.status_code == 201


async def test_organizer_pages_need_login_and_session_cookie_is_safe(client):
    response = await client.get("/organizer")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/organizer"
    await accounts.create_account("organizer@example.org", "Olga", PASSWORD)
    token = await csrf(client, "/login")
    wrong = await client.post(
        "/login", data={"email": "organizer@example.org", "password": "nope", "_csrf_token": token}
    )
    assert wrong.status_code == 401 and "Email or password is wrong" in wrong.text
    ok = await client.post(
        "/login", data={"email": "organizer@example.org", "password": PASSWORD, "_csrf_token": token}
    )
    cookie = ok.headers["set-cookie"]
    assert "session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    dashboard = await client.get("/organizer")
    assert dashboard.status_code == 200 and "Your events" in dashboard.text
    out = await client.post("/logout", data={"_csrf_token": token})
    assert out.status_code == 303
    assert (await client.get("/organizer")).status_code == 303


async def test_organizer_approves_a_pending_registration(client, organizer):
    event = await published_event(client, organizer)
    await client.patch(
        f"/api/events/{event['id']}/categories/{event['categories'][0]['id']}",
        json={"requires_approval": True},
        headers=organizer,
    )
    created = await client.post(
        f"/api/events/{event['id']}/registrations",
        json={"email": "ana@example.org", "name": "Ana", "category": "delegate", "consent": True},
    )
    assert created.json()["status"] == "pending"
    await page_login(client)
    url = f"/organizer/events/{event['id']}/registrations"
    token = await csrf(client, url)
    response = await client.post(f"{url}/{created.json()['id']}/approve", data={"_csrf_token": token})
    assert response.status_code == 303
    assert (await client.get(f"/api/registrations/{created.json()['manage_token']}")).json()["status"] == "confirmed"


async def test_language_choice_is_remembered(client, organizer):
    await published_event(client, organizer)
    english = await client.get("/")
    assert '<html lang="en">' in english.text
    switch = await client.get("/language/es", params={"next": "/"})
    assert switch.status_code == 303 and switch.headers["location"] == "/"
    spanish = await client.get("/")
    assert '<html lang="es">' in spanish.text and "Próximos eventos" in spanish.text


async def test_language_switch_never_redirects_off_site(client):
    response = await client.get("/language/es", params={"next": "//evil.example/"})
    assert response.headers["location"] == "/"


@pytest.mark.parametrize("url", ["/events/999999", "/manage/not-a-token", "/no-such-page"])
async def test_unknown_pages_are_friendly_html(client, url):
    response = await client.get(url)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html") and "<main" in response.text


async def test_api_errors_stay_problem_json(client):
    response = await client.get("/api/events/999999")
    assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"


async def test_agenda_grid_places_sessions_by_room_and_time(client, organizer):
    from tests.browser.test_agenda_walkthroughs import agenda_event

    event, ids, day = await agenda_event(client, organizer)
    await page_login(client)
    grid = await client.get(f"/organizer/events/{event['id']}/agenda", params={"day": day})
    assert grid.status_code == 200
    housing = ids["sessions"]["Housing workshop"]
    # 10:00 is the fifth half-hour row after 08:00 (row 1 is the header); Harbour Hall is column 2
    assert f'class="cell session gr-6 gs-3 gc-2" id="session-{housing}"' in grid.text
    assert "data-conflict" not in grid.text


async def test_moving_a_session_into_a_clash_is_refused_and_marked(client, organizer):
    from tests.browser.test_agenda_walkthroughs import agenda_event

    event, ids, day = await agenda_event(client, organizer)
    await page_login(client)
    url = f"/organizer/events/{event['id']}/agenda"
    token = await csrf(client, url)
    finance = ids["sessions"]["Flood finance workshop"]
    response = await client.post(
        f"{url}/sessions/{finance}/move",
        data={
            "_csrf_token": token,
            "room_id": str(ids["rooms"]["Harbour Hall"]),
            "starts_at": f"{day}T10:30",
            "ends_at": f"{day}T12:00",
        },
    )
    assert response.status_code == 409
    assert response.text.count("data-conflict") == 2
    session = await client.get(f"/api/events/{event['id']}/sessions/{finance}")
    assert session.json()["room"]["name"] == "Lagoon Room"


async def test_a_delegate_booking_that_clashes_is_refused(client, organizer):
    from tests.browser.test_agenda_walkthroughs import agenda_event

    event, ids, _ = await agenda_event(client, organizer)
    created = await client.post(
        f"/api/events/{event['id']}/registrations",
        json={"email": "ana@example.org", "name": "Ana", "category": "delegate", "consent": True},
    )
    manage = f"/manage/{created.json()['manage_token']}"
    token = await csrf(client, manage)
    booked = await client.post(
        f"{manage}/sessions/{ids['sessions']['Housing workshop']}/book", data={"_csrf_token": token}
    )
    assert booked.status_code == 303
    page = await client.get(manage)
    assert "Clashes with Housing workshop" in page.text
    clash = await client.post(
        f"{manage}/sessions/{ids['sessions']['Flood finance workshop']}/book", data={"_csrf_token": token}
    )
    assert clash.status_code == 409 and "overlaps" in clash.text


async def test_a_delegate_who_opened_the_manage_link_books_from_the_public_programme(client, organizer):
    from tests.browser.test_agenda_walkthroughs import agenda_event

    event, ids, _ = await agenda_event(client, organizer)
    programme = f"/events/{event['id']}/agenda"
    housing = ids["sessions"]["Housing workshop"]
    assert "/book" not in (await client.get(programme)).text  # a stranger sees no Book buttons
    created = await client.post(
        f"/api/events/{event['id']}/registrations",
        json={"email": "ana@example.org", "name": "Ana", "category": "delegate", "consent": True},
    )
    manage_token = created.json()["manage_token"]
    opened = await client.get(f"/manage/{manage_token}")
    cookie = opened.headers["set-cookie"]
    assert (
        f"Path=/events/{event['id']}" in cookie
        and "HttpOnly" in cookie
        and "SameSite=lax" in cookie.replace("Lax", "lax")
    )

    # the cookie is a pass for booking, not the manage token, and no page shows the manage token
    programme_pass = client.cookies.get("programme")
    assert manage_token not in cookie and programme_pass and manage_token not in programme_pass

    day = (await client.get(f"/api/events/{event['id']}/sessions/{housing}")).json()["starts_at"][:10]
    page_url = f"{programme}?day={day}"
    shown = await client.get(page_url)
    book_url = f"/events/{event['id']}/sessions/{housing}/book"
    assert f'action="{book_url}"' in shown.text and manage_token not in shown.text
    token = TOKEN_RE.search(shown.text).group(1)
    booked = await client.post(book_url, data={"_csrf_token": token, "next": page_url})
    assert booked.status_code == 303
    assert booked.headers["location"] == f"{page_url}&done=booked#session-{housing}"
    agenda = (await client.get(f"/api/registrations/{manage_token}/agenda")).json()
    assert [(b["session_id"], b["status"]) for b in agenda] == [(housing, "booked")]
    again = await client.get(page_url)
    drop_url = f"/events/{event['id']}/sessions/{housing}/drop"
    assert f'action="{drop_url}"' in again.text
    session_page = await client.get(f"/events/{event['id']}/sessions/{housing}")
    assert drop_url in session_page.text
    assert manage_token not in again.text + session_page.text

    # a return address off the event goes back to the programme instead
    elsewhere = await client.post(drop_url, data={"_csrf_token": token, "next": "https://evil.example/"})
    assert elsewhere.headers["location"].startswith(f"/events/{event['id']}/agenda?done=dropped")
    # without the form's CSRF token nothing is booked
    forged = await client.post(book_url, data={"next": page_url})
    assert forged.status_code == 403
    # a forged or another registration's pass books nothing, and the pass of one event opens nothing on another's
    rid = programme_pass.partition(".")[0]
    for bad in (f"{rid}.{'A' * 43}", f"{int(rid) + 1}.{programme_pass.partition('.')[2]}", "9999999999.x", "junk"):
        client.cookies.set("programme", bad, path=f"/events/{event['id']}")
        refused = await client.post(book_url, data={"_csrf_token": token, "next": page_url})
        assert refused.status_code == 403 and "open the manage link" in refused.text
    spanish = await client.post(
        book_url, data={"_csrf_token": token, "next": page_url}, headers={"accept-language": "es"}
    )
    assert spanish.status_code == 403 and "abra primero en este navegador el enlace de gestión" in spanish.text
    other = await published_event(client, organizer)
    client.cookies.set("programme", programme_pass, path=f"/events/{other['id']}")
    assert "/book" not in (await client.get(f"/events/{other['id']}/agenda")).text
    refused = await client.post(
        f"/events/{other['id']}/sessions/{housing}/book", data={"_csrf_token": token, "next": page_url}
    )
    assert refused.status_code == 403
    assert (await client.get(f"/api/registrations/{manage_token}/agenda")).json() == []  # dropped above, not rebooked
