"""Bad input on the pages' forms, in English and in Spanish: every refused form comes back (never an error page
without the input, never a 500) with what was typed, and its errors say the problem in words for people, in the
page's language: no field names (`organization_id`), routes, `null`, Python reprs (`'abc'`), codes to choose from
or the API's formats (`2026-10-06T09:30`, IANA, ISO 3166)."""

from __future__ import annotations

import html
import re

import pytest

from events_app.domain.text import LINE_MESSAGE, TEXT_MESSAGE
from events_app.web.errors import PAGE_UNSTORABLE
from events_app.web.pages import wording
from events_app.web.pages.i18n import translate
from events_app.web.pages.wording import PageText
from tests.agenda_fixtures import congress
from tests.integration.web.test_meetings_api import create_series, organization, project_with_cohort
from tests.integration.web.test_pages import TOKEN_RE, page_login
from tests.integration.web.test_series_editing_pages import SECOND, shown_form

API = re.compile(
    r"\b[a-z]+_[a-z_]+\b|/api/|\b(?:GET|POST|PATCH|PUT|DELETE) |\bnull\b|\btrue\b|\bfalse\b|\bNone\b|'[^']*'"
    r"|must be one of|[\[\]{}]|\d{8}T\d{6}Z|\d{4}-\d\d-\d\dT\d\d|ISO 3166|IANA|UNTIL"
)
ERROR_ELEMENT = re.compile(r'<(p|li)[^>]*(?:class="error-message"|role="alert")[^>]*>(.*?)</\1>', re.S)
SUMMARY = re.compile(r'<div class="error-summary".*?<ul>(.*?)</ul>', re.S)
ZONE = "Mars/Olympus"


def in_language(language: str, text: str) -> str:
    """A text as the page shows it: translated, with the values of a PageText (themselves translated) filled in."""
    if isinstance(text, PageText):
        values = {k: in_language(language, v) if isinstance(v, PageText) else v for k, v in text.values.items()}
        return translate(language, text.template, **values)
    return translate(language, text)


def shown_errors(page: str) -> list[str]:
    """The error texts a person reads: field messages, alerts and the summary's items."""
    parts = [body for _, body in ERROR_ELEMENT.findall(page)]
    for items in SUMMARY.findall(page):
        parts += re.findall(r"<li>(.*?)</li>", items, re.S)
    texts = [html.unescape(re.sub(r"<[^>]+>", " ", part)) for part in parts]
    return [" ".join(t.replace("Error:", "").replace("Error :", "").split()) for t in texts if t.strip()]


async def world(client, organizer) -> dict:
    c = await congress(client, organizer)
    project = await project_with_cohort(client, organizer)
    series = await create_series(client, organizer, project["id"])
    registered = await client.post(
        f"{c['base']}/registrations",
        json={"email": "jiwon.park@example.org", "name": "Ji-won Park", "category": "delegate", "consent": True},
    )
    assert registered.status_code == 201, registered.text
    await client.post(
        f"{c['base']}/questions",
        headers=organizer,
        json={"code": "position", "label": "Position", "kind": "short_text", "required": True},
    )
    await page_login(client)
    e = f"/organizer/events/{c['id']}"
    return {"c": c, "e": e, "series": series, "registration": registered.json(), "project": project}


EVENT_FORM = {
    "title": "Forum on Urban Heat",
    "kind": "forum",
    "timezone": "Europe/Berlin",
    "starts_at": "2027-05-01T09:00",
    "ends_at": "2027-05-02T17:00",
    "waitlist_mode": "auto",
    "offer_hours": "48",
    "update_delay_minutes": "10",
    "reminder_hours": "24",
}


async def case_form(client, w: dict, case: str) -> tuple[str, str, dict, list[str], str]:
    """(page with the form, where it posts, the fields, the English texts that must show, a typed value kept)."""
    e, series = w["e"], w["series"]
    s = f"/coordinator/series/{series['id']}"
    if case == "event-new-unknown-zone-country-negative-capacity":
        data = {**EVENT_FORM, "timezone": ZONE, "country": "ZZ", "capacity": "-1"}
        texts = [
            "Choose a time zone from the list (type a city to search).",
            "Choose a country from the list.",
            "must be at least 1; leave it empty for no limit",
        ]
        return "/organizer/events/new", "/organizer/events/new", data, texts, "Forum on Urban Heat"
    if case == "event-new-without-dates":
        data = {**EVENT_FORM, "starts_at": "", "ends_at": ""}
        return "/organizer/events/new", "/organizer/events/new", data, ["must not be empty"], "Forum on Urban Heat"
    if case == "event-edit-blank-start-and-unreadable-end":
        data = {"title": "Congress renamed", "starts_at": "", "ends_at": "1 November"}
        texts = ["must not be empty", "must be a date and time, e.g. 2026-10-06 09:30"]
        return e, e, data, texts, "Congress renamed"
    if case == "event-edit-number-beyond-storage":
        data = {"title": "Congress renamed", "capacity": "99999999999999999999"}
        return e, e, data, [PAGE_UNSTORABLE], "Congress renamed"
    if case == "category-bad-code-negative-quota":
        data = {"code": "Press Team", "name": "Press", "quota": "-1", "eligibility": "anyone"}
        texts = [
            "Use 1 to 40 lower-case letters (a-z), digits, hyphens or underscores, without spaces.",
            "must be 0 or more; leave it empty for no limit",
        ]
        return e, f"{e}/categories", data, texts, "Press Team"
    if case == "question-options-on-a-text-question":
        data = {"code": "Diet Needs", "label": "Dietary needs", "kind": "short_text", "options": "Vegan\nHalal"}
        texts = [
            "Use 1 to 40 lower-case letters (a-z), digits or underscores, without spaces.",
            "Only questions with choices have options: choose “One choice” or “Several choices”, or leave the "
            "options empty.",
        ]
        return e, f"{e}/questions", data, texts, "Dietary needs"
    if case == "access-code-short-unknown-category-no-uses":
        data = {"code.code": "ab", "code.category": "nobody", "code.max_uses": "0", "code.expires_at": ""}
        texts = ["Use 4 to 40 letters, digits or hyphens, without spaces.", "Choose a category from the list."]
        return f"{e}/invitations", f"{e}/access-codes", data, texts, "ab"
    if case == "delegation-unknown-category":
        org = await organization("Municipality of Quito", "EC")
        data = {
            "organization_id": str(org),
            "category": "nobody",
            "seats": "3",
            "head_name": "Lucía Andrade",
            "head_email": "lucia.andrade@quito.example",
            "head_language": "es",
        }
        return f"{e}/delegations", f"{e}/delegations", data, ["Choose a category from the list."], "Lucía Andrade"
    if case == "registration-unanswered-question-unknown-zone":
        data = {
            "name": "Ana Souza",
            "email": "ana.souza@curitiba.example",
            "category": "delegate",
            "consent": "on",
            "language": "en",
            "timezone": ZONE,
            "answers.position": "",
        }
        texts = [
            "This question needs an answer.",
            "Choose a time zone from the list (type a city to search), or leave it empty.",
        ]
        register = f"/events/{w['c']['id']}/register"
        return register, register, data, texts, "Ana Souza"
    if case == "series-edit-unknown-zone":
        data = {**shown_form(series), "title": "Clean air, monthly", "timezone": ZONE}
        return (
            f"{s}/edit",
            f"{s}/edit",
            data,
            ["Choose a time zone from the list (type a city to search)."],
            ("Clean air, monthly"),
        )
    if case == "series-edit-agenda-item-control-character":
        data = {**shown_form(series), "title": "Clean air, monthly", "agenda": "Round\x01of cities | 30"}
        texts = [PageText("item {number}: {problem}", number=1, problem=PageText(LINE_MESSAGE))]
        return f"{s}/edit", f"{s}/edit", data, texts, "Clean air, monthly"
    if case == "series-edit-hybrid-without-location":
        data = {**shown_form(series), "title": "Clean air, monthly", "mode": "hybrid", "location": ""}
        texts = ["A meeting held in person needs a location."]
        return f"{s}/edit", f"{s}/edit", data, texts, "Clean air, monthly"
    if case == "minutes-with-control-character-are-kept":
        data = {"minutes": "Agreed to share the sensor data\x01"}
        page_url = f"{s}/occurrences/{SECOND}"
        return page_url, f"{page_url}/minutes", data, [TEXT_MESSAGE], "Agreed to share the sensor data"
    if case == "occurrence-move-nothing-changed":
        occurrence = (await client.get(f"{s}/occurrences/{SECOND}")).text
        data = {
            name: re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', occurrence).group(1)
            for name in ("move.starts_at", "move.ends_at")
        }
        texts = ["Nothing changed: change the time or the place first."]
        return f"{s}/occurrences/{SECOND}", f"{s}/occurrences/{SECOND}/move", data, texts, data["move.starts_at"]
    if case == "action-owner-not-invited":
        data = {"title": "Send the sensor data", "owner_person_id": "999999", "due_date": ""}
        texts = ["Choose the person responsible among the people invited to this series."]
        return f"{s}/occurrences/{SECOND}", f"{s}/occurrences/{SECOND}/actions", data, texts, ""
    if case == "password-change-wrong-current":
        data = {"current_password": "not the password", "new_password": "a long enough new passphrase here"}
        return "/organizer/password", "/organizer/password", data, ["is not your current password"], ""
    if case == "room-edit-negative-seats-keeps-typed-name":
        room = w["c"]["rooms"][0]["id"]
        data = {"name": "Plenary Hall East", "capacity": "-1"}
        texts = ["must be 0 or more; leave it empty when unknown"]
        return f"{e}/agenda", f"{e}/agenda/rooms/{room}", data, texts, "Plenary Hall East"
    if case == "category-edit-below-taken-seats-keeps-typed-name":
        category = re.search(rf'action="{e}/categories/(\d+)"', (await client.get(e)).text).group(1)
        data = {"name": "Delegates of cities", "quota": "0", "eligibility": "anyone"}
        taken = "Seats already taken: {taken}. Choose at least that many, or cancel registrations first."
        return e, f"{e}/categories/{category}", data, [PageText(taken, taken="1")], "Delegates of cities"
    if case == "room-beyond-storage-keeps-its-name":
        data = {"name": "Room of the Mayors", "capacity": "99999999999999999999"}
        return f"{e}/agenda", f"{e}/agenda/rooms", data, [PAGE_UNSTORABLE], "Room of the Mayors"
    raise AssertionError(case)


CASES = [
    "event-new-unknown-zone-country-negative-capacity",
    "event-new-without-dates",
    "event-edit-blank-start-and-unreadable-end",
    "event-edit-number-beyond-storage",
    "category-bad-code-negative-quota",
    "question-options-on-a-text-question",
    "access-code-short-unknown-category-no-uses",
    "delegation-unknown-category",
    "registration-unanswered-question-unknown-zone",
    "series-edit-unknown-zone",
    "series-edit-agenda-item-control-character",
    "series-edit-hybrid-without-location",
    "minutes-with-control-character-are-kept",
    "occurrence-move-nothing-changed",
    "action-owner-not-invited",
    "password-change-wrong-current",
    "room-beyond-storage-keeps-its-name",
    "room-edit-negative-seats-keeps-typed-name",
    "category-edit-below-taken-seats-keeps-typed-name",
]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("case", CASES)
async def test_a_refused_form_speaks_to_people_in_their_language(client, organizer, case, language):
    w = await world(client, organizer)
    client.cookies.set("lang", language)
    form_page, action, data, english, kept = await case_form(client, w, case)
    opened = await client.get(form_page)
    assert opened.status_code == 200, form_page
    token = TOKEN_RE.search(opened.text).group(1)

    refused = await client.post(action, data={"_csrf_token": token, **data})

    assert refused.status_code in (400, 409, 422), (refused.status_code, refused.text[:500])
    shown = shown_errors(refused.text)
    expected = [in_language(language, text) for text in english]
    assert [t for t in expected if not any(t in s for s in shown)] == [], shown
    assert [s for s in shown if API.search(s)] == []
    if language == "es":
        assert [s for s in shown for text in english if text in s and in_language("es", text) != text] == []
    if kept:
        assert html.escape(kept, quote=True) in refused.text


@pytest.mark.parametrize("language", ["en", "es"])
async def test_a_second_cancel_of_a_registration_says_so_in_words(client, organizer, language):
    w = await world(client, organizer)
    client.cookies.set("lang", language)
    registrations = f"{w['e']}/registrations"
    action = f"{registrations}/{w['registration']['id']}/cancel"
    for expected_status in (303, 409):
        token = TOKEN_RE.search((await client.get(registrations)).text).group(1)
        answer = await client.post(action, data={"_csrf_token": token, "back": registrations})
        assert answer.status_code == expected_status
    shown = shown_errors(answer.text)
    assert shown == [translate(language, "This registration is already cancelled.")]
    assert language == "en" or shown == ["Esta inscripción ya está cancelada."]


def test_spanish_texts_of_the_new_rules_read_as_spanish():
    assert translate("es", "Choose a time zone from the list (type a city to search).") == (
        "Elija una zona horaria de la lista (escriba una ciudad para buscar)."
    )
    assert translate("es", "must be at most {count} characters", count=200) == "debe tener como máximo 200 caracteres"
    assert translate("es", "Nothing changed: change the time or the place first.") == (
        "No cambió nada: cambie antes la hora o el lugar."
    )


# Service messages as the API words them, each with a name for its test id: pages show none of them as they are.
SERVICE_MESSAGES = {
    "unknown-category": "unknown category 'press' in this event: choose one of delegate, speaker",
    "unknown-country": "unknown country code 'ZZ': use ISO 3166 alpha-2, e.g. 'KR'",
    "unknown-zone": "unknown time zone 'Bonn': use an IANA name such as 'Europe/Berlin' or 'America/Sao_Paulo'",
    "unknown-zone-optional": "unknown time zone 'x': use an IANA name such as 'Asia/Seoul', or leave it empty",
    "waitlist-mode": "must be 'auto' (promote at once) or 'offer' (time-limited offer)",
    "quota-null": "must be 0 or more, or null for no limit",
    "capacity-null": "must be at least 1, or null for no event-wide limit",
    "seats-taken": "12 seats are already taken; choose at least 12, or cancel registrations first",
    "reminders-json": "give at most 5 whole numbers of hours between 1 and 720, e.g. [24, 2]",
    "question-code": "use 1-40 lower-case letters, digits or '_', e.g. 'dietary_needs'",
    "category-code": "use 1-40 lower-case letters, digits, '-' or '_', e.g. 'delegate'",
    "options-kinds": "only single_choice and multiple_choice questions have options",
    "required-answer": "'Your position' is required",
    "text-length": "must be text of at most 200 characters",
    "registration-status": "this registration is already rejected",
    "approve-status": "only pending registrations can be approved; this one is confirmed",
    "move-status": "a cancelled registration cannot be moved",
    "ticket-status": "a pending registration has no ticket",
    "checkin-code": "send the scanned code, or the registration_id found by name",
    "category-full": "category 'press' is full (20 seats)",
    "question-code-taken": "question code 'diet' is already used in this event",
    "occurrence-cancelled": "occurrence 20270302T130000Z is already cancelled",
    "one-off": "this is a one-off meeting: change it with PATCH /api/meeting-series/{id} or cancel it with POST "
    "/api/meeting-series/{id}/cancel",
    "records-lost": "occurrences 20270302T130000Z have minutes, attendance or actions and would disappear with this "
    "change of time or rule; end this series with UNTIL and create a new one",
    "hosts": "organizations [17] are not in the cohort: hosts rotate among cohort organizations",
    "cohort-member": "this organization is already in the cohort; add contacts with POST /api/projects/{id}/contacts",
    "office": "no office has this id: see GET /api/admin/offices",
    "translation-language": "choose one of es, fr",
}


@pytest.mark.parametrize("message", list(SERVICE_MESSAGES.values()), ids=list(SERVICE_MESSAGES))
def test_service_messages_reach_pages_in_words_in_each_language(message):
    english, spanish = (in_language(language, wording.human(message)) for language in ("en", "es"))
    assert API.search(english) is None and API.search(spanish) is None, (english, spanish)
    assert spanish != english
