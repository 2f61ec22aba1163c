"""The schedule exchange's pure rules: HTML kept safe, languages and types as given, person identities by source,
conference days by their day change, and broken files refused saying which session and where."""

import json
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from events_app.domain.schedule import (
    ScheduleFormatError,
    build_json,
    build_xml,
    conference_day,
    day_window,
    export_acronym,
    parse,
    safe_html,
)
from events_app.web.pages.agenda import grid_layout

BERLIN = ZoneInfo("Europe/Berlin")

XML = b"""<?xml version="1.0" encoding="utf-8"?>
<schedule>
  <conference><title>Night Congress</title><start>2027-10-29</start><end>2027-10-30</end>
    <day_change>06:00:00</day_change></conference>
  <tracks><track>Declared only</track><track>Music</track></tracks>
  <day index="1" date="2027-10-29">
    <room name="Ada">
      <event id="10"><start>23:30</start><duration>03:00</duration><room>Ada</room><title>Late set</title>
        <type>concert</type><track>Music</track><language>de, en</language>
        <abstract>&lt;p onclick="x()"&gt;Loud &lt;script&gt;alert(1)&lt;/script&gt;music&lt;/p&gt;</abstract>
        <description>&lt;a href="javascript:alert(1)"&gt;bad&lt;/a&gt; &lt;a href="https://ok.example.org"&gt;ok&lt;/a&gt;</description>
        <persons><person id="7">DJ One</person></persons>
        <links><link href="https://ok.example.org/slides">Slides</link></links></event>
      <event id="11"><start>02:00</start><duration>00:30</duration><room>Ada</room><title>After hours</title>
        <type>talk</type><language/><persons/></event>
    </room>
  </day>
</schedule>
"""


def test_safe_html_keeps_structure_and_links_and_drops_what_runs():
    assert safe_html(
        '<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:x">j</a> '
        '<a href="https://a.example" target="_blank">ok</a><img src=x onerror=y></p>'
    ) == ('<p>Hi <a>j</a> <a href="https://a.example">ok</a></p>')


def test_safe_html_leaves_text_and_markdown_alone():
    assert safe_html("if a < b, see [docs](https://x.example)") == "if a < b, see [docs](https://x.example)"


def test_xml_without_zone_is_read_in_the_event_zone_and_night_session_stays_on_its_day():
    schedule = parse(XML, default_tzid="Europe/Berlin")
    late = schedule.sessions[1]
    assert (schedule.tzid, schedule.day_change, late.starts_at.astimezone(BERLIN).isoformat()) == (
        "Europe/Berlin",
        time(6),
        "2027-10-30T02:00:00+02:00",
    )
    assert conference_day(late.starts_at, BERLIN, schedule.day_change) == date(2027, 10, 29)


def test_parse_keeps_type_languages_texts_links_and_declared_tracks():
    s = parse(XML, default_tzid="Europe/Berlin").sessions[0]
    schedule = parse(XML, default_tzid="Europe/Berlin")
    assert (s.kind, s.type, s.languages, s.language, s.abstract) == ("talk", "concert", "de, en", "de", "Loud music")
    assert (s.abstract_source, s.description) == (
        "<p>Loud music</p>",
        '<a>bad</a> <a href="https://ok.example.org">ok</a>',
    )
    assert ([x.url for x in s.links], [t.name for t in schedule.tracks]) == (
        ["https://ok.example.org/slides"],
        ["Declared only", "Music"],
    )


def test_no_language_is_not_invented():
    assert parse(XML, default_tzid="Europe/Berlin").sessions[1].languages == ""


def test_person_without_guid_is_known_by_source_id_only():
    person = parse(XML, default_tzid="Europe/Berlin").sessions[0].persons[0]
    assert (person.key, person.source_guid, person.id) == ("id:7", None, 7)


@pytest.mark.parametrize("build", [build_json, build_xml])
def test_export_reparses_with_the_same_days_and_texts(build):
    original = parse(XML, default_tzid="Europe/Berlin")
    again = parse(build(original))
    assert [(s.guid, s.type, s.languages, s.description, s.abstract_source) for s in again.sessions] == [
        (s.guid, s.type, s.languages, s.description, s.abstract_source) for s in original.sessions
    ]
    assert again.day_change == time(6)


def test_export_days_never_overlap_and_keep_night_sessions():
    days = json.loads(build_json(parse(XML, default_tzid="Europe/Berlin")))["schedule"]["conference"]["days"]
    assert [(d["date"], d["day_start"], d["day_end"], len(d["rooms"].get("Ada", []))) for d in days] == [
        ("2027-10-29", "2027-10-29T06:00:00+02:00", "2027-10-30T06:00:00+02:00", 2)
    ]


def test_export_acronym_fits_both_schemas():
    assert [export_acronym(a) for a in ("36c3", "Camp2019", "rc3-channels-2020")] == [
        "36c3",
        "camp2019",
        "rc3_channels_2020",
    ]


def test_raw_nul_in_json_names_the_session_and_path():
    document = json.loads(build_json(parse(XML, default_tzid="Europe/Berlin")))
    event = document["schedule"]["conference"]["days"][0]["rooms"]["Ada"][0]
    event["title"] = "Late\u0000set"
    data = json.dumps(document).replace("\\u0000", "\u0000").encode()
    with pytest.raises(ScheduleFormatError) as caught:
        parse(data)
    where, what = caught.value.problems[0]
    assert (where, "NUL" in what) == (
        f"$.schedule.conference.days[0].rooms['Ada'][0].title (session guid={event['guid']} 'Lateset')",
        True,
    )


def test_raw_nul_in_xml_names_the_session_and_line():
    with pytest.raises(ScheduleFormatError) as caught:
        parse(XML.replace(b"After hours", b"After\x00hours"))
    assert caught.value.problems[0][0] == "line 14 (<title>) in session id=11 'Afterhours'"


def test_unknown_room_reference_is_refused_naming_the_session():
    with pytest.raises(ScheduleFormatError) as caught:
        parse(XML.replace(b"<room>Ada</room><title>After", b"<room>Babbage</room><title>After"))
    assert caught.value.problems == [
        (
            "line 14 (<event id=11> 'After hours')",
            "<room> 'Babbage' is not one of the file's rooms: use the name of a <room> of a day",
        )
    ]


def test_day_windows_touch():
    first = day_window(date(2027, 10, 30), BERLIN, time(4))
    second = day_window(date(2027, 10, 31), BERLIN, time(4))
    assert first[1] == second[0]


def test_grid_runs_past_midnight_for_the_night_of_its_day():
    start = datetime(2027, 10, 30, 1, 0, tzinfo=BERLIN)
    night = {"id": 1, "starts_at": start, "ends_at": start.replace(hour=2), "status": "published", "room": None}
    layout = grid_layout([night], [], date(2027, 10, 29), "Europe/Berlin", time(6))
    placed = layout["sessions"][0]
    assert (layout["times"][0][1], layout["times"][-1][1], dict(layout["times"])[placed["row"]]) == (
        "08:00",
        "01:30",
        "01:00",
    )


def _strings(value) -> list[str]:
    import dataclasses

    if isinstance(value, str):
        return [value]
    if dataclasses.is_dataclass(value):
        return [s for f in dataclasses.fields(value) for s in _strings(getattr(value, f.name))]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def test_escaped_nul_anywhere_in_json_is_repaired_not_stored():
    """An escaped U+0000 is valid JSON: like any control character in a file someone else wrote, it is repaired
    (domain.text), in every text the file gives, so nothing unstorable reaches the database."""
    document = json.loads(build_json(parse(XML, default_tzid="Europe/Berlin")))
    conference = document["schedule"]["conference"]
    event = conference["days"][0]["rooms"]["Ada"][0]
    for key in ("url", "slug", "subtitle", "type", "language", "abstract", "description", "logo", "code"):
        event[key] = f"x\u0000{event.get(key) or 'y'}"
    event["recording_license"] = "CC\u0000BY"
    event["links"] = [{"url": "https://a.example/\u0000", "title": "t\u0000", "type": "web\u0000"}]
    event["persons"][0].update({"name": "D\u0000J", "biography": "b\u0000", "code": "AB\u0000"})
    event["persons"].append({"name": "No\u0000Id"})
    conference["url"], conference["timeslot_duration"] = "https://c.example/\u0000", "00:05\u0000"
    conference["tracks"][0]["color"] = "#123456\u0000"
    schedule = parse(json.dumps(document).encode())
    assert [s for s in _strings(schedule) if "\x00" in s] == []
