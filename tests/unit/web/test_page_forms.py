"""The pure helpers between the pages' forms and the services: stored values shown in a form and read back
unchanged, and change-log entries typed for display."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from events_app.domain.errors import InvalidInput
from events_app.web.pages.agenda import change_rows
from events_app.web.pages.coordinator import agenda_text, move_changes, parse_agenda, series_changes
from events_app.web.pages.delegate import answer_values, answers_from_form

QUESTIONS = [
    {"code": "dietary", "kind": "single_choice"},
    {"code": "topics", "kind": "multiple_choice"},
    {"code": "interpretation", "kind": "yes_no"},
    {"code": "arrival", "kind": "date"},
    {"code": "notes", "kind": "long_text"},
]


def test_stored_answers_survive_the_form_round_trip():
    stored = {"dietary": "Vegan", "topics": ["Climate", "Housing"], "interpretation": False, "arrival": "2026-10-05"}
    values = answer_values(QUESTIONS, stored)
    assert values == {
        "answers.dietary": "Vegan",
        "answers.topics": ["Climate", "Housing"],
        "answers.interpretation": "no",
        "answers.arrival": "2026-10-05",
    }
    assert answers_from_form(QUESTIONS, values) == stored


def test_agenda_items_survive_the_form_round_trip():
    items = [
        {"title": "Round of cities", "duration_minutes": 30, "presenter": ""},
        {"title": "Sensor data", "duration_minutes": None, "presenter": "Lund"},
        {"title": "Next steps", "duration_minutes": None, "presenter": ""},
    ]
    text = agenda_text(items)
    assert text == "Round of cities | 30\nSensor data |  | Lund\nNext steps"
    assert parse_agenda(text + "\n\n") == (items, [])


def test_unreadable_agenda_minutes_are_reported_by_line():
    items, errors = parse_agenda("Welcome | 10\n\nRound of cities | half an hour")
    assert [(e.field, e.message) for e in errors] == [("agenda", "line 3: the minutes must be a whole number")]
    assert [i["title"] for i in items] == ["Welcome", "Round of cities"]


def test_series_form_reports_unreadable_fields_with_the_other_problems():
    with pytest.raises(InvalidInput) as refused:
        series_changes({"title": "", "mode": "online", "start": "soon", "duration_minutes": "90", "online_url": ""})
    assert sorted(e.field for e in refused.value.errors) == ["online_url", "start", "title"]


def test_move_form_sends_only_what_changed():
    berlin = ZoneInfo("Europe/Berlin")
    current = {
        "starts_at": datetime(2027, 3, 2, 14, tzinfo=berlin),
        "ends_at": datetime(2027, 3, 2, 15, 30, tzinfo=berlin),
        "location": "UN Campus",
        "online_url": "https://meet.example.org/a",
    }
    form = {"starts_at": "2027-03-03T10:00", "ends_at": "2027-03-02T15:30", "location": "UN Campus", "online_url": ""}
    assert move_changes(form, current) == {"starts_at": datetime(2027, 3, 3, 10)}
    with pytest.raises(InvalidInput) as nothing:
        move_changes({**form, "starts_at": "2027-03-02T14:00"}, current)
    assert nothing.value.detail.startswith("Nothing changed")


def test_change_log_rows_are_typed_for_display_in_the_agenda_field_order():
    rows = change_rows(
        "moved",
        {
            "status": {"from": "published", "to": "cancelled"},
            "starts_at": {"from": "2026-10-06T01:30:00+00:00", "to": "2026-10-06T07:00:00+00:00"},
            "room_id": {"from": 1, "to": None},
            "requires_booking": {"from": False, "to": True},
        },
        {1: "Harbour Hall"},
        {},
    )
    assert rows == [
        {
            "field": "starts_at",
            "from": {"time": datetime.fromisoformat("2026-10-06T01:30:00+00:00")},
            "to": {"time": datetime.fromisoformat("2026-10-06T07:00:00+00:00")},
        },
        {"field": "room_id", "from": {"text": "Harbour Hall"}, "to": {"word": "No room"}},
        {"field": "status", "from": {"word": "published"}, "to": {"word": "cancelled"}},
        {"field": "requires_booking", "from": {"word": "No"}, "to": {"word": "Yes"}},
    ]


def test_a_new_session_shows_only_the_fields_it_was_given():
    rows = change_rows(
        "created",
        {
            "title": {"from": None, "to": "Opening"},
            "abstract": {"from": None, "to": ""},
            "requires_booking": {"from": None, "to": False},
            "people": {"from": None, "to": {"name": "Ana", "role": "speaker"}},
        },
        {},
        {},
    )
    assert [(r["field"], r["to"]) for r in rows] == [
        ("title", {"text": "Opening"}),
        ("people", {"text": "Ana (speaker)"}),
    ]


def test_calendar_update_rows_read_both_change_shapes_and_keep_start_and_end():
    from events_app.web.pages.agenda import update_rows

    changes = [
        {
            "by": "o@example.org",
            "fields": {"starts_at": {"from": "2027-03-02T09:00:00+00:00", "to": "2027-03-02T10:00:00+00:00"}},
        },
        {
            "by": "o@example.org",
            "fields": {
                "starts_at": {"from": "2027-03-02T10:00:00+00:00", "to": "2027-03-02T11:00:00+00:00"},
                "room_id": {"from": 1, "to": 2},
            },
        },
        {"by": "o@example.org", "fields": {"city": ["Bonn", "Cologne"], "status": ["published", "published"]}},
    ]
    rows = update_rows(changes, {1: "Hall A", 2: "Hall B"}, {})
    assert [(r["field"], r["from"], r["to"]) for r in rows] == [
        (
            "starts_at",
            {"time": datetime(2027, 3, 2, 9, tzinfo=timezone.utc)},
            {"time": datetime(2027, 3, 2, 11, tzinfo=timezone.utc)},
        ),
        ("room_id", {"text": "Hall A"}, {"text": "Hall B"}),
        ("city", {"text": "Bonn"}, {"text": "Cologne"}),
    ]
