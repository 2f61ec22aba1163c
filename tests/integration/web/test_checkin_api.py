"""Check-in codes, tickets and the check-in desk against the real database, through the HTTP API (issue 17)."""

from __future__ import annotations

import email
import email.policy
import io
import uuid
from datetime import datetime, timedelta, timezone

import pypdf
import zxingcpp
from PIL import Image

from events_app.db import sql
from events_app.domain.security import digest
from events_app.services.messaging import notifications
from events_app.services.onsite import checkin_codes
from events_app.services.people import accounts
from events_app.services.privacy import privacy
from events_app.settings import get_settings
from tests.fixtures import login, published_event

NAMES = ["Zoë Łukasiewicz-Ångström", "Ирина Шевченко", "محمد الأمين", "王小明"]


def delegate(name: str, email_address: str, category: str = "delegate") -> dict:
    return {"email": email_address, "name": name, "category": category, "consent": True}


async def register(client, event_id: int, name: str, email_address: str, category: str = "delegate") -> dict:
    response = await client.post(f"/api/events/{event_id}/registrations", json=delegate(name, email_address, category))
    assert response.status_code == 201, response.text
    return response.json()


def decode_qr(image: Image.Image) -> list[str]:
    """The QR codes a library reads in an image (small images are enlarged first, without smoothing)."""
    gray = image.convert("L")
    if gray.size[0] < 200:
        gray = gray.resize((gray.size[0] * 8, gray.size[1] * 8), Image.NEAREST)
    return [r.text for r in zxingcpp.read_barcodes(gray)]


async def ticket_code(client, manage_token: str) -> tuple[str, str]:
    """The ticket's text and the code its QR holds, both read back from the PDF."""
    response = await client.get(f"/api/registrations/{manage_token}/ticket.pdf")
    assert (response.status_code, response.headers["content-type"]) == (200, "application/pdf"), response.text
    page = pypdf.PdfReader(io.BytesIO(response.content)).pages[0]
    codes = decode_qr(page.images[0].image)
    assert len(codes) == 1
    return page.extract_text(), codes[0]


def scan_body(code: str = "", **extra) -> dict:
    return {"scan_id": uuid.uuid4().hex, "code": code, "device": "desk 3", **extra}


async def staff_headers(client, organizer, event_id: int, email_address: str, desk: str = "desk 3") -> dict:
    headers = await login(client, email_address)
    response = await client.post(
        f"/api/events/{event_id}/checkin-staff", json={"email": email_address, "desk": desk}, headers=organizer
    )
    assert response.status_code == 201, response.text
    return headers


async def test_ticket_carries_the_code_and_the_desk_admits_it_once(client, organizer):
    event = await published_event(client, organizer)
    reg = await register(client, event["id"], NAMES[0], "zoe@example.org")
    staff = await staff_headers(client, organizer, event["id"], "door@example.org")

    text, code = await ticket_code(client, reg["manage_token"])
    first = await client.post(f"/api/events/{event['id']}/checkin/scan", json=scan_body(code), headers=staff)
    again = await client.post(
        f"/api/events/{event['id']}/checkin/scan", json=scan_body(code, device="desk 5"), headers=staff
    )

    assert NAMES[0] in text and event["title"] in text
    assert (
        len(code) == 43
        and await sql.fetchval("SELECT count(*) FROM checkin_code WHERE code_hash = $1", digest(code)) == 1
    )
    stored = [str(v) for r in await sql.fetch("SELECT * FROM checkin_code") for v in dict(r).values()]
    assert code not in stored  # only its digest and the nonce are kept
    assert first.status_code == 200, first.text
    assert (first.json()["outcome"], first.json()["may_enter"], first.json()["person"]) == (
        "admitted",
        True,
        {"registration_id": reg["id"], "name": NAMES[0], "organization": "", "category": "Delegate"},
    )
    body = again.json()
    assert (body["outcome"], body["may_enter"], body["reason"], body["first_device"]) == (
        "duplicate",
        False,
        "already",
        "desk 3",
    )
    assert body["first_checked_in_at"] == first.json()["scanned_at"]
    assert await sql.fetchval("SELECT count(*) FROM checkin_scan") == 2  # the duplicate is kept
    assert await sql.fetchval("SELECT count(*) FROM attendance") == 1


async def test_refusals_name_their_reason(client, organizer):
    event = await published_event(client, organizer, categories=(("delegate", None), ("speaker", None)))
    other = await published_event(client, organizer, title="Another forum")
    staff = await staff_headers(client, organizer, event["id"], "door@example.org")
    cancelled = await register(client, event["id"], NAMES[1], "irina@example.org")
    moved = await register(client, event["id"], NAMES[2], "amin@example.org")
    foreign = await register(client, other["id"], NAMES[3], "wang@example.org")
    _, cancelled_code = await ticket_code(client, cancelled["manage_token"])
    _, old_code = await ticket_code(client, moved["manage_token"])
    _, foreign_code = await ticket_code(client, foreign["manage_token"])
    assert (await client.delete(f"/api/registrations/{cancelled['manage_token']}")).status_code == 200
    response = await client.post(
        f"/api/events/{event['id']}/registrations/{moved['id']}/move", json={"category": "speaker"}, headers=organizer
    )
    assert response.status_code == 200, response.text
    _, new_code = await ticket_code(client, moved["manage_token"])

    async def reason(code: str) -> tuple[str, str, str]:
        r = await client.post(f"/api/events/{event['id']}/checkin/scan", json=scan_body(code), headers=staff)
        assert r.status_code == 200, r.text
        return r.json()["outcome"], r.json()["reason"], r.json()["person"].get("name", "")

    assert await reason(cancelled_code) == ("refused", "cancelled", NAMES[1])
    assert await reason(old_code) == ("refused", "replaced", NAMES[2])
    assert await reason(foreign_code) == ("refused", "other_event", "")  # another event's person stays hidden
    assert await reason("x" * 43) == ("refused", "unknown", "")
    assert await reason("not a code") == ("refused", "unknown", "")
    assert new_code != old_code
    assert await reason(new_code) == ("admitted", "", NAMES[2])
    assert await sql.fetchval("SELECT count(*) FROM attendance") == 1


async def test_staff_of_one_event_cannot_check_in_at_another(client, organizer):
    event = await published_event(client, organizer)
    other = await published_event(client, organizer, title="Another forum")
    staff = await staff_headers(client, organizer, event["id"], "door@example.org")
    reg = await register(client, other["id"], NAMES[0], "zoe@example.org")
    _, code = await ticket_code(client, reg["manage_token"])

    scan = await client.post(f"/api/events/{other['id']}/checkin/scan", json=scan_body(code), headers=staff)
    listing = await client.get(f"/api/events/{other['id']}/checkin/list", headers=staff)
    registrations = await client.get(f"/api/events/{event['id']}/registrations", headers=staff)

    assert (scan.status_code, listing.status_code, registrations.status_code) == (403, 403, 403)
    assert await sql.fetchval("SELECT count(*) FROM checkin_scan") == 0


async def test_checkin_list_shows_staff_names_organizations_and_state_only(client, organizer):
    event = await published_event(client, organizer)
    staff = await staff_headers(client, organizer, event["id"], "door@example.org")
    for i, name in enumerate(NAMES):
        await register(client, event["id"], name, f"p{i}@example.org")

    response = await client.get(f"/api/events/{event['id']}/checkin/list", headers=staff)
    found = await client.get(f"/api/events/{event['id']}/checkin/search", params={"q": "шевч"}, headers=staff)

    body = response.json()
    assert response.status_code == 200, response.text
    assert (body["registered"], body["checked_in"], sorted(p["name"] for p in body["people"])) == (
        4,
        0,
        sorted(NAMES),
    )
    assert set(body["people"][0]) == {
        "booking",  # of the list's session (a room's desk); empty at the door
        "registration_id",
        "code_hash",
        "state",
        "name",
        "organization",
        "category",
        "checked_in_at",
        "device",
    }
    assert "example.org" not in response.text  # no addresses
    assert [p["name"] for p in found.json()] == [NAMES[1]]
    codes = {p["code_hash"] for p in body["people"]}
    assert codes == {r["code_hash"] for r in await sql.fetch("SELECT code_hash FROM checkin_code")}


async def test_offline_batch_replayed_changes_nothing_twice_and_the_earliest_scan_wins(client, organizer):
    event = await published_event(client, organizer)
    staff = await staff_headers(client, organizer, event["id"], "door@example.org")
    a = await register(client, event["id"], NAMES[0], "a@example.org")
    b = await register(client, event["id"], NAMES[1], "b@example.org")
    _, code_a = await ticket_code(client, a["manage_token"])
    _, code_b = await ticket_code(client, b["manage_token"])
    now = datetime.now(timezone.utc)
    await sql.execute("UPDATE event SET starts_at = $2 WHERE id = $1", event["id"], now - timedelta(hours=1))
    # Desk 1 is online and scans A at 08:45; desk 2 was offline and scanned A at 08:41 and B at 08:42.
    online = await client.post(
        f"/api/events/{event['id']}/checkin/scan",
        json=scan_body(code_a, device="desk 1", scanned_at=(now - timedelta(minutes=15)).isoformat()),
        headers=staff,
    )
    batch = {
        "scans": [
            scan_body(code_a, device="desk 2", scanned_at=(now - timedelta(minutes=19)).isoformat()),
            scan_body(code_b, device="desk 2", scanned_at=(now - timedelta(minutes=18)).isoformat()),
            scan_body("y" * 43, device="desk 2", scanned_at=(now - timedelta(minutes=17)).isoformat()),
        ]
    }

    first = await client.post(f"/api/events/{event['id']}/checkin/sync", json=batch, headers=staff)
    before = await sql.fetch("SELECT * FROM checkin_scan ORDER BY id")
    replay = await client.post(f"/api/events/{event['id']}/checkin/sync", json=batch, headers=staff)

    assert online.json()["outcome"] == "admitted"
    assert first.status_code == 200, first.text
    assert {k: first.json()[k] for k in ("received", "admitted", "duplicates", "refused", "replayed")} == {
        "received": 3,
        "admitted": 2,
        "duplicates": 0,
        "refused": 1,
        "replayed": 0,
    }
    assert replay.json()["replayed"] == 3 and replay.json()["admitted"] == 0
    assert [r["outcome"] for r in replay.json()["results"]] == ["admitted", "admitted", "refused"]
    assert await sql.fetch("SELECT * FROM checkin_scan ORDER BY id") == before
    winner = await sql.fetchrow(
        "SELECT a.device, s.outcome FROM attendance a JOIN checkin_scan s ON s.id = a.scan WHERE a.registration = $1",
        a["id"],
    )
    assert tuple(winner) == ("desk 2", "admitted")
    # The online scan that won until the offline one arrived is now a duplicate, and kept.
    assert await sql.fetchval("SELECT outcome FROM checkin_scan WHERE device = 'desk 1'") == "duplicate"


async def test_concurrent_scans_of_one_badge_admit_once(client, organizer):
    import asyncio

    event = await published_event(client, organizer)
    staff = await staff_headers(client, organizer, event["id"], "door@example.org")
    reg = await register(client, event["id"], NAMES[0], "a@example.org")
    _, code = await ticket_code(client, reg["manage_token"])
    at = datetime.now(timezone.utc).isoformat()

    answers = await asyncio.gather(
        *(
            client.post(
                f"/api/events/{event['id']}/checkin/scan",
                json=scan_body(code, device=f"desk {i}", scanned_at=at),
                headers=staff,
            )
            for i in range(6)
        )
    )

    assert sorted(a.json()["outcome"] for a in answers) == ["admitted"] + ["duplicate"] * 5
    assert await sql.fetchval("SELECT count(*) FROM checkin_scan WHERE outcome = 'admitted'") == 1


async def test_a_scan_that_waits_for_another_desk_sees_the_check_in_it_committed(client, organizer):
    """Two desks deciding the same badge at once: the second waits for the first's lock on that person's place and
    must then see the check-in the first committed meanwhile (a duplicate), although its statement began before."""
    import asyncio

    import asyncpg

    event = await published_event(client, organizer)
    staff = await staff_headers(client, organizer, event["id"], "door@example.org")
    reg = await register(client, event["id"], NAMES[0], "a@example.org")
    _, code = await ticket_code(client, reg["manage_token"])
    registration_id = await sql.fetchval("SELECT registration FROM checkin_code WHERE code_hash = $1", digest(code))
    first_at = datetime.now(timezone.utc) - timedelta(minutes=1)
    other_desk = await asyncpg.connect(get_settings().database_url)
    try:
        deciding = other_desk.transaction()
        await deciding.start()
        await other_desk.execute("SELECT pg_advisory_xact_lock($1::int, 0)", registration_id)
        scan_id = await other_desk.fetchval(
            "INSERT INTO checkin_scan (event, session, registration, device, scan_id, method, scanned_at, outcome)"
            " VALUES ($1, 0, $2, 'desk 9', 'other', 'code', $3, 'admitted') RETURNING id",
            event["id"],
            registration_id,
            first_at,
        )
        await other_desk.execute(
            "INSERT INTO attendance (event, session, registration, scan, checked_in_at, device)"
            " VALUES ($1, 0, $2, $3, $4, 'desk 9')",
            event["id"],
            registration_id,
            scan_id,
            first_at,
        )
        pending = asyncio.ensure_future(
            client.post(f"/api/events/{event['id']}/checkin/scan", json=scan_body(code), headers=staff)
        )
        for _ in range(250):  # until the scan waits for the lock the other desk holds
            if await sql.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"):
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the scan never waited for the other desk's lock")
        await deciding.commit()
        answer = (await pending).json()
    finally:
        await other_desk.close()

    assert (answer["outcome"], answer["reason"], answer["first_device"]) == ("duplicate", "already", "desk 9")
    assert await sql.fetchval("SELECT count(*) FROM attendance WHERE registration = $1", registration_id) == 1


async def test_erasure_revokes_the_code(client, organizer):
    event = await published_event(client, organizer)
    staff = await staff_headers(client, organizer, event["id"], "door@example.org")
    reg = await register(client, event["id"], NAMES[0], "a@example.org")
    _, code = await ticket_code(client, reg["manage_token"])
    person = await sql.fetchval("SELECT person FROM registration WHERE id = $1", reg["id"])

    await privacy.erase(person)
    r = await client.post(f"/api/events/{event['id']}/checkin/scan", json=scan_body(code), headers=staff)

    assert (r.json()["outcome"], r.json()["reason"], r.json()["person"]["name"]) == (
        "refused",
        "erased",
        "Erased person",
    )
    assert await sql.fetchval("SELECT revoked_reason FROM checkin_code") == "erased"


async def test_confirmation_email_shows_the_code_as_an_inline_image(client, organizer):
    event = await published_event(client, organizer)
    reg = await register(client, event["id"], NAMES[3], "wang@example.org")
    row = dict(await sql.fetchrow("SELECT * FROM outbox_message WHERE registration = $1", reg["id"]))

    message = email.message_from_bytes(
        (await notifications.compose(row, get_settings())).data, policy=email.policy.default
    )
    related = [p for p in message.walk() if p.get_content_type() == "multipart/related"]
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()

    assert len(related) == 1 and len(images) == 1
    cid = images[0]["Content-ID"].strip("<>")
    assert f'src="cid:{cid}"' in html
    assert f"/api/registrations/{reg['manage_token']}/ticket.pdf" in html
    (code,) = decode_qr(Image.open(io.BytesIO(images[0].get_content())))
    assert code == await checkin_codes.live_code(reg["id"])


async def test_a_pending_registration_has_no_ticket(client, organizer):
    event = await published_event(client, organizer)
    await client.post(
        f"/api/events/{event['id']}/categories",
        json={"code": "press", "name": "Press", "requires_approval": True},
        headers=organizer,
    )
    reg = await register(client, event["id"], NAMES[0], "a@example.org", "press")
    response = await client.get(f"/api/registrations/{reg['manage_token']}/ticket.pdf")
    assert (response.status_code, response.json()["errors"][0]["field"]) == (409, "status")


async def test_checkin_staff_is_managed_by_organizers(client, organizer):
    event = await published_event(client, organizer)
    await accounts.create_account("door@example.org", "Door", "a long passphrase here")
    add = await client.post(
        f"/api/events/{event['id']}/checkin-staff",
        json={"email": "door@example.org", "desk": "North door"},
        headers=organizer,
    )
    unknown = await client.post(
        f"/api/events/{event['id']}/checkin-staff", json={"email": "nobody@example.org"}, headers=organizer
    )
    listed = await client.get(f"/api/events/{event['id']}/checkin-staff", headers=organizer)
    removed = await client.delete(
        f"/api/events/{event['id']}/checkin-staff/{add.json()['account_id']}", headers=organizer
    )

    assert add.status_code == 201, add.text
    assert (unknown.status_code, unknown.json()["errors"][0]["field"]) == (422, "email")
    assert [(s["email"], s["desk"]) for s in listed.json()] == [("door@example.org", "North door")]
    assert removed.status_code == 204


async def test_manage_page_shows_the_code_and_the_ticket_to_a_confirmed_delegate(client, organizer):
    event = await published_event(client, organizer)
    reg = await register(client, event["id"], NAMES[1], "irina@example.org")

    page = await client.get(f"/manage/{reg['manage_token']}")
    await client.delete(f"/api/registrations/{reg['manage_token']}")
    after = await client.get(f"/manage/{reg['manage_token']}")

    assert page.status_code == 200
    assert 'class="panel checkin-code"' in page.text and "<svg" in page.text
    assert f"/api/registrations/{reg['manage_token']}/ticket.pdf" in page.text
    assert "checkin-code" not in after.text


async def test_a_back_dated_scan_cannot_take_the_first_check_in(client, organizer):
    """A device claiming its scan happened long before the desks opened (a clock reset to 1990, or a desk
    back-dating to win) is timed when the server received it: the real first scan stays first."""
    event = await published_event(client, organizer)
    staff = await staff_headers(client, organizer, event["id"], "door@example.org")
    a = await register(client, event["id"], NAMES[0], "a@example.org")
    _, code_a = await ticket_code(client, a["manage_token"])
    now = datetime.now(timezone.utc)
    await sql.execute("UPDATE event SET starts_at = $2 WHERE id = $1", event["id"], now - timedelta(hours=1))
    first = await client.post(
        f"/api/events/{event['id']}/checkin/scan", json=scan_body(code_a, device="desk 1"), headers=staff
    )
    late = await client.post(
        f"/api/events/{event['id']}/checkin/sync",
        json={"scans": [scan_body(code_a, device="desk 2", scanned_at="1990-01-01T00:00:00Z")]},
        headers=staff,
    )
    assert first.json()["outcome"] == "admitted"
    assert [r["outcome"] for r in late.json()["results"]] == ["duplicate"]
    stored = await sql.fetchrow("SELECT device, checked_in_at FROM attendance")
    assert stored["device"] == "desk 1" and stored["checked_in_at"] > now - timedelta(minutes=5)


async def test_another_accounts_scan_ids_never_pass_for_a_desks_replays(client, organizer):
    """Scan ids are the desk browser's own: another check-in account sending the same device name and scan ids
    first neither blocks the desk's real scans nor hands them its stored answers."""
    event = await published_event(client, organizer)
    desk = await staff_headers(client, organizer, event["id"], "door@example.org", desk="desk 1")
    other = await staff_headers(client, organizer, event["id"], "other@example.org", desk="desk 9")
    b = await register(client, event["id"], NAMES[1], "b@example.org")
    _, code_b = await ticket_code(client, b["manage_token"])
    sync = f"/api/events/{event['id']}/checkin/sync"
    planted = await client.post(
        sync, json={"scans": [{"scan_id": "s1", "code": "y" * 43, "device": "desk 1"}]}, headers=other
    )
    real = await client.post(
        sync, json={"scans": [{"scan_id": "s1", "code": code_b, "device": "desk 1"}]}, headers=desk
    )
    again = await client.post(
        sync, json={"scans": [{"scan_id": "s1", "code": code_b, "device": "desk 1"}]}, headers=desk
    )
    assert planted.status_code == real.status_code == 200, (planted.text, real.text)
    assert [(r["outcome"], r["replayed"]) for r in real.json()["results"]] == [("admitted", False)]
    assert [(r["outcome"], r["replayed"]) for r in again.json()["results"]] == [("admitted", True)]
    assert await sql.fetchval("SELECT count(*) FROM attendance") == 1
