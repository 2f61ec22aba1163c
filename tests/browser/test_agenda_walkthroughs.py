"""Agenda walk-throughs in Chromium: a delegate books sessions and a clash is refused; an organizer moves a
session on the grid into a clash, sees both sessions marked, then moves it where it fits."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.async_api import expect

from events_app.services.people import accounts
from tests.browser.conftest import snapshot
from tests.fixtures import PASSWORD, published_event

pytestmark = pytest.mark.browser


async def agenda_event(client, organizer) -> tuple[dict, dict, str]:
    """A published forum with two rooms and, on its second day, two workshops at 10:00 and a panel at 14:00."""
    event = await published_event(client, organizer, title="Forum on Resilient Coastal Cities")
    day = (datetime.fromisoformat(event["starts_at"]).date() + timedelta(days=1)).isoformat()
    rooms = {}
    for name in ("Harbour Hall", "Lagoon Room"):
        r = await client.post(
            f"/api/events/{event['id']}/rooms", json={"name": name, "capacity": 80}, headers=organizer
        )
        assert r.status_code == 201, r.text
        rooms[name] = r.json()["id"]
    sessions = {}
    for title, room, start, end in (
        ("Housing workshop", "Harbour Hall", "10:00", "11:30"),
        ("Flood finance workshop", "Lagoon Room", "10:30", "12:00"),
        ("Mayors' panel on sea walls", "Harbour Hall", "14:00", "15:00"),
    ):
        r = await client.post(
            f"/api/events/{event['id']}/sessions",
            headers=organizer,
            json={
                "title": title,
                "kind": "workshop" if "workshop" in title else "panel",
                "room_id": rooms[room],
                "starts_at": f"{day}T{start}:00",
                "ends_at": f"{day}T{end}:00",
                "requires_booking": True,
            },
        )
        assert r.status_code == 201, r.text
        sessions[title] = r.json()["id"]
    return event, {"rooms": rooms, "sessions": sessions}, day


async def test_delegate_books_sessions_and_a_clash_is_refused(client, organizer, page, a11y):
    event, _, _ = await agenda_event(client, organizer)
    created = await client.post(
        f"/api/events/{event['id']}/registrations",
        json={"email": "jiwon.park@example.org", "name": "Ji-won Park", "category": "delegate", "consent": True},
    )
    token = created.json()["manage_token"]

    await page.goto(f"/manage/{token}")
    housing = page.locator("li.session-item", has_text="Housing workshop")
    finance = page.locator("li.session-item", has_text="Flood finance workshop")
    panel = page.locator("li.session-item", has_text="Mayors' panel on sea walls")
    await housing.get_by_role("button", name="Book").click()
    await expect(page.get_by_role("status").first).to_have_text("The session is in your agenda.")
    await expect(housing.locator(".badge")).to_have_text("booked")

    await expect(finance.locator(".clash-warning")).to_have_text("⚠ Clashes with Housing workshop")  # shown first
    await finance.get_by_role("button", name="Book").click()
    await expect(finance.get_by_role("alert")).to_contain_text("overlaps 'Housing workshop'")
    await expect(finance.locator(".clash-warning")).to_have_count(0)  # said once, by the refusal
    await expect(finance.locator(".badge")).to_have_count(0)

    await panel.get_by_role("button", name="Book").click()
    await expect(panel.locator(".badge")).to_have_text("booked")
    await a11y("manage-agenda")
    await snapshot(page, "manage-agenda")

    await housing.get_by_role("button", name="Drop").click()
    await finance.get_by_role("button", name="Book").click()
    await expect(finance.locator(".badge")).to_have_text("booked")


async def test_organizer_moves_a_session_into_a_clash_and_sees_it_marked(client, organizer, page, a11y):
    event, ids, day = await agenda_event(client, organizer)
    await accounts.create_account("organizer@example.org", "Olga Organizer", PASSWORD)
    await page.goto(f"/login?next=/organizer/events/{event['id']}/agenda?day={day}")
    await page.get_by_label("Email address").fill("organizer@example.org")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("heading", name="Agenda", exact=True)).to_be_visible()
    grid = page.locator(".agenda-grid")
    await expect(grid.locator("[data-conflict]")).to_have_count(0)
    await expect(page.get_by_role("button", name="Remove Lagoon Room")).to_be_visible()
    await a11y("agenda-grid")

    finance = ids["sessions"]["Flood finance workshop"]
    await page.locator(f"#session-{finance}").get_by_role("link", name="Edit or move").click()
    await page.get_by_label("Room", exact=True).select_option(label="Harbour Hall")
    await page.get_by_role("button", name="Save session").click()

    await expect(page.get_by_text("Not saved: it would clash.")).to_be_visible()
    await expect(page.locator(".conflict-panel")).to_contain_text("Housing workshop")
    await a11y("agenda-session-editor")

    # Drag and drop on the grid: 13:00 in Harbour Hall runs into the panel at 14:00, so both are marked
    await page.get_by_role("link", name="Back to the grid").click()
    await page.set_viewport_size({"width": 1280, "height": 2400})  # source and target on screen: no scrolling mid-drag
    hall = ids["rooms"]["Harbour Hall"]
    await page.locator(f"#session-{finance}").drag_to(
        page.locator(f'[data-drop-room="{hall}"][data-drop-start="{day}T13:00"]')
    )
    await expect(page.get_by_text("Not moved: it would clash.")).to_be_visible()
    panel = ids["sessions"]["Mayors' panel on sea walls"]
    await expect(page.locator(f"#session-{finance} [data-conflict]")).to_be_visible()
    await expect(page.locator(f"#session-{panel} [data-conflict]")).to_be_visible()
    await a11y("agenda-conflict")
    await snapshot(page, "agenda-conflict")

    await page.set_viewport_size({"width": 1280, "height": 2400})
    await page.locator(f"#session-{finance}").drag_to(
        page.locator(f'[data-drop-room="{hall}"][data-drop-start="{day}T16:00"]')
    )
    await expect(page.get_by_role("status").first).to_have_text("Saved.")
    await expect(grid.locator("[data-conflict]")).to_have_count(0)
    await expect(page.locator(f"#session-{finance} .session-meta").first).to_contain_text("16:00–17:30")
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_organizer_edits_names_speakers_and_cancels_a_session(client, organizer, page, a11y):
    event, ids, day = await agenda_event(client, organizer)
    await accounts.create_account("organizer@example.org", "Olga Organizer", PASSWORD)
    housing = ids["sessions"]["Housing workshop"]
    delegate = await client.post(
        f"/api/events/{event['id']}/registrations",
        json={"email": "jiwon.park@example.org", "name": "Ji-won Park", "category": "delegate", "consent": True},
    )
    assert delegate.status_code == 201, delegate.text
    await page.goto(f"/login?next=/organizer/events/{event['id']}/agenda/sessions/{housing}")
    await page.get_by_label("Email address").fill("organizer@example.org")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()

    await page.get_by_label("Title").fill("Affordable housing on the waterfront")
    await page.get_by_label("Kind").select_option(label="Plenary")
    await page.get_by_label("Abstract").fill("Who builds, who pays.\n\nThree cities compare notes.")
    await page.get_by_role("button", name="Save session").click()
    await expect(page.get_by_role("status").first).to_have_text("Saved.")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Affordable housing on the waterfront")

    await page.get_by_label("Name", exact=True).fill("Amara Okafor")
    await page.get_by_label("Email address", exact=True).fill("amara.okafor@lagos.example.org")
    await page.get_by_label("Role").select_option(label="Moderator")
    await page.get_by_role("button", name="Add person").click()
    await expect(page.locator("#people")).to_be_visible()
    await expect(page.get_by_text("Amara Okafor (Moderator)")).to_be_visible()
    # a delegate of the event is found by name (accents and case ignored) and added as a panelist
    await page.get_by_label("Find a person by name or email address").fill("PARK")
    await page.get_by_role("button", name="Find", exact=True).click()
    found = page.get_by_role("list", name="People found")
    await expect(found).to_contain_text("Ji-won Park")
    await found.get_by_label("Role: Ji-won Park").select_option(label="Panelist")
    await found.get_by_role("button", name="Add Ji-won Park").click()
    await expect(page.get_by_text("Ji-won Park (Panelist)")).to_be_visible()
    await a11y("agenda-session-editor-people")
    await snapshot(page, "agenda-session-editor")

    await page.get_by_role("link", name="Cancel the session…").click()
    await expect(page.get_by_text("2 people hold this session in their calendar")).to_be_visible()
    await a11y("agenda-session-cancel")
    await page.get_by_role("button", name="Cancel the session and tell them").click()
    await expect(page.get_by_text("This session is cancelled.").first).to_be_visible()
    public = await client.get(f"/api/events/{event['id']}/sessions/{housing}")
    assert (public.json()["status"], public.json()["kind"]) == ("cancelled", "plenary")


async def test_public_programme_has_day_tabs_a_grid_on_wide_screens_and_a_list_on_phones(client, organizer, page, a11y):
    event, ids, day = await agenda_event(client, organizer)
    track = await client.post(
        f"/api/events/{event['id']}/tracks", json={"name": "Adaptation", "color": "#c62828"}, headers=organizer
    )
    await client.patch(
        f"/api/events/{event['id']}/sessions/{ids['sessions']['Housing workshop']}",
        json={"track_id": track.json()["id"]},
        headers=organizer,
    )
    await page.goto(f"/events/{event['id']}/agenda?day={day}")
    tabs = page.get_by_role("navigation", name="Days")
    await expect(tabs.get_by_role("link")).to_have_count(1)  # the days that have sessions
    await expect(tabs.locator("[aria-current=page]")).to_be_visible()
    grid = page.locator(".public-grid")
    await expect(grid).to_be_visible()
    await expect(grid.get_by_role("link", name="Housing workshop")).to_be_visible()
    await expect(grid.locator("article", has_text="Housing workshop")).to_have_css(
        "border-left-color", "rgb(198, 40, 40)"
    )  # the track's colour
    await expect(grid).to_contain_text("Workshop")
    await a11y("public-programme-desktop")
    await snapshot(page, "public-programme")

    await page.set_viewport_size({"width": 360, "height": 740})
    await expect(grid).to_be_hidden()
    listed = page.locator(".programme-list.narrow-only")
    await expect(listed).to_be_visible()
    await expect(listed.locator("li")).to_have_count(3)
    await a11y("public-programme-phone")

    await page.get_by_label("Search").fill("PANEL")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.locator(".programme-list.narrow-only li")).to_have_count(1)
    await page.get_by_role("link", name="Mayors' panel on sea walls").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Mayors' panel on sea walls")
    await a11y("public-session-phone")
    await page.set_viewport_size({"width": 1280, "height": 900})
