"""End to end with real processes: a Celery worker sends the meeting series' iMIP messages through SMTP, and the
inbound SMTP endpoint (python -m workers.inbound) records REPLYs as Outlook or Gmail send them.

Every invite, override and cancellation is read back from the Maildir, parsed with icalendar and vobject, and
checked by the shared validator (updates and cancellations against the first invite with --previous).
"""

import os
import re
import smtplib
import subprocess
import sys
import time
from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import vobject

from events_app.db import sql
from tests.fixtures import ROOT, calendar_part, free_port, read_mail, stop, validate_ics, wait_for_mail, wait_for_port
from tests.integration.web.test_meetings_api import create_series, project_with_cohort

SEOUL = "jiwon.park@seoul.example"


def new_mail(maildir, recipient: str, seen: int, count: int) -> list:
    """The `count` newest messages after the `seen` already there (the sink is shared by the session's tests)."""
    return wait_for_mail(maildir, recipient, seen + count)[seen : seen + count]


def save(message, path):
    path.write_bytes(message.path.read_bytes())
    return path


def local_starts(ics: bytes, tzid: str) -> list[str]:
    cal = icalendar.Calendar.from_ical(ics)
    events = recurring_ical_events.of(cal).between(datetime(2027, 1, 1), datetime(2028, 1, 1))
    return [
        e["DTSTART"].dt.astimezone(ZoneInfo(tzid)).strftime("%m-%d %H:%M")
        for e in sorted(events, key=lambda e: e["DTSTART"].dt)
    ]


@pytest.mark.worker
async def test_series_invite_override_and_cancel_reach_every_calendar(
    client, organizer, celery_worker, maildir, tmp_path
):
    seen, seen_ana = len(read_mail(maildir, SEOUL)), len(read_mail(maildir, "ana.souza@curitiba.example"))
    project = await project_with_cohort(client, organizer)
    series = await create_series(client, organizer, project["id"])
    [invite] = new_mail(maildir, SEOUL, seen, 1)
    ics = calendar_part(invite)
    cal = icalendar.Calendar.from_ical(ics)
    [master] = cal.walk("VEVENT")
    assert (str(cal["METHOD"]), str(master["UID"]), int(master["SEQUENCE"])) == ("REQUEST", series["calendar_uid"], 0)
    assert master["RRULE"].to_ical() == b"FREQ=MONTHLY;UNTIL=20271231T225959Z;BYDAY=1TU"
    assert master["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert [str(a) for a in [master["ATTENDEE"]]] == [f"mailto:{SEOUL}"]
    parsed = vobject.readOne(ics.decode())
    assert (parsed.vevent.uid.value, parsed.vevent.rrule.value) == (
        series["calendar_uid"],
        "FREQ=MONTHLY;UNTIL=20271231T225959Z;BYDAY=1TU",
    )
    assert local_starts(ics, "Asia/Seoul")[:3] == ["02-02 22:00", "03-02 22:00", "04-06 21:00"]
    assert local_starts(ics, "America/Sao_Paulo")[2:4] == ["04-06 09:00", "05-04 09:00"]
    assert local_starts(ics, "Africa/Johannesburg")[-1] == "12-07 15:00"
    # ORGANIZER and From: the project's mailbox plus this recipient's reply token (replies prove their origin)
    assert re.fullmatch(r"Clean Air Pilot Team <cleanair\+r[a-z2-7]{26}@example\.org>", str(invite["From"]))
    assert str(master["ORGANIZER"]) == f"mailto:{invite['From'].addresses[0].addr_spec}"
    assert "/rsvp/" in invite.get_body(("plain",)).get_content()
    [spanish] = new_mail(maildir, "ana.souza@curitiba.example", seen_ana, 1)
    assert spanish["Subject"] == f"Invitación: {series['title']}"

    base = f"/api/meeting-series/{series['id']}/occurrences"
    await client.patch(f"{base}/20270302T130000Z", headers=organizer, json={"starts_at": "2027-03-03T10:00:00"})
    moved = new_mail(maildir, SEOUL, seen, 2)[1]
    [override] = icalendar.Calendar.from_ical(calendar_part(moved)).walk("VEVENT")
    assert (override["RECURRENCE-ID"].dt, override["DTSTART"].dt, int(override["SEQUENCE"])) == (
        datetime(2027, 3, 2, 14, tzinfo=ZoneInfo("Europe/Berlin")),
        datetime(2027, 3, 3, 10, tzinfo=ZoneInfo("Europe/Berlin")),
        1,
    )
    await client.delete(f"{base}/20270406T120000Z", headers=organizer)
    cancelled = new_mail(maildir, SEOUL, seen, 3)[2]
    cancel_cal = icalendar.Calendar.from_ical(calendar_part(cancelled))
    [one] = cancel_cal.walk("VEVENT")
    assert (
        str(cancel_cal["METHOD"]),
        one["RECURRENCE-ID"].dt.astimezone(ZoneInfo("UTC")).strftime("%m-%d %H:%M"),
        int(one["SEQUENCE"]),
        str(one["STATUS"]),
    ) == ("CANCEL", "04-06 12:00", 2, "CANCELLED")
    await client.patch(
        f"/api/meeting-series/{series['id']}",
        headers=organizer,
        json={"online_url": "https://meet.example.org/clean-air-2"},
    )
    updated = new_mail(maildir, SEOUL, seen, 4)[3]
    update_ics = calendar_part(updated)
    components = icalendar.Calendar.from_ical(update_ics).walk("VEVENT")
    assert [int(c["SEQUENCE"]) for c in components] == [3, 3]  # master (with EXDATE) and the moved occurrence
    assert local_starts(update_ics, "Asia/Seoul")[:4] == ["02-02 22:00", "03-03 18:00", "05-04 21:00", "06-01 21:00"]
    first = save(invite, tmp_path / "invite.eml")
    validate_ics(first)
    validate_ics(save(moved, tmp_path / "moved.eml"), previous=first)
    validate_ics(save(cancelled, tmp_path / "cancelled.eml"), previous=first)
    validate_ics(save(updated, tmp_path / "updated.eml"), previous=first)


@pytest.mark.worker
async def test_joiner_receives_remaining_series_and_leaver_a_cancel(
    client, organizer, celery_worker, maildir, tmp_path
):
    seen, seen_sato = len(read_mail(maildir, SEOUL)), len(read_mail(maildir, "sato@kyoto.example"))
    project = await project_with_cohort(client, organizer)
    series = await create_series(
        client, organizer, project["id"], start="2026-09-01T14:00:00", rrule="FREQ=MONTHLY;BYDAY=1TU;COUNT=12"
    )
    kyoto = await sql.fetchval(
        "INSERT INTO organization (name, kind, country, membership_status, created_at)"
        " VALUES ('Kyoto City', 'city', 'JP', 'active', now()) RETURNING id"
    )
    await client.post(
        f"/api/projects/{project['id']}/members",
        headers=organizer,
        json={"organization_id": kyoto, "contacts": [{"email": "sato@kyoto.example", "name": "Sato Haruto"}]},
    )
    [joined] = new_mail(maildir, "sato@kyoto.example", seen_sato, 1)
    [master] = icalendar.Calendar.from_ical(calendar_part(joined)).walk("VEVENT")
    now = datetime.now(ZoneInfo("Europe/Berlin"))
    assert master["DTSTART"].dt > now  # only what is still ahead
    assert str(master["UID"]) == series["calendar_uid"]
    assert master["RRULE"].to_ical() == b"FREQ=MONTHLY;UNTIL=20270803T120000Z;BYDAY=1TU"
    validate_ics(save(joined, tmp_path / "joined.eml"))
    person = await sql.fetchval("SELECT id FROM person WHERE email = $1", SEOUL)
    [invite] = new_mail(maildir, SEOUL, seen, 1)
    await client.delete(f"/api/projects/{project['id']}/contacts/{person}", headers=organizer)
    removed = new_mail(maildir, SEOUL, seen, 2)[1]
    cancel_cal = icalendar.Calendar.from_ical(calendar_part(removed))
    assert (str(cancel_cal["METHOD"]), int(cancel_cal.walk("VEVENT")[0]["SEQUENCE"])) == ("CANCEL", 1)
    validate_ics(save(removed, tmp_path / "removed.eml"), previous=save(invite, tmp_path / "invite.eml"))


# --------------------------------------------------------------------------- inbound REPLY


@pytest.fixture
def inbound(db, tmp_path):
    port = free_port()
    log = tmp_path / "inbound.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "workers.inbound"],
        cwd=ROOT,
        env={**os.environ, "INBOUND_SMTP_PORT": str(port)},
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
    )
    wait_for_port(port, proc)
    yield port, log
    stop(proc)


def reply(
    uid: str,
    attendee: str,
    partstat: str,
    recurrence_id: str | None = None,
    sender: str | None = None,
    organizer: str = "cleanair@example.org",
) -> EmailMessage:
    """A REPLY as Gmail and Outlook send it when the attendee presses Accept."""
    rid = f"RECURRENCE-ID;TZID=Europe/Berlin:{recurrence_id}\r\n" if recurrence_id else ""
    body = (
        "BEGIN:VCALENDAR\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\nVERSION:2.0\r\n"
        "CALSCALE:GREGORIAN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"
        "DTSTART;TZID=Europe/Berlin:20270302T140000\r\nDTEND;TZID=Europe/Berlin:20270302T153000\r\n"
        f"DTSTAMP:20270101T090000Z\r\nORGANIZER;CN=Clean Air Pilot Team:mailto:{organizer}\r\nUID:{uid}\r\n"
        f"{rid}ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT={partstat};CN=Park Ji-won;X-NUM-GUESTS=0:"
        f"mailto:{attendee}\r\nSEQUENCE:0\r\nSTATUS:CONFIRMED\r\nSUMMARY:Clean Air Pilot: monthly call\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    message = EmailMessage()
    message["From"] = sender or attendee
    message["To"] = organizer
    message["Subject"] = f"{'Accepted' if partstat == 'ACCEPTED' else 'Declined'}: Clean Air Pilot: monthly call"
    message.set_content(f"Park Ji-won has {partstat.lower()} this invitation.")
    message.add_alternative(body, subtype="calendar", params={"method": "REPLY"})
    message.add_attachment(body.encode(), maintype="application", subtype="ics", filename="invite.ics")
    return message


def send(port: int, message: EmailMessage) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(message)


async def wait_for_inbound(count: int) -> list[dict]:
    import asyncio

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        rows = [dict(r) for r in await sql.fetch("SELECT * FROM meeting_inbound_reply ORDER BY id")]
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.1)
    raise AssertionError(f"{count} inbound replies expected")


async def reply_address_of(series_id: int, email: str) -> str:
    """The personal ORGANIZER address of this invitee's invites (where their calendar sends its REPLY)."""
    from events_app.domain.replies import reply_address, reply_token
    from events_app.settings import get_settings

    nonce = await sql.fetchval(
        "SELECT i.reply_nonce FROM meeting_invitee i JOIN person p ON p.id = i.person"
        " WHERE i.series = $1 AND p.email = $2",
        series_id,
        email,
    )
    return reply_address("cleanair@example.org", reply_token(get_settings().secret_key, nonce))


async def test_inbound_reply_records_partstat_and_rejects_strangers(client, organizer, inbound):
    port, log = inbound
    project = await project_with_cohort(client, organizer)
    series = await create_series(client, organizer, project["id"])
    uid = series["calendar_uid"]
    personal = await reply_address_of(series["id"], SEOUL)
    send(port, reply(uid, SEOUL, "ACCEPTED", organizer=personal))
    send(port, reply(uid, SEOUL, "DECLINED", recurrence_id="20270302T140000", organizer=personal))
    await wait_for_inbound(2)
    before = [dict(r) for r in await sql.fetch("SELECT * FROM meeting_rsvp ORDER BY id")]
    send(port, reply(uid, "stranger@elsewhere.example", "ACCEPTED"))  # to the plain organizer address
    send(port, reply(uid, SEOUL, "DECLINED", sender="mallory@elsewhere.example"))
    send(port, reply(uid, SEOUL, "ACCEPTED", recurrence_id="20270303T140000", organizer=personal))
    rows = await wait_for_inbound(5)
    assert [(r["attendee"], r["outcome"], r["reason_code"]) for r in rows] == [
        (SEOUL, "accepted", ""),
        (SEOUL, "accepted", ""),
        ("stranger@elsewhere.example", "rejected", "no-token"),
        (SEOUL, "rejected", "no-token"),
        (SEOUL, "rejected", "bad-occurrence"),
    ]
    assert [dict(r) for r in await sql.fetch("SELECT * FROM meeting_rsvp ORDER BY id")] == before
    base = f"/api/meeting-series/{series['id']}/occurrences"
    march = (await client.get(f"{base}/20270302T130000Z/responses", headers=organizer)).json()
    feb = (await client.get(f"{base}/20270202T130000Z/responses", headers=organizer)).json()
    assert (
        {p["email"]: p["partstat"] for p in march["people"]}[SEOUL],
        {p["email"]: p["partstat"] for p in feb["people"]}[SEOUL],
    ) == ("DECLINED", "ACCEPTED")
    assert "sender=stranger@elsewhere.example" in log.read_text() and "no reply token" in log.read_text()
