"""The pure helpers between the pages' forms and the services: stored values shown in a form and read back
unchanged, and change-log entries typed for display."""
from __future__ import annotations

from datetime import datetime

from events_app.web.pages.agenda import change_rows
from events_app.web.pages.delegate import answer_values, answers_from_form

QUESTIONS = [
    {"code": "dietary", "kind": "single_choice"}, {"code": "topics", "kind": "multiple_choice"},
    {"code": "interpretation", "kind": "yes_no"}, {"code": "arrival", "kind": "date"},
    {"code": "notes", "kind": "long_text"},
]


def test_stored_answers_survive_the_form_round_trip():
    stored = {"dietary": "Vegan", "topics": ["Climate", "Housing"], "interpretation": False, "arrival": "2026-10-05"}
    values = answer_values(QUESTIONS, stored)
    assert values == {"answers.dietary": "Vegan", "answers.topics": ["Climate", "Housing"],
                      "answers.interpretation": "no", "answers.arrival": "2026-10-05"}
    assert answers_from_form(QUESTIONS, values) == stored


def test_change_log_rows_are_typed_for_display():
    rows = change_rows("moved", {
        "starts_at": {"from": "2026-10-06T01:30:00+00:00", "to": "2026-10-06T07:00:00+00:00"},
        "room_id": {"from": 1, "to": None}, "requires_booking": {"from": False, "to": True},
        "status": {"from": "published", "to": "cancelled"}}, {1: "Harbour Hall"}, {})
    assert rows == [
        {"field": "starts_at", "from": {"time": datetime.fromisoformat("2026-10-06T01:30:00+00:00")},
         "to": {"time": datetime.fromisoformat("2026-10-06T07:00:00+00:00")}},
        {"field": "room_id", "from": {"text": "Harbour Hall"}, "to": {"word": "No room"}},
        {"field": "requires_booking", "from": {"word": "No"}, "to": {"word": "Yes"}},
        {"field": "status", "from": {"word": "published"}, "to": {"word": "cancelled"}}]


def test_a_new_session_shows_only_the_fields_it_was_given():
    rows = change_rows("created", {"title": {"from": None, "to": "Opening"}, "abstract": {"from": None, "to": ""},
                                   "requires_booking": {"from": None, "to": False},
                                   "people": {"from": None, "to": {"name": "Ana", "role": "speaker"}}}, {}, {})
    assert [(r["field"], r["to"]) for r in rows] == [("title", {"text": "Opening"}),
                                                    ("people", {"text": "Ana (speaker)"})]
