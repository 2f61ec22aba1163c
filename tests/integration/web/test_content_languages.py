"""Organizer content in two languages: the event's title and description, category names and questions given in
Spanish on the organizer's page; each reader gets their language, with the original where nothing is given."""

from __future__ import annotations

from tests.fixtures import login, published_event
from tests.integration.web.test_pages import csrf, page_login


async def spanish_event(client, organizer) -> tuple[dict, dict]:
    event = await published_event(client, organizer, title="World Congress of Local Governments")
    question = await client.post(
        f"/api/events/{event['id']}/questions",
        headers=organizer,
        json={
            "code": "dietary",
            "label": "Dietary needs",
            "kind": "single_choice",
            "required": True,
            "options": ["None", "Vegetarian"],
        },
    )
    assert question.status_code == 201, question.text
    event = (await client.get(f"/api/events/{event['id']}", headers=organizer)).json()
    return event, question.json()


async def test_spanish_readers_see_the_spanish_texts_and_answers_keep_their_values(client, organizer):
    event, question = await spanish_event(client, organizer)
    category = event["categories"][0]
    await page_login(client)
    url = f"/organizer/events/{event['id']}/languages/es"
    token = await csrf(client, url)
    saved = await client.post(
        url,
        data={
            "_csrf_token": token,
            f"event-{event['id']}.title": "Congreso Mundial de Gobiernos Locales",
            f"event-{event['id']}.description": "Tres días.\r\n\r\nAlcaldes de todas las regiones.",
            f"category-{category['id']}.name": "Delegada o delegado",
            f"question-{question['id']}.label": "¿Necesidades alimentarias?",
            f"question-{question['id']}.options": "Ninguna\r\nVegetariana",
        },
    )
    assert saved.status_code == 303, saved.text

    spanish = await client.get(f"/events/{event['id']}", headers={"accept-language": "es"})
    english = await client.get(f"/events/{event['id']}", headers={"accept-language": "en"})
    form = await client.get(f"/events/{event['id']}/register", headers={"accept-language": "es"})
    home = await client.get("/", headers={"accept-language": "es"})
    assert "Congreso Mundial de Gobiernos Locales" in spanish.text and "Delegada o delegado" in spanish.text
    assert "<p>Tres días.</p><p>Alcaldes de todas las regiones.</p>" in spanish.text
    assert "World Congress of Local Governments" in english.text and "Congreso Mundial" not in english.text
    assert "¿Necesidades alimentarias?" in form.text
    assert (
        'value="Vegetarian"' in form.text and ">Vegetariana</label>" in form.text
    )  # shown in Spanish, stored as given
    assert "Congreso Mundial de Gobiernos Locales" in home.text

    cleared = await client.post(url, data={"_csrf_token": token, f"event-{event['id']}.title": ""})
    assert cleared.status_code == 303
    again = await client.get(f"/events/{event['id']}", headers={"accept-language": "es"})
    assert "World Congress of Local Governments" in again.text  # the original again


async def test_a_translation_that_does_not_fit_is_refused_with_the_field_named(client, organizer):
    event, question = await spanish_event(client, organizer)
    await page_login(client)
    url = f"/organizer/events/{event['id']}/languages/es"
    token = await csrf(client, url)
    refused = await client.post(
        url,
        data={
            "_csrf_token": token,
            f"question-{question['id']}.options": "Ninguna",
            f"event-{event['id']}.title": "Congreso",
        },
    )
    assert refused.status_code == 422
    assert "as many as the question has" in refused.text and 'value="Congreso"' in refused.text
    page = await client.get(f"/events/{event['id']}", headers={"accept-language": "es"})
    assert "Congreso<" not in page.text  # nothing stored


async def test_only_the_events_organizers_translate_it(client, organizer):
    event, _ = await spanish_event(client, organizer)
    await login(client, "other.organizer@example.org")
    await page_login(client, "other.organizer@example.org")
    page = await client.get(f"/organizer/events/{event['id']}/languages/es")
    assert page.status_code in (403, 404)
