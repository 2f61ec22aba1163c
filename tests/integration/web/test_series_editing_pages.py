"""The coordinator's pages change a meeting series against PostgreSQL: the whole series, one occurrence moved or
cancelled, the series cancelled after a confirm step. Each writes the same outbox messages (kind, method,
SEQUENCE, one per invitee) as the API path; bad input and refused changes send nothing. Last, every page added
with them (here and for delegates and organizers) renders in Spanish."""

from __future__ import annotations

from events_app.db import sql
from tests.fixtures import login
from tests.integration.web.test_meetings_api import CONTACTS, create_series, outbox_rows, project_with_cohort, snapshot
from tests.integration.web.test_pages import TOKEN_RE, csrf, page_login

INVITEES = sorted(email for _, people in CONTACTS.values() for email, *_ in people)
SECOND = "20270302T130000Z"  # the series' second occurrence: Tuesday 2 March 2027, 14:00 in Berlin


async def series_with_cohort(client, organizer, **overrides) -> dict:
    project = await project_with_cohort(client, organizer)
    series = await create_series(client, organizer, project["id"], **overrides)
    await page_login(client)
    return series


def shown_form(series: dict) -> dict:
    """The edit form's fields exactly as the page fills them in."""
    return {
        "title": series["title"],
        "description": "",
        "mode": series["mode"],
        "timezone": series["timezone"],
        "start": "2027-02-02T14:00",
        "duration_minutes": str(series["duration_minutes"]),
        "rrule": series["rrule"],
        "location": series["location"],
        "online_url": series["online_url"],
        "agenda": "Round of cities | 30\nSensor data |  | Lund",
    }


async def new_rows(before: int) -> list[tuple]:
    """Outbox rows written since `before` rows existed, as (kind, method, sequence) per recipient, sorted."""
    return sorted(
        (kind, method, sequence, recipient) for kind, recipient, method, sequence in (await outbox_rows())[before:]
    )


def for_everyone(kind: str, method: str, sequence: int) -> list[tuple]:
    return [(kind, method, sequence, email) for email in INVITEES]


async def test_edit_form_shows_the_series_as_stored(client, organizer):
    series = await series_with_cohort(client, organizer)
    form = await client.get(f"/coordinator/series/{series['id']}/edit")
    assert form.status_code == 200
    assert 'name="start" type="datetime-local" value="2027-02-02T14:00"' in form.text
    # the stored FREQ=MONTHLY;UNTIL=...;BYDAY=1TU, in the builder's words: monthly, the first Tuesday, until a date
    assert 'name="repeat" value="monthly" checked' in form.text
    assert (
        '<option value="1" selected>first</option>' in form.text and '<option value="TU" selected>Tuesday' in form.text
    )
    assert 'name="repeat_until" type="date" value="2027-12-31"' in form.text
    assert "Round of cities | 30\nSensor data |  | Lund</textarea>" in form.text
    assert '<option value="hybrid" selected>' in form.text
    page = await client.get(f"/coordinator/series/{series['id']}")
    assert f'href="/coordinator/series/{series["id"]}/edit"' in page.text
    assert "Every month on the first Tuesday, until 31 December 2027" in page.text
    assert f'href="/coordinator/series/{series["id"]}/cancel"' in page.text


async def test_saving_the_form_unchanged_sends_nothing(client, organizer):
    series = await series_with_cohort(client, organizer)
    url = f"/coordinator/series/{series['id']}/edit"
    before = await snapshot()
    response = await client.post(url, data={"_csrf_token": await csrf(client, url), **shown_form(series)})
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/coordinator/series/{series['id']}?done=unchanged",
    )
    assert await snapshot() == before


async def test_changing_the_series_sends_everyone_the_same_update_as_the_api(client, organizer):
    series = await series_with_cohort(client, organizer)
    url = f"/coordinator/series/{series['id']}/edit"
    sent = len(await outbox_rows())
    response = await client.post(
        url,
        data={
            "_csrf_token": await csrf(client, url),
            **shown_form(series),
            "start": "2027-02-02T15:00",
            "title": "Clean Air Pilot: monthly call (new time)",
            "agenda": "Round of cities | 20\n\nSensor data | 40 | Lund\nNext steps",
        },
    )
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/coordinator/series/{series['id']}?done=series-updated",
    )
    assert await new_rows(sent) == for_everyone("meeting_invitation", "REQUEST", 1)
    changed = (await client.get(f"/api/meeting-series/{series['id']}", headers=organizer)).json()
    assert (changed["title"], changed["start"], changed["calendar_sequence"]) == (
        "Clean Air Pilot: monthly call (new time)",
        "2027-02-02T15:00:00+01:00",
        1,
    )
    assert changed["agenda"] == [
        {"title": "Round of cities", "duration_minutes": 20, "presenter": ""},
        {"title": "Sensor data", "duration_minutes": 40, "presenter": "Lund"},
        {"title": "Next steps", "duration_minutes": None, "presenter": ""},
    ]
    assert await sql.fetchval("SELECT count(*) FROM audit_log WHERE action = 'series.update'") == 1
    page = await client.get(response.headers["location"])
    assert "The series is changed; every invitee receives the updated invitation." in page.text


async def test_bad_series_input_shows_every_problem_next_to_its_field_and_sends_nothing(client, organizer):
    series = await series_with_cohort(client, organizer)
    url = f"/coordinator/series/{series['id']}/edit"
    before = await snapshot()
    response = await client.post(
        url,
        data={
            "_csrf_token": await csrf(client, url),
            **shown_form(series),
            "title": " ",
            "duration_minutes": "ninety",
            "online_url": "meet.example.org/clean-air",
            "agenda": "Round of cities | half an hour",
        },
    )
    assert response.status_code == 422
    for field in ("title", "duration_minutes", "online_url", "agenda"):
        assert f'id="f-{field}-error"' in response.text, field
    assert "line 1: the minutes must be a whole number" in response.text
    assert 'value="ninety"' in response.text and "Round of cities | half an hour</textarea>" in response.text
    refused = await client.post(
        url,
        data={
            "_csrf_token": TOKEN_RE.search(response.text).group(1),
            **shown_form(series),
            "rrule": "FREQ=MONTHLY;BYDAY=1TU;BYHOUR=9",
        },
    )
    assert refused.status_code == 422 and 'id="f-rrule-error"' in refused.text
    assert await snapshot() == before


async def test_a_change_that_would_lose_minutes_is_refused_next_to_the_rule(client, organizer):
    series = await series_with_cohort(client, organizer)
    await client.put(
        f"/api/meeting-series/{series['id']}/occurrences/20270202T130000Z/minutes",
        headers=organizer,
        json={"minutes": "Kick-off"},
    )
    url = f"/coordinator/series/{series['id']}/edit"
    before = await snapshot()
    response = await client.post(
        url, data={"_csrf_token": await csrf(client, url), **shown_form(series), "start": "2027-02-02T16:00"}
    )
    assert response.status_code == 409
    assert 'id="f-rrule-error"' in response.text and "would disappear" in response.text
    assert await snapshot() == before


async def test_moving_one_meeting_tells_everyone_like_the_api(client, organizer):
    series = await series_with_cohort(client, organizer)
    url = f"/coordinator/series/{series['id']}/occurrences/{SECOND}"
    page = await client.get(url)
    assert 'name="move.starts_at" type="datetime-local" value="2027-03-02T14:00"' in page.text
    assert 'name="move.ends_at" type="datetime-local" value="2027-03-02T15:30"' in page.text
    sent = len(await outbox_rows())
    token = TOKEN_RE.search(page.text).group(1)
    response = await client.post(
        f"{url}/move",
        data={
            "_csrf_token": token,
            "move.starts_at": "2027-03-03T10:00",
            "move.ends_at": "2027-03-02T15:30",
            "move.location": "Bonn City Hall",
            "move.online_url": series["online_url"],
        },
    )
    assert (response.status_code, response.headers["location"]) == (303, f"{url}?done=occurrence-moved#change")
    assert await new_rows(sent) == for_everyone("meeting_occurrence_changed", "REQUEST", 1)
    moved = (await client.get(f"/api/meeting-series/{series['id']}/occurrences/{SECOND}", headers=organizer)).json()
    assert (moved["status"], moved["starts_at"], moved["ends_at"], moved["location"]) == (
        "moved",
        "2027-03-03T10:00:00+01:00",
        "2027-03-03T11:30:00+01:00",
        "Bonn City Hall",
    )


async def test_moving_one_meeting_into_another_or_to_nowhere_is_refused(client, organizer):
    series = await series_with_cohort(client, organizer)
    url = f"/coordinator/series/{series['id']}/occurrences/{SECOND}"
    token = await csrf(client, url)
    before = await snapshot()
    unchanged = await client.post(
        f"{url}/move",
        data={
            "_csrf_token": token,
            "move.starts_at": "2027-03-02T14:00",
            "move.ends_at": "2027-03-02T15:30",
            "move.location": series["location"],
            "move.online_url": series["online_url"],
        },
    )
    assert unchanged.status_code == 422 and "Nothing changed" in unchanged.text
    overlap = await client.post(
        f"{url}/move",
        data={"_csrf_token": token, "move.starts_at": "2027-04-06T14:30", "move.ends_at": "2027-04-06T16:00"},
    )
    assert overlap.status_code == 422
    assert 'id="f-move-starts_at-error"' in overlap.text and "overlaps occurrence" in overlap.text
    assert 'value="2027-04-06T14:30"' in overlap.text  # input kept
    backwards = await client.post(
        f"{url}/move",
        data={"_csrf_token": token, "move.starts_at": "2027-03-02T14:00", "move.ends_at": "2027-03-02T13:00"},
    )
    assert backwards.status_code == 422 and 'id="f-move-ends_at-error"' in backwards.text
    assert await snapshot() == before


async def test_cancelling_one_meeting_asks_first_then_tells_everyone(client, organizer):
    series = await series_with_cohort(client, organizer)
    url = f"/coordinator/series/{series['id']}/occurrences/{SECOND}/cancel"
    confirm = await client.get(url)
    assert confirm.status_code == 200 and "Yes, cancel this meeting" in confirm.text
    sent = len(await outbox_rows())
    response = await client.post(url, data={"_csrf_token": TOKEN_RE.search(confirm.text).group(1)})
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/coordinator/series/{series['id']}?done=occurrence-cancelled",
    )
    assert await new_rows(sent) == for_everyone("meeting_occurrence_cancelled", "CANCEL", 1)
    again = await client.post(url, data={"_csrf_token": TOKEN_RE.search(confirm.text).group(1)})
    assert again.status_code == 409 and "already cancelled" in again.text
    assert len(await outbox_rows()) == sent + len(INVITEES)


async def test_cancelling_the_series_asks_first_then_tells_everyone(client, organizer):
    series = await series_with_cohort(client, organizer)
    url = f"/coordinator/series/{series['id']}/cancel"
    confirm = await client.get(url)
    assert confirm.status_code == 200 and "Yes, cancel the whole series" in confirm.text
    token = TOKEN_RE.search(confirm.text).group(1)
    sent = len(await outbox_rows())
    response = await client.post(url, data={"_csrf_token": token})
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/coordinator/series/{series['id']}?done=series-cancelled",
    )
    assert await new_rows(sent) == for_everyone("meeting_series_cancelled", "CANCEL", 1)
    page = await client.get(f"/coordinator/series/{series['id']}")
    assert "badge-cancelled" in page.text and f'/coordinator/series/{series["id"]}/edit"' not in page.text
    edit = f"/coordinator/series/{series['id']}/edit"
    assert "it can no longer be changed" in (await client.get(edit)).text
    before = await snapshot()
    refused = await client.post(edit, data={"_csrf_token": token, **shown_form(series), "start": "2027-02-02T15:00"})
    assert refused.status_code == 409 and "This series is cancelled and can no longer be changed" in refused.text
    assert (await client.post(url, data={"_csrf_token": token})).status_code == 409
    assert await snapshot() == before


async def test_a_single_meeting_has_no_per_occurrence_changes(client, organizer):
    series = await series_with_cohort(client, organizer, rrule=None)
    [only] = (await client.get(f"/api/meeting-series/{series['id']}/occurrences", headers=organizer)).json()
    page = await client.get(f"/coordinator/series/{series['id']}/occurrences/{only['id']}")
    assert page.status_code == 200 and "/move" not in page.text
    assert "Move or cancel" not in (await client.get(f"/coordinator/series/{series['id']}")).text


async def test_another_coordinator_cannot_open_or_change_the_series(client, organizer):
    series = await series_with_cohort(client, organizer)
    await login(client, "someone.else@example.org")
    await page_login(client, "someone.else@example.org")
    for url in (
        f"/coordinator/series/{series['id']}/edit",
        f"/coordinator/series/{series['id']}/cancel",
        f"/coordinator/series/{series['id']}/occurrences/{SECOND}/cancel",
    ):
        assert (await client.get(url)).status_code == 403, url
    token = await csrf(client, "/coordinator")
    before = await snapshot()
    response = await client.post(f"/coordinator/series/{series['id']}/cancel", data={"_csrf_token": token})
    assert response.status_code == 403
    assert await snapshot() == before


async def test_every_new_page_renders_in_spanish(client, organizer):
    from tests.integration.web.test_answer_editing import registered

    series = await series_with_cohort(client, organizer)
    event, token = await registered(client, organizer)
    client.cookies.set("lang", "es")
    pages = {
        f"/coordinator/series/{series['id']}/edit": "Cambiar la serie",
        f"/coordinator/series/{series['id']}/cancel": "Sí, cancelar toda la serie",
        f"/coordinator/series/{series['id']}/occurrences/{SECOND}": "Mover o cambiar esta reunión",
        f"/coordinator/series/{series['id']}/occurrences/{SECOND}/cancel": "Sí, cancelar esta reunión",
        f"/organizer/events/{event['id']}/agenda/changes": "Cambios del programa",
        f"/organizer/events/{event['id']}/invitations": "Invitaciones y códigos de acceso",
        f"/organizer/events/{event['id']}/delegations": "Dar una delegación a una organización",
        f"/manage/{token}/answers": "Cambiar sus respuestas",
    }
    for url, text in pages.items():
        response = await client.get(url)
        assert (response.status_code, '<html lang="es">' in response.text, text in response.text) == (
            200,
            True,
            True,
        ), url


async def test_the_project_page_creates_a_series_or_shows_what_to_fix(client, organizer):
    project = await project_with_cohort(client, organizer)
    await page_login(client)
    url = f"/coordinator/projects/{project['id']}"
    form = {
        "title": "Monthly sync",
        "mode": "online",
        "timezone": "Europe/Berlin",
        "start": "2027-04-06T14:00",
        "duration_minutes": "60",
        "rrule": "FREQ=MONTHLY;BYDAY=1TU;COUNT=3",
        "description": "",
        "location": "",
        "online_url": "https://meet.example.org/sync",
    }
    before = await snapshot()
    bad = await client.post(
        f"{url}/series",
        data={"_csrf_token": await csrf(client, url), **form, "start": "next Tuesday", "duration_minutes": "an hour"},
    )
    assert bad.status_code == 422
    for field in ("start", "duration_minutes"):
        assert f'id="f-series-{field}-error"' in bad.text, field
    assert 'value="next Tuesday"' in bad.text
    assert await snapshot() == before
    before_rows = await outbox_rows()
    created = await client.post(f"{url}/series", data={"_csrf_token": await csrf(client, url), **form})
    assert created.status_code == 303
    series_id = int(created.headers["location"].split("/")[3].split("?")[0])
    stored = await sql.fetchrow("SELECT title, duration_minutes, rrule FROM meeting_series WHERE id = $1", series_id)
    assert dict(stored) == {"title": "Monthly sync", "duration_minutes": 60, "rrule": "FREQ=MONTHLY;COUNT=3;BYDAY=1TU"}
    invites = (await outbox_rows())[len(before_rows) :]
    assert sorted((recipient, method) for _, recipient, method, _ in invites) == [(e, "REQUEST") for e in INVITEES]


async def test_series_created_with_the_recurrence_builder(client, organizer):
    series = await series_with_cohort(client, organizer)
    project_id = series["project_id"]
    token = await csrf(client, f"/coordinator/projects/{project_id}")
    created = await client.post(
        f"/coordinator/projects/{project_id}/series",
        data={
            "_csrf_token": token,
            "title": "Monthly data clinic",
            "mode": "online",
            "online_url": "https://meet.example.org/clinic",
            "timezone": "America/Sao_Paulo",
            "start": "2027-03-09T10:00",
            "duration_minutes": "60",
            "repeat": "monthly",
            "repeat_interval": "1",
            "repeat_nth": "2",
            "repeat_weekday": "TU",
            "repeat_end": "count",
            "repeat_count": "6",
        },
    )
    assert created.status_code == 303, created.text
    new_id = created.headers["location"].split("/")[3].split("?")[0]
    stored = (await client.get(f"/api/meeting-series/{new_id}", headers=organizer)).json()
    assert stored["rrule"] == "FREQ=MONTHLY;COUNT=6;BYDAY=2TU" or set(stored["rrule"].split(";")) == {
        "FREQ=MONTHLY",
        "COUNT=6",
        "BYDAY=2TU",
    }
    shown = await client.get(f"/coordinator/series/{new_id}", headers={"accept-language": "es"})
    assert "Cada mes, el segundo martes, 6 veces" in shown.text

    missing_end = await client.post(
        f"/coordinator/projects/{project_id}/series",
        data={
            "_csrf_token": token,
            "title": "Weekly",
            "mode": "online",
            "online_url": "https://meet.example.org/w",
            "timezone": "Europe/Berlin",
            "start": "2027-03-09T10:00",
            "duration_minutes": "60",
            "repeat": "weekly",
            "repeat_end": "count",
            "repeat_count": "",
        },
    )
    assert missing_end.status_code == 422 and "must be a whole number" in missing_end.text
