"""Answers that count, end to end: replies go through the real inbound SMTP endpoint (python -m workers.inbound),
the messages the system sends back go through a real Celery worker to the SMTP sink and are checked with the
shared validator (--strict, and --previous for updates).

Two kinds of inbound messages:
- real captures (tests/security/data/imip/: Thunderbird, Gmail), with only their identifying values rewritten;
- messages built the way clients are documented to write them: Outlook/Exchange (the invite's DTSTAMP copied into
  the REPLY, Windows zone names in TZID, base64 calendar part, X-MICROSOFT-* lines, X-ALT-DESC on one long line),
  iOS (a proposal inside a REPLY: other times and a COMMENT), Google's "propose a new time" (METHOD:COUNTER),
  a delegation (RFC 5546 4.2.5: the DELEGATED attendee and the delegate in one REPLY), odd charsets.
"""

from __future__ import annotations

import asyncio
import base64
import re
import smtplib
import subprocess
import time
from datetime import datetime, timedelta, timezone

import icalendar
import pytest

from events_app.db import sql
from events_app.domain.security import manage_token
from events_app.services.meetings import coordinator_notices
from events_app.settings import get_settings
from tests.e2e.test_meeting_invites import inbound, new_mail, save  # noqa: F401 - inbound is a fixture
from tests.fixtures import VALIDATOR, calendar_part, event_body, read_mail, validate_ics, wait_for_mail
from tests.integration.web.test_meetings_api import create_series, rsvp_token
from tests.integration.web.test_pages import csrf, page_login
from tests.security.test_replies import (
    AMARA,
    MAILBOX,
    WEI,
    address_of,
    answers,
    gmail_reply,
    inbound_rows,
    own_project,
    rsvp_snapshot,
    send,
    thunderbird_reply,
)

DEPUTY = "deputy.okafor@lagos.example"
# Outlook's zone block for Europe/Berlin, as Exchange writes it (Windows name, 1601 observances)
OUTLOOK_ZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:16010101T030000\r\n"
    "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r\n"
    "END:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
)


def outlook_ics(
    uid: str,
    organizer: str,
    attendee: str,
    partstat: str,
    dtstamp: str,
    *,
    recurrence_id: str = "",
    sequence: int = 0,
    method: str = "REPLY",
    start: str = "DTSTART;TZID=W. Europe Standard Time:20270202T140000",
    end: str = "DTEND;TZID=W. Europe Standard Time:20270202T153000",
    extra: str = "",
    attendees: str = "",
) -> str:
    """A REPLY as Outlook/Exchange 2010+ writes it: DTSTAMP is the invite's, not the time of answering."""
    label = {"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Tentative"}.get(partstat, "Reply")
    return (
        f"BEGIN:VCALENDAR\r\nMETHOD:{method}\r\nPRODID:Microsoft Exchange Server 2010\r\nVERSION:2.0\r\n"
        + OUTLOOK_ZONE
        + "BEGIN:VEVENT\r\n"
        + (attendees or f'ATTENDEE;PARTSTAT={partstat};CN="Okafor, Amara":mailto:{attendee}\r\n')
        + "COMMENT;LANGUAGE=en-US:\\n\r\n"
        f"SUMMARY;LANGUAGE=en-US:{label}: Clean Air Pilot: monthly call\r\n{start}\r\n{end}\r\n"
        f"UID:{uid}\r\n"
        + (f"{recurrence_id}\r\n" if recurrence_id else "")
        + f"ORGANIZER;CN=Air Quality Pilot Team:mailto:{organizer}\r\nCLASS:PUBLIC\r\nPRIORITY:5\r\n"
        f"DTSTAMP:{dtstamp}\r\nTRANSP:OPAQUE\r\nSTATUS:CONFIRMED\r\nSEQUENCE:{sequence}\r\n"
        "LOCATION;LANGUAGE=en-US:UN Campus\r\nX-MICROSOFT-CDO-APPT-SEQUENCE:0\r\n"
        "X-MICROSOFT-CDO-OWNERAPPTID:-1\r\nX-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE\r\n"
        "X-MICROSOFT-CDO-INTENDEDSTATUS:BUSY\r\nX-MICROSOFT-CDO-ALLDAYEVENT:FALSE\r\n"
        "X-MICROSOFT-CDO-IMPORTANCE:1\r\nX-MICROSOFT-CDO-INSTTYPE:0\r\nX-MICROSOFT-DISALLOW-COUNTER:FALSE\r\n"
        + extra
        + "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def outlook_mail(ics: str, to: str, sender: str, *, method: str = "REPLY", charset: str = "utf-8") -> bytes:
    """Outlook's message: multipart/alternative of text/plain and a base64 text/calendar, CRLF line ends."""
    body = base64.encodebytes(ics.encode(charset)).decode().replace("\n", "\r\n")
    return (
        f'From: "Okafor, Amara" <{sender}>\r\nTo: Air Quality Pilot Team <{to}>\r\n'
        "Subject: Accepted: Clean Air Pilot: monthly call\r\nThread-Topic: Clean Air Pilot: monthly call\r\n"
        "MIME-Version: 1.0\r\nX-MS-Has-Attach:\r\nX-MS-TNEF-Correlator:\r\n"
        'Content-Type: multipart/alternative; boundary="_000_DB8PR0"\r\n\r\n'
        '--_000_DB8PR0\r\nContent-Type: text/plain; charset="us-ascii"\r\n\r\n\r\n'
        f'--_000_DB8PR0\r\nContent-Type: text/calendar; charset="{charset}"; method={method}\r\n'
        f"Content-Transfer-Encoding: base64\r\n\r\n{body}\r\n--_000_DB8PR0--\r\n"
    ).encode()


def mail_where(maildir, recipient: str, wanted, count: int, timeout: float = 30) -> list:
    """The first `count` messages to `recipient` for which wanted(message) holds (the sink is shared)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in read_mail(maildir, recipient) if wanted(m)]
        if len(found) >= count or time.monotonic() > deadline:
            assert len(found) >= count, f"{count} message(s) to {recipient} expected, got {len(found)}"
            return found[:count]
        time.sleep(0.2)


def about(uid: str):
    def wanted(message) -> bool:
        try:
            return uid.encode() in calendar_part(message)
        except AssertionError:
            return False

    return wanted


# The shared validator's checkers contradict each other on DECLINECOUNTER (RFC 5546 3.2.8): libical applies RFC 2446's
# restriction table (no ATTENDEE, SEQUENCE or DTSTART), ical.js wants a DTSTART in every method but CANCEL. These
# errors, and only these, are expected; every other checker (lint, vobject, icalendar, ical, imip) must pass.
KNOWN_DECLINECOUNTER_ERRORS = {
    "[icaljs] VEVENT {uid}: no DTSTART",
    "[libical] VEVENT: [INVALID-ITIP] Failed iTIP restrictions for ATTENDEE property. Expected 0 instances of the "
    "property and got 1",
}


def validate_declinecounter(path) -> None:
    result = subprocess.run(
        ["bash", str(VALIDATOR), "--strict", str(path)], capture_output=True, text=True, timeout=600
    )
    errors = {line.strip().removeprefix("ERROR ") for line in result.stdout.splitlines() if "ERROR" in line}
    uid = re.search(r"VEVENT ([0-9a-f-]{36})", result.stdout)
    known = {e.format(uid=uid.group(1) if uid else "") for e in KNOWN_DECLINECOUNTER_ERRORS}
    assert errors <= known, result.stdout
    assert "[imip]" in result.stdout and "OK " in result.stdout, result.stdout


def stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


async def occurrence_answers() -> list[tuple[str, str | None, str]]:
    rows = await sql.fetch(
        "SELECT p.email, r.recurrence_id, r.partstat FROM meeting_rsvp r JOIN person p ON p.id = r.person ORDER BY r.id"
    )
    return [(r["email"], r["recurrence_id"] and stamp(r["recurrence_id"]), r["partstat"]) for r in rows]


@pytest.fixture
async def pilot(client, organizer) -> dict:
    project = await own_project(client, organizer)
    series = await create_series(client, organizer, project["id"])
    return {"project": project, "series": series}


# --------------------------------------------------------------------------- the latest answer wins


async def test_link_answer_then_outlook_decline_with_the_invites_dtstamp_is_declined(client, pilot, inbound):
    port, _ = inbound
    series = pilot["series"]
    invite_built = datetime.now(timezone.utc) - timedelta(hours=2)  # the DTSTAMP Outlook copies from the invite
    token = await rsvp_token(series["id"], AMARA)
    linked = await client.post(f"/api/rsvp/{token}", json={"answer": "accepted"})
    assert linked.status_code == 200, linked.text
    address = await address_of(series["id"], AMARA)
    send(
        port,
        outlook_mail(
            outlook_ics(series["calendar_uid"], address, AMARA, "DECLINED", stamp(invite_built)), address, AMARA
        ),
        address,
    )
    [row] = await inbound_rows(1)
    assert (row["outcome"], row["reason_code"], row["partstat"]) == ("accepted", "", "DECLINED")
    assert await answers() == {f"{AMARA} {series['title']}": "DECLINED"}
    # and back: the link again, then Outlook again with the same old DTSTAMP -- each time the last one received
    await client.post(f"/api/rsvp/{token}", json={"answer": "tentative"})
    assert await answers() == {f"{AMARA} {series['title']}": "TENTATIVE"}
    send(
        port,
        outlook_mail(
            outlook_ics(series["calendar_uid"], address, AMARA, "ACCEPTED", stamp(invite_built)), address, AMARA
        ),
        address,
    )
    await inbound_rows(2)
    assert await answers() == {f"{AMARA} {series['title']}": "ACCEPTED"}


# --------------------------------------------------------------------------- one occurrence never widens


@pytest.mark.worker
async def test_reply_for_one_meeting_never_widens_to_the_series(
    client, organizer, pilot, inbound, celery_worker, maildir
):
    port, _ = inbound
    series, project_id = pilot["series"], pilot["project"]["id"]
    address = await address_of(series["id"], AMARA)
    uid, now = series["calendar_uid"], stamp(datetime.now(timezone.utc))
    # Exchange names the zone by its Windows name: the meeting of 2 March 14:00 in Berlin
    send(
        port,
        outlook_mail(
            outlook_ics(
                uid,
                address,
                AMARA,
                "DECLINED",
                now,
                recurrence_id="RECURRENCE-ID;TZID=W. Europe Standard Time:20270302T140000",
            ),
            address,
            AMARA,
        ),
        address,
    )
    await inbound_rows(1)
    assert await occurrence_answers() == [(AMARA, "20270302T130000Z", "DECLINED")]
    before = await rsvp_snapshot()
    # a day with no meeting, and a zone nobody can place: nothing changes, the person is told
    for rid in ("RECURRENCE-ID;VALUE=DATE:20270303", 'RECURRENCE-ID;TZID="Customized Time Zone":20270406T140000'):
        send(
            port,
            outlook_mail(outlook_ics(uid, address, AMARA, "ACCEPTED", now, recurrence_id=rid), address, AMARA),
            address,
        )
    rows = await inbound_rows(3)
    assert [(r["outcome"], r["reason_code"]) for r in rows[1:]] == [("rejected", "unplaced"), ("rejected", "unplaced")]
    assert await rsvp_snapshot() == before
    subject = f"Your answer was not recorded: {series['title']}"
    # told once for both (at most once an hour per person and series: resent replies flood nobody)
    notices_written = await sql.fetch(
        "SELECT kind FROM outbox_message WHERE kind IN ('meeting_reply_unplaced', $1) ORDER BY id",
        coordinator_notices.REPLY_UNPLACED,
    )
    assert [r["kind"] for r in notices_written] == ["meeting_reply_unplaced", coordinator_notices.REPLY_UNPLACED]
    told = mail_where(maildir, AMARA, lambda m: m["Subject"] == subject, 1)
    assert "/rsvp/" in told[0].get_body(("plain",)).get_content()
    # ... and so is each coordinator of the project, with the person named and the link to the list of replies
    notices = mail_where(
        maildir,
        "organizer@example.org",
        lambda m: m["Subject"] == f"A calendar answer was not recorded: {series['title']}",
        1,
    )
    text = notices[0].get_body(("plain",)).get_content()
    assert AMARA in text and f"/coordinator/projects/{project_id}#replies" in text
    listed = (await client.get(f"/api/projects/{project_id}/inbound-replies", headers=organizer)).json()
    assert [(r["reason_code"], r["explanation"][:40]) for r in listed[:2]] == [
        ("unplaced", "The reply is about one meeting, but whic"),
    ] * 2


# --------------------------------------------------------------------------- proposals (COUNTER)


def google_counter(uid: str, to: str, attendee: str, start: str, end: str, rid: str = "") -> bytes:
    """Google Calendar's "propose a new time": its REPLY mail as captured, sent as METHOD:COUNTER with the proposed
    DTSTART/DTEND (and RECURRENCE-ID for one meeting of a series), inline and in the base64 invite.ics."""
    raw = gmail_reply(uid, to, attendee)
    replacements = [
        ("METHOD:REPLY", "METHOD:COUNTER"),
        ("DTSTART:20120530T090000Z", f"DTSTART:{start}"),
        ("DTEND:20120530T100000Z", f"DTEND:{end}" + (f"\r\nRECURRENCE-ID:{rid}" if rid else "")),
    ]
    raw = raw.replace(b"charset=UTF-8; method=REPLY", b"charset=UTF-8; method=COUNTER")

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


@pytest.mark.worker
async def test_google_counter_is_shown_then_declined_with_a_valid_declinecounter_or_accepted_as_an_update(
    client, organizer, pilot, inbound, celery_worker, maildir, tmp_path
):
    port, _ = inbound
    series, project_id = pilot["series"], pilot["project"]["id"]
    uid = series["calendar_uid"]
    [invite] = mail_where(maildir, AMARA, about(uid), 1)
    mail_where(maildir, WEI, about(uid), 1)
    address = await address_of(series["id"], AMARA)
    send(port, google_counter(uid, address, AMARA, "20270302T150000Z", "20270302T163000Z", "20270302T130000Z"), address)
    send(port, google_counter(uid, address, AMARA, "20270406T140000Z", "20270406T153000Z", "20270406T120000Z"), address)
    # the first COUNTER delivered again (a mail server's retry): heard, and no second proposal to decide
    send(port, google_counter(uid, address, AMARA, "20270302T150000Z", "20270302T163000Z", "20270302T130000Z"), address)
    rows = await inbound_rows(3)
    assert [(r["outcome"], r["reason_code"]) for r in rows] == [("accepted", "")] * 3
    assert "the same proposal already waits" in rows[-1]["reason"], rows[-1]
    assert await rsvp_snapshot() == []  # a proposal is not an answer
    listed = await client.get(f"/api/projects/{project_id}/proposals", headers=organizer)
    second, first = listed.json()
    assert (first["email"], first["method"], first["status"], first["proposed_start"]) == (
        AMARA,
        "COUNTER",
        "pending",
        "2027-03-02T15:00:00Z",
    )

    declined = await client.post(
        f"/api/projects/{project_id}/proposals/{first['id']}", headers=organizer, json={"accept": False}
    )
    assert (declined.status_code, declined.json()["status"]) == (200, "declined"), declined.text
    again = await client.post(
        f"/api/projects/{project_id}/proposals/{first['id']}", headers=organizer, json={"accept": True}
    )
    assert again.status_code == 409
    [_, answer] = mail_where(maildir, AMARA, about(uid), 2)
    cal = icalendar.Calendar.from_ical(calendar_part(answer))
    [vevent] = cal.walk("VEVENT")
    assert (str(cal["METHOD"]), str(vevent["UID"]), int(vevent.get("SEQUENCE", 0))) == ("DECLINECOUNTER", uid, 0)
    assert stamp(vevent["RECURRENCE-ID"].dt) == "20270302T130000Z"
    assert b'method="DECLINECOUNTER"' in answer.path.read_bytes()
    validate_declinecounter(save(answer, tmp_path / "declinecounter.eml"))

    accepted = await client.post(
        f"/api/projects/{project_id}/proposals/{second['id']}", headers=organizer, json={"accept": True}
    )
    assert (accepted.status_code, accepted.json()["status"]) == (200, "accepted"), accepted.text
    [_, update] = mail_where(maildir, WEI, about(uid), 2)
    [moved] = icalendar.Calendar.from_ical(calendar_part(update)).walk("VEVENT")
    assert (stamp(moved["RECURRENCE-ID"].dt), stamp(moved["DTSTART"].dt), int(moved["SEQUENCE"])) == (
        "20270406T120000Z",
        "20270406T140000Z",
        1,
    )
    first_invite = save(invite, tmp_path / "invite.eml")
    [*_, own_update] = mail_where(maildir, AMARA, about(uid), 3)
    validate_ics(save(own_update, tmp_path / "update.eml"), previous=first_invite)


async def test_ios_proposal_in_a_reply_records_the_answer_and_keeps_the_proposal(client, organizer, pilot, inbound):
    port, _ = inbound
    series, project_id = pilot["series"], pilot["project"]["id"]
    address = await address_of(series["id"], AMARA)
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.4//EN\r\nMETHOD:REPLY\r\n"
        "BEGIN:VEVENT\r\nUID:" + series["calendar_uid"] + "\r\nDTSTAMP:20270101T090000Z\r\nSEQUENCE:0\r\n"
        "RECURRENCE-ID;TZID=Europe/Berlin:20270302T140000\r\n"
        "DTSTART;TZID=Europe/Berlin:20270302T160000\r\nDTEND;TZID=Europe/Berlin:20270302T173000\r\n"
        "ATTENDEE;CN=Amara Okafor;CUTYPE=INDIVIDUAL;EMAIL=" + AMARA + ";PARTSTAT=TENTATIVE:mailto:" + AMARA + "\r\n"
        "COMMENT:Could we meet two hours later? I land at 15:00.\r\n"
        "ORGANIZER;CN=Air Quality Pilot Team:mailto:" + address + "\r\n"
        "X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC\r\nSUMMARY:Clean Air Pilot: monthly call\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    raw = (
        f"From: Amara Okafor <{AMARA}>\r\nTo: {address}\r\nSubject: Invitation: Maybe\r\nMIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=Apple-Mail-1\r\n\r\n--Apple-Mail-1\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\nAmara Okafor has proposed a new time.\r\n--Apple-Mail-1\r\n"
        "Content-Type: text/calendar; method=REPLY; name=iCal-20270101.ics; charset=utf-8\r\n"
        "Content-Disposition: attachment; filename=iCal-20270101.ics\r\nContent-Transfer-Encoding: 7bit\r\n\r\n"
        + ics
        + "--Apple-Mail-1--\r\n"
    ).encode()
    send(port, raw, address)
    [row] = await inbound_rows(1)
    assert (row["outcome"], row["partstat"]) == ("accepted", "TENTATIVE"), row
    assert await occurrence_answers() == [(AMARA, "20270302T130000Z", "TENTATIVE")]
    [proposal] = (await client.get(f"/api/projects/{project_id}/proposals", headers=organizer)).json()
    assert (proposal["method"], proposal["proposed_start"], proposal["comment"]) == (
        "REPLY",
        "2027-03-02T15:00:00Z",
        "Could we meet two hours later? I land at 15:00.",
    )
    await page_login(client)
    client.cookies.set("lang", "es")
    page = await client.get(f"/coordinator/projects/{project_id}")
    assert page.status_code == 200
    assert "Horas propuestas" in page.text and "Could we meet two hours later?" in page.text
    assert f'action="/coordinator/projects/{project_id}/proposals/{proposal["id"]}"' in page.text


# --------------------------------------------------------------------------- delegation (RFC 5546 4.2.5)


@pytest.mark.worker
async def test_delegation_waits_for_the_coordinator_unless_the_project_allows_it(
    client, organizer, pilot, inbound, celery_worker, maildir
):
    port, _ = inbound
    series, project_id = pilot["series"], pilot["project"]["id"]
    address = await address_of(series["id"], AMARA)
    uid, now = series["calendar_uid"], stamp(datetime.now(timezone.utc))
    pair = (
        f'ATTENDEE;PARTSTAT=DELEGATED;DELEGATED-TO="mailto:{DEPUTY}";CN="Okafor, Amara":mailto:{AMARA}\r\n'
        f'ATTENDEE;PARTSTAT=NEEDS-ACTION;DELEGATED-FROM="mailto:{AMARA}";RSVP=TRUE;CN=Deputy Okafor:mailto:{DEPUTY}\r\n'
    )
    send(
        port, outlook_mail(outlook_ics(uid, address, AMARA, "DELEGATED", now, attendees=pair), address, AMARA), address
    )
    [row] = await inbound_rows(1)
    assert (row["outcome"], row["partstat"]) == ("accepted", "DELEGATED"), row
    assert await answers() == {f"{AMARA} {series['title']}": "DECLINED"}
    [delegation] = (await client.get(f"/api/projects/{project_id}/delegations", headers=organizer)).json()
    assert (delegation["delegate_email"], delegation["status"]) == (DEPUTY, "pending")
    # the delegate answers with the invite the delegator forwarded (the delegator's reply address): not yet heard
    own = f'ATTENDEE;PARTSTAT=ACCEPTED;DELEGATED-FROM="mailto:{AMARA}";CN=Deputy Okafor:mailto:{DEPUTY}\r\n'
    send(
        port, outlook_mail(outlook_ics(uid, address, DEPUTY, "ACCEPTED", now, attendees=own), address, DEPUTY), address
    )
    rows = await inbound_rows(2)
    assert (rows[1]["outcome"], rows[1]["reason_code"]) == ("rejected", "delegation-pending")
    decided = await client.post(
        f"/api/projects/{project_id}/delegations/{delegation['id']}", headers=organizer, json={"accept": True}
    )
    assert (decided.status_code, decided.json()["status"]) == (200, "accepted"), decided.text
    [invite] = wait_for_mail(maildir, DEPUTY, 1)
    assert str(icalendar.Calendar.from_ical(calendar_part(invite))["METHOD"]) == "REQUEST"
    send(
        port, outlook_mail(outlook_ics(uid, address, DEPUTY, "ACCEPTED", now, attendees=own), address, DEPUTY), address
    )
    rows = await inbound_rows(3)
    assert (rows[2]["outcome"], rows[2]["reason"]) == ("accepted", f"the delegate of {AMARA}")
    assert await answers() == {f"{AMARA} {series['title']}": "DECLINED", f"{DEPUTY} {series['title']}": "ACCEPTED"}

    # the project lets delegates in: WEI's delegate joins at once
    policy = await client.put(
        f"/api/projects/{project_id}/delegation-policy", headers=organizer, json={"allow_delegation": True}
    )
    assert policy.json() == {"allow_delegation": True}
    wei = await address_of(series["id"], WEI)
    deputy_wei = "deputy.li@chengdu.example"
    pair = (
        f'ATTENDEE;PARTSTAT=DELEGATED;DELEGATED-TO="mailto:{deputy_wei}":mailto:{WEI}\r\n'
        f'ATTENDEE;PARTSTAT=NEEDS-ACTION;DELEGATED-FROM="mailto:{WEI}":mailto:{deputy_wei}\r\n'
    )
    send(port, outlook_mail(outlook_ics(uid, wei, WEI, "DELEGATED", now, attendees=pair), wei, WEI), wei)
    await inbound_rows(4)
    statuses = {
        d["delegate_email"]: d["status"]
        for d in (await client.get(f"/api/projects/{project_id}/delegations", headers=organizer)).json()
    }
    assert statuses == {DEPUTY: "accepted", deputy_wei: "accepted"}
    wait_for_mail(maildir, deputy_wei, 1)

    # one invitation hands its place to three people at most: never a way to have invites sent anywhere
    for n in range(1, 4):
        other = f"deputy{n}@elsewhere.example"
        pair = (
            f'ATTENDEE;PARTSTAT=DELEGATED;DELEGATED-TO="mailto:{other}":mailto:{WEI}\r\n'
            f'ATTENDEE;PARTSTAT=NEEDS-ACTION;DELEGATED-FROM="mailto:{WEI}":mailto:{other}\r\n'
        )
        send(port, outlook_mail(outlook_ics(uid, wei, WEI, "DELEGATED", now, attendees=pair), wei, WEI), wei)
    rows = await inbound_rows(7)
    assert [(r["outcome"], r["reason_code"]) for r in rows[4:]] == [("accepted", ""), ("accepted", "")] + [
        ("rejected", "delegation-limit")
    ]
    assert "may not hand their place to deputy3@elsewhere.example" in rows[6]["reason"]
    delegates = {
        d["delegate_email"]
        for d in (await client.get(f"/api/projects/{project_id}/delegations", headers=organizer)).json()
    }
    assert "deputy3@elsewhere.example" not in delegates and len(delegates) == 4
    send(
        port,
        outlook_mail(
            outlook_ics(uid, wei, WEI, "DELEGATED", now, attendees=pair.replace("deputy3", "deputy1")), wei, WEI
        ),
        wei,
    )
    assert (await inbound_rows(8))[7]["outcome"] == "accepted"  # naming a delegate already named again still counts


# --------------------------------------------------------------------------- the form of a message is no reason


async def test_long_lines_odd_charsets_and_broken_mime_are_answered_250_never_refused(pilot, inbound):
    port, _ = inbound
    series = pilot["series"]
    address = await address_of(series["id"], AMARA)
    uid, now = series["calendar_uid"], stamp(datetime.now(timezone.utc))
    alt = "X-ALT-DESC;FMTTYPE=text/html:<html><body>" + "<p>Dear team, see you there.</p>" * 120 + "</body></html>\r\n"
    assert len(alt) > 3000
    # 8bit, one 3,900-octet line (Outlook's X-ALT-DESC not folded) and a 2,000-octet HTML line
    ics = outlook_ics(uid, address, AMARA, "ACCEPTED", now, extra=alt)
    long_html = "<div>" + "x" * 2000 + "</div>"
    raw = (
        f"From: {AMARA}\r\nTo: {address}\r\nSubject: Accepted\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n'
        f"Content-Transfer-Encoding: 8bit\r\n\r\n{long_html}\r\n--b1\r\n"
        "Content-Type: text/calendar; charset=utf-8; method=REPLY\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{ics}\r\n--b1--\r\n"
    ).encode()
    send(port, raw, address)
    # windows-1252, 8bit, with a non-UTF-8 byte in CN (José) and in the Subject
    latin = outlook_ics(uid, address, AMARA, "TENTATIVE", now).replace('CN="Okafor, Amara"', 'CN="José Okafor"')
    raw = (
        f"From: {AMARA}\r\nTo: {address}\r\nSubject: Provisoire: r\xe9union\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/calendar; charset=windows-1252; method=REPLY\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        f"{latin}"
    ).encode("windows-1252")
    send(port, raw, address)
    # UTF-16 with a BOM, base64 (as some Exchange relays re-encode it)
    send(
        port, outlook_mail(outlook_ics(uid, address, AMARA, "DECLINED", now), address, AMARA, charset="utf-16"), address
    )
    # quoted-printable with soft line breaks inside the ATTENDEE line
    qp = outlook_ics(uid, address, AMARA, "ACCEPTED", now).replace("\r\n", "\n")
    import quopri

    body = quopri.encodestring(qp.encode(), quotetabs=False).decode().replace("\n", "\r\n")
    raw = (
        f"From: {AMARA}\r\nTo: {address}\r\nSubject: Accepted\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/calendar; charset=utf-8; method=REPLY\r\nContent-Transfer-Encoding: quoted-printable\r\n"
        f"\r\n{body}"
    ).encode()
    send(port, raw, address)
    # broken: a multipart without boundary, and a calendar that is not iCalendar
    send(
        port,
        f"From: {AMARA}\r\nTo: {address}\r\nContent-Type: multipart/mixed\r\n\r\n\xff\xfe garbage".encode("latin-1"),
        address,
    )
    send(
        port,
        f"From: {AMARA}\r\nTo: {address}\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n"
        "BEGIN:VCALENDAR\r\nthis is not\r\n".encode(),
        address,
    )
    rows = await inbound_rows(6)
    assert [(r["outcome"], r["reason_code"], r["partstat"]) for r in rows] == [
        ("accepted", "", "ACCEPTED"),
        ("accepted", "", "TENTATIVE"),
        ("accepted", "", "DECLINED"),
        ("accepted", "", "ACCEPTED"),
        ("rejected", "no-calendar", ""),
        ("rejected", "unreadable", ""),
    ]
    assert await answers() == {f"{AMARA} {series['title']}": "ACCEPTED"}


def test_smtp_answers_of_the_endpoint_are_never_permanent_for_a_long_line(inbound):
    port, _ = inbound
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.ehlo()
        code, _ = smtp.mail("bounces@mail.example")
        assert code == 250
        smtp.rcpt(MAILBOX)
        code, answer = smtp.data(("Subject: x\r\n\r\n" + "y" * 20000 + "\r\n").encode())
    assert code == 250, answer


# --------------------------------------------------------------------------- registration and session invites


async def _registered(client, organizer, email: str, **event) -> dict:
    r = await client.post("/api/events", headers=organizer, json=event_body(**event))
    assert r.status_code == 201, r.text
    ev = r.json()
    await client.post(
        f"/api/events/{ev['id']}/categories", headers=organizer, json={"code": "delegate", "name": "Delegate"}
    )
    assert (await client.post(f"/api/events/{ev['id']}/publish", headers=organizer)).status_code == 200
    reg = await client.post(
        f"/api/events/{ev['id']}/registrations",
        json={"email": email, "name": "Amara Okafor", "category": "delegate", "consent": True},
    )
    assert reg.status_code == 201, reg.text
    ev["calendar_uid"] = await sql.fetchval("SELECT calendar_uid::text FROM event WHERE id = $1", ev["id"])
    return {"event": ev, "registration": reg.json()}


def organizer_of(message) -> str:
    [vevent] = icalendar.Calendar.from_ical(calendar_part(message)).walk("VEVENT")
    return str(vevent["ORGANIZER"]).removeprefix("mailto:")


async def status_of(registration_id: int) -> str:
    return await sql.fetchval("SELECT status FROM registration WHERE id = $1", registration_id)


@pytest.mark.worker
async def test_registration_decline_emails_a_release_link_and_only_confirming_releases_the_seat(
    client, organizer, inbound, celery_worker, maildir, tmp_path
):
    port, _ = inbound
    email = "amara.decline@lagos.example"
    setup = await _registered(client, organizer, email, title="Forum on Clean Air")
    ev, reg = setup["event"], setup["registration"]
    [invite] = wait_for_mail(maildir, email, 1)
    address = organizer_of(invite)
    assert re.fullmatch(r"forum\+r[a-z2-7]{26}@example\.org", address), address
    assert invite["From"].addresses[0].addr_spec == address
    validate_ics(save(invite, tmp_path / "invite.eml"))
    # Thunderbird's capture, Decline pressed
    declined = thunderbird_reply(ev["calendar_uid"], address, email).replace(b"PARTSTAT=ACCEPTED", b"PARTSTAT=DECLINED")
    send(port, declined, address)
    [row] = await inbound_rows(1)
    assert (row["outcome"], row["reason_code"], row["event"]) == ("accepted", "", ev["id"]), row
    assert "a link to release the seat was emailed" in row["reason"]
    assert await status_of(reg["id"]) == "confirmed"  # kept until the delegate confirms
    [_, release_mail] = wait_for_mail(maildir, email, 2)
    assert release_mail["Subject"] == "Release your seat? Forum on Clean Air"
    link = re.search(r"/release/[A-Za-z0-9_\-]+", release_mail.get_body(("plain",)).get_content()).group(0)
    # the same Decline delivered again (a mail server's retry): heard, nothing changes, no second release email
    send(port, declined, address)
    again = (await inbound_rows(2))[-1]
    assert "the same answer" in again["reason"], again
    await asyncio.sleep(3)  # the worker would have sent a second release email by now
    assert len(read_mail(maildir, email)) == 2
    # Accept withdraws the link; Decline again within the hour re-arms the same link, no email per flip
    send(port, thunderbird_reply(ev["calendar_uid"], address, email), address)
    assert (await inbound_rows(3))[-1]["partstat"] == "ACCEPTED"
    assert (await client.get(link)).status_code == 404
    for flip in range(2):
        send(port, declined, address)
        rows = await inbound_rows(4 + 2 * flip)
        assert "the release link emailed within the hour works again" in rows[-1]["reason"], rows[-1]
        if flip == 0:
            send(port, thunderbird_reply(ev["calendar_uid"], address, email), address)
            await inbound_rows(5)
    await asyncio.sleep(3)
    assert len(read_mail(maildir, email)) == 2
    shown = await client.get(link)
    assert shown.status_code == 200 and "Release your seat?" in shown.text
    assert await status_of(reg["id"]) == "confirmed"  # opening the link changes nothing (mail scanners open links)
    answers_api = (await client.get(f"/api/events/{ev['id']}/calendar-answers", headers=organizer)).json()
    assert [(a["email"], a["session_id"], a["partstat"], a["released_at"]) for a in answers_api] == [
        (email, None, "DECLINED", None)
    ]
    token = await csrf(client, link)
    confirmed = await client.post(link, data={"_csrf_token": token})
    assert confirmed.status_code == 200 and "Your seat is released" in confirmed.text
    assert await status_of(reg["id"]) == "cancelled"
    assert (await client.get(link)).status_code == 404  # used up
    replies = (await client.get(f"/api/events/{ev['id']}/calendar-replies", headers=organizer)).json()
    assert [(r["attendee"], r["outcome"]) for r in replies] == [(email, "accepted")] * 6


@pytest.mark.worker
async def test_registration_accept_and_tentative_are_recorded_and_a_decline_can_release_at_once(
    client, organizer, inbound, celery_worker, maildir
):
    port, _ = inbound
    email, other = "li.accept@chengdu.example", "forger@elsewhere.example"
    setup = await _registered(client, organizer, email, title="Forum on Water")
    ev, reg = setup["event"], setup["registration"]
    [invite] = wait_for_mail(maildir, email, 1)
    address = organizer_of(invite)
    # Gmail's capture (Tentative), then Accept; a forger without the token changes nothing
    send(port, gmail_reply(ev["calendar_uid"], address, email), address)
    send(port, thunderbird_reply(ev["calendar_uid"], address, email), address)
    send(
        port,
        thunderbird_reply(ev["calendar_uid"], "forum@example.org", email).replace(
            b"PARTSTAT=ACCEPTED", b"PARTSTAT=DECLINED"
        ),
        "forum@example.org",
        other,
    )
    rows = await inbound_rows(3)
    assert [(r["partstat"], r["outcome"], r["reason_code"]) for r in rows] == [
        ("TENTATIVE", "accepted", ""),
        ("ACCEPTED", "accepted", ""),
        ("DECLINED", "rejected", "no-token"),
    ]
    listed = (await client.get(f"/api/events/{ev['id']}/calendar-answers", headers=organizer)).json()
    assert [(a["email"], a["partstat"]) for a in listed] == [(email, "ACCEPTED")]
    # Google's "propose a new time" for a congress: refused with its reason, the answer stays
    send(port, google_counter(ev["calendar_uid"], address, email, "20270302T150000Z", "20270302T163000Z"), address)
    rows = await inbound_rows(4)
    assert (rows[3]["outcome"], rows[3]["reason_code"]) == ("rejected", "partstat")
    assert "proposals and delegations are for meeting series" in rows[3]["reason"]
    await page_login(client)
    page = await client.get(f"/organizer/events/{ev['id']}/registrations")
    assert page.status_code == 200, page.text
    assert "Calendar answers" in page.text and f"{email}&gt;</td><td></td>" in page.text.replace("\n", "")
    # the organizer chooses that a decline releases the seat at once
    policy = await client.put(
        f"/api/events/{ev['id']}/decline-policy", headers=organizer, json={"decline_releases_seat": True}
    )
    assert policy.json() == {"decline_releases_seat": True}
    send(
        port,
        thunderbird_reply(ev["calendar_uid"], address, email).replace(b"PARTSTAT=ACCEPTED", b"PARTSTAT=DECLINED"),
        address,
    )
    rows = await inbound_rows(5)
    assert "the seat was released" in rows[4]["reason"], rows[4]
    assert await status_of(reg["id"]) == "cancelled"


async def booked_workshop(client, organizer, ev: dict, registration_id: int, title: str) -> tuple[dict, str]:
    """A workshop (booking needed, 20 places) two hours into the event, booked by the registration: (the session,
    its calendar UID)."""
    starts = await sql.fetchval("SELECT starts_at FROM event WHERE id = $1", ev["id"])
    created = await client.post(
        f"/api/events/{ev['id']}/sessions",
        headers=organizer,
        json={
            "title": title,
            "kind": "workshop",
            "starts_at": (starts + timedelta(hours=2)).isoformat(),
            "ends_at": (starts + timedelta(hours=3)).isoformat(),
            "requires_booking": True,
            "capacity": 20,
        },
    )
    assert created.status_code == 201, created.text
    session = created.json()
    uid = await sql.fetchval("SELECT calendar_uid::text FROM agenda_session WHERE id = $1", session["id"])
    nonce = await sql.fetchval("SELECT token_nonce FROM registration WHERE id = $1", registration_id)
    booked = await client.put(
        f"/api/registrations/{manage_token(get_settings().secret_key, nonce)}/agenda/{session['id']}"
    )
    assert booked.status_code in (200, 201), booked.text
    return session, uid


@pytest.mark.worker
async def test_session_decline_emails_a_link_that_gives_up_only_the_session_place(
    client, organizer, inbound, celery_worker, maildir
):
    port, _ = inbound
    email = "booker.decline@lagos.example"
    setup = await _registered(client, organizer, email, title="Forum on Mobility")
    ev, reg = setup["event"], setup["registration"]
    session, uid = await booked_workshop(client, organizer, ev, reg["id"], "Workshop on bus lanes")
    event_invite = wait_for_mail(maildir, email, 1)[0]
    [session_invite] = mail_where(maildir, email, about(uid), 1)
    address = organizer_of(session_invite)
    assert address == organizer_of(event_invite)  # one reply address per person and event
    send(port, gmail_reply(uid, address, email).replace(b"PARTSTAT=TENTATIVE", b"PARTSTAT=DECLINED"), address)
    [row] = await inbound_rows(1)
    assert (row["outcome"], row["partstat"]) == ("accepted", "DECLINED"), row
    [release_mail] = mail_where(maildir, email, lambda m: m["Subject"].startswith("Release your seat?"), 1)
    assert "Workshop on bus lanes" in release_mail.get_body(("plain",)).get_content()
    link = re.search(r"/release/[A-Za-z0-9_\-]+", release_mail.get_body(("plain",)).get_content()).group(0)
    token = await csrf(client, link)
    assert (await client.post(link, data={"_csrf_token": token})).status_code == 200
    status = await sql.fetchval(
        "SELECT status FROM agenda_booking WHERE session = $1 AND registration = $2", session["id"], reg["id"]
    )
    assert (status, await status_of(reg["id"])) == ("cancelled", "confirmed")
    listed = (await client.get(f"/api/events/{ev['id']}/calendar-answers", headers=organizer)).json()
    assert [(a["session_id"], a["partstat"], a["released_at"] is not None) for a in listed] == [
        (session["id"], "DECLINED", True)
    ]


async def test_counter_for_the_whole_series_accepted_moves_the_series(client, organizer, pilot, inbound):
    port, _ = inbound
    series, project_id = pilot["series"], pilot["project"]["id"]
    address = await address_of(series["id"], WEI)
    # Outlook's COUNTER: the proposed times in DTSTART/DTEND, the original ones in X-MS-OLK-ORIGINALSTART/END
    ics = outlook_ics(
        series["calendar_uid"],
        address,
        WEI,
        "TENTATIVE",
        stamp(datetime.now(timezone.utc)),
        method="COUNTER",
        start="DTSTART;TZID=W. Europe Standard Time:20270202T160000",
        end="DTEND;TZID=W. Europe Standard Time:20270202T170000",
        extra="X-MS-OLK-ORIGINALSTART;TZID=W. Europe Standard Time:20270202T140000\r\n"
        "X-MS-OLK-ORIGINALEND;TZID=W. Europe Standard Time:20270202T153000\r\n",
    )
    send(port, outlook_mail(ics, address, WEI, method="COUNTER"), address)
    [row] = await inbound_rows(1)
    assert (row["outcome"], row["recurrence_id"]) == ("accepted", None), row
    [proposal] = (await client.get(f"/api/projects/{project_id}/proposals", headers=organizer)).json()
    assert (proposal["recurrence_id"], proposal["proposed_start"], proposal["proposed_end"]) == (
        None,
        "2027-02-02T15:00:00Z",
        "2027-02-02T16:00:00Z",
    )
    decided = await client.post(
        f"/api/projects/{project_id}/proposals/{proposal['id']}", headers=organizer, json={"accept": True}
    )
    assert decided.status_code == 200, decided.text
    moved = (await client.get(f"/api/meeting-series/{series['id']}", headers=organizer)).json()
    assert (moved["start"][:16], moved["duration_minutes"], moved["calendar_sequence"]) == ("2027-02-02T16:00", 60, 1)
