"""Reading replies as more clients write them: their own zone definitions, addresses in EMAIL=, every ATTENDEE of
the invite copied into the reply, METHOD left out of the object, and the MIME forms of the calendar part."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import icalendar
import pytest

from events_app.domain.itip_in import answering_attendee, calendar_text, place_occurrence, read_items
from events_app.services.meetings.meeting_rsvp import _read_calendar, _uuid_key, calendar_parts

UTC = timezone.utc
STARTS = [
    datetime(2027, 2, 2, 13, tzinfo=UTC),
    datetime(2027, 3, 2, 13, tzinfo=UTC),
    datetime(2027, 4, 6, 12, tzinfo=UTC),
]


def calendar(lines: str, *, method: str = "METHOD:REPLY\r\n", before: str = "", after: str = "") -> str:
    return (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Probe//EN\r\n{method}{before}BEGIN:VEVENT\r\nUID:u\r\n"
        f"DTSTAMP:20270101T000000Z\r\n{lines}END:VEVENT\r\n{after}END:VCALENDAR\r\n"
    )


def items(text: str, default_method: str = ""):
    return read_items(icalendar.Calendar.from_ical(text), default_method)


def zone(name: str, offset: str) -> str:
    return (
        f"BEGIN:VTIMEZONE\r\nTZID:{name}\r\nBEGIN:STANDARD\r\nDTSTART:16010101T000000\r\nTZOFFSETFROM:{offset}\r\n"
        f"TZOFFSETTO:{offset}\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )


def test_a_custom_zone_is_read_by_each_messages_own_definition_never_an_earlier_messages():
    # icalendar caches the first VTIMEZONE of a name for the whole process: two senders, same name, other rules
    for offset, wall in (("-0500", "080000"), ("+0100", "140000"), ("+0900", "220000")):
        [one] = items(
            calendar(
                f'RECURRENCE-ID;TZID="Customized Time Zone":20270302T{wall}\r\n'
                "ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example\r\n",
                before=zone("Customized Time Zone", offset),
            )
        )
        assert place_occurrence(one, STARTS, "Europe/Berlin") == STARTS[1], offset


def test_a_zone_defined_after_the_vevent_and_a_display_name_tzid_are_placed():
    # Outlook for Mac names the zone by its display name; RFC 5545 lets VTIMEZONE come after the VEVENT
    [one] = items(
        calendar(
            'RECURRENCE-ID;TZID="Probe Islands, Nowhere":20270406T150000\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example\r\n',
            after=zone("Probe Islands, Nowhere", "+0300"),
        )
    )
    assert place_occurrence(one, STARTS, "Europe/Berlin") == STARTS[2]


def test_a_globally_unique_tzid_without_its_vtimezone_is_read_by_its_olson_name():
    [one] = items(
        calendar(
            "RECURRENCE-ID;TZID=/freeassociation.sourceforge.net/Europe/Berlin:20270302T140000\r\n"
            "ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example\r\n"
        )
    )
    assert place_occurrence(one, STARTS, "Europe/Berlin") == STARTS[1]


def test_an_unknown_zone_an_earlier_message_defined_stays_unplaceable():
    items(calendar("ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example\r\n", before=zone("Probe Cached Zone", "+0100")))
    [one] = items(
        calendar(
            "RECURRENCE-ID;TZID=Probe Cached Zone:20270302T140000\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example\r\n"
        )
    )
    assert one.recurrence_id.tzinfo is None and one.recurrence_tzid == "Probe Cached Zone"


def test_an_attendee_uri_that_is_no_email_is_read_from_its_email_parameter():
    [one] = items(
        calendar(
            "ATTENDEE;CN=Amara;EMAIL=Amara@X.example;PARTSTAT=ACCEPTED:urn:uuid:5f0b3c9e-1111-4222-8333-944455556666\r\n"
        )
    )
    assert one.attendees[0].email == "amara@x.example"


def test_a_reply_copying_every_attendee_is_answered_by_the_hinted_one_only():
    [one] = items(
        calendar(
            "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:b@x.example\r\n"
            "ATTENDEE;PARTSTAT=tentative:MAILTO:A@x.example\r\n"
            "ATTENDEE;PARTSTAT=DECLINED:mailto:c@x.example\r\n"
        )
    )
    assert answering_attendee(one)[0] is None  # no hint: nobody can tell who answers
    answerer, delegate, error = answering_attendee(one, ["a@x.example", "c@x.example"])
    assert (answerer.email, answerer.partstat, delegate, error) == ("a@x.example", "TENTATIVE", None, "")
    assert answering_attendee(one, ["", "nobody@x.example", "c@x.example"])[0].email == "c@x.example"
    twice = items(
        calendar("ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example\r\nATTENDEE;PARTSTAT=DECLINED:mailto:a@x.example\r\n")
    )[0]
    assert answering_attendee(twice, ["a@x.example"])[0] is None  # two contradicting answers of one address
    same = items(
        calendar("ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example\r\n")
    )[0]
    assert answering_attendee(same)[0].email == "a@x.example"  # the same line written twice


def test_method_left_out_of_the_object_is_taken_from_the_mime_part():
    [one] = items(calendar("ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example\r\n", method=""), "REPLY")
    assert one.method == "REPLY"
    [own] = items(calendar("ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example\r\n", method="METHOD:COUNTER\r\n"), "REPLY")
    assert own.method == "COUNTER"  # the object's own METHOD wins


REPLY = calendar("ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example\r\n")


def mail(body: str) -> bytes:
    return ("From: A <a@x.example>\r\nTo: o@example.org\r\nMIME-Version: 1.0\r\n" + body).encode()


@pytest.mark.parametrize(
    "body",
    [
        # an empty text/calendar part first, the reply in the attachment
        'Content-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n'
        "\r\n--m\r\nContent-Type: application/ics; name=invite.ics\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(REPLY.encode()).decode().replace("\n", "\r\n")
        + "--m--\r\n",
        # a broken calendar part first
        'Content-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n'
        "BEGIN:VCALENDAR\r\nnot a line\r\n--m\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n"
        + REPLY
        + "--m--\r\n",
        # a forwarded REQUEST first, the REPLY after it
        'Content-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\n'
        + REPLY.replace("METHOD:REPLY", "METHOD:REQUEST").replace("ACCEPTED", "NEEDS-ACTION")
        + "--m\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n"
        + REPLY
        + "--m--\r\n",
        # two VCALENDARs in one part, the first without a VEVENT
        "Content-Type: text/calendar; method=REPLY\r\n\r\nBEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n" + REPLY,
        # an old vCalendar content type, METHOD only in the MIME parameter
        "Content-Type: text/x-vcalendar; method=REPLY\r\n\r\n" + REPLY.replace("METHOD:REPLY\r\n", ""),
        # a generic attachment named .ics
        'Content-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\nContent-Type: text/plain\r\n\r\nYes\r\n--m\r\n'
        'Content-Type: application/octet-stream; name="reply.ics"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(REPLY.encode()).decode().replace("\n", "\r\n")
        + "--m--\r\n",
    ],
)
def test_the_reply_is_found_whatever_comes_before_it(body):
    cal, found, problem, code = _read_calendar(calendar_parts(mail(body)).calendars)
    assert cal is not None, problem
    assert [(i.method, i.attendees[0].partstat) for i in found] == [("REPLY", "ACCEPTED")]


def test_tnef_is_noted_and_the_inline_and_attached_copies_count_once():
    tnef = calendar_parts(
        mail(
            'Content-Type: multipart/mixed; boundary="t"\r\n\r\n--t\r\nContent-Type: text/plain\r\n\r\nAccepted\r\n'
            '--t\r\nContent-Type: application/ms-tnef; name="winmail.dat"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
            "eJ8+IhAAAQaQCAAEAAAA\r\n--t--\r\n"
        )
    )
    assert (tnef.calendars, tnef.tnef) == ([], True)
    twice = calendar_parts(
        mail(
            'Content-Type: multipart/mixed; boundary="m"\r\n\r\n--m\r\nContent-Type: text/calendar; method=REPLY\r\n\r\n'
            + REPLY
            + "--m\r\nContent-Type: application/ics; name=invite.ics\r\n\r\n"
            + REPLY
            + "--m--\r\n"
        )
    )
    assert len(twice.calendars) == 1


def test_unreadable_and_empty_calendars_are_told_apart():
    assert _read_calendar([(b"BEGIN:VCALENDAR\r\nnot a line\r\n", "REPLY")])[3] == "unreadable"
    assert _read_calendar([(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "REPLY")])[3] == "no-calendar"


@pytest.mark.parametrize(
    "uid",
    [
        "6F1C1B1E-8D0A-4A43-9A55-0C6A4B1F0E11",
        "{6f1c1b1e-8d0a-4a43-9a55-0c6a4b1f0e11}",
        "urn:uuid:6f1c1b1e-8d0a-4a43-9a55-0c6a4b1f0e11",
        " 6f1c1b1e8d0a4a439a550c6a4b1f0e11 ",
        "6F1C1B1E8D0A4A439A550C6A4B1F0E11" + "0" * 32,  # an ActiveSync client's padded hex
        # Exchange's GlobalObjectId wrapping the UID it was sent (the "vCal-Uid" form)
        "040000008200E00074C5B7101A82E008"
        + "00" * 16
        + "33000000"
        + "7643616C2D55696401000000"
        + b"6f1c1b1e-8d0a-4a43-9a55-0c6a4b1f0e11".hex().upper()
        + "00",
    ],
)
def test_uid_forms_are_read_as_the_stored_uuid(uid):
    assert _uuid_key(uid) == "6f1c1b1e-8d0a-4a43-9a55-0c6a4b1f0e11"
    assert _uuid_key("040000008200E00074C5B7101A82E00800000000B0C3") is None


def test_nul_characters_are_dropped_and_utf16_without_bom_becomes_readable():
    text = "BEGIN:VCALENDAR\r\nCOMMENT:a\x00b\r\n"
    assert calendar_text(text.encode(), "utf-8") == b"BEGIN:VCALENDAR\r\nCOMMENT:ab\r\n"
    assert calendar_text("BEGIN:VCALENDAR\r\n".encode("utf-16-le"), None) == b"BEGIN:VCALENDAR\r\n"


@pytest.mark.parametrize(
    "line",
    [
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:Amara Okafor <Amara@x.example>",
        "ATTENDEE;PARTSTAT=ACCEPTED:mailto:<amara@x.example>",
        'ATTENDEE;PARTSTAT="accepted ":MAILTO:amara@x.example',
        "ATTENDEE;PARTSTAT=ACCEPTED:amara@x.example",
    ],
)
def test_attendee_addresses_and_partstats_as_generators_write_them(line):
    [one] = items(calendar(line + "\r\n"))
    assert (one.attendees[0].email, one.attendees[0].partstat) == ("amara@x.example", "ACCEPTED")
