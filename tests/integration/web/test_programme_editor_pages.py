"""Organizers build the programme in the pages: edit a session, cancel it after a confirm step, add and remove its
speakers, manage tracks and rooms (removed only when unused), and import a schedule file with its result shown.
Every form goes through the same agenda services as the API, so the same rules answer."""

from __future__ import annotations

from tests.agenda_fixtures import add_session, booked_workshop_and_plenary, congress, delegate
from tests.fixtures import login, published_event
from tests.integration.web.test_pages import csrf, page_login


async def test_organizer_edits_a_sessions_text_kind_track_and_language(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    await page_login(client)
    url = f"/organizer/events/{c['id']}/agenda/sessions/{session['id']}"
    token = await csrf(client, url)
    form = {
        "_csrf_token": token,
        "title": "Wetlands as city infrastructure",
        "kind": "workshop",
        "track_id": str(c["tracks"][1]["id"]),
        "language": "es",
        "abstract": "First paragraph.\r\n\r\nSecond paragraph.",
        "room_id": str(c["rooms"][0]["id"]),
        "starts_at": "2027-10-29T10:00",
        "ends_at": "2027-10-29T11:00",
        "online_url": "",
        "capacity": "",
        "status": "published",
    }
    saved = await client.post(url, data=form)
    stored = (await client.get(f"{c['base']}/sessions/{session['id']}")).json()
    editor = await client.get(url)

    assert saved.status_code == 303 and saved.headers["location"] == f"{url}?done=saved"
    assert (stored["title"], stored["kind"], stored["track"]["id"], stored["language"]) == (
        "Wetlands as city infrastructure",
        "workshop",
        c["tracks"][1]["id"],
        "es",
    )
    assert stored["abstract"] == "First paragraph.\n\nSecond paragraph."
    assert stored["requires_booking"] is False
    assert '<option value="workshop" selected>Workshop</option>' in editor.text


async def test_moving_a_session_into_a_delegates_other_booking_says_so_on_the_editor_and_the_grid(client, organizer):
    """The move is saved (delegates keep their places) and the organizer reads, in their language, how many delegates
    booked for the session now have another booked session at the same time: after the editor's form, after a
    move on the grid, and in the preview of a schedule file that moves it. A move that makes no clash says nothing
    more than "Saved."."""
    c = await congress(client, organizer)
    token = await delegate(client, c)
    workshop, plenary = await booked_workshop_and_plenary(client, organizer, c, [token])
    await page_login(client)
    grid = f"/organizer/events/{c['id']}/agenda"
    url = f"{grid}/sessions/{workshop['id']}"
    csrf_token = await csrf(client, url)
    form = {
        "_csrf_token": csrf_token,
        "title": workshop["title"],
        "kind": workshop["kind"],
        "language": "en",
        "abstract": workshop["abstract"],
        "room_id": str(c["rooms"][1]["id"]),
        "starts_at": "2027-10-29T12:00",
        "ends_at": "2027-10-29T13:00",
        "status": "published",
    }

    saved = await client.post(url, data=form)
    editor = await client.get(saved.headers["location"])
    spanish = await client.get(saved.headers["location"], headers={"accept-language": "es"})
    dropped = await client.post(
        f"{url}/move",
        data={
            "_csrf_token": csrf_token,
            "room_id": form["room_id"],
            "starts_at": "2027-10-29T12:30",
            "ends_at": "2027-10-29T13:30",
        },
    )
    on_grid = await client.get(dropped.headers["location"])
    clashing_file = (await client.get(f"{c['base']}/schedule.json")).content
    apart = await client.post(
        f"{url}/move",
        data={
            "_csrf_token": csrf_token,
            "room_id": form["room_id"],
            "starts_at": "2027-10-29T15:00",
            "ends_at": "2027-10-29T16:00",
        },
    )
    preview = await client.post(
        f"{grid}/import", data={"_csrf_token": csrf_token}, files={"file": ("schedule.json", clashing_file)}
    )

    assert (saved.status_code, saved.headers["location"]) == (303, f"{url}?clashing=1&done=saved")
    assert "1 delegate booked for this session now has another booked session at the same time." in editor.text
    assert "1 persona con reserva en esta sesión tiene ahora otra sesión reservada a la misma hora." in spanish.text
    assert dropped.headers["location"] == f"{grid}?day=2027-10-29&clashing=1&done=saved"
    assert "1 delegate booked for the session you moved now has another booked session" in on_grid.text
    assert apart.headers["location"] == f"{grid}?day=2027-10-29&done=saved"
    assert "1 delegate booked for a moved session has another booked session at the same time" in preview.text
    agenda = (await client.get(f"/api/registrations/{token}/agenda")).json()
    assert sorted(e["session_id"] for e in agenda) == sorted([workshop["id"], plenary["id"]])


async def test_a_session_form_with_errors_keeps_input_and_names_the_fields(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    await page_login(client)
    url = f"/organizer/events/{c['id']}/agenda/sessions/{session['id']}"
    token = await csrf(client, url)
    refused = await client.post(
        url,
        data={
            "_csrf_token": token,
            "title": "",
            "kind": "panel",
            "language": "en",
            "abstract": "Kept text",
            "starts_at": "2027-10-29T10:00",
            "ends_at": "2027-10-29T09:00",
        },
    )
    assert refused.status_code == 422
    assert 'href="#f-title"' in refused.text and 'href="#f-ends_at"' in refused.text
    assert "Kept text" in refused.text
    assert (await client.get(f"{c['base']}/sessions/{session['id']}")).json()["title"] == session["title"]


async def test_cancelling_a_session_asks_first_and_names_who_is_told(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(
        client, organizer, c, people=[{"email": "ana.lima@recife.example.org", "name": "Ana Lima", "role": "speaker"}]
    )
    await page_login(client)
    url = f"/organizer/events/{c['id']}/agenda/sessions/{session['id']}/cancel"
    confirm = await client.get(url)
    assert confirm.status_code == 200
    assert "1 person holds this session in their calendar" in confirm.text and "Ana Lima" in confirm.text
    assert (await client.get(f"{c['base']}/sessions/{session['id']}")).json()["status"] == "published"

    token = await csrf(client, url)
    done = await client.post(url, data={"_csrf_token": token})
    assert done.status_code == 303
    stored = (await client.get(f"{c['base']}/sessions/{session['id']}")).json()
    assert (stored["status"], stored["calendar_sequence"]) == ("cancelled", session["calendar_sequence"] + 1)


async def test_speakers_are_added_and_removed_on_the_session_page(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    await page_login(client)
    base = f"/organizer/events/{c['id']}/agenda/sessions/{session['id']}"
    token = await csrf(client, base)
    bad = await client.post(
        f"{base}/people", data={"_csrf_token": token, "name": "Ana Lima", "email": "not-an-address", "role": "speaker"}
    )
    added = await client.post(
        f"{base}/people",
        data={"_csrf_token": token, "name": "Ana Lima", "email": "ana.lima@recife.example.org", "role": "moderator"},
    )
    people = (await client.get(f"{c['base']}/sessions/{session['id']}")).json()["people"]

    assert bad.status_code == 422 and 'id="f-person-email-error"' in bad.text and 'value="Ana Lima"' in bad.text
    assert added.status_code == 303
    assert [(p["name"], p["role"]) for p in people] == [("Ana Lima", "moderator")]
    assert "Moderator" in (await client.get(base)).text

    removed = await client.post(f"{base}/people/{people[0]['person_id']}/remove", data={"_csrf_token": token})
    assert removed.status_code == 303
    assert (await client.get(f"{c['base']}/sessions/{session['id']}")).json()["people"] == []


async def test_tracks_and_rooms_are_edited_and_removed_only_when_unused(client, organizer):
    c = await congress(client, organizer)
    await add_session(client, organizer, c)  # in room 0 and track 0
    await page_login(client)
    url = f"/organizer/events/{c['id']}/agenda"
    token = await csrf(client, url)
    used_room, free_room = c["rooms"][0]["id"], c["rooms"][1]["id"]
    used_track, free_track = c["tracks"][0]["id"], c["tracks"][1]["id"]

    new_track = await client.post(f"{url}/tracks", data={"_csrf_token": token, "name": "Water", "color": "#1565C0"})
    bad_track = await client.post(f"{url}/tracks/{free_track}", data={"_csrf_token": token, "name": "", "color": "x"})
    renamed = await client.post(
        f"{url}/rooms/{free_room}", data={"_csrf_token": token, "name": "Room B", "capacity": "40"}
    )
    keep_room = await client.post(f"{url}/rooms/{used_room}/remove", data={"_csrf_token": token})
    keep_track = await client.post(f"{url}/tracks/{used_track}/remove", data={"_csrf_token": token})
    gone_room = await client.post(f"{url}/rooms/{free_room}/remove", data={"_csrf_token": token})
    gone_track = await client.post(f"{url}/tracks/{free_track}/remove", data={"_csrf_token": token})

    rooms = (await client.get(f"{c['base']}/rooms")).json()
    tracks = (await client.get(f"{c['base']}/tracks")).json()
    assert new_track.status_code == 303 and bad_track.status_code == 422
    assert 'id="f-track-' + str(free_track) + '-name-error"' in bad_track.text
    assert renamed.status_code == 303
    assert keep_room.status_code == 409 and "move them to another room first" in keep_room.text
    assert keep_track.status_code == 409 and "give them another track first" in keep_track.text
    assert gone_room.status_code == 303 and gone_track.status_code == 303
    assert [r["name"] for r in rooms] == ["Plenary Hall"]
    assert [(t["name"], t["color"]) for t in tracks] == [("Nature-based development", "#2e7d32"), ("Water", "#1565c0")]


async def test_moving_by_drop_form_and_importing_a_schedule_file(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    exported = await client.get(f"{c['base']}/schedule.json")
    await page_login(client)
    url = f"/organizer/events/{c['id']}/agenda"
    token = await csrf(client, url)
    grid = await client.get(url, params={"day": "2027-10-29"})
    assert f'data-drop-room="{c["rooms"][1]["id"]}" data-drop-start="2027-10-29T14:00"' in grid.text

    moved = await client.post(
        f"{url}/sessions/{session['id']}/move",
        data={
            "_csrf_token": token,
            "room_id": str(c["rooms"][1]["id"]),
            "starts_at": "2027-10-29T14:00",
            "ends_at": "2027-10-29T15:00",
        },
    )
    assert moved.status_code == 303
    stored = (await client.get(f"{c['base']}/sessions/{session['id']}")).json()
    assert (stored["room"]["id"], stored["starts_at"][11:16]) == (c["rooms"][1]["id"], "14:00")

    empty = await client.post(f"{url}/import", data={"_csrf_token": token}, files={"file": ("x.json", b"")})
    broken = await client.post(
        f"{url}/import", data={"_csrf_token": token}, files={"file": ("schedule.json", b"{not json")}
    )
    preview = await client.post(
        f"{url}/import", data={"_csrf_token": token}, files={"file": ("schedule.json", exported.content)}
    )
    again = await client.post(
        f"{url}/import",
        data={"_csrf_token": token, "action": "apply"},
        files={"file": ("schedule.json", exported.content)},
    )
    assert empty.status_code == 422 and "Choose a schedule.xml or schedule.json file." in empty.text
    assert broken.status_code in (400, 422) and "nothing was changed" in broken.text
    assert preview.status_code == 200 and "Preview: what the import will do" in preview.text
    assert again.status_code == 200 and "Imported" in again.text
    assert "1 changed sessions" in again.text and "0 new sessions" in again.text  # moved back to the file


async def test_calendar_updates_page_names_the_session_before_after_and_recipients(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(
        client, organizer, c, people=[{"email": "ana.lima@recife.example.org", "name": "Ana Lima", "role": "speaker"}]
    )
    moved = await client.patch(
        f"{c['base']}/sessions/{session['id']}",
        json={"starts_at": "2027-10-29T14:00:00", "ends_at": "2027-10-29T15:00:00"},
        headers=organizer,
    )
    assert moved.status_code == 200, moved.text
    await client.patch(
        f"{c['base']}/sessions/{session['id']}",
        json={"starts_at": "2027-10-29T16:00:00", "ends_at": "2027-10-29T17:00:00"},
        headers=organizer,
    )
    await page_login(client)
    page = await client.get(f"/organizer/events/{c['id']}/updates")
    spanish = await client.get(f"/organizer/events/{c['id']}/updates", headers={"accept-language": "es"})

    assert page.status_code == 200
    row = page.text[page.text.index('id="update-') :]
    assert "Nature-based solutions for flood-prone cities" in row
    # two moves in one window: where it started and where it ends, as wall-clock times in Bonn
    assert '<span class="change-from">Friday, 29 October 2027, 10:00</span>' in row
    assert '<span class="change-to">Friday, 29 October 2027, 16:00</span>' in row
    assert '<td class="num">1 <span class="hint">(if sent now)</span></td>' in row
    assert "ends_at" not in row and "pair[0]" not in row
    assert "viernes, 29 de octubre de 2027, 16:00" in spanish.text and "si se envía ahora" in spanish.text


async def test_speakers_are_found_among_the_people_the_organizer_may_see(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    registered = await client.post(
        f"{c['base']}/registrations",
        json={"email": "lena.strom@malmo.example.org", "name": "Lena Ström", "category": "delegate", "consent": True},
    )
    assert registered.status_code == 201, registered.text
    other = await published_event(client, await login(client, "someone.else@example.org"), title="Other forum")
    outsider = await client.post(
        f"/api/events/{other['id']}/registrations",
        json={"email": "lena.other@example.org", "name": "Lena Outside", "category": "delegate", "consent": True},
    )
    assert outsider.status_code == 201, outsider.text
    await page_login(client)
    base = f"/organizer/events/{c['id']}/agenda/sessions/{session['id']}"
    found = await client.get(base, params={"person_q": "lena strom"})
    nobody = await client.get(base, params={"person_q": "zyx"})
    folded = await client.get(base, params={"person_q": "STROM"})
    assert "Lena Ström" in folded.text and "Lena Outside" not in folded.text  # only people within the scope
    assert "Lena Ström" in found.text and "Lena Outside" not in found.text
    assert "Nobody you may see matches" in nobody.text

    marker = 'name="person_id" value="'
    start = folded.text.index(marker) + len(marker)
    person_id = int(folded.text[start : folded.text.index('"', start)])
    token = await csrf(client, base)
    added = await client.post(
        f"{base}/people", data={"_csrf_token": token, "person_id": str(person_id), "role": "panelist"}
    )
    assert added.status_code == 303
    people = (await client.get(f"{c['base']}/sessions/{session['id']}")).json()["people"]
    assert [(p["name"], p["role"]) for p in people] == [("Lena Ström", "panelist")]


async def test_another_organizer_cannot_change_the_programme(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    await page_login(client, "someone.else@example.org")
    token = await csrf(client, "/organizer")
    url = f"/organizer/events/{c['id']}/agenda"
    attempts = [
        await client.post(f"{url}/rooms/{c['rooms'][1]['id']}/remove", data={"_csrf_token": token}),
        await client.post(f"{url}/tracks/{c['tracks'][1]['id']}/remove", data={"_csrf_token": token}),
        await client.post(f"{url}/sessions/{session['id']}/cancel", data={"_csrf_token": token}),
        await client.post(f"{url}/sessions/{session['id']}", data={"_csrf_token": token, "title": "Taken over"}),
    ]
    assert [a.status_code for a in attempts] == [403, 403, 403, 403]
    assert len((await client.get(f"{c['base']}/rooms")).json()) == 2
    stored = (await client.get(f"{c['base']}/sessions/{session['id']}")).json()
    assert (stored["status"], stored["title"]) == ("published", session["title"])


async def test_speaker_biography_shows_on_the_public_session_page_and_in_the_schedule_export(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(
        client, organizer, c, people=[{"email": "ana.lima@recife.example.org", "name": "Ana Lima", "role": "speaker"}]
    )
    person_id = session["people"][0]["person_id"]
    api = f"{c['base']}/speakers/{person_id}/biography"
    # through the API: the page shows the text (markup dropped, never run), paragraphs whatever line endings arrive
    saved = await client.put(
        api, headers=organizer, json={"biography": "Adviser on <b>coastal</b> adaptation.\r\n\r\nRecife, Brazil."}
    )
    assert saved.status_code == 200, saved.text
    too_long = await client.put(api, headers=organizer, json={"biography": "x" * 5001})
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "biography"
    stranger = await client.put(
        f"{c['base']}/speakers/{UNKNOWN_PERSON}/biography", headers=organizer, json={"biography": "x"}
    )
    assert stranger.status_code == 404
    other = await login(client, "other.organizer@example.org")
    foreign = await client.put(api, headers=other, json={"biography": "Taken over"})
    assert foreign.status_code in (403, 404)

    public = await client.get(f"/events/{c['id']}/sessions/{session['id']}")
    assert public.status_code == 200
    assert "Adviser on coastal adaptation." in public.text and "<b>coastal</b>" not in public.text
    assert "Recife, Brazil." in public.text
    exported = (await client.get(f"{c['base']}/schedule.json")).json()
    persons = [
        p
        for day in exported["schedule"]["conference"]["days"]
        for room in day["rooms"].values()
        for talk in room
        for p in talk["persons"]
    ]
    assert any(p.get("biography", "").startswith("Adviser on") for p in persons)

    # through the page: the organizer's form, then an empty text removes it
    await page_login(client)
    url = f"/organizer/events/{c['id']}/agenda/sessions/{session['id']}"
    token = await csrf(client, url)
    cleared = await client.post(
        f"{url}/people/{person_id}/biography", data={"_csrf_token": token, f"biography-{person_id}": ""}
    )
    assert cleared.status_code == 303
    assert "Adviser on" not in (await client.get(f"/events/{c['id']}/sessions/{session['id']}")).text


UNKNOWN_PERSON = 987654
