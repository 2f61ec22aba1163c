"""Every change of what an invite shows reaches every holder of that calendar object, and nobody else.

Real processes: the API in uvicorn, a Celery worker, Redis, PostgreSQL, the SMTP sink. For each cascade (an event
cancelled: its sessions' CANCELs to bookers and speakers) and each change kind (the event's venue, a room's name, a
session's title and time), every message is checked with the shared validator in strict mode and against the
holder's previous message with --previous (same UID and ORGANIZER, SEQUENCE grown).
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import httpx
import icalendar
import pytest

from tests.agenda_fixtures import CONGRESS
from tests.fixtures import PASSWORD, calendar_part, read_mail, validate_ics, wait_for_mail

pytestmark = pytest.mark.worker

# The SMTP sink's mailbox is shared by the module's tests: each test has its own people.
DELEGATE = "camila.{n}@bogota.example.org"
JOINER = "joiner.{n}@recife.example.org"
SPEAKER = "ana.lima.{n}@recife.example.org"


class Congress:
    """A published congress (Bonn) with Room A and two sessions, driven through the API as an organizer would."""

    def __init__(self, http: httpx.AsyncClient, auth: dict, event: dict, room: dict, sessions: list[dict]):
        self.http, self.auth, self.event, self.room, self.sessions = http, auth, event, room, sessions
        self.base = f"/api/events/{event['id']}"

    @classmethod
    async def create(cls, http: httpx.AsyncClient) -> Congress:
        token = (
            await http.post("/api/auth/login", json={"email": "organizer@example.org", "password": PASSWORD})
        ).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        event = (await http.post("/api/events", json={**CONGRESS, "update_delay_minutes": 10}, headers=auth)).json()
        base = f"/api/events/{event['id']}"
        await http.post(f"{base}/categories", json={"code": "delegate", "name": "Delegate"}, headers=auth)
        assert (await http.post(f"{base}/publish", headers=auth)).status_code == 200
        room = (await http.post(f"{base}/rooms", json={"name": "Room A", "capacity": 50}, headers=auth)).json()
        sessions = []
        for title, start, end in (
            ("Nature-based solutions", "2027-10-29T10:00:00", "2027-10-29T11:00:00"),
            ("Circular cities", "2027-10-29T14:00:00", "2027-10-29T15:00:00"),
        ):
            response = await http.post(
                f"{base}/sessions",
                json={"title": title, "kind": "panel", "starts_at": start, "ends_at": end, "room_id": room["id"]},
                headers=auth,
            )
            assert response.status_code == 201, response.text
            sessions.append(response.json())
        return cls(http, auth, event, room, sessions)

    async def register(self, email: str, name: str, **extra) -> str:
        response = await self.http.post(
            f"{self.base}/registrations",
            json={"email": email, "name": name, "category": "delegate", "consent": True, **extra},
        )
        assert response.status_code == 201, response.text
        return response.json()["manage_token"]

    async def book(self, token: str, session: dict) -> None:
        response = await self.http.put(f"/api/registrations/{token}/agenda/{session['id']}")
        assert response.status_code in (200, 201), response.text

    async def release(self) -> int:
        response = await self.http.post(f"{self.base}/calendar-updates/release", headers=self.auth)
        assert response.status_code == 200, response.text
        return response.json()["messages"]


def vevent(message) -> icalendar.Event:
    return icalendar.Calendar.from_ical(calendar_part(message)).walk("VEVENT")[0]


def saved(message, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.eml"
    path.write_bytes(message.path.read_bytes())
    return path


def check_chain(messages: list, tmp_path: Path, name: str) -> None:
    """Every message valid in strict mode; each one a valid successor of the previous one about the same UID."""
    paths = [saved(m, tmp_path, f"{name}-{i}") for i, m in enumerate(messages)]
    validate_ics(*paths)
    last: dict[str, Path] = {}
    for message, path in zip(messages, paths, strict=True):
        uid = str(vevent(message)["UID"])
        if uid in last:
            validate_ics(path, previous=last[uid])
        last[uid] = path


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


@pytest.fixture
async def organizer_account(db):
    from events_app.services.people import accounts

    await accounts.create_account("organizer@example.org", "Secretariat", PASSWORD)


async def test_cancelling_an_event_cancels_every_session_for_bookers_and_speakers(
    organizer_account, api_server, celery_worker, maildir, tmp_path
):
    delegate, joiner, speaker = (a.format(n=0) for a in (DELEGATE, JOINER, SPEAKER))
    from events_app.db import sql
    from tests.agenda_fixtures import feed_path

    async with httpx.AsyncClient(base_url=api_server, timeout=20) as http:
        c = await Congress.create(http)
        booked, spoken = c.sessions
        token = await c.register(delegate, "Camila Rodríguez")
        await c.book(token, booked)
        response = await http.post(
            f"{c.base}/sessions/{spoken['id']}/people",
            json={"role": "speaker", "email": speaker, "name": "Ana Lima"},
            headers=c.auth,
        )
        assert response.status_code in (200, 201), response.text
        wait_for_mail(maildir, delegate, 2)
        wait_for_mail(maildir, speaker, 1)

        assert (await http.post(f"{c.base}/cancel", headers=c.auth)).status_code == 200
        delegate_mail = wait_for_mail(maildir, delegate, 4)
        speaker_mail = wait_for_mail(maildir, speaker, 2)

        public = await http.get(f"{c.base}/calendar.ics")
        personal = await http.get(await feed_path(token))

    methods = [
        (str(icalendar.Calendar.from_ical(calendar_part(m))["METHOD"]), str(vevent(m)["SUMMARY"]))
        for m in delegate_mail
    ]
    assert sorted(methods[2:]) == sorted([("CANCEL", CONGRESS["title"]), ("CANCEL", "Nature-based solutions")])
    assert [
        (str(icalendar.Calendar.from_ical(calendar_part(m))["METHOD"]), int(vevent(m)["SEQUENCE"]))
        for m in speaker_mail
    ] == [
        ("REQUEST", 1),  # the speaker list is in the invite: adding Ana grew it
        ("CANCEL", 2),
    ]
    check_chain(delegate_mail, tmp_path, "delegate")
    check_chain(speaker_mail, tmp_path, "speaker")

    # The feeds keep answering: every object cancelled, at the SEQUENCE its holders received or newer.
    assert (public.status_code, personal.status_code) == (200, 200)
    feeds = {"public": public.content, "personal": personal.content}
    for name, data in feeds.items():
        (tmp_path / f"{name}.ics").write_bytes(data)
        events = icalendar.Calendar.from_ical(data).walk("VEVENT")
        assert {str(e["STATUS"]) for e in events} == {"CANCELLED"}, name
    validate_ics(tmp_path / "public.ics", tmp_path / "personal.ics")
    assert len(icalendar.Calendar.from_ical(public.content).walk("VEVENT")) == 2
    assert len(icalendar.Calendar.from_ical(personal.content).walk("VEVENT")) == 2
    held = {str(r["uid"]): r["sequence"] for r in await sql.fetch("SELECT uid, sequence FROM calendar_copy")}
    shown = {str(e["UID"]): int(e["SEQUENCE"]) for e in icalendar.Calendar.from_ical(personal.content).walk("VEVENT")}
    assert all(shown[uid] >= held[uid] for uid in shown) and len(shown) == 2


async def test_venue_change_reaches_every_session_holder_but_not_joiners(
    organizer_account, api_server, celery_worker, maildir, tmp_path
):
    delegate, joiner, speaker = (a.format(n=1) for a in (DELEGATE, JOINER, SPEAKER))
    async with httpx.AsyncClient(base_url=api_server, timeout=20) as http:
        c = await Congress.create(http)
        session = c.sessions[0]
        token = await c.register(delegate, "Camila Rodríguez", language="es", timezone="America/Bogota")
        await c.book(token, session)
        await http.post(
            f"{c.base}/sessions/{session['id']}/people",
            json={"role": "moderator", "email": speaker, "name": "Ana Lima"},
            headers=c.auth,
        )
        wait_for_mail(maildir, delegate, 2)
        wait_for_mail(maildir, speaker, 1)

        response = await http.patch(c.base, json={"venue_name": "Bundeshaus"}, headers=c.auth)
        assert response.status_code == 200, response.text
        # Inside the update window a joiner registers and books: their invites already show the new venue.
        joiner_token = await c.register(joiner, "Joana Silva")
        await c.book(joiner_token, session)
        wait_for_mail(maildir, joiner, 2)
        assert await c.release() == 3  # the delegate's event and session, the moderator's session; not the joiner
        delegate_mail = wait_for_mail(maildir, delegate, 4)
        speaker_mail = wait_for_mail(maildir, speaker, 2)

    assert len(read_mail(maildir, joiner)) == 2
    for message in (*delegate_mail[2:], speaker_mail[1]):
        assert "Bundeshaus" in str(vevent(message)["LOCATION"])
    session_update = next(m for m in delegate_mail[2:] if str(vevent(m)["SUMMARY"]) == session["title"])
    body = text_of(session_update)
    assert "Lugar anterior: Room A, World Conference Center, Bonn, Germany" in body
    assert "Lugar nuevo: Room A, Bundeshaus, Bonn" in body
    check_chain(delegate_mail, tmp_path, "delegate")
    check_chain(speaker_mail, tmp_path, "speaker")
    check_chain(read_mail(maildir, joiner), tmp_path, "joiner")


async def test_room_rename_title_and_time_changes_each_reach_the_booker(
    organizer_account, api_server, celery_worker, maildir, tmp_path
):
    delegate, joiner, speaker = (a.format(n=2) for a in (DELEGATE, JOINER, SPEAKER))
    async with httpx.AsyncClient(base_url=api_server, timeout=20) as http:
        c = await Congress.create(http)
        session = c.sessions[0]
        token = await c.register(delegate, "Camila Rodríguez", timezone="America/Bogota")
        await c.book(token, session)
        wait_for_mail(maildir, delegate, 2)

        await http.patch(f"{c.base}/rooms/{c.room['id']}", json={"name": "Beethoven Hall"}, headers=c.auth)
        assert await c.release() == 1
        wait_for_mail(maildir, delegate, 3)
        await http.patch(f"{c.base}/sessions/{session['id']}", json={"title": "Parks and wetlands"}, headers=c.auth)
        assert await c.release() == 1
        wait_for_mail(maildir, delegate, 4)
        await http.patch(
            f"{c.base}/sessions/{session['id']}",
            json={"starts_at": "2027-10-30T09:00:00", "ends_at": "2027-10-30T10:30:00"},
            headers=c.auth,
        )
        assert await c.release() == 1
        messages = wait_for_mail(maildir, delegate, 5)
        # A change of nothing an invite shows sends nothing.
        await http.patch(f"{c.base}/sessions/{session['id']}", json={"capacity": 20}, headers=c.auth)
        await http.patch(c.base, json={"capacity": 900}, headers=c.auth)
        assert await c.release() == 0

    room, title, moved = messages[2:]
    assert str(vevent(room)["LOCATION"]).startswith("Beethoven Hall, World Conference Center")
    assert "Place was: Room A, World Conference Center" in text_of(room)
    assert str(vevent(title)["SUMMARY"]) == "Parks and wetlands"
    assert "Title was: Nature-based solutions\nTitle now: Parks and wetlands" in text_of(title)
    assert vevent(moved)["DTSTART"].dt.astimezone(timezone.utc) == datetime(2027, 10, 30, 7, 0, tzinfo=timezone.utc)
    body = text_of(moved)
    assert "Time was: Friday, 29 October 2027, 10:00–11:00 (Europe/Berlin)" in body
    assert "your time: Friday, 29 October 2027, 03:00–04:00 (America/Bogota)" in body
    assert "Time now: Saturday, 30 October 2027, 09:00–10:30 (Europe/Berlin)" in body
    assert [int(vevent(m)["SEQUENCE"]) for m in messages[1:]] == [0, 1, 2, 3]
    check_chain(messages, tmp_path, "delegate")


async def test_cancelling_a_project_cancels_each_of_its_series_for_every_invitee(
    client, organizer, celery_worker, maildir, tmp_path
):
    from urllib.parse import urlsplit

    from tests.integration.web.test_meetings_api import SERIES, create_series, project_with_cohort

    invitee = "jiwon.park@seoul.example"
    seen = len(read_mail(maildir, invitee))
    project = await project_with_cohort(client, organizer)
    first = await create_series(client, organizer, project["id"])
    second = await create_series(client, organizer, project["id"], title="Air quality monitoring clinic")
    invites = wait_for_mail(maildir, invitee, seen + 2)[seen:]

    response = await client.post(f"/api/projects/{project['id']}/cancel", headers=organizer)
    assert response.status_code == 200, response.text
    again = await client.post(f"/api/projects/{project['id']}/cancel", headers=organizer)
    cancels = wait_for_mail(maildir, invitee, seen + 4)[seen + 2 :]
    feed = await client.get(urlsplit(response.json()["feed_url"]).path)

    assert again.status_code == 409
    assert (response.json()["status"], response.json()["cancelled_at"] is not None) == ("cancelled", True)
    # a cancelled project starts no new meetings; its page says it is cancelled
    refused = await client.post(
        f"/api/projects/{project['id']}/series", headers=organizer, json={**SERIES, "title": "One more call"}
    )
    assert refused.status_code == 409 and "cancelled" in refused.text
    methods = {
        str(vevent(m)["UID"]): (
            str(icalendar.Calendar.from_ical(calendar_part(m))["METHOD"]),
            int(vevent(m)["SEQUENCE"]),
        )
        for m in cancels
    }
    assert methods == {first["calendar_uid"]: ("CANCEL", 1), second["calendar_uid"]: ("CANCEL", 1)}
    check_chain([*invites, *cancels], tmp_path, "invitee")
    assert feed.status_code == 200
    assert {str(e["STATUS"]) for e in icalendar.Calendar.from_ical(feed.content).walk("VEVENT")} == {"CANCELLED"}
    (tmp_path / "project.ics").write_bytes(feed.content)
    validate_ics(tmp_path / "project.ics")
