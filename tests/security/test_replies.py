"""Replies that prove their origin: an iMIP REPLY changes an answer only when it was sent to the personal reply
address of that person's invitation.

Real replies (Thunderbird and Gmail, tests/security/data/imip/) are replayed through the real inbound SMTP endpoint
(python -m workers.inbound) with only their identifying values rewritten. Forged replies -- a valid From but no
token, a wrong token, another invitee's token, a token of another series -- change nothing and are listed, with
their reason, for the project's coordinators only.
"""

from __future__ import annotations

import asyncio
import base64
import re
import smtplib
import time
from pathlib import Path

import icalendar
import pytest

from events_app.db import sql
from events_app.domain.replies import reply_address, reply_token
from events_app.settings import get_settings
from tests.e2e.test_meeting_invites import inbound, new_mail, save  # noqa: F401 - inbound is a fixture
from tests.fixtures import calendar_part, login, read_mail, validate_ics
from tests.integration.web.test_meetings_api import create_series, organization
from tests.integration.web.test_pages import page_login

DATA = Path(__file__).resolve().parent / "data" / "imip"
THUNDERBIRD = "tine20-calendar_reply_accepted.eml"
GMAIL = "bluemind-google.reply.tentative.eml"
MAILBOX = "airquality@example.org"  # the project's organizer address: plain, it proves nothing
# Nobody else's addresses: the SMTP sink is shared with tests running in parallel.
AMARA = "amara.okafor@lagos.example"
WEI = "li.wei@chengdu.example"
WEI_ALIAS = "wei.li@chengdu-gov.example"  # the same mailbox under an alias domain


async def own_project(client, organizer) -> dict:
    r = await client.post(
        "/api/projects",
        headers=organizer,
        json={"title": "Air Quality Pilot", "organizer_email": MAILBOX, "organizer_name": "Air Quality Pilot Team"},
    )
    assert r.status_code == 201, r.text
    project = r.json()
    for name, country, person, language in (
        ("Lagos State", "NG", (AMARA, "Amara Okafor"), "en"),
        ("Chengdu Municipality", "CN", (WEI, "Li Wei"), "es"),
    ):
        org = await organization(name, country)
        r = await client.post(
            f"/api/projects/{project['id']}/members",
            headers=organizer,
            json={"organization_id": org, "contacts": [{"email": person[0], "name": person[1], "language": language}]},
        )
        assert r.status_code == 200, r.text
    return project


async def address_of(series_id: int, email: str) -> str:
    """The personal reply address the invitee's invites name as ORGANIZER (and From)."""
    nonce = await sql.fetchval(
        "SELECT i.reply_nonce FROM meeting_invitee i JOIN person p ON p.id = i.person"
        " WHERE i.series = $1 AND p.email = $2",
        series_id,
        email,
    )
    return reply_address(MAILBOX, reply_token(get_settings().secret_key, nonce))


def rewrite(name: str, replacements: list[tuple[str, str]]) -> bytes:
    """A captured reply with its identifying values replaced, structure and quirks kept. A base64 invite.ics
    attachment is decoded, rewritten and encoded again in the same 76-character lines."""
    raw = (DATA / name).read_bytes()

    def attachment(match: re.Match) -> bytes:
        body = base64.b64decode(match.group(2))
        for old, new in replacements:
            body = body.replace(old.encode(), new.encode())
        return match.group(1) + base64.encodebytes(body).replace(b"\n", b"\r\n")

    raw = re.sub(
        rb'(filename="invite.ics"\r\nContent-Transfer-Encoding: base64\r\n\r\n)([A-Za-z0-9+/=\r\n]+?)(?=--)',
        attachment,
        raw,
    )
    for old, new in replacements:
        raw = raw.replace(old.encode(), new.encode())
    return raw


def thunderbird_reply(uid: str, to: str, attendee: str, sender: str | None = None) -> bytes:
    """Thunderbird's ACCEPTED reply to `to` (the ORGANIZER it was invited by), optionally From an alias."""
    return rewrite(
        THUNDERBIRD,
        [
            ("From: tine20admin@caldav.net", f"From: {sender or attendee}"),
            ("tine20admin@caldav.net", attendee),
            ("l.kneschke@caldav.org", to),
            ("4f0162146d61cb2c06cbe2abf94636f4526abe16", uid),
        ],
    )


def gmail_reply(uid: str, to: str, attendee: str) -> bytes:
    """Gmail's TENTATIVE reply: From, Reply-To and ATTENDEE are the Google account's address."""
    return rewrite(
        GMAIL,
        [
            ("thomas.cataldo@blue-mind.net", to),
            ("tcataldo@gmail.com", attendee),
            ("14ef516ad2e6ce325d5c8efcf9d7ddbfa30f9d15", uid),
        ],
    )


def send(port: int, raw: bytes, rcpt: str, mail_from: str = "bounces@mail.example") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.sendmail(mail_from, [rcpt], raw)


async def inbound_rows(count: int) -> list[dict]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rows = [dict(r) for r in await sql.fetch("SELECT * FROM meeting_inbound_reply ORDER BY id")]
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.1)
    raise AssertionError(f"{count} inbound replies expected")


async def answers() -> dict[str, str]:
    """Each person's answer for the whole series, by email."""
    rows = await sql.fetch(
        "SELECT p.email, s.title, r.partstat FROM meeting_rsvp r JOIN person p ON p.id = r.person"
        " JOIN meeting_series s ON s.id = r.series WHERE r.recurrence_id IS NULL"
    )
    return {f"{r['email']} {r['title']}": r["partstat"] for r in rows}


async def rsvp_snapshot() -> list[dict]:
    return [dict(r) for r in await sql.fetch("SELECT * FROM meeting_rsvp ORDER BY id")]


@pytest.fixture
async def pilot(client, organizer) -> dict:
    """A project with AMARA and WEI invited to one series, AMARA's answer ACCEPTED by a genuine reply."""
    project = await own_project(client, organizer)
    series = await create_series(client, organizer, project["id"])
    return {"project": project, "series": series}


async def genuine_accept(port: int, series: dict, email: str, seen: int) -> None:
    address = await address_of(series["id"], email)
    send(port, thunderbird_reply(series["calendar_uid"], address, email), address)
    rows = await inbound_rows(seen + 1)
    assert rows[seen]["outcome"] == "accepted", rows[seen]


# --------------------------------------------------------------------------- the invites carry the address


@pytest.mark.worker
async def test_invites_name_a_personal_reply_address_as_organizer_and_sender(
    client, organizer, celery_worker, maildir, tmp_path
):
    seen_amara, seen_wei = len(read_mail(maildir, AMARA)), len(read_mail(maildir, WEI))
    project = await own_project(client, organizer)
    series = await create_series(client, organizer, project["id"])
    [invite] = new_mail(maildir, AMARA, seen_amara, 1)
    [other] = new_mail(maildir, WEI, seen_wei, 1)
    await client.patch(f"/api/meeting-series/{series['id']}", headers=organizer, json={"title": "Air call"})
    [update] = new_mail(maildir, AMARA, seen_amara + 1, 1)
    await client.delete(f"/api/meeting-series/{series['id']}/occurrences/20270302T130000Z", headers=organizer)
    [cancel] = new_mail(maildir, AMARA, seen_amara + 2, 1)

    def organizer_of(message) -> str:
        [first, *_] = icalendar.Calendar.from_ical(calendar_part(message)).walk("VEVENT")
        return str(first["ORGANIZER"]).removeprefix("mailto:")

    amara, wei = await address_of(series["id"], AMARA), await address_of(series["id"], WEI)
    assert re.fullmatch(r"airquality\+r[a-z2-7]{26}@example\.org", amara) and amara != wei
    assert [organizer_of(m) for m in (invite, update, cancel)] == [amara, amara, amara]
    assert organizer_of(other) == wei
    assert [str(m["From"]) for m in (invite, update, cancel)] == [f"Air Quality Pilot Team <{amara}>"] * 3
    first = save(invite, tmp_path / "invite.eml")
    validate_ics(first)
    validate_ics(save(update, tmp_path / "update.eml"), save(cancel, tmp_path / "cancel.eml"), previous=first)


# --------------------------------------------------------------------------- genuine replies


async def test_genuine_replies_from_real_clients_are_recorded_for_the_token_invitee(pilot, inbound):
    port, _ = inbound
    series = pilot["series"]
    amara, wei = await address_of(series["id"], AMARA), await address_of(series["id"], WEI)
    # Thunderbird, sent From an alias of the invited address (the ATTENDEE is the invited one)
    send(port, thunderbird_reply(series["calendar_uid"], amara, AMARA, sender="a.okafor@lagos-gov.example"), amara)
    # Gmail, From and ATTENDEE both another address (an alias, or a colleague the invite was forwarded to: nobody
    # can tell); the mail system delivered it to the plain mailbox (the token is in To and in ORGANIZER only). The
    # ATTENDEE answers (RFC 5546), not the invitee: nothing is recorded for Wei, who is sent the link to answer.
    send(port, gmail_reply(series["calendar_uid"], wei, WEI_ALIAS), MAILBOX)
    rows = await inbound_rows(2)
    assert [(r["sender"], r["attendee"], r["partstat"], r["outcome"], r["series"]) for r in rows] == [
        ("a.okafor@lagos-gov.example", AMARA, "ACCEPTED", "accepted", series["id"]),
        (WEI_ALIAS, WEI_ALIAS, "TENTATIVE", "rejected", series["id"]),
    ]
    assert rows[1]["reason"].startswith(f"the ATTENDEE {WEI_ALIAS} is not {WEI}")
    title = series["title"]
    assert await answers() == {f"{AMARA} {title}": "ACCEPTED"}
    told = await sql.fetch("SELECT recipient, payload FROM outbox_message WHERE kind = 'meeting_reply_unplaced'")
    assert [(r["recipient"], r["payload"]["reason"]) for r in told] == [(WEI, "other-address")]


# --------------------------------------------------------------------------- forged replies


async def test_forged_reply_without_token_changes_nothing(pilot, inbound):
    port, log = inbound
    series = pilot["series"]
    await genuine_accept(port, series, AMARA, 0)
    before = await rsvp_snapshot()
    # From and ATTENDEE are exactly the invited address; sent to the organizer's plain address, as anyone can
    send(
        port,
        gmail_reply(series["calendar_uid"], MAILBOX, AMARA).replace(b"PARTSTAT=TENTATIVE", b"PARTSTAT=DECLINED"),
        MAILBOX,
    )
    send(
        port,
        thunderbird_reply(series["calendar_uid"], MAILBOX, WEI).replace(b"PARTSTAT=ACCEPTED", b"PARTSTAT=DECLINED"),
        MAILBOX,
    )
    rows = await inbound_rows(3)
    assert [(r["sender"], r["attendee"], r["outcome"], r["reason_code"], r["series"]) for r in rows[1:]] == [
        (AMARA, AMARA, "rejected", "no-token", series["id"]),
        (WEI, WEI, "rejected", "no-token", series["id"]),
    ]
    assert await rsvp_snapshot() == before
    assert await answers() == {f"{AMARA} {series['title']}": "ACCEPTED"}
    assert "no reply token" in log.read_text()


async def test_forged_reply_with_wrong_token_changes_nothing(pilot, inbound):
    port, _ = inbound
    series = pilot["series"]
    await genuine_accept(port, series, AMARA, 0)
    before = await rsvp_snapshot()
    genuine = await address_of(series["id"], AMARA)
    token = genuine.split("+r")[1].split("@")[0]
    altered = genuine.replace(token, ("b" if token[0] != "b" else "c") + token[1:])
    guessed = reply_address(MAILBOX, reply_token("not-our-secret-" + "x" * 32, "0" * 32))
    for address in (altered, guessed):
        forged = thunderbird_reply(series["calendar_uid"], address, AMARA).replace(
            b"PARTSTAT=ACCEPTED", b"PARTSTAT=DECLINED"
        )
        send(port, forged, address)
    rows = await inbound_rows(3)
    assert [(r["attendee"], r["outcome"], r["reason_code"]) for r in rows[1:]] == [
        (AMARA, "rejected", "bad-token"),
        (AMARA, "rejected", "bad-token"),
    ]
    assert await rsvp_snapshot() == before


async def test_forged_reply_with_another_invitees_token_changes_nothing(pilot, inbound):
    port, _ = inbound
    series = pilot["series"]
    await genuine_accept(port, series, AMARA, 0)
    before = await rsvp_snapshot()
    # WEI is invited too and holds their own token: they answer in AMARA's name with it
    own = await address_of(series["id"], WEI)
    forged = gmail_reply(series["calendar_uid"], own, AMARA).replace(b"PARTSTAT=TENTATIVE", b"PARTSTAT=DECLINED")
    send(port, forged, own)
    rows = await inbound_rows(2)
    assert (rows[1]["sender"], rows[1]["attendee"], rows[1]["outcome"], rows[1]["reason_code"]) == (
        AMARA,
        AMARA,
        "rejected",
        "other-invitee",
    )
    assert await rsvp_snapshot() == before


async def test_forged_reply_with_token_of_another_series_changes_nothing(client, organizer, pilot, inbound):
    port, _ = inbound
    first = pilot["series"]
    second = await create_series(client, organizer, pilot["project"]["id"], title="Air Quality: data clinic")
    await genuine_accept(port, second, AMARA, 0)
    before = await rsvp_snapshot()
    # AMARA's token of the first series, used for the second one's UID
    address = await address_of(first["id"], AMARA)
    forged = thunderbird_reply(second["calendar_uid"], address, AMARA).replace(
        b"PARTSTAT=ACCEPTED", b"PARTSTAT=DECLINED"
    )
    send(port, forged, address)
    rows = await inbound_rows(2)
    assert (rows[1]["outcome"], rows[1]["reason_code"], rows[1]["series"]) == ("rejected", "other-series", second["id"])
    assert await rsvp_snapshot() == before


async def test_reply_of_a_withdrawn_invitation_changes_nothing(client, organizer, pilot, inbound):
    port, _ = inbound
    series = pilot["series"]
    await genuine_accept(port, series, AMARA, 0)
    address = await address_of(series["id"], AMARA)
    person = await sql.fetchval("SELECT id FROM person WHERE email = $1", AMARA)
    r = await client.delete(f"/api/projects/{pilot['project']['id']}/contacts/{person}", headers=organizer)
    assert r.status_code == 200, r.text
    before = await rsvp_snapshot()
    send(
        port,
        thunderbird_reply(series["calendar_uid"], address, AMARA).replace(b"PARTSTAT=ACCEPTED", b"PARTSTAT=DECLINED"),
        address,
    )
    rows = await inbound_rows(2)
    assert (rows[1]["outcome"], rows[1]["reason_code"]) == ("rejected", "withdrawn")
    assert await rsvp_snapshot() == before


# --------------------------------------------------------------------------- what coordinators see


async def test_rejected_replies_are_listed_with_reason_for_the_projects_coordinators_only(
    client, organizer, pilot, inbound
):
    port, _ = inbound
    series = pilot["series"]
    project_id = pilot["project"]["id"]
    await genuine_accept(port, series, AMARA, 0)
    send(port, gmail_reply(series["calendar_uid"], MAILBOX, WEI), MAILBOX)
    await inbound_rows(2)

    listed = await client.get(f"/api/projects/{project_id}/inbound-replies", headers=organizer)
    assert listed.status_code == 200, listed.text
    assert [
        (r["sender"], r["attendee"], r["partstat"], r["outcome"], r["reason_code"], r["series_id"])
        for r in listed.json()
    ] == [
        (WEI, WEI, "TENTATIVE", "rejected", "no-token", series["id"]),
        (AMARA, AMARA, "ACCEPTED", "accepted", "", series["id"]),
    ]
    assert listed.json()[0]["explanation"].startswith("The reply was not sent to a personal reply address")

    stranger = await login(client, "other.coordinator@example.org")
    other = await client.post("/api/projects", headers=stranger, json={"title": "Another pilot"})
    assert other.status_code == 201, other.text
    denied = await client.get(f"/api/projects/{project_id}/inbound-replies", headers=stranger)
    assert denied.status_code == 403
    mine = await client.get(f"/api/projects/{other.json()['id']}/inbound-replies", headers=stranger)
    assert mine.json() == []

    await page_login(client)
    client.cookies.set("lang", "es")
    page = await client.get(f"/coordinator/projects/{project_id}")
    assert page.status_code == 200
    assert "Respuestas desde el calendario" in page.text
    assert "La respuesta no se envió a la dirección de respuesta personal de una de nuestras invitaciones" in page.text
    assert WEI in page.text and "rechazada" in page.text and "registrada" in page.text


async def test_organizer_address_too_long_for_reply_addresses_is_refused(client, organizer):
    long = await client.post(
        "/api/projects", headers=organizer, json={"title": "Long mailbox", "organizer_email": "x" * 37 + "@example.org"}
    )
    assert long.status_code == 422, long.text
    assert [e["field"] for e in long.json()["errors"]] == ["organizer_email"]
    fits = await client.post(
        "/api/projects",
        headers=organizer,
        json={"title": "Mailbox that fits", "organizer_email": "x" * 36 + "@example.org"},
    )
    assert fits.status_code == 201, fits.text
