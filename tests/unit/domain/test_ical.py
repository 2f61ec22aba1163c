"""Invites checked with two independent parsers: icalendar and vobject (vobject reads our VTIMEZONE itself)."""

import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from events_app.domain import ical
from events_app.domain.ical import Attendee, CalendarItem, feed, feed_piece_key, feed_vevent, itip_message
from events_app.domain.timezones import transitions, vtimezone

STAMP = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)


def item(tzid="Europe/Stockholm", start=datetime(2027, 5, 18, 9, 0), hours=8, sequence=0, **kw) -> CalendarItem:
    zone = ZoneInfo(tzid)
    return CalendarItem(
        uid="6f1c2a9e-0000-4000-8000-000000000001",
        sequence=sequence,
        summary="World Congress; plenary, day 1",
        starts_at=start.replace(tzinfo=zone),
        ends_at=start.replace(tzinfo=zone) + timedelta(hours=hours),
        tzid=tzid,
        organizer_email="congress@example.org",
        organizer_name="Secretariat, World Congress",
        location="Malmö Live, Dag Hammarskjölds torg 4, Malmö",
        **kw,
    )


ATTENDEE = Attendee("jiwon.park@example.org", "Park, Ji-won")


def test_request_parses_in_icalendar_with_itip_fields():
    cal = icalendar.Calendar.from_ical(itip_message("REQUEST", item(sequence=3), ATTENDEE, STAMP))
    event = cal.walk("VEVENT")[0]
    assert (str(cal["METHOD"]), str(event["UID"]), int(event["SEQUENCE"]), str(event["STATUS"])) == (
        "REQUEST",
        "6f1c2a9e-0000-4000-8000-000000000001",
        3,
        "CONFIRMED",
    )
    assert str(event["ORGANIZER"]) == "mailto:congress@example.org"
    assert event["ORGANIZER"].params["CN"] == "Secretariat, World Congress"
    assert event["ATTENDEE"].params["RSVP"] == "TRUE"
    assert event["DTSTAMP"].dt == STAMP


def test_request_parses_in_vobject_with_same_instant():
    parsed = vobject.readOne(itip_message("REQUEST", item(), ATTENDEE, STAMP).decode())
    start = parsed.vevent.dtstart.value
    assert start.astimezone(timezone.utc) == datetime(2027, 5, 18, 7, 0, tzinfo=timezone.utc)
    assert parsed.vevent.summary.value == "World Congress; plenary, day 1"
    assert parsed.vevent.attendee.params["CN"] == ["Park, Ji-won"]


def test_cancel_has_status_cancelled_and_method_cancel():
    cal = icalendar.Calendar.from_ical(itip_message("CANCEL", item(sequence=4), ATTENDEE, STAMP))
    event = cal.walk("VEVENT")[0]
    assert (str(cal["METHOD"]), str(event["STATUS"]), int(event["SEQUENCE"])) == ("CANCEL", "CANCELLED", 4)


def test_lines_are_crlf_and_folded_at_75_octets():
    data = itip_message("REQUEST", item(description="Ñandú " * 60), ATTENDEE, STAMP)
    lines = data.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert b"\n" not in data.replace(b"\r\n", b"")


def test_unsupported_method_is_refused():
    with pytest.raises(ValueError):
        itip_message("PUBLISH", item(), ATTENDEE, STAMP)


@pytest.mark.parametrize(
    ("tzid", "local"),
    [
        ("Europe/Stockholm", datetime(2027, 3, 28, 9, 0)),  # first day of summer time
        ("Europe/Stockholm", datetime(2027, 10, 31, 9, 0)),  # first day of winter time
        ("America/Sao_Paulo", datetime(2027, 1, 12, 14, 0)),
        ("Africa/Johannesburg", datetime(2027, 7, 6, 14, 0)),
        ("Asia/Seoul", datetime(2027, 9, 1, 9, 30)),
        ("Australia/Sydney", datetime(2027, 10, 3, 10, 0)),
        ("America/New_York", datetime(2027, 3, 14, 8, 0)),
        ("Asia/Kolkata", datetime(2027, 2, 2, 15, 30)),
    ],
)
def test_vtimezone_gives_the_true_instant_in_an_independent_parser(tzid, local):
    expected = local.replace(tzinfo=ZoneInfo(tzid)).astimezone(timezone.utc)
    parsed = vobject.readOne(itip_message("REQUEST", item(tzid, local, 1), ATTENDEE, STAMP).decode())
    assert parsed.vevent.dtstart.value.astimezone(timezone.utc) == expected


def test_vtimezone_uses_yearly_rules_not_rdate_lists():
    text = vtimezone("Europe/Stockholm", 2027).to_ical().decode()
    assert ("RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3" in text, "RDATE" in text, "COMMENT" in text) == (
        True,
        False,
        False,
    )


def test_transitions_are_exact_to_the_second():
    changes = transitions("Europe/Stockholm", 2027, 2027)
    assert [t.at_utc for t in changes] == [
        datetime(2027, 3, 28, 1, 0, tzinfo=timezone.utc),
        datetime(2027, 10, 31, 1, 0, tzinfo=timezone.utc),
    ]


def test_feed_has_no_method_organizer_or_attendee_and_is_stable():
    items = [item()]
    first = feed(items, "World Congress", {items[0].uid: STAMP})
    again = feed(items, "World Congress", {items[0].uid: STAMP})
    cal = icalendar.Calendar.from_ical(first)
    event = cal.walk("VEVENT")[0]
    assert first == again
    assert ("METHOD" in cal, "ORGANIZER" in event, "ATTENDEE" in event) == (False, False, False)


def test_feed_piece_key_is_the_same_for_the_same_item_and_stamp():
    assert feed_piece_key(item(), STAMP) == feed_piece_key(item(), STAMP)


@pytest.mark.parametrize(
    "change",
    [
        {"summary": "World Congress; plenary, day 2"},
        {"sequence": 1},
        {"description": "Speakers: Ana Lima"},
        {"location": "Malmö Live"},
        {"url": "https://example.org/live"},
        {"status": "CANCELLED"},
        {"categories": ("Plenary",)},
        {"starts_at": datetime(2027, 5, 18, 8, 0, tzinfo=timezone.utc)},
        {"ends_at": datetime(2027, 5, 18, 18, 0, tzinfo=timezone.utc)},
        {"tzid": "Europe/Oslo"},
        {"uid": "6f1c2a9e-0000-4000-8000-000000000002"},
    ],
)
def test_feed_piece_key_changes_with_everything_the_piece_shows(change):
    changed = replace(item(), **change)
    assert feed_vevent(changed, STAMP) != feed_vevent(item(), STAMP)
    assert feed_piece_key(changed, STAMP) != feed_piece_key(item(), STAMP)


def test_feed_piece_key_changes_with_the_stamp_and_not_with_the_organizer_a_feed_does_not_show():
    other_organizer = replace(item(), organizer_email="other@example.org", organizer_name="Other")
    assert feed_vevent(other_organizer, STAMP) == feed_vevent(item(), STAMP)
    assert feed_piece_key(other_organizer, STAMP) == feed_piece_key(item(), STAMP)
    assert feed_piece_key(item(), STAMP + timedelta(seconds=1)) != feed_piece_key(item(), STAMP)


def test_feed_piece_key_changes_when_the_zone_rules_give_another_wall_clock_time(monkeypatch):
    """Same item, same name of zone, but its rules changed (a tz database update): DTSTART would show another
    wall-clock time, so the key must change too."""
    before = feed_piece_key(item(), STAMP)
    monkeypatch.setattr("events_app.domain.ical.ZoneInfo", lambda name: ZoneInfo("Asia/Tokyo"))
    assert feed_piece_key(item(), STAMP) != before


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"description": "Ñandú; tres días, en Malmö\\n" * 12},
        {"url": "https://example.org/e/1", "categories": ("A", "B,c")},
        {"hours": 0, "status": "TENTATIVE", "description": "d"},
        {"tzid": "UTC", "start": datetime(2027, 12, 31, 23, 0)},
        {
            "rrule": "FREQ=WEEKLY;COUNT=3",
            "exdates": (datetime(2027, 5, 25, 7, 0, tzinfo=timezone.utc),),
            "recurrence_id": datetime(2027, 6, 1, 7, 0, tzinfo=timezone.utc),
        },
    ],
)
@pytest.mark.parametrize(
    "attendee",
    [
        ATTENDEE,
        Attendee("x@example.org", ""),
        Attendee("l@example.org", "李小龍 " * 10, partstat="ACCEPTED", rsvp=False),
    ],
)
def test_invite_bytes_equal_one_calendar_serialised_whole(method, extra, attendee):
    """itip_message serialises the lines all recipients share once; the result is what icalendar writes for the
    whole calendar, line for line and in the same order."""
    the_item = item(**extra)
    stamp = STAMP.replace(microsecond=123456).astimezone(ZoneInfo("Asia/Seoul"))  # written as UTC, to the second
    whole = ical._calendar(method, [the_item])
    whole.add_component(
        ical._vevent(the_item, stamp, cancelled=method == "CANCEL", attendee=attendee, with_organizer=True)
    )
    assert itip_message(method, the_item, attendee, stamp) == whole.to_ical()


def test_a_feed_name_is_escaped_text():
    name = 'Water, Energy; Cities \\ "2027"'
    data = feed([], name, {})
    assert b'NAME:Water\\, Energy\\; Cities \\\\ "2027"\r\n' in data
    assert b'X-WR-CALNAME:Water\\, Energy\\; Cities \\\\ "2027"\r\n' in data


def test_fold_writes_what_icalendar_writes():
    """ical.fold works on bytes; every line it folds is byte for byte icalendar's own folding, for lines of every
    length around the limits, of one- to four-byte characters, and with escapes that must not be split."""
    from icalendar.parser.content_line import Contentline

    rng = random.Random(20261207)
    alphabet = ["a", "Z", " ", ",", ";", ":", "\\", "^", "é", "ñ", "李", "€", "😀", "\\n", "\\,", "^n", "^'"]
    lines = [
        "".join(rng.choice(alphabet) for _ in range(length))
        for length in [*range(60, 160), *(rng.randrange(1, 600) for _ in range(2000))]
    ]
    lines += ["a" * n for n in range(70, 230)] + ["a" * n + "\\," * 5 for n in range(60, 80)]
    lines += ["é" * n for n in range(30, 120)] + ["a" * n + "😀" * 30 for n in range(60, 80)]
    for line in lines:
        assert ical.fold(line) == Contentline(line).to_ical(), line
