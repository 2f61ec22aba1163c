"""frab schedule exchange over HTTP: exports validate, imports key on guid, re-imports update in place, and an
export imported into a new event exports the same schedule."""

import json

from lxml import etree

from events_app.db import sql
from tests.agenda_fixtures import (
    add_session,
    booked_workshop_and_plenary,
    congress,
    delegate,
    validate_schedule_json,
    validate_schedule_xml,
)


async def _agenda(client, organizer):
    c = await congress(client, organizer)
    people = [
        {"email": "ana.lima@recife.example.org", "name": "Ana Lima", "role": "moderator"},
        {"email": "kwame@accra.example.org", "name": "Kwame Mensah", "role": "panelist"},
    ]
    await add_session(
        client,
        organizer,
        c,
        title="Opening plenary",
        kind="plenary",
        people=people,
        online_url="https://stream.example.org/opening",
    )
    await add_session(
        client,
        organizer,
        c,
        title="Circular procurement lab",
        kind="workshop",
        room_id=c["rooms"][1]["id"],
        track_id=c["tracks"][1]["id"],
        start="2027-10-30T09:00:00",
        end="2027-10-30T10:30:00",
        language="es",
    )
    await add_session(
        client,
        organizer,
        c,
        title="Night walk",
        kind="site_visit",
        track_id=None,
        start="2027-10-30T23:30:00",
        end="2027-10-31T01:30:00",
        room_id=c["rooms"][1]["id"],
    )
    await add_session(
        client, organizer, c, title="Draft only", status="draft", start="2027-10-31T10:00:00", end="2027-10-31T11:00:00"
    )
    return c


def _facts(schedule_json: bytes) -> list[tuple]:
    """What must survive a round trip, event by event (ids and URLs belong to the event that exports)."""
    days = json.loads(schedule_json)["schedule"]["conference"]["days"]
    return sorted(
        (
            e["guid"],
            e["date"],
            e["duration"],
            e["room"],
            e["title"],
            e["type"],
            e["track"],
            e["language"],
            e["abstract"],
            [(p["name"], p["role"], p["guid"]) for p in e["persons"]],
            e["links"],
        )
        for day in days
        for events in day["rooms"].values()
        for e in events
    )


async def test_schedule_xml_export_validates_and_leaves_drafts_out(client, organizer):
    c = await _agenda(client, organizer)
    response = await client.get(f"{c['base']}/schedule.xml")
    validate_schedule_xml(response.content)
    titles = [e.findtext("title") for e in etree.fromstring(response.content).iter("event")]
    assert (response.headers["content-type"], sorted(titles)) == (
        "application/xml; charset=utf-8",
        ["Circular procurement lab", "Night walk", "Opening plenary"],
    )


async def test_schedule_json_export_validates_with_etag(client, organizer):
    c = await _agenda(client, organizer)
    response = await client.get(f"{c['base']}/schedule.json")
    again = await client.get(f"{c['base']}/schedule.json", headers={"If-None-Match": response.headers["etag"]})
    validate_schedule_json(response.content)
    assert again.status_code == 304


async def test_xml_and_json_exports_agree_event_by_event(client, organizer):
    c = await _agenda(client, organizer)
    xml = etree.fromstring((await client.get(f"{c['base']}/schedule.xml")).content)
    from_xml = sorted(
        (
            e.get("guid"),
            e.findtext("date"),
            e.findtext("duration"),
            e.findtext("room"),
            e.findtext("title"),
            [p.text for p in e.iter("person")],
        )
        for e in xml.iter("event")
    )
    days = json.loads((await client.get(f"{c['base']}/schedule.json")).content)["schedule"]["conference"]["days"]
    from_json = sorted(
        (e["guid"], e["date"], e["duration"], e["room"], e["title"], [p["name"] for p in e["persons"]])
        for d in days
        for events in d["rooms"].values()
        for e in events
    )
    assert from_xml == from_json


async def test_round_trip_into_new_event_exports_same_schedule(client, organizer):
    c = await _agenda(client, organizer)
    exported = (await client.get(f"{c['base']}/schedule.json")).content
    target = await congress(client, organizer, title="Copy of the congress")
    result = await client.post(
        f"{target['base']}/schedule/import", content=exported, headers={**organizer, "Content-Type": "application/json"}
    )
    again = (await client.get(f"{target['base']}/schedule.json")).content
    assert (result.status_code, result.json()["created"], result.json()["people_created"]) == (200, 3, 0)
    assert _facts(again) == _facts(exported)


async def test_round_trip_through_xml_keeps_sessions_and_people(client, organizer):
    c = await _agenda(client, organizer)
    exported = (await client.get(f"{c['base']}/schedule.xml")).content
    target = await congress(client, organizer, title="Copy via XML")
    result = await client.post(
        f"{target['base']}/schedule/import", content=exported, headers={**organizer, "Content-Type": "application/xml"}
    )
    strip_roles = lambda facts: [f[:9] + ([(n, g) for n, _, g in f[9]],) + f[10:] for f in facts]
    original = (await client.get(f"{c['base']}/schedule.json")).content
    copied = (await client.get(f"{target['base']}/schedule.json")).content
    assert result.json()["created"] == 3
    assert strip_roles(_facts(copied)) == strip_roles(_facts(original))


async def test_reimport_updates_in_place_and_grows_sequence_of_moved_session(client, organizer):
    c = await _agenda(client, organizer)
    document = json.loads((await client.get(f"{c['base']}/schedule.json")).content)
    target = await congress(client, organizer, title="Imported")
    headers = {**organizer, "Content-Type": "application/json"}
    await client.post(f"{target['base']}/schedule/import", content=json.dumps(document), headers=headers)
    before = {
        str(r["guid"]): dict(r)
        for r in await sql.fetch(
            "SELECT id, guid, calendar_uid, calendar_sequence FROM agenda_session WHERE event = $1", target["id"]
        )
    }
    event = document["schedule"]["conference"]["days"][0]["rooms"]["Plenary Hall"][0]
    event["date"], event["end"] = "2027-10-29T16:00:00+02:00", "2027-10-29T17:00:00+02:00"
    result = await client.post(f"{target['base']}/schedule/import", content=json.dumps(document), headers=headers)
    moved = await sql.fetchrow(
        "SELECT id, calendar_uid, calendar_sequence, starts_at FROM agenda_session WHERE event = $1 AND guid = $2",
        target["id"],
        before[event["guid"]]["guid"],
    )
    counts = {k: result.json()[k] for k in ("created", "updated", "unchanged")}
    assert counts == {"created": 0, "updated": 1, "unchanged": 2}
    assert (moved["id"], moved["calendar_uid"], moved["calendar_sequence"]) == (
        before[event["guid"]]["id"],
        before[event["guid"]]["calendar_uid"],
        1,
    )
    log = await sql.fetchrow(
        "SELECT action, actor FROM agenda_change WHERE session = $1 ORDER BY id DESC LIMIT 1", moved["id"]
    )
    assert (log["action"], log["actor"]) == ("moved", "schedule import by organizer@example.org")


async def test_reimport_moving_a_booked_session_onto_another_counts_the_delegates_now_clashing(client, organizer):
    """A file moves sessions as an edit by hand does, so the organizer learns the same: how many delegates with a
    place on a moved session then hold another booked session at the same time, in the preview already. Their
    places stay."""
    c = await congress(client, organizer)
    token = await delegate(client, c)
    workshop, plenary = await booked_workshop_and_plenary(client, organizer, c, [token])
    document = json.loads((await client.get(f"{c['base']}/schedule.json")).content)
    moved = document["schedule"]["conference"]["days"][0]["rooms"]["Room 2"][0]
    moved["date"], moved["start"], moved["end"] = "2027-10-29T12:00:00+02:00", "12:00", "2027-10-29T13:00:00+02:00"
    headers = {**organizer, "Content-Type": "application/json"}
    url = f"{c['base']}/schedule/import"

    preview = await client.post(url, params={"dry_run": "true"}, content=json.dumps(document), headers=headers)
    applied = await client.post(url, content=json.dumps(document), headers=headers)

    assert [(r.json()["updated"], r.json()["bookers_now_clashing"]) for r in (preview, applied)] == [(1, 1), (1, 1)]
    agenda = (await client.get(f"/api/registrations/{token}/agenda")).json()
    assert sorted((e["session_id"], e["status"]) for e in agenda) == sorted(
        [(workshop["id"], "booked"), (plenary["id"], "booked")]
    )


async def test_reimport_of_same_file_changes_nothing(client, organizer):
    c = await _agenda(client, organizer)
    exported = (await client.get(f"{c['base']}/schedule.xml")).content
    headers = {**organizer, "Content-Type": "application/xml"}
    result = await client.post(f"{c['base']}/schedule/import", content=exported, headers=headers)
    assert {k: result.json()[k] for k in ("created", "updated", "unchanged", "not_in_file")} == {
        "created": 0,
        "updated": 0,
        "unchanged": 3,
        "not_in_file": 1,
    }


async def test_import_may_bring_conflicts_which_are_listed(client, organizer):
    c = await _agenda(client, organizer)
    document = json.loads((await client.get(f"{c['base']}/schedule.json")).content)
    day = document["schedule"]["conference"]["days"][0]["rooms"]["Plenary Hall"]
    clash = {**day[0], "guid": "c0ffee00-0000-4000-8000-000000000001", "id": 999, "title": "Clash"}
    day.append(clash)
    target = await congress(client, organizer, title="With a clash")
    result = await client.post(
        f"{target['base']}/schedule/import",
        content=json.dumps(document),
        headers={**organizer, "Content-Type": "application/json"},
    )
    listed = (await client.get(f"{target['base']}/conflicts", headers=organizer)).json()
    assert (result.json()["conflicts"], sorted({x["rule"] for x in listed})) == (3, ["person", "room"])


async def test_malformed_xml_is_422_saying_where_and_writes_nothing(client, organizer):
    c = await congress(client, organizer)
    response = await client.post(
        f"{c['base']}/schedule/import",
        content=b"<schedule>\n<day>\n</schedule>",
        headers={**organizer, "Content-Type": "application/xml"},
    )
    body = response.json()
    assert (response.status_code, body["errors"][0]["field"].startswith("line 3, column")) == (422, True)
    assert await sql.fetchval("SELECT count(*) FROM agenda_session") == 0


async def test_json_with_bad_session_is_422_naming_its_path(client, organizer):
    c = await _agenda(client, organizer)
    document = json.loads((await client.get(f"{c['base']}/schedule.json")).content)
    event = document["schedule"]["conference"]["days"][1]["rooms"]["Room 2"][0]
    event["date"] = "tomorrow at nine"
    target = await congress(client, organizer, title="Broken")
    response = await client.post(
        f"{target['base']}/schedule/import",
        content=json.dumps(document),
        headers={**organizer, "Content-Type": "application/json"},
    )
    guid = event["guid"]
    assert (response.status_code, response.json()["errors"][0]["field"]) == (
        422,
        f"schedule.conference.days[1].rooms['Room 2'][0] (session guid={guid} 'Circular procurement lab')",
    )
    assert await sql.fetchval("SELECT count(*) FROM agenda_session WHERE event = $1", target["id"]) == 0


async def test_import_needs_organizer(client, organizer):
    c = await congress(client, organizer)
    response = await client.post(
        f"{c['base']}/schedule/import", content=b"{}", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401
