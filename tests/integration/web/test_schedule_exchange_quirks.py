"""Schedule import quirks of real published files, each in a small invented file through the API: names longer than
the agenda keeps, a file in another zone than the event's, schedule.json version 2, speakers whose ids are all 0.
Each imports, exports valid against the frab schemas with its sessions on the file's days, and re-imports
unchanged."""

from __future__ import annotations

import json

from events_app.db import sql
from tests.agenda_fixtures import congress, validate_schedule_json, validate_schedule_xml
from tests.unit.domain.test_schedule_quirks import BARE, DISAGREEING_XML, VERSION_2, _west_coast_file


async def _import(client, organizer, base: str, data: bytes, content_type: str = "application/json"):
    return await client.post(
        f"{base}/schedule/import", content=data, headers={**organizer, "Content-Type": content_type}
    )


async def _exported_days(client, base: str) -> dict[str, str]:
    """Each exported session's title and the date of the day it is listed under (JSON), checked against XML."""
    exported_json = await client.get(f"{base}/schedule.json")
    exported_xml = await client.get(f"{base}/schedule.xml")
    validate_schedule_json(exported_json.content)
    validate_schedule_xml(exported_xml.content)
    days = json.loads(exported_json.content)["schedule"]["conference"]["days"]
    return {e["title"]: d["date"] for d in days for r in d["rooms"].values() for e in r}


def _unchanged(body: dict) -> bool:
    return (body["created"], body["updated"], body["people_created"]) == (0, 0, 0) and {
        s["result"] for s in body["sessions"]
    } == {"unchanged"}


async def test_room_and_track_names_longer_than_kept_import_and_reimport(client, organizer):
    c = await congress(client, organizer, title="Long names")
    document = json.loads(_west_coast_file())
    conference = document["schedule"]["conference"]
    room, track = "Room " + "r" * 250, "Track " + "t" * 250
    conference["rooms"] = [{"name": room, "guid": None}]
    conference["tracks"] = [{"name": track, "color": "#123456"}]
    for day in conference["days"]:
        events = day["rooms"].pop("Stage")
        for event in events:
            event["room"], event["track"] = room, track
        day["rooms"][room] = events
    data = json.dumps(document).encode()
    first = await _import(client, organizer, c["base"], data)
    again = await _import(client, organizer, c["base"], data)
    rooms = await sql.fetch("SELECT name FROM agenda_room WHERE event = $1 AND name LIKE 'Room r%'", c["id"])
    tracks = await sql.fetch("SELECT name FROM agenda_track WHERE event = $1 AND name LIKE 'Track t%'", c["id"])
    assert (first.status_code, again.status_code) == (200, 200), first.text
    assert _unchanged(again.json())
    assert ([len(r["name"]) for r in rooms], [len(t["name"]) for t in tracks]) == ([200], [200])


async def test_file_in_another_zone_keeps_its_sessions_on_their_days(client, organizer):
    c = await congress(client, organizer, title="West coast in Bonn")  # the event is in Europe/Berlin
    data = _west_coast_file()
    first = await _import(client, organizer, c["base"], data)
    assert first.status_code == 200, first.text
    assert await _exported_days(client, c["base"]) == {
        "Morning": "2027-03-12",
        "Late show": "2027-03-12",
        "Later show": "2027-03-12",
        "Second morning": "2027-03-13",
    }
    stored = await sql.fetchval("SELECT day_change FROM exchange_source WHERE event = $1", c["id"])
    assert stored.isoformat() == "14:00:00"  # 05:00 in Los Angeles
    assert _unchanged((await _import(client, organizer, c["base"], data)).json())


async def test_schedule_json_version_2_imports_exports_valid_and_reimports_unchanged(client, organizer):
    c = await congress(client, organizer, title="Version two")
    data = json.dumps(VERSION_2).encode()
    first = await _import(client, organizer, c["base"], data)
    assert first.status_code == 200, first.text
    assert (first.json()["created"], await _exported_days(client, c["base"])) == (
        2,
        {"Soldering at night": "2027-12-27", "Breakfast briefing": "2027-12-28"},
    )
    exported = json.loads((await client.get(f"{c['base']}/schedule.json")).content)
    event = exported["schedule"]["conference"]["days"][0]["rooms"]["Dome"][0]
    assert ([(p["name"], p.get("biography")) for p in event["persons"]], event["track"], event["logo"]) == (
        [("Vera Volt", "Makes things.")],
        "Making",
        "https://quirk.example.org/logo.png",
    )
    assert _unchanged((await _import(client, organizer, c["base"], data)).json())


async def test_speakers_whose_ids_are_all_zero_stay_different_people(client, organizer):
    c = await congress(client, organizer, title="Zero ids")
    data = json.dumps(BARE).encode()
    first = await _import(client, organizer, c["base"], data)
    assert first.status_code == 200, first.text
    exported = json.loads((await client.get(f"{c['base']}/schedule.json")).content)
    names = sorted(
        (e["title"], tuple(p["name"] for p in e["persons"]))
        for d in exported["schedule"]["conference"]["days"]
        for r in d["rooms"].values()
        for e in r
    )
    assert (first.json()["people_created"], names) == (
        2,
        [("Second", ("Anna Null",)), ("Welcome", ("Anna Null", "Bert Null"))],
    )
    assert _unchanged((await _import(client, organizer, c["base"], data)).json())


async def test_a_start_that_disagrees_with_its_date_is_imported_by_the_date_and_the_organizer_warned(client, organizer):
    from tests.integration.web.test_pages import csrf, page_login

    c = await congress(client, organizer)
    url = f"/organizer/events/{c['id']}/agenda/import"
    await page_login(client)
    preview = await client.post(
        url,
        data={"_csrf_token": await csrf(client, url), "removed": "keep", "action": "preview"},
        files={"file": ("schedule.xml", DISAGREEING_XML, "application/xml")},
    )
    response = await _import(client, organizer, c["base"], DISAGREEING_XML, "application/xml")

    body = response.json()
    assert (response.status_code, body["created"], len(body["warnings"])) == (200, 3, 1)
    warning = body["warnings"][0]
    assert "Edited in one place" in warning["field"]
    assert "<start> '10:00' disagrees with <date> '2027-10-30T11:00:00+02:00'" in warning["message"]
    starts = await sql.fetchval(
        "SELECT starts_at FROM agenda_session WHERE event = $1 AND title = 'Edited in one place'", c["id"]
    )
    assert starts.isoformat() == "2027-10-30T09:00:00+00:00"
    assert preview.status_code == 200
    assert (
        "Attention" in preview.text
        and "disagrees with &lt;date&gt; &#39;2027-10-30T11:00:00+02:00&#39;" in preview.text
    )
