"""The published agenda: JSON with filters and ETag/304, the public and personal calendar feeds, CSV."""

import csv
import io

import icalendar

from tests.agenda_fixtures import add_session, congress, delegate, feed_path
from tests.fixtures import validate_ics


async def _agenda(client, organizer):
    c = await congress(client, organizer)
    ana = {"email": "ana.lima@recife.example.org", "name": "Ana Lima", "role": "moderator"}
    opening = await add_session(client, organizer, c, title="Opening plenary", kind="plenary", people=[ana])
    lab = await add_session(
        client,
        organizer,
        c,
        title="Circular procurement lab",
        kind="workshop",
        room_id=c["rooms"][1]["id"],
        track_id=c["tracks"][1]["id"],
        requires_booking=True,
        start="2027-10-30T09:00:00",
        end="2027-10-30T10:30:00",
    )
    night = await add_session(
        client,
        organizer,
        c,
        title="Night walk",
        kind="site_visit",
        track_id=None,
        start="2027-10-31T01:30:00",
        end="2027-10-31T04:00:00",
        room_id=c["rooms"][1]["id"],
    )
    return c, opening, lab, night


async def test_agenda_lists_sessions_with_offsets_and_people(client, organizer):
    c, opening, lab, night = await _agenda(client, organizer)
    body = (await client.get(f"{c['base']}/agenda")).json()
    assert [(s["title"], s["starts_at"], s["ends_at"]) for s in body["sessions"]] == [
        ("Opening plenary", "2027-10-29T10:00:00+02:00", "2027-10-29T11:00:00+02:00"),
        ("Circular procurement lab", "2027-10-30T09:00:00+02:00", "2027-10-30T10:30:00+02:00"),
        ("Night walk", "2027-10-31T01:30:00+02:00", "2027-10-31T04:00:00+01:00"),
    ]
    assert body["sessions"][0]["people"] == [
        {"person_id": opening["people"][0]["person_id"], "name": "Ana Lima", "organization": None, "role": "moderator"}
    ]
    assert "email" not in str(body)


async def test_agenda_filters_by_day_track_room_kind_and_person(client, organizer):
    c, opening, lab, night = await _agenda(client, organizer)
    person = opening["people"][0]["person_id"]
    queries = [
        "day=2027-10-30",
        f"track={c['tracks'][1]['slug']}",
        f"room={c['rooms'][1]['id']}",
        "kind=site_visit",
        f"person={person}",
    ]
    titles = [[s["title"] for s in (await client.get(f"{c['base']}/agenda?{q}")).json()["sessions"]] for q in queries]
    assert titles == [
        ["Circular procurement lab"],
        ["Circular procurement lab"],
        ["Circular procurement lab", "Night walk"],
        ["Night walk"],
        ["Opening plenary"],
    ]


async def test_agenda_etag_gives_304_until_something_changes(client, organizer):
    c, opening, *_ = await _agenda(client, organizer)
    first = await client.get(f"{c['base']}/agenda")
    unchanged = await client.get(f"{c['base']}/agenda", headers={"If-None-Match": first.headers["etag"]})
    await client.patch(f"{c['base']}/sessions/{opening['id']}", json={"title": "Opening"}, headers=organizer)
    changed = await client.get(f"{c['base']}/agenda", headers={"If-None-Match": first.headers["etag"]})
    assert (unchanged.status_code, unchanged.content, changed.status_code) == (304, b"", 200)
    assert changed.json()["sessions"][0]["title"] == "Opening"


async def test_agenda_of_draft_event_is_404(client, organizer):
    draft = (
        await client.post(
            "/api/events",
            json={
                "title": "Draft",
                "kind": "forum",
                "timezone": "UTC",
                "starts_at": "2027-01-01T10:00:00Z",
                "ends_at": "2027-01-02T10:00:00Z",
            },
            headers=organizer,
        )
    ).json()
    assert (await client.get(f"/api/events/{draft['id']}/agenda")).status_code == 404


async def test_public_feed_is_valid_stable_and_has_no_personal_data(client, organizer, tmp_path):
    c, opening, lab, night = await _agenda(client, organizer)
    first = await client.get(f"{c['base']}/calendar.ics")
    again = await client.get(f"{c['base']}/calendar.ics", headers={"If-None-Match": first.headers["etag"]})
    path = tmp_path / "agenda.ics"
    path.write_bytes(first.content)
    events = icalendar.Calendar.from_ical(first.content).walk("VEVENT")
    assert (first.headers["content-type"], again.status_code) == ("text/calendar; charset=utf-8", 304)
    assert sorted(str(e["UID"]) for e in events) == sorted(s["calendar_uid"] for s in (opening, lab, night))
    assert (b"ATTENDEE" in first.content, b"ORGANIZER" in first.content, b"@" in first.content) == (False, False, False)
    validate_ics(path)


async def test_public_feed_after_move_keeps_uid_grows_sequence_and_other_events_unchanged(client, organizer, tmp_path):
    c, opening, lab, night = await _agenda(client, organizer)
    before = icalendar.Calendar.from_ical((await client.get(f"{c['base']}/calendar.ics")).content)
    await client.patch(
        f"{c['base']}/sessions/{opening['id']}",
        json={"starts_at": "2027-10-29T15:00:00", "ends_at": "2027-10-29T16:00:00"},
        headers=organizer,
    )
    response = await client.get(f"{c['base']}/calendar.ics")
    after = icalendar.Calendar.from_ical(response.content)
    by_uid = lambda cal: {str(e["UID"]): e for e in cal.walk("VEVENT")}
    moved = by_uid(after)[opening["calendar_uid"]]
    assert (int(moved["SEQUENCE"]), moved["DTSTART"].dt.hour) == (1, 15)
    assert by_uid(after)[lab["calendar_uid"]].to_ical() == by_uid(before)[lab["calendar_uid"]].to_ical()
    (tmp_path / "before.ics").write_bytes(before.to_ical())
    (tmp_path / "after.ics").write_bytes(response.content)
    validate_ics(tmp_path / "after.ics")


async def test_cancelled_session_stays_in_feed_as_cancelled(client, organizer):
    c, opening, *_ = await _agenda(client, organizer)
    await client.post(f"{c['base']}/sessions/{opening['id']}/cancel", headers=organizer)
    events = icalendar.Calendar.from_ical((await client.get(f"{c['base']}/calendar.ics")).content).walk("VEVENT")
    cancelled = next(e for e in events if str(e["UID"]) == opening["calendar_uid"])
    assert (str(cancelled["STATUS"]), int(cancelled["SEQUENCE"])) == ("CANCELLED", 1)


async def test_delegate_feed_has_event_and_booked_sessions_only(client, organizer, tmp_path):
    c, opening, lab, night = await _agenda(client, organizer)
    token = await delegate(client, c)
    await client.put(f"/api/registrations/{token}/agenda/{lab['id']}")
    first = await client.get(await feed_path(token))
    again = await client.get(await feed_path(token))
    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(first.content).walk("VEVENT")]
    event_uid = str(
        await __import__("events_app.db.sql", fromlist=["x"]).fetchval(
            "SELECT calendar_uid FROM event WHERE id = $1", c["id"]
        )
    )
    assert (uids, first.content == again.content, first.headers["etag"] == again.headers["etag"]) == (
        [event_uid, lab["calendar_uid"]],
        True,
        True,
    )
    path = tmp_path / "mine.ics"
    path.write_bytes(first.content)
    validate_ics(path)


async def test_delegate_feed_after_cancelling_keeps_the_event_as_cancelled_and_drops_the_sessions(client, organizer):
    """A calendar app keeps polling after its delegate cancels: the event stays in the feed as CANCELLED (so the
    calendar removes it) and the booked sessions leave it; a token nobody holds is not found."""
    c, opening, lab, night = await _agenda(client, organizer)
    token = await delegate(client, c)
    await client.put(f"/api/registrations/{token}/agenda/{lab['id']}")
    path = await feed_path(token)
    booked = icalendar.Calendar.from_ical((await client.get(path)).content).walk("VEVENT")
    await client.delete(f"/api/registrations/{token}")
    after = icalendar.Calendar.from_ical((await client.get(path)).content).walk("VEVENT")
    unknown = await client.get("/api/my-agenda/" + "x" * 43 + "/calendar.ics")
    assert [str(e["STATUS"]) for e in booked] == ["CONFIRMED", "CONFIRMED"]
    assert [str(e["STATUS"]) for e in after] == ["CANCELLED"] and unknown.status_code == 404


async def test_csv_lists_sessions_with_people_and_quotes_formulas(client, organizer):
    c, opening, *_ = await _agenda(client, organizer)
    await client.patch(f"{c['base']}/sessions/{opening['id']}", json={"title": "=HYPERLINK(1)"}, headers=organizer)
    response = await client.get(f"{c['base']}/agenda.csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert (response.headers["content-type"], len(rows)) == ("text/csv; charset=utf-8", 3)
    assert (rows[0]["title"], rows[0]["moderators"], rows[0]["room"], rows[0]["starts_at"]) == (
        "'=HYPERLINK(1)",
        "Ana Lima",
        "Plenary Hall",
        "2027-10-29T10:00:00+02:00",
    )


async def test_availability_shows_live_seats(client, organizer):
    c, opening, lab, night = await _agenda(client, organizer)
    token = await delegate(client, c)
    await client.put(f"/api/registrations/{token}/agenda/{lab['id']}")
    seats = (await client.get(f"{c['base']}/agenda/availability")).json()
    assert seats == [
        {"session_id": lab["id"], "capacity": 3, "booked_count": 1, "seats_left": 2, "waitlisted_count": 0}
    ]


async def test_separate_server_serves_cached_agenda_and_sees_changes_made_elsewhere(client, organizer, api_server):
    """The API process LISTENs for agenda changes: a change committed by another process reaches its cache."""
    import asyncio

    import httpx

    c, opening, *_ = await _agenda(client, organizer)
    async with httpx.AsyncClient(base_url=api_server, timeout=30) as remote:
        first = await remote.get(f"{c['base']}/agenda")
        cached = await remote.get(f"{c['base']}/agenda", headers={"If-None-Match": first.headers["etag"]})
        await client.patch(
            f"{c['base']}/sessions/{opening['id']}", json={"title": "Renamed elsewhere"}, headers=organizer
        )
        titles = []
        for _ in range(100):  # the notification arrives just after the commit; look again until it has
            response = await remote.get(f"{c['base']}/agenda")
            titles = [s["title"] for s in response.json()["sessions"]]
            if "Renamed elsewhere" in titles:
                break
            await asyncio.sleep(0.05)
    assert (cached.status_code, titles[0]) == (304, "Renamed elsewhere")
