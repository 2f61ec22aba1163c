"""Organizer scope and members-only categories, attacked over HTTP against the real stack (API and pages).

An organizer of one event must learn nothing about, and change nothing of, a person who is connected only to
another event: person ids and known addresses give nothing away. A members-only category must not trust an
organization the registrant merely names.
"""

from __future__ import annotations

from events_app.db import sql
from events_app.domain.security import manage_token
from events_app.services.people import accounts
from events_app.services.privacy import privacy
from events_app.settings import get_settings
from tests.agenda_fixtures import add_session, congress
from tests.fixtures import login, published_event
from tests.integration.web.test_pages import csrf, page_login

BEA = "bea.hidden@lagos.example"


async def organization(name: str, kind: str = "city", membership: str = "active", domain: str | None = None) -> int:
    org_id = await sql.fetchval(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ($1, $2, 'NG', $3, now()) RETURNING id",
        name,
        kind,
        membership,
    )
    if domain:
        await sql.execute(
            "INSERT INTO organization_domain (organization, domain, created_at) VALUES ($1, $2, now())", org_id, domain
        )
    return org_id


async def person_of_event_b(client) -> tuple[int, dict]:
    """Bea registers for event B (organized by someone else): her id, and organizer B's headers."""
    organizer_b = await login(client, "organizer.b@example.org")
    event_b = await published_event(client, organizer_b, title="Event B")
    lagos = await organization("City of Lagos")
    response = await client.post(
        f"/api/events/{event_b['id']}/registrations",
        json={
            "email": BEA,
            "name": "Bea Hidden",
            "category": "delegate",
            "language": "es",
            "timezone": "Africa/Lagos",
            "organization_id": lagos,
            "consent": True,
        },
    )
    assert response.status_code == 201, response.text
    return await sql.fetchval("SELECT id FROM person WHERE email = $1", BEA), organizer_b


async def profile(email: str) -> tuple:
    row = await sql.fetchrow(
        "SELECT p.name, o.name AS organization, p.language, p.timezone FROM person p"
        " LEFT JOIN organization o ON o.id = p.organization WHERE p.email = $1",
        email,
    )
    return tuple(row)


BEA_PROFILE = ("Bea Hidden", "City of Lagos", "es", "Africa/Lagos")


# --------------------------------------------------------------------------- naming a person by id


async def test_add_person_by_id_outside_scope_is_404_like_an_unknown_id(client, organizer):
    bea, _ = await person_of_event_b(client)
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    url = f"{c['base']}/sessions/{session['id']}/people"
    outside = await client.post(url, json={"person_id": bea, "role": "speaker"}, headers=organizer)
    unknown = await client.post(url, json={"person_id": bea + 1000, "role": "speaker"}, headers=organizer)
    assert (outside.status_code, outside.json()) == (404, unknown.json())
    assert await sql.fetchval("SELECT count(*) FROM agenda_session_person WHERE person = $1", bea) == 0


async def test_create_session_with_person_id_outside_scope_is_404(client, organizer):
    bea, _ = await person_of_event_b(client)
    c = await congress(client, organizer)
    response = await client.post(
        f"{c['base']}/sessions",
        headers=organizer,
        json={
            "title": "Panel",
            "kind": "panel",
            "starts_at": "2027-10-29T10:00:00",
            "ends_at": "2027-10-29T11:00:00",
            "people": [{"person_id": bea}],
        },
    )
    assert response.status_code == 404, response.text
    assert await sql.fetchval("SELECT count(*) FROM agenda_session") == 0


async def test_add_person_by_id_within_scope_shows_them_in_affected(client, organizer):
    c = await congress(client, organizer)
    registered = await client.post(
        f"{c['base']}/registrations",
        json={
            "email": "kofi@accra.example",
            "name": "Kofi Mensah",
            "category": "delegate",
            "language": "es",
            "consent": True,
        },
    )
    kofi = await sql.fetchval("SELECT id FROM person WHERE email = 'kofi@accra.example'")
    session = await add_session(client, organizer, c)
    added = await client.post(
        f"{c['base']}/sessions/{session['id']}/people", json={"person_id": kofi}, headers=organizer
    )
    affected = await client.get(f"{c['base']}/sessions/{session['id']}/affected", headers=organizer)
    assert (registered.status_code, added.status_code) == (201, 201)
    assert [(p["name"], p["language"], p["reasons"]) for p in affected.json()] == [("Kofi Mensah", "es", ["speaker"])]


async def test_affected_of_another_organizers_event_is_refused(client, organizer):
    bea, organizer_b = await person_of_event_b(client)
    c = await congress(client, organizer_b)
    session = await add_session(client, organizer_b, c, people=[{"email": "x@y.example", "name": "X"}])
    response = await client.get(f"{c['base']}/sessions/{session['id']}/affected", headers=organizer)
    assert response.status_code == 403 and BEA not in response.text


async def test_schedule_import_of_another_organizers_event_is_refused_before_the_file_is_read(client, organizer):
    _, organizer_b = await person_of_event_b(client)
    c = await congress(client, organizer_b)
    chunks_read = []

    async def upload():  # what a client streams: the app pulls each chunk only when it reads the body
        for _ in range(50):
            chunks_read.append(1)
            yield b" " * 1_000_000

    response = await client.post(
        f"{c['base']}/schedule/import",
        content=upload(),
        headers={**organizer, "Content-Type": "application/json"},
    )
    assert response.status_code == 403, response.text[:300]
    assert chunks_read == [], f"{len(chunks_read)} MB read before the organizer was checked"


async def test_schedule_import_page_of_another_organizers_event_is_refused_before_the_file_is_read(client, organizer):
    """The page's form carries its CSRF token in the body, so the check that would read the body to find it comes
    after the organizer check, as on the API."""
    _, organizer_b = await person_of_event_b(client)
    c = await congress(client, organizer_b)
    own = await congress(client, organizer)
    await page_login(client)
    token = await csrf(client, f"/organizer/events/{own['id']}/agenda/import")
    chunks_read = []

    async def upload():
        yield (
            f'--b\r\nContent-Disposition: form-data; name="_csrf_token"\r\n\r\n{token}\r\n'
            '--b\r\nContent-Disposition: form-data; name="file"; filename="schedule.json"\r\n'
            "Content-Type: application/json\r\n\r\n"
        ).encode()
        for _ in range(40):
            chunks_read.append(1)
            yield b" " * 1_000_000

    response = await client.post(
        f"/organizer/events/{c['id']}/agenda/import",
        content=upload(),
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code in (403, 404), response.text[:300]
    assert chunks_read == [], f"{len(chunks_read)} MB read before the organizer was checked"

    # On their own event, a form without the right token is still refused, and nothing is imported.
    document = (await client.get(f"{c['base']}/schedule.json")).content
    forged = await client.post(
        f"/organizer/events/{own['id']}/agenda/import",
        data={"_csrf_token": token[:-1] + ("0" if token[-1] != "0" else "1"), "action": "apply"},
        files={"file": ("schedule.json", document)},
    )
    assert forged.status_code == 403
    assert await sql.fetchval("SELECT count(*) FROM agenda_session WHERE event = $1", own["id"]) == 0


# --------------------------------------------------------------------------- naming a person by email


async def test_add_speaker_by_email_links_without_changing_or_showing_the_profile(client, organizer):
    bea, _ = await person_of_event_b(client)
    other = await organization("City of Abuja")
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c)
    added = await client.post(
        f"{c['base']}/sessions/{session['id']}/people",
        headers=organizer,
        json={"email": BEA.upper(), "name": "Typed By Organizer", "organization_id": other, "role": "moderator"},
    )
    affected = await client.get(f"{c['base']}/sessions/{session['id']}/affected", headers=organizer)
    public = await client.get(f"{c['base']}/sessions/{session['id']}")
    again_by_id = await client.post(
        f"{c['base']}/sessions/{session['id']}/people", json={"person_id": bea}, headers=organizer
    )
    assert added.status_code == 201, added.text
    assert [(p["person_id"], p["name"], p["organization"]) for p in added.json()["people"]] == [
        (bea, "Typed By Organizer", "City of Abuja")
    ]
    assert [(p["person_id"], p["email"], p["name"], p["language"]) for p in affected.json()] == [
        (bea, "", "Typed By Organizer", "")
    ]
    assert "Bea Hidden" not in affected.text + added.text + public.text and "Lagos" not in public.text
    assert again_by_id.status_code == 404  # linking by address opened nothing
    assert await profile(BEA) == BEA_PROFILE


async def test_add_speaker_by_new_email_creates_the_person(client, organizer):
    c = await congress(client, organizer)
    session = await add_session(client, organizer, c, people=[{"email": "new@speakers.example", "name": "Nia New"}])
    assert [p["name"] for p in session["people"]] == ["Nia New"]
    assert await sql.fetchval("SELECT name FROM person WHERE email = 'new@speakers.example'") == "Nia New"


async def project_with_contact(client, email: str, typed_name: str, city: str) -> tuple[dict, dict, dict]:
    """Bea exists (event B); any account creates a project, adds an address under a name it types, then starts a
    series: the coordinator's headers, the project as the answer shows it, and the series."""
    await person_of_event_b(client)
    coordinator = await login(client, "coordinator@example.org")
    org = await organization(city)
    project = (await client.post("/api/projects", json={"title": "Clean air"}, headers=coordinator)).json()
    response = await client.post(
        f"/api/projects/{project['id']}/members",
        headers=coordinator,
        json={
            "organization_id": org,
            "contacts": [{"email": email, "name": typed_name, "language": "en", "timezone": "UTC"}],
        },
    )
    assert response.status_code == 200, response.text
    series = await client.post(
        f"/api/projects/{project['id']}/series",
        headers=coordinator,
        json={
            "title": "Monthly call",
            "mode": "online",
            "timezone": "UTC",
            "start": "2027-05-04T10:00:00",
            "duration_minutes": 60,
            "rrule": "FREQ=MONTHLY;COUNT=3",
            "online_url": "https://meet.example.org/a",
        },
    )
    assert series.status_code == 201, series.text
    return coordinator, response.json(), series.json()


async def bea_as_project_contact(client, typed_name: str) -> tuple[dict, dict, dict]:
    return await project_with_contact(client, BEA, typed_name, "City of Abuja")


async def test_project_contact_by_email_keeps_the_profile(client):
    """Adding a contact by address links to the person without changing them, and the project shows the name the
    coordinator typed, never the one the person stored: an address reveals no name."""
    coordinator, project, series = await bea_as_project_contact(client, "Renamed")
    assert await profile(BEA) == BEA_PROFILE
    answer = await client.get(f"/api/projects/{project['id']}", headers=coordinator)
    assert answer.status_code == 200, answer.text
    assert [(c["name"], c["language"], c["timezone"]) for m in answer.json()["members"] for c in m["contacts"]] == [
        ("Renamed", "", None)  # Bea's own language and zone stay hers
    ]
    assert [c["name"] for m in project["members"] for c in m["contacts"]] == ["Renamed"]  # the POST's answer too
    bea = await sql.fetchval("SELECT id FROM person WHERE email = $1", BEA)
    base = f"/api/meeting-series/{series['id']}/occurrences"
    key = (await client.get(base, headers=coordinator)).json()[0]["id"]
    for method, path, body in (
        ("PUT", "/attendance", {"person_ids": [bea]}),
        ("POST", "/actions", {"title": "Send the data", "owner_person_id": bea}),
    ):
        done = await client.request(method, f"{base}/{key}{path}", headers=coordinator, json=body)
        assert done.status_code in (200, 201), done.text
    invitees = await client.get(f"{base}/{key}/responses", headers=coordinator)
    record = await client.get(f"{base}/{key}/record", headers=coordinator)
    assert [p["name"] for p in invitees.json()["people"]] == ["Renamed"]
    assert [p["name"] for p in record.json()["attendance"]] == ["Renamed"]
    assert [(a["owner_name"], a["owner_organization"]) for a in record.json()["actions"]] == [
        ("Renamed", "City of Abuja")  # the organization she was invited for, not her profile's
    ]
    await page_login(client, "coordinator@example.org")
    pages = [
        await client.get(f"/coordinator/projects/{project['id']}"),
        await client.get(f"/coordinator/series/{series['id']}/occurrences/{key}"),
    ]
    for shown in (answer, invitees, record, *pages):
        assert shown.status_code == 200, shown.text
        assert "Bea Hidden" not in shown.text
    assert all("Renamed" in page.text for page in pages)
    assert all("City of Lagos" not in shown.text for shown in (answer, invitees, record))  # pages list every city


async def test_a_project_contact_typed_by_address_opens_no_profile_at_ones_events(client):
    """The coordinator who typed Bea's address also organizes an event: her profile stays closed there (naming her
    by id as a speaker is a 404 like an unknown id, the people search finds nobody); a contact the coordinator's
    own typing created is theirs to name."""
    coordinator, project, _ = await bea_as_project_contact(client, "Renamed")
    bea = await sql.fetchval("SELECT id FROM person WHERE email = $1", BEA)
    c = await congress(client, coordinator)
    session = await add_session(client, coordinator, c)
    url = f"{c['base']}/sessions/{session['id']}/people"
    named = await client.post(url, json={"person_id": bea, "role": "speaker"}, headers=coordinator)
    unknown = await client.post(url, json={"person_id": bea + 1000, "role": "speaker"}, headers=coordinator)
    assert (named.status_code, named.json()) == (404, unknown.json())
    accra = await organization("City of Accra")
    added = await client.post(
        f"/api/projects/{project['id']}/members",
        headers=coordinator,
        json={"organization_id": accra, "contacts": [{"email": "new.contact@accra.example", "name": "Ama New"}]},
    )
    assert added.status_code == 200, added.text
    new = await sql.fetchval("SELECT id FROM person WHERE email = 'new.contact@accra.example'")
    speaker = await client.post(url, json={"person_id": new, "role": "speaker"}, headers=coordinator)
    assert speaker.status_code in (200, 201), speaker.text
    await page_login(client, "coordinator@example.org")
    editor = f"/organizer/events/{c['id']}/agenda/sessions/{session['id']}"
    found = await client.get(editor, params={"person_q": "Bea"})
    assert found.status_code == 200, found.text
    assert "Bea Hidden" not in found.text and BEA not in found.text
    assert "Ama New" in (await client.get(editor, params={"person_q": "Ama"})).text


async def test_a_delegate_at_a_known_address_is_shown_by_the_name_the_reply_gave(client):
    """A contact hands their place to Bea's address (a reply's DELEGATED-TO, here stored as the endpoint stores it)
    and the coordinator accepts: the project lists the delegate by the name the reply gave, not Bea's stored one."""
    coordinator, project, series = await project_with_contact(client, "ama@accra.example", "Ama New", "City of Accra")
    delegation = await sql.fetchval(
        "INSERT INTO meeting_delegation (series, delegator, delegate_email, delegate_name)"
        " SELECT $1, id, $2, 'Deputy of Ama' FROM person WHERE email = 'ama@accra.example' RETURNING id",
        series["id"],
        BEA,
    )
    accepted = await client.post(
        f"/api/projects/{project['id']}/delegations/{delegation}", headers=coordinator, json={"accept": True}
    )
    assert accepted.status_code == 200, accepted.text
    base = f"/api/meeting-series/{series['id']}/occurrences"
    key = (await client.get(base, headers=coordinator)).json()[0]["id"]
    invitees = await client.get(f"{base}/{key}/responses", headers=coordinator)
    assert sorted(p["name"] for p in invitees.json()["people"]) == ["Ama New", "Deputy of Ama"]
    assert await profile(BEA) == BEA_PROFILE
    # the name the reply gave is hers too: erasing her leaves the project the erased placeholder
    await privacy.erase(await sql.fetchval("SELECT id FROM person WHERE email = $1", BEA))
    invitees = await client.get(f"{base}/{key}/responses", headers=coordinator)
    assert "Deputy of Ama" not in invitees.text
    assert await sql.fetchval("SELECT count(*) FROM meeting_delegation WHERE delegate_name LIKE '%Deputy%'") == 0


async def test_erasure_clears_the_name_typed_for_a_project_contact(client):
    """The name a coordinator typed for a contact is the person's too: exported, then erased (the project shows the
    erased placeholder, and records of the project lose the typed name as they lose the stored one)."""
    coordinator, project, series = await bea_as_project_contact(client, "Typed Contactname")
    bea = await sql.fetchval("SELECT id FROM person WHERE email = $1", BEA)
    base = f"/api/meeting-series/{series['id']}/occurrences"
    key = (await client.get(base, headers=coordinator)).json()[0]["id"]
    for path, body in (
        ("/minutes", {"minutes": "Typed Contactname presented the data."}),
        ("/attendance", {"person_ids": [bea]}),
    ):
        done = await client.put(f"{base}/{key}{path}", headers=coordinator, json=body)
        assert done.status_code == 200, done.text
    exported = await privacy.export(bea)
    assert [c["display_name"] for c in exported["project_contacts"]] == ["Typed Contactname"]

    await privacy.erase(bea)

    assert await sql.fetch("SELECT id FROM project_contact WHERE display_name IS NOT NULL") == []
    answer = (await client.get(f"/api/projects/{project['id']}", headers=coordinator)).json()
    # Erasure ends her contact (the project lists only current ones); the record keeps her attendance, unnamed.
    assert [c for m in answer["members"] for c in m["contacts"]] == []
    record = (await client.get(f"{base}/{key}/record", headers=coordinator)).json()
    assert record["minutes"] == f"{privacy.ERASED_NAME} presented the data."
    assert [p["name"] for p in record["attendance"]] == [privacy.ERASED_NAME]
    assert await sql.fetchval("SELECT minutes FROM meeting_occurrence WHERE minutes LIKE '%Typed Contactname%'") is None


async def test_delegation_head_by_email_keeps_the_profile(client, organizer):
    await person_of_event_b(client)
    abuja = await organization("City of Abuja")
    event = await published_event(client, organizer)
    response = await client.post(
        f"/api/events/{event['id']}/delegations",
        headers=organizer,
        json={
            "organization_id": abuja,
            "category": "delegate",
            "seats": 2,
            "head_email": BEA,
            "head_name": "Renamed",
            "head_language": "en",
        },
    )
    assert response.status_code == 201, response.text
    assert await profile(BEA) == BEA_PROFILE


async def test_admin_people_lookup_is_refused_to_organizers(client, organizer):
    await person_of_event_b(client)
    response = await client.get("/api/admin/people", params={"email": BEA}, headers=organizer)
    assert response.status_code == 403 and "Bea" not in response.text


async def test_schedule_import_naming_a_guid_of_another_event_opens_nothing(client, organizer):
    """A schedule file can name anyone by the guid public exports carry: the import shows the name in the file,
    never the person's stored name, address or language."""
    bea, organizer_b = await person_of_event_b(client)
    b = await congress(client, organizer_b, title="Event B congress")  # Bea is registered for B's other event
    session_b = await add_session(client, organizer_b, b)
    added = await client.post(
        f"{b['base']}/sessions/{session_b['id']}/people", json={"person_id": bea}, headers=organizer_b
    )
    assert added.status_code == 201, added.text
    document = (await client.get(f"{b['base']}/schedule.json")).json()
    for day in document["schedule"]["conference"]["days"]:
        for room in day["rooms"].values():
            for event in room:
                for person in event["persons"]:
                    person["name"] = "Name In File"
    c = await congress(client, organizer)
    imported = await client.post(f"{c['base']}/schedule/import", json=document, headers=organizer)
    session = await sql.fetchval(
        "SELECT s.id FROM agenda_session s JOIN agenda_session_person sp"
        " ON sp.session = s.id WHERE s.event = $1 AND sp.person = $2",
        c["id"],
        bea,
    )
    affected = await client.get(f"{c['base']}/sessions/{session}/affected", headers=organizer)
    shown = await client.get(f"{c['base']}/sessions/{session}")
    by_id = await client.post(f"{c['base']}/sessions/{session}/people", json={"person_id": bea}, headers=organizer)
    assert imported.status_code == 200, imported.text
    assert [(p["email"], p["name"], p["language"]) for p in affected.json()] == [("", "Name In File", "")]
    assert "Bea Hidden" not in affected.text + shown.text and BEA not in affected.text
    assert by_id.status_code == 404
    assert await profile(BEA) == BEA_PROFILE


# --------------------------------------------------------------------------- members only means members


async def members_event(client, organizer) -> dict:
    event = await published_event(client, organizer, categories=(("delegate", None), ("partner", None)))
    delegate, partner = event["categories"]
    await client.patch(
        f"/api/events/{event['id']}/categories/{delegate['id']}", json={"eligibility": "members"}, headers=organizer
    )
    await client.patch(
        f"/api/events/{event['id']}/categories/{partner['id']}", json={"eligibility": "partners"}, headers=organizer
    )
    return event


async def register(client, event_id: int, email: str, organization_id: int, category: str = "delegate"):
    return await client.post(
        f"/api/events/{event_id}/registrations",
        json={
            "email": email,
            "name": "Someone",
            "category": category,
            "organization_id": organization_id,
            "consent": True,
        },
    )


async def test_members_only_with_a_claimed_organization_is_pending(client, organizer):
    event = await members_event(client, organizer)
    kisumu = await organization("City of Kisumu", domain="kisumu.example")
    claimed = await register(client, event["id"], "impostor@mail.example", kisumu)
    kinds = [
        r["kind"]
        for r in await sql.fetch("SELECT kind FROM outbox_message WHERE recipient = $1", "impostor@mail.example")
    ]
    seats = (await client.get(f"/api/events/{event['id']}")).json()["categories"][0]["confirmed_count"]
    assert (claimed.status_code, claimed.json()["status"], kinds, seats) == (
        201,
        "pending",
        ["registration_received"],
        0,
    )


async def test_members_only_at_a_registered_domain_is_admitted_at_once(client, organizer):
    event = await members_event(client, organizer)
    kisumu = await organization("City of Kisumu", domain="kisumu.example")
    staff = await register(client, event["id"], "mayor@kisumu.example", kisumu)
    department = await register(client, event["id"], "water@dept.KISUMU.example", kisumu)
    lookalike = await register(client, event["id"], "x@notkisumu.example", kisumu)
    assert [r.json()["status"] for r in (staff, department, lookalike)] == ["confirmed", "confirmed", "pending"]


async def test_partners_only_with_another_organizations_domain_is_pending(client, organizer):
    event = await members_event(client, organizer)
    await organization("City of Kisumu", domain="kisumu.example")
    agency = await organization(
        "UN-Habitat", kind="international_agency", membership="none", domain="unhabitat.example"
    )
    response = await register(client, event["id"], "someone@kisumu.example", agency, category="partner")
    assert response.json()["status"] == "pending"


async def test_pending_membership_is_confirmed_by_the_organizers(client, organizer):
    event = await members_event(client, organizer)
    kisumu = await organization("City of Kisumu", domain="kisumu.example")
    claimed = (await register(client, event["id"], "deputy@gmail.example", kisumu)).json()
    approved = await client.post(f"/api/events/{event['id']}/registrations/{claimed['id']}/approve", headers=organizer)
    assert (approved.status_code, approved.json()["status"]) == (200, "confirmed")


async def test_members_only_link_goes_to_the_mailbox_only(client, organizer):
    """Anyone may type any address: in a members-only category the address (its domain) is what admits, so the
    manage link and the ticket go to its mailbox only, never back to whoever sent the form (nor on a retry)."""
    event = await members_event(client, organizer)
    kisumu = await organization("City of Kisumu", domain="kisumu.example")
    body = {
        "email": "nobody-owns-this-box@kisumu.example",
        "name": "Someone",
        "category": "delegate",
        "organization_id": kisumu,
        "consent": True,
    }
    url = f"/api/events/{event['id']}/registrations"
    first = await client.post(url, json=body, headers={"Idempotency-Key": "members-1"})
    again = await client.post(url, json=body, headers={"Idempotency-Key": "members-1"})
    mailed = await sql.fetch(
        "SELECT kind FROM outbox_message WHERE recipient = 'nobody-owns-this-box@kisumu.example' ORDER BY id"
    )
    assert (first.status_code, first.json()["status"]) == (201, "confirmed")
    assert (first.json()["manage_token"], first.json()["manage_url"]) == ("", "")
    assert (again.status_code, again.json()["id"], again.json()["manage_token"]) == (201, first.json()["id"], "")
    assert [m["kind"] for m in mailed] == ["registration_confirmed"]


async def test_invitation_still_admits_without_a_domain(client, organizer):
    event = await members_event(client, organizer)
    kisumu = await organization("City of Kisumu")
    code = await client.post(
        f"/api/events/{event['id']}/access-codes", json={"category": "delegate", "max_uses": 1}, headers=organizer
    )
    response = await client.post(
        f"/api/events/{event['id']}/registrations",
        json={
            "email": "guest@mail.example",
            "name": "Guest",
            "category": "delegate",
            "access_code": code.json()["code"],
            "organization_id": kisumu,
            "consent": True,
        },
    )
    assert (response.status_code, response.json()["status"]) == (201, "confirmed")
    assert response.json()["manage_token"]  # the organizers' code admits: the registration's link is shown


async def test_organization_domains_are_set_by_staff_and_refuse_public_mail(client, organizer):
    kisumu = await organization("City of Kisumu")
    staff_account = await accounts.create_account("staff@example.org", "Staff", "long enough password 1")
    office = await sql.fetchval(
        "INSERT INTO office (name, region, created_at) VALUES ('Africa', 'Africa', now()) RETURNING id"
    )
    await sql.execute("INSERT INTO office_staff (office, account) VALUES ($1, $2)", office, staff_account)
    staff = await login(client, "staff@example.org")
    url = f"/api/organizations/{kisumu}/domains"
    by_organizer = await client.put(url, json={"domains": ["kisumu.example"]}, headers=organizer)
    public_mail = await client.put(url, json={"domains": ["kisumu.example", "Gmail.com"]}, headers=staff)
    by_staff = await client.put(url, json={"domains": ["@Kisumu.Example", "county.kisumu.example"]}, headers=staff)
    assert by_organizer.status_code == 403
    assert (public_mail.status_code, public_mail.json()["errors"][0]["field"]) == (422, "domains[1]")
    assert (by_staff.status_code, by_staff.json()["domains"]) == (200, ["county.kisumu.example", "kisumu.example"])
    read = await client.get(url, headers=staff)
    assert read.json()["domains"] == ["county.kisumu.example", "kisumu.example"]


async def test_a_domain_belongs_to_one_organization(client):
    admin = await login(client, "admin@example.org")
    await sql.execute("UPDATE account SET is_admin = true WHERE email = 'admin@example.org'")
    await organization("City of Kisumu", domain="kisumu.example")
    other = await organization("Kisumu County")
    response = await client.put(
        f"/api/organizations/{other}/domains", json={"domains": ["kisumu.example"]}, headers=admin
    )
    assert (response.status_code, response.json()["errors"][0]["field"]) == (422, "domains")


# --------------------------------------------------------------------------- the registration pages


async def test_register_form_says_which_categories_are_members_only(client, organizer):
    event = await members_event(client, organizer)
    url = f"/events/{event['id']}/register"
    english = await client.get(url)
    client.cookies.set("lang", "es")
    spanish = await client.get(url)
    assert "members only" in english.text and "partners only" in english.text
    assert 'id="membership-hint"' in english.text and "registered for it" in english.text
    assert "solo miembros" in spanish.text and "dominio registrado" in spanish.text


async def test_register_form_with_a_claimed_organization_waits_for_approval(client, organizer):
    event = await members_event(client, organizer)
    kisumu = await organization("City of Kisumu", domain="kisumu.example")
    url = f"/events/{event['id']}/register"
    response = await client.post(
        url,
        data={
            "_csrf_token": await csrf(client, url),
            "name": "Impostor",
            "email": "impostor@mail.example",
            "category": "delegate",
            "organization_id": str(kisumu),
            "language": "en",
            "consent": "yes",
        },
    )
    assert (response.status_code, response.headers["location"]) == (
        303,
        f"/events/{event['id']}?done=registered-link-mailed",
    )
    shown = await client.get(response.headers["location"])
    assert "mailbox receives them" in shown.text
    nonce = await sql.fetchval(
        "SELECT token_nonce FROM registration r JOIN person p ON p.id = r.person WHERE p.email = $1",
        "impostor@mail.example",
    )
    manage = await client.get(f"/manage/{manage_token(get_settings().secret_key, nonce)}")  # the mailed link
    assert 'id="membership-check"' in manage.text and "You are registered" not in manage.text
    assert (
        await sql.fetchval(
            "SELECT status FROM registration r JOIN person p ON p.id = r.person WHERE p.email = 'impostor@mail.example'"
        )
        == "pending"
    )
