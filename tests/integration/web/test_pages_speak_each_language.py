"""Every main page, rendered in each language, shows words for people: no stored code (`side_event`,
`short_text`, `in_person`, `NEEDS-ACTION`), no route of the API in its text, and in Spanish none of the English
texts the page is made of (each template text has its translation, and the page shows it)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from events_app.web.pages.i18n import catalog
from tests.agenda_fixtures import add_session, congress
from tests.integration.web.test_meetings_api import create_series, project_with_cohort
from tests.integration.web.test_pages import page_login

CODE = re.compile(r"\b[a-z]+_[a-z_]+\b|\b(?:NEEDS-ACTION|ACCEPTED|DECLINED|TENTATIVE)\b|/api/")
# A question's code is written by the organizer (answers are exported under it): its hint shows one.
ALLOWED = re.compile(r"dietary_needs")


class VisibleText(HTMLParser):
    """The text a person reads: element text and attributes read aloud (alt, aria-label, placeholder, title);
    not scripts, styles, <code> (rules shown as they are) or form values (what people typed)."""

    SKIP = {"script", "style", "code", "textarea", "datalist", "option"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        for name, value in attrs:
            if name in ("alt", "aria-label", "placeholder", "title") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.parts.append(data.strip())


def visible(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.parts


@pytest.mark.parametrize("language", ["en", "es"])
async def test_pages_show_no_codes_and_spanish_pages_no_english(client, organizer, language):
    c = await congress(client, organizer)
    session = await add_session(
        client,
        organizer,
        c,
        kind="side_event",
        people=[{"email": "ana.lima@recife.example.org", "name": "Ana Lima", "role": "moderator"}],
    )
    await client.post(
        f"{c['base']}/questions",
        headers=organizer,
        json={"code": "position", "label": "Position", "kind": "short_text", "required": False},
    )
    project = await project_with_cohort(client, organizer)
    series = await create_series(client, organizer, project["id"])
    registered = await client.post(
        f"{c['base']}/registrations",
        json={"email": "jiwon.park@example.org", "name": "Ji-won Park", "category": "delegate", "consent": True},
    )
    token = registered.json()["manage_token"]
    await page_login(client)
    client.cookies.set("lang", language)
    e = f"/organizer/events/{c['id']}"
    pages = [
        "/",
        f"/events/{c['id']}",
        f"/events/{c['id']}/agenda",
        f"/events/{c['id']}/sessions/{session['id']}",
        f"/events/{c['id']}/register",
        "/organizer",
        e,
        f"{e}/registrations",
        f"{e}/agenda",
        f"{e}/agenda/sessions/{session['id']}",
        f"{e}/agenda/sessions/{session['id']}/cancel",
        f"{e}/agenda/changes",
        f"{e}/updates",
        f"{e}/languages/es",
        f"{e}/invitations",
        f"{e}/delegations",
        f"{e}/deliveries",
        f"{e}/announcements/new",
        f"/manage/{token}",
        f"/coordinator/projects/{project['id']}",
        f"/coordinator/series/{series['id']}",
        f"/coordinator/series/{series['id']}/edit",
    ]
    english = {k for k in catalog("es") if len(k) > 12 and not CODE.search(k)} if language == "es" else set()
    problems = {}
    for url in pages:
        response = await client.get(url)
        assert response.status_code == 200, url
        texts = visible(response.text)
        codes = [t for t in texts if CODE.search(ALLOWED.sub("", t))]
        untranslated = [t for t in texts if t in english and catalog("es")[t] != t]
        if codes or untranslated:
            problems[url] = codes + untranslated
    assert problems == {}
