"""Times in our .ics read back through the VTIMEZONE we carry (not through the TZID's name) equal zoneinfo's, in
zones and at dates that break naive code: repeated hours, rules a zone stops following, offsets before the first
listed change, series longer than a few years, occurrences in a DST gap."""

from datetime import datetime, timedelta, timezone

import icalendar
import pytest
from dateutil.rrule import rrulestr

from events_app.domain.ical import Attendee, CalendarItem, feed, itip_message, itip_series_message
from events_app.domain.meetings import SeriesTiming, expand, parse_rrule, wall_to_utc

UTC = timezone.utc
STAMP = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
ATTENDEE = Attendee("a@example.org", "A")


def _item(tzid: str, start: datetime, end: datetime, **kw) -> CalendarItem:
    return CalendarItem("u-1", 0, "S", start, end, tzid, "o@example.org", "O", **kw)


def _read(naive: datetime, tz) -> datetime:
    """RFC 5545 3.3.5: a repeated wall time is its first instance; one in a gap takes the offset before the gap."""
    found = [
        u
        for u in (naive.replace(tzinfo=tz, fold=f).astimezone(UTC) for f in (0, 1))
        if u.astimezone(tz).replace(tzinfo=None) == naive
    ]
    if found:
        return min(found)
    return (naive - (naive - timedelta(days=1)).replace(tzinfo=tz).utcoffset()).replace(tzinfo=UTC)


def _instants(data: bytes) -> tuple[dict[str, list[datetime]], list[datetime], list[datetime]]:
    """({name: instants} of DTSTART/DTEND/RECURRENCE-ID/EXDATE, the master's occurrences, its EXDATE wall times)."""
    cal = icalendar.Calendar.from_ical(data)
    zones = {str(z["TZID"]): z.to_tz(lookup_tzid=False) for z in cal.walk("VTIMEZONE")}
    found: dict[str, list[datetime]] = {}
    occurrences: list[datetime] = []
    exdate_walls: list[datetime] = []
    for event in cal.walk("VEVENT"):
        for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE"):
            props = event.get(name, [])
            for prop in props if isinstance(props, list) else [props]:
                for text in prop.to_ical().decode().split(","):
                    naive = datetime.strptime(text.rstrip("Z"), "%Y%m%dT%H%M%S")
                    value = (
                        naive.replace(tzinfo=UTC) if text.endswith("Z") else _read(naive, zones[prop.params["TZID"]])
                    )
                    found.setdefault(name, []).append(value)
                    exdate_walls += [naive] if name == "EXDATE" else []
        if "RRULE" in event:
            start = event["DTSTART"]
            naive = datetime.strptime(start.to_ical().decode(), "%Y%m%dT%H%M%S")
            rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=naive.replace(tzinfo=UTC))
            walls = [d.replace(tzinfo=None) for d in rule]
            occurrences = [_read(w, zones[start.params["TZID"]]) for w in walls]
            assert set(exdate_walls) <= set(walls), "an EXDATE names no instance of the rule"
    return found, occurrences, exdate_walls


@pytest.mark.parametrize(
    ("tzid", "start_utc", "minutes"),
    [
        ("America/New_York", datetime(2027, 11, 7, 5, 0, tzinfo=UTC), 60),  # 01:00 EDT - 01:00 EST
        ("Europe/Berlin", datetime(2027, 10, 31, 1, 15, tzinfo=UTC), 30),  # 02:15 - 02:45 CET, second pass
        ("Australia/Lord_Howe", datetime(2027, 4, 3, 15, 10, tzinfo=UTC), 60),  # 01:40 +10:30, second pass
        ("Pacific/Chatham", datetime(2027, 4, 3, 14, 5, tzinfo=UTC), 45),
        ("Pacific/Norfolk", datetime(2013, 5, 1, 1, 0, tzinfo=UTC), 60),  # before the zone's next change (2015)
        ("Asia/Kathmandu", datetime(2027, 1, 4, 3, 15, tzinfo=UTC), 60),
        ("Etc/GMT-14", datetime(2027, 1, 4, 3, 15, tzinfo=UTC), 60),
    ],
)
def test_one_off_times_read_through_our_vtimezone_are_the_true_instants(tzid, start_utc, minutes):
    end = start_utc + timedelta(minutes=minutes)
    found, _, _ = _instants(itip_message("REQUEST", _item(tzid, start_utc, end), ATTENDEE, STAMP))
    assert (found["DTSTART"], found["DTEND"]) == ([start_utc], [end])


@pytest.mark.parametrize(
    ("tzid", "start_utc", "end_utc"),
    [
        ("Europe/Berlin", datetime(2027, 10, 31, 0, 30, tzinfo=UTC), datetime(2027, 10, 31, 1, 15, tzinfo=UTC)),
        ("Europe/Dublin", datetime(2027, 10, 31, 0, 30, tzinfo=UTC), datetime(2027, 10, 31, 1, 0, tzinfo=UTC)),
        ("America/St_Johns", datetime(2027, 11, 7, 4, 0, tzinfo=UTC), datetime(2027, 11, 7, 4, 30, tzinfo=UTC)),
    ],
)
def test_one_off_times_in_a_repeated_hour_are_written_in_utc_in_either_pass(tzid, start_utc, end_utc):
    """RFC 5545 reads a repeated local time as its first pass, ical.js (Thunderbird) as its second: a start in the
    first pass written as local time moved an hour in Thunderbird, before its end. Both ends are written in UTC."""
    event = icalendar.Calendar.from_ical(itip_message("REQUEST", _item(tzid, start_utc, end_utc), ATTENDEE, STAMP))
    vevent = event.walk("VEVENT")[0]
    assert (vevent["DTSTART"].dt, vevent["DTEND"].dt) == (start_utc, end_utc)
    assert "TZID" not in vevent["DTSTART"].params and "TZID" not in vevent["DTEND"].params
    # an hour away from the change both stay wall-clock times in the zone
    calm = itip_message(
        "REQUEST", _item(tzid, start_utc - timedelta(hours=3), end_utc - timedelta(hours=3)), ATTENDEE, STAMP
    )
    assert icalendar.Calendar.from_ical(calm).walk("VEVENT")[0]["DTSTART"].params["TZID"] == tzid


def _series(tzid: str, start_local: datetime, rrule: str, cancel: int, move: int) -> tuple[list, list[CalendarItem]]:
    timing = SeriesTiming(start_local, tzid, timedelta(hours=1), parse_rrule(rrule, tzid).text())
    starts = expand(timing)
    first = wall_to_utc(start_local, tzid)
    master = _item(tzid, first, first + timing.duration, rrule=timing.rrule, exdates=(starts[cancel],))
    moved = starts[move] + timedelta(hours=2)
    override = _item(tzid, moved, moved + timing.duration, recurrence_id=starts[move])
    return starts, [master, override]


@pytest.mark.parametrize(
    ("tzid", "start_local", "rrule", "cancel", "move"),
    [
        ("America/New_York", datetime(2027, 2, 28, 2, 30), "FREQ=WEEKLY;COUNT=6", 2, 1),  # 3-14 02:30: no such time
        ("Europe/Berlin", datetime(2027, 3, 14, 2, 30), "FREQ=WEEKLY;COUNT=4", 3, 2),  # 3-28 02:30 in the gap
        ("Europe/Berlin", datetime(2027, 10, 17, 2, 30), "FREQ=WEEKLY;COUNT=4", 2, 3),  # 10-31 02:30 twice
        ("America/Santiago", datetime(2026, 1, 7, 10, 0), "FREQ=WEEKLY;COUNT=200", 150, 180),  # past year+2
        ("America/Mexico_City", datetime(2020, 1, 3, 9, 0), "FREQ=WEEKLY;COUNT=200", 170, 175),  # DST ends 2022
        ("America/Asuncion", datetime(2023, 1, 10, 10, 0), "FREQ=WEEKLY;COUNT=150", 120, 115),  # DST ends 2024
        ("Africa/Casablanca", datetime(2026, 1, 6, 9, 0), "FREQ=WEEKLY;COUNT=200", 160, 9),  # Ramadan, -1 h
        ("Pacific/Apia", datetime(2020, 1, 6, 9, 0), "FREQ=WEEKLY;COUNT=150", 100, 10),  # DST ends 2021
    ],
)
def test_series_occurrences_exdate_and_recurrence_id_read_through_our_vtimezone(tzid, start_local, rrule, cancel, move):
    """Every occurrence a client expands from the master (wall clock kept in the zone, converted through the
    VTIMEZONE) is zoneinfo's; EXDATE and RECURRENCE-ID name instances of the rule, at their true instants."""
    starts, items = _series(tzid, start_local, rrule, cancel, move)
    for data in (
        itip_series_message("REQUEST", items, ATTENDEE, STAMP),
        feed(items, "Series", {"u-1": STAMP}),
    ):
        found, occurrences, exdate_walls = _instants(data)
        assert occurrences == starts
        assert (found["EXDATE"], found["RECURRENCE-ID"]) == ([starts[cancel]], [starts[move]])
        assert {w.time() for w in exdate_walls} == {start_local.time()}  # the rule's wall time, also in a gap
