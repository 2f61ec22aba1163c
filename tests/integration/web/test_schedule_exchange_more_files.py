"""What more real published schedules do (wikis, Jekyll sites, frab, pretalx, the hub), each shown with a small invented
file: links as text, repeated ids without guids, language tags in capitals, speakers outside <persons>, relative
attachment URLs, and a session the file brings back that stays cancelled."""

from __future__ import annotations

import json

import jsonschema_rs
import pytest

from events_app.db import sql
from tests.agenda_fixtures import SCHEMAS, congress


async def _import(client, organizer, base, data, content_type="application/xml", **params):
    return await client.post(
        f"{base}/schedule/import", content=data, params=params, headers={**organizer, "Content-Type": content_type}
    )


def _xml(events: str, day="2027-10-29") -> bytes:
    return f"""<schedule><version>1</version><conference><acronym>probe</acronym><title>Probe</title>
<time_zone_name>Europe/Berlin</time_zone_name></conference>
<day index="1" date="{day}" start="{day}T09:00:00+02:00" end="{day}T20:00:00+02:00">{events}</day></schedule>""".encode()


def _event(room: str, title: str, start: str, id_: int | None = None, guid: str | None = None, extra: str = "") -> str:
    attrs = (f' id="{id_}"' if id_ is not None else "") + (f' guid="{guid}"' if guid else "")
    return f"""<event{attrs}><date>2027-10-29T{start}:00+02:00</date><start>{start}</start><duration>00:30</duration>
<room>{room}</room><title>{title}</title><type>talk</type><language>en</language>{extra}</event>"""


def _events_json(client_json: bytes) -> dict[str, dict]:
    days = json.loads(client_json)["schedule"]["conference"]["days"]
    return {e["title"]: e for d in days for r in d["rooms"].values() for e in r}


async def test_link_written_as_element_text_is_kept(client, organizer):
    """Some wikis write <links><link>https://...</link></links> (no href): the text is the link."""
    c = await congress(client, organizer)
    room = (
        '<room name="Hall">'
        + _event(
            "Hall",
            "Voice assistant",
            "10:00",
            1,
            "a1000000-0000-4000-8000-000000000001",
            "<links><link>https://assistant.example.org</link></links>",
        )
        + "</room>"
    )
    assert (await _import(client, organizer, c["base"], _xml(room))).status_code == 200
    event = _events_json((await client.get(f"{c['base']}/schedule.json")).content)["Voice assistant"]
    assert [x["url"] for x in event["links"]] == ["https://assistant.example.org"]


async def test_a_second_session_with_the_same_id_does_not_replace_the_first(client, organizer):
    """Files without guids (LSWT 2019: id 997 'Coffee Break' in two rooms): when a later version adds a second
    session with an id already used, the first one, unchanged, must stay the same session."""
    c = await congress(client, organizer)
    v1 = _xml('<room name="Main">' + _event("Main", "Coffee", "11:00", 997) + "</room>")
    v2 = _xml(
        '<room name="Main">' + _event("Main", "Coffee", "11:00", 997) + "</room>"
        '<room name="Tutorials">' + _event("Tutorials", "Coffee", "11:00", 997) + "</room>"
    )
    await _import(client, organizer, c["base"], v1)
    first_id = await sql.fetchval("SELECT id FROM agenda_session WHERE event = $1", c["id"])
    body = (await _import(client, organizer, c["base"], v2, removed="cancel")).json()
    status = await sql.fetchval("SELECT status FROM agenda_session WHERE id = $1", first_id)
    assert (body["created"], body["not_in_file"], status) == (1, 0, "published")


async def test_uppercase_language_region_does_not_refuse_the_file(client, organizer):
    """'EN-GB' is a language tag in capitals: read as en-GB, never a reason to refuse the file."""
    c = await congress(client, organizer)
    room = (
        '<room name="Hall">'
        + _event("Hall", "British talk", "10:00", 1).replace("<language>en</language>", "<language>EN-GB</language>")
        + "</room>"
    )
    response = await _import(client, organizer, c["base"], _xml(room))
    assert response.status_code == 200, response.text


async def test_relative_and_odd_link_urls_become_valid_uris(client, organizer):
    """frab gives attachments relative to base_url, and chat links carry a second '#': both exports promise URIs
    ("format": "uri"), so they are joined to base_url and percent-encoded (checked with formats validated)."""
    c = await congress(client, organizer)
    document = {
        "schedule": {
            "version": "1",
            "base_url": "https://frab.example.org/",
            "conference": {
                "acronym": "probe",
                "title": "Probe",
                "start": "2027-10-29",
                "end": "2027-10-29",
                "daysCount": 1,
                "timeslot_duration": "00:05",
                "time_zone_name": "Europe/Berlin",
                "days": [
                    {
                        "index": 1,
                        "date": "2027-10-29",
                        "day_start": "2027-10-29T09:00:00+02:00",
                        "day_end": "2027-10-29T20:00:00+02:00",
                        "rooms": {
                            "Hall": [
                                {
                                    "guid": "a1000000-0000-4000-8000-000000000002",
                                    "id": 2,
                                    "date": "2027-10-29T10:00:00+02:00",
                                    "start": "10:00",
                                    "duration": "00:30",
                                    "room": "Hall",
                                    "slug": "probe-2-slides",
                                    "url": "https://frab.example.org/2",
                                    "title": "Slides",
                                    "subtitle": "",
                                    "track": None,
                                    "type": "Lecture",
                                    "language": "en",
                                    "abstract": "",
                                    "description": "",
                                    "persons": [],
                                    "links": [
                                        {"url": "https://matrix.example.org/#/#room:example.org", "title": "Chat"}
                                    ],
                                    "attachments": [{"url": "/system/attachments/slides.pdf", "title": "Slides"}],
                                }
                            ]
                        },
                    }
                ],
            },
        }
    }
    await _import(client, organizer, c["base"], json.dumps(document).encode(), "application/json")
    exported = json.loads((await client.get(f"{c['base']}/schedule.json")).content)
    event = exported["schedule"]["conference"]["days"][0]["rooms"]["Hall"][0]
    assert [a["url"] for a in event["attachments"]] == ["https://frab.example.org/system/attachments/slides.pdf"]
    assert [x["url"] for x in event["links"]] == ["https://matrix.example.org/#/%23room:example.org"]
    schema = SCHEMAS / "schedule.schema.json"
    if not schema.exists():
        pytest.skip(f"{schema} not available")
    validator = jsonschema_rs.Draft6Validator(json.loads(schema.read_text()), validate_formats=True)
    assert [e.message for e in validator.iter_errors(exported)] == []


async def test_a_reimport_says_which_sessions_of_the_file_stay_cancelled(client, organizer):
    """A session cancelled because a file left it out, then back in the file: it stays cancelled (an import does
    not restore it), and the answer says so, since the event's programme is then not the file's."""
    c = await congress(client, organizer)
    x = _event("Hall", "Kept", "10:00", 1, "a1000000-0000-4000-8000-000000000003")
    y = _event("Hall", "Returns", "11:00", 2, "a1000000-0000-4000-8000-000000000004")
    await _import(client, organizer, c["base"], _xml(f'<room name="Hall">{x}{y}</room>'))
    await _import(client, organizer, c["base"], _xml(f'<room name="Hall">{x}</room>'), removed="cancel")
    body = (await _import(client, organizer, c["base"], _xml(f'<room name="Hall">{x}{y}</room>'))).json()
    result = {s["title"]: (s["result"], s["stays_cancelled"]) for s in body["sessions"]}
    assert result == {"Kept": ("unchanged", False), "Returns": ("unchanged", True)}
    assert body["kept_cancelled"] == 1


async def test_speakers_written_directly_in_the_event_are_read(client, organizer):
    """A Jekyll site writes <person> directly in <event>, not in <persons>: the speaker is read all the same."""
    c = await congress(client, organizer)
    room = (
        '<room name="Hall">' + _event("Hall", "Welcome", "10:00", 1, extra="<person>Ada Example</person>") + "</room>"
    )
    body = (await _import(client, organizer, c["base"], _xml(room))).json()
    assert body["people_created"] == 1
