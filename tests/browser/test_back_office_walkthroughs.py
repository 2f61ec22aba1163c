"""Back-office walk-throughs in Chromium: a coordinator changes a meeting series, moves and cancels one meeting and
cancels the series; an organizer reads the agenda change log and sets up invitations, an access code and a
delegation. Each page is checked with axe-core and photographed at desktop and phone widths."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from events_app.db import sql
from tests.browser.conftest import snapshot
from tests.browser.test_agenda_walkthroughs import agenda_event
from tests.fixtures import PASSWORD
from tests.integration.web.test_meetings_api import create_series, project_with_cohort

pytestmark = pytest.mark.browser


async def log_in(page, target: str) -> None:
    """The organizer fixture's account logs in on the page and lands on `target`."""
    await page.goto(f"/login?next={target}")
    await page.get_by_label("Email address").fill("organizer@example.org")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()


async def outbox() -> list[tuple]:
    rows = await sql.fetch("SELECT kind, calendar_method, calendar_sequence FROM outbox_message ORDER BY id")
    return [tuple(r) for r in rows]


async def test_coordinator_changes_a_series_moves_and_cancels_meetings(client, organizer, page, a11y):
    project = await project_with_cohort(client, organizer)
    series = await create_series(client, organizer, project["id"])
    invitees = series["invitee_count"]
    await log_in(page, f"/coordinator/series/{series['id']}")
    await expect(page.get_by_role("heading", level=1)).to_have_text(series["title"])
    await a11y("series")
    await snapshot(page, "series")

    await page.get_by_role("link", name="Change the series").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Change the series")
    await expect(page.get_by_label("First meeting starts")).to_have_value("2027-02-02T14:00")
    # the recurrence builder shows the stored rule as choices, only the monthly questions visible
    await expect(page.get_by_label("Every month on a weekday (such as the second Tuesday)")).to_be_checked()
    await expect(page.get_by_label("Which")).to_have_value("1")
    await expect(page.get_by_label("Monday")).to_be_hidden()
    await a11y("series-edit")
    await snapshot(page, "series-edit")
    await page.get_by_label("First meeting starts").fill("2027-02-02T15:00")
    await page.get_by_label("Title").fill("")
    await page.get_by_role("button", name="Save and update every invitation").click()
    await expect(page.get_by_role("alert")).to_be_focused()
    await expect(page.locator("#f-title-error")).to_contain_text("must not be empty")
    await expect(page.get_by_label("First meeting starts")).to_have_value("2027-02-02T15:00")  # input kept
    await a11y("series-edit-errors")
    await snapshot(page, "series-edit-errors")
    await page.get_by_label("Title").fill("Clean Air Pilot: monthly call at three")
    await page.get_by_role("button", name="Save and update every invitation").click()
    await expect(page.get_by_role("status").first).to_have_text(
        "The series is changed; every invitee receives the updated invitation."
    )
    await expect(page.get_by_role("heading", level=1)).to_have_text("Clean Air Pilot: monthly call at three")
    first = page.locator("tbody tr").first
    await expect(first).to_contain_text("15:00–16:30")

    second = page.locator("tbody tr").nth(1)
    await second.get_by_role("link", name="Move or cancel").click()
    await expect(page.get_by_label("Starts")).to_have_value("2027-03-02T15:00")
    await a11y("occurrence")
    await page.get_by_label("Starts").fill("2027-03-03T10:00")
    await page.get_by_role("button", name="Save and tell every invitee").click()
    await expect(page.get_by_role("status").first).to_have_text(
        "The meeting is changed; every invitee receives the update."
    )
    await expect(page.get_by_role("heading", level=1)).to_contain_text("10:00")
    await snapshot(page, "occurrence")

    await page.get_by_role("link", name="Cancel this meeting…").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Cancel the meeting of")
    await a11y("occurrence-cancel")
    await page.get_by_role("button", name="Yes, cancel this meeting").click()
    await expect(page.get_by_role("status").first).to_have_text(
        "The meeting is cancelled; every invitee receives a calendar cancellation."
    )
    await expect(page.locator("tbody tr").nth(1).locator(".badge")).to_have_text("cancelled")

    await page.get_by_role("link", name="Cancel the series…").click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Cancel Clean Air Pilot")
    await a11y("series-cancel")
    await snapshot(page, "series-cancel")
    await page.get_by_role("button", name="Yes, cancel the whole series").click()
    await expect(page.get_by_role("status").first).to_have_text(
        "The series is cancelled; every invitee receives a calendar cancellation."
    )
    await expect(page.get_by_role("link", name="Change the series")).to_have_count(0)

    sent = await outbox()
    assert sent[invitees:] == (
        [("meeting_invitation", "REQUEST", 1)] * invitees
        + [("meeting_occurrence_changed", "REQUEST", 2)] * invitees
        + [("meeting_occurrence_cancelled", "CANCEL", 3)] * invitees
        + [("meeting_series_cancelled", "CANCEL", 4)] * invitees
    )


async def test_organizer_reads_the_change_log_and_sets_up_access(client, organizer, page, a11y):
    event, ids, day = await agenda_event(client, organizer)
    finance = ids["sessions"]["Flood finance workshop"]
    await client.patch(
        f"/api/events/{event['id']}/sessions/{finance}",
        headers=organizer,
        json={"starts_at": f"{day}T16:00:00", "ends_at": f"{day}T17:30:00"},
    )
    await sql.execute(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ('Incheon Metropolitan City', 'metropolis', 'KR', 'active', now())"
    )
    base = f"/organizer/events/{event['id']}"
    await log_in(page, base)

    await page.get_by_role("navigation", name="Event sections").get_by_role("link", name="Agenda changes").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Agenda changes")
    latest = page.locator("tbody tr").first
    await expect(latest).to_contain_text("Session moved")
    await expect(latest).to_contain_text("Flood finance workshop")
    await expect(latest.locator(".change-to").first).to_contain_text("16:00")
    await a11y("agenda-changes")
    await snapshot(page, "agenda-changes")

    await (
        page.get_by_role("navigation", name="Event sections").get_by_role("link", name="Invitations and codes").click()
    )
    await page.get_by_label("Email address").fill("mayor@incheon.example")
    await page.get_by_label("Name", exact=True).fill("Mayor Yoo")
    await page.get_by_role("button", name="Send the invitation").click()
    await expect(page.get_by_role("status").first).to_have_text("The invitation is on its way.")
    await expect(page.get_by_role("row", name="mayor@incheon.example")).to_contain_text("not yet")
    await page.get_by_label("Number of uses").fill("0")
    await page.get_by_role("button", name="Create the code").click()
    await expect(page.locator("#f-code-max_uses-error")).to_contain_text("at least 1")
    await a11y("invitations-errors")
    await page.get_by_label("Number of uses").fill("5")
    await page.get_by_label("Code", exact=True).fill("COASTAL-2026")
    await page.get_by_role("button", name="Create the code").click()
    await expect(page.get_by_role("status").first).to_have_text("The access code is ready to hand out.")
    await expect(page.get_by_role("row", name="COASTAL-2026")).to_contain_text("0 of 5")
    await a11y("invitations")
    await snapshot(page, "invitations")

    await page.get_by_role("navigation", name="Event sections").get_by_role("link", name="Delegations").click()
    await page.get_by_role("combobox", name="Organization").select_option(
        label="Incheon Metropolitan City (Korea, Republic of)"
    )
    await page.get_by_label("Seats").fill("4")
    await page.get_by_label("Head of delegation: full name").fill("Kim Min-jun")
    await page.get_by_label("Head of delegation: email address").fill("minjun.kim@incheon.example")
    await page.get_by_role("button", name="Create the delegation").click()
    await expect(page.get_by_role("status").first).to_have_text(
        "The delegation is created; its head receives their manage link by email."
    )
    card = page.locator("li.card", has_text="Incheon Metropolitan City")
    await expect(card).to_contain_text("1 of 4 seats used; 3 left.")
    await card.get_by_label("Seats").fill("6")
    await card.get_by_role("button", name="Save seats").click()
    await expect(page.get_by_role("status").first).to_have_text("The seat quota is saved.")
    await expect(page.locator("li.card", has_text="Incheon")).to_contain_text("1 of 6 seats used; 5 left.")
    await a11y("delegations")
    await snapshot(page, "delegations")
