"""The public programme page (by day, filtered by track and room, now and next) and session pages with speakers."""

import re
from datetime import datetime, timedelta, timezone

from events_app.domain.agenda import now_and_next
from events_app.services.agenda import agenda_publish
from tests.agenda_fixtures import add_session, congress, delegate


async def test_programme_by_day_with_track_and_room_filters(client, organizer):
    c = await congress(client, organizer)
    await add_session(
        client, organizer, c, people=[{"email": "ana.lima@recife.example.org", "name": "Ana Lima", "role": "moderator"}]
    )
    await add_session(
        client,
        organizer,
        c,
        title="Circular procurement lab",
        kind="workshop",
        start="2027-10-30T09:00:00",
        end="2027-10-30T10:30:00",
        room_id=c["rooms"][1]["id"],
        track_id=c["tracks"][1]["id"],
    )
    first_day = await client.get(f"/events/{c['id']}/agenda")
    second_day = await client.get(f"/events/{c['id']}/agenda", params={"day": "2027-10-30"})
    other_track = await client.get(
        f"/events/{c['id']}/agenda", params={"day": "2027-10-30", "track": c["tracks"][0]["slug"]}
    )
    assert first_day.status_code == 200
    assert "Nature-based solutions for flood-prone cities" in first_day.text and "Ana Lima" in first_day.text
    assert "ana.lima@recife.example.org" not in first_day.text  # names and organizations only
    assert "Circular procurement lab" in second_day.text and "flood-prone cities" not in second_day.text
    assert "No sessions match these filters." in other_track.text


async def test_session_page_shows_speakers_and_calendar_links(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(
        client, organizer, c, people=[{"email": "ana.lima@recife.example.org", "name": "Ana Lima", "role": "speaker"}]
    )
    response = await client.get(f"/events/{c['id']}/sessions/{session['id']}")
    missing = await client.get(f"/events/{c['id']}/sessions/999999")
    assert response.status_code == 200 and "Ana Lima" in response.text
    assert "calendar.google.com" in response.text and f"/api/events/{c['id']}/calendar.ics" in response.text
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")


def test_now_and_next_during_the_event():
    at = datetime(2027, 10, 29, 10, 30, tzinfo=timezone.utc)
    sessions = [
        {
            "id": 1,
            "status": "published",
            "starts_at": at - timedelta(minutes=30),
            "ends_at": at + timedelta(minutes=30),
        },
        {"id": 2, "status": "published", "starts_at": at + timedelta(hours=1), "ends_at": at + timedelta(hours=2)},
        {"id": 3, "status": "cancelled", "starts_at": at + timedelta(minutes=30), "ends_at": at + timedelta(hours=1)},
        {"id": 4, "status": "published", "starts_at": at + timedelta(hours=5), "ends_at": at + timedelta(hours=6)},
    ]
    current, upcoming = now_and_next(sessions, at)
    assert ([s["id"] for s in current], [s["id"] for s in upcoming]) == ([1], [2])


async def test_programme_shows_kinds_speakers_rooms_and_localized_day_tabs(client, organizer):
    c = await congress(client, organizer)
    await add_session(
        client,
        organizer,
        c,
        kind="side_event",
        abstract="Parks.\r\n\r\nWetlands.",
        people=[{"email": "lena@malmo.example.org", "name": "Lena Ström", "role": "moderator"}],
    )
    await add_session(
        client, organizer, c, title="Circular procurement lab", start="2027-10-30T09:00:00", end="2027-10-30T10:00:00"
    )
    english = await client.get(f"/events/{c['id']}/agenda")
    spanish = await client.get(f"/events/{c['id']}/agenda", headers={"accept-language": "es"})
    found = await client.get(f"/events/{c['id']}/agenda", params={"q": "STROM"})
    other_kind = await client.get(f"/events/{c['id']}/agenda", params={"kind": "workshop"})

    assert '<nav aria-label="Days" class="tabs day-tabs">' in english.text
    assert "Fri 29 Oct" in english.text and "Sat 30 Oct" in english.text
    assert "vie, 29 oct" in spanish.text and "Evento paralelo" in spanish.text
    assert ">side_event<" not in english.text and "Side event" in english.text
    assert "Lena Ström" in english.text and "Plenary Hall" in english.text
    assert "Nature-based solutions for flood-prone cities" in found.text  # accents and case ignored
    assert "No sessions match these filters." in other_kind.text


async def test_session_page_keeps_paragraphs_and_names_kind_and_language(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c, abstract="Parks.\r\n\r\nWetlands.", language="es")
    response = await client.get(f"/events/{c['id']}/sessions/{session['id']}")
    assert '<p class="prewrap">Parks.</p><p class="prewrap">Wetlands.</p>' in response.text
    assert "Panel" in response.text and "Spanish" in response.text


async def test_a_full_event_offers_the_waiting_list_not_registration(client, organizer):
    from tests.fixtures import published_event

    event = await published_event(client, organizer, capacity=1)
    first = await client.post(
        f"/api/events/{event['id']}/registrations",
        json={"email": "a@city.example.org", "name": "A", "category": "delegate", "consent": True},
    )
    assert first.status_code == 201, first.text
    page = await client.get(f"/events/{event['id']}")
    home = await client.get("/")
    assert "Full: waiting list open" in page.text and "Join the waiting list" in page.text
    assert "Registration open" not in page.text and ">Register<" not in page.text
    assert "Full: waiting list open" in home.text


async def test_a_break_offers_nothing_to_book_on_the_manage_page(client, organizer):
    from tests.agenda_fixtures import delegate

    c = await congress(client, organizer)
    lunch = await add_session(client, organizer, c, title="Lunch", kind="break", track_id=None)
    token = await delegate(client, c)
    page = await client.get(f"/manage/{token}")
    item = page.text[page.text.index(f'id="programme-{lunch["id"]}"') :]
    item = item[: item.index("</li>")]
    assert "Open to everyone: nothing to book." in item and "/book" not in item


DAY_SECTION = re.compile(r'<section aria-labelledby="day-programme">.*?</section>', re.S)


async def test_the_programme_day_is_rendered_once_per_agenda_version_language_and_filters(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    url = f"/events/{c['id']}/agenda"

    def day(response) -> str:
        assert response.status_code == 200
        return DAY_SECTION.search(response.text).group(0)

    first = day(await client.get(url))
    data = await agenda_publish.public_agenda_data(c["id"])
    assert len(data.fragments) == 1 and "Nature-based solutions" in first
    assert day(await client.get(url)) == first and len(data.fragments) == 1  # served from what was kept
    spanish = day(await client.get(url, headers={"accept-language": "es"}))
    assert spanish != first and "oct" in spanish and len(data.fragments) == 2  # its own copy per language
    other_track = day(await client.get(url, params={"track": c["tracks"][1]["slug"]}))
    assert "No sessions match these filters." in other_track and len(data.fragments) == 3
    # a search's words and filter values the agenda does not know are rendered each time, never kept
    assert "Nature-based solutions" in day(await client.get(url, params={"q": "nature"}))
    assert "No sessions match" in day(await client.get(url, params={"q": "zzz"}))
    assert "No sessions match" in day(await client.get(url, params={"track": "no-such-track", "kind": "x"}))
    assert len(data.fragments) == 3
    # a change of the agenda reaches the page at once: the kept days go with the version they were made from
    renamed = await client.patch(
        f"{c['base']}/sessions/{session['id']}", json={"title": "Green roofs for every district"}, headers=organizer
    )
    assert renamed.status_code == 200, renamed.text
    after = day(await client.get(url))
    assert "Green roofs for every district" in after and "Nature-based solutions" not in after


CARD = re.compile(r'<li class="card session-item[^"]*" id="programme-(\d+)">(.*?)</li>', re.S)


async def test_manage_page_cards_keep_the_agenda_part_and_render_the_delegates_own_each_time(client, organizer):
    c = await congress(client, organizer)
    panel = await add_session(client, organizer, c)
    workshop = await add_session(
        client,
        organizer,
        c,
        title="Circular procurement lab",
        kind="workshop",
        start="2027-10-29T12:00:00",
        end="2027-10-29T13:00:00",
    )
    first, second = await delegate(client, c, 1), await delegate(client, c, 2)

    def cards(response) -> dict[int, str]:
        assert response.status_code == 200
        return {int(i): body for i, body in CARD.findall(response.text)}

    before = cards(await client.get(f"/manage/{first}"))
    data = await agenda_publish.public_agenda_data(c["id"])
    assert len(data.fragments["manage-cards"]) == 2  # one per session in this language
    assert "Circular procurement lab" in before[workshop["id"]] and "Book" in before[workshop["id"]]
    booked = await client.put(f"/api/registrations/{first}/agenda/{workshop['id']}")
    assert booked.status_code == 200, booked.text
    mine, theirs = cards(await client.get(f"/manage/{first}")), cards(await client.get(f"/manage/{second}"))
    assert "Drop" in mine[workshop["id"]] and "Drop" not in theirs[workshop["id"]]  # each delegate's own part
    assert first in mine[workshop["id"]] and first not in theirs[workshop["id"]] and second in theirs[workshop["id"]]
    spanish = cards(await client.get(f"/manage/{second}", headers={"accept-language": "es"}))
    assert "Taller" in spanish[workshop["id"]] and len(data.fragments["manage-cards"]) == 4
    renamed = await client.patch(
        f"{c['base']}/sessions/{panel['id']}", json={"title": "Green roofs for every district"}, headers=organizer
    )
    assert renamed.status_code == 200, renamed.text
    after = cards(await client.get(f"/manage/{first}"))
    assert "Green roofs for every district" in after[panel["id"]] and "Nature-based" not in after[panel["id"]]
