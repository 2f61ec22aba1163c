"""Least-power tokens where they travel, no tokens in access logs, and privacy completeness.

Each test here fails when the protection it checks is removed: the manage link back in an invite's DESCRIPTION,
a feed reachable with the manage token or publicly cacheable, an access log that prints a token, an export or an
erasure (request or retention) that misses a place where the person's name or address is kept.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import os
import re
import secrets
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import httpx
import icalendar

from events_app.db import sql
from events_app.services.meetings import meeting_rsvp
from events_app.services.messaging import notifications
from events_app.services.privacy import privacy
from events_app.services.registration import registration_links, registrations
from events_app.settings import get_settings
from tests.agenda_fixtures import add_session, congress, feed_path
from tests.fixtures import ROOT, free_port, stop, wait_for_port

NAME = "Zofia Wisniewska"
EMAIL = "zofia.wisniewska@gdansk.example.org"


def _register_body(**extra) -> dict:
    return {"email": EMAIL, "name": NAME, "category": "delegate", "consent": True, **extra}


async def _registered(client, organizer) -> tuple[dict, str]:
    """A congress and the manage token of a confirmed delegate."""
    c = await congress(client, organizer)
    response = await client.post(f"{c['base']}/registrations", json=_register_body())
    assert response.status_code == 201, response.text
    return c, response.json()["manage_token"]


async def _composed_confirmation(manage_token: str) -> email.message.EmailMessage:
    registration = await registrations.registration_by_token(manage_token)
    row = dict(
        await sql.fetchrow(
            "SELECT * FROM outbox_message WHERE registration = $1 AND kind = 'registration_confirmed'",
            registration["id"],
        )
    )
    outgoing = await notifications.compose(row, get_settings())
    return email.message_from_bytes(outgoing.data, policy=email.policy.default)


def _calendar_of(message) -> icalendar.Calendar:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return icalendar.Calendar.from_ical(part.get_payload(decode=True))
    raise AssertionError("no text/calendar part")


# --------------------------------------------------------------------------- least-power links in invites


async def test_invite_description_carries_view_link_not_manage_link(client, organizer):
    c, manage = await _registered(client, organizer)
    message = await _composed_confirmation(manage)
    vevent = _calendar_of(message).walk("VEVENT")[0]
    description = str(vevent["DESCRIPTION"])  # parsed: unfolded and unescaped
    unfolded = _calendar_of(message).to_ical().decode()
    view_url = re.search(r"https?://\S+/view/\S+", description).group(0)
    body = message.get_body(("plain",)).get_content()
    assert (manage in description, "/manage/" in description, manage in unfolded.replace("\r\n ", "")) == (
        False,
        False,
        False,
    )
    assert f"/manage/{manage}" in body  # the email body (not the invite) keeps the manage link

    view_token = urlsplit(view_url).path.split("/")[2]
    page = await client.get(f"/view/{view_token}")
    assert page.status_code == 200
    assert (NAME in page.text, "confirmation email" in page.text, "<form" in page.text, EMAIL in page.text) == (
        True,
        True,
        False,
        False,
    )
    # The view token opens nothing that changes or reveals more.
    assert (await client.get(f"/manage/{view_token}")).status_code == 404
    assert (await client.delete(f"/api/registrations/{view_token}")).status_code == 404
    assert (await client.get(f"/api/registrations/{view_token}")).status_code == 404
    assert (await client.get(f"/api/my-agenda/{view_token}/calendar.ics")).status_code == 404
    status = await sql.fetchval("SELECT status FROM registration WHERE view_hash IS NOT NULL")
    assert status == "confirmed"


async def test_view_page_refuses_unknown_and_manage_tokens(client, organizer):
    c, manage = await _registered(client, organizer)
    assert (await client.get(f"/view/{manage}")).status_code == 404
    assert (await client.get(f"/view/{secrets.token_urlsafe(32)}")).status_code == 404


# --------------------------------------------------------------------------- feeds


async def test_personal_feed_uses_its_own_token_and_is_private(client, organizer):
    c, manage = await _registered(client, organizer)
    await add_session(client, organizer, c)  # the manage page shows the feed with the agenda
    manage_page = await client.get(f"/manage/{manage}")
    path = await feed_path(manage)
    feed_token = path.split("/")[3]
    feed = await client.get(path)
    public = await client.get(f"{c['base']}/calendar.ics")
    assert (
        manage_page.status_code,
        path in manage_page.text,
        f"/api/registrations/{manage}/calendar.ics" in manage_page.text,
    ) == (200, True, False)
    assert (feed.status_code, feed.headers["content-type"].split(";")[0]) == (200, "text/calendar")
    cache = [d.strip() for d in feed.headers["cache-control"].split(",")]
    assert ("private" in cache, "public" in cache) == (True, False)
    assert "public" in public.headers["cache-control"]  # the public feed stays publicly cacheable
    # The manage token no longer opens a feed, and the feed token opens nothing else.
    assert (await client.get(f"/api/registrations/{manage}/calendar.ics")).status_code == 404
    assert (await client.get(f"/manage/{feed_token}")).status_code == 404
    assert (await client.delete(f"/api/registrations/{feed_token}")).status_code == 404
    assert (await client.get(f"/view/{feed_token}")).status_code == 404
    again = await client.get(path, headers={"If-None-Match": feed.headers["etag"]})
    assert (again.status_code, "private" in again.headers["cache-control"]) == (304, True)


async def test_person_meeting_feed_is_private(client, organizer):
    from tests.integration.web.test_route_permissions import build

    s = await build()
    response = await client.get(f"/api/people/{s.ids['calendar_token']}/calendar.ics")
    cache = [d.strip() for d in response.headers["cache-control"].split(",")]
    assert (response.status_code, "private" in cache, "public" in cache) == (200, True, False)


async def test_erasure_kills_view_and_feed_links(client, organizer):
    c, manage = await _registered(client, organizer)
    registration = await registrations.registration_by_token(manage)
    links = await registration_links.ensure(registration["id"])
    view, feed = urlsplit(links.view_url).path, urlsplit(links.feed_url).path
    assert ((await client.get(view)).status_code, (await client.get(feed)).status_code) == (200, 200)
    await privacy.erase(registration["person"])
    assert ((await client.get(view)).status_code, (await client.get(feed)).status_code) == (404, 404)


# --------------------------------------------------------------------------- access log


def test_access_log_never_shows_tokens(db, tmp_path):
    """The real server (uvicorn, as manage.py and the Dockerfile run it) with its access log on."""
    log_path = tmp_path / "api.log"
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "events_app.web.app:create_app",
            "--factory",
            "--no-proxy-headers",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "info",
        ],
        cwd=ROOT,
        env={**os.environ, "PUBLIC_URL": f"http://127.0.0.1:{port}"},
        stdout=open(log_path, "ab"),
        stderr=subprocess.STDOUT,
    )
    tokens = [secrets.token_urlsafe(32) for _ in range(9)] + ["short", "abc123"]
    paths = [
        f"/manage/{tokens[0]}",
        f"/manage/{tokens[1]}/cancel",
        f"/view/{tokens[2]}",
        f"/api/registrations/{tokens[3]}/agenda",
        f"/api/my-agenda/{tokens[4]}/calendar.ics",
        f"/rsvp/{tokens[5]}?answer=accepted",
        f"/api/people/{tokens[6]}/calendar.ics",
        f"/api/projects/feeds/{tokens[7]}/calendar.ics",
        f"/events/1/register?invitation={tokens[8]}",
        f"/api/unsubscribe/{tokens[9]}",
        f"/api/rsvp/{tokens[10]}",
        "/api/events?token=abc123",
    ]
    try:
        wait_for_port(port, proc)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            for path in paths:
                http.get(path)
            http.get("/api/events")
    finally:
        stop(proc)
    log = log_path.read_text()
    access = [line for line in log.splitlines() if '"GET ' in line]
    assert len(access) == len(paths) + 1, log
    assert [t for t in tokens if t in log] == []
    assert sum("[redacted]" in line for line in access) == len(paths)
    assert any('"GET /api/events HTTP/1.1" 200' in line for line in access)  # other paths are logged as they are


# --------------------------------------------------------------------------- privacy completeness


async def _places_naming(*needles: str) -> list[str]:
    """Every column of every table (text, JSON, arrays, bytea...) holding one of the needles, case-insensitively:
    read from information_schema, so a table added later is searched too."""
    columns = await sql.fetch(
        """SELECT table_name, column_name, data_type FROM information_schema.columns
           WHERE table_schema = 'public' AND data_type NOT IN ('integer', 'bigint', 'smallint', 'boolean', 'date',
                 'timestamp with time zone', 'timestamp without time zone', 'numeric', 'double precision', 'uuid',
                 'real', 'interval')
           ORDER BY table_name, column_name"""
    )
    assert len(columns) > 40
    found = []
    for col in columns:
        table, column = '"' + col["table_name"] + '"', '"' + col["column_name"] + '"'
        for needle in needles:
            if col["data_type"] == "bytea":
                # iCalendar pieces fold long lines (CRLF + space): unfold before searching.
                query = (
                    f"SELECT count(*) FROM {table} WHERE strpos(replace(lower(encode({column}, 'escape')),"
                    f" '\\015\\012 ', ''), lower($1)) > 0"
                )
            else:
                query = f"SELECT count(*) FROM {table} WHERE {column}::text ILIKE '%' || $1 || '%'"
            if await sql.fetchval(query, needle):
                found.append(f"{col['table_name']}.{col['column_name']}: {needle}")
    return found


async def _everywhere(client, organizer) -> tuple[int, dict]:
    """One person in every place the system keeps people: a registration with answers, session bookings, speaker
    and moderator roles (and the change log and feed pieces naming them), an invitation, a delegation they head,
    a cohort contact with meeting invitations, an RSVP, attendance, minutes and an agenda item naming them, an
    action item, inbound replies, the outbox and its delivery errors, audit entries."""
    c = await congress(client, organizer)
    base = c["base"]
    question = await client.post(
        f"{base}/questions", headers=organizer, json={"code": "diet", "label": "Diet", "kind": "short_text"}
    )
    assert question.status_code == 201, question.text
    registered = await client.post(
        f"{base}/registrations", json=_register_body(answers={"diet": f"Vegetarian ({NAME})"})
    )
    assert registered.status_code == 201, registered.text
    manage = registered.json()["manage_token"]
    spoken = await add_session(client, organizer, c, people=[{"role": "speaker", "email": EMAIL, "name": NAME}])
    workshop = await add_session(
        client,
        organizer,
        c,
        title="Workshop",
        start="2027-10-29T14:00:00",
        end="2027-10-29T15:00:00",
        requires_booking=True,
    )
    panel = await add_session(
        client, organizer, c, title="Panel", start="2027-10-30T10:00:00", end="2027-10-30T11:00:00"
    )
    moderated = await client.post(
        f"{base}/sessions/{panel['id']}/people",
        headers=organizer,
        json={"role": "moderator", "email": EMAIL, "name": NAME},
    )
    assert moderated.status_code in (200, 201), moderated.text
    booked = await client.put(f"/api/registrations/{manage}/agenda/{workshop['id']}")
    assert booked.status_code == 200, booked.text
    await client.patch(f"{base}/sessions/{spoken['id']}", headers=organizer, json={"title": "Flood-prone cities"})
    invited = await client.post(
        f"{base}/invitations", headers=organizer, json={"email": EMAIL, "name": NAME, "category": "delegate"}
    )
    assert invited.status_code == 201, invited.text
    other = await congress(client, organizer, title="Second forum")
    org = await sql.fetchval(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ('City of Gdansk', 'city', 'PL', 'active', now()) RETURNING id"
    )
    headed = await client.post(
        f"{other['base']}/delegations",
        headers=organizer,
        json={"organization_id": org, "category": "delegate", "seats": 2, "head_email": EMAIL, "head_name": NAME},
    )
    assert headed.status_code == 201, headed.text

    project = (await client.post("/api/projects", headers=organizer, json={"title": "Clean air"})).json()
    member = await client.post(
        f"/api/projects/{project['id']}/members", headers=organizer, json={"organization_id": org}
    )
    assert member.status_code in (200, 201), member.text
    contact = await client.post(
        f"/api/projects/{project['id']}/contacts",
        headers=organizer,
        json={"email": EMAIL, "name": NAME, "organization_id": org},
    )
    assert contact.status_code in (200, 201), contact.text
    series = await client.post(
        f"/api/projects/{project['id']}/series",
        headers=organizer,
        json={
            "title": "Monthly call",
            "mode": "online",
            "timezone": "Europe/Warsaw",
            "start": "2027-05-04T10:00:00",
            "duration_minutes": 60,
            "rrule": "FREQ=MONTHLY;COUNT=3",
            "online_url": "https://meet.example.org/a",
            "agenda": [{"title": "Air quality data", "presenter": NAME}],
        },
    )
    assert series.status_code == 201, series.text
    series = series.json()
    person_id = await sql.fetchval("SELECT id FROM person WHERE email = $1", EMAIL)
    occurrences = (await client.get(f"/api/meeting-series/{series['id']}/occurrences", headers=organizer)).json()
    occ = f"/api/meeting-series/{series['id']}/occurrences/{occurrences[0]['id']}"
    for method, path, body in (
        ("PUT", "/minutes", {"minutes": f"{NAME} presented the data. Thanks, {NAME}!"}),
        ("PUT", "/attendance", {"person_ids": [person_id]}),
        ("POST", "/actions", {"title": f"{NAME} sends the data", "owner_person_id": person_id}),
    ):
        response = await client.request(method, occ + path, headers=organizer, json=body)
        assert response.status_code in (200, 201), response.text
    from events_app.domain.security import rsvp_token

    nonce = await sql.fetchval("SELECT token_nonce FROM meeting_invitee WHERE person = $1", person_id)
    await meeting_rsvp.answer(rsvp_token(get_settings().secret_key, nonce), "accepted", None)
    uid = await sql.fetchval("SELECT calendar_uid::text FROM meeting_series WHERE id = $1", series["id"])
    reply = (
        f"From: {NAME} <{EMAIL.upper()}>\r\nTo: meetings@example.org\r\nSubject: Accepted\r\n"
        "Content-Type: text/calendar; method=REPLY; charset=utf-8\r\n\r\n"
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20270401T100000Z\r\n"
        f"ATTENDEE;PARTSTAT=ACCEPTED;CN={NAME}:mailto:{EMAIL}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    await meeting_rsvp.receive_reply(reply.encode())
    await meeting_rsvp.receive_reply(f"From: {NAME} <{EMAIL}>\r\nSubject: thanks\r\n\r\nSee you".encode())
    # What calendar answers leave: an answer to the event's invite, a proposal of another time (its comment names
    # them) and a delegation by someone else naming them as the delegate (as the inbound endpoint stores them).
    await sql.execute(
        "INSERT INTO calendar_answer (event, person, partstat, answered_at) VALUES ($1, $2, 'DECLINED', now())",
        c["id"],
        person_id,
    )
    await sql.execute(
        "INSERT INTO meeting_proposal (series, person, proposed_start, proposed_end, comment, method)"
        " VALUES ($1, $2, '2027-03-02T12:00Z', '2027-03-02T13:00Z', $3, 'COUNTER')",
        series["id"],
        person_id,
        f"{NAME} lands at noon",
    )
    await sql.execute(
        "INSERT INTO meeting_delegation (series, delegator, delegate_email, delegate_name) VALUES ($1, $2, $3, $4)",
        series["id"],
        person_id,
        EMAIL,
        NAME,
    )
    # What a delivery failure leaves on the outbox row (the SMTP server's answer names the mailbox).
    await sql.execute(
        "UPDATE outbox_message SET last_error = $2 WHERE recipient = $1",
        EMAIL,
        f"550 5.1.1 <{EMAIL}>: mailbox unavailable",
    )
    # Last, as a person's change (here their organization, set by the cohort) drops the pieces naming them.
    assert (await client.get(f"{base}/calendar.ics")).status_code == 200  # stores the feed pieces
    assert (await client.get(await feed_path(manage))).status_code == 200
    return person_id, {"event": c, "series": series, "manage": manage}


async def test_everywhere_scenario_really_names_the_person_everywhere(client, organizer):
    """The arrangement of the erasure test: the person is in each place it lists (else erasure proves nothing)."""
    person_id, _ = await _everywhere(client, organizer)
    tables = {p.split(".")[0] for p in await _places_naming(NAME, EMAIL)}
    assert {
        "person",
        "registration",
        "invitation",
        "outbox_message",
        "audit_log",
        "agenda_change",
        "agenda_feed_piece",
        "meeting_inbound_reply",
        "meeting_occurrence",
        "meeting_agenda_item",
        "meeting_action",
    } <= tables, tables


async def test_export_covers_every_place_of_the_person(client, organizer):
    person_id, _ = await _everywhere(client, organizer)
    data = await privacy.export(person_id)
    sizes = {k: len(v) for k, v in data.items() if isinstance(v, list)}
    assert {k: n > 0 for k, n in sizes.items()} == {k: True for k in sizes}, sizes
    assert {r["role"] for r in data["session_roles"]} == {"speaker", "moderator"}
    assert [b["title"] for b in data["session_bookings"]] == ["Workshop"]
    assert data["registrations"][0]["answers"] == {"diet": f"Vegetarian ({NAME})"}
    assert {r["outcome"] for r in data["inbound_replies"]} >= {"rejected"}
    assert [a["title"] for a in data["meeting_actions"]] == [f"{NAME} sends the data"]


async def test_erasure_leaves_name_and_address_nowhere(client, organizer):
    person_id, scene = await _everywhere(client, organizer)
    await privacy.erase(person_id)
    assert await _places_naming(NAME, EMAIL) == []
    # The agenda and its feed no longer name them (their roles show the erased placeholder).
    agenda = await client.get(f"{scene['event']['base']}/agenda")
    feed = await client.get(f"{scene['event']['base']}/calendar.ics")
    assert (agenda.status_code, feed.status_code) == (200, 200)
    assert (NAME in agenda.text, NAME in feed.text.replace("\r\n ", ""), privacy.ERASED_NAME in agenda.text) == (
        False,
        False,
        True,
    )


async def test_retention_leaves_name_and_address_nowhere(client, organizer, monkeypatch):
    c = await congress(client, organizer)
    question = await client.post(
        f"{c['base']}/questions", headers=organizer, json={"code": "diet", "label": "Diet", "kind": "short_text"}
    )
    assert question.status_code == 201, question.text
    registered = await client.post(
        f"{c['base']}/registrations", json=_register_body(answers={"diet": f"Vegetarian ({NAME})"})
    )
    assert registered.status_code == 201, registered.text
    await add_session(client, organizer, c, people=[{"role": "speaker", "email": EMAIL, "name": NAME}])
    assert (await client.get(f"{c['base']}/calendar.ics")).status_code == 200
    assert await _places_naming(NAME, EMAIL) != []
    ended = datetime.now(timezone.utc) - timedelta(days=400)
    await sql.execute(
        "UPDATE event SET starts_at = $2, ends_at = $3 WHERE id = $1", c["id"], ended - timedelta(days=1), ended
    )
    await sql.execute("UPDATE person SET created_at = $1", ended - timedelta(days=30))
    settings = dataclasses.replace(get_settings(), retention_days=365)
    monkeypatch.setattr(privacy, "get_settings", lambda: settings)
    assert await privacy.apply_retention() == 1
    assert await _places_naming(NAME, EMAIL) == []


async def test_retention_keeps_a_speaker_of_an_event_still_ahead(client, organizer, monkeypatch):
    """A person created long ago who only speaks at a future event is not someone retention may erase."""
    c = await congress(client, organizer)
    await add_session(client, organizer, c, people=[{"role": "speaker", "email": EMAIL, "name": NAME}])
    await sql.execute("UPDATE person SET created_at = now() - interval '800 days'")
    settings = dataclasses.replace(get_settings(), retention_days=365)
    monkeypatch.setattr(privacy, "get_settings", lambda: settings)
    await privacy.apply_retention()
    assert await sql.fetchval("SELECT name FROM person WHERE email = $1", EMAIL) == NAME


async def council_delegation(client, organizer, event: dict) -> None:
    """The City Council's delegation at the event, headed by Thabo Nkosi <mayor@citycouncil.com> (the audit log
    names both)."""
    org = await sql.fetchval(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ('City Council', 'city', 'ZA', 'active', now()) RETURNING id"
    )
    headed = await client.post(
        f"{event['base']}/delegations",
        headers=organizer,
        json={
            "organization_id": org,
            "category": "delegate",
            "seats": 2,
            "head_email": "mayor@citycouncil.com",
            "head_name": "Thabo Nkosi",
        },
    )
    assert headed.status_code == 201, headed.text


async def _stranger(client, event_base: str, email_address: str, name: str) -> int:
    """Anyone with a mailbox: registers under any name they like (and could then erase themselves)."""
    body = {"email": email_address, "name": name, "category": "delegate", "consent": True}
    response = await client.post(f"{event_base}/registrations", json=body)
    assert response.status_code == 201, response.text
    return await sql.fetchval("SELECT id FROM person WHERE email = $1", email_address)


async def test_erasing_a_made_up_person_rewrites_nobody_elses_records(client, organizer):
    """A name is no identifier: someone registering as "budget" or as another person's name and erasing
    themselves must not rewrite minutes, actions or audit entries of projects and events they had no part in;
    and an address is rewritten only as a whole address, never inside a longer one."""
    c = await congress(client, organizer)
    project = (await client.post("/api/projects", headers=organizer, json={"title": "Coastal budgets"})).json()
    series = await client.post(
        f"/api/projects/{project['id']}/series",
        headers=organizer,
        json={
            "title": "Budget call",
            "mode": "online",
            "timezone": "Africa/Johannesburg",
            "start": "2027-05-04T10:00:00",
            "duration_minutes": 60,
            "rrule": "FREQ=MONTHLY;COUNT=2",
            "online_url": "https://meet.example.org/b",
        },
    )
    assert series.status_code == 201, series.text
    occurrences = (await client.get(f"/api/meeting-series/{series.json()['id']}/occurrences", headers=organizer)).json()
    occ = f"/api/meeting-series/{series.json()['id']}/occurrences/{occurrences[0]['id']}"
    minutes = "Ana Souza presented the budget. The budget was approved by Thabo Nkosi."
    for method, path, body in (
        ("PUT", "/minutes", {"minutes": minutes}),
        ("POST", "/actions", {"title": "Publish the budget"}),
    ):
        response = await client.request(method, occ + path, headers=organizer, json=body)
        assert response.status_code in (200, 201), response.text
    await council_delegation(client, organizer, await congress(client, organizer, title="Second forum"))
    audit_before = await sql.fetch("SELECT id, subject_id, before, after FROM audit_log ORDER BY id")

    for address, name in (
        ("stranger0@evil.example", "budget"),
        ("stranger1@evil.example", "Thabo Nkosi"),
        ("mayor@citycouncil.co", "Mayor"),
    ):
        await privacy.erase(await _stranger(client, c["base"], address, name))

    assert await sql.fetchval("SELECT minutes FROM meeting_occurrence WHERE minutes <> '' LIMIT 1") == minutes
    assert await sql.fetchval("SELECT title FROM meeting_action") == "Publish the budget"
    kept = {r["id"]: r for r in await sql.fetch("SELECT id, subject_id, before, after FROM audit_log ORDER BY id")}
    assert [dict(kept[r["id"]]) for r in audit_before] == [dict(r) for r in audit_before]
    assert await sql.fetchval("SELECT count(*) FROM person WHERE email = 'mayor@citycouncil.com'") == 1


async def test_export_holds_no_entries_of_a_longer_or_similar_address(client, organizer):
    """The export of mayor@citycouncil.co (a domain anyone can buy) and of li@ holds nothing about
    mayor@citycouncil.com or wei.li@: whole addresses only."""
    c = await congress(client, organizer)
    await council_delegation(client, organizer, c)
    await sql.execute(
        "INSERT INTO meeting_inbound_reply (received_at, sender, calendar_uid, attendee, partstat, outcome, reason,"
        " reason_code) VALUES (now(), 'wei.li@chengdu.example', 'x', 'mailto:wei.li@chengdu.example', 'ACCEPTED',"
        " 'rejected', 'unknown UID', 'unknown-uid')"
    )
    lookalike = await _stranger(client, c["base"], "mayor@citycouncil.co", "Look Alike")
    short = await _stranger(client, c["base"], "li@chengdu.example", "Li")
    head = await sql.fetchval("SELECT id FROM person WHERE email = 'mayor@citycouncil.com'")

    assert (await privacy.export(lookalike))["audit_entries"] == []
    assert (await privacy.export(short))["inbound_replies"] == []
    assert len((await privacy.export(head))["audit_entries"]) >= 1
