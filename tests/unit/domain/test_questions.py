import pytest

from events_app.domain.errors import FieldError
from events_app.domain.questions import validate_answers, validate_question

QUESTIONS = [
    {
        "code": "diet",
        "label": "Dietary needs",
        "kind": "single_choice",
        "required": True,
        "options": ["none", "vegetarian", "vegan", "halal"],
    },
    {
        "code": "topics",
        "label": "Topics",
        "kind": "multiple_choice",
        "required": False,
        "options": ["circular", "resilient", "nature-based"],
    },
    {"code": "site_visit", "label": "Site visit", "kind": "yes_no", "required": False, "options": []},
    {"code": "passport_country", "label": "Passport country", "kind": "country", "required": False, "options": []},
    {"code": "arrival", "label": "Arrival date", "kind": "date", "required": False, "options": []},
    {"code": "bio", "label": "Short bio", "kind": "long_text", "required": False, "options": []},
]


def test_valid_answers_are_cleaned():
    clean, errors = validate_answers(
        QUESTIONS,
        {
            "diet": "vegan",
            "topics": ["circular"],
            "site_visit": True,
            "passport_country": "KE",
            "arrival": "2027-05-17",
            "bio": "  Planner  ",
        },
    )
    assert errors == []
    assert clean["bio"] == "Planner"


def test_missing_required_answer_names_the_question():
    _, errors = validate_answers(QUESTIONS, {})
    assert errors == [FieldError("answers.diet", "'Dietary needs' is required")]


@pytest.mark.parametrize(
    ("code", "value"),
    [
        ("diet", "pescatarian"),
        ("topics", ["circular", "circular"]),
        ("site_visit", "yes"),
        ("passport_country", "Kenya"),
        ("arrival", "17/05/2027"),
        ("bio", 42),
    ],
)
def test_invalid_answer_names_the_question(code, value):
    _, errors = validate_answers(QUESTIONS, {"diet": "none", code: value})
    assert [e.field for e in errors] == [f"answers.{code}"]


def test_unknown_answer_is_refused():
    _, errors = validate_answers(QUESTIONS, {"diet": "none", "shoe_size": "42"})
    assert [e.field for e in errors] == ["answers.shoe_size"]


def test_choice_question_needs_options():
    assert [e.field for e in validate_question("diet", "Diet", "single_choice", ["only"])] == ["options"]
    assert validate_question("diet", "Diet", "single_choice", ["a", "b"]) == []
    assert [e.field for e in validate_question("Bad Code", "x", "essay", [])] == ["code", "kind"]
