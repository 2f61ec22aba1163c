"""Walk-throughs in Chromium: a delegate registers, changes their answers and cancels, an organizer approves, a
visitor switches to Spanish. Every main page is checked with axe-core and photographed at desktop and phone widths."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from events_app.services.people import accounts
from tests.browser.conftest import snapshot
from tests.fixtures import PASSWORD, published_event
from tests.integration.web.test_registration_engine import org

pytestmark = pytest.mark.browser


async def test_delegate_registers_then_cancels_from_the_manage_page(client, organizer, page, a11y):
    event = await published_event(
        client,
        organizer,
        title="World Congress of Local Governments",
        categories=(("delegate", 120), ("press", 10)),
        description=(
            "Three days on housing, climate and local finance.\n\nMayors, governors and partners from every region."
        ),
    )
    await client.post(
        f"/api/events/{event['id']}/questions",
        headers=organizer,
        json={
            "code": "dietary",
            "label": "Dietary needs",
            "kind": "single_choice",
            "required": True,
            "options": ["None", "Vegetarian", "Vegan"],
        },
    )
    await client.post(
        f"/api/events/{event['id']}/questions",
        headers=organizer,
        json={"code": "position", "label": "Your position", "kind": "short_text", "required": True},
    )

    malmo = await org("Malmö", "city", "SE")
    await org("São Paulo", "city", "BR")

    await page.goto("/")
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    await a11y("home")
    await snapshot(page, "home")

    await page.get_by_role("link", name="World Congress of Local Governments").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("World Congress of Local Governments")
    await expect(page.get_by_text("Asia/Seoul").first).to_be_visible()
    await a11y("event")
    await snapshot(page, "event")

    await page.get_by_role("link", name="Register", exact=True).click()
    await expect(page.get_by_label("Full name")).to_be_visible()
    await a11y("register-form")
    await page.get_by_label("Full name").fill("Ana Luiza Ferreira")
    await page.get_by_label("Email address").fill("ana.ferreira@example")  # not a valid address
    await page.get_by_role("button", name="Register").click()

    summary = page.get_by_role("alert")
    await expect(summary).to_contain_text("There is a problem")
    await expect(summary).to_be_focused()
    await expect(page.locator("#f-email-error")).to_contain_text("not a valid email address")
    await expect(page.locator("#f-answers-dietary-error")).to_contain_text("This question needs an answer.")
    await expect(page.locator("#f-category-error")).to_be_visible()
    await expect(page.get_by_label("Full name")).to_have_value("Ana Luiza Ferreira")  # input kept
    await a11y("register-errors")
    await snapshot(page, "register-errors")

    await page.get_by_label("Email address").fill("ana.ferreira@example.org")
    # the organization picker follows the typing, accents and case ignored, and keeps the form's other input
    await page.get_by_label("Organization: search by name").fill("malmo")
    await expect(page.locator("[data-org-count]")).to_have_text("1 organization found")
    await expect(page.get_by_label("Organization", exact=True)).to_have_value(str(malmo))
    await page.get_by_label("Delegate").check()
    await page.get_by_label("Vegetarian").check()
    await page.get_by_label("Your position").fill("Deputy Mayor")
    await page.get_by_label("I agree that the organizers process my data").check()
    await page.get_by_role("button", name="Register").click()

    await expect(page.get_by_role("heading", name="You are registered")).to_be_visible()
    await expect(page.locator("#registration-status")).to_have_text("confirmed")
    await a11y("manage")
    await snapshot(page, "manage")

    # the answers can be changed later, with the same checks as at registration
    await page.get_by_role("link", name="Change your answers").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Change your answers")
    await expect(page.get_by_label("Vegetarian")).to_be_checked()
    await expect(page.get_by_label("Your position")).to_have_value("Deputy Mayor")
    await a11y("manage-answers")
    await page.get_by_label("Vegan").check()
    await page.get_by_label("Your position").fill("")
    await page.get_by_role("button", name="Save answers").click()
    await expect(page.get_by_role("alert")).to_be_focused()
    await expect(page.locator("#f-answers-position-error")).to_contain_text("This question needs an answer.")
    await expect(page.get_by_label("Vegan")).to_be_checked()  # input kept
    await a11y("manage-answers-errors")
    await snapshot(page, "manage-answers-errors")
    await page.get_by_label("Your position").fill("Mayor")
    await page.get_by_role("button", name="Save answers").click()
    await expect(page.get_by_role("status").first).to_have_text("Your answers are saved.")
    answers = page.get_by_role("region", name="Your answers")
    await expect(answers).to_contain_text("Vegan")
    await expect(answers).to_contain_text("Mayor")

    await page.get_by_role("link", name="Cancel my registration").click()
    await expect(page.get_by_role("heading", name="Cancel your registration?")).to_be_visible()
    await page.get_by_role("button", name="Yes, cancel my registration").click()
    await expect(page.get_by_role("status").first).to_have_text("Your registration is cancelled.")
    await expect(page.locator("#registration-status")).to_have_text("cancelled")
    await expect(page.get_by_role("link", name="Cancel my registration")).to_have_count(0)


async def test_organizer_logs_in_and_approves_a_pending_registration(client, organizer, page, a11y):
    event = await published_event(
        client, organizer, title="Regional Forum on Water", categories=(("delegate", None), ("partner", None))
    )
    await client.patch(
        f"/api/events/{event['id']}/categories/{event['categories'][0]['id']}",
        json={"requires_approval": True},
        headers=organizer,
    )
    for name, email in (("Wanjiru Kamau", "w.kamau@example.org"), ("Haruto Yamamoto", "h.yamamoto@example.org")):
        r = await client.post(
            f"/api/events/{event['id']}/registrations",
            json={"email": email, "name": name, "category": "delegate", "consent": True},
        )
        assert r.json()["status"] == "pending"
    await accounts.create_account("organizer@example.org", "Olga Organizer", PASSWORD)

    await page.goto("/organizer")
    await expect(page.get_by_role("heading", name="Organizer login")).to_be_visible()
    await page.get_by_label("Email address").fill("organizer@example.org")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()

    await expect(page.get_by_role("heading", name="Your events")).to_be_visible()
    await a11y("dashboard")
    await snapshot(page, "dashboard")

    await page.get_by_role("row", name="Regional Forum on Water").get_by_role("link", name="2").click()
    await expect(page.get_by_role("heading", name="Registrations")).to_be_visible()
    await a11y("registrations")
    await snapshot(page, "registrations")

    await page.get_by_role("button", name="Approve Wanjiru Kamau").click()
    await expect(page.get_by_role("status").first).to_have_text("Registration approved.")
    # back on the filtered list (pending): Wanjiru has left it, Haruto still waits
    await expect(page.get_by_role("row", name="Wanjiru Kamau")).to_have_count(0)
    await expect(page.get_by_role("row", name="Haruto Yamamoto")).to_have_count(1)
    await page.goto(f"/organizer/events/{event['id']}/registrations")
    await expect(page.get_by_role("row", name="Wanjiru Kamau").locator(".badge")).to_have_text("confirmed")

    await page.get_by_role("button", name="Log out").click()
    await page.goto("/organizer")
    await expect(page.get_by_role("heading", name="Organizer login")).to_be_visible()


async def test_visitor_switches_to_spanish_and_it_is_remembered(client, organizer, page, a11y):
    event = await published_event(client, organizer, title="Webinar on Nature-based Solutions", kind="webinar")
    await page.goto("/")
    await page.get_by_role("link", name="Español").click()
    await expect(page.locator("html")).to_have_attribute("lang", "es")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Próximos eventos")
    await page.goto(f"/events/{event['id']}")
    await expect(page.get_by_role("link", name="Inscribirse")).to_be_visible()
    await a11y("event-es")
    await snapshot(page, "event-es")
