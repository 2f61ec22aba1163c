"""The pure helpers between the pages' forms and the services: stored values shown in a form and read back
unchanged, and change-log entries typed for display."""
from __future__ import annotations

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
