"""Quirks of schedules other tools publish, each in a small invented file: days whose first start is late, files in
another zone than the event's, schedule.json version 2, bare documents, ids of 0, old XML without day starts,
odd JSON values. Each is read as meant, or refused saying where; none crashes."""

import json
from datetime import date, time
from zoneinfo import ZoneInfo

import pytest

from events_app.domain.schedule import (
    ScheduleFormatError,
    build_json,
    build_xml,
    conference_day,
    days_of,
    fit_day_change,
    parse,
)

BERLIN = ZoneInfo("Europe/Berlin")


def _event(guid: str, number: int, when: str, start: str, title: str, room: str = "Hall") -> str:
    return f"""<event guid="{guid}" id="{number}"><date>{when}</date><start>{start}</start>
        <duration>01:00</duration><room>{room}</room><title>{title}</title><type>Talk</type>
        <language>en</language><persons><person guid="{guid[:-4]}9999">Speaker {number}</person></persons></event>"""


# The first day "starts" with its first session (09:30 UTC, 10:30 in Berlin), the others at the 06:00 day change.
LATE_FIRST_DAY = f"""<?xml version="1.0" encoding="UTF-8"?>
<schedule><version>1</version>
  <conference><acronym>quirk1</acronym><title>Quirk One</title><start>2027-12-27T09:30:00+00:00</start>
    <end>2027-12-28T17:00:00+00:00</end><time_zone_name>Europe/Berlin</time_zone_name></conference>
  <day date="2027-12-27" index="1" start="2027-12-27T09:30:00+00:00" end="2027-12-28T06:00:00+01:00">
    <room name="Hall">
      {_event("aaaaaaaa-0000-4000-8000-000000000001", 1, "2027-12-27T10:30:00+01:00", "10:30", "Opening")}
      {_event("aaaaaaaa-0000-4000-8000-000000000002", 2, "2027-12-28T00:30:00+01:00", "00:30", "Night owls")}
    </room>
  </day>
  <day date="2027-12-28" index="2" start="2027-12-28T06:00:00+01:00" end="2027-12-29T06:00:00+01:00">
    <room name="Hall">
      {_event("aaaaaaaa-0000-4000-8000-000000000003", 3, "2027-12-28T10:00:00+01:00", "10:00", "Early bird")}
    </room>
  </day>
</schedule>""".encode()


def test_late_first_day_start_does_not_pull_the_next_mornings_session_onto_the_first_day():
    schedule = parse(LATE_FIRST_DAY, "application/xml", "Europe/Berlin")
    placed = {s.title: day for day, sessions in days_of(schedule) for s in sessions}
    assert schedule.day_change == time(6)
    assert placed == {
        "Opening": date(2027, 12, 27),
        "Night owls": date(2027, 12, 27),
        "Early bird": date(2027, 12, 28),
    }
    exported = json.loads(build_json(schedule))["schedule"]["conference"]["days"]
    assert [(d["date"], d["day_start"]) for d in exported] == [
        ("2027-12-27", "2027-12-27T06:00:00+01:00"),
        ("2027-12-28", "2027-12-28T06:00:00+01:00"),
    ]


def _west_coast_file() -> bytes:
    def event(n: int, when: str, title: str) -> dict:
        return {
            "guid": f"bbbbbbbb-0000-4000-8000-00000000000{n}",
            "id": n,
            "date": when,
            "start": when[11:16],
            "duration": "01:00",
            "room": "Stage",
            "title": title,
            "type": "Talk",
            "language": "en",
            "persons": [],
        }

    return json.dumps(
        {
            "schedule": {
                "version": "1",
                "conference": {
                    "acronym": "westquirk",
                    "title": "West Quirk",
                    "start": "2027-03-12",
                    "end": "2027-03-13",
                    "time_zone_name": "America/Los_Angeles",
                    "days": [
                        {
                            "index": 1,
                            "date": "2027-03-12",
                            "day_start": "2027-03-12T05:00:00-08:00",
                            "day_end": "2027-03-13T05:00:00-08:00",
                            "rooms": {
                                "Stage": [
                                    event(1, "2027-03-12T09:00:00-08:00", "Morning"),
                                    event(2, "2027-03-12T23:30:00-08:00", "Late show"),
                                    event(3, "2027-03-13T02:00:00-08:00", "Later show"),
                                ]
                            },
                        },
                        {
                            "index": 2,
                            "date": "2027-03-13",
                            "day_start": "2027-03-13T05:00:00-08:00",
                            "day_end": "2027-03-14T05:00:00-07:00",
                            "rooms": {"Stage": [event(4, "2027-03-13T10:00:00-08:00", "Second morning")]},
                        },
                    ],
                },
            }
        }
    ).encode()


def test_day_change_of_a_file_in_another_zone_keeps_its_sessions_on_their_days_in_the_events_zone():
    schedule = parse(_west_coast_file(), "application/json", "Europe/Berlin")
    in_berlin = fit_day_change(schedule, "Europe/Berlin")
    assert (schedule.day_change, in_berlin) == (time(5), time(14))  # 05:00 in Los Angeles is 14:00 in Berlin
    assert {s.title: conference_day(s.starts_at, BERLIN, in_berlin) for s in schedule.sessions} == {
        "Morning": date(2027, 3, 12),
        "Late show": date(2027, 3, 12),
        "Later show": date(2027, 3, 12),
        "Second morning": date(2027, 3, 13),
    }


# schedule.json version 2 (as the hub writes it): events in one list beside the days, room and track as objects,
# participants whose biographies are in schedule.persons, translated room descriptions, a logo object.
VERSION_2 = {
    "schedule": {
        "version": "2",
        "conference": {
            "acronym": "quirk2",
            "title": "Quirk Two",
            "start": "2027-12-27T09:30:00+00:00",
            "end": "2027-12-28T17:00:00+00:00",
            "time_zone_name": "Europe/Berlin",
            "tracks": [{"name": "Making", "slug": "making", "colors": {"light": "#123456", "dark": "#654321"}}],
            "rooms": [
                {
                    "name": "Dome",
                    "guid": "cccccccc-0000-4000-8000-000000000001",
                    "capacity": 40,
                    "description": {"en": "The round one", "de": "Die runde"},
                },
            ],
            "days": [
                {
                    "index": 1,
                    "date": "2027-12-27",
                    "start": "2027-12-27T09:30:00+00:00",
                    "end": "2027-12-28T06:00:00+01:00",
                },
                {
                    "index": 2,
                    "date": "2027-12-28",
                    "start": "2027-12-28T06:00:00+01:00",
                    "end": "2027-12-29T06:00:00+01:00",
                },
            ],
        },
        "events": [
            {
                "type": "talk",
                "guid": "cccccccc-0000-4000-8000-000000000010",
                "start": "2027-12-28T00:15:00+01:00",
                "end": "2027-12-28T00:55:00+01:00",
                "room": {"guid": "cccccccc-0000-4000-8000-000000000001"},
                "title": "Soldering at night",
                "subtitle": None,
                "language": "en",
                "track": {"slug": "making"},
                "abstract": "Irons hot.",
                "logo": {"url": "https://quirk.example.org/logo.png"},
                "participants": [
                    {"guid": "cccccccc-0000-4000-8000-000000000020", "name": "Vera Volt", "role": "speaker"}
                ],
                "links": [{"type": "activitypub", "url": "https://quirk.example.org/@vera"}],
            },
            {
                "type": "other",
                "guid": "cccccccc-0000-4000-8000-000000000011",
                "start": "2027-12-28T10:00:00+01:00",
                "end": "2027-12-28T10:30:00+01:00",
                "room": {"name": "Dome"},
                "title": "Breakfast briefing",
                "language": "de",
                "track": None,
                "participants": [],
            },
        ],
        "persons": [
            {"guid": "cccccccc-0000-4000-8000-000000000020", "name": "Vera Volt", "biography": "Makes things."}
        ],
    }
}


def test_schedule_json_version_2_reads_its_events_beside_the_days():
    schedule = parse(json.dumps(VERSION_2).encode(), "application/json", "Europe/Berlin")
    night, morning = sorted(schedule.sessions, key=lambda s: s.starts_at)
    assert (night.title, night.room, night.track, night.logo, night.day) == (
        "Soldering at night",
        "Dome",
        "Making",
        "https://quirk.example.org/logo.png",
        date(2027, 12, 27),
    )
    assert [(p.name, p.biography, p.role) for p in night.persons] == [("Vera Volt", "Makes things.", "speaker")]
    assert (morning.room, morning.day, schedule.day_change) == ("Dome", date(2027, 12, 28), time(6))
    assert [(r.name, r.capacity, r.description) for r in schedule.rooms] == [("Dome", 40, "The round one")]
    assert [(t.name, t.color) for t in schedule.tracks] == [("Making", "#123456")]
    assert json.loads(build_json(schedule)) and build_xml(schedule)


def test_schedule_json_version_2_event_without_room_is_refused_naming_it():
    document = json.loads(json.dumps(VERSION_2))
    del document["schedule"]["events"][1]["room"]
    with pytest.raises(ScheduleFormatError) as caught:
        parse(json.dumps(document).encode(), "application/json", "Europe/Berlin")
    assert caught.value.problems == [
        (
            "schedule.events[1] (session guid=cccccccc-0000-4000-8000-000000000011 'Breakfast briefing')",
            "'room' is missing",
        )
    ]


# A generator that writes the schedule's content bare (no "schedule" wrapper), the start as a full date-time and
# no "date", day starts as bare times, and 0 for every id it does not know.
BARE = {
    "version": "2027-06-01",
    "conference": {
        "acronym": "quirk3",
        "title": "Quirk Three",
        "start": "2027-06-05",
        "end": "2027-06-05",
        "time_zone_name": "Europe/Berlin",
        "days": [
            {
                "index": 1,
                "date": "2027-06-05",
                "day_start": "10:30",
                "day_end": "21:45",
                "rooms": {
                    "Stage 1": [
                        {
                            "guid": "https://quirk.example.org/session/welcome",
                            "id": 0,
                            "start": "2027-06-05T10:30:00+02:00",
                            "duration": "0:45",
                            "room": "Stage 1",
                            "title": "Welcome",
                            "type": "Vortrag",
                            "language": ["de", "en"],
                            "persons": [
                                {"id": 0, "name": "Anna Null", "public_name": "Anna Null"},
                                {"id": 0, "name": "Bert Null", "public_name": "Bert Null"},
                            ],
                        },
                        {
                            "guid": "https://quirk.example.org/session/second",
                            "id": 0,
                            "start": "2027-06-05T11:30:00+02:00",
                            "duration": 90,
                            "room": "Stage 1",
                            "title": "Second",
                            "track": {"name": "Fun"},
                            "persons": [{"id": 0, "public_name": "Anna Null"}],
                        },
                    ]
                },
            }
        ],
    },
}


def test_bare_document_with_datetime_starts_and_zero_ids_is_read_with_people_kept_apart():
    schedule = parse(json.dumps(BARE).encode(), "", "Europe/Berlin")
    first, second = sorted(schedule.sessions, key=lambda s: s.starts_at)
    assert (first.starts_at.astimezone(BERLIN).isoformat(), (first.ends_at - first.starts_at).seconds // 60) == (
        "2027-06-05T10:30:00+02:00",
        45,
    )
    assert ((second.ends_at - second.starts_at).seconds // 60, second.track) == (90, "Fun")
    assert (first.languages, first.language) == ("de, en", "de")
    keys = [p.key for p in first.persons]
    assert (keys, second.persons[0].key, first.persons[0].id) == (
        ["name:anna null", "name:bert null"],
        "name:anna null",
        None,
    )
    assert schedule.day_change == time(10, 30)


OLD_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<schedule><conference><title>Quirk Four</title><start>2027-08-20</start><end>2027-08-21</end>
  <time_zone_name>Europe/Berlin</time_zone_name></conference>
  <day date="2027-08-20" index="1"><room name="Tent">
    <event id="1"><start>10:00</start><duration>01:00</duration><title>Camp opening</title></event>
    <event id="2"><start>23:30</start><duration>01:00</duration><title>Fire show</title></event>
    <event id="3"><start>00:45</start><duration>00:30</duration><title>Star gazing</title></event>
  </room></day>
  <day date="2027-08-21" index="2"><room name="Tent">
    <event id="4"><start>09:00</start><duration>00:30</duration><title>Morning swim</title></event>
    <event id="5"><start>17:00</start><duration>00:30</duration><title>Farewell</title></event>
  </room></day>
</schedule>"""


def test_xml_without_day_starts_puts_a_night_session_on_the_next_date():
    schedule = parse(OLD_XML, "application/xml", "Europe/Berlin")
    starts = {s.title: s.starts_at.astimezone(BERLIN).isoformat() for s in schedule.sessions}
    assert starts == {
        "Camp opening": "2027-08-20T10:00:00+02:00",
        "Fire show": "2027-08-20T23:30:00+02:00",
        "Star gazing": "2027-08-21T00:45:00+02:00",
        "Morning swim": "2027-08-21T09:00:00+02:00",
        "Farewell": "2027-08-21T17:00:00+02:00",
    }
    placed = {s.title: day for day, sessions in days_of(schedule) for s in sessions}
    assert (placed["Star gazing"], placed["Morning swim"]) == (date(2027, 8, 20), date(2027, 8, 21))


def test_odd_json_values_are_read_or_refused_saying_where_never_a_crash():
    document = json.loads(json.dumps(BARE))
    document["conference"]["start"] = 20270605  # a number, not a date
    document["conference"]["days"][0]["rooms"]["Stage 1"][0]["end"] = "half past ten"
    with pytest.raises(ScheduleFormatError) as caught:
        parse(json.dumps(document).encode(), "application/json", "Europe/Berlin")
    assert caught.value.problems == [
        (
            "schedule.conference.days[0].rooms['Stage 1'][0]"
            " (session guid=https://quirk.example.org/session/welcome 'Welcome')",
            "'end' 'half past ten' is not a date-time like 2027-05-18T10:00:00+02:00",
        )
    ]
    del document["conference"]["days"][0]["rooms"]["Stage 1"][0]["end"]
    assert parse(json.dumps(document).encode(), "application/json", "Europe/Berlin").start == date(2027, 6, 5)


def test_files_with_a_byte_order_mark_or_in_utf16_are_read_whatever_their_content_type():
    xml = OLD_XML.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    for data in (
        b"\xef\xbb\xbf" + json.dumps(BARE).encode(),
        b"\xef\xbb\xbf" + OLD_XML,
        xml.encode("utf-16"),
        json.dumps(BARE, ensure_ascii=False).encode("utf-32"),
    ):
        assert len(parse(data, "application/octet-stream", "Europe/Berlin").sessions) in (2, 5)
    with pytest.raises(ScheduleFormatError) as caught:
        parse(b"\xff\xfe\x00\xd8", "application/json")
    assert caught.value.problems == [("body", "not UTF-16 text as its byte order mark says")]


def test_xml_link_title_and_type_and_session_code_as_child_elements_are_kept():
    data = b"""<schedule><conference><title>Quirk Five</title><time_zone_name>Europe/Berlin</time_zone_name>
      </conference><day date="2027-12-27" index="1"><room name="Hall">
      <event guid="dddddddd-0000-4000-8000-000000000001" id="1"><date>2027-12-27T11:00:00+01:00</date>
        <duration>00:40</duration><room>Hall</room><title>Links inside out</title><type>Talk</type>
        <links><link href="https://quirk.example.org/paper">
          <type>paper</type>
          <title>The paper</title>
        </link><link href="https://quirk.example.org/plain" type="web">Plain</link></links>
        <code>QRK5AB</code></event>
    </room></day></schedule>"""
    session = parse(data, "application/xml").sessions[0]
    assert ([(x.url, x.title, x.type) for x in session.links], session.code) == (
        [
            ("https://quirk.example.org/paper", "The paper", "paper"),
            ("https://quirk.example.org/plain", "Plain", "web"),
        ],
        "QRK5AB",
    )
    event = json.loads(build_json(parse(data, "application/xml")))["schedule"]["conference"]["days"][0]["rooms"]
    assert (event["Hall"][0]["code"], event["Hall"][0]["links"][0]["title"]) == ("QRK5AB", "The paper")


@pytest.mark.parametrize(
    "document, content_type",
    [
        (b'{"talks": [{"title": "A talk"}], "version": "1"}', "application/json"),  # a pretalx widget or API file
        (b"<schedule><version>1</version><day/></schedule>", "application/xml"),
        (b"<europython><talk/></europython>", "application/xml"),
    ],
)
def test_a_file_that_is_no_frab_schedule_says_what_to_export_instead(document, content_type):
    with pytest.raises(ScheduleFormatError) as refused:
        parse(document, content_type, "Europe/Berlin")
    assert "export the programme" in refused.value.problems[0][1]


# A session edited in one place only: its <date> says 11:00 in Berlin, its <start> still 10:00. The others agree:
# one past midnight (listed under the day before), one in the second pass of the hour the clocks go back (written
# in UTC), one whose zone the file names wrongly (UTC) but whose date and start agree at the offset written.
DISAGREEING_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<schedule><version>3</version>
  <conference><acronym>quirk6</acronym><title>Quirk Six</title><start>2027-10-30</start><end>2027-10-31</end>
    <time_zone_name>Europe/Berlin</time_zone_name></conference>
  <day date="2027-10-30" index="1" start="2027-10-30T06:00:00+02:00" end="2027-10-31T06:00:00+01:00">
    <room name="Hall">
      {_event("cccccccc-0000-4000-8000-000000000001", 1, "2027-10-30T11:00:00+02:00", "10:00", "Edited in one place")}
      {_event("cccccccc-0000-4000-8000-000000000002", 2, "2027-10-31T00:30:00+02:00", "00:30", "Past midnight")}
      {_event("cccccccc-0000-4000-8000-000000000003", 3, "2027-10-31T01:30:00Z", "02:30", "The hour again")}
    </room>
  </day>
</schedule>""".encode()


def test_a_start_that_disagrees_with_the_date_is_read_by_the_date_with_a_warning_naming_both():
    schedule = parse(DISAGREEING_XML, "application/xml", "UTC")
    starts = {s.title: s.starts_at.astimezone(BERLIN).isoformat() for s in schedule.sessions}
    assert starts == {
        "Edited in one place": "2027-10-30T11:00:00+02:00",
        "Past midnight": "2027-10-31T00:30:00+02:00",
        "The hour again": "2027-10-31T02:30:00+01:00",
    }
    [(where, what)] = schedule.warnings
    assert "guid=cccccccc-0000-4000-8000-000000000001" in where and "'Edited in one place'" in where
    assert what == (
        "<start> '10:00' disagrees with <date> '2027-10-30T11:00:00+02:00', which is 11:00 in Europe/Berlin: "
        "the session is imported at 11:00 as <date> says; check the file"
    )


def test_a_json_start_that_disagrees_with_the_date_is_warned_of_and_agreeing_ones_are_not():
    def event(n: int, date_time: str, start: str, title: str) -> dict:
        return {
            "guid": f"dddddddd-0000-4000-8000-00000000000{n}",
            "id": n,
            "title": title,
            "date": date_time,
            "start": start,
            "duration": "00:45",
            "room": "Hall",
            "type": "Talk",
            "persons": [],
        }

    def document(zone: str, events: list[dict]) -> bytes:
        conference = {
            "acronym": "quirk7",
            "title": "Quirk Seven",
            "start": "2027-06-01",
            "end": "2027-06-01",
            "time_zone_name": zone,
            "days": [{"index": 1, "date": "2027-06-01", "rooms": {"Hall": events}}],
        }
        return json.dumps({"schedule": {"version": "1", "conference": conference}}).encode()

    edited = document(
        "America/Bogota",
        [
            event(1, "2027-06-01T09:00:00-05:00", "09:00", "Agrees"),
            event(2, "2027-06-01T14:30:00-05:00", "13:30", "Moved in one place"),
        ],
    )
    # pretalx names UTC as the zone of a conference whose times it writes at +01:00: date and start agree there.
    pretalx = document("UTC", [event(3, "2027-06-01T09:00:00+01:00", "09:00", "Written at its offset")])

    schedule = parse(edited, "application/json", "Europe/Berlin")
    [(where, what)] = schedule.warnings
    assert [s.starts_at.isoformat() for s in schedule.sessions] == [
        "2027-06-01T14:00:00+00:00",
        "2027-06-01T19:30:00+00:00",
    ]
    assert where == (
        "schedule.conference.days[0].rooms['Hall'][1] (session guid=dddddddd-0000-4000-8000-000000000002 "
        "'Moved in one place')"
    )
    assert what.startswith("'start' '13:30' disagrees with 'date' '2027-06-01T14:30:00-05:00', which is 14:30 in ")
    assert parse(pretalx, "application/json", "Europe/Berlin").warnings == []


def test_our_own_exports_and_the_quirky_files_give_no_warning():
    for data, content_type in (
        (LATE_FIRST_DAY, "application/xml"),
        (_west_coast_file(), "application/json"),
        (json.dumps(VERSION_2).encode(), "application/json"),
        (json.dumps(BARE).encode(), "application/json"),
    ):
        schedule = parse(data, content_type, "Europe/Berlin")
        assert schedule.warnings == []
        assert parse(build_json(schedule)).warnings == parse(build_xml(schedule)).warnings == []
    edited = parse(DISAGREEING_XML, "application/xml", "UTC")
    assert parse(build_json(edited)).warnings == parse(build_xml(edited)).warnings == []
