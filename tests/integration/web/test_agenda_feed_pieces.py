"""Stored feed pieces: the public feed is assembled from one stored VEVENT per session, never from a stale one, and
gives the same bytes as serialising the whole calendar at once, after every kind of change and after a restart."""

import json

import icalendar

from events_app.db import sql
from events_app.domain.agenda import PersonInRole, session_calendar_item
from events_app.domain.ical import feed
from events_app.services.agenda import agenda_cache, agenda_publish
from tests.agenda_fixtures import add_session, congress, delegate, feed_path
from tests.fixtures import validate_ics
from tests.integration.web.test_privacy import person_session

ANA = {"email": "ana.lima@recife.example.org", "name": "Ana Lima", "role": "moderator"}


async def _agenda(client, organizer):
    c = await congress(client, organizer)
    opening = await add_session(client, organizer, c, title="Opening plenary", kind="plenary", people=[ANA])
    lab = await add_session(
        client,
        organizer,
        c,
        title="Circular procurement lab",
        kind="workshop",
        room_id=c["rooms"][1]["id"],
        track_id=c["tracks"][1]["id"],
        start="2027-10-30T09:00:00",
        end="2027-10-30T10:30:00",
    )
    walk = await add_session(
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
    await client.post(f"{c['base']}/sessions/{walk['id']}/cancel", headers=organizer)
    return c, opening, lab, walk


async def _from_scratch(event_id: int) -> bytes:
    """The public feed as icalendar writes it in one go (ical.feed), from the database as it is now."""
    data = await agenda_publish._load(event_id)
    rooms = {r["id"]: r["name"] for r in data.rooms}
    tracks = {t["id"]: t["name"] for t in data.tracks}
    items = [
        session_calendar_item(
            s,
            data.event,
            [PersonInRole(p["name"], p["role"], p["organization"]) for p in s["people"]],
            rooms.get(s["room"], ""),
            tracks.get(s["track"], ""),
        )
        for s in data.sessions
    ]
    return feed(items, data.event["title"], {i.uid: s["updated_at"] for i, s in zip(items, data.sessions, strict=True)})


async def _served(client, c) -> bytes:
    """The feed as served now, checked against a from-scratch serialisation, and served the same again after a
    restart (this process's caches emptied: the feed is then assembled from stored pieces)."""
    response = await client.get(f"{c['base']}/calendar.ics")
    assert response.status_code == 200, response.text
    expected = await _from_scratch(c["id"])
    agenda_cache.clear()
    restarted = (await client.get(f"{c['base']}/calendar.ics")).content
    assert (response.content == expected, restarted == expected) == (True, True)
    return response.content


def _vevents(body: bytes) -> dict[str, icalendar.Event]:
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(body).walk("VEVENT")}


async def _stored(session_id: int) -> bytes | None:
    return await sql.fetchval("SELECT piece FROM agenda_feed_piece WHERE session = $1", session_id)


async def test_feed_is_stored_per_session_and_equals_a_from_scratch_serialisation(client, organizer, tmp_path):
    c, opening, lab, walk = await _agenda(client, organizer)
    body = await _served(client, c)
    stored = {r["session"]: r["piece"] for r in await sql.fetch("SELECT session, piece FROM agenda_feed_piece")}
    assert sorted(stored) == sorted([opening["id"], lab["id"], walk["id"]])
    assert all(piece in body for piece in stored.values())
    (tmp_path / "agenda.ics").write_bytes(body)
    validate_ics(tmp_path / "agenda.ics")


async def test_stored_piece_is_served_while_current_and_never_after_its_session_changed(client, organizer):
    c, opening, lab, walk = await _agenda(client, organizer)
    await _served(client, c)
    # Mark the stored piece (its key untouched): a build that serves it shows the mark, so we know it was read.
    await sql.execute(
        "UPDATE agenda_feed_piece SET piece = convert_to(replace(convert_from(piece, 'UTF8'),"
        " 'Opening plenary', 'Stored copy'), 'UTF8') WHERE session = $1",
        opening["id"],
    )
    agenda_cache.clear()
    from_store = (await client.get(f"{c['base']}/calendar.ics")).content
    await client.patch(f"{c['base']}/sessions/{opening['id']}", json={"title": "Opening"}, headers=organizer)
    body = await _served(client, c)
    assert (b"SUMMARY:Stored copy" in from_store, b"Stored copy" in body) == (True, False)
    assert str(_vevents(body)[opening["calendar_uid"]]["SUMMARY"]) == "Opening"


async def test_feed_shows_moved_session(client, organizer):
    c, opening, lab, walk = await _agenda(client, organizer)
    await _served(client, c)
    await client.patch(
        f"{c['base']}/sessions/{lab['id']}",
        json={"starts_at": "2027-10-30T14:00:00", "ends_at": "2027-10-30T15:00:00", "room_id": c["rooms"][0]["id"]},
        headers=organizer,
    )
    moved = _vevents(await _served(client, c))[lab["calendar_uid"]]
    assert (moved["DTSTART"].dt.hour, int(moved["SEQUENCE"]), str(moved["LOCATION"])) == (
        14,
        1,
        "Plenary Hall, World Conference Center, Bonn, Germany",
    )


async def test_feed_shows_renamed_room_and_track_stored_by_the_rename(client, organizer):
    c, opening, lab, walk = await _agenda(client, organizer)
    await _served(client, c)
    await client.patch(f"{c['base']}/rooms/{c['rooms'][0]['id']}", json={"name": "Main Hall"}, headers=organizer)
    await client.patch(
        f"{c['base']}/tracks/{c['tracks'][1]['id']}", json={"name": "Circular economy"}, headers=organizer
    )
    # The renames wrote the pieces of the sessions they show in, before anyone asked for the feed.
    assert (b"Main Hall" in await _stored(opening["id"]), b"Circular economy" in await _stored(lab["id"])) == (
        True,
        True,
    )
    events = _vevents(await _served(client, c))
    assert str(events[opening["calendar_uid"]]["LOCATION"]) == "Main Hall, World Conference Center, Bonn, Germany"
    assert events[lab["calendar_uid"]]["CATEGORIES"].cats == ["Workshop", "Circular economy"]


async def test_feed_shows_speaker_organization_and_name_changes(client, organizer):
    c, opening, lab, walk = await _agenda(client, organizer)
    await _served(client, c)
    recife = await sql.fetchval(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ('City of Recife', 'city', 'BR', 'active', now()) RETURNING id"
    )
    # The moderator gives her organization through her emailed access link (a registration does not change a
    # person): the feed names it.
    session = await person_session(client, ANA["email"])
    changed = await client.patch("/api/people/me", json={"organization_id": recife}, headers=session)
    assert changed.status_code == 200, changed.text
    with_organization = _vevents(await _served(client, c))[opening["calendar_uid"]]
    # The organization is renamed (no API does it; an administrator might): the feed follows.
    await sql.execute("UPDATE organization SET name = 'Recife City Hall' WHERE id = $1", recife)
    renamed = _vevents(await _served(client, c))[opening["calendar_uid"]]
    # Then she erases her personal data: her name leaves the public feed.
    erased = await client.post("/api/people/me/erase", headers=session)
    assert erased.status_code == 200, erased.text
    stored_after_erasure = await _stored(opening["id"])
    body = await _served(client, c)
    assert "Moderators: Ana Lima (City of Recife)" in str(with_organization["DESCRIPTION"])
    assert "Moderators: Ana Lima (Recife City Hall)" in str(renamed["DESCRIPTION"])
    assert (
        b"Ana Lima" in body,
        "Moderators: Erased person" in str(_vevents(body)[opening["calendar_uid"]]["DESCRIPTION"]),
    ) == (False, True)
    assert stored_after_erasure is None  # the erasure deleted the stored piece that named her


async def test_feed_shows_event_zone_and_venue_change_stored_by_the_change(client, organizer, tmp_path):
    c, opening, lab, walk = await _agenda(client, organizer)
    await _served(client, c)
    changed = await client.patch(
        c["base"], json={"timezone": "America/Recife", "venue_name": "Centro de Convenções"}, headers=organizer
    )
    assert changed.status_code == 200, changed.text
    assert [b"TZID=America/Recife" in await _stored(s["id"]) for s in (opening, lab, walk)] == [True] * 3
    body = await _served(client, c)
    event = _vevents(body)[opening["calendar_uid"]]
    # The session keeps its instant (08:00 UTC); the feed now writes it in the event's new zone (UTC-3).
    assert (event["DTSTART"].params["TZID"], event["DTSTART"].dt.hour, str(event["LOCATION"])) == (
        "America/Recife",
        5,
        "Plenary Hall, Centro de Convenções, Bonn, Germany",
    )
    assert b"Europe/Berlin" not in body
    (tmp_path / "recife.ics").write_bytes(body)
    validate_ics(tmp_path / "recife.ics")


async def test_import_stores_every_piece_and_the_feed_matches(client, organizer):
    c, opening, lab, walk = await _agenda(client, organizer)
    exported = (await client.get(f"{c['base']}/schedule.json")).content
    target = await congress(client, organizer, title="Copy of the congress")
    document = json.loads(exported)
    result = await client.post(
        f"{target['base']}/schedule/import",
        content=json.dumps(document),
        headers={**organizer, "Content-Type": "application/json"},
    )
    assert result.status_code == 200, result.text
    ids = [r["id"] for r in await sql.fetch("SELECT id FROM agenda_session WHERE event = $1", target["id"])]
    stored = await sql.fetchval("SELECT count(*) FROM agenda_feed_piece WHERE session = ANY($1::int[])", ids)
    body = await _served(client, target)
    assert (len(ids), stored, len(_vevents(body))) == (2, 2, 2)  # the cancelled session is not exported


async def test_delegate_feed_uses_the_same_pieces(client, organizer):
    c, opening, lab, walk = await _agenda(client, organizer)
    public = await _served(client, c)
    token = await delegate(client, c)
    await client.put(f"/api/registrations/{token}/agenda/{lab['id']}")
    mine = (await client.get(await feed_path(token))).content
    assert await _stored(lab["id"]) in mine and await _stored(lab["id"]) in public
