"""Reading replies as clients write them: charsets, occurrences that must never widen, delegation pairs, proposals."""

from __future__ import annotations

import codecs
from datetime import datetime, timezone

import icalendar
import pytest

from events_app.domain.itip_in import (
    UnplacedOccurrence,
    answering_attendee,
    calendar_text,
    place_occurrence,
    proposal_in_reply,
    read_items,
)

UTC = timezone.utc
# the 14:00 Berlin meetings of a monthly series: 2 Feb (CET), 2 Mar (CET), 6 Apr (CEST)
STARTS = [
    datetime(2027, 2, 2, 13, tzinfo=UTC),
    datetime(2027, 3, 2, 13, tzinfo=UTC),
    datetime(2027, 4, 6, 12, tzinfo=UTC),
]


def item(lines: str, method: str = "REPLY"):
    text = (
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:{method}\r\nBEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20270101T000000Z\r\n"
        + lines
        + "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    [one] = read_items(icalendar.Calendar.from_ical(text))
    return one


def test_calendar_text_decodes_declared_charset_bom_and_guesses_windows_1252():
    text = "ATTENDEE;CN=José:mailto:j@example.org\r\n"
    assert calendar_text(text.encode("windows-1252"), "windows-1252") == text.encode()
    assert calendar_text(codecs.BOM_UTF16_LE + text.encode("utf-16-le"), None) == text.encode()
    assert calendar_text(text.encode("windows-1252"), None) == text.encode()  # undeclared, not UTF-8
    assert calendar_text(text.encode(), "no-such-charset") == text.encode()


@pytest.mark.parametrize(
    "line, expected",
    [
        ("RECURRENCE-ID;TZID=Europe/Berlin:20270302T140000", STARTS[1]),
        ("RECURRENCE-ID;TZID=W. Europe Standard Time:20270406T140000", STARTS[2]),  # Exchange's Windows name
        ("RECURRENCE-ID:20270302T130000Z", STARTS[1]),
        ("RECURRENCE-ID:20270302T140000", STARTS[1]),  # floating: the series' zone
        ("RECURRENCE-ID;VALUE=DATE:20270406", STARTS[2]),  # the one meeting of that day
    ],
)
def test_occurrence_is_placed_whatever_form_the_recurrence_id_takes(line, expected):
    assert (
        place_occurrence(item(line + "\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example\r\n"), STARTS, "Europe/Berlin")
        == expected
    )


@pytest.mark.parametrize(
    "line, code",
    [
        ("RECURRENCE-ID;TZID=Europe/Berlin:20270303T140000", "bad-occurrence"),
        ("RECURRENCE-ID;VALUE=DATE:20270303", "unplaced"),
        ('RECURRENCE-ID;TZID="Customized Time Zone":20270302T140000', "unplaced"),
    ],
)
def test_an_occurrence_that_cannot_be_told_is_never_the_series(line, code):
    with pytest.raises(UnplacedOccurrence) as raised:
        place_occurrence(item(line + "\r\n"), STARTS, "Europe/Berlin")
    assert raised.value.code == code


def test_no_recurrence_id_answers_the_series():
    assert place_occurrence(item("ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example\r\n"), STARTS, "Europe/Berlin") is None


def test_delegation_pair_names_who_answers_and_the_delegate():
    one = item(
        'ATTENDEE;PARTSTAT=DELEGATED;DELEGATED-TO="mailto:B@x.example":mailto:a@x.example\r\n'
        'ATTENDEE;PARTSTAT=NEEDS-ACTION;DELEGATED-FROM="mailto:a@x.example":mailto:b@x.example\r\n'
    )
    answerer, delegate, error = answering_attendee(one)
    assert (answerer.email, answerer.delegated_to, delegate.email, error) == (
        "a@x.example",
        ("b@x.example",),
        "b@x.example",
        "",
    )
    two = item("ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@x.example\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:b@x.example\r\n")
    assert answering_attendee(two)[2].startswith("a REPLY names exactly one ATTENDEE")


def test_counter_and_reply_proposals():
    counter = item("DTSTART:20270302T150000Z\r\nDTEND:20270302T163000Z\r\nATTENDEE:mailto:a@x.example\r\n", "COUNTER")
    assert (counter.proposal.starts_at, counter.proposal.ends_at) == (
        datetime(2027, 3, 2, 15, tzinfo=UTC),
        datetime(2027, 3, 2, 16, 30, tzinfo=UTC),
    )
    x_props = item("X-APPLE-PROPOSED-START:20270302T160000Z\r\nX-APPLE-PROPOSED-END:20270302T170000Z\r\n")
    assert x_props.proposal.starts_at == datetime(2027, 3, 2, 16, tzinfo=UTC)
    sent = (STARTS[1], datetime(2027, 3, 2, 14, 30, tzinfo=UTC))
    echo = item("DTSTART:20270302T130000Z\r\nCOMMENT:See you\r\n")
    assert proposal_in_reply(echo, *sent) is None  # the invite's own time with a comment is no proposal
    other = item("DTSTART:20270302T150000Z\r\nCOMMENT:Later please\r\n")
    assert proposal_in_reply(other, *sent).starts_at == datetime(2027, 3, 2, 15, tzinfo=UTC)
    assert proposal_in_reply(item("DTSTART:20270302T150000Z\r\n"), *sent) is None  # no comment: no proposal


def test_outlook_dtstamp_is_read_but_means_the_invite_version():
    one = item("SEQUENCE:2\r\nATTENDEE;PARTSTAT=DECLINED:mailto:a@x.example\r\n")
    assert (one.sequence, one.attendees[0].partstat) == (2, "DECLINED")
