"""frab schedule.xml / schedule.json: our exports validate against voc/schedule's schemas; real-world files import."""

import json
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from events_app.domain.schedule import (
    Schedule,
    ScheduleFormatError,
    SchedulePerson,
    ScheduleRoom,
    ScheduleSession,
    ScheduleTrack,
    acronym_for,
    build_json,
    build_xml,
    days_of,
    kind_of,
    parse,
    plain_text,
)
from tests.agenda_fixtures import validate_schedule_json, validate_schedule_xml

ZONE = ZoneInfo("Europe/Berlin")
UTC = timezone.utc


def schedule(**overrides) -> Schedule:
    start = datetime(2027, 10, 30, 9, 0, tzinfo=ZONE)
    sessions = [
        ScheduleSession(
            "0f6a8a48-4a7d-4d4e-9f6b-2b1d1f3a0001",
            1,
            "Opening plenary",
            "plenary",
            start,
            start + timedelta(hours=1, minutes=30),
            "Hall A",
            "Resilient",
            "en",
            "Welcome & <goals>",
            "https://stream.example.org/a",
            "https://congress.example.org/s/1",
            [SchedulePerson("5a0d7f0e-0000-4000-8000-000000000001", "Ana Lima", "moderator", "City of Recife", 11)],
        ),
        # 23:30 to 01:00: past midnight; stays on its starting day
        ScheduleSession(
            "0f6a8a48-4a7d-4d4e-9f6b-2b1d1f3a0002",
            2,
            "Night walk: urban heat",
            "site_visit",
            start.replace(hour=23, minute=30),
            start.replace(hour=23, minute=30) + timedelta(hours=1.5),
            "Courtyard",
            None,
            "es",
            "",
            "",
            "https://congress.example.org/s/2",
        ),
        # 31 October: clocks go back at 03:00, so 02:00-04:00 wall clock lasts three hours
        ScheduleSession(
            "0f6a8a48-4a7d-4d4e-9f6b-2b1d1f3a0003",
            3,
            "Circular economy lab",
            "workshop",
            datetime(2027, 10, 31, 2, 0, tzinfo=ZONE),
            datetime(2027, 10, 31, 4, 0, tzinfo=ZONE),
            "Hall A",
            "Circular",
            "en",
            "",
            "",
            "https://congress.example.org/s/3",
        ),
    ]
    values = dict(
        title="World Congress on Local Climate Action",
        acronym=acronym_for("World Congress", 7),
        tzid="Europe/Berlin",
        start=date(2027, 10, 30),
        end=date(2027, 11, 1),
        version="v3",
        sessions=sessions,
        rooms=[
            ScheduleRoom("Hall A", "8e9c3b2a-0000-4000-8000-00000000000a", 800),
            ScheduleRoom("Courtyard", "8e9c3b2a-0000-4000-8000-00000000000b"),
        ],
        tracks=[ScheduleTrack("Resilient", "resilient", "#1565c0"), ScheduleTrack("Circular", "circular", "#ef6c00")],
        url="https://congress.example.org/agenda",
    )
    values.update(overrides)
    return Schedule(**values)


def test_build_xml_validates_against_schema(tmp_path):
    validate_schedule_xml(build_xml(schedule()))


def test_build_json_validates_against_schema():
    validate_schedule_json(build_json(schedule()))


def test_build_json_duration_counts_real_time_across_dst_change():
    days = json.loads(build_json(schedule()))["schedule"]["conference"]["days"]
    lab = days[1]["rooms"]["Hall A"][0]
    assert (lab["date"], lab["duration"], lab["end"]) == (
        "2027-10-31T02:00:00+02:00",
        "03:00",
        "2027-10-31T04:00:00+01:00",
    )


def test_days_of_keeps_session_past_midnight_on_its_day():
    days = days_of(schedule())
    assert [(d.isoformat(), [s.id for s in ss]) for d, ss in days] == [
        ("2027-10-30", [1, 2]),
        ("2027-10-31", [3]),
        ("2027-11-01", []),
    ]


def test_build_xml_day_windows_touch_and_never_overlap():
    from lxml import etree

    days = etree.fromstring(build_xml(schedule())).findall("day")
    assert [(d.get("start"), d.get("end")) for d in days[:2]] == [
        ("2027-10-30T00:00:00+02:00", "2027-10-31T00:00:00+02:00"),
        ("2027-10-31T00:00:00+02:00", "2027-11-01T00:00:00+01:00"),
    ]


def test_day_change_keeps_night_session_on_its_congress_day():
    late = schedule(day_change=time(4, 0))
    days = json.loads(build_json(late))["schedule"]["conference"]["days"]
    assert [(d["date"], d["day_start"], sorted(e["id"] for r in d["rooms"].values() for e in r)) for d in days] == [
        ("2027-10-30", "2027-10-30T04:00:00+02:00", [1, 2, 3]),
        ("2027-10-31", "2027-10-31T04:00:00+01:00", []),
        ("2027-11-01", "2027-11-01T04:00:00+01:00", []),
    ]


@pytest.mark.parametrize("build", [build_xml, build_json])
def test_export_then_parse_gives_same_sessions(build):
    original = schedule()
    parsed = parse(build(original))
    key = lambda s: (
        s.guid,
        s.starts_at.astimezone(UTC),
        s.ends_at.astimezone(UTC),
        s.room,
        s.title,
        s.kind,
        s.track,
        s.language,
        [(p.guid, p.name) for p in s.persons],
        s.online_url,
    )
    assert sorted(map(key, parsed.sessions)) == sorted(map(key, original.sessions))


def test_parse_json_keeps_roles():
    parsed = parse(build_json(schedule()))
    assert [(p.name, p.role) for p in parsed.sessions[0].persons] == [("Ana Lima", "moderator")]


FRAB_STYLE = b"""<?xml version="1.0" encoding="utf-8"?>
<schedule>
  <version>Zuse</version>
  <conference><title>Old Congress</title><acronym>oldc</acronym><start>2019-12-27</start><end>2019-12-28</end>
    <days>2</days><timeslot_duration>00:15</timeslot_duration><time_zone_name>Europe/Berlin</time_zone_name>
    <unknown_element>ignored</unknown_element></conference>
  <day index="1" date="2019-12-27" start="2019-12-27T10:00:00+01:00" end="2019-12-28T04:00:00+01:00">
    <room name="Ada">
      <event guid="11111111-2222-4333-8444-555555555555" id="10">
        <date>2019-12-27T11:00:00+01:00</date><start>11:00</start><duration>01:00</duration>
        <room>Ada</room><title>First</title><type>Lecture</type><track>Ethics</track><language>de</language>
        <abstract>&lt;p&gt;HTML &amp;amp; &lt;b&gt;bold&lt;/b&gt; text&lt;/p&gt;</abstract>
        <persons><person id="5">Grace</person></persons><links/><extra><nested>kept out</nested></extra>
      </event>
      <event guid="11111111-2222-4333-8444-666666666666" id="10">
        <start>01:30</start><duration>00:45</duration><room>Ada</room><title>Late (same numeric id)</title>
        <type>workshop</type><track></track><abstract/></event>
    </room>
  </day>
</schedule>
"""


def test_parse_frab_style_xml_tolerates_extras_and_duplicate_ids():
    parsed = parse(FRAB_STYLE)
    assert [(s.guid[-4:], s.id, s.title, s.kind, s.track) for s in parsed.sessions] == [
        ("5555", 10, "First", "talk", "Ethics"),
        ("6666", 10, "Late (same numeric id)", "workshop", None),
    ]


def test_parse_xml_start_before_day_start_is_past_midnight():
    late = parse(FRAB_STYLE).sessions[1]
    assert (late.starts_at.astimezone(ZONE).isoformat(), late.ends_at.astimezone(ZONE).isoformat()) == (
        "2019-12-28T01:30:00+01:00",
        "2019-12-28T02:15:00+01:00",
    )


def test_parse_xml_html_abstract_becomes_text():
    assert parse(FRAB_STYLE).sessions[0].abstract == "HTML & bold text"


def test_parse_malformed_xml_says_line_and_column():
    with pytest.raises(ScheduleFormatError) as caught:
        parse(b"<schedule>\n<conference>\n<title>x</titl>\n</conference></schedule>")
    assert caught.value.problems[0][0].startswith("line 3, column ")


def test_parse_xml_session_without_date_says_which_line():
    broken = FRAB_STYLE.replace(b"<date>2019-12-27T11:00:00+01:00</date><start>11:00</start>", b"")
    with pytest.raises(ScheduleFormatError) as caught:
        parse(broken)
    assert caught.value.problems == [
        (
            "line 9 (<event guid=11111111-2222-4333-8444-555555555555> 'First')",
            "neither <date> (a date-time) nor <start> with the day's date",
        )
    ]


def test_parse_malformed_json_says_line_and_column():
    with pytest.raises(ScheduleFormatError) as caught:
        parse(b'{"schedule": {\n "conference": [}}')
    assert caught.value.problems[0][0] == "line 2, column 17"


def test_parse_json_bad_duration_names_json_path():
    document = json.loads(build_json(schedule()))
    document["schedule"]["conference"]["days"][0]["rooms"]["Hall A"][0]["duration"] = "ninety"
    del document["schedule"]["conference"]["days"][0]["rooms"]["Hall A"][0]["end"]
    with pytest.raises(ScheduleFormatError) as caught:
        parse(json.dumps(document).encode())
    assert caught.value.problems == [
        (
            "schedule.conference.days[0].rooms['Hall A'][0] "
            "(session guid=0f6a8a48-4a7d-4d4e-9f6b-2b1d1f3a0001 'Opening plenary')",
            "duration 'ninety' is not HH:MM or HH:MM:SS",
        )
    ]


def test_parse_json_pretalx_style_null_fields_and_missing_guid():
    document = {
        "schedule": {
            "version": "0.3",
            "conference": {
                "acronym": "pycon",
                "title": "PyCon",
                "start": "2027-05-01",
                "end": "2027-05-01",
                "daysCount": 1,
                "timeslot_duration": "00:05",
                "time_zone_name": "America/Sao_Paulo",
                "days": [
                    {
                        "index": 1,
                        "date": "2027-05-01",
                        "day_start": "2027-05-01T04:00:00-03:00",
                        "day_end": "2027-05-02T03:59:00-03:00",
                        "rooms": {
                            "Auditorio": [
                                {
                                    "id": 3,
                                    "code": None,
                                    "date": "2027-05-01T10:00:00-03:00",
                                    "start": "10:00",
                                    "duration": "00:30",
                                    "room": "Auditorio",
                                    "title": "Keynote",
                                    "type": "Keynote",
                                    "track": None,
                                    "language": None,
                                    "abstract": None,
                                    "persons": [{"public_name": "Rosa", "id": 4}],
                                    "links": [],
                                }
                            ]
                        },
                    }
                ],
            },
        }
    }
    session = parse(json.dumps(document).encode()).sessions[0]
    again = parse(json.dumps(document).encode()).sessions[0]
    assert (session.kind, session.language, session.abstract, session.persons[0].name, session.guid) == (
        "plenary",
        "",  # a file that names no language gets none invented
        "",
        "Rosa",
        again.guid,
    )


def test_kind_of_maps_producer_types():
    assert [kind_of(t) for t in ("Lecture", "lightning talk", "Podium", "side event", None, "Mystery")] == [
        "talk",
        "talk",
        "panel",
        "side_event",
        "talk",
        "talk",
    ]


def test_plain_text_leaves_plain_comparisons_alone():
    assert plain_text("if a < b and c > d") == "if a < b and c > d"
