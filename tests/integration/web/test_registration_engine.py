"""Waiting lists, offers, approvals, eligibility, questions, delegations, invitations and retries, over HTTP."""

import csv
import io
from datetime import datetime, timedelta, timezone

import openpyxl

from events_app.db import sql
from events_app.services.registration import registrations
from tests.fixtures import published_event


async def org(name: str, kind: str, country: str, membership: str = "active") -> int:
    return await sql.fetchval(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ($1, $2, $3, $4, now()) RETURNING id",
        name,
        kind,
        country,
        membership,
    )


async def register(client, event_id: int, n: int | str, **extra):
    body = {"email": f"person{n}@example.org", "name": f"Person {n}", "category": "delegate", "consent": True, **extra}
    return await client.post(
        f"/api/events/{event_id}/registrations", json=body, headers=extra.pop("headers", None) or {}
    )


async def outbox_kinds(recipient: str) -> list[str]:
    return [
        r["kind"]
        for r in await sql.fetch("SELECT kind FROM outbox_message WHERE recipient = $1 ORDER BY id", recipient)
    ]


async def test_cancellation_promotes_the_first_in_line_and_tells_them(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", 2),))
    tokens = [(await register(client, event["id"], i)).json()["manage_token"] for i in range(5)]
    await client.delete(f"/api/registrations/{tokens[0]}")
    statuses = [(await client.get(f"/api/registrations/{t}")).json() for t in tokens]
    assert [(s["status"], s["waitlist_position"]) for s in statuses] == [
        ("cancelled", None),
        ("confirmed", None),
        ("confirmed", None),
        ("waitlisted", 1),
        ("waitlisted", 2),
    ]
    assert await outbox_kinds("person2@example.org") == ["registration_waitlisted", "registration_promoted"]


async def test_raising_the_quota_promotes_in_order(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", 1),))
    tokens = [(await register(client, event["id"], i)).json()["manage_token"] for i in range(4)]
    category_id = event["categories"][0]["id"]
    response = await client.patch(
        f"/api/events/{event['id']}/categories/{category_id}", json={"quota": 3}, headers=organizer
    )
    statuses = [(await client.get(f"/api/registrations/{t}")).json()["status"] for t in tokens]
    assert (response.status_code, response.json()["seats_left"]) == (200, 0)
    assert statuses == ["confirmed", "confirmed", "confirmed", "waitlisted"]


async def test_lowering_the_quota_below_seats_taken_is_422_and_changes_nothing(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", 5),))
    for i in range(3):
        await register(client, event["id"], i)
    category_id = event["categories"][0]["id"]
    response = await client.patch(
        f"/api/events/{event['id']}/categories/{category_id}", json={"quota": 2}, headers=organizer
    )
    quota = await sql.fetchval("SELECT quota FROM registration_category WHERE id = $1", category_id)
    assert (response.status_code, response.json()["errors"][0]["field"], quota) == (422, "quota", 5)


async def test_offer_mode_holds_the_seat_until_accepted(client, organizer):
    event = await published_event(
        client, organizer, categories=(("delegate", 1),), waitlist_mode="offer", offer_hours=24
    )
    first = (await register(client, event["id"], 1)).json()["manage_token"]
    second = (await register(client, event["id"], 2)).json()["manage_token"]
    await client.delete(f"/api/registrations/{first}")
    offered = (await client.get(f"/api/registrations/{second}")).json()
    third = await register(client, event["id"], 3)
    accepted = await client.post(f"/api/registrations/{second}/accept-offer")
    assert (offered["status"], third.json()["status"]) == ("offered", "waitlisted")
    assert (accepted.status_code, accepted.json()["status"]) == (200, "confirmed")
    assert await outbox_kinds("person2@example.org") == [
        "registration_waitlisted",
        "registration_offer",
        "registration_confirmed",
    ]


async def test_expired_offer_passes_to_the_next_person(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", 1),), waitlist_mode="offer")
    first = (await register(client, event["id"], 1)).json()["manage_token"]
    second = (await register(client, event["id"], 2)).json()["manage_token"]
    third = (await register(client, event["id"], 3)).json()["manage_token"]
    await client.delete(f"/api/registrations/{first}")
    expired = await registrations.expire_offers(datetime.now(timezone.utc) + timedelta(days=3))
    late = await client.post(f"/api/registrations/{second}/accept-offer")
    states = [(await client.get(f"/api/registrations/{t}")).json() for t in (second, third)]
    assert (expired, late.status_code) == (1, 409)
    assert [(s["status"], s["cancel_reason"]) for s in states] == [("cancelled", "offer_expired"), ("offered", "")]


async def test_approval_confirms_within_quota_and_waitlists_past_it(client, organizer):
    event = await published_event(client, organizer, categories=(("press", 1),))
    await client.patch(
        f"/api/events/{event['id']}/categories/{event['categories'][0]['id']}",
        json={"requires_approval": True},
        headers=organizer,
    )
    a = (await register(client, event["id"], "a", category="press")).json()
    b = (await register(client, event["id"], "b", category="press")).json()
    approve = f"/api/events/{event['id']}/registrations/{{}}/approve"
    first = await client.post(approve.format(a["id"]), headers=organizer)
    second = await client.post(approve.format(b["id"]), headers=organizer)
    again = await client.post(approve.format(a["id"]), headers=organizer)
    assert (a["status"], first.json()["status"], second.json()["status"], again.status_code) == (
        "pending",
        "confirmed",
        "waitlisted",
        409,
    )
    assert await outbox_kinds("persona@example.org") == ["registration_received", "registration_approved"]


async def test_reject_tells_the_person(client, organizer):
    event = await published_event(client, organizer, categories=(("press", None),))
    await client.patch(
        f"/api/events/{event['id']}/categories/{event['categories'][0]['id']}",
        json={"requires_approval": True},
        headers=organizer,
    )
    reg = (await register(client, event["id"], "r", category="press")).json()
    response = await client.post(
        f"/api/events/{event['id']}/registrations/{reg['id']}/reject",
        json={"reason": "Accreditation is for journalists only"},
        headers=organizer,
    )
    assert (response.json()["status"], await outbox_kinds("personr@example.org")) == (
        "rejected",
        ["registration_received", "registration_rejected"],
    )


async def test_members_only_category_checks_the_organization(client, organizer):
    event = await published_event(client, organizer)
    await client.patch(
        f"/api/events/{event['id']}/categories/{event['categories'][0]['id']}",
        json={"eligibility": "members"},
        headers=organizer,
    )
    active = await org("Kyoto City", "city", "JP")
    lapsed = await org("Town of Bad Honnef", "town", "DE", "lapsed")
    partner = await org("Lund University", "academic", "SE", "none")
    results = [
        await register(client, event["id"], i, organization_id=o) for i, o in enumerate((active, lapsed, partner))
    ]
    nobody = await register(client, event["id"], 9)
    assert [r.status_code for r in results] == [201, 422, 422]
    assert results[0].json()["status"] == "pending"  # named, not proven: the address is not at a Kyoto domain
    assert "lapsed" in results[1].json()["detail"]
    assert (nobody.status_code, nobody.json()["errors"][0]["field"]) == (422, "organization_id")
    assert await sql.fetchval("SELECT count(*) FROM registration") == 1


async def test_category_window_is_enforced(client, organizer):
    event = await published_event(client, organizer)
    opens = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    await client.patch(
        f"/api/events/{event['id']}/categories/{event['categories'][0]['id']}",
        json={"opens_at": opens},
        headers=organizer,
    )
    response = await register(client, event["id"], 1)
    assert (response.status_code, response.json()["errors"][0]["field"]) == (409, "category")


async def test_custom_questions_are_validated_on_the_server(client, organizer):
    event = await published_event(client, organizer)
    created = await client.post(
        f"/api/events/{event['id']}/questions",
        json={
            "code": "diet",
            "label": "Dietary needs",
            "kind": "single_choice",
            "required": True,
            "options": ["none", "vegetarian", "halal"],
        },
        headers=organizer,
    )
    missing = await register(client, event["id"], 1)
    wrong = await register(client, event["id"], 2, answers={"diet": "pescatarian"})
    right = await register(client, event["id"], 3, answers={"diet": "halal"})
    public = (await client.get(f"/api/events/{event['id']}")).json()["questions"]
    assert created.status_code == 201 and [q["code"] for q in public] == ["diet"]
    assert (missing.status_code, missing.json()["errors"][0]["field"]) == (422, "answers.diet")
    assert (wrong.status_code, wrong.json()["errors"][0]["field"]) == (422, "answers.diet")
    assert right.json()["answers"] == {"diet": "halal"}


async def test_idempotency_key_returns_the_first_answer(client, organizer):
    event = await published_event(client, organizer)
    headers = {"Idempotency-Key": "8b2f9c1e-retry"}
    body = {"email": "retry@example.org", "name": "Retry", "category": "delegate", "consent": True}
    first = await client.post(f"/api/events/{event['id']}/registrations", json=body, headers=headers)
    second = await client.post(f"/api/events/{event['id']}/registrations", json=body, headers=headers)
    other = await client.post(
        f"/api/events/{event['id']}/registrations", json={**body, "name": "Someone"}, headers=headers
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert (second.json()["id"], second.json()["manage_token"]) == (first.json()["id"], first.json()["manage_token"])
    assert (other.status_code, other.json()["errors"][0]["field"]) == (409, "Idempotency-Key")
    assert (
        await sql.fetchval("SELECT count(*) FROM registration"),
        await sql.fetchval("SELECT count(*) FROM outbox_message"),
    ) == (1, 1)


async def test_resend_link_answers_the_same_for_unknown_addresses(client, organizer):
    event = await published_event(client, organizer)
    await register(client, event["id"], 1)
    known = await client.post(
        f"/api/events/{event['id']}/registrations/resend-link", json={"email": "person1@example.org"}
    )
    unknown = await client.post(
        f"/api/events/{event['id']}/registrations/resend-link", json={"email": "stranger@example.org"}
    )
    assert (known.status_code, unknown.status_code) == (202, 202)
    assert await outbox_kinds("person1@example.org") == ["registration_confirmed", "manage_link"]
    assert await outbox_kinds("stranger@example.org") == []


async def test_invitation_unlocks_an_invitation_only_category_once(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", None), ("side-meeting", 20)))
    side = next(c for c in event["categories"] if c["code"] == "side-meeting")
    await client.patch(
        f"/api/events/{event['id']}/categories/{side['id']}", json={"eligibility": "invitation"}, headers=organizer
    )
    invited = await client.post(
        f"/api/events/{event['id']}/invitations",
        json={"email": "mayor@example.org", "name": "Mayor", "category": "side-meeting"},
        headers=organizer,
    )
    nonce = await sql.fetchval("SELECT token_nonce FROM invitation")
    from events_app.services.registration.invitations import invitation_token

    token = invitation_token(nonce)
    without = await register(client, event["id"], "x", category="side-meeting")
    used = await register(client, event["id"], "m", invitation_token=token, category="")
    reused = await register(client, event["id"], "n", invitation_token=token, category="")
    assert invited.status_code == 201 and await outbox_kinds("mayor@example.org") == ["invitation"]
    assert (without.status_code, without.json()["errors"][0]["field"]) == (422, "invitation")
    assert (used.status_code, used.json()["category"]) == (201, "side-meeting")
    assert (reused.status_code, reused.json()["errors"][0]["message"]) == (422, "this invitation has already been used")


async def test_expired_invitation_is_refused(client, organizer):
    event = await published_event(client, organizer)
    await client.post(
        f"/api/events/{event['id']}/invitations",
        json={"email": "late@example.org", "category": "delegate"},
        headers=organizer,
    )
    await sql.execute("UPDATE invitation SET expires_at = now() - interval '1 minute'")
    from events_app.services.registration.invitations import invitation_token

    token = invitation_token(await sql.fetchval("SELECT token_nonce FROM invitation"))
    response = await register(client, event["id"], "late", invitation_token=token)
    assert response.status_code == 422 and "expired" in response.json()["detail"]


async def test_access_code_unlocks_until_used_up(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", None), ("partner", None)))
    partner = next(c for c in event["categories"] if c["code"] == "partner")
    await client.patch(
        f"/api/events/{event['id']}/categories/{partner['id']}", json={"eligibility": "invitation"}, headers=organizer
    )
    code = (
        await client.post(
            f"/api/events/{event['id']}/access-codes",
            json={"category": "partner", "max_uses": 2, "code": "UNHABITAT-27"},
            headers=organizer,
        )
    ).json()
    results = [await register(client, event["id"], i, category="partner", access_code="unhabitat-27") for i in range(3)]
    assert code["code"] == "UNHABITAT-27"
    assert [r.status_code for r in results] == [201, 201, 422]
    assert results[2].json()["errors"][0]["field"] == "access_code"


async def test_delegation_head_registers_members_within_the_seats(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", 10),))
    city = await org("Nairobi City County", "county", "KE")
    created = await client.post(
        f"/api/events/{event['id']}/delegations",
        json={
            "organization_id": city,
            "category": "delegate",
            "seats": 2,
            "head_email": "head@example.org",
            "head_name": "Wanjiru Kamau",
        },
        headers=organizer,
    )
    head_nonce = await sql.fetchval(
        "SELECT r.token_nonce FROM registration r JOIN person p ON p.id = r.person WHERE p.email = 'head@example.org'"
    )
    from events_app.domain.security import manage_token
    from events_app.settings import get_settings

    head = manage_token(get_settings().secret_key, head_nonce)
    member = await client.post(
        f"/api/registrations/{head}/delegation/members", json={"email": "member@example.org", "name": "Otieno Ouma"}
    )
    full = await client.post(
        f"/api/registrations/{head}/delegation/members", json={"email": "third@example.org", "name": "Third"}
    )
    view = (await client.get(f"/api/registrations/{head}/delegation")).json()
    assert (created.status_code, member.status_code, full.status_code) == (201, 201, 409)
    assert (view["seats_used"], view["seats_left"], member.json()["organization_name"]) == (2, 0, "Nairobi City County")
    assert (await client.get(f"/api/events/{event['id']}")).json()["categories"][0]["seats_left"] == 8


async def test_substitution_keeps_the_seat(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", 2),))
    city = await org("Bogotá D.C.", "city", "CO")
    await client.post(
        f"/api/events/{event['id']}/delegations",
        json={
            "organization_id": city,
            "category": "delegate",
            "seats": 3,
            "head_email": "head@example.org",
            "head_name": "Camila",
        },
        headers=organizer,
    )
    from events_app.domain.security import manage_token
    from events_app.settings import get_settings

    head = manage_token(
        get_settings().secret_key, await sql.fetchval("SELECT token_nonce FROM registration ORDER BY id LIMIT 1")
    )
    member = (
        await client.post(
            f"/api/registrations/{head}/delegation/members", json={"email": "old@example.org", "name": "Old"}
        )
    ).json()
    outsider = await register(client, event["id"], "outsider")  # the category is now full: waits
    swapped = await client.post(
        f"/api/registrations/{head}/delegation/members/{member['id']}/substitute",
        json={"email": "new@example.org", "name": "New"},
    )
    old = await sql.fetchrow("SELECT status, cancel_reason FROM registration WHERE id = $1", member["id"])
    seats = (await client.get(f"/api/events/{event['id']}")).json()["categories"][0]
    assert (swapped.status_code, swapped.json()["status"], tuple(old)) == (
        201,
        "confirmed",
        ("cancelled", "substituted"),
    )
    assert (outsider.json()["status"], seats["confirmed_count"]) == ("waitlisted", 2)
    assert await outbox_kinds("old@example.org") == ["registration_confirmed", "registration_substituted"]


async def test_organizer_filters_counts_and_exports(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", 2), ("partner", None)))
    seoul = await org("Seoul Metropolitan Government", "metropolis", "KR")
    agency = await org("UN-Habitat", "international_agency", "KE", "none")
    for i in range(3):
        await register(client, event["id"], f"s{i}", organization_id=seoul, name=f"Park {i}")
    await register(client, event["id"], "un", organization_id=agency, category="partner", name="Amina Odhiambo")
    base = f"/api/events/{event['id']}/registrations"
    korea = (await client.get(base, params={"country": "kr"}, headers=organizer)).json()
    waiting = (await client.get(base, params={"status": "waitlisted"}, headers=organizer)).json()
    found = (await client.get(base, params={"q": "amina"}, headers=organizer)).json()
    counts = (await client.get(f"{base}/counts", headers=organizer)).json()
    csv_response = await client.get(f"{base}/export.csv", headers=organizer)
    xlsx_response = await client.get(f"{base}/export.xlsx", headers=organizer)
    rows = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_response.content)).active
    assert (len(korea), [r["name"] for r in waiting], [r["name"] for r in found]) == (3, ["Park 2"], ["Amina Odhiambo"])
    assert [(c["code"], c["confirmed"], c["waitlisted"]) for c in counts["categories"]] == [
        ("delegate", 2, 1),
        ("partner", 1, 0),
    ]
    assert [(c["country"], c["active"]) for c in counts["countries"]] == [("KR", 3), ("KE", 1)]
    assert csv_response.content.startswith(b"\xef\xbb\xbf") and rows[0][:4] == ["id", "name", "email", "status"]
    assert len(rows) == 5 and sheet.max_row == 5 and sheet.cell(1, 2).value == "name"


async def test_move_between_categories_respects_quota(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", None), ("speaker", 1)))
    a = (await register(client, event["id"], "a")).json()
    b = (await register(client, event["id"], "b")).json()
    move = f"/api/events/{event['id']}/registrations/{{}}/move"
    first = await client.post(move.format(a["id"]), json={"category": "speaker"}, headers=organizer)
    second = await client.post(move.format(b["id"]), json={"category": "speaker"}, headers=organizer)
    cats = {
        c["code"]: c["confirmed_count"] for c in (await client.get(f"/api/events/{event['id']}")).json()["categories"]
    }
    assert (first.json()["category"], second.status_code, cats) == ("speaker", 409, {"delegate": 1, "speaker": 1})


async def test_organizer_cancels_on_someones_behalf(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", 1),))
    a = (await register(client, event["id"], "a")).json()
    b = (await register(client, event["id"], "b")).json()
    response = await client.post(f"/api/events/{event['id']}/registrations/{a['id']}/cancel", headers=organizer)
    promoted = (await client.get(f"/api/registrations/{b['manage_token']}")).json()["status"]
    assert (response.json()["status"], response.json()["cancel_reason"], promoted) == (
        "cancelled",
        "by_organizer",
        "confirmed",
    )


async def test_the_registration_answer_is_what_is_stored(client, organizer):
    """register() builds its answer from what it wrote under the lock: it must equal a fresh read, for every
    status (confirmed with an organization and answers, waitlisted with a position, pending) and for a known person,
    whose registration shows the name it was made with, never the stored one."""
    event = await published_event(client, organizer, categories=(("delegate", 1), ("press", None)))
    await client.post(
        f"/api/events/{event['id']}/questions",
        json={"code": "diet", "label": "Diet", "kind": "single_choice", "options": ["none", "vegan"]},
        headers=organizer,
    )
    press = next(c for c in event["categories"] if c["code"] == "press")
    await client.patch(
        f"/api/events/{event['id']}/categories/{press['id']}", json={"requires_approval": True}, headers=organizer
    )
    city = await org("Ciudad de Prueba", "city", "MX")
    await sql.execute(
        "INSERT INTO person (email, name, language, created_at) VALUES ($1, $2, 'en', now())",
        "person3@example.org",
        "Stored Name",
    )
    answers = [
        (
            await register(
                client, event["id"], 1, organization_id=city, answers={"diet": "vegan"}, timezone="Asia/Seoul"
            )
        ).json(),
        (await register(client, event["id"], 2, language="es")).json(),
        (await register(client, event["id"], 3, category="press")).json(),
    ]
    assert [(a["status"], a["waitlist_position"]) for a in answers] == [
        ("confirmed", None),
        ("waitlisted", 1),
        ("pending", None),
    ]
    for answer in answers:
        stored = (await client.get(f"/api/registrations/{answer['manage_token']}")).json()
        assert {k: v for k, v in answer.items() if k not in ("manage_token", "manage_url")} == stored
    assert (answers[0]["organization_name"], answers[0]["answers"], answers[2]["name"]) == (
        "Ciudad de Prueba",
        {"diet": "vegan"},
        "Person 3",
    )
    assert await sql.fetchval("SELECT name FROM person WHERE email = 'person3@example.org'") == "Stored Name"
