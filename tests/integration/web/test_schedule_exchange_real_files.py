"""Schedule exchange with real published schedules (../shared/data/schedules): each imports, exports in both formats
valid against the frab schemas with the original's facts, and re-imports unchanged; identities stay apart between
events; removed sessions are listed and cancelled on request; drafts can be previewed by their organizers; broken
files answer 422 saying where."""

from __future__ import annotations

import json
import re
from datetime import timezone

import pytest

from events_app.db import sql
from events_app.domain.schedule import Schedule, parse
from tests.agenda_fixtures import SCHEMAS, congress, validate_schedule_json, validate_schedule_xml
from tests.fixtures import event_body, login

SCHEDULES = SCHEMAS.parent / "data" / "schedules"
FILES = sorted(p.name for p in SCHEDULES.glob("*.schedule.*")) if SCHEDULES.exists() else []
ZONE = "Europe/Berlin"  # the congress fixture's zone: files that name none (FOSDEM) are read in it


def _content_type(name: str) -> str:
    return "application/json" if name.endswith(".json") else "application/xml"


def _facts(schedule: Schedule) -> dict:
    """What an export must reproduce of its original: sessions (guid, start, end, room, title, type, languages,
    people and their order, links), rooms, people, person links, total minutes, first and last start."""
    sessions = sorted(
        (
            s.guid,
            s.starts_at.astimezone(timezone.utc).isoformat(),
            s.ends_at.astimezone(timezone.utc).isoformat(),
            s.room,
            s.title,
            s.type,
            s.languages,
            tuple(p.name for p in s.persons),
            tuple(x.url for x in s.links),
            len(s.description),
            s.id,
        )
        for s in schedule.sessions
    )
    return {
        "sessions": sessions,
        "guids": sorted({s.guid for s in schedule.sessions}),
        "rooms": sorted({s.room for s in schedule.sessions}),
        "persons": sorted({p.name for s in schedule.sessions for p in s.persons}),
        "person_links": sum(len(s.persons) for s in schedule.sessions),
        "links": sum(len(s.links) for s in schedule.sessions),
        "description_chars": sum(len(s.description) for s in schedule.sessions),
        "minutes": sum(int((s.ends_at - s.starts_at).total_seconds() // 60) for s in schedule.sessions),
        "first": min(s.starts_at for s in schedule.sessions).astimezone(timezone.utc),
        "last": max(s.starts_at for s in schedule.sessions).astimezone(timezone.utc),
    }


async def _import(client, organizer, base: str, data: bytes, content_type: str, **params):
    return await client.post(
        f"{base}/schedule/import", content=data, params=params, headers={**organizer, "Content-Type": content_type}
    )


@pytest.mark.skipif(not FILES, reason=f"{SCHEDULES} is absent: real schedules come from ../shared")
@pytest.mark.parametrize("name", FILES)
async def test_real_schedule_round_trip_keeps_facts_and_reimport_changes_nothing(client, organizer, name):
    data = (SCHEDULES / name).read_bytes()
    c = await congress(client, organizer, title=f"Import of {name}")
    first = await _import(client, organizer, c["base"], data, _content_type(name))
    assert first.status_code == 200, first.text
    assert first.json()["warnings"] == []  # every session's start agrees with its date (where it has both)
    exported_json = await client.get(f"{c['base']}/schedule.json")
    exported_xml = await client.get(f"{c['base']}/schedule.xml")
    validate_schedule_json(exported_json.content)
    validate_schedule_xml(exported_xml.content)
    original = _facts(parse(data, _content_type(name), ZONE))
    again_json, again_xml = parse(exported_json.content), parse(exported_xml.content)
    assert _facts(again_json) == original
    assert _facts(again_xml) == original
    assert again_json.warnings == again_xml.warnings == []
    version = await sql.fetchval("SELECT version FROM agenda_state WHERE event = $1", c["id"])
    sequences = await sql.fetchval("SELECT sum(calendar_sequence) FROM agenda_session WHERE event = $1", c["id"])
    again = await _import(client, organizer, c["base"], data, _content_type(name))
    body = again.json()
    assert (body["created"], body["updated"], body["not_in_file"], body["people_created"]) == (0, 0, 0, 0)
    assert {s["result"] for s in body["sessions"]} == {"unchanged"}
    assert await sql.fetchval("SELECT version FROM agenda_state WHERE event = $1", c["id"]) == version
    assert (
        await sql.fetchval("SELECT sum(calendar_sequence) FROM agenda_session WHERE event = $1", c["id"]) == sequences
    )
    assert await sql.fetchval("SELECT count(*) FROM calendar_update WHERE event = $1", c["id"]) == 0
    assert (await client.get(f"{c['base']}/schedule.json")).headers["etag"] == exported_json.headers["etag"]
    assert (await client.get(f"{c['base']}/schedule.xml")).headers["etag"] == exported_xml.headers["etag"]


@pytest.mark.skipif(not FILES, reason=f"{SCHEDULES} is absent: real schedules come from ../shared")
async def test_night_sessions_stay_on_their_congress_day(client, organizer):
    data = (SCHEDULES / "frab-camp2019.schedule.json").read_bytes()
    c = await congress(client, organizer, title="Camp")
    await _import(client, organizer, c["base"], data, "application/json")
    days = json.loads((await client.get(f"{c['base']}/schedule.json")).content)["schedule"]["conference"]["days"]
    original = json.loads(data)["schedule"]["conference"]["days"]
    windows = [(d["day_start"], d["day_end"]) for d in days]
    assert [d["date"] for d in days] == [d["date"] for d in original]
    assert all(windows[i][1] <= windows[i + 1][0] for i in range(len(windows) - 1))
    count = lambda ds: [sum(len(r) for r in d["rooms"].values()) for d in ds]
    assert count(days) == count(original)


@pytest.mark.skipif(not FILES, reason=f"{SCHEDULES} is absent: real schedules come from ../shared")
async def test_real_files_sharing_numeric_person_ids_share_no_person(client, organizer):
    """FOSDEM 2019 and 2024 both use person ids 1538, 2247, 3080... for different people (33 ids in all)."""
    names = ("fosdem-2019.schedule.xml", "fosdem-2024.schedule.xml")
    events = [await congress(client, organizer, title=name) for name in names]
    for c, name in zip(events, names, strict=True):
        response = await _import(client, organizer, c["base"], (SCHEDULES / name).read_bytes(), "application/xml")
        assert response.status_code == 200, response.text
    people = [
        set(
            await sql.fetchval(
                "SELECT array_agg(DISTINCT sp.person) FROM agenda_session_person sp"
                " JOIN agenda_session s ON s.id = sp.session WHERE s.event = $1",
                c["id"],
            )
        )
        for c in events
    ]
    exported = json.loads((await client.get(f"{events[1]['base']}/schedule.json")).content)
    by_id = {
        p["id"]: p["name"]
        for d in exported["schedule"]["conference"]["days"]
        for r in d["rooms"].values()
        for e in r
        for p in e["persons"]
    }
    assert (people[0] & people[1], by_id[1538], by_id[2247]) == (set(), "Julien Malka", "Francisco Triviño García")


def _one_session_file(person_id: int, name: str, guid: str, title: str = "Talk") -> bytes:
    return json.dumps(
        {
            "schedule": {
                "version": "1",
                "conference": {
                    "acronym": "tiny",
                    "title": "Tiny",
                    "start": "2027-10-29",
                    "end": "2027-10-29",
                    "daysCount": 1,
                    "timeslot_duration": "00:05",
                    "time_zone_name": "Europe/Berlin",
                    "days": [
                        {
                            "index": 1,
                            "date": "2027-10-29",
                            "day_start": "2027-10-29T04:00:00+02:00",
                            "day_end": "2027-10-30T04:00:00+02:00",
                            "rooms": {
                                "Hall": [
                                    {
                                        "guid": guid,
                                        "id": 1,
                                        "date": "2027-10-29T10:00:00+02:00",
                                        "start": "10:00",
                                        "duration": "00:30",
                                        "room": "Hall",
                                        "slug": "tiny-1-talk",
                                        "url": "https://tiny.example.org/1",
                                        "title": title,
                                        "subtitle": "",
                                        "track": None,
                                        "type": "Lecture",
                                        "language": "de, en",
                                        "abstract": "",
                                        "description": "",
                                        "persons": [{"id": person_id, "public_name": name, "biography": f"{name}."}],
                                        "links": [],
                                    }
                                ]
                            },
                        }
                    ],
                },
            }
        }
    ).encode()


async def test_numeric_person_ids_never_share_people_across_events(client, organizer):
    a = await congress(client, organizer, title="Event A")
    b = await congress(client, organizer, title="Event B")
    await _import(
        client,
        organizer,
        a["base"],
        _one_session_file(7797, "Jinxx", "a0a0fcfe-b7fb-46e3-84b6-000000000001"),
        "application/json",
    )
    await _import(
        client,
        organizer,
        b["base"],
        _one_session_file(7797, "Rosa Parks", "a0a0fcfe-b7fb-46e3-84b6-000000000002"),
        "application/json",
    )
    people = {
        r["event"]: r["person"]
        for r in await sql.fetch(
            "SELECT s.event, sp.person FROM agenda_session_person sp JOIN agenda_session s ON s.id = sp.session"
        )
    }
    exported = json.loads((await client.get(f"{b['base']}/schedule.json")).content)
    event = exported["schedule"]["conference"]["days"][0]["rooms"]["Hall"][0]
    assert people[a["id"]] != people[b["id"]]
    assert ([(p["name"], p["id"], p["biography"]) for p in event["persons"]], event["language"], event["type"]) == (
        [("Rosa Parks", 7797, "Rosa Parks.")],
        "de, en",
        "Lecture",
    )


async def test_corrected_name_in_source_updates_the_speaker(client, organizer):
    c = await congress(client, organizer)
    guid = "a0a0fcfe-b7fb-46e3-84b6-000000000003"
    await _import(client, organizer, c["base"], _one_session_file(5, "Grace Hoper", guid), "application/json")
    result = await _import(client, organizer, c["base"], _one_session_file(5, "Grace Hopper", guid), "application/json")
    exported = json.loads((await client.get(f"{c['base']}/schedule.json")).content)
    person = exported["schedule"]["conference"]["days"][0]["rooms"]["Hall"][0]["persons"][0]
    assert (result.json()["updated"], result.json()["people_updated"], person["name"]) == (1, 1, "Grace Hopper")


async def test_moved_session_is_updated_alone_and_its_holders_get_one_update(client, organizer):
    c = await congress(client, organizer)
    guid = "a0a0fcfe-b7fb-46e3-84b6-00000000000a"
    await _import(client, organizer, c["base"], _one_session_file(5, "Grace", guid), "application/json")
    moved = _one_session_file(5, "Grace", guid).replace(b"T10:00:00+02:00", b"T11:00:00+02:00")
    result = await _import(client, organizer, c["base"], moved, "application/json")
    row = await sql.fetchrow("SELECT id, calendar_sequence FROM agenda_session WHERE event = $1", c["id"])
    updates = await sql.fetchval(
        "SELECT count(*) FROM calendar_update WHERE subject = 'session' AND subject_id = $1", row["id"]
    )
    assert ([s["result"] for s in result.json()["sessions"]], row["calendar_sequence"], updates) == (["updated"], 1, 1)


async def test_removed_sessions_are_listed_and_cancelled_on_request(client, organizer):
    c = await congress(client, organizer)
    keep = "a0a0fcfe-b7fb-46e3-84b6-000000000004"
    await _import(client, organizer, c["base"], _one_session_file(5, "Grace", keep), "application/json")
    other = _one_session_file(6, "Ada", "a0a0fcfe-b7fb-46e3-84b6-000000000005", "Another talk")
    kept = await _import(client, organizer, c["base"], other, "application/json")
    cancelled = await _import(client, organizer, c["base"], other, "application/json", removed="cancel")
    status = await sql.fetchrow(
        "SELECT id, status, calendar_sequence FROM agenda_session WHERE guid = $1", __import__("uuid").UUID(keep)
    )
    update = await sql.fetchval(
        "SELECT count(*) FROM calendar_update WHERE subject = 'session' AND subject_id = $1", status["id"]
    )
    assert [(r["guid"], r["action"]) for r in kept.json()["removed"]] == [(keep, "kept")]
    assert [(r["guid"], r["action"]) for r in cancelled.json()["removed"]] == [(keep, "cancelled")]
    assert (status["status"], status["calendar_sequence"], update) == ("cancelled", 1, 1)


async def test_dry_run_answers_and_writes_nothing(client, organizer):
    c = await congress(client, organizer)
    result = await _import(
        client,
        organizer,
        c["base"],
        _one_session_file(5, "Grace", "a0a0fcfe-b7fb-46e3-84b6-000000000006"),
        "application/json",
        dry_run="true",
    )
    assert (result.json()["dry_run"], result.json()["created"]) == (True, 1)
    assert await sql.fetchval("SELECT count(*) FROM agenda_session WHERE event = $1", c["id"]) == 0


async def test_draft_exports_are_previewed_by_organizers_only(client, organizer):
    response = await client.post("/api/events", json=event_body(), headers=organizer)
    base = f"/api/events/{response.json()['id']}"
    await _import(
        client,
        organizer,
        base,
        _one_session_file(5, "Grace", "a0a0fcfe-b7fb-46e3-84b6-000000000007"),
        "application/json",
    )
    other = await login(client, "other.organizer@example.org")
    for path in ("schedule.json", "schedule.xml", "agenda", "calendar.ics"):
        seen = await client.get(f"{base}/{path}", headers=organizer)
        assert (path, seen.status_code, b"Talk" in seen.content) == (path, 200, True)
        assert (await client.get(f"{base}/{path}")).status_code == 404
        assert (await client.get(f"{base}/{path}", headers=other)).status_code == 404


async def test_nul_character_is_422_naming_the_session(client, organizer):
    c = await congress(client, organizer)
    data = _one_session_file(5, "Grace", "a0a0fcfe-b7fb-46e3-84b6-000000000008", "Bad\x00title").replace(
        b"\\u0000", b"\x00"
    )
    response = await _import(client, organizer, c["base"], data, "application/json")
    field = response.json()["errors"][0]["field"]
    assert (response.status_code, "guid=a0a0fcfe-b7fb-46e3-84b6-000000000008" in field, ".title" in field) == (
        422,
        True,
        True,
    )


async def test_truncated_xml_is_422_naming_the_session(client, organizer):
    c = await congress(client, organizer)
    data = b"""<schedule><conference><title>T</title></conference><day index="1" date="2027-10-29">
<room name="Hall"><event guid="a0a0fcfe-b7fb-46e3-84b6-000000000009" id="1"><title>Cut short</title>
<start>10:00</start><duration>00:30"""
    response = await _import(client, organizer, c["base"], data, "application/xml")
    problem = response.json()["errors"][0]
    assert (response.status_code, "a0a0fcfe-b7fb-46e3-84b6-000000000009" in problem["message"]) == (422, True)


async def test_import_page_previews_then_applies_what_was_previewed(client, organizer):
    from tests.integration.web.test_pages import csrf, page_login

    c = await congress(client, organizer)
    await page_login(client)
    url = f"/organizer/events/{c['id']}/agenda/import"
    token = await csrf(client, url)
    data = _one_session_file(5, "Grace", "a0a0fcfe-b7fb-46e3-84b6-00000000000b", "Preview me")
    preview = await client.post(
        url,
        data={"_csrf_token": token, "removed": "keep", "day_change": "06:00", "action": "preview"},
        files={"file": ("schedule.json", data, "application/json")},
    )
    written = await sql.fetchval("SELECT count(*) FROM agenda_session WHERE event = $1", c["id"])
    content = re.search(r'name="content" value="([^"]+)"', preview.text).group(1)
    applied = await client.post(
        url,
        data={
            "_csrf_token": token,
            "content": content,
            "content_type": "application/json",
            "removed": "keep",
            "day_change": "06:00",
            "action": "apply",
        },
    )
    source = await sql.fetchrow("SELECT organizer_day_change FROM exchange_source WHERE event = $1", c["id"])
    assert (preview.status_code, "Preview me" in preview.text, written) == (200, True, 0)
    assert (applied.status_code, "Import now" in applied.text) == (200, False)
    assert await sql.fetchval("SELECT count(*) FROM agenda_session WHERE event = $1", c["id"]) == 1
    assert source["organizer_day_change"].isoformat() == "06:00:00"


async def test_import_page_shows_where_a_file_is_broken(client, organizer):
    from tests.integration.web.test_pages import csrf, page_login

    c = await congress(client, organizer)
    await page_login(client)
    url = f"/organizer/events/{c['id']}/agenda/import"
    token = await csrf(client, url)
    response = await client.post(
        url,
        data={"_csrf_token": token, "removed": "keep", "action": "preview"},
        files={"file": ("schedule.xml", b"<schedule><conference>", "application/xml")},
    )
    assert (response.status_code, "line 1, column" in response.text) == (422, True)
