"""Replies as other calendar clients write them, through the real inbound SMTP endpoint (python -m workers.inbound).

Small synthetic messages, each reproducing one habit of a client: the reply copies every ATTENDEE of the invite
(Lotus Notes, Yahoo, some Exchange versions), the UID in capitals or as a urn:uuid: URI, an empty calendar part
before the real invite.ics, METHOD only in the MIME part's parameter, a custom zone (Outlook for Mac, Exchange's
"Customized Time Zone") defined differently by two senders, an Outlook TNEF winmail.dat, and late answers to a
cancelled meeting or session.
"""

from __future__ import annotations

import base64

from events_app.db import sql
from events_app.settings import get_settings
from tests.e2e.test_calendar_answers import _registered, booked_workshop, occurrence_answers
from tests.e2e.test_meeting_invites import inbound  # noqa: F401 - a fixture
from tests.integration.web.test_meetings_api import create_series
from tests.security.test_replies import AMARA, WEI, address_of, answers, inbound_rows, own_project, send


def vcalendar(
    uid: str, organizer: str, attendees: str, *, method: str = "REPLY", extra: str = "", zones: str = ""
) -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Probe//Client//EN\r\n"
        + (f"METHOD:{method}\r\n" if method else "")
        + zones
        + f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20270101T090000Z\r\nSEQUENCE:0\r\n"
        f"ORGANIZER:mailto:{organizer}\r\n{attendees}{extra}SUMMARY:Call\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def single(ics: str, to: str, sender: str, method: str = "REPLY") -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: Reply\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/calendar; charset=utf-8; method={method}\r\n\r\n{ics}"
    ).encode()


def zone(name: str, offset: str) -> str:
    return (
        f"BEGIN:VTIMEZONE\r\nTZID:{name}\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\nTZOFFSETFROM:{offset}\r\n"
        f"TZOFFSETTO:{offset}\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )


async def test_a_reply_copying_every_attendee_counts_only_for_the_invitation_it_was_sent_for(
    client, organizer, inbound
):
    port, _ = inbound
    project = await own_project(client, organizer)
    series = await create_series(client, organizer, project["id"])
    address = await address_of(series["id"], AMARA)
    attendees = (
        f"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:{WEI}\r\n"
        f"ATTENDEE;PARTSTAT=accepted;CN=Amara:mailto:{AMARA}\r\n"
        "ATTENDEE;PARTSTAT=DECLINED:mailto:someone@elsewhere.example\r\n"
    )
    send(port, single(vcalendar(series["calendar_uid"], address, attendees), address, AMARA), address)
    [row] = await inbound_rows(1)
    assert (row["outcome"], row["attendee"], row["partstat"]) == ("accepted", AMARA, "ACCEPTED"), row
    assert await answers() == {f"{AMARA} {series['title']}": "ACCEPTED"}  # WEI's NEEDS-ACTION is not an answer
    # sent with AMARA's token but the only ATTENDEE named by the sender is WEI: never an answer for WEI
    forged = f"ATTENDEE;PARTSTAT=DECLINED:mailto:{WEI}\r\nATTENDEE;PARTSTAT=DECLINED:mailto:x@elsewhere.example\r\n"
    send(port, single(vcalendar(series["calendar_uid"], address, forged), address, WEI), address)
    rows = await inbound_rows(2)
    assert (rows[1]["outcome"], rows[1]["reason_code"]) == ("rejected", "other-invitee"), rows[1]
    assert await answers() == {f"{AMARA} {series['title']}": "ACCEPTED"}


async def test_custom_zones_of_two_senders_are_each_read_by_their_own_definition(client, organizer, inbound):
    port, _ = inbound
    project = await own_project(client, organizer)
    series = await create_series(client, organizer, project["id"])
    uid = series["calendar_uid"]
    amara, wei = await address_of(series["id"], AMARA), await address_of(series["id"], WEI)
    # both name the meeting of 2 March 13:00 UTC, one in a -05:00 zone, one in a +01:00 zone of the same name
    for address, who, offset, wall in ((amara, AMARA, "-0500", "080000"), (wei, WEI, "+0100", "140000")):
        ics = vcalendar(
            uid,
            address,
            f"ATTENDEE;PARTSTAT=DECLINED:mailto:{who}\r\n",
            extra=f'RECURRENCE-ID;TZID="Customized Time Zone":20270302T{wall}\r\n',
            zones=zone("Customized Time Zone", offset),
        )
        send(port, single(ics, address, who), address)
    rows = await inbound_rows(2)
    assert [(r["outcome"], r["reason_code"]) for r in rows] == [("accepted", "")] * 2, rows
    assert sorted(await occurrence_answers()) == [
        (AMARA, "20270302T130000Z", "DECLINED"),
        (WEI, "20270302T130000Z", "DECLINED"),
    ]


async def test_calendar_part_quirks_uid_forms_method_parameter_and_tnef(client, organizer, inbound):
    port, log = inbound
    project = await own_project(client, organizer)
    series = await create_series(client, organizer, project["id"])
    uid = series["calendar_uid"]
    address = await address_of(series["id"], AMARA)
    one = f"ATTENDEE;PARTSTAT={{}}:mailto:{AMARA}\r\n"
    # 1. an empty text/calendar part, then the reply as a base64 invite.ics attachment
    attached = base64.encodebytes(vcalendar(uid, address, one.format("TENTATIVE")).encode()).decode()
    send(
        port,
        (
            f"From: {AMARA}\r\nTo: {address}\r\nSubject: Tentative\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\nContent-Type: text/calendar; method=REPLY\r\n'
            "\r\n\r\n--m\r\nContent-Type: application/ics; name=invite.ics\r\n"
            "Content-Disposition: attachment; filename=invite.ics\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + attached.replace("\n", "\r\n")
            + "--m--\r\n"
        ).encode(),
        address,
    )
    # 2. the UID in capitals; 3. METHOD only in the MIME part's parameter
    send(port, single(vcalendar(uid.upper(), address, one.format("DECLINED")), address, AMARA), address)
    send(port, single(vcalendar(uid, address, one.format("ACCEPTED"), method=""), address, AMARA), address)
    # 4. a urn:uuid: UID that is none of ours: a rejection, never a database error (451 and endless retries)
    other = "urn:uuid:6f1c1b1e-8d0a-4a43-9a55-0c6a4b1f0e11"
    send(port, single(vcalendar(other, address, one.format("ACCEPTED")), address, AMARA), address)
    # 5. Outlook's TNEF only
    send(
        port,
        (
            f"From: {AMARA}\r\nTo: {address}\r\nSubject: Accepted\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="t"\r\n\r\n--t\r\nContent-Type: text/plain\r\n\r\nAccepted\r\n'
            '--t\r\nContent-Type: application/ms-tnef; name="winmail.dat"\r\nContent-Transfer-Encoding: base64\r\n'
            "\r\neJ8+IhAAAQaQCAAEAAAAAAABAAEAAQeQBgAIAAAA5AQAAAAAAADoAAEI\r\n--t--\r\n"
        ).encode(),
        address,
    )
    # 6. an ActiveSync client's UID: our UUID's hex digits in capitals, padded with zeros
    padded = uid.replace("-", "").upper() + "0" * 32
    send(port, single(vcalendar(padded, address, one.format("ACCEPTED")), address, AMARA), address)
    rows = await inbound_rows(6)
    assert [(r["outcome"], r["reason_code"], r["partstat"]) for r in rows] == [
        ("accepted", "", "TENTATIVE"),
        ("accepted", "", "DECLINED"),
        ("accepted", "", "ACCEPTED"),
        ("rejected", "unknown-uid", "ACCEPTED"),
        ("rejected", "no-calendar", ""),
        ("accepted", "", "ACCEPTED"),
    ], rows
    assert "TNEF" in rows[4]["reason"]
    assert await answers() == {f"{AMARA} {series['title']}": "ACCEPTED"}
    assert "TNEF" in log.read_text()


async def test_late_answer_to_a_cancelled_meeting_of_a_series_is_not_recorded(client, organizer, inbound):
    port, _ = inbound
    project = await own_project(client, organizer)
    series = await create_series(client, organizer, project["id"])
    cancelled = await client.delete(
        f"/api/meeting-series/{series['id']}/occurrences/20270302T130000Z", headers=organizer
    )
    assert cancelled.status_code in (200, 204), cancelled.text
    address = await address_of(series["id"], AMARA)
    ics = vcalendar(
        series["calendar_uid"],
        address,
        f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{AMARA}\r\n",
        extra="RECURRENCE-ID:20270302T130000Z\r\n",
    )
    send(port, single(ics, address, AMARA), address)
    [row] = await inbound_rows(1)
    assert (row["outcome"], row["reason_code"]) == ("rejected", "cancelled"), row
    assert await occurrence_answers() == []


async def test_late_decline_of_a_cancelled_session_releases_nothing_and_is_not_recorded(client, organizer, inbound):
    port, _ = inbound
    email = "late.decline@lagos.example"
    setup = await _registered(client, organizer, email, title="Forum on Late Replies")
    ev = setup["event"]
    session, uid = await booked_workshop(client, organizer, ev, setup["registration"]["id"], "Workshop on late replies")
    address = await address_for_registration(ev["id"], email)
    cancel = await client.post(f"/api/events/{ev['id']}/sessions/{session['id']}/cancel", headers=organizer)
    assert cancel.status_code == 200, cancel.text
    ics = vcalendar(uid, address, f"ATTENDEE;PARTSTAT=DECLINED:mailto:{email}\r\n")
    send(port, single(ics, address, email), address)
    # the event's own invite, its UID in capitals: recorded
    event_ics = vcalendar(ev["calendar_uid"].upper(), address, f"ATTENDEE;PARTSTAT=TENTATIVE:mailto:{email}\r\n")
    send(port, single(event_ics, address, email), address)
    rows = await inbound_rows(2)
    assert [(r["outcome"], r["reason_code"]) for r in rows] == [("rejected", "cancelled"), ("accepted", "")], rows
    listed = (await client.get(f"/api/events/{ev['id']}/calendar-answers", headers=organizer)).json()
    assert [(a["session_id"], a["partstat"]) for a in listed] == [(None, "TENTATIVE")]
    assert not await sql.fetchval("SELECT count(*) FROM outbox_message WHERE kind = 'calendar_decline_release'")


async def address_for_registration(event_id: int, email: str) -> str:
    """The person's ORGANIZER address for the event's invites (made the way the invites make it)."""
    from events_app.services.registration import calendar_answers

    event = dict(await sql.fetchrow("SELECT id, organizer_email FROM event WHERE id = $1", event_id))
    person = await sql.fetchval("SELECT id FROM person WHERE email = $1", email)
    return await calendar_answers.reply_address_for(event, person, get_settings())


async def test_a_nul_in_a_header_or_the_calendar_is_a_recorded_message_not_a_retry(client, organizer, inbound):
    port, _ = inbound
    project = await own_project(client, organizer)
    series = await create_series(client, organizer, project["id"])
    address = await address_of(series["id"], AMARA)
    # an iOS-style proposal (other times and a COMMENT) whose COMMENT and sender name carry a NUL
    ics = vcalendar(
        series["calendar_uid"],
        address,
        f"ATTENDEE;PARTSTAT=TENTATIVE:mailto:{AMARA}\r\n",
        extra="RECURRENCE-ID:20270302T130000Z\r\nDTSTART:20270302T150000Z\r\nDTEND:20270302T163000Z\r\n"
        "COMMENT:Later\x00 please\r\n",
    )
    send(port, single(ics, address, f"Amara\x00 <{AMARA}>"), address)
    [row] = await inbound_rows(1)
    assert (row["outcome"], row["partstat"], row["sender"]) == ("accepted", "TENTATIVE", AMARA), row
    [proposal] = (await client.get(f"/api/projects/{project['id']}/proposals", headers=organizer)).json()
    assert proposal["comment"] == "Later please"
