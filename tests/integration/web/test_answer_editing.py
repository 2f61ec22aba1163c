"""A delegate changes their answers to the event's questions: over the API (PUT /api/registrations/{token}/answers)
and on the manage page's form, against PostgreSQL. The same checks as at registration; nothing half-written."""

from __future__ import annotations

import json

from events_app.db import sql
from tests.fixtures import published_event
from tests.integration.web.test_pages import TOKEN_RE, csrf

QUESTIONS = (
    {
        "code": "dietary",
        "label": "Dietary needs",
        "kind": "single_choice",
        "required": True,
        "options": ["None", "Vegetarian", "Vegan"],
    },
    {
        "code": "topics",
        "label": "Topics of interest",
        "kind": "multiple_choice",
        "options": ["Housing", "Climate", "Local finance"],
    },
    {"code": "interpretation", "label": "I need interpretation", "kind": "yes_no"},
    {"code": "arrival", "label": "Arrival date", "kind": "date"},
)
FIRST = {"dietary": "Vegetarian", "topics": ["Housing"], "arrival": "2026-10-05"}


async def registered(client, organizer, answers: dict | None = None) -> tuple[dict, str]:
    """A published event with four questions and one confirmed registration; returns (event, manage token)."""
    event = await published_event(client, organizer)
    for question in QUESTIONS:
        r = await client.post(f"/api/events/{event['id']}/questions", headers=organizer, json=question)
        assert r.status_code == 201, r.text
    r = await client.post(
        f"/api/events/{event['id']}/registrations",
        json={
            "email": "ana.ferreira@example.org",
            "name": "Ana Ferreira",
            "category": "delegate",
            "consent": True,
            "answers": FIRST if answers is None else answers,
        },
    )
    assert r.status_code == 201, r.text
    return event, r.json()["manage_token"]


async def stored_answers() -> tuple[dict, object]:
    row = await sql.fetchrow("SELECT answers, updated_at FROM registration")
    return json.loads(row["answers"]) if isinstance(row["answers"], str) else row["answers"], row["updated_at"]


# --------------------------------------------------------------------------- the service over the API


async def test_answers_are_replaced_and_what_is_left_out_is_removed(client, organizer):
    _, token = await registered(client, organizer)
    response = await client.put(
        f"/api/registrations/{token}/answers",
        json={"answers": {"dietary": "Vegan", "topics": ["Climate", "Local finance"], "interpretation": True}},
    )
    assert response.status_code == 200, response.text
    expected = {"dietary": "Vegan", "topics": ["Climate", "Local finance"], "interpretation": True}
    assert response.json()["answers"] == expected
    assert (await client.get(f"/api/registrations/{token}")).json()["answers"] == expected
    assert (await stored_answers())[0] == expected
    assert await sql.fetchval("SELECT count(*) FROM outbox_message WHERE kind <> 'registration_confirmed'") == 0


async def test_a_missing_required_answer_is_refused_and_changes_nothing(client, organizer):
    _, token = await registered(client, organizer)
    before = await stored_answers()
    response = await client.put(f"/api/registrations/{token}/answers", json={"answers": {"topics": ["Climate"]}})
    assert response.status_code == 422
    assert [(e["field"], e["message"]) for e in response.json()["errors"]] == [
        ("answers.dietary", "'Dietary needs' is required")
    ]
    assert await stored_answers() == before


async def test_invalid_answers_are_each_named_and_change_nothing(client, organizer):
    _, token = await registered(client, organizer)
    before = await stored_answers()
    response = await client.put(
        f"/api/registrations/{token}/answers",
        json={
            "answers": {
                "dietary": "Carnivore",
                "topics": ["Climate", "Sailing"],
                "arrival": "next Tuesday",
                "shoe_size": "42",
            }
        },
    )
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == [
        "answers.arrival",
        "answers.dietary",
        "answers.shoe_size",
        "answers.topics",
    ]
    assert next(e["message"] for e in response.json()["errors"] if e["field"] == "answers.dietary") == (
        "must be one of: None, Vegetarian, Vegan"
    )
    assert await stored_answers() == before


async def test_a_cancelled_registration_cannot_change_its_answers(client, organizer):
    _, token = await registered(client, organizer)
    assert (await client.delete(f"/api/registrations/{token}")).status_code == 200
    before = await stored_answers()
    response = await client.put(f"/api/registrations/{token}/answers", json={"answers": {"dietary": "Vegan"}})
    assert response.status_code == 409
    assert response.json()["errors"] == [
        {"field": "status", "message": "this registration is cancelled; its answers can no longer be changed"}
    ]
    assert await stored_answers() == before


async def test_unknown_token_and_malformed_body_are_refused(client, organizer):
    _, token = await registered(client, organizer)
    unknown = await client.put("/api/registrations/not-a-real-token-value/answers", json={"answers": {}})
    assert unknown.status_code == 404
    not_a_map = await client.put(f"/api/registrations/{token}/answers", json={"answers": ["Vegan"]})
    assert (not_a_map.status_code, not_a_map.json()["errors"][0]["field"]) == (422, "answers")
    missing = await client.put(f"/api/registrations/{token}/answers", json={})
    assert (missing.status_code, missing.json()["errors"][0]["field"]) == (422, "answers")


# --------------------------------------------------------------------------- the manage page's form


async def test_manage_page_links_the_answer_form_filled_with_the_current_answers(client, organizer):
    _, token = await registered(client, organizer)
    manage = await client.get(f"/manage/{token}")
    assert f'href="/manage/{token}/answers"' in manage.text and "Vegetarian" in manage.text
    form = await client.get(f"/manage/{token}/answers")
    assert form.status_code == 200
    assert 'name="answers.dietary" value="Vegetarian" checked' in form.text
    assert 'name="answers.topics[]" value="Housing" checked' in form.text
    assert 'name="answers.topics[]" value="Climate">' in form.text
    assert 'name="answers.arrival" type="date" value="2026-10-05"' in form.text


async def test_answer_form_shows_errors_next_to_the_field_and_keeps_input(client, organizer):
    _, token = await registered(client, organizer)
    before = await stored_answers()
    url = f"/manage/{token}/answers"
    response = await client.post(
        url,
        data={
            "_csrf_token": await csrf(client, url),
            "answers.topics[]": ["Climate", "Local finance"],
            "answers.interpretation": "yes",
            "answers.arrival": "2026-13-40",
        },
    )
    assert response.status_code == 422
    assert 'id="f-answers-dietary-error"' in response.text and "This question needs an answer." in response.text
    assert 'id="f-answers-arrival-error"' in response.text
    assert 'href="#f-answers-dietary"' in response.text  # the summary links to the field
    assert 'name="answers.topics[]" value="Climate" checked' in response.text  # input kept
    assert 'name="answers.topics[]" value="Local finance" checked' in response.text
    assert 'name="answers.interpretation" value="yes" checked' in response.text
    assert 'value="2026-13-40"' in response.text
    assert await stored_answers() == before


async def test_answer_form_saves_and_returns_to_the_manage_page(client, organizer):
    _, token = await registered(client, organizer)
    url = f"/manage/{token}/answers"
    response = await client.post(
        url, data={"_csrf_token": await csrf(client, url), "answers.dietary": "Vegan", "answers.interpretation": "no"}
    )
    assert (response.status_code, response.headers["location"]) == (303, f"/manage/{token}?done=answers-saved#answers")
    assert (await stored_answers())[0] == {"dietary": "Vegan", "interpretation": False}
    manage = await client.get(response.headers["location"])
    assert "Your answers are saved." in manage.text and "Vegan" in manage.text


async def test_answer_form_of_a_cancelled_registration_is_refused(client, organizer):
    _, token = await registered(client, organizer)
    url = f"/manage/{token}/answers"
    token_value = await csrf(client, url)
    await client.delete(f"/api/registrations/{token}")
    shown = await client.get(url)
    assert "can no longer be changed" in shown.text and TOKEN_RE.search(shown.text) is None  # no form
    manage = await client.get(f"/manage/{token}")
    assert f'href="/manage/{token}/answers"' not in manage.text
    response = await client.post(url, data={"_csrf_token": token_value, "answers.dietary": "Vegan"})
    assert response.status_code == 409
    assert "This registration is cancelled: its answers can no longer be changed." in response.text
    assert (await stored_answers())[0] == FIRST


async def test_answer_form_needs_the_csrf_token(client, organizer):
    _, token = await registered(client, organizer)
    await client.get(f"/manage/{token}/answers")
    response = await client.post(f"/manage/{token}/answers", data={"answers.dietary": "Vegan"})
    assert response.status_code == 403
    assert (await stored_answers())[0] == FIRST
