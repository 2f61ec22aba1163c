"""Inbound iMIP replies as more calendar clients write them, fed straight to meeting_rsvp.receive_reply.

Series (tests.integration.web.test_meetings_api.SERIES): monthly first Tuesday 14:00 Europe/Berlin, 90 min, from
2027-02-02: occurrences 2027-02-02T13:00Z, 2027-03-02T13:00Z, 2027-04-06T12:00Z, ...
"""

from __future__ import annotations

import base64
import quopri

import pytest

from events_app.db import sql
from events_app.services.meetings import meeting_rsvp
from tests.e2e.test_calendar_answers import OUTLOOK_ZONE, _registered, occurrence_answers
from tests.e2e.test_calendar_answers_clients import address_for_registration
from tests.integration.web.test_meetings_api import create_series
from tests.security.test_replies import AMARA, WEI, address_of, answers, own_project

COLLEAGUE = "colleague.adeyemi@lagos.example"  # never invited: got AMARA's invite forwarded


async def rows() -> list[dict]:
    return [dict(r) for r in await sql.fetch("SELECT * FROM meeting_inbound_reply ORDER BY id")]


def vcal(
    uid: str,
    organizer: str,
    body: str,
    *,
    method: str = "REPLY",
    prodid: str = "-//Probe//EN",
    zones: str = "",
    eol: str = "\r\n",
) -> str:
    text = (
        "BEGIN:VCALENDAR\r\n"
        f"PRODID:{prodid}\r\nVERSION:2.0\r\n"
        + (f"METHOD:{method}\r\n" if method else "")
        + zones
        + f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T090000Z\r\nSEQUENCE:0\r\n"
        f"ORGANIZER;CN=Air Quality Pilot Team:mailto:{organizer}\r\n{body}"
        "SUMMARY:Clean Air Pilot: monthly call\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return text.replace("\r\n", eol)


def plain(ics: str, to: str, sender: str, *, method: str = "REPLY", charset: str = "utf-8") -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\nSubject: Accepted: Clean Air\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/calendar; charset={charset}; method={method}\r\n\r\n"
    ).encode() + ics.encode(charset)


@pytest.fixture
async def pilot(client, organizer) -> dict:
    project = await own_project(client, organizer)
    series = await create_series(client, organizer, project["id"])
    return {"project": project, "series": series}


# ============================================================================ answers that must not be lost or mixed


async def test_a_colleagues_decline_of_a_forwarded_series_invite_is_not_the_invitees(pilot):
    """Outlook: AMARA forwarded the meeting to a colleague; the colleague's Outlook sends its Decline to the
    ORGANIZER (AMARA's token address) with ATTENDEE = the colleague. The colleague was never invited."""
    series = pilot["series"]
    address = await address_of(series["id"], AMARA)
    ics = vcal(series["calendar_uid"], address, f'ATTENDEE;PARTSTAT=ACCEPTED;CN="Okafor, Amara":mailto:{AMARA}\r\n')
    await meeting_rsvp.receive_reply(plain(ics, address, AMARA), AMARA, [address])
    assert await answers() == {f"{AMARA} {series['title']}": "ACCEPTED"}
    ics = vcal(
        series["calendar_uid"], address, f'ATTENDEE;PARTSTAT=DECLINED;CN="Adeyemi, Tunde":mailto:{COLLEAGUE}\r\n'
    )
    await meeting_rsvp.receive_reply(plain(ics, address, COLLEAGUE), COLLEAGUE, [address])
    # AMARA still comes: someone else's Decline must not become hers
    assert await answers() == {f"{AMARA} {series['title']}": "ACCEPTED"}, await rows()


async def test_a_colleagues_decline_of_a_forwarded_event_invite_releases_no_seat(client, organizer):
    """Same for an event invite, with the organizer's 'a decline releases the seat' setting."""
    email = "seat.holder@lagos.example"
    setup = await _registered(client, organizer, email, title="Forum on Forwarded Invites")
    ev, reg = setup["event"], setup["registration"]
    r = await client.put(
        f"/api/events/{ev['id']}/decline-policy", headers=organizer, json={"decline_releases_seat": True}
    )
    assert r.status_code == 200, r.text
    address = await address_for_registration(ev["id"], email)
    ics = vcal(ev["calendar_uid"], address, f"ATTENDEE;PARTSTAT=DECLINED;CN=Colleague:mailto:{COLLEAGUE}\r\n")
    await meeting_rsvp.receive_reply(plain(ics, address, COLLEAGUE), COLLEAGUE, [address])
    status = await sql.fetchval("SELECT status FROM registration WHERE id = $1", reg["id"])
    assert status not in ("cancelled", "canceled"), (status, await rows())


async def test_an_invitee_cannot_set_another_invitees_answer_as_their_delegate(client, organizer, pilot):
    """WEI, with his own reply address, writes ATTENDEE=AMARA;DELEGATED-FROM=WEI: AMARA's answer must not change."""
    series, project = pilot["series"], pilot["project"]
    r = await client.put(
        f"/api/projects/{project['id']}/delegation-policy", headers=organizer, json={"allow_delegation": True}
    )
    assert r.status_code == 200
    amara = await address_of(series["id"], AMARA)
    ics = vcal(series["calendar_uid"], amara, f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{AMARA}\r\n")
    await meeting_rsvp.receive_reply(plain(ics, amara, AMARA), AMARA, [amara])
    wei = await address_of(series["id"], WEI)
    forged = vcal(
        series["calendar_uid"], wei, f'ATTENDEE;PARTSTAT=DECLINED;DELEGATED-FROM="mailto:{WEI}":mailto:{AMARA}\r\n'
    )
    await meeting_rsvp.receive_reply(plain(forged, wei, WEI), WEI, [wei])
    assert (await answers()).get(f"{AMARA} {series['title']}") == "ACCEPTED", (await answers(), await rows())


async def test_a_decline_of_this_and_future_meetings_holds_for_every_later_one(pilot):
    """Lotus Notes / Zimbra style: decline this and all following meetings (RANGE=THISANDFUTURE)."""
    series = pilot["series"]
    address = await address_of(series["id"], AMARA)
    ics = vcal(
        series["calendar_uid"],
        address,
        "RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20270302T140000\r\n"
        f"ATTENDEE;PARTSTAT=DECLINED:mailto:{AMARA}\r\n",
    )
    await meeting_rsvp.receive_reply(plain(ics, address, AMARA), AMARA, [address])
    got = await occurrence_answers()
    # every meeting from 2 March on is declined (the series is monthly until the end of 2027), none before
    assert got[0] == (AMARA, "20270302T130000Z", "DECLINED") and len(got) == 10, (got, await rows())
    assert {a for _, _, a in got} == {"DECLINED"}


async def test_a_quote_inside_the_name_keeps_the_answer(pilot):
    """A display name with a double quote (nickname) written inside the quoted CN, as Exchange/Notes emit it."""
    series = pilot["series"]
    address = await address_of(series["id"], AMARA)
    ics = vcal(
        series["calendar_uid"], address, f'ATTENDEE;PARTSTAT=ACCEPTED;CN="Amara "Ama" Okafor":mailto:{AMARA}\r\n'
    )
    outcome = await meeting_rsvp.receive_reply(plain(ics, address, AMARA), AMARA, [address])
    assert await answers() == {f"{AMARA} {series['title']}": "ACCEPTED"}, (outcome, await rows())


async def test_the_method_parameter_counts_when_the_attached_copy_comes_first(pilot):
    """METHOD absent from the object; the same object first as invite.ics attachment (no method param), then
    inline as text/calendar; method=REPLY."""
    series = pilot["series"]
    address = await address_of(series["id"], AMARA)
    ics = vcal(series["calendar_uid"], address, f"ATTENDEE;PARTSTAT=TENTATIVE:mailto:{AMARA}\r\n", method="")
    b64 = base64.encodebytes(ics.encode()).decode().replace("\n", "\r\n")
    raw = (
        f"From: {AMARA}\r\nTo: {address}\r\nSubject: Tentative\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="m"\r\n\r\n'
        "--m\r\nContent-Type: application/ics; name=invite.ics\r\n"
        "Content-Disposition: attachment; filename=invite.ics\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + b64
        + "\r\n--m\r\nContent-Type: text/calendar; charset=utf-8; method=REPLY\r\n\r\n"
        + ics
        + "\r\n--m--\r\n"
    ).encode()
    outcome = await meeting_rsvp.receive_reply(raw, AMARA, [address])
    assert await answers() == {f"{AMARA} {series['title']}": "TENTATIVE"}, (outcome, await rows())


async def test_a_proposal_beyond_the_calendar_is_refused_not_raised(pilot):
    series = pilot["series"]
    address = await address_of(series["id"], AMARA)
    ics = vcal(
        series["calendar_uid"],
        address,
        f"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:{AMARA}\r\nDTSTART:99991231T233000Z\r\n",
        method="COUNTER",
    )
    outcome = await meeting_rsvp.receive_reply(plain(ics, address, AMARA, method="COUNTER"), AMARA, [address])
    assert len(await rows()) == 1, outcome


async def test_a_delegation_to_no_address_creates_no_person(client, organizer, pilot):
    series, project = pilot["series"], pilot["project"]
    await client.put(
        f"/api/projects/{project['id']}/delegation-policy", headers=organizer, json={"allow_delegation": True}
    )
    address = await address_of(series["id"], AMARA)
    ics = vcal(
        series["calendar_uid"],
        address,
        f'ATTENDEE;PARTSTAT=DELEGATED;DELEGATED-TO="mailto:Deputy Okafor@lagos":mailto:{AMARA}\r\n',
    )
    await meeting_rsvp.receive_reply(plain(ics, address, AMARA), AMARA, [address])
    junk = await sql.fetchval("SELECT count(*) FROM person WHERE email LIKE '% %' OR email NOT LIKE '%@%.%'")
    queued = await sql.fetch("SELECT recipient FROM outbox_message WHERE recipient LIKE '% %'")
    assert junk == 0 and not queued, (junk, queued, await rows())


async def test_a_refresh_request_is_answered_with_the_current_invite(pilot):
    """RFC 5546 3.2.6 REFRESH (Outlook 'request update', Lightning): the attendee asks for the latest version."""
    series = pilot["series"]
    address = await address_of(series["id"], AMARA)
    before = await sql.fetchval("SELECT count(*) FROM outbox_message WHERE recipient = $1", AMARA)
    ics = vcal(series["calendar_uid"], address, f"ATTENDEE:mailto:{AMARA}\r\n", method="REFRESH")
    await meeting_rsvp.receive_reply(plain(ics, address, AMARA, method="REFRESH"), AMARA, [address])
    after = await sql.fetchval("SELECT count(*) FROM outbox_message WHERE recipient = $1", AMARA)
    assert after > before, await rows()


# ============================================================================ clients' variants


def outlook_mail(
    ics: str, to: str, sender: str, *, cte: str, charset: str = "utf-8", subject: str = "Accepted: Clean Air"
) -> bytes:
    data = ics.encode(charset)
    body = (base64.encodebytes(data) if cte == "base64" else quopri.encodestring(data.replace(b"\r\n", b"\n"))).decode()
    return (
        f'From: "Okafor, Amara" <{sender}>\r\nTo: "Air Quality Pilot Team" <{to}>\r\n'
        f"Subject: {subject}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/alternative; boundary="_000_"\r\n\r\n'
        '--_000_\r\nContent-Type: text/plain; charset="iso-8859-1"\r\nContent-Transfer-Encoding: quoted-printable\r\n'
        "\r\nZugesagt\r\n"
        f'--_000_\r\nContent-Type: text/calendar; charset="{charset}"; method=REPLY\r\n'
        f"Content-Transfer-Encoding: {cte}\r\n\r\n" + body.replace("\n", "\r\n") + "\r\n--_000_--\r\n"
    ).encode("latin-1")


PST_ZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:Pacific Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:16010101T020000\r\n"
    "TZOFFSETFROM:-0700\r\nTZOFFSETTO:-0800\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:-0800\r\nTZOFFSETTO:-0700\r\n"
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
)


async def test_outlook_variants_are_recorded(pilot):
    series = pilot["series"]
    uid, address = series["calendar_uid"], await address_of(series["id"], AMARA)
    # German Outlook, QP windows-1252, W. Europe zone, MAILTO: in caps, occurrence 6 April (DST)
    ics = vcal(
        uid,
        address,
        'ATTENDEE;PARTSTAT=DECLINED;CN="Okafor, Amara (Büro)":MAILTO:Amara.Okafor@LAGOS.example\r\n'
        "RECURRENCE-ID;TZID=W. Europe Standard Time:20270406T140000\r\n"
        "COMMENT;LANGUAGE=de-DE:Leider verhindert – Grüße\r\n",
        prodid="Microsoft Exchange Server 2010",
        zones=OUTLOOK_ZONE,
    )
    await meeting_rsvp.receive_reply(
        outlook_mail(ics, address, AMARA, cte="quoted-printable", charset="windows-1252", subject="Abgelehnt: Clean"),
        AMARA,
        [address],
    )
    # US Outlook in Pacific time answering 2 March (05:00 PST = 13:00Z), base64
    ics = vcal(
        uid,
        address,
        f'ATTENDEE;PARTSTAT=TENTATIVE;CN="Okafor, Amara":mailto:{AMARA}\r\n'
        "RECURRENCE-ID;TZID=Pacific Standard Time:20270302T050000\r\n",
        zones=PST_ZONE,
    )
    await meeting_rsvp.receive_reply(outlook_mail(ics, address, AMARA, cte="base64"), AMARA, [address])
    got = await rows()
    assert [(r["outcome"], r["reason_code"]) for r in got] == [("accepted", "")] * 2, got
    assert sorted(await occurrence_answers()) == [
        (AMARA, "20270302T130000Z", "TENTATIVE"),
        (AMARA, "20270406T120000Z", "DECLINED"),
    ]


async def test_apple_lightning_and_nextcloud_variants_are_recorded(pilot):
    series = pilot["series"]
    uid, address = series["calendar_uid"], await address_of(series["id"], AMARA)
    # Apple: application/ics invite.ics attachment only, urn:uuid ATTENDEE with EMAIL=, X-APPLE props, From iCloud
    ics = vcal(
        uid,
        address,
        f"ATTENDEE;CN=Amara Okafor;CUTYPE=INDIVIDUAL;EMAIL={AMARA};PARTSTAT=ACCEPTED:"
        "urn:uuid:9f1e8d36-3c5e-4f2c-9a47-6a3f7c1d2b11\r\nX-APPLE-NEEDS-REPLY:FALSE\r\n"
        "X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC\r\n",
        prodid="-//Apple Inc.//iPhone 17.0//EN",
    )
    b64 = base64.encodebytes(ics.encode()).decode().replace("\n", "\r\n")
    raw = (
        f"From: Amara <amara.okafor@icloud.com>\r\nTo: {address}\r\nSubject: Invitation: accepted\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="Apple-Mail=_1"\r\n\r\n'
        "--Apple-Mail=_1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nAccepted\r\n"
        '--Apple-Mail=_1\r\nContent-Type: application/ics; name="invite.ics"\r\n'
        'Content-Disposition: attachment; filename="invite.ics"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + b64
        + "\r\n--Apple-Mail=_1--\r\n"
    ).encode()
    await meeting_rsvp.receive_reply(raw, "bounce@icloud.com", [address])
    # SabreDAV/Nextcloud: LF only, long folded CN in iso-8859-1, master + one override in one message
    ics = vcal(
        uid,
        address,
        "ATTENDEE;CN=Amara Okafor-Ngozi-Adaeze Chukwuemeka-Obi (Département de la qualité de l'a\n"
        f" ir);PARTSTAT=TENTATIVE;SCHEDULE-STATUS=2.0:mailto:{AMARA}\n"
        "END:VEVENT\nBEGIN:VEVENT\n"
        f"UID:{uid}\nDTSTAMP:20260101T090000Z\nRECURRENCE-ID:20270302T130000Z\n"
        f"ATTENDEE;PARTSTAT=DECLINED:mailto:{AMARA}\n",
        eol="\n",
        prodid="-//Sabre//Sabre VObject 4.5//EN",
    )
    await meeting_rsvp.receive_reply(plain(ics, address, AMARA, charset="iso-8859-1"), AMARA, [address])
    got = await rows()
    assert [(r["outcome"], r["reason_code"]) for r in got] == [("accepted", "")] * 3, got
    assert await answers() == {f"{AMARA} {series['title']}": "TENTATIVE"}
    assert await occurrence_answers() == [(AMARA, None, "TENTATIVE"), (AMARA, "20270302T130000Z", "DECLINED")]


async def test_an_assistant_answers_for_the_invitee_and_forgeries_change_nothing(pilot):
    series = pilot["series"]
    uid, address = series["calendar_uid"], await address_of(series["id"], AMARA)
    # Exchange delegate access: the assistant answers for AMARA (From the assistant, SENT-BY)
    ics = vcal(uid, address, f'ATTENDEE;PARTSTAT=ACCEPTED;SENT-BY="mailto:pa@lagos.example":mailto:{AMARA}\r\n')
    await meeting_rsvp.receive_reply(plain(ics, address, "pa@lagos.example"), "pa@lagos.example", [address])
    assert await answers() == {f"{AMARA} {series['title']}": "ACCEPTED"}
    # forgeries: never-invited sender with no token / to the plain mailbox / with a made-up token
    fake = address.split("+")[0] + "+r" + "a" * 26 + "@example.org"
    for to in ("airquality@example.org", fake):
        ics = vcal(uid, to, f"ATTENDEE;PARTSTAT=DECLINED:mailto:{AMARA}\r\n")
        await meeting_rsvp.receive_reply(plain(ics, to, "mallory@evil.example"), "mallory@evil.example", [to])
    got = await rows()
    assert [r["reason_code"] for r in got[1:]] == ["no-token", "bad-token"], got
    assert await answers() == {f"{AMARA} {series['title']}": "ACCEPTED"}


async def test_an_unreadable_dtstart_or_dtstamp_does_not_lose_the_answer(pilot):
    """Microsoft 365 writes TZID=tzone://Microsoft/Utc unquoted (a colon in the parameter); small generators write
    DTSTAMP in ISO form. Neither property matters for an Accept of the whole series: the answer must count."""
    series = pilot["series"]
    uid, address = series["calendar_uid"], await address_of(series["id"], AMARA)
    for broken in (
        "DTSTART;TZID=tzone://Microsoft/Utc:20270202T130000\r\n",
        "DTSTART:20270202T130000Z\r\nDTEND;TZID=tzone://Microsoft/Utc:20270202T143000\r\n",
    ):
        ics = vcal(
            uid,
            address,
            f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{AMARA}\r\n{broken}",
            prodid="Microsoft Exchange Server 2010",
        )
        await meeting_rsvp.receive_reply(plain(ics, address, AMARA), AMARA, [address])
    ics = vcal(uid, address, f"ATTENDEE;PARTSTAT=TENTATIVE:mailto:{AMARA}\r\n").replace(
        "DTSTAMP:20260101T090000Z", "DTSTAMP:2026-01-01T09:00:00Z"
    )
    await meeting_rsvp.receive_reply(plain(ics, address, AMARA), AMARA, [address])
    got = await rows()
    assert [(r["outcome"], r["reason_code"]) for r in got] == [("accepted", "")] * 3, [
        (r["outcome"], r["reason_code"], r["reason"]) for r in got
    ]
